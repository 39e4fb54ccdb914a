-- daily_sku_demand for demand dates $start .. $end (inclusive).
-- Reads orders_current, inventory_current, products_current, raw_products and sku_scope, which the
-- caller registers for one "as known" scope (all exports, or exports on or before an as-of day).
--
-- Grid: every day a SKU is on sale (launched_at <= date < discontinued_at) from $grid_start (the
-- first export day: before it nothing was exported, so zeros there would be invented), plus every
-- day with a placed order line or an inventory snapshot, so that units reconcile to the orders
-- exactly and every on_hand = 0 snapshot is a stockout row, even outside the on-sale span.
-- price_paid is exact (DECIMAL sums), so re-runs are byte-identical whatever the thread count.
WITH scope_products AS (
    SELECT p.sku, p.launched_at, p.discontinued_at
    FROM products_current AS p
    SEMI JOIN sku_scope AS s ON p.sku = s.sku
),
sales AS (
    SELECT o.sku,
           CAST(o.ordered_at AS DATE) AS date,
           sum(o.quantity) AS units,
           sum(o.quantity * CAST(o.unit_price AS DECIMAL(18, 4))) AS revenue,
           count(*) AS order_lines
    FROM orders_current AS o
    SEMI JOIN sku_scope AS s ON o.sku = s.sku
    WHERE o.status = 'placed'
      AND o.ordered_at >= CAST($start AS DATE)
      AND o.ordered_at < CAST($end AS DATE) + 1
    GROUP BY ALL
),
snapshots AS (
    SELECT i.sku, i.snapshot_date AS date, i.on_hand, i.on_order
    FROM inventory_current AS i
    SEMI JOIN sku_scope AS s ON i.sku = s.sku
    WHERE i.snapshot_date BETWEEN $start AND $end
),
on_sale_days AS (
    SELECT sku,
           CAST(unnest(generate_series(
               greatest(launched_at, CAST($start AS DATE), CAST($grid_start AS DATE)),
               least(coalesce(discontinued_at - 1, CAST($end AS DATE)), CAST($end AS DATE)),
               INTERVAL 1 DAY)) AS DATE) AS date
    FROM scope_products
),
grid AS (
    SELECT sku, date FROM on_sale_days
    UNION SELECT sku, date FROM sales
    UNION SELECT sku, date FROM snapshots
),
-- List price as known on each day: the latest catalog row exported on or before that day; days
-- before the SKU's first catalog row use that first row.
price_versions AS (
    SELECT r.sku, r.export_date, arg_max(r.list_price, (r._source_file, r._row_number)) AS list_price
    FROM raw_products AS r
    SEMI JOIN sku_scope AS s ON r.sku = s.sku
    GROUP BY ALL
),
first_prices AS (
    SELECT sku, arg_min(list_price, export_date) AS list_price
    FROM price_versions
    GROUP BY sku
),
priced AS (
    SELECT g.sku, g.date, pv.list_price
    FROM grid AS g
    ASOF LEFT JOIN price_versions AS pv ON g.sku = pv.sku AND g.date >= pv.export_date
)
SELECT g.sku,
       g.date,
       CAST(coalesce(s.units, 0) AS BIGINT) AS units,
       coalesce(i.on_hand = 0, false) AS stockout,
       coalesce(g.date >= p.launched_at AND (p.discontinued_at IS NULL OR g.date < p.discontinued_at),
                false) AS on_sale,
       CAST(s.revenue / s.units AS DOUBLE) AS price_paid,
       coalesce(g.list_price, fp.list_price) AS list_price,
       CAST(coalesce(s.order_lines, 0) AS BIGINT) AS order_lines,
       i.on_hand,
       i.on_order
FROM priced AS g
LEFT JOIN sales AS s ON g.sku = s.sku AND g.date = s.date
LEFT JOIN snapshots AS i ON g.sku = i.sku AND g.date = i.date
LEFT JOIN scope_products AS p ON g.sku = p.sku
LEFT JOIN first_prices AS fp ON g.sku = fp.sku
ORDER BY g.sku, g.date
