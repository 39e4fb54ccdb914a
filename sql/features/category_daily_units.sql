-- category_daily_units: per category and demand day in the two ranges the seasonal index reads
-- (last year's days around the horizon, $year_ago_start .. $year_ago_end, and the recent window,
-- $recent_start .. $end), the units placed and the number of products on sale, over the whole
-- catalog registered (not only sku_scope). Days before $grid_start (the first export day) have no
-- row: nothing was exported then. features/season.py turns these integer counts into the
-- category's seasonal index for the forecast horizon. The caller registers raw_orders with the
-- lines placed in these ranges only (sources.Scope.order_days).
-- Products without a category (the column is optional) belong to no category; when there are
-- any, the rows of category $shop_key count the whole catalog (the shop level they fall back to).
WITH grouped AS (
    SELECT sku, launched_at, discontinued_at, category
    FROM products_current
    WHERE category IS NOT NULL
    UNION ALL
    SELECT sku, launched_at, discontinued_at, CAST($shop_key AS VARCHAR) AS category
    FROM products_current
    WHERE EXISTS (SELECT 1 FROM products_current WHERE category IS NULL)
),
ranges AS (
    SELECT greatest(CAST($year_ago_start AS DATE), CAST($grid_start AS DATE)) AS first,
           CAST($year_ago_end AS DATE) AS last
    UNION ALL
    SELECT greatest(CAST($recent_start AS DATE), CAST($grid_start AS DATE)), CAST($end AS DATE)
),
days AS (
    SELECT DISTINCT CAST(unnest(generate_series(first, last, INTERVAL 1 DAY)) AS DATE) AS date
    FROM ranges
    WHERE first <= last
),
on_sale AS (
    SELECT p.category, d.date, count(*) AS skus_on_sale
    FROM grouped AS p
    JOIN days AS d
      ON p.launched_at <= d.date AND (p.discontinued_at IS NULL OR d.date < p.discontinued_at)
    GROUP BY p.category, d.date
),
units AS (
    SELECT p.category, CAST(o.ordered_at AS DATE) AS date, sum(o.quantity) AS units
    FROM orders_current AS o
    JOIN grouped AS p ON o.sku = p.sku
    WHERE o.status = 'placed'
    GROUP BY p.category, CAST(o.ordered_at AS DATE)
)
SELECT s.category, s.date, s.skus_on_sale, coalesce(u.units, 0) AS units
FROM on_sale AS s
LEFT JOIN units AS u ON s.category = u.category AND s.date = u.date
ORDER BY s.category, s.date
