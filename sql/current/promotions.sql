-- promotions_current: per promo_id the latest plan (greatest export_date, _source_file, _row_number).
-- The plan as known on an earlier day is in the promo_calendar feature table, not here.
SELECT promo_id, sku, start_date, end_date, discount_pct, promo_type, name,
       export_date, _source_file, _row_number
FROM raw_promotions
QUALIFY row_number() OVER (
    PARTITION BY promo_id
    ORDER BY export_date DESC, _source_file DESC, _row_number DESC
) = 1
