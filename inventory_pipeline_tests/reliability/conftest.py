"""Fixtures for the crash-safety and concurrency tests: one tiny generated shop, run helpers.

The runs here go through the real command line, the real Dagster instance config
(``deploy/local/dagster.yaml``) and real child processes, so the environment a child needs (paths,
telemetry off) is built explicitly by :func:`pipeline_env`.
"""

import hashlib
import os
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.resources import LandingZoneResource, WarehouseResource
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.warehouse import PARTITION_FILE

START = date(2024, 1, 1)
SHOP_DAYS = 40
END = START + timedelta(days=SHOP_DAYS - 1)

# the pipeline's definitions with partitions from the test shop's first export day
defs = build_definitions(START)

RAW_TABLES = ("products", "orders", "reviews", "promotions", "inventory")
CLI = [sys.executable, "-m", "inventory_pipeline.cli"]


@pytest.fixture(scope="package")
def shop_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dozen SKUs over 40 days, with every kind of late, corrected and bad delivery."""
    root = tmp_path_factory.mktemp("reliability_shop")
    generate_shop(
        root / "landing",
        root / "truth",
        skus=12,
        days=SHOP_DAYS,
        start=START,
        seed=11,
        progress=False,
    )
    return root / "landing"


@dataclass(frozen=True)
class Reference:
    """The warehouse of one uninterrupted, sequential daily_data_job over the whole shop."""

    warehouse: Path
    digests: dict[str, str]  # partition path -> sha256, see partition_digests


@pytest.fixture(scope="package")
def reference(shop_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    warehouse = tmp_path_factory.mktemp("reference") / "warehouse"
    run_in_process("daily_data_job", START, END, shop_landing, warehouse)
    digests = partition_digests(warehouse)
    assert sum(k.startswith("raw/") for k in digests) == len(RAW_TABLES) * SHOP_DAYS
    assert any(k.startswith("features/daily_sku_demand/") for k in digests)
    return Reference(warehouse, digests)


def pipeline_env(landing: Path, warehouse: Path, dagster_home: Path) -> dict[str, str]:
    """Environment of a child process running the pipeline on ``landing`` into ``warehouse``."""
    env = dict(os.environ)
    env.update(
        INVENTORY_DATA_DIR=str(warehouse.parent),
        INVENTORY_LANDING_DIR=str(landing),
        INVENTORY_WAREHOUSE_DIR=str(warehouse),
        DAGSTER_HOME=str(dagster_home),
        MLFLOW_DISABLE_TELEMETRY="true",
        DAGSTER_DISABLE_TELEMETRY="true",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_in_process(job_name: str, start: date, end: date, landing: Path, warehouse: Path) -> None:
    """An uninterrupted run of ``job_name`` over start..end into ``warehouse`` (the reference)."""
    job = defs.resolve_job_def(job_name)
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance,
            resources={
                "landing": LandingZoneResource(path=str(landing)),
                "warehouse": WarehouseResource(path=str(warehouse)),
            },
            tags={
                ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
            },
        )
    assert result.success


def partition_digests(warehouse: Path) -> dict[str, str]:
    """sha256 of every partition file, by path relative to the warehouse root."""
    return {
        p.relative_to(warehouse).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(warehouse.rglob(PARTITION_FILE))
    }
