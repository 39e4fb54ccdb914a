-- category_daily_units: per category and demand day in $start .. $end, the units placed and the
-- number of products on sale, over the whole catalog registered (not only sku_scope). Days before
-- $grid_start (the first export day) have no row: nothing was exported then. features/season.py
-- turns these integer counts into the category's seasonal index for the forecast horizon.
WITH days AS (
    SELECT CAST(unnest(generate_series(
        greatest(CAST($start AS DATE), CAST($grid_start AS DATE)), CAST($end AS DATE), INTERVAL 1 DAY
    )) AS DATE) AS date
),
on_sale AS (
    SELECT p.category, d.date, count(*) AS skus_on_sale
    FROM products_current AS p
    JOIN days AS d
      ON p.launched_at <= d.date AND (p.discontinued_at IS NULL OR d.date < p.discontinued_at)
    GROUP BY p.category, d.date
),
units AS (
    SELECT p.category, CAST(o.ordered_at AS DATE) AS date, sum(o.quantity) AS units
    FROM orders_current AS o
    JOIN products_current AS p ON o.sku = p.sku
    WHERE o.status = 'placed'
      AND o.ordered_at >= greatest(CAST($start AS DATE), CAST($grid_start AS DATE))
      AND o.ordered_at < CAST($end AS DATE) + 1
    GROUP BY p.category, CAST(o.ordered_at AS DATE)
)
SELECT s.category, s.date, s.skus_on_sale, coalesce(u.units, 0) AS units
FROM on_sale AS s
LEFT JOIN units AS u ON s.category = u.category AND s.date = u.date
ORDER BY s.category, s.date
