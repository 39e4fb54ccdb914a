-- sku_last_year_units: units placed per SKU and demand day in $start .. $end (last year's days of
-- the forecast horizon), over the whole catalog registered. Days without placed units have no row.
-- The caller registers raw_orders with the lines placed in the season ranges only
-- (sources.Scope.order_days), which hold these days; features/season.py turns the counts into
-- each SKU's "same days last year" channel.
SELECT o.sku, CAST(o.ordered_at AS DATE) AS date, sum(o.quantity) AS units
FROM orders_current AS o
WHERE o.status = 'placed'
  AND CAST(o.ordered_at AS DATE) BETWEEN CAST($start AS DATE) AND CAST($end AS DATE)
GROUP BY o.sku, CAST(o.ordered_at AS DATE)
ORDER BY o.sku, date
