"""The evaluation job: the report over a range given in its run config."""

import dagster as dg

from inventory_pipeline.defs.evaluation.assets import evaluation_report

evaluation_job = dg.define_asset_job(
    name="evaluation_job",
    selection=dg.AssetSelection.assets(evaluation_report),
    description="Evaluate the champion and peers over a range (run config: start, end).",
)
