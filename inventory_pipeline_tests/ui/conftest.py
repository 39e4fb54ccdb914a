"""A demo-sized shop whose exports end yesterday, run through the CLI, served by the Dagster UI.

The UI is served first (``dagster dev``, as ``inventory-pipeline demo --serve`` starts it), then
the nightly plans are launched by ``inventory-pipeline backfill`` through the Dagster instance
(the UI's daemon runs them); a headless Chromium reads the UI.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import mlflow
import pytest

from inventory_pipeline import contract as c
from inventory_pipeline import tracking
from inventory_pipeline.cli import UI_HOST, serve_command
from inventory_pipeline.cli import main as cli_main
from inventory_pipeline.defs.launch import LaunchConfig, served_ui
from inventory_pipeline.features.as_of import features_as_of
from inventory_pipeline.features.build import build_all
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.model.train import train
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import attach_targets, concat, samples_from_features
from inventory_pipeline_tests.forecasting.conftest import tiny_config

SHOP_DAYS = 45
PLAN_DAYS = 2  # nightly plans of the last two export days, launched as one backfill (and the
# day before them as one ranged run without a backfill record)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@dataclass
class ServedShop:
    url: str
    root: Path
    yesterday: date
    backfill_output: str
    as_run_output: str = ""  # `backfill --as-run` of the day before the backfill's range


def artifacts_dir() -> Path:
    """Screenshots go to $INVENTORY_TEST_ARTIFACTS, else ./test-artifacts (git-ignored)."""
    folder = Path(
        os.environ.get("INVENTORY_TEST_ARTIFACTS")
        or Path(__file__).resolve().parents[2] / "test-artifacts"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((UI_HOST, 0))
        return s.getsockname()[1]


def _train_champion(warehouse: Warehouse, first: date, root: Path) -> None:
    """A tiny model trained on three early origins, registered as champion in the data root's
    MLflow."""
    import duckdb

    config = tiny_config()
    glob = warehouse.glob("features/daily_sku_demand", 1)
    demand = (
        duckdb.connect().sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning=true)").pl()
    )
    latest = first + timedelta(days=40)
    windows = []
    for offset in (14, 21, 26):
        fs = features_as_of(
            warehouse,
            first + timedelta(days=offset),
            history_days=config.history_days,
            horizon=config.horizon_days,
        )
        windows.append(attach_targets(samples_from_features(fs, config), demand,
                                      config.horizon_days, latest))  # fmt: skip
    forecaster, _ = train(config, concat(windows).samples)
    tracking.configure(f"sqlite:///{root / 'mlflow' / 'mlflow.db'}", root / "mlflow" / "artifacts",
                       "inventory_pipeline")  # fmt: skip
    with mlflow.start_run(run_name="tiny champion"):
        uri = tracking.log_model(forecaster, root / "model_tmp", input_example=None)
    version = tracking.register(uri, "demand_model")
    tracking.promote("demand_model", version)


@pytest.fixture(scope="package")
def served_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedShop]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("INVENTORY_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    root = tmp_path_factory.mktemp("ui_shop")
    env = {"INVENTORY_DATA_DIR": str(root), "DAGSTER_HOME": str(root / "dagster_home")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    stack = ExitStack()
    try:
        # The sample shop by default: its exports end yesterday.
        assert cli_main(["sample-shop", "--out", str(root / "landing"), "--skus", "8",
                         "--days", str(SHOP_DAYS), "--seed", "5"]) == 0  # fmt: skip
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        first = yesterday - timedelta(days=SHOP_DAYS - 1)
        warehouse = Warehouse(root / "warehouse")
        for contract in c.TABLES.values():
            ingest_days(root / "landing", warehouse, contract,
                        landing_dates(root / "landing", contract.name))  # fmt: skip
        build_all(warehouse)
        _train_champion(warehouse, first, root)
        assert cli_main(["init-home"]) == 0
        # The demo's way: the UI with its daemon first, then the runs, which that daemon takes
        # from the queue (the command line starts no daemon of its own).
        port = _free_port()
        url = f"http://{UI_HOST}:{port}"
        instance = stack.enter_context(dg.DagsterInstance.get())
        stack.enter_context(
            served_ui(
                instance,
                serve_command(port),
                url,
                root / "dagster-dev.log",
                LaunchConfig(daemon_start_seconds=300),
            )  # fmt: skip
        )
        start = yesterday - timedelta(days=PLAN_DAYS - 1)
        log = root / "backfill.log"
        done = subprocess.run(
            [sys.executable, "-m", "inventory_pipeline.cli", "backfill", "--job",
             "nightly_forecast_job", "--start", str(start), "--end", str(yesterday)],
            env={**os.environ}, stdout=log.open("w"), stderr=subprocess.STDOUT, timeout=1500,
            check=False,
        )  # fmt: skip
        output = log.read_text(errors="replace")
        assert done.returncode == 0, output[-4000:]
        assert "starting the Dagster daemon" not in output  # the UI's daemon ran it
        # The demo's way: the day before, as one ranged run submitted without a backfill record.
        before = start - timedelta(days=1)
        as_run = subprocess.run(
            [sys.executable, "-m", "inventory_pipeline.cli", "backfill", "--job",
             "nightly_forecast_job", "--start", str(before), "--end", str(before), "--as-run"],
            env={**os.environ}, capture_output=True, text=True, timeout=1500, check=False,
        )  # fmt: skip
        as_run_output = as_run.stdout + as_run.stderr
        assert as_run.returncode == 0, as_run_output[-4000:]
        yield ServedShop(url, root, yesterday, output, as_run_output)
    finally:
        stack.close()  # stops the UI and its daemon
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="package")
def browser(served_shop: ServedShop) -> Iterator[object]:
    if os.environ.get("INVENTORY_REQUIRE_BROWSER"):
        from playwright import sync_api
    else:
        sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
