"""The retraining job and its weekly schedule."""

import dagster as dg

retrain_job = dg.define_asset_job(
    name="retrain_job",
    selection=dg.AssetSelection.groups("training"),
    description="Build training windows, fine-tune, backtest, and promote the model only if it is better.",
)

weekly_retrain_schedule = dg.ScheduleDefinition(
    name="weekly_retrain_schedule",
    job=retrain_job,
    cron_schedule="0 4 * * 0",
    execution_timezone="UTC",
    description="Every Sunday at 04:00 UTC (after the nightly run), retrain on all data so far.",
)
