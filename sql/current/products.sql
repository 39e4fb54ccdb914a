-- products_current: per sku the catalog row with the greatest (export_date, _source_file, _row_number).
SELECT sku, title, description, category, brand, list_price, unit_cost, lead_time_days, moq,
       pack_size, launched_at, discontinued_at,
       export_date, _source_file, _row_number
FROM raw_products
QUALIFY row_number() OVER (
    PARTITION BY sku
    ORDER BY export_date DESC, _source_file DESC, _row_number DESC
) = 1
