"""The what-if job: one run per scenario partition."""

import dagster as dg

from inventory_pipeline.defs.partitions import scenario_partitions
from inventory_pipeline.defs.whatif.assets import promotion_scenarios

what_if_job = dg.define_asset_job(
    name="what_if_job",
    selection=[promotion_scenarios],
    partitions_def=scenario_partitions,
    description="Answer one promotion scenario (a partition per scenario file).",
)
