"""The launch curve's day effects (model/launch.py): a promotion's lift by discount depth, the dip
after one and an event's effect, learned from the established products and carried by the
young products' forecasts."""

from __future__ import annotations

import json
from dataclasses import replace as replace_effects
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from inventory_pipeline import tracking
from inventory_pipeline.model import ForecastSamples, ModelConfig
from inventory_pipeline.model.config import ADDED_SWITCHED_OFF, replace, with_events
from inventory_pipeline.model.launch import (
    DayEffects,
    LaunchCurve,
    LaunchInputs,
    fit_day_effects,
    fit_launch_curve,
    launch_losses,
)
from inventory_pipeline_tests.model.synthetic import product_text
from inventory_pipeline_tests.model.test_launch import (
    CATEGORY_LEVEL,
    PRIOR_RATIO,
    exponential,
    launch_config,
    launch_static,
)

SHALLOW, DEEP = 0.15, 0.45  # discount fractions: buckets (0.1, 0.2] and (0.4, 1]
TRUE = {"shallow": 1.6, "deep": 3.0, "dip": 0.7, "event_unknown": 2.5, "event_known": 1.5}


def effects_config(**changes: object) -> ModelConfig:
    return with_events(launch_config(launch_day_effects=True, **changes), ["sale_day"])


def effect_samples(config: ModelConfig, ages: np.ndarray, seed: int) -> ForecastSamples:
    """Products ``ages`` days after launch at the origin (negative: launching later), on the
    exponential ramp, whose future days carry the effects of ``TRUE``: a shallow or a deep
    discount (history days too), the dip on the days after a deep one, and a sale day whose
    seasonal index is known for half of the products."""
    rng = np.random.default_rng(seed)
    n, L, H = len(ages), config.history_days, config.horizon_days
    level = rng.gamma(2.0, PRIOR_RATIO * CATEGORY_LEVEL / 2.0, n)

    def days(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Discount, after-promotion and event days, drawn independently per day."""
        draw = rng.random(shape)
        discount = np.select([draw < 0.08, draw < 0.16], [SHALLOW, DEEP], 0.0)
        after = np.where((draw >= 0.16) & (draw < 0.24), DEEP, 0.0)
        event = ((draw >= 0.24) & (draw < 0.30)).astype(np.float64)
        return discount, after, event

    discount, after, event = days((n, H))
    known = np.repeat(rng.random(n) < 0.5, H).reshape(n, H)
    effect = np.select(
        [discount == SHALLOW, discount == DEEP, after > 0],
        [TRUE["shallow"], TRUE["deep"], TRUE["dip"]],
        1.0,
    ) * np.where(event > 0, np.where(known, TRUE["event_known"], TRUE["event_unknown"]), 1.0)
    history_discount, _, _ = days((n, L))
    history_effect = np.select(
        [history_discount == SHALLOW, history_discount == DEEP],
        [TRUE["shallow"], TRUE["deep"]],
        1.0,
    )
    since_hist = ages[:, None] - np.arange(L - 1, -1, -1)[None, :]
    since_fut = ages[:, None] + np.arange(1, H + 1)[None, :]

    def draw_units(since: np.ndarray, day_effect: np.ndarray) -> np.ndarray:
        mean = level[:, None] * np.where(since >= 0, exponential(since + 1.0), 0.0) * day_effect
        return rng.poisson(mean * rng.gamma(3.0, 1.0 / 3.0, since.shape))

    observed = since_hist >= 0
    future = np.zeros((n, H, len(config.future_covariates)), dtype=np.float32)
    for name, values in {
        "is_launched": since_fut >= 0,
        "days_since_launch_log1p": np.log1p(np.maximum(since_fut, 0)),
        "category_season_known": known,
        "planned_discount_fraction": discount,
        "after_discount_fraction": after,
        "event_sale_day": event,
    }.items():
        future[..., config.future_covariates.index(name)] = values
    history = np.zeros((n, L, len(config.history_covariates)), dtype=np.float32)
    history[..., config.history_covariates.index("discount_fraction")] = history_discount
    return ForecastSamples(
        texts=[product_text("niche", i % 20) for i in range(n)],
        history_units=(draw_units(since_hist, history_effect) * observed).astype(np.float32),
        history_stockout=np.zeros((n, L), dtype=np.float32),
        history_observed=observed.astype(np.float32),
        history_covariates=history,
        future_covariates=future,
        static=launch_static(config, ages),
        target_units=draw_units(since_fut, effect).astype(np.float32),
        target_censored=np.zeros((n, H), dtype=np.float32),
    )


def established_and_young(config: ModelConfig, seed: int) -> ForecastSamples:
    rng = np.random.default_rng(seed)
    ages = np.concatenate([rng.integers(100, 400, 1500), rng.integers(-10, 56, 400)])
    return effect_samples(config, ages, seed)


def test_day_effects_are_recovered_from_the_established_products() -> None:
    config = effects_config()
    effects = fit_day_effects([established_and_young(config, seed=1)], config)
    edges = config.launch_discount_edges
    shallow, deep = (int(np.searchsorted(edges, d, side="left")) for d in (SHALLOW, DEEP))
    assert effects.lift[shallow] == pytest.approx(TRUE["shallow"], rel=0.08)
    assert effects.lift[deep] == pytest.approx(TRUE["deep"], rel=0.08)
    assert effects.dip[deep] == pytest.approx(TRUE["dip"], rel=0.08)
    assert effects.events == ("sale_day",)
    assert effects.event_lift[0] == pytest.approx(TRUE["event_unknown"], rel=0.08)
    assert effects.event_lift_seasonal[0] == pytest.approx(TRUE["event_known"], rel=0.08)
    # depths the shop never ran stay at 1: nothing to learn them from
    unseen = [b for b in range(len(edges) + 1) if b not in (shallow, deep)]
    assert all(effects.lift[b] == 1.0 and effects.dip[b] == 1.0 for b in unseen)


def test_an_effect_seen_on_few_days_is_shrunk_towards_one() -> None:
    config = effects_config()
    samples = effect_samples(config, np.arange(100, 130), seed=2)  # 30 windows, a few promotions
    few = fit_day_effects([samples], config)
    many = fit_day_effects([established_and_young(config, seed=2)], config)
    deep = int(np.searchsorted(config.launch_discount_edges, DEEP, side="left"))
    assert 1.0 < few.lift[deep] < many.lift[deep]


def test_the_curve_with_day_effects_forecasts_young_products_better() -> None:
    config = effects_config()
    train = established_and_young(config, seed=3)
    rng = np.random.default_rng(4)
    held_out = effect_samples(config, rng.integers(-10, 56, 400), seed=4)
    without = fit_launch_curve([train], replace(config, launch_day_effects=False))
    curve = fit_launch_curve([train], config)
    assert without is not None and without.day_effects is None
    assert curve is not None and curve.day_effects is not None
    # promotion days no longer inflate the level a launch settles at
    assert abs(curve.prior_ratio - PRIOR_RATIO) < abs(without.prior_ratio - PRIOR_RATIO)
    _, ours = launch_losses(curve, held_out, config)
    _, theirs = launch_losses(without, held_out, config)
    assert ours["daily"] < 0.95 * theirs["daily"]
    assert ours["cumulative"] < theirs["cumulative"]
    # a deep-discount day is forecast about TRUE["deep"] times a plain day of the same product
    inputs = LaunchInputs.from_samples(held_out, config, curve.max_age_days)
    future = curve.future_effects(inputs)
    deep = held_out.future_covariates[
        ..., config.future_covariates.index("planned_discount_fraction")
    ]
    assert np.median(future[deep == DEEP]) == pytest.approx(TRUE["deep"], rel=0.1)


def test_day_effects_travel_with_the_saved_curve() -> None:
    config = effects_config()
    curve = fit_launch_curve([established_and_young(config, seed=5)], config)
    assert curve is not None
    loaded = LaunchCurve.from_json(curve.to_json())
    assert loaded == curve and isinstance(loaded.day_effects, DayEffects)
    older = json.loads(curve.to_json())
    older.pop("day_effects")  # saved before the effects: every day is a plain day
    assert LaunchCurve.from_json(json.dumps(older)).day_effects is None


def test_a_saved_config_without_the_field_reads_it_as_off() -> None:
    assert ADDED_SWITCHED_OFF["launch_day_effects"] is False
    saved = json.loads(effects_config().to_json())
    saved.pop("launch_day_effects")
    assert ModelConfig.from_json(json.dumps(saved)).launch_day_effects is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"launch_discount_edges": (0.3, 0.2)}, "launch_discount_edges"),
        ({"launch_discount_edges": (0.0, 0.5)}, "launch_discount_edges"),
        ({"launch_effect_prior_days": 0.0}, "launch_effect_prior_days"),
    ],
)
def test_bad_day_effect_settings_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        effects_config(**changes)


def test_the_retraining_run_logs_the_day_effects_it_learned(tmp_path: Path) -> None:
    config = effects_config()
    curve = fit_launch_curve([established_and_young(config, seed=6)], config)
    assert curve is not None and curve.day_effects is not None
    tracking.configure(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path / "artifacts", "effects")
    try:
        with mlflow.start_run() as run:
            tracking.log_launch_curve(curve, used=True)
        params = MlflowClient().get_run(run.info.run_id).data.params
    finally:
        mlflow.set_tracking_uri("")
    logged = json.loads(params["launch_curve.day_effects"])
    deep = int(np.searchsorted(config.launch_discount_edges, DEEP, side="left"))
    assert logged["lift"][deep] == pytest.approx(TRUE["deep"], rel=0.1)
    assert set(logged["events"]) == {"sale_day"}


def test_a_second_curve_on_the_same_samples_reuses_the_effects() -> None:
    config = effects_config()
    samples = established_and_young(config, seed=7)
    first = fit_launch_curve([samples], config)
    assert first is not None and first.day_effects is not None
    given = replace_effects(first.day_effects, lift=(2.0,) * len(first.day_effects.lift))
    second = fit_launch_curve([samples], config, day_effects=given)
    assert second is not None and second.day_effects is given
    assert fit_launch_curve([samples], config, day_effects=first.day_effects) == first
