-- Demand date ranges [lo, hi] whose daily_sku_demand rows can change when export $export_date is
-- (re)loaded, over the unscoped raw_* relations. $data_end is the last demand day (latest export).
--   orders:    every date any version of a line in the export was placed on (a correction can move
--              or cancel a line placed days earlier);
--   inventory: the snapshot dates in the export;
--   products:  list price as known from the export day on; launch/discontinuation moves between
--              the previous and new dates; a SKU new to the catalog from its launch (or the export).
WITH new_lines AS (
    SELECT DISTINCT order_id, line_no FROM raw_orders WHERE export_date = $export_date
),
line_dates AS (
    SELECT DISTINCT CAST(o.ordered_at AS DATE) AS d
    FROM raw_orders AS o
    SEMI JOIN new_lines AS n ON o.order_id = n.order_id AND o.line_no = n.line_no
),
snapshot_dates AS (
    SELECT DISTINCT snapshot_date AS d FROM raw_inventory WHERE export_date = $export_date
),
new_products AS (
    SELECT sku, launched_at, coalesce(discontinued_at, CAST($data_end AS DATE) + 1) AS ends_at
    FROM raw_products
    WHERE export_date = $export_date
),
previous_products AS (
    SELECT sku,
           arg_max(launched_at, (export_date, _source_file, _row_number)) AS launched_at,
           arg_max(coalesce(discontinued_at, CAST($data_end AS DATE) + 1),
                   (export_date, _source_file, _row_number)) AS ends_at
    FROM raw_products
    WHERE export_date < $export_date AND sku IN (SELECT sku FROM new_products)
    GROUP BY sku
),
product_ranges AS (
    SELECT CASE WHEN p.sku IS NULL THEN least(n.launched_at, CAST($export_date AS DATE))
                ELSE CAST($export_date AS DATE) END AS lo,
           CAST($data_end AS DATE) AS hi
    FROM new_products AS n LEFT JOIN previous_products AS p ON n.sku = p.sku
    UNION ALL
    SELECT least(p.launched_at, n.launched_at), greatest(p.launched_at, n.launched_at) - 1
    FROM new_products AS n JOIN previous_products AS p ON n.sku = p.sku
    WHERE p.launched_at <> n.launched_at
    UNION ALL
    SELECT least(p.ends_at, n.ends_at), greatest(p.ends_at, n.ends_at) - 1
    FROM new_products AS n JOIN previous_products AS p ON n.sku = p.sku
    WHERE p.ends_at <> n.ends_at
)
SELECT d AS lo, d AS hi FROM line_dates
UNION SELECT d, d FROM snapshot_dates
UNION SELECT lo, least(hi, CAST($data_end AS DATE)) FROM product_ranges WHERE lo <= CAST($data_end AS DATE)
ORDER BY lo, hi
