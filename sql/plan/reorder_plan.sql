-- reorder_plan of one night ($path: its partition file), for `inventory-pipeline plan`: the orders
-- (all rows with $all_rows), largest order value first.
SELECT sku, on_hand, on_order, lead_time_days, service_level, order_up_to, order_qty, order_value,
       reason
FROM read_parquet($path)
WHERE order_qty > 0 OR $all_rows
ORDER BY order_value DESC, sku
