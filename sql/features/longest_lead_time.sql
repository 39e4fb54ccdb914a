-- The longest supplier lead time among the products still on sale on $day, as the catalog knew
-- it then (products_current is registered for exports up to $day): the days a forecast must
-- cover for the slowest supplier (training.retrain.run_horizon).
SELECT max(lead_time_days) AS longest_lead_time_days
FROM products_current
WHERE discontinued_at IS NULL OR discontinued_at > $day
