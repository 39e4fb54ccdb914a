-- Static per-SKU features as of $as_of for the SKUs in sku_scope: the catalog row known on $as_of,
-- launch/discontinuation flags, and the latest inventory snapshot on or before $as_of
-- (snapshot_date says which day it is: a snapshot can arrive a day late).
WITH snapshot AS (
    SELECT sku,
           max(snapshot_date) AS snapshot_date,
           arg_max(on_hand, snapshot_date) AS on_hand,
           arg_max(on_order, snapshot_date) AS on_order
    FROM inventory_current
    WHERE snapshot_date <= CAST($as_of AS DATE) AND sku IN (SELECT sku FROM sku_scope)
    GROUP BY sku
)
SELECT p.sku, p.title, p.category, p.brand, p.list_price, p.unit_cost, p.lead_time_days, p.moq,
       p.pack_size, p.launched_at, p.discontinued_at,
       p.launched_at <= CAST($as_of AS DATE) AS launched,
       coalesce(p.discontinued_at <= CAST($as_of AS DATE), false) AS discontinued,
       i.snapshot_date, i.on_hand, i.on_order
FROM products_current AS p
SEMI JOIN sku_scope AS s ON p.sku = s.sku
LEFT JOIN snapshot AS i ON p.sku = i.sku
ORDER BY p.sku
