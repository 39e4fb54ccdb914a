"""Sample-shop profiles: each writes a valid landing zone and a settings file whose calendar is the
one the generator simulated; the default shop is unchanged; the profiles differ as documented."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
import yaml

from inventory_pipeline import contract as c
from inventory_pipeline.cli import main as cli_main
from inventory_pipeline.features.calendar import EventRule, shopping_events
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.sampleshop import PROFILES, ShopConfig, generate_shop, get_profile
from inventory_pipeline.sampleshop.demand import launch_curve
from inventory_pipeline.sampleshop.stats import shop_stats
from inventory_pipeline.warehouse import Warehouse

KEY = ["table_name", "export_date", "source_file", "row_number", "rule"]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RULE_FIELDS = {
    "fixed": {"month", "day"},
    "nth_weekday": {"month", "weekday", "nth"},
    "easter": set(),
}
CALENDAR_START, CALENDAR_DAYS = date(2024, 6, 1), 400  # every month once, New Year crossed

# Content digest of the default shop (12 SKUs x 60 days from 2024-11-01, seed 5): the default
# profile must keep producing exactly this shop (last changed when product types and sizes began
# to carry part of a product's level).
DEFAULT_LANDING_DIGEST = "6a1dcb715bdb31f3dba261c0d2d1bcaeb3269c2153dc0a0969fc850e4b3967f6"
DEFAULT_DAILY_DIGEST = "aa9f9ca1ba5f3261c81d48c81317e4d54b4a384ffb955739a1d9dad73826962f"


def _digest(root: Path) -> str:
    """Paths and contents of every file (Parquet by its rows, so writer metadata does not count)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        h.update(str(p.relative_to(root)).encode())
        if p.suffix == ".parquet" and "export-retry" not in p.name:  # not an injected bad file
            h.update(repr(pq.read_table(p).to_pydict()).encode())
        else:
            h.update(p.read_bytes())
    return h.hexdigest()


def _settings_events(doc: dict[str, Any]) -> tuple[EventRule, ...]:
    rules = []
    for e in doc["events"]:
        fields = {k: e[k] for k in ("month", "day", "nth", "length_days", "offset_days") if k in e}
        if "weekday" in e:
            fields["weekday"] = WEEKDAYS.index(e["weekday"])
        rules.append(EventRule(e["name"], e["rule"], **fields))
    return tuple(rules)


@pytest.fixture(scope="module")
def calendar_shops(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One tiny shop per profile over 400 days, so every event happens at least once."""
    roots = {}
    for name in PROFILES:
        root = tmp_path_factory.mktemp(name)
        generate_shop(
            root / "landing", root / "truth", skus=8, days=CALENDAR_DAYS, start=CALENDAR_START,
            seed=3, progress=False, profile=name,
        )  # fmt: skip
        roots[name] = root
    return roots


def test_default_profile_is_the_shop_from_before_profiles(tmp_path: Path) -> None:
    generate_shop(
        tmp_path / "landing", tmp_path / "truth", skus=12, days=60, start=date(2024, 11, 1),
        seed=5, progress=False, profile="default",
    )  # fmt: skip
    assert _digest(tmp_path / "landing") == DEFAULT_LANDING_DIGEST
    daily = pq.read_table(tmp_path / "truth" / "daily.parquet").to_pydict()
    assert hashlib.sha256(repr(daily).encode()).hexdigest() == DEFAULT_DAILY_DIGEST
    assert get_profile("default").config == ShopConfig()


@pytest.mark.parametrize("profile", sorted(set(PROFILES) - {"default"}))
def test_profile_landing_zone_ingests_rejecting_exactly_the_injected_faults(
    tmp_path: Path, profile: str
) -> None:
    generate_shop(
        tmp_path / "landing", tmp_path / "truth", skus=20, days=60, start=date(2024, 9, 20),
        seed=11, progress=False, profile=profile,
    )  # fmt: skip
    warehouse = Warehouse(tmp_path / "warehouse")
    for table in c.TABLES.values():
        stats = ingest_days(
            tmp_path / "landing", warehouse, table, landing_dates(tmp_path / "landing", table.name)
        )
        assert stats.rows_read == stats.rows_accepted + stats.rows_rejected > 0, table.name
    faults = pl.read_parquet(tmp_path / "truth" / "faults.parquet").select(KEY)
    rejects = (
        duckdb.connect()
        .sql(
            "SELECT table_name, export_date, source_file, row_number, rule FROM "
            f"read_parquet('{warehouse.glob('rejects', 2)}', hive_partitioning=true)"
        )
        .pl()
        .with_columns(pl.col("export_date").cast(pl.Date))
    )
    assert faults.height > 20
    assert faults.join(rejects, on=KEY, how="anti", nulls_equal=True).is_empty()
    assert rejects.join(faults, on=KEY, how="anti", nulls_equal=True).is_empty()


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_settings_file_has_the_documented_keys(
    calendar_shops: dict[str, Path], profile: str
) -> None:
    doc = yaml.safe_load((calendar_shops[profile] / "settings.yaml").read_text(encoding="utf-8"))
    assert set(doc) == {"shop", "events"}
    assert doc["shop"]["first_export_day"] == CALENDAR_START
    assert doc["shop"]["name"] == get_profile(profile).shop_name
    assert doc["shop"]["currency"] == "EUR"
    assert [e["name"] for e in doc["events"]] == [
        e.name for e in get_profile(profile).config.events
    ]
    for e in doc["events"]:
        assert (
            set(e)
            == {"name", "rule", "length_days", "offset_days", "direction"} | RULE_FIELDS[e["rule"]]
        ), e
        assert e["direction"] in ("up", "down", "unknown")
        assert e.get("weekday", "monday") in WEEKDAYS
    summary = json.loads((calendar_shops[profile] / "truth" / "summary.json").read_text())
    assert summary["arguments"]["profile"] == profile
    assert [e["name"] for e in summary["events"]] == [e["name"] for e in doc["events"]]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_truth_events_are_the_settings_events(
    calendar_shops: dict[str, Path], profile: str
) -> None:
    root = calendar_shops[profile]
    rules = _settings_events(yaml.safe_load((root / "settings.yaml").read_text(encoding="utf-8")))
    end = CALENDAR_START + timedelta(days=CALENDAR_DAYS - 1)
    expected: dict[date, str] = {}
    for day, name in shopping_events(CALENDAR_START, end, rules):
        expected.setdefault(day, name)  # the first listed event of a day wins
    truth = (
        pl.read_parquet(root / "truth" / "daily.parquet", columns=["date", "event"])
        .unique()
        .sort("date")
    )
    assert truth.height == CALENDAR_DAYS  # one event value per date
    got = {d: e for d, e in truth.iter_rows() if e is not None}
    assert got == expected
    assert set(got.values()) == {r.name for r in rules}  # every event happened


def test_events_lift_or_depress_sales_as_their_direction_says(
    calendar_shops: dict[str, Path],
) -> None:
    for profile, root in calendar_shops.items():
        doc = yaml.safe_load((root / "settings.yaml").read_text(encoding="utf-8"))
        lift = shop_stats(root / "truth")["event_lift"]
        for e in doc["events"]:
            if e["direction"] == "down":
                assert lift[e["name"]] < 0.9, (profile, e["name"], lift)
            elif e["direction"] == "up" and e["name"] != "valentines_day":  # one category only
                assert lift[e["name"]] > 1.1, (profile, e["name"], lift)
    downs = {
        p: {e["name"] for e in yaml.safe_load((r / "settings.yaml").read_text())["events"]
            if e["direction"] == "down"}
        for p, r in calendar_shops.items()
    }  # fmt: skip
    assert "august_holidays" in downs["regional"]
    assert "national_holiday_week" in downs["marketplace"]


def test_launch_shapes() -> None:
    age = np.arange(-2, 200)[None, :]
    tau = np.array([[30.0]])

    def curve(shape: str) -> np.ndarray:
        cfg = replace(ShopConfig(), launch_shape=shape, launch_spike_height=4.0)
        return launch_curve(cfg, age, tau)[0]

    exp, lin, spike = curve("exponential"), curve("linear"), curve("spike")
    before = age[0] <= 0
    for c_ in (exp, lin, spike):
        assert (c_[before] == 0).all()
    launch = int(np.flatnonzero(age[0] == 1)[0])
    assert spike[launch] == pytest.approx(4.0) and spike[-1] == pytest.approx(1.0, abs=0.01)
    assert np.all(np.diff(spike[launch:]) <= 0)  # decays from the spike
    assert lin[launch + 14] == pytest.approx(15 / 30) and lin[launch + 29] == 1.0
    assert exp[launch + 29] == pytest.approx(1 - np.exp(-1))
    with pytest.raises(ValueError, match="launch_shape 'steps' is unknown"):
        launch_curve(replace(ShopConfig(), launch_shape="steps"), age, tau)  # type: ignore[arg-type]


def test_profiles_differ_in_launches_lead_times_promotions_and_slow_movers(
    tmp_path: Path,
) -> None:
    stats = {}
    for name in PROFILES:
        generate_shop(
            tmp_path / name / "landing", tmp_path / name / "truth", skus=60, days=240,
            start=date(2024, 1, 1), seed=2, progress=False, profile=name,
        )  # fmt: skip
        stats[name] = shop_stats(tmp_path / name / "truth")
    d, r, m = stats["default"], stats["regional"], stats["marketplace"]
    assert m["launch_share"] > d["launch_share"] > r["launch_share"]
    assert m["launch_curve"]["day_1"] > 2.0  # a spike
    assert r["launch_curve"]["day_1"] < 0.2  # a ramp
    assert r["lead_time_days"]["median"] > d["lead_time_days"]["median"]
    assert m["lead_time_days"]["median"] < d["lead_time_days"]["median"]
    assert max(s["lead_time_days"]["max"] for s in stats.values()) <= 60
    assert r["promotions"]["discount_max_pct"] <= 30 < m["promotions"]["discount_max_pct"]
    assert m["promotions"]["lift_median"] > d["promotions"]["lift_median"]
    assert m["promotions"]["after_dip_median"] < 0.9
    assert m["zero_sales_day_share"] > d["zero_sales_day_share"]


def test_review_languages_follow_the_profile(calendar_shops: dict[str, Path]) -> None:
    bodies = (
        duckdb.connect()
        .sql(
            "SELECT body FROM read_csv("
            f"'{calendar_shops['regional'] / 'landing' / 'reviews'}/*/*.csv', all_varchar=true, "
            "ignore_errors=true, union_by_name=true)"
        )
        .pl()["body"]
        .drop_nulls()
    )
    italian = bodies.str.contains("qualità|Rotto|prezzo|Difettoso|niente di più|consiglio")
    assert italian.mean() > 0.3  # type: ignore[operator]


def test_cli_writes_a_profile_shop_and_its_settings(tmp_path: Path) -> None:
    args = ["sample-shop", "--out", str(tmp_path / "landing"), "--skus", "4", "--days", "10"]
    assert cli_main([*args, "--profile", "marketplace"]) == 0
    doc = yaml.safe_load((tmp_path / "settings.yaml").read_text(encoding="utf-8"))
    assert doc["shop"]["name"] == "Marketplace sample shop"
    summary = json.loads((tmp_path / "ground_truth" / "summary.json").read_text())
    assert summary["arguments"]["profile"] == "marketplace"
    with pytest.raises(FileExistsError, match="settings.yaml already exists"):
        generate_shop(tmp_path / "other", tmp_path / "other_truth", skus=2, days=3, progress=False)
    elsewhere = tmp_path / "conf" / "shop.yaml"
    assert cli_main([*args, "--overwrite", "--settings-out", str(elsewhere)]) == 0
    assert yaml.safe_load(elsewhere.read_text())["shop"]["name"] == "Sample shop"
    with pytest.raises(SystemExit) as refused:  # argparse lists the profiles, exit code 2
        cli_main([*args, "--overwrite", "--profile", "nope"])
    assert refused.value.code == 2
    with pytest.raises(ValueError, match="unknown sample-shop profile 'nope'"):
        get_profile("nope")


def test_event_lift_for_an_unknown_category_is_an_error(tmp_path: Path) -> None:
    config = get_profile("regional").config
    typo = replace(config.events[0], lifts={"garden/outdoor/bbqq": 0.7})
    with pytest.raises(ValueError, match="lifts unknown categories \\['garden/outdoor/bbqq'\\]"):
        generate_shop(
            tmp_path / "landing", tmp_path / "truth", skus=2, days=3, progress=False,
            config=replace(config, events=(typo, *config.events[1:])),
        )  # fmt: skip
