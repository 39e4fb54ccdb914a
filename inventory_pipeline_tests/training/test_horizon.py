"""The horizon a retraining run chooses: the catalog's longest lead time + review, as known then.

A real landing zone is ingested into a real warehouse; the catalog changes between export days
(a slow supplier's product is discontinued), and the run's horizon follows what the catalog said
on the run's last export day.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from inventory_pipeline import contract as c
from inventory_pipeline.features.sources import longest_lead_time_days
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.settings import ShopSettings
from inventory_pipeline.training.config import TrainingConfig
from inventory_pipeline.training.plan import plan_origins
from inventory_pipeline.training.retrain import run_horizon
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.conftest import PRODUCTS_HEADER, WriteFile, product_row

AUTO = ShopSettings(horizon_days=None)  # forecast.horizon_days: auto


def _warehouse(landing: Path, root: Path) -> Warehouse:
    warehouse = Warehouse(root / "warehouse")
    ingest_days(landing, warehouse, c.PRODUCTS, landing_dates(landing, "products"))
    return warehouse


def test_the_horizon_covers_the_longest_lead_time_the_catalog_knew(
    write_file: WriteFile, landing: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = product_row("A1", lead_time_days="7")  # two years of exports: room for any horizon
    write_file("products", "2022-01-01", "products.csv", "\n".join([PRODUCTS_HEADER, first]))
    rows = [product_row("A1", lead_time_days="7"), product_row("B2", lead_time_days="58")]
    write_file("products", "2024-03-01", "products.csv", "\n".join([PRODUCTS_HEADER, *rows]))
    ended = product_row("B2", lead_time_days="58", discontinued_at="2024-03-04")
    write_file("products", "2024-03-05", "products.csv", "\n".join([PRODUCTS_HEADER, ended]))
    warehouse = _warehouse(landing, tmp_path)

    assert longest_lead_time_days(warehouse, date(2024, 3, 1)) == 58
    assert longest_lead_time_days(warehouse, date(2024, 3, 4)) == 58  # the end not exported yet
    assert longest_lead_time_days(warehouse) == 7  # the latest export (03-05) knows it ended

    log = logging.getLogger("horizon-test")
    with caplog.at_level(logging.INFO, logger="horizon-test"):
        assert run_horizon(warehouse, AUTO, date(2024, 3, 1), log) == 63  # 58 + 1 -> 9 w
    assert "horizon 63 days (forecast.horizon_days: auto): longest lead time 58 days" in caplog.text
    assert run_horizon(warehouse, AUTO, None) == 28  # 7 + 1: the floor
    weekly = ShopSettings(horizon_days=None, review_period_days=7, lead_time_range=(1.0, 1.2))
    assert run_horizon(warehouse, weekly, date(2024, 3, 1)) == 77  # 58 x 1.2 + 7 = 76.6 -> 11 w


def test_a_stated_horizon_wins_and_a_short_one_is_warned_about(
    write_file: WriteFile, landing: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [product_row("A1", lead_time_days="120")]
    for day in ("2022-01-01", "2024-03-01"):
        write_file("products", day, "products.csv", "\n".join([PRODUCTS_HEADER, *rows]))
    warehouse = _warehouse(landing, tmp_path)
    assert run_horizon(warehouse, ShopSettings(horizon_days=42), None) == 42
    log = logging.getLogger("horizon-test")
    with caplog.at_level(logging.INFO, logger="horizon-test"):
        assert run_horizon(warehouse, AUTO, None, log) == 91  # capped at 13 weeks
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warning) == 1 and "longest cover (121 days) is beyond the 91-day" in warning[0].msg


def test_a_short_history_trains_the_longest_horizon_its_days_allow(
    write_file: WriteFile, landing: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [product_row("A1", lead_time_days="60")]
    for day in ("2024-01-01", "2024-10-26"):  # 300 exported days: too few for 63 days
        write_file("products", day, "products.csv", "\n".join([PRODUCTS_HEADER, *rows]))
    warehouse = _warehouse(landing, tmp_path)
    log = logging.getLogger("horizon-test")
    with caplog.at_level(logging.INFO, logger="horizon-test"):
        horizon = run_horizon(warehouse, AUTO, None, log)
    assert 28 < horizon < 63 and horizon % 7 == 0
    plan_origins(warehouse, TrainingConfig(), horizon)  # this one plans
    with pytest.raises(ValueError, match="leave no training origin"):
        plan_origins(warehouse, TrainingConfig(), horizon + 7)  # a week longer does not
    assert "too few for a 63-day horizon" in caplog.text and f"with {horizon} days" in caplog.text
