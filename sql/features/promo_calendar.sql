-- promo_calendar for known-on days $first_known .. $last_known: per known_on day, sku and date in
-- [known_on, known_on + $lookahead_days], the promotion as known on known_on.
-- Each raw promotion row is a plan version, valid from its export day until the next version of
-- the same promo_id (greatest (export_date, _source_file, _row_number) order). Where plans overlap
-- on a sku and date, the latest announcement wins. The row (known_on = d, date = d) is the
-- promotion in force on day d as known that day.
WITH versions AS (
    SELECT promo_id, sku, start_date, end_date, discount_pct, promo_type, name,
           export_date AS known_from, _source_file, _row_number,
           coalesce(lead(export_date) OVER (
               PARTITION BY promo_id ORDER BY export_date, _source_file, _row_number
           ), DATE '9999-12-31') AS known_until
    FROM raw_promotions
),
days AS (
    SELECT CAST(unnest(generate_series(
        CAST($first_known AS DATE), CAST($last_known AS DATE), INTERVAL 1 DAY)) AS DATE) AS known_on
),
known AS (
    SELECT d.known_on, v.*
    FROM days AS d
    JOIN versions AS v ON v.known_from <= d.known_on AND d.known_on < v.known_until
    WHERE v.sku IN (SELECT sku FROM sku_scope)  -- after lead(): a re-plan may move the SKU
      AND v.end_date >= d.known_on AND v.start_date <= d.known_on + CAST($lookahead_days AS INTEGER)
),
expanded AS (
    SELECT known_on, sku, discount_pct, promo_type, promo_id, name, known_from,
           _source_file, _row_number,
           CAST(unnest(generate_series(
               greatest(start_date, known_on),
               least(end_date, known_on + CAST($lookahead_days AS INTEGER)),
               INTERVAL 1 DAY)) AS DATE) AS date
    FROM known
)
SELECT known_on, sku, date, discount_pct, promo_type, promo_id, name, known_from AS announced_on
FROM expanded
QUALIFY row_number() OVER (
    PARTITION BY known_on, sku, date
    ORDER BY known_from DESC, _source_file DESC, _row_number DESC, promo_id DESC
) = 1
ORDER BY known_on, sku, date
