"""A shop whose exports start in 1990: partitions, ingest and backfill with no code change.

Through the command line's code path (``inventory-pipeline backfill``): the definitions are built
from the environment's shop, as the code location builds them when it loads.
"""

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from inventory_pipeline.cli import main
from inventory_pipeline.sampleshop import generate_shop

START = date(1990, 1, 1)
DAYS = 12


@pytest.fixture
def shop_1990(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny generated shop from 1990-01-01 under a data root the environment points at."""
    for name in ("INVENTORY_LANDING_DIR", "INVENTORY_WAREHOUSE_DIR", "INVENTORY_SETTINGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    generate_shop(
        tmp_path / "landing", tmp_path / "ground_truth", skus=5, days=DAYS, start=START, seed=3,
        progress=False,
    )  # fmt: skip
    (tmp_path / "settings.yaml").write_text(
        "events:\n  - {name: easter_closing, rule: easter, length_days: 2, direction: down}\n",
        encoding="utf-8",
    )
    return tmp_path


def test_backfill_outside_the_partitions_is_refused_before_anything_is_written(
    shop_1990: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as err:
        main(["backfill", "--start", "1989-12-30", "--end", "1990-01-05"])
    message = str(err.value)
    assert "--start 1989-12-30 is before the first export day 1990-01-01" in message
    assert "earliest day folder of the landing zone" in message
    assert "first_export_day: 1989-12-30" in message and str(shop_1990 / "settings.yaml") in message
    with pytest.raises(SystemExit, match="--end 2999-01-01 is not a partition yet"):
        main(["backfill", "--start", "1990-01-01", "--end", "2999-01-01"])
    assert sorted(p.name for p in shop_1990.iterdir()) == [
        "ground_truth",
        "landing",
        "settings.yaml",
    ]


def test_settings_first_export_day_moves_the_partitions(shop_1990: Path) -> None:
    (shop_1990 / "settings.yaml").write_text("shop:\n  first_export_day: 1990-01-03\n")
    with pytest.raises(
        SystemExit, match="before the first export day 1990-01-03 .shop.first_export_day"
    ):
        main(["backfill", "--start", "1990-01-02", "--end", "1990-01-05"])


def test_a_1990_shop_ingests_and_backfills(shop_1990: Path) -> None:
    end = date(1990, 1, DAYS)
    assert main(["backfill", "--in-process", "--start", str(START), "--end", str(end)]) == 0
    warehouse = shop_1990 / "warehouse"
    exported = sorted(p.name for p in (warehouse / "raw" / "orders").iterdir())
    assert exported[0] == "export_date=1990-01-01" and exported[-1] == f"export_date={end}"
    demand = pl.read_parquet(warehouse / "features" / "daily_sku_demand" / "*" / "data.parquet")
    assert demand["date"].min() == START and demand["date"].max() <= end
    assert demand["units"].sum() > 0
    calendar = pl.read_parquet(warehouse / "features" / "calendar" / "*" / "data.parquet")
    assert calendar.filter("event_easter_closing")["date"].to_list() == [
        date(1989, 3, 26), date(1989, 3, 27), date(1990, 4, 15), date(1990, 4, 16),
        date(1991, 3, 31), date(1991, 4, 1),
    ]  # fmt: skip
