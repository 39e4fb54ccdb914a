"""All feature tables: nightly updates equal a full rebuild, re-runs are byte-identical, parallel
processes do not trip over DuckDB locks, and the catalog exposes every table."""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from inventory_pipeline.features import build_all, read_product_docs, update_all, update_table
from inventory_pipeline.features.catalog import FEATURE_TABLES
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.features.shop import (
    partition_bytes,
    read_table,
    tiny_shop,
    write_export,
    write_shop,
)

D = date.fromisoformat


def test_nightly_updates_equal_full_rebuild_for_every_table(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    exports = tiny_shop()
    for day in sorted(exports):
        write_export(warehouse, day, exports[day])
        update_all(warehouse, day)
    full = Warehouse(tmp_path / "full")
    write_shop(full, exports)
    build_all(full)
    assert partition_bytes(warehouse, FEATURE_TABLES) == partition_bytes(full, FEATURE_TABLES)


def test_reloaded_old_export_rewrites_only_later_days(shop: Warehouse) -> None:
    build_all(shop)
    before = partition_bytes(shop, ["promo_calendar"])
    update = update_table(shop, "promo_calendar", D("2024-03-08"))
    assert update.first_date == D("2024-03-08") and update.last_date == D("2024-03-10")
    assert set(update.written) <= {"2024-03-08", "2024-03-09", "2024-03-10"}
    assert partition_bytes(shop, ["promo_calendar"]) == before


def test_full_rebuild_rerun_is_byte_identical(shop: Warehouse) -> None:
    build_all(shop)
    first = partition_bytes(shop, FEATURE_TABLES)
    build_all(shop)
    assert partition_bytes(shop, FEATURE_TABLES) == first


def test_promo_calendar_and_review_signals_by_known_day(shop: Warehouse) -> None:
    build_all(shop)
    promos = pl.from_arrow(read_table(shop, "promo_calendar"))
    assert isinstance(promos, pl.DataFrame)
    on_0305 = promos.filter(known_on=D("2024-03-05"))
    assert on_0305.select("date", "discount_pct").rows() == [
        (D("2024-03-05"), 10.0),
        (D("2024-03-06"), 10.0),
        (D("2024-03-07"), 10.0),
    ]
    on_0308 = dict(
        promos.filter(known_on=D("2024-03-08")).select("date", "discount_pct").iter_rows()
    )
    assert on_0308 == {D("2024-03-08"): 20.0, D("2024-03-09"): 30.0}
    signals = pl.from_arrow(read_table(shop, "review_signals"))
    assert isinstance(signals, pl.DataFrame)
    totals = dict(signals.filter(sku="A").select("date", "reviews_total").iter_rows())
    assert totals[D("2024-03-04")] == 1 and totals[D("2024-03-05")] == 2


def test_product_docs_change_log(shop: Warehouse) -> None:
    build_all(shop)
    docs = pl.from_arrow(read_table(shop, "product_docs"))
    assert isinstance(docs, pl.DataFrame)
    # Day one: every SKU; then only changes (new review on 03-02, 03-05, edit + price on 03-07).
    assert sorted(docs.filter(valid_from=D("2024-03-01"))["sku"]) == ["A", "B", "C", "E"]
    assert docs.filter(pl.col("valid_from") > D("2024-03-01"))["sku"].unique().to_list() == ["A"]
    as_of = read_product_docs(shop, D("2024-03-06"))
    assert as_of.filter(sku="A")["valid_from"].to_list() == [D("2024-03-05")]


def test_catalog_views(shop: Warehouse) -> None:
    build_all(shop)
    con = duckdb.connect(str(shop.catalog_path), read_only=True)
    try:
        units = con.sql("SELECT sum(units) FROM daily_sku_demand").fetchall()[0][0]
        lines = con.sql("SELECT count(*) FROM orders_current WHERE status = 'placed'").fetchall()[
            0
        ][0]
        views = {
            r[0]
            for r in con.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        }
    finally:
        con.close()
    assert units == 13 and lines == 5
    assert set(FEATURE_TABLES) | {"orders_current", "raw_orders"} <= views


def _update_in_process(root: str, day: str) -> None:
    update_all(Warehouse(Path(root)), D(day))


def test_parallel_processes_do_not_fail_on_duckdb_locks(shop: Warehouse) -> None:
    build_all(shop)
    expected = partition_bytes(shop, FEATURE_TABLES)
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_update_in_process, args=(str(shop.root), day))
        for day in ("2024-03-09", "2024-03-10", "2024-03-07", "2024-03-08")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert partition_bytes(shop, FEATURE_TABLES) == expected
