-- product_docs as of $as_of: one text per SKU in sku_scope for the language model, and its sha256.
-- Reads products_current, reviews_current (both scoped to exports on or before $as_of) and
-- price_tiers. Snippets: the $snippet_count most recent reviews created on or before $as_of, body
-- whitespace-collapsed and cut to $snippet_chars characters.
WITH products AS (
    SELECT p.*
    FROM products_current AS p
    SEMI JOIN sku_scope AS s ON p.sku = s.sku
),
recent AS (
    SELECT r.sku, r.review_id, r.rating, r.created_at,
           trim(regexp_replace(coalesce(r.title, ''), '\s+', ' ', 'g')) AS title,
           trim(regexp_replace(coalesce(r.body, ''), '\s+', ' ', 'g')) AS body
    FROM reviews_current AS r
    SEMI JOIN products AS p ON r.sku = p.sku
    WHERE CAST(r.created_at AS DATE) <= CAST($as_of AS DATE)
    QUALIFY row_number() OVER (
        PARTITION BY r.sku ORDER BY r.created_at DESC, r.review_id DESC
    ) <= CAST($snippet_count AS INTEGER)
),
snippets AS (
    SELECT sku,
           string_agg(
               '- ' || rating || '/5'
               || CASE WHEN title <> '' THEN ' ' || title ELSE '' END
               || CASE WHEN body <> '' THEN ': ' || left(body, CAST($snippet_chars AS INTEGER))
                       ELSE '' END,
               chr(10) ORDER BY created_at DESC, review_id DESC) AS text,
           count(*) AS n
    FROM recent
    GROUP BY sku
),
docs AS (
    SELECT p.sku,
           t.price_tier,
           coalesce(s.n, 0) AS review_snippets,
           concat_ws(chr(10),
               'Title: ' || p.title,
               'Category: ' || replace(p.category, '/', ' > '),
               'Brand: ' || coalesce(nullif(trim(p.brand), ''), 'unbranded'),
               'Price tier: ' || t.price_tier,
               CASE WHEN trim(coalesce(p.description, '')) <> ''
                    THEN 'Description: ' || trim(p.description) END,
               CASE WHEN s.text IS NOT NULL THEN 'Recent reviews:' || chr(10) || s.text END
           ) AS text
    FROM products AS p
    JOIN price_tiers AS t ON p.sku = t.sku
    LEFT JOIN snippets AS s ON p.sku = s.sku
)
SELECT sku, text, sha256(text) AS text_sha256, price_tier, CAST(review_snippets AS BIGINT) AS review_snippets
FROM docs
ORDER BY sku
