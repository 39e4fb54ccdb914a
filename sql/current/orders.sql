-- orders_current: order lines as known after the exports in raw_orders (docs/warehouse.md).
-- Per (order_id, line_no) the row with the greatest (export_date, _source_file, _row_number) wins.
-- A winning 'cancelled' row stays visible here; the demand SQL drops it.
SELECT order_id, line_no, sku, quantity, unit_price, ordered_at, status, customer_id,
       export_date, _source_file, _row_number
FROM raw_orders
QUALIFY row_number() OVER (
    PARTITION BY order_id, line_no
    ORDER BY export_date DESC, _source_file DESC, _row_number DESC
) = 1
