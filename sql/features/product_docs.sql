-- product_docs for days $first_day .. $last_day: per day and SKU in sku_scope, the text for the
-- language model as known that day, its sha256 and the SKU's price tier.
-- Catalog rows and reviews are versions valid from their export day until the next version of the
-- same key ((export_date, _source_file, _row_number) order), so each day sees exactly the exports
-- on or before it. Price tier: list price quantile within category ($low_quantile, $high_quantile)
-- among all catalog rows known that day; a product without a category (the column is optional)
-- is placed among the whole catalog, and its text has no "Category:" line. Snippets: the $snippet_count most recent reviews created
-- and exported on or before the day, whitespace collapsed, body cut to $snippet_chars characters.
WITH days AS (
    SELECT CAST(unnest(generate_series(
        CAST($first_day AS DATE), CAST($last_day AS DATE), INTERVAL 1 DAY)) AS DATE) AS day
),
product_versions AS (
    SELECT sku, title, description, category, brand, list_price,
           export_date AS known_from,
           coalesce(lead(export_date) OVER (
               PARTITION BY sku ORDER BY export_date, _source_file, _row_number
           ), DATE '9999-12-31') AS known_until
    FROM raw_products
),
known_products AS (
    SELECT d.day, v.*
    FROM days AS d
    JOIN product_versions AS v ON v.known_from <= d.day AND d.day < v.known_until
),
tier_bounds AS (
    SELECT day, category, grouping(category) = 1 AS whole_catalog,
           quantile_cont(list_price, CAST($low_quantile AS DOUBLE)) AS low,
           quantile_cont(list_price, CAST($high_quantile AS DOUBLE)) AS high
    FROM known_products
    GROUP BY GROUPING SETS ((day, category), (day))
),
products AS (
    SELECT k.*,
           CASE WHEN k.list_price <= b.low THEN 'budget'
                WHEN k.list_price > b.high THEN 'premium'
                ELSE 'mid' END AS price_tier
    FROM known_products AS k
    JOIN tier_bounds AS b
      ON k.day = b.day
     AND CASE WHEN k.category IS NULL THEN b.whole_catalog
              ELSE k.category = b.category AND NOT b.whole_catalog END
    WHERE k.sku IN (SELECT sku FROM sku_scope)
),
review_versions AS (
    SELECT review_id, sku, rating, created_at,
           trim(regexp_replace(coalesce(title, ''), '\s+', ' ', 'g')) AS title,
           trim(regexp_replace(coalesce(body, ''), '\s+', ' ', 'g')) AS body,
           greatest(export_date, CAST(created_at AS DATE)) AS counts_from,
           coalesce(lead(export_date) OVER (
               PARTITION BY review_id ORDER BY export_date, _source_file, _row_number
           ), DATE '9999-12-31') AS known_until
    FROM raw_reviews
),
recent AS (
    SELECT d.day, r.sku, r.review_id, r.rating, r.created_at, r.title, r.body
    FROM days AS d
    JOIN review_versions AS r ON r.counts_from <= d.day AND d.day < r.known_until
    WHERE r.sku IN (SELECT sku FROM sku_scope)  -- after lead(): an edit may move the SKU
    QUALIFY row_number() OVER (
        PARTITION BY d.day, r.sku ORDER BY r.created_at DESC, r.review_id DESC
    ) <= CAST($snippet_count AS INTEGER)
),
snippets AS (
    SELECT day, sku,
           string_agg(
               '- ' || rating || '/5'
               || CASE WHEN title <> '' THEN ' ' || title ELSE '' END
               || CASE WHEN body <> '' THEN ': ' || left(body, CAST($snippet_chars AS INTEGER))
                       ELSE '' END,
               chr(10) ORDER BY created_at DESC, review_id DESC) AS text,
           count(*) AS n
    FROM recent
    GROUP BY day, sku
),
docs AS (
    SELECT p.day, p.sku, p.price_tier,
           coalesce(s.n, 0) AS review_snippets,
           concat_ws(chr(10),
               'Title: ' || p.title,
               'Category: ' || replace(p.category, '/', ' > '),
               'Brand: ' || coalesce(nullif(trim(p.brand), ''), 'unbranded'),
               'Price tier: ' || p.price_tier,
               CASE WHEN trim(coalesce(p.description, '')) <> ''
                    THEN 'Description: ' || trim(p.description) END,
               CASE WHEN s.text IS NOT NULL THEN 'Recent reviews:' || chr(10) || s.text END
           ) AS text
    FROM products AS p
    LEFT JOIN snippets AS s ON p.day = s.day AND p.sku = s.sku
)
SELECT day, sku, text, sha256(text) AS text_sha256, price_tier,
       CAST(review_snippets AS BIGINT) AS review_snippets
FROM docs
ORDER BY day, sku
