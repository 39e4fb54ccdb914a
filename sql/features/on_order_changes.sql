-- on_order_changes: per SKU and snapshot day, the change of on_order since the SKU's previous
-- snapshot, where that snapshot is of the day before (a gap hides what happened in between).
-- Reads inventory_current (snapshots as known on the as-of day) from $first to $as_of.
-- A rise is an order placed; a fall is a delivery (or a cancellation, which pairs with nothing).
WITH snapshots AS (
    SELECT sku, snapshot_date, on_order,
           on_order - lag(on_order) OVER w AS change,
           snapshot_date - lag(snapshot_date) OVER w AS gap_days
    FROM inventory_current
    WHERE snapshot_date BETWEEN CAST($first AS DATE) AND CAST($as_of AS DATE)
    WINDOW w AS (PARTITION BY sku ORDER BY snapshot_date)
)
SELECT s.sku, s.snapshot_date, s.change, p.lead_time_days
FROM snapshots AS s
JOIN products_current AS p USING (sku)
WHERE s.gap_days = 1 AND s.change <> 0 AND p.lead_time_days > 0
ORDER BY s.sku, s.snapshot_date
