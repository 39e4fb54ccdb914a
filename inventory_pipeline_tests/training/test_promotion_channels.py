"""Promotions by kind as model inputs, on a tiny generated shop (real DuckDB, Parquet, encoder).

A promotion in force is a channel whatever its discount (a free-shipping day has none), each
promotion type the shop ran often enough before the validation block gets its own channel, the
run's plan carries those types to every later step, and a model trained with them forecasts.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from inventory_pipeline.features.as_of import features_as_of
from inventory_pipeline.features.sources import promotion_type_counts
from inventory_pipeline.model.config import (
    PROMOTION_CHANNEL,
    ModelConfig,
    promo_type_channel,
    with_promotions,
)
from inventory_pipeline.sampleshop.profiles import get_profile
from inventory_pipeline.training import plan_origins, retrain
from inventory_pipeline.training.fit import fit
from inventory_pipeline.training.windows_io import WindowSplits
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import promotion_days, samples_from_features
from inventory_pipeline_tests.forecasting.conftest import START, build_warehouse
from inventory_pipeline_tests.training.test_events import CFG as EVENTS_CFG

CFG = replace(EVENTS_CFG, promotion_channels=True, promo_type_min_days=1)  # tiny windows


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    busy = replace(get_profile("default").config, random_promos_per_year=40.0)  # every kind
    return build_warehouse(tmp_path_factory.mktemp("promotion_shop"), days=90, config=busy)[1]


def test_layout_adds_promotion_channels_once() -> None:
    base = ModelConfig()
    two = with_promotions(base, ["discount", "free_shipping"])
    added = (PROMOTION_CHANNEL, "promo_type_discount", "promo_type_free_shipping")
    assert two.history_covariates == base.history_covariates + added
    assert two.future_covariates == base.future_covariates + added
    # applying it again replaces, never duplicates; None removes them; no types keeps the flag
    assert with_promotions(two, ["bundle"]).future_covariates == base.future_covariates + (
        PROMOTION_CHANNEL,
        "promo_type_bundle",
    )
    assert with_promotions(two, None) == base
    assert with_promotions(base, []).history_covariates[-1] == PROMOTION_CHANNEL
    with pytest.raises(ValueError, match="unique"):
        with_promotions(base, ["bundle", "bundle"])
    # the training config adds them only when switched on, and only from the types it is given
    assert CFG.model_config(promotion_types=("bundle",)).future_covariates[-1] == (
        "promo_type_bundle"
    )
    off = replace(CFG, promotion_channels=False).model_config(promotion_types=("bundle",))
    assert PROMOTION_CHANNEL not in off.future_covariates


def test_channels_mark_the_days_of_each_promotion(warehouse: Warehouse) -> None:
    counts = promotion_type_counts(warehouse, START + timedelta(days=89))
    types = [t for t, _, _ in counts]
    assert len(types) >= 2, counts  # the generated shop runs several kinds of promotion
    days = [d for _, _, d in counts]
    assert days == sorted(days, reverse=True) and min(days) > 0
    config = with_promotions(CFG.model_config(), types[:1])  # the first type only
    origin = START + timedelta(days=80)
    features = features_as_of(warehouse, origin, history_days=14, horizon=7)
    samples = samples_from_features(features, config).samples

    def frame_days(frame: pl.DataFrame, value: str | None, days: int) -> np.ndarray:
        kind = frame.sort("sku", "date")["promo_type"]
        hit = kind.is_not_null() if value is None else (kind == value).fill_null(False)
        return hit.to_numpy().reshape(-1, days).astype(np.float32)

    for kind, frame, days in (("history", features.history, 14), ("future", features.future, 7)):
        values = getattr(samples, f"{kind}_covariates")
        names = getattr(config, f"{kind}_covariates")
        on = values[..., names.index(PROMOTION_CHANNEL)]
        first = values[..., names.index(promo_type_channel(types[0]))]
        np.testing.assert_array_equal(on, frame_days(frame, None, days))
        np.testing.assert_array_equal(first, frame_days(frame, types[0], days))
        assert (first <= on).all()
    # a promotion of a type the model has no channel for still counts as a promotion
    history = features.history.sort("sku", "date")
    other = (history["promo_type"].is_not_null() & (history["promo_type"] != types[0])).to_numpy()
    on_history = samples.history_covariates[..., config.history_covariates.index(PROMOTION_CHANNEL)]
    assert other.any() and (on_history.reshape(-1)[other] == 1.0).all()
    # promotions without a discount exist and are marked (the discount channel cannot see them)
    free = (history["promo_type"].is_not_null() & (history["discount_pct"] == 0)).to_numpy()
    discount = samples.history_covariates[..., config.history_covariates.index("discount_fraction")]
    assert free.any()
    assert (on_history.reshape(-1)[free] == 1.0).all()
    assert (discount.reshape(-1)[free] == 0.0).all()
    # a discount whose promotion has no type (an export without types) is a promotion day too
    untyped = features.history.with_columns(promo_type=pl.lit(None, pl.String))
    channels = promotion_days(untyped, sorted(set(history["sku"])), 14, config)
    discounted = (history["discount_pct"] > 0).to_numpy()
    np.testing.assert_array_equal(channels[PROMOTION_CHANNEL].reshape(-1), discounted)
    assert channels[promo_type_channel(types[0])].sum() == 0


def test_the_run_chooses_the_types_before_validation_and_carries_them(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    log = logging.getLogger("test_promotion_channels")
    model_config = CFG.model_config()
    assert PROMOTION_CHANNEL not in model_config.future_covariates  # no types given yet
    windows = retrain.build_run_windows(
        warehouse,
        CFG,
        model_config,
        None,
        f"run-{tmp_path.name}",
        None,
        log,  # type: ignore[arg-type]
    )
    plan = windows.plan
    assert plan.promotion_types is not None
    counts = promotion_type_counts(warehouse, plan.vocabulary_day)
    assert list(plan.promotion_types) == [t for t, _, d in counts if d >= CFG.promo_type_min_days]
    assert plan.vocabulary_day < min(plan.validation_origins)
    # a stricter threshold drops the rarer types
    strict = replace(CFG, promo_type_min_days=max(d for _, _, d in counts))
    assert retrain.promotion_vocabulary(warehouse, plan, strict) == (counts[0][0],)
    # the plan survives the step boundary, and the later steps' config fits the saved windows
    again = retrain.plan_from_dict(retrain.plan_to_dict(plan))
    assert again == plan and again.to_dict()["promotion_types"] == list(plan.promotion_types)
    later = CFG.model_config(promotion_types=again.promotion_types)
    splits = WindowSplits.load(windows.folder, later)
    assert later.future_covariates[-len(plan.promotion_types) :] == tuple(
        promo_type_channel(t) for t in plan.promotion_types
    )
    with pytest.raises(ValueError):
        WindowSplits.load(windows.folder, CFG.model_config())  # without the channels: refused
    # a model trained with them forecasts finite, ordered quantiles
    forecaster, _ = fit(splits.train, splits.validation, later)
    forecast = forecaster.predict(splits.backtest.samples)
    assert np.isfinite(forecast.daily).all()
    assert (np.diff(forecast.daily, axis=-1) >= 0).all()


def test_a_plan_without_the_switch_has_no_types(warehouse: Warehouse) -> None:
    plan = plan_origins(warehouse, CFG, 7)
    assert plan.promotion_types is None
    assert retrain.plan_from_dict(retrain.plan_to_dict(plan)).promotion_types is None
    # plans saved before the field existed read as none
    saved = retrain.plan_to_dict(plan)
    del saved["promotion_types"]
    assert retrain.plan_from_dict(saved).promotion_types is None
