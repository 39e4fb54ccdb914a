-- price_tiers: budget / mid / premium by list price quantile within category, among the catalog
-- rows of products_current (so "as known" whenever products_current is scoped to an as-of day).
WITH bounds AS (
    SELECT category,
           quantile_cont(list_price, CAST($low_quantile AS DOUBLE)) AS low,
           quantile_cont(list_price, CAST($high_quantile AS DOUBLE)) AS high
    FROM products_current
    GROUP BY category
)
SELECT p.sku,
       CASE WHEN p.list_price <= b.low THEN 'budget'
            WHEN p.list_price > b.high THEN 'premium'
            ELSE 'mid' END AS price_tier
FROM products_current AS p
JOIN bounds AS b ON p.category = b.category
