"""The evaluation_report asset with the registered champion on a generated shop."""

from datetime import timedelta

import dagster as dg

from inventory_pipeline.definitions import build_definitions
from inventory_pipeline_tests.forecasting.conftest import START, Shop

# the pipeline's definitions with partitions from the test shop's first export day
defs = build_definitions(START)


def test_evaluation_report_writes_the_report_and_logs_it(shop: Shop) -> None:
    start, end = START + timedelta(days=42), START + timedelta(days=69)
    config = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "truth_dir": str(shop.root / "truth"),
        "stride_days": 7,
    }
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("evaluation_job").execute_in_process(
            instance=instance,
            run_config={"ops": {"evaluation_report": {"config": config}}},
            resources=shop.resources(),
        )
    assert result.success
    meta = result.asset_materializations_for_node("evaluation_report")[0].metadata
    assert meta["model_version"].value == shop.version
    report = shop.warehouse.root / "evaluation" / f"{start}_{end}"
    summary = (report / "summary.md").read_text()
    assert "fill rate" in summary.lower()
    assert list(report.rglob("*.csv")) and list(report.rglob("*.png"))
    assert meta["mlflow_run_id"].value
