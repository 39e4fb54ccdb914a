"""The retraining job (its weekly schedule: ``schedules.py``)."""

import dagster as dg

from inventory_pipeline.defs.pools import RETRAIN_POOL

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
