"""Category seasonality from last year, over the whole catalog, as known on D."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from inventory_pipeline.features import features_as_of
from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.features.season import category_season, season_window
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.features.shop import line, tiny_shop, write_shop

D = date.fromisoformat
CONFIG = FeatureConfig(season_lag_days=14, season_smooth_days=3, season_recent_days=4)
EPS = CONFIG.season_level_epsilon


def daily(rows: dict[str, list[tuple[int, int]]], first: date) -> pl.DataFrame:
    """{category: [(skus_on_sale, units) per day from first]} -> the SQL's frame."""
    out = [
        (category, first + timedelta(days=i), skus, units)
        for category, days in rows.items()
        for i, (skus, units) in enumerate(days)
    ]
    return pl.DataFrame(out, schema=["category", "date", "skus_on_sale", "units"], orient="row")


def test_index_is_last_years_smoothed_level_against_the_recent_one() -> None:
    as_of, horizon = D("2024-03-20"), 2
    first, last = season_window(as_of, CONFIG)
    assert first == as_of + timedelta(days=1 - 14 - 1) and last == as_of  # 14 lag, 3 centred
    n = (last - first).days + 1  # 15 days: 03-06 .. 03-20
    # "deco": 2 products; "a year ago" (lag 14 here) 03-06..03-08 sold 6 a day, then nothing;
    # the recent 4 days sell 1 a day. "new": no products on sale in the lagged days.
    deco = [(2, 6)] * 3 + [(2, 0)] * (n - 7) + [(2, 1)] * 4
    new = [(0, 0)] * (n - 4) + [(1, 2)] * 4
    frame = daily({"deco": deco, "new": new}, first)
    future, static = category_season(frame, as_of, horizon, CONFIG)
    d = future.filter(category="deco").sort("date")
    # D+1 - 14 = 03-07: centred days 03-06..03-08 -> 18 units over 6 product days
    recent = math.log(0.5 + EPS)  # 4 units over 8 product days
    assert d["category_season_log"][0] == pytest.approx(math.log(3 + EPS) - recent)
    # D+2 - 14 = 03-08: 03-07..03-09 -> 12 units over 6 product days
    assert d["category_season_log"][1] == pytest.approx(math.log(2 + EPS) - recent)
    assert d["category_season_known"].to_list() == [1.0, 1.0]
    levels = dict(static.iter_rows())
    assert levels["deco"] == pytest.approx(math.log(0.5 + EPS))
    assert levels["new"] == pytest.approx(math.log(2 + EPS))
    # no products on sale a year ago: unknown, index 0
    nw = future.filter(category="new")
    assert nw["category_season_known"].to_list() == [0.0, 0.0]
    assert nw["category_season_log"].to_list() == [0.0, 0.0]


def test_features_as_of_gives_every_sku_its_categorys_index_whatever_it_is_read_with(
    shop: Warehouse,
) -> None:
    config = FeatureConfig(season_lag_days=3, season_smooth_days=1, season_recent_days=2)
    as_of = D("2024-03-06")
    full = features_as_of(shop, as_of, history_days=3, horizon=4, config=config)
    alone = features_as_of(shop, as_of, skus=["C"], history_days=3, horizon=4, config=config)
    columns = ["sku", "date", "category_season_log", "category_season_known"]
    assert alone.future.select(columns).equals(full.future.filter(sku="C").select(columns))
    a = full.future.filter(sku="A").sort("date")
    c = full.future.filter(sku="C").sort("date")
    assert a.select(columns[1:]).equals(c.select(columns[1:]))  # same category, same index
    # As known on 03-06, home/kitchen (A, B) sold 5 + 1 + ... : check one day by hand.
    # recent 03-05..03-06: A on sale both days, B both days (discontinued 03-08): 4 product days,
    # units 0. D+1 - 3 = 03-04: A and B on sale, o4 (B, 2) and o5 (A, 1) -> 3 units / 2.
    recent = math.log(0 / 4 + config.season_level_epsilon)
    assert a["category_season_log"][0] == pytest.approx(
        math.log(3 / 2 + config.season_level_epsilon) - recent
    )
    # D+4 - 3 = 03-07 lies after the as-of day: not known yet
    assert a["category_season_known"].to_list() == [1.0, 1.0, 1.0, 0.0]
    assert full.static.filter(sku="A")["category_recent_log"][0] == pytest.approx(recent)


def test_a_correction_that_moves_a_line_out_of_the_read_days_takes_it_out(
    warehouse: Warehouse,
) -> None:
    """The index reads only last year's days and the recent ones, yet every version of a line."""
    exports = tiny_shop()
    exports[D("2024-03-08")]["orders"] = [line("o7", 1, "A", 6, "2024-03-08T12:00:00")]
    # re-delivered with its date corrected to 03-03, outside the days read as of 03-09
    exports[D("2024-03-09")]["orders"].append(line("o7", 1, "A", 6, "2024-03-03T12:00:00"))
    write_shop(warehouse, exports)
    config = FeatureConfig(season_lag_days=3, season_smooth_days=1, season_recent_days=2)

    def recent_level(as_of: date) -> float:
        features = features_as_of(warehouse, as_of, history_days=3, horizon=1, config=config)
        return float(features.static.filter(sku="A")["category_recent_log"][0])

    # as of 03-08: recent days 03-07..03-08, A on sale both, B on 03-07 only: 6 units / 3
    assert recent_level(D("2024-03-08")) == pytest.approx(
        math.log(6 / 3 + config.season_level_epsilon)
    )
    # as of 03-09: 03-08..03-09, A only: the line now belongs to 03-03, so 0 units / 2
    assert recent_level(D("2024-03-09")) == pytest.approx(
        math.log(0 / 2 + config.season_level_epsilon)
    )


def test_a_product_without_category_reads_the_shop_level(warehouse: Warehouse) -> None:
    """E has no category: its level is the whole catalog's, A keeps its category's."""
    exports = tiny_shop()
    first = min(exports)
    exports[first]["products"] = [
        {**row, "category": None} if row["sku"] == "E" else row
        for row in exports[first]["products"]
    ]
    write_shop(warehouse, exports)
    config = FeatureConfig(season_lag_days=3, season_smooth_days=1, season_recent_days=2)
    features = features_as_of(warehouse, D("2024-03-09"), history_days=3, horizon=2, config=config)
    levels = dict(features.static.select("sku", "category_recent_log").iter_rows())
    # recent days 03-08..03-09: on sale A and E both days (B discontinued 03-08, C launches
    # 03-14): 4 product days; E's 4 units on 03-09. home/kitchen: A alone, 0 units in 2 days.
    assert levels["E"] == pytest.approx(math.log(4 / 4 + config.season_level_epsilon))
    assert levels["A"] == pytest.approx(math.log(0 / 2 + config.season_level_epsilon))
    assert features.future.filter(sku="E")["category_season_known"].is_not_null().all()
    docs = dict(features.docs.select("sku", "text").iter_rows())
    assert "Category:" not in docs["E"] and "Category: home > kitchen" in docs["A"]
    # E's price tier is among the whole catalog (12, 20, 30, 50): the most expensive
    assert "Price tier: premium" in docs["E"]
