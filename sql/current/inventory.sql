-- inventory_current: per (sku, snapshot_date) the row with the greatest
-- (export_date, _source_file, _row_number).
SELECT snapshot_date, sku, on_hand, on_order,
       export_date, _source_file, _row_number
FROM raw_inventory
QUALIFY row_number() OVER (
    PARTITION BY sku, snapshot_date
    ORDER BY export_date DESC, _source_file DESC, _row_number DESC
) = 1
