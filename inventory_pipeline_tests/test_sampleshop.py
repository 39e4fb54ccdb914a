"""Tests of the sample shop generator against the data contract and its own ground truth.

The landing zone is read back with an independent reader and validator written here from the
contract (not from the generator's code), so the tests catch a generator that disagrees with the
contract as well as one that disagrees with its ground truth.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from inventory_pipeline.sampleshop import ROW_RULES, ShopConfig, generate_shop, shopping_events

SHOP: dict[str, Any] = {"skus": 40, "days": 120, "start": date(2024, 10, 1), "seed": 3}
"""Covers Singles' Day, Black Friday and Christmas; long enough for launches, discontinuations."""

TABLES = ("orders", "reviews", "promotions", "products", "inventory")
REQUIRED: dict[str, dict[str, str]] = {  # column -> kind, from the contract
    "orders": {
        "order_id": "str",
        "line_no": "int",
        "sku": "str",
        "quantity": "int",
        "unit_price": "decimal",
        "ordered_at": "ts",
        "status": "str",
    },
    "reviews": {"review_id": "str", "sku": "str", "rating": "int", "created_at": "ts"},
    "promotions": {
        "promo_id": "str",
        "sku": "str",
        "start_date": "date",
        "end_date": "date",
        "discount_pct": "decimal",
        "promo_type": "str",
    },
    "products": {
        "sku": "str",
        "title": "str",
        "category": "str",
        "list_price": "decimal",
        "unit_cost": "decimal",
        "lead_time_days": "int",
        "moq": "int",
        "pack_size": "int",
        "launched_at": "date",
    },
    "inventory": {"snapshot_date": "date", "sku": "str", "on_hand": "int", "on_order": "int"},
}
OPTIONAL: dict[str, dict[str, str]] = {
    "orders": {"customer_id": "str"},
    "reviews": {"title": "str", "body": "str"},
    "promotions": {"name": "str"},
    "products": {"description": "str", "brand": "str", "discontinued_at": "date"},
    "inventory": {},
}
RANGES: dict[tuple[str, str], tuple[float | None, bool, float | None, bool]] = {
    # (low, low_inclusive, high, high_inclusive)
    ("orders", "line_no"): (1, True, None, False),
    ("orders", "quantity"): (0, False, None, False),
    ("orders", "unit_price"): (0, True, None, False),
    ("reviews", "rating"): (1, True, 5, True),
    ("promotions", "discount_pct"): (0, True, 100, False),
    ("products", "list_price"): (0, False, None, False),
    ("products", "unit_cost"): (0, True, None, False),
    ("products", "lead_time_days"): (0, True, None, False),
    ("products", "moq"): (1, True, None, False),
    ("products", "pack_size"): (1, True, None, False),
    ("inventory", "on_hand"): (0, True, None, False),
    ("inventory", "on_order"): (0, True, None, False),
}
INT_RE = re.compile(r"^[+-]?\d+$")
DEC_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SURROGATE_RE = re.compile("[\udc80-\udcff]")


# ----------------------------------------------------------------------------------------------
# an independent reader + validator of the landing zone
# ----------------------------------------------------------------------------------------------
@dataclass
class LandingRow:
    table: str
    export_date: date
    source_file: str
    row_number: int
    values: dict[str, Any]  # text (CSV) or typed (Parquet) values


@dataclass
class Landing:
    rows: dict[str, list[LandingRow]]
    broken_files: dict[str, str]  # relative path -> rule
    csv_files: list[str]
    parquet_files: list[str]


def read_landing(root: Path) -> Landing:
    rows: dict[str, list[LandingRow]] = {t: [] for t in TABLES}
    broken: dict[str, str] = {}
    csv_files: list[str] = []
    parquet_files: list[str] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        table, folder, _ = rel.split("/")
        export_date = date.fromisoformat(folder.removeprefix("date="))
        data = path.read_bytes()
        if not data:
            broken[rel] = "empty_file"
            continue
        if path.suffix == ".parquet":
            try:
                records = pq.read_table(path).to_pylist()
            except Exception:  # noqa: BLE001 - any failure to read means an unreadable file
                broken[rel] = "unreadable_file"
                continue
            parquet_files.append(rel)
        else:
            text = data.decode("utf-8", errors="surrogateescape")
            try:
                reader = csv.DictReader(io.StringIO(text, newline=""))
                records = list(reader)
                header = reader.fieldnames or []
            except csv.Error:
                broken[rel] = "unreadable_file"
                continue
            if not set(REQUIRED[table]) <= set(header):
                broken[rel] = "unreadable_file"
                continue
            csv_files.append(rel)
        for i, rec in enumerate(records, start=1):
            rows[table].append(LandingRow(table, export_date, rel, i, rec))
    return Landing(rows, broken, csv_files, parquet_files)


def _parse(kind: str, value: Any) -> tuple[Any, bool]:
    """(parsed value, ok) of one non-empty value."""
    if not isinstance(value, str):
        if kind == "ts" and isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None), True
        return value, True
    if kind == "int":
        return (int(value), True) if INT_RE.match(value) else (None, False)
    if kind == "decimal":
        return (float(value), True) if DEC_RE.match(value) else (None, False)
    if kind == "date":
        if not DATE_RE.match(value):
            return None, False
        try:
            return date.fromisoformat(value), True
        except ValueError:
            return None, False
    if kind == "ts":
        try:
            ts = datetime.fromisoformat(value)
        except ValueError:
            return None, False
        if ts.tzinfo is not None:
            ts = ts.astimezone(UTC).replace(tzinfo=None)
        return ts, True
    return value, True


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def violations(row: LandingRow, known_since: dict[str, date]) -> tuple[list[str], dict[str, Any]]:
    """All contract rules a row breaks, and its parsed values."""
    rules: list[str] = []
    parsed: dict[str, Any] = {}
    if any(isinstance(v, str) and SURROGATE_RE.search(v) for v in row.values.values()):
        rules.append("bad_encoding")
    spec = {**REQUIRED[row.table], **OPTIONAL[row.table]}
    for col, kind in spec.items():
        value = row.values.get(col)
        if _empty(value):
            if col in REQUIRED[row.table]:
                rules.append("missing_value")
            parsed[col] = None
            continue
        val, ok = _parse(kind, value)
        if not ok:
            rules.append(
                {
                    "int": "bad_int",
                    "decimal": "bad_decimal",
                    "date": "bad_date",
                    "ts": "bad_timestamp",
                }[kind]
            )
        parsed[col] = val
        bounds = RANGES.get((row.table, col))
        if ok and bounds is not None:
            lo, lo_inc, hi, hi_inc = bounds
            if (lo is not None and (val < lo or (val == lo and not lo_inc))) or (
                hi is not None and (val > hi or (val == hi and not hi_inc))
            ):
                rules.append("out_of_range")
    if row.table == "orders" and parsed.get("status") not in (None, "placed", "cancelled"):
        rules.append("bad_enum")
    start, end = parsed.get("start_date"), parsed.get("end_date")
    if row.table == "promotions" and start and end and end < start:
        rules.append("end_before_start")
    if row.table != "products" and parsed.get("sku"):
        since = known_since.get(parsed["sku"])
        if since is None or since > row.export_date:
            rules.append("unknown_sku")
    return rules, parsed


@dataclass
class Checked:
    landing: Landing
    valid: dict[str, list[tuple[LandingRow, dict[str, Any]]]]
    bad: list[tuple[LandingRow, list[str]]]


def check_landing(root: Path) -> Checked:
    landing = read_landing(root)
    known_since: dict[str, date] = {}
    valid: dict[str, list[tuple[LandingRow, dict[str, Any]]]] = {t: [] for t in TABLES}
    bad: list[tuple[LandingRow, list[str]]] = []
    for table in ("products", *[t for t in TABLES if t != "products"]):
        for row in landing.rows[table]:
            rules, parsed = violations(row, known_since)
            if rules:
                bad.append((row, rules))
                continue
            valid[table].append((row, parsed))
            if table == "products":
                sku = parsed["sku"]
                known_since[sku] = min(known_since.get(sku, row.export_date), row.export_date)
    return Checked(landing, valid, bad)


# ----------------------------------------------------------------------------------------------
# fixtures
# ----------------------------------------------------------------------------------------------
@dataclass
class Shop:
    out: Path
    truth: Path
    summary: Any
    checked: Checked
    daily: pl.DataFrame
    products: pl.DataFrame
    faults: pl.DataFrame


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    base = tmp_path_factory.mktemp("shop")
    out, truth = base / "landing", base / "truth"
    summary = generate_shop(out, truth, progress=False, **SHOP)
    return Shop(
        out=out,
        truth=truth,
        summary=summary,
        checked=check_landing(out),
        daily=pl.read_parquet(truth / "daily.parquet"),
        products=pl.read_parquet(truth / "products.parquet"),
        faults=pl.read_parquet(truth / "faults.parquet"),
    )


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ----------------------------------------------------------------------------------------------
# tests
# ----------------------------------------------------------------------------------------------
def test_same_arguments_give_identical_bytes(shop: Shop, tmp_path: Path) -> None:
    generate_shop(tmp_path / "landing", tmp_path / "truth", progress=False, **SHOP)
    assert _tree(tmp_path / "landing") == _tree(shop.out)
    assert _tree(tmp_path / "truth") == _tree(shop.truth)


def test_other_seed_gives_other_data(shop: Shop, tmp_path: Path) -> None:
    generate_shop(tmp_path / "landing", tmp_path / "truth", progress=False, **{**SHOP, "seed": 4})
    assert _tree(tmp_path / "truth")["daily.parquet"] != _tree(shop.truth)["daily.parquet"]


def test_chunking_keeps_memory_bounded_and_output_valid(tmp_path: Path) -> None:
    config = ShopConfig(chunk_size=7)
    generate_shop(tmp_path / "l", tmp_path / "t", skus=20, days=30, progress=False, config=config)
    chunks_per_day = [
        {f.name[:9] for f in day.iterdir()} for day in (tmp_path / "l" / "inventory").iterdir()
    ]
    assert any({"part-0000", "part-0001", "part-0002"} <= c for c in chunks_per_day)
    daily = pl.read_parquet(tmp_path / "t" / "daily.parquet")
    assert daily["sku"].n_unique() == 20
    assert daily.select(pl.struct("sku", "date").is_unique().all()).item()


def test_layout_follows_the_contract(shop: Shop) -> None:
    assert sorted(p.name for p in shop.out.iterdir()) == sorted(TABLES)
    folders = Counter()
    for table in TABLES:
        for day_dir in (shop.out / table).iterdir():
            assert re.fullmatch(r"date=\d{4}-\d{2}-\d{2}", day_dir.name)
            date.fromisoformat(day_dir.name[5:])
            files = list(day_dir.iterdir())
            assert files and all(f.suffix in (".csv", ".parquet") for f in files)
            folders[len(files) > 1] += 1
    assert folders[True] > 0, "some day folders must hold several files"
    landing = shop.checked.landing
    assert landing.csv_files and landing.parquet_files
    for rel in landing.parquet_files:
        table = rel.split("/")[0]
        assert set(REQUIRED[table]) <= set(pq.read_schema(shop.out / rel).names)
    for rel in landing.csv_files:
        header = next(
            csv.reader(
                io.StringIO((shop.out / rel).read_bytes().decode("utf-8", "surrogateescape"))
            )
        )
        table = rel.split("/")[0]
        assert set(REQUIRED[table]) <= set(header)
    assert not list(shop.out.rglob("*.json")) and not (shop.out / "daily.parquet").exists()


def test_csv_files_are_rfc4180_utf8_except_the_broken_ones(shop: Shop) -> None:
    encoding_files = set(
        shop.faults.filter(pl.col("rule") == "bad_encoding")["source_file"].to_list()
    )
    broken = set(shop.checked.landing.broken_files)
    quoted_newlines = 0
    for rel in shop.checked.landing.csv_files:
        data = (shop.out / rel).read_bytes()
        if rel in encoding_files:
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            continue
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        assert len({len(r) for r in rows}) == 1, rel
        quoted_newlines += sum(any("\n" in v for v in r) for r in rows)
    assert quoted_newlines > 0, "text with line breaks must be present (and quoted)"
    assert not broken & set(shop.checked.landing.csv_files)


def test_bad_rows_are_exactly_the_recorded_faults(shop: Shop) -> None:
    recorded = {
        (r["source_file"], r["row_number"], r["rule"]) for r in shop.faults.iter_rows(named=True)
    }
    found = set()
    for row, rules in shop.checked.bad:
        assert len(rules) == 1, f"{row.source_file} row {row.row_number} breaks {rules}"
        found.add((row.source_file, row.row_number, rules[0]))
    for rel, rule in shop.checked.landing.broken_files.items():
        found.add((rel, None, rule))
    assert found == recorded
    assert set(shop.faults["rule"]) == set(ROW_RULES) | {"empty_file", "unreadable_file"}
    assert shop.faults.filter(pl.col("row_number").is_not_null())["key"].null_count() == 0
    for r in shop.faults.filter(pl.col("row_number").is_not_null()).iter_rows(named=True):
        assert r["source_file"].startswith(
            f"{r['table_name']}/date={r['export_date'].isoformat()}/"
        )


def test_recorded_fault_keys_match_the_rows(shop: Shop) -> None:
    keys = {
        "orders": ("order_id", "line_no"),
        "reviews": ("review_id",),
        "promotions": ("promo_id",),
        "products": ("sku",),
        "inventory": ("sku", "snapshot_date"),
    }
    by_pos = {(row.source_file, row.row_number): row for row, _ in shop.checked.bad}
    for r in shop.faults.filter(pl.col("row_number").is_not_null()).iter_rows(named=True):
        row = by_pos[(r["source_file"], r["row_number"])]
        assert r["key"] == "|".join(str(row.values[c]) for c in keys[r["table_name"]])


def test_truth_sales_equal_the_contract_upsert_rules(shop: Shop) -> None:
    lines = pl.DataFrame(
        [
            {
                "order_id": p["order_id"],
                "line_no": p["line_no"],
                "sku": p["sku"],
                "quantity": p["quantity"],
                "status": p["status"],
                "day": p["ordered_at"].date(),
                "export_date": row.export_date,
                "source_file": row.source_file,
                "row_number": row.row_number,
            }
            for row, p in shop.checked.valid["orders"]
        ]
    )
    current = lines.sort("export_date", "source_file", "row_number").unique(
        subset=["order_id", "line_no"], keep="last", maintain_order=True
    )
    units = (
        current.filter(pl.col("status") == "placed")
        .group_by("sku", "day")
        .agg(pl.col("quantity").sum().alias("units"))
        .rename({"day": "date"})
    )
    joined = shop.daily.select("sku", "date", "sales").join(
        units, on=["sku", "date"], how="full", coalesce=True
    )
    assert joined["sales"].null_count() == 0, "sales on a day the SKU was not on sale"
    mismatch = joined.with_columns(pl.col("units").fill_null(0)).filter(
        pl.col("units") != pl.col("sales")
    )
    assert mismatch.is_empty(), mismatch.head()
    assert int(shop.daily["sales"].sum()) == shop.summary.units_sold > 0


def test_orders_carry_realistic_messiness(shop: Shop) -> None:
    rows = shop.checked.valid["orders"]
    versions: dict[tuple[str, int], list[tuple[date, int, str]]] = defaultdict(list)
    late = 0
    for row, p in rows:
        versions[(p["order_id"], p["line_no"])].append(
            (row.export_date, p["quantity"], p["status"])
        )
        late += row.export_date > p["ordered_at"].date()
    assert late > 0
    redelivered = [v for v in versions.values() if len(v) > 1]
    for v in redelivered:
        days = [d for d, _, _ in v]
        assert len(set(days)) == len(days), "two versions of a line in one day folder"
    assert any(sorted(v)[-1][2] == "cancelled" for v in redelivered)
    assert any(len({q for _, q, _ in v}) > 1 for v in redelivered), "a corrected quantity"
    assert any(len({(q, s) for _, q, s in v}) == 1 for v in redelivered), "an identical re-delivery"
    cancelled = sum(sorted(v)[-1][2] == "cancelled" for v in versions.values())
    assert 0.005 < cancelled / len(versions) < 0.06
    stamps = [r.values["ordered_at"] for r, _ in rows if isinstance(r.values["ordered_at"], str)]
    assert any(s.endswith("Z") for s in stamps)
    assert any(re.search(r"[+-]\d{2}:\d{2}$", s) for s in stamps)
    assert any(re.fullmatch(r"[\d\-T:.]+", s) for s in stamps)
    assert any(_empty(r.values.get("customer_id")) for r, _ in rows)
    for _, p in rows:
        assert p["quantity"] >= 1


def test_stockouts_are_real_and_censor_sales(shop: Shop) -> None:
    d = shop.daily
    assert d["stockout"].sum() > 0
    assert (d["sales"] <= d["true_demand"]).all()
    assert d.filter(pl.col("stockout") & (pl.col("true_demand") > pl.col("sales"))).height > 0
    assert (d["stockout"] == (d["on_hand"] == 0)).all()
    snapshots = {
        (p["sku"], p["snapshot_date"]): p["on_hand"] for _, p in shop.checked.valid["inventory"]
    }
    truth = {(r["sku"], r["date"]): r["on_hand"] for r in d.iter_rows(named=True)}
    assert snapshots == truth, "one inventory row per SKU and day on sale, equal to the truth"


def test_launches_discontinuations_and_catalog_order(shop: Shop) -> None:
    p = shop.products
    start = SHOP["start"]
    assert p.filter(pl.col("launched_at") > start).height > 0
    assert p.filter(pl.col("discontinued_at").is_not_null()).height > 0
    future = [
        (row, v) for row, v in shop.checked.valid["products"] if v["launched_at"] > row.export_date
    ]
    assert future, "new SKUs are announced before their launch"
    d = shop.daily.join(p.select("sku", "launched_at", "discontinued_at"), on="sku")
    assert (d["date"] >= d["launched_at"]).all()
    assert d.filter(
        pl.col("discontinued_at").is_not_null() & (pl.col("date") >= pl.col("discontinued_at"))
    ).is_empty()
    disc_rows = [v for _, v in shop.checked.valid["products"] if v["discontinued_at"] is not None]
    assert disc_rows


def test_promotions_are_announced_before_they_start(shop: Shop) -> None:
    rows = shop.checked.valid["promotions"]
    assert rows
    for row, p in rows:
        assert row.export_date < p["start_date"]
        assert 0 <= p["discount_pct"] < 100
        assert p["promo_type"] in ("discount", "flash_sale", "bundle", "free_shipping")
    by_id: dict[str, list[Any]] = defaultdict(list)
    for row, p in rows:
        by_id[p["promo_id"]].append(
            (row.export_date, p["start_date"], p["end_date"], p["discount_pct"])
        )
    replanned = [v for v in by_id.values() if len(v) > 1]
    assert replanned, "some promotions are re-planned"
    assert all(len({x[1:] for x in v}) > 1 for v in replanned)
    latest = {k: max(v) for k, v in by_id.items()}
    on_promo = shop.daily.filter(pl.col("on_promo"))
    assert on_promo.height > 0
    skus = {p["promo_id"]: p["sku"] for _, p in rows}
    truth = {(r["sku"], r["date"]): r["discount_pct"] for r in on_promo.iter_rows(named=True)}
    for promo_id, (_, s, e, pct) in latest.items():
        day = s
        while day <= e:
            if (skus[promo_id], day) in truth:
                assert truth[(skus[promo_id], day)] == pct
            day = date.fromordinal(day.toordinal() + 1)


def test_reviews_follow_quality_and_languages(shop: Shop) -> None:
    rows = shop.checked.valid["reviews"]
    assert rows
    bodies = " ".join(str(p["body"] or "") for _, p in rows)
    assert any(w in bodies for w in ("Sehr", "Très", "Muy", "Qualität", "calidad", "qualité"))
    q = dict(zip(shop.products["sku"], shop.products["quality"], strict=True))
    ratings = np.array([p["rating"] for _, p in rows])
    quality = np.array([q[p["sku"]] for _, p in rows])
    assert np.corrcoef(ratings, quality)[0, 1] > 0.2
    for row, p in rows:
        assert p["created_at"].date() <= row.export_date


def test_truth_tables_have_the_documented_columns(shop: Shop) -> None:
    assert shop.daily.columns[:10] == [
        "sku",
        "date",
        "expected_demand",
        "nb_dispersion",
        "true_demand",
        "sales",
        "stockout",
        "on_hand",
        "on_order",
        "on_promo",
    ]
    assert {"discount_pct", "event", "list_price"} <= set(shop.daily.columns)
    assert shop.daily.select(pl.struct("sku", "date").is_unique().all()).item()
    assert (shop.daily["expected_demand"] >= 0).all() and (shop.daily["nb_dispersion"] > 0).all()
    assert set(shop.daily["event"].drop_nulls()) >= {
        "singles_day",
        "black_friday",
        "christmas_run_up",
    }
    assert {
        "sku",
        "category",
        "tier",
        "quality",
        "launched_at",
        "discontinued_at",
        "incident_start",
        "segment",
    } <= set(shop.products.columns)
    assert shop.products.height == SHOP["skus"]
    assert set(shop.products["segment"]) >= {"intermittent", "slow"}
    summary = json.loads((shop.truth / "summary.json").read_text())
    assert summary["arguments"] == {
        "skus": 40,
        "days": 120,
        "start": "2024-10-01",
        "seed": 3,
        "profile": "default",
    }
    assert summary["summary"]["faults"] == dict(Counter(shop.faults["rule"].to_list()))


def test_shopping_event_dates() -> None:
    events = shopping_events(date(2024, 1, 1), date(2025, 12, 31))
    by_name: dict[str, list[date]] = defaultdict(list)
    for d, name in events:
        by_name[name].append(d)
    assert by_name["black_friday"] == [date(2024, 11, 29), date(2025, 11, 28)]
    assert by_name["cyber_monday"] == [date(2024, 12, 2), date(2025, 12, 1)]
    assert by_name["singles_day"] == [date(2024, 11, 11), date(2025, 11, 11)]
    assert by_name["valentines_day"] == [date(2024, 2, 14), date(2025, 2, 14)]
    assert date(2024, 12, 24) in by_name["christmas_run_up"]
    assert date(2024, 12, 25) not in by_name["christmas_run_up"]
    assert events == sorted(events, key=lambda e: e[0])


def test_refuses_to_overwrite_or_mix_truth_into_landing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="separate folder"):
        generate_shop(tmp_path / "l", tmp_path / "l" / "truth", skus=2, days=3, progress=False)
    generate_shop(tmp_path / "a", tmp_path / "b", skus=2, days=3, progress=False)
    with pytest.raises(FileExistsError):
        generate_shop(tmp_path / "a", tmp_path / "b", skus=2, days=3, progress=False)
    generate_shop(tmp_path / "a", tmp_path / "b", skus=2, days=3, progress=False, overwrite=True)


def test_product_type_and_size_carry_part_of_the_level(tmp_path: Path) -> None:
    """Within a category a product's type and size explain part of its level (as in real
    catalogs), and only the words change: the drawn levels are those of the same seed without
    the effects."""
    with_effects = ShopConfig()
    without = ShopConfig(type_level_sigma=0.0, size_level_sigma=0.0)
    tables = {}
    for name, config in (("with", with_effects), ("without", without)):
        generate_shop(
            tmp_path / name / "l", tmp_path / name / "t", skus=240, days=40, seed=5,
            progress=False, config=config, settings_out=tmp_path / name / "settings.yaml",
        )  # fmt: skip
        tables[name] = pl.read_parquet(tmp_path / name / "t" / "products.parquet")
    assert tables["with"]["base_level"].to_list() == tables["without"]["base_level"].to_list()
    unexplained = {
        name: float(
            t.select((pl.col("base_level").log() - pl.col("level_from_text").log()).std()).item()
        )
        for name, t in tables.items()
    }
    # level_sigma 0.95 without; sqrt(0.95^2 - 0.6^2 - 0.3^2) = 0.67 left to chance with
    assert unexplained["without"] > 0.85
    assert unexplained["with"] < 0.78


def test_type_and_size_effects_must_leave_room_for_chance(tmp_path: Path) -> None:
    config = ShopConfig(level_sigma=0.5, type_level_sigma=0.5)
    with pytest.raises(ValueError, match="type_level_sigma"):
        generate_shop(tmp_path / "l", tmp_path / "t", skus=5, days=10, progress=False,
                      config=config, settings_out=tmp_path / "settings.yaml")  # fmt: skip
