"""features_as_of: exactly what was known on the day, and nothing exported later."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import polars as pl
import pytest

from inventory_pipeline.features import FeatureSet, build_all, features_as_of, update_all
from inventory_pipeline.features.as_of import read_exports_for_range
from inventory_pipeline.features.catalog import FEATURE_TABLES
from inventory_pipeline.features.sources import read_known_exports
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.features.shop import (
    LAST_DAY,
    line,
    partition_bytes,
    product,
    promo,
    reference_units,
    review,
    snap,
    tiny_shop,
    write_export,
    write_shop,
)

D = date.fromisoformat
AS_OF = D("2024-03-04")


def serialised(features: FeatureSet) -> dict[str, bytes]:
    out = {}
    for name, frame in features.frames().items():
        buffer = io.BytesIO()
        frame.write_ipc(buffer)
        out[name] = buffer.getvalue()
    return out


def later_exports(warehouse: Warehouse) -> None:
    """Data exported after AS_OF that rewrites the past: every kind of leak in one go."""
    write_export(
        warehouse,
        D("2024-03-11"),
        {
            "orders": [
                line(
                    "o1", 2, "A", 7, "2024-03-01T10:00:00"
                ),  # correction of a line placed before D
                line(
                    "o7", 1, "A", 3, "2024-03-03T12:00:00"
                ),  # a line placed before D, exported late
                line("o8", 1, "C", 1, "2024-03-11T08:00:00"),
            ],
            "inventory": [snap("2024-03-02", "A", 0)],  # re-delivered snapshot of a day before D
            "promotions": [promo("P3", "A", "2024-03-05", "2024-03-06", 40.0, "bundle")],
            "reviews": [
                review("R9", "A", 1, "2024-03-01T08:00:00", "created before D, exported late")
            ],
            "products": [
                product("A", list_price=99.0, title="Renamed"),
                product("F", launched_at=D("2024-03-01")),
            ],
        },
    )


def test_data_exported_after_the_day_leaves_every_feature_unchanged(shop: Warehouse) -> None:
    before = serialised(features_as_of(shop, AS_OF, history_days=10, horizon=14))
    build_all(shop)
    stored = partition_bytes(shop, FEATURE_TABLES)
    later_exports(shop)
    update_all(shop, D("2024-03-11"))
    after = serialised(features_as_of(shop, AS_OF, history_days=10, horizon=14))
    assert after == before
    # Stored per-day partitions up to D are untouched too.
    for path, content in stored.items():
        if "known_on=" in path or "date=" in path or "valid_from=" in path:
            day = D(path.split("=")[1].split("/")[0])
            if day <= AS_OF:
                assert (shop.root / path).read_bytes() == content, path


def test_history_is_as_known_on_the_day(shop: Warehouse) -> None:
    features = features_as_of(shop, AS_OF, skus=["A", "B"], history_days=7, horizon=5)
    history = features.history
    got = {(s, d): u for s, d, u in history.select("sku", "date", "units").iter_rows() if u}
    assert got == reference_units(tiny_shop(), known_on=AS_OF)
    # Before the corrections: o1/1 still 2 units, o2/1 not yet cancelled, o5 not yet exported.
    assert got == {("A", D("2024-03-01")): 3, ("A", D("2024-03-02")): 3, ("B", D("2024-03-04")): 2}
    assert history.height == 2 * 7 and history["date"].min() == D("2024-02-27")
    a = history.filter(sku="A")
    assert a.filter("stockout")["date"].to_list() == [D("2024-03-03")]
    # Before the first export nothing was observed (A was on sale, but no data exists); 03-03 is
    # a stockout (censored).
    assert a.filter(~pl.col("observed"))["date"].to_list() == [
        D("2024-02-27"),
        D("2024-02-28"),
        D("2024-02-29"),
        D("2024-03-03"),
    ]
    assert a.filter("on_sale")["date"].min() == D("2024-02-28")


def test_known_future_plans_and_cold_start(shop: Warehouse) -> None:
    features = features_as_of(shop, AS_OF, skus=["A", "C", "nope"], history_days=3, horizon=12)
    assert features.unknown_skus == ("nope",)
    assert features.skus == ["A", "C"]
    plan = features.future.filter(sku="A", discount_pct=10.0)["date"].to_list()
    assert plan == [D("2024-03-05"), D("2024-03-06"), D("2024-03-07")]  # the replan came on 03-06
    c_on_sale = features.future.filter(sku="C", on_sale=True)["date"].to_list()
    assert c_on_sale[0] == D("2024-03-14")  # launches inside the horizon
    static = features.static.filter(sku="C").row(0, named=True)
    assert static["launched"] is False and static["price_tier"] == "premium"
    assert features.calendar["date"].to_list()[-1] == D("2024-03-16")

    later = features_as_of(shop, D("2024-03-08"), skus=["A", "B"], history_days=5, horizon=3)
    a_plan = dict(later.future.filter(sku="A").select("date", "discount_pct").iter_rows())
    assert a_plan[D("2024-03-09")] == 30.0  # P2 (announced 03-08) wins over P1's replan
    realised = dict(later.history.filter(sku="A").select("date", "discount_pct").iter_rows())
    assert realised[D("2024-03-05")] == 10.0  # in force on 03-05 as known that day
    assert realised[D("2024-03-06")] == 20.0
    assert later.static.filter(sku="B")["discontinued"].to_list() == [True]


def test_reviews_and_docs_as_of(shop: Warehouse) -> None:
    early = features_as_of(shop, AS_OF, skus=["A"], history_days=1, horizon=1)
    assert early.reviews.row(0, named=True)["reviews_total"] == 1  # R2 was exported on 03-05
    late = features_as_of(shop, D("2024-03-07"), skus=["A", "E"], history_days=1, horizon=1)
    a = late.reviews.filter(sku="A").row(0, named=True)
    assert (a["reviews_total"], a["mean_rating_total"], a["negative_share_total"]) == (2, 3.5, 0.5)
    assert a["days_since_last_review"] == 4
    doc = late.docs.filter(sku="A").row(0, named=True)
    assert "Broke; refunded" in doc["text"] and "Price tier:" in doc["text"]
    assert doc["text_sha256"] == hashlib.sha256(doc["text"].encode()).hexdigest()
    assert "Brand: unbranded" in late.docs.filter(sku="E")["text"][0]


def test_errors_are_actionable(warehouse: Warehouse) -> None:
    with pytest.raises(FileNotFoundError, match="ingest"):
        build_all(warehouse)
    with pytest.raises(ValueError, match="history_days"):
        features_as_of(warehouse, LAST_DAY, history_days=-1)


def test_subset_of_skus_sees_corrections_that_move_a_line_or_plan(warehouse: Warehouse) -> None:
    """Reading a few SKUs prunes raw rows by SKU; a correction moving a key to another SKU must
    still retire its old version."""
    exports = tiny_shop()
    exports[D("2024-03-02")]["orders"].append(line("o6", 1, "B", 4, "2024-03-02T09:00:00"))
    exports[D("2024-03-03")]["orders"] = [line("o6", 1, "A", 4, "2024-03-02T09:00:00")]
    exports[D("2024-03-02")]["promotions"].append(
        promo("P6", "B", "2024-03-05", "2024-03-06", 15.0)
    )
    exports[D("2024-03-03")]["promotions"] = [promo("P6", "A", "2024-03-07", "2024-03-08", 15.0)]
    write_shop(warehouse, exports)
    only_b = features_as_of(warehouse, AS_OF, skus=["B"], history_days=4, horizon=5)
    assert only_b.history["units"].sum() == 2  # o4 only; o6 moved to A
    assert only_b.future["discount_pct"].sum() == 0.0  # P6 moved to A
    both = features_as_of(warehouse, AS_OF, skus=["A", "B"], history_days=4, horizon=5)
    assert both.history.filter(sku="B").equals(only_b.history)
    assert both.history.filter(sku="A", date=D("2024-03-02"))["units"].to_list() == [3 + 4]


def test_exports_read_once_for_a_range_give_each_days_features(shop: Warehouse) -> None:
    """A backfill reads the small exports once up to its last day; each day's features from them
    are byte for byte the ones read from that day's export partitions (nothing exported later
    leaks in: later_exports rewrites the past after AS_OF)."""
    later_exports(shop)
    days = [D("2024-03-01"), AS_OF, D("2024-03-07"), D("2024-03-11")]
    exports = read_exports_for_range(shop, max(days))
    assert {t: exports.rows[t].num_rows > 0 for t in exports.rows} == {
        "products": True,
        "promotions": True,
        "reviews": True,
    }
    for day in days:
        alone = serialised(features_as_of(shop, day, history_days=10, horizon=14))
        ranged = serialised(features_as_of(shop, day, history_days=10, horizon=14, exports=exports))
        assert ranged == alone, day
        subset = {"skus": ["A", "F"], "history_days": 5, "horizon": 3}
        assert serialised(features_as_of(shop, day, **subset, exports=exports)) == serialised(
            features_as_of(shop, day, **subset)
        )
    before_first = D("2024-02-20")  # no export yet: read like any other day (empty, typed)
    assert serialised(
        features_as_of(shop, before_first, history_days=3, horizon=2, exports=exports)
    ) == serialised(features_as_of(shop, before_first, history_days=3, horizon=2))


def test_exports_read_ahead_refuse_what_they_cannot_serve(shop: Warehouse) -> None:
    exports = read_exports_for_range(shop, AS_OF)
    with pytest.raises(ValueError, match="read_known_exports"):
        exports.up_to("products", D("2024-03-05"))
    with pytest.raises(ValueError, match="'orders'"):
        read_known_exports(shop, AS_OF, ["products", "orders"])
