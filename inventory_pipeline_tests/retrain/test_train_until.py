"""`train --until D`: the run's training, validation and backtest blocks end at D, not later."""

from datetime import timedelta

import dagster as dg
import pytest

from inventory_pipeline import cli
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.resources import WarehouseResource
from inventory_pipeline.features.sources import first_export, latest_export
from inventory_pipeline.training.plan import plan_origins
from inventory_pipeline_tests.forecasting.conftest import START, build_warehouse

defs = build_definitions(START)
# a tiny run: short blocks, a small model
RUN_CONFIG = {
    "backtest_days": 28, "min_history_days": 21, "validation_origins": 1,
    "history_days": 14, "horizon_days": 14, "d_model": 16,
}  # fmt: skip


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    _, wh = build_warehouse(tmp_path_factory.mktemp("until"), days=90)
    return wh


def test_training_windows_end_at_until(warehouse, tmp_path) -> None:
    latest = latest_export(warehouse)
    until = latest - timedelta(days=10)
    args = cli.build_parser().parse_args(["train", "--until", until.isoformat(), "--seed", "3"])
    run_config = cli.training_run_config(args.finetune or "", 0, args.seed, args.until, RUN_CONFIG)
    job = defs.resolve_job_def("retrain_job").get_subset(
        asset_selection={dg.AssetKey("training_windows")}
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance,
            resources={"warehouse": WarehouseResource(path=str(warehouse.root))},
            run_config={"ops": {"training_windows": run_config["ops"]["training_windows"]}},
        )
    assert result.success
    meta = result.asset_materializations_for_node("training_windows")[0].metadata
    assert meta["data_window"].value == f"{first_export(warehouse)} .. {until}"
    plan = meta["training_plan"].value  # the run's plan, as the next training step reads it
    assert plan["latest_export"] == until.isoformat()
    horizon = plan["horizon_days"]
    # the last backtest origin's targets end exactly at D: no later day is a target
    assert plan["backtest_origins"][-1] == (until - timedelta(days=horizon)).isoformat()
    # without --until the same run plans up to the latest export
    assert plan_origins(warehouse, horizon_days=horizon,
                        cfg=_training_config()).latest_export == latest  # fmt: skip


def _training_config():
    from inventory_pipeline.defs.training.assets import TrainingRunConfig

    return TrainingRunConfig(**RUN_CONFIG).training_config()


def test_until_outside_the_exports_is_refused_with_the_range(warehouse) -> None:
    latest = latest_export(warehouse)
    after = latest + timedelta(days=1)
    with pytest.raises(ValueError, match=f"until={after} is outside the exported days"):
        plan_origins(warehouse, _training_config(), 14, after)
