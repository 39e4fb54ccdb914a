"""The LightGBM peer on generated feature sets: shapes, ordering, off-sale days, known
promotions."""

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from inventory_pipeline.evaluation import LightGBMConfig, lightgbm_forecast
from inventory_pipeline.features.as_of import FeatureSet

ORIGIN = date(2024, 6, 30)
LEVELS = (0.1, 0.5, 0.9)
FAST = LightGBMConfig(n_estimators=60, min_child_samples=10, learning_rate=0.1)


def feature_set(
    days: int = 200,
    horizon: int = 7,
    skus: tuple[str, ...] = ("A", "B", "C"),
    lift: float = 3.0,
    planned: dict[str, list[int]] | None = None,
    off_sale_from: dict[str, int] | None = None,
    seed: int = 0,
    promo_type: str = "discount",
    discount: float = 30.0,
) -> FeatureSet:
    """Poisson demand with a weekday pattern; promotions (of ``promo_type``, ``discount`` % off)
    multiply it by ``lift``."""
    rng = np.random.default_rng(seed)
    first = ORIGIN - timedelta(days=days - 1)
    hist_days = [first + timedelta(days=i) for i in range(days)]
    fut_days = [ORIGIN + timedelta(days=h) for h in range(1, horizon + 1)]
    history, future = [], []
    for k, sku in enumerate(skus):
        base = 2.0 + 3.0 * k
        promo = rng.random(days) < 0.1
        for i, day in enumerate(hist_days):
            rate = base * (1.5 if day.weekday() >= 5 else 1.0) * (lift if promo[i] else 1.0)
            history.append(
                {"sku": sku, "date": day, "units": int(rng.poisson(rate)), "stockout": False,
                 "on_sale": True, "observed": True,
                 "discount_pct": discount if promo[i] else 0.0,
                 "promo_type": promo_type if promo[i] else None}
            )  # fmt: skip
        for h, day in enumerate(fut_days, start=1):
            on_sale = h < (off_sale_from or {}).get(sku, horizon + 1)
            on_promo = h in (planned or {}).get(sku, [])
            future.append({"sku": sku, "date": day, "horizon": h, "on_sale": on_sale,
                           "discount_pct": discount if on_promo else 0.0,
                           "promo_type": promo_type if on_promo else None})  # fmt: skip
    calendar = pl.DataFrame({"date": hist_days + fut_days}).with_columns(
        is_event=pl.lit(False), event_black_friday=pl.lit(False)
    )
    static = pl.DataFrame(
        {"sku": list(skus), "category": ["home/a", "home/b", "home/a"][: len(skus)],
         "list_price": [10.0, 20.0, 30.0][: len(skus)], "discontinued": [False] * len(skus)}
    )  # fmt: skip
    return FeatureSet(
        as_of=ORIGIN, history=pl.DataFrame(history), future=pl.DataFrame(future),
        calendar=calendar, static=static, reviews=pl.DataFrame({"sku": list(skus)}),
        docs=pl.DataFrame({"sku": list(skus)}), unknown_skus=(),
    )  # fmt: skip


def test_forecast_shape_order_and_off_sale_days() -> None:
    fs = feature_set(off_sale_from={"C": 4})
    out = lightgbm_forecast(fs, ["A", "B", "C", "NEW"], 7, LEVELS, FAST)
    assert out.columns == ["sku", "horizon", "mean", "p10", "p50", "p90"]
    assert out.height == 4 * 7
    values = out.select("mean", "p10", "p50", "p90").to_numpy()
    assert np.all(values >= 0) and np.all(np.isfinite(values))
    assert np.all(values[:, 1] <= values[:, 2]) and np.all(values[:, 2] <= values[:, 3])
    c = out.filter(pl.col("sku") == "C").sort("horizon")
    assert c.filter(pl.col("horizon") >= 4).select("mean", "p90").to_numpy().max() == 0.0
    assert c.filter(pl.col("horizon") < 4)["mean"].min() > 0
    assert out.filter(pl.col("sku") == "NEW")["p90"].max() == 0.0  # no history: zeros
    # a faster SKU gets a larger forecast
    means = out.group_by("sku").agg(pl.col("mean").mean()).sort("sku")["mean"].to_list()
    assert means[0] < means[1]


def test_a_planned_promotion_lifts_the_forecast() -> None:
    fs = feature_set(planned={"B": [3, 4]})
    out = lightgbm_forecast(fs, ["B"], 7, LEVELS, FAST).sort("horizon")
    mean = out["mean"].to_numpy()
    promo, other = mean[[2, 3]].mean(), mean[[0, 1, 4, 5, 6]].mean()
    assert promo > 1.8 * other


def test_a_promotion_without_a_discount_is_read_by_its_type() -> None:
    # free shipping: no discount to read, yet sales triple; the peer sees the promotion's type
    fs = feature_set(planned={"B": [3, 4]}, promo_type="free_shipping", discount=0.0)
    out = lightgbm_forecast(fs, ["B"], 7, LEVELS, FAST).sort("horizon")
    mean = out["mean"].to_numpy()
    assert mean[[2, 3]].mean() > 1.8 * mean[[0, 1, 4, 5, 6]].mean()
    blind = (
        lightgbm_forecast(
            fs, ["B"], 7, LEVELS, LightGBMConfig(**{**FAST.__dict__, "promotion_types": False})
        )
        .sort("horizon")["mean"]
        .to_numpy()
    )
    assert blind[[2, 3]].mean() < 1.3 * blind[[0, 1, 4, 5, 6]].mean()


def test_horizon_mismatch_is_explained() -> None:
    with pytest.raises(ValueError, match="horizon=14"):
        lightgbm_forecast(feature_set(horizon=7), ["A"], 14, LEVELS, FAST)
