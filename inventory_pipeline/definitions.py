"""The Dagster code location: every asset, check, job, schedule and resource of the pipeline."""

import dagster as dg

from inventory_pipeline.defs.features.assets import feature_assets
from inventory_pipeline.defs.ingest.assets import ingest_assets
from inventory_pipeline.defs.ingest.jobs import daily_data_job, ingest_job, ingest_schedule
from inventory_pipeline.defs.resources import LandingZoneResource, WarehouseResource

defs = dg.Definitions(
    assets=[*ingest_assets, *feature_assets],
    jobs=[ingest_job, daily_data_job],
    schedules=[ingest_schedule],
    resources={
        "landing": LandingZoneResource(),
        "warehouse": WarehouseResource(),
    },
)
