-- catalog_as_known: every SKU of the catalog as known on $day (products_current over the exports
-- <= $day) and whether it is discontinued by then (the rule of sql/features/product_static.sql).
SELECT sku, coalesce(discontinued_at <= CAST($day AS DATE), false) AS discontinued
FROM products_current
ORDER BY sku
