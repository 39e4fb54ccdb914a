-- The promotion types the shop ran up to $day, as the promotions known then planned them
-- (promotions_current is registered for exports up to $day): per type, how many promotions
-- started on or before $day and their promotion-days, most days first. A model reads one channel
-- per type it has seen often enough (training.retrain.promotion_vocabulary).
SELECT promo_type,
       count(*) AS promotions,
       sum(datediff('day', start_date, least(end_date, CAST($day AS DATE))) + 1) AS promotion_days
FROM promotions_current
WHERE start_date <= CAST($day AS DATE)
  AND promo_type IS NOT NULL AND promo_type <> ''
GROUP BY promo_type
ORDER BY promotion_days DESC, promo_type
