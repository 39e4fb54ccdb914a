"""The weekly retraining schedule."""

import dagster as dg

from inventory_pipeline.defs.training.jobs import retrain_job

weekly_retrain_schedule = dg.ScheduleDefinition(
    name="weekly_retrain_schedule",
    job=retrain_job,
    cron_schedule="0 4 * * 0",
    execution_timezone="UTC",
    description="Every Sunday at 04:00 UTC (after the nightly run), retrain on all data so far.",
)
