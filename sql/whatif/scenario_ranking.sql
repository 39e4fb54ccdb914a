-- One row per discount of a promotion scenario, best expected incremental margin first.
-- scenario_rows: the promotion_scenarios rows of one scenario (every discount, SKU and day).
-- uplift: extra expected units on the promotion days; dip: the change on the days after it
-- (negative when the promotion pulls demand forward); order: units to order now, summed.
WITH per_sku AS (
    SELECT discount_pct, sku,
           any_value(order_qty_with) AS order_qty_with,
           any_value(order_qty_without) AS order_qty_without,
           any_value(days_late) AS days_late
    FROM scenario_rows
    GROUP BY discount_pct, sku
), per_discount AS (
    SELECT discount_pct,
           count(DISTINCT sku) AS skus,
           sum(incremental_units) FILTER (WHERE phase = 'promotion') AS uplift_units,
           sum(units_without) FILTER (WHERE phase = 'promotion') AS baseline_units,
           coalesce(sum(incremental_units) FILTER (WHERE phase = 'after'), 0) AS dip_units,
           sum(incremental_units) AS incremental_units,
           sum(incremental_revenue) AS incremental_revenue,
           sum(incremental_margin) AS incremental_margin
    FROM scenario_rows
    GROUP BY discount_pct
), orders AS (
    SELECT discount_pct,
           sum(order_qty_with) AS order_qty_with,
           sum(order_qty_without) AS order_qty_without,
           count(*) FILTER (WHERE days_late > 0) AS skus_ordered_late
    FROM per_sku
    GROUP BY discount_pct
)
SELECT d.discount_pct,
       d.skus,
       d.uplift_units,
       d.uplift_units / nullif(d.baseline_units, 0) AS uplift_share,
       d.dip_units,
       d.incremental_units,
       d.incremental_revenue,
       d.incremental_margin,
       o.order_qty_with,
       o.order_qty_without,
       o.skus_ordered_late,
       rank() OVER (ORDER BY d.incremental_margin DESC) AS margin_rank
FROM per_discount AS d
JOIN orders AS o USING (discount_pct)
ORDER BY margin_rank, d.discount_pct
