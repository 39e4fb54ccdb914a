"""The Dagster code location: every asset, check, job, schedule and resource of the pipeline."""

import dagster as dg

from inventory_pipeline.defs.ingest.assets import ingest_assets
from inventory_pipeline.defs.ingest.jobs import ingest_job, ingest_schedule
from inventory_pipeline.defs.resources import LandingZoneResource, WarehouseResource

defs = dg.Definitions(
    assets=[*ingest_assets],
    jobs=[ingest_job],
    schedules=[ingest_schedule],
    resources={
        "landing": LandingZoneResource(),
        "warehouse": WarehouseResource(),
    },
)
