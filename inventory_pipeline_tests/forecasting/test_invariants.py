"""The invariants of the published tables on hand-made partitions (one broken thing at a time)."""

from datetime import date, timedelta

import polars as pl
import pytest

from inventory_pipeline.invariants import CatalogAsKnown, forecast_problems, plan_problems

DAY = date(2024, 3, 1)
H = 3


def _forecasts(skus: tuple[str, ...] = ("A", "B")) -> pl.DataFrame:
    rows = []
    for sku in skus:
        for h in range(1, H + 1):
            rows.append(
                {
                    "forecast_date": DAY, "sku": sku, "target_date": DAY + timedelta(days=h),
                    "horizon": h, "p10": 0.5, "p50": 1.0, "p90": 2.0,
                    "cum_p10": 0.5 * h, "cum_p50": 1.0 * h, "cum_p90": 2.0 * h,
                }
            )  # fmt: skip
    return pl.DataFrame(rows)


CATALOG = CatalogAsKnown(DAY, frozenset({"A", "B", "C"}), frozenset({"C"}))


def test_a_good_partition_has_no_problem() -> None:
    assert forecast_problems(_forecasts(), DAY, CATALOG) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            pl.when(pl.col("sku") == "B").then(3.0).otherwise(pl.col("p50")).alias("p50"),
            "not monotone across levels for B",
        ),
        (
            pl.when(pl.col("sku") == "A").then(float("nan")).otherwise(pl.col("p10")).alias("p10"),
            "not finite or negative for A",
        ),
        (pl.lit(-1.0).alias("p10"), "not finite or negative"),
        (
            (pl.col("cum_p50") * (4 - pl.col("horizon"))).alias("cum_p50"),
            "decrease over the horizon",
        ),
        (
            (pl.col("target_date") + timedelta(days=1)).alias("target_date"),
            "target_date != forecast_date + horizon",
        ),
    ],
)
def test_each_broken_invariant_is_named(change: pl.Expr, expected: str) -> None:
    problems = forecast_problems(_forecasts().with_columns(change), DAY, CATALOG)
    assert any(expected in p for p in problems), problems


def test_catalog_coverage_missing_on_sale_and_discontinued_skus() -> None:
    missing = forecast_problems(_forecasts(("A",)), DAY, CATALOG)
    assert missing == [f"{DAY}: no forecast for on-sale SKUs B"]
    gone = forecast_problems(_forecasts(("A", "B", "C")), DAY, CATALOG)
    assert gone == [f"{DAY}: forecasts for discontinued SKUs C"]
    assert forecast_problems(
        _forecasts().filter(pl.col("horizon") < 3).vstack(_forecasts().head(1)), DAY
    )


def _plan(qty: list[int], skus: tuple[str, ...] = ("A", "B")) -> pl.DataFrame:
    return pl.DataFrame(
        {"sku": list(skus), "order_qty": qty, "pack_size": [6] * len(skus), "moq": [12] * len(skus)}
    )


def test_plan_orders_respect_pack_size_moq_and_discontinuation() -> None:
    assert plan_problems(_plan([0, 18]), DAY, {"A", "B"}) == []
    assert "break pack size / MOQ (B)" in plan_problems(_plan([0, 10]), DAY, {"A", "B"})[0]
    assert "break pack size / MOQ (A)" in plan_problems(_plan([6, 0]), DAY, {"A", "B"})[0]  # < MOQ
    assert (
        "discontinued as known on the day: B"
        in plan_problems(_plan([0, 12]), DAY, {"A", "B"}, {"B"})[0]
    )
    assert "missing: B" in plan_problems(_plan([0], ("A",)), DAY, {"A", "B"})[0]


def test_no_order_for_a_sku_whose_stock_is_unknown() -> None:
    plan = _plan([0, 12]).with_columns(pl.Series("on_hand", [None, 3], dtype=pl.Int64))
    assert plan_problems(plan, DAY, {"A", "B"}) == []
    blind = _plan([12, 0]).with_columns(pl.Series("on_hand", [None, 3], dtype=pl.Int64))
    assert "orders for SKUs whose stock is unknown: A" in plan_problems(blind, DAY, {"A", "B"})[0]
