-- reviews_current: per review_id the row with the greatest (export_date, _source_file, _row_number).
SELECT review_id, sku, rating, title, body, created_at,
       export_date, _source_file, _row_number
FROM raw_reviews
QUALIFY row_number() OVER (
    PARTITION BY review_id
    ORDER BY export_date DESC, _source_file DESC, _row_number DESC
) = 1
