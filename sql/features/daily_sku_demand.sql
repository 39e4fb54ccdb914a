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
-- One row per placed line, snapshot and on-sale day, folded by one aggregation (no big joins).
lines AS (
    SELECT o.sku,
           CAST(o.ordered_at AS DATE) AS date,
           o.quantity,
           o.quantity * CAST(o.unit_price AS DECIMAL(18, 4)) AS revenue,
           CAST(NULL AS BIGINT) AS on_hand,
           CAST(NULL AS BIGINT) AS on_order
    FROM orders_current AS o
    SEMI JOIN sku_scope AS s ON o.sku = s.sku
    WHERE o.status = 'placed'
      AND o.ordered_at >= CAST($start AS DATE)
      AND o.ordered_at < CAST($end AS DATE) + 1
),
snapshots AS (
    SELECT i.sku, i.snapshot_date AS date, NULL, NULL, i.on_hand, i.on_order
    FROM inventory_current AS i
    SEMI JOIN sku_scope AS s ON i.sku = s.sku
    WHERE i.snapshot_date BETWEEN $start AND $end
),
on_sale_days AS (
    SELECT sku,
           CAST(unnest(generate_series(
               greatest(launched_at, CAST($start AS DATE), CAST($grid_start AS DATE)),
               least(coalesce(discontinued_at - 1, CAST($end AS DATE)), CAST($end AS DATE)),
               INTERVAL 1 DAY)) AS DATE) AS date,
           NULL, NULL, NULL, NULL
    FROM scope_products
),
daily AS (
    SELECT sku, date,
           sum(quantity) AS units,
           sum(revenue) AS revenue,
           count(quantity) AS order_lines,
           max(on_hand) AS on_hand,  -- at most one snapshot per sku and date after the upsert
           max(on_order) AS on_order
    FROM (SELECT * FROM lines UNION ALL SELECT * FROM snapshots UNION ALL SELECT * FROM on_sale_days)
    GROUP BY sku, date
),
-- List price as known on each day: the latest catalog row exported on or before that day; days
-- before the SKU's first catalog row use that first row.
price_versions AS (
    SELECT r.sku, r.export_date, arg_max(r.list_price, (r._source_file, r._row_number)) AS list_price
    FROM raw_products AS r
    SEMI JOIN sku_scope AS s ON r.sku = s.sku
    GROUP BY r.sku, r.export_date
),
first_prices AS (
    SELECT sku, arg_min(list_price, export_date) AS list_price
    FROM price_versions
    GROUP BY sku
)
SELECT d.sku,
       d.date,
       CAST(coalesce(d.units, 0) AS BIGINT) AS units,
       coalesce(d.on_hand = 0, false) AS stockout,
       coalesce(d.date >= p.launched_at AND (p.discontinued_at IS NULL OR d.date < p.discontinued_at),
                false) AS on_sale,
       CAST(d.revenue / d.units AS DOUBLE) AS price_paid,
       coalesce(pv.list_price, fp.list_price) AS list_price,
       CAST(d.order_lines AS BIGINT) AS order_lines,
       d.on_hand,
       d.on_order
FROM daily AS d
ASOF LEFT JOIN price_versions AS pv ON d.sku = pv.sku AND d.date >= pv.export_date
LEFT JOIN scope_products AS p ON d.sku = p.sku
LEFT JOIN first_prices AS fp ON d.sku = fp.sku
ORDER BY d.sku, d.date
