"""The Dagster code location: every asset, check, job, schedule and resource of the pipeline.

Built when the code location loads (``@dg.definitions``), not at import: the daily partitions start
at the shop's first export day (its settings file, else its earliest landing day folder), which a
module-level definition could only hard-code. Reloading the location in the UI picks up a changed
first export day. ``build_definitions(first_export_day=...)`` builds them for a given day (tests,
tools).
"""

from datetime import date

import dagster as dg

from inventory_pipeline.defs.alerts.sensors import run_failure_alert_sensor
from inventory_pipeline.defs.evaluation.assets import evaluation_report
from inventory_pipeline.defs.evaluation.jobs import evaluation_job
from inventory_pipeline.defs.executor import forkserver_multiprocess_executor
from inventory_pipeline.defs.features.assets import build_feature_assets
from inventory_pipeline.defs.forecasting.assets import (
    build_forecasting_assets,
    build_sharded_assets,
)
from inventory_pipeline.defs.forecasting.jobs import build_nightly_job, build_sharded_jobs
from inventory_pipeline.defs.forecasting.schedules import (
    build_nightly_schedule,
    build_sharded_data_schedule,
)
from inventory_pipeline.defs.forecasting.sensors import build_shard_sensors
from inventory_pipeline.defs.ingest.assets import build_ingest_assets
from inventory_pipeline.defs.ingest.jobs import build_ingest_jobs
from inventory_pipeline.defs.ingest.schedules import build_ingest_schedule
from inventory_pipeline.defs.partitions import resolve_first_export_day, shop_partitions
from inventory_pipeline.defs.resources import (
    LandingZoneResource,
    MlflowResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.defs.training.assets import training_assets
from inventory_pipeline.defs.training.jobs import retrain_job
from inventory_pipeline.defs.training.schedules import weekly_retrain_schedule
from inventory_pipeline.defs.whatif.assets import promotion_scenarios
from inventory_pipeline.defs.whatif.jobs import what_if_job
from inventory_pipeline.defs.whatif.resources import ScenarioFolderResource
from inventory_pipeline.defs.whatif.sensors import what_if_sensor


def build_definitions(first_export_day: date | None = None) -> dg.Definitions:
    """The pipeline's definitions with daily partitions from ``first_export_day``.

    ``None``: the shop's own first export day, from the settings file and landing zone that the
    environment points at (``inventory_pipeline.config``).
    """
    parts = shop_partitions(first_export_day or resolve_first_export_day())
    ingest_job, daily_data_job = build_ingest_jobs(parts.export_day)
    nightly_forecast_job = build_nightly_job(parts.export_day)
    sharded_job, assemble_job = build_sharded_jobs(parts.export_day_shard, parts.export_day)
    return dg.Definitions(
        assets=[
            *build_ingest_assets(parts.export_day),
            *build_feature_assets(parts.export_day),
            *training_assets,
            *build_forecasting_assets(parts.export_day),
            evaluation_report,
            *build_sharded_assets(parts),
            promotion_scenarios,
        ],
        jobs=[
            ingest_job,
            daily_data_job,
            retrain_job,
            nightly_forecast_job,
            evaluation_job,
            sharded_job,
            assemble_job,
            what_if_job,
        ],
        schedules=[
            build_ingest_schedule(ingest_job),
            build_nightly_schedule(nightly_forecast_job),
            weekly_retrain_schedule,
            build_sharded_data_schedule(daily_data_job),
        ],
        sensors=[
            *build_shard_sensors(daily_data_job, sharded_job, assemble_job),
            what_if_sensor,
            run_failure_alert_sensor,
        ],
        resources={
            "landing": LandingZoneResource(),
            "warehouse": WarehouseResource(),
            "mlflow_registry": MlflowResource(),
            "shop": ShopSettingsResource(),
            "what_if": ScenarioFolderResource(),
        },
        executor=forkserver_multiprocess_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location ``dagster dev`` / ``dagster-webserver`` / the daemon load."""
    return build_definitions()
