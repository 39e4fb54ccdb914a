-- Static per-SKU features as of $as_of for the SKUs in sku_scope: the catalog row known on $as_of
-- and launch/discontinuation flags. (The latest inventory snapshot comes from the demand history
-- of the same call, so the snapshots are upserted once.)
SELECT p.sku, p.title, p.category, p.brand, p.list_price, p.unit_cost, p.lead_time_days, p.moq,
       p.pack_size, p.launched_at, p.discontinued_at,
       p.launched_at <= CAST($as_of AS DATE) AS launched,
       coalesce(p.discontinued_at <= CAST($as_of AS DATE), false) AS discontinued
FROM products_current AS p
SEMI JOIN sku_scope AS s ON p.sku = s.sku
ORDER BY p.sku
