"""The sample shop's default calendar ends yesterday, so tonight's plan is the newest partition."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from inventory_pipeline.cli import landing_range
from inventory_pipeline.cli import main as cli_main
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.sampleshop.profiles import sample_shop_start


def test_sample_shop_start_is_days_before_today() -> None:
    assert sample_shop_start(745, date(2026, 12, 6)) == date(2024, 11, 21)
    assert sample_shop_start(1) == datetime.now(UTC).date() - timedelta(days=1)


def test_the_default_sample_shop_exports_end_the_day_before_today(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    args = ["sample-shop", "--out", str(landing), "--skus", "4", "--days", "10"]
    assert cli_main([*args, "--today", "2031-03-01"]) == 0
    assert landing_range(landing) == (date(2031, 2, 19), date(2031, 2, 28))
    # an explicit --start still wins
    assert cli_main([*args, "--start", "2024-01-01", "--overwrite"]) == 0
    assert landing_range(landing) == (date(2024, 1, 1), date(2024, 1, 10))


def test_with_todays_clock_the_newest_partition_is_yesterday(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    assert cli_main(["sample-shop", "--out", str(tmp_path / "landing"), "--skus", "4",
                     "--days", "10"]) == 0  # fmt: skip
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert landing_range(tmp_path / "landing")[1] == yesterday
    job = build_definitions().resolve_job_def("nightly_forecast_job")
    assert job.partitions_def.get_last_partition_key() == yesterday.isoformat()
