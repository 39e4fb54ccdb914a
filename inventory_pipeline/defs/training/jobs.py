"""The retraining job and its weekly schedule."""

import dagster as dg

from inventory_pipeline.defs.training.assets import RETRAIN_POOL

# Runs with this tag go through the run queue one at a time (dagster.yaml, tag_concurrency_limits);
# runs started directly are serialised step by step by the pool ``retrain`` of every training asset.
RETRAIN_RUN_TAG = {"inventory_pipeline/pool": RETRAIN_POOL}

retrain_job = dg.define_asset_job(
    name="retrain_job",
    selection=dg.AssetSelection.groups("training"),
    tags=RETRAIN_RUN_TAG,
    description=(
        "Build training windows, fine-tune, backtest, and promote the model only if it is better. "
        "One retraining at a time (pool `retrain`)."
    ),
)

weekly_retrain_schedule = dg.ScheduleDefinition(
    name="weekly_retrain_schedule",
    job=retrain_job,
    cron_schedule="0 4 * * 0",
    execution_timezone="UTC",
    description="Every Sunday at 04:00 UTC (after the nightly run), retrain on all data so far.",
)
