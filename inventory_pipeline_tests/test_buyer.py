"""The buyer's view of a plan on hand-computed cases: arrival, cover after arrival, stockout
risk."""

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from inventory_pipeline.buyer import order_sheet, stockout_risk, write_sheets

LEVELS = (0.1, 0.5, 0.9)
DAY = date(2025, 3, 1)


def _plan(**overrides: list) -> pl.DataFrame:
    values = {
        "plan_date": [DAY, DAY, DAY],
        "sku": ["A", "B", "C"],
        "on_hand": [4, 50, 0],
        "on_order": [0, 0, 0],
        "lead_time_days": [5, 5, 5],
        "order_qty": [24, 0, 1],
        "pack_size": [12, 1, 1],
        "order_value": [96.004, 0.0, 120.0],
        "reason": ["Order 24 (2 packs of 12) ...", "No order: ...", "Order 1 ..."],
    }
    values.update(overrides)
    return pl.DataFrame(values)


def _cumulative() -> np.ndarray:
    """2 units a day median (p10 1, p90 3) for every SKU over a 10-day horizon: (3, 10, 3)."""
    days = np.arange(1, 11, dtype=float)[None, :, None]
    return np.repeat(days * np.array([1.0, 2.0, 3.0])[None, None, :], 3, axis=0)


def test_stockout_risk_reads_the_cdf_of_demand_until_arrival() -> None:
    # demand over the lead time: p10 5, p50 10, p90 15
    quantiles = np.array([[5.0, 10.0, 15.0]] * 3)
    risk = stockout_risk(np.array(LEVELS), quantiles, np.array([10.0, 12.5, 40.0]))
    assert risk == pytest.approx([0.5, 0.3, 0.1])  # clamped at 1 - the top level


def test_order_sheet_has_every_order_with_arrival_cover_and_risk() -> None:
    sheet = order_sheet(_plan(), {"A": "Skillet", "C": "Chess set"}, LEVELS, _cumulative(),
                        ["A", "B", "C"], "SEK")  # fmt: skip
    assert sheet["sku"].to_list() == ["C", "A"]  # orders only, largest value first
    a = sheet.row(1, named=True)
    assert a["title"] == "Skillet" and a["packs"] == 2 and a["currency"] == "SEK"
    assert a["order_value"] == 96.0
    assert a["expected_arrival"] == date(2025, 3, 6)
    # median demand until arrival 10 > 4 on hand: nothing left; 24 units at 2 a day = 12 days
    assert a["days_of_cover_after_arrival"] == 12.0
    # P(demand over 5 days > 4) with p10 = 5: at least 0.9
    assert a["stockout_risk_before_arrival"] == 0.9


def test_sheets_are_written_as_csv_and_xlsx(tmp_path: Path) -> None:
    sheet = order_sheet(_plan(), {}, LEVELS, _cumulative(), ["A", "B", "C"], "EUR")
    csv, xlsx = write_sheets(sheet, tmp_path / "outbox", DAY)
    assert csv.name == "reorder_plan_2025-03-01.csv" and xlsx.suffix == ".xlsx"
    assert pl.read_csv(csv)["sku"].to_list() == ["C", "A"]
    assert xlsx.read_bytes()[:2] == b"PK"
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == [csv.name, xlsx.name]
