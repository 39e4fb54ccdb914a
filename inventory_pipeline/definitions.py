"""The Dagster code location: every asset, check, job, schedule and resource of the pipeline."""

import dagster as dg

from inventory_pipeline.defs.evaluation.assets import evaluation_job, evaluation_report
from inventory_pipeline.defs.features.assets import feature_assets
from inventory_pipeline.defs.forecasting.assets import forecasting_assets
from inventory_pipeline.defs.forecasting.jobs import nightly_forecast_job, nightly_forecast_schedule
from inventory_pipeline.defs.forecasting.sharded import (
    sharded_forecasting_assets,
    sharded_jobs,
    sharded_schedules,
    sharded_sensors,
)
from inventory_pipeline.defs.ingest.assets import ingest_assets
from inventory_pipeline.defs.ingest.jobs import daily_data_job, ingest_job, ingest_schedule
from inventory_pipeline.defs.resources import LandingZoneResource, MlflowResource, WarehouseResource
from inventory_pipeline.defs.training.assets import training_assets
from inventory_pipeline.defs.training.jobs import retrain_job, weekly_retrain_schedule

defs = dg.Definitions(
    assets=[*ingest_assets, *feature_assets, *training_assets, *forecasting_assets, evaluation_report,
            *sharded_forecasting_assets],
    jobs=[ingest_job, daily_data_job, retrain_job, nightly_forecast_job, evaluation_job, *sharded_jobs],
    schedules=[ingest_schedule, nightly_forecast_schedule, weekly_retrain_schedule, *sharded_schedules],
    sensors=sharded_sensors,
    resources={
        "landing": LandingZoneResource(),
        "warehouse": WarehouseResource(),
        "mlflow_registry": MlflowResource(),
    },
)
