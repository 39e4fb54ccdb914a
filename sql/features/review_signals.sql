-- review_signals for days $first_day .. $last_day, long format: one row per day, sku and window
-- (window_days = 0 is all reviews so far), over the reviews known on that day: each raw row is a
-- review version valid from its export day until the next version of the same review_id, and
-- counts from its created_at date on. A review created before day d but exported after d is not
-- known on d. Only SKUs with at least one known review appear.
WITH versions AS (
    SELECT review_id, sku, rating, CAST(created_at AS DATE) AS created_date,
           greatest(export_date, CAST(created_at AS DATE)) AS counts_from,
           coalesce(lead(export_date) OVER (
               PARTITION BY review_id ORDER BY export_date, _source_file, _row_number
           ), DATE '9999-12-31') AS known_until
    FROM raw_reviews
),
days AS (
    SELECT CAST(unnest(generate_series(
        CAST($first_day AS DATE), CAST($last_day AS DATE), INTERVAL 1 DAY)) AS DATE) AS date
),
known AS (
    SELECT d.date, v.sku, v.rating, v.created_date
    FROM days AS d
    JOIN versions AS v
      ON v.counts_from <= d.date AND d.date < v.known_until
    WHERE v.sku IN (SELECT sku FROM sku_scope)  -- after lead(): an edit may move the SKU
),
windows AS (
    SELECT CAST(unnest(list_append(CAST($windows AS INTEGER[]), 0)) AS INTEGER) AS window_days
),
per_window AS (
    SELECT k.date, k.sku, w.window_days,
           count(*) AS reviews,
           avg(k.rating) AS mean_rating,
           avg(CAST(k.rating <= $negative_max_rating AS INTEGER)) AS negative_share
    FROM known AS k
    JOIN windows AS w ON w.window_days = 0 OR k.created_date > k.date - w.window_days
    GROUP BY k.date, k.sku, w.window_days
),
last_review AS (
    SELECT date, sku, CAST(date - max(created_date) AS INTEGER) AS days_since_last_review
    FROM known
    GROUP BY date, sku
)
SELECT p.date, p.sku, p.window_days, p.reviews, p.mean_rating, p.negative_share,
       l.days_since_last_review
FROM per_window AS p
JOIN last_review AS l ON p.date = l.date AND p.sku = l.sku
ORDER BY p.date, p.sku, p.window_days
