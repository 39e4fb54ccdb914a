"""The launch curve (model/launch.py): a profile learned from the launches, the validation gate,
forecasting young products, saving with the model, logging to MLflow."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace as replace_curve
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from inventory_pipeline import tracking
from inventory_pipeline.metrics import weighted_quantile_loss
from inventory_pipeline.model import DemandForecaster, ForecastSamples, ModelConfig, train
from inventory_pipeline.model.config import replace
from inventory_pipeline.model.launch import (
    LAUNCH_CURVE_FILE,
    LaunchCurve,
    LaunchInputs,
    fit_launch_curve,
    gate_on_validation,
    launch_losses,
)
from inventory_pipeline.training.plots import launch_curve_png
from inventory_pipeline_tests.model.synthetic import product_text, small_config

CATEGORY_LEVEL = 4.0  # units per product on sale and day in every sample's category
PRIOR_RATIO = 0.5  # launches settle at half the category's level per product, on average
Shape = Callable[[np.ndarray], np.ndarray]


def exponential(age: np.ndarray) -> np.ndarray:
    return -np.expm1(-age / 10.0)


def spike_then_decay(age: np.ndarray) -> np.ndarray:
    """Launch marketing: three times the established level on launch day, fading in weeks."""
    return 1.0 + 2.0 * np.exp(-(age - 1.0) / 7.0)


def linear_two_months(age: np.ndarray) -> np.ndarray:
    return np.minimum(age / 60.0, 1.0)


SHAPES: dict[str, Shape] = {
    "exponential": exponential,
    "spike_then_decay": spike_then_decay,
    "linear_two_months": linear_two_months,
}


def launch_config(**changes: object) -> ModelConfig:
    values: dict[str, object] = {
        "history_days": 28,
        "horizon_days": 14,
        "launch_curve": True,
        "launch_draws": 256,
        "launch_min_validation_windows": 5,
    }
    values.update(changes)
    return small_config(**values)


def launch_samples(
    config: ModelConfig,
    ages: np.ndarray,
    shape: Shape = exponential,
    seed: int = 0,
    history_units: np.ndarray | None = None,
) -> ForecastSamples:
    """Samples drawn from a launch process of the given shape (gamma level prior of shape 2,
    negative-binomial days of shape 3); ``ages`` are days since launch at the origin (negative:
    launching that many days after it)."""
    rng = np.random.default_rng(seed)
    n, L, H = len(ages), config.history_days, config.horizon_days
    level = rng.gamma(2.0, PRIOR_RATIO * CATEGORY_LEVEL / 2.0, n)
    since_hist = ages[:, None] - np.arange(L - 1, -1, -1)[None, :]  # days since launch, per day
    since_fut = ages[:, None] + np.arange(1, H + 1)[None, :]

    def draw(since: np.ndarray) -> np.ndarray:
        mean = level[:, None] * np.where(since >= 0, shape(since + 1.0), 0.0)
        return rng.poisson(mean * rng.gamma(3.0, 1.0 / 3.0, since.shape))

    observed = (since_hist >= 0).astype(np.float32)
    if history_units is None:
        history_units = draw(since_hist)
    targets = draw(since_fut)

    future = np.zeros((n, H, len(config.future_covariates)), dtype=np.float32)
    future_channels = {
        "is_launched": (since_fut >= 0).astype(np.float32),
        "days_since_launch_log1p": np.log1p(np.maximum(since_fut, 0)),
        "category_season_known": np.ones((n, H)),
    }
    for name, values in future_channels.items():
        future[..., config.future_covariates.index(name)] = values
    return ForecastSamples(
        texts=[product_text("niche", i % 20) for i in range(n)],
        history_units=(np.asarray(history_units) * observed).astype(np.float32),
        history_stockout=np.zeros((n, L), dtype=np.float32),
        history_observed=observed,
        history_covariates=np.zeros((n, L, len(config.history_covariates)), dtype=np.float32),
        future_covariates=future,
        static=launch_static(config, ages),
        target_units=targets.astype(np.float32),
        target_censored=np.zeros((n, H), dtype=np.float32),
    )


def launch_static(config: ModelConfig, ages: np.ndarray) -> np.ndarray:
    """The static features the launch curve reads: days on sale before the origin and the
    category's level (``CATEGORY_LEVEL`` for every sample)."""
    static = np.zeros((len(ages), len(config.static_features)), dtype=np.float32)
    static[:, config.static_features.index("days_since_launch_log1p")] = np.log1p(
        np.maximum(ages, 0)
    )
    static[:, config.static_features.index("category_recent_log")] = np.log(CATEGORY_LEVEL)
    return static


def young_ages(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-10, 56, n)


def fixed_form_best(
    fitted: LaunchCurve, samples: ForecastSamples, config: ModelConfig
) -> LaunchCurve:
    """The old fixed form ``1 - exp(-age / ramp_days)`` at its best ramp and prior ratio on
    ``samples`` (daily WQL), with the fitted curve's spread and noise: what it could do at most."""
    candidates = [
        LaunchCurve.exponential(
            ramp_days,
            prior_ratio=ratio,
            prior_shape=fitted.prior_shape,
            dispersion=fitted.dispersion,
            draws=fitted.draws,
        )
        for ramp_days in (7.0, 12.0, 18.0, 25.0)  # the grid it searched
        for ratio in (0.3, 0.5, 0.8, 1.2)
    ]
    return min(candidates, key=lambda c: launch_losses(c, samples, config)[1]["daily"])


@pytest.mark.parametrize("name", list(SHAPES))
def test_fit_recovers_the_shape_of_the_launches(name: str) -> None:
    config = launch_config()
    shape = SHAPES[name]
    samples = launch_samples(config, young_ages(1500, seed=1), shape=shape, seed=1)

    curve = fit_launch_curve([samples], config)

    assert curve is not None and curve.fit_samples == 1500 and not curve.used
    ages = np.arange(1.0, 71.0)
    truth = PRIOR_RATIO * shape(ages)
    fitted = curve.prior_ratio * curve.shape(ages)
    assert np.abs(fitted - truth).mean() < 0.08 * PRIOR_RATIO, np.round(fitted - truth, 2)
    other = [PRIOR_RATIO * s(ages) for n, s in SHAPES.items() if n != name]
    assert all(np.abs(fitted - o).mean() > 2 * np.abs(fitted - truth).mean() for o in other)
    # the level prior's spread (shape 2) and the day noise (shape 3) come back roughly too
    assert 1.0 < curve.prior_shape < 4.0 and 1.5 < curve.dispersion < 6.0


@pytest.mark.parametrize("name", ["spike_then_decay", "linear_two_months"])
def test_learned_profile_beats_the_fixed_form_on_other_shapes(name: str) -> None:
    config = launch_config()
    shape = SHAPES[name]
    fitting = launch_samples(config, young_ages(1000, seed=2), shape=shape, seed=2)
    held_out = launch_samples(config, young_ages(400, seed=3), shape=shape, seed=3)

    learned = fit_launch_curve([fitting], config)
    assert learned is not None
    fixed = fixed_form_best(learned, fitting.subset(np.arange(300)), config)

    _, learned_loss = launch_losses(learned, held_out, config)
    _, fixed_loss = launch_losses(fixed, held_out, config)
    assert learned_loss["daily"] < fixed_loss["daily"]
    assert learned_loss["cumulative"] < fixed_loss["cumulative"]


def test_few_launches_give_a_profile_shrunk_towards_flat() -> None:
    config = launch_config()
    few = launch_samples(config, young_ages(6, seed=4), shape=spike_then_decay, seed=4)
    many = launch_samples(config, young_ages(1000, seed=4), shape=spike_then_decay, seed=4)

    few_curve = fit_launch_curve([few], config)
    many_curve = fit_launch_curve([many], config)

    assert few_curve is not None and many_curve is not None
    assert np.ptp(few_curve.profile) < 0.5 * np.ptp(many_curve.profile)


def test_fit_needs_young_products_with_targets() -> None:
    config = launch_config()
    established = launch_samples(config, np.full(20, 400), seed=5)

    assert fit_launch_curve([established], config) is None


def flat_curve(**numbers: object) -> LaunchCurve:
    values: dict[str, object] = {
        "profile_ages": (1.0, 10.0, 60.0),
        "profile": (0.3, 0.8, 1.0),
        "prior_ratio": 0.5,
        "prior_shape": 2.0,
        "dispersion": 3.0,
        "draws": 256,
    }
    values.update(numbers)
    return LaunchCurve(**values)  # type: ignore[arg-type]


def test_own_sales_move_a_young_products_forecast() -> None:
    config = launch_config()
    L = config.history_days
    sold = np.zeros((2, L))
    sold[0, -10:] = 6.0  # 10 days on sale: 60 units against none
    samples = launch_samples(config, np.array([9, 9]), history_units=sold)

    daily, cumulative = flat_curve().predict(
        LaunchInputs.from_samples(samples, config, 56.0), config.quantiles
    )

    median = config.quantiles.index(0.5)
    assert cumulative[0, -1, median] > 5 * max(cumulative[1, -1, median], 1.0)
    assert daily[0, :, -1].min() > daily[1, :, -1].max()


def test_forecast_is_zero_before_the_launch_and_depends_only_on_its_own_row() -> None:
    config = launch_config()
    ages = np.array([-5, 3, 20, -30])  # launches on day 5; on sale; on sale; after the horizon
    samples = launch_samples(config, ages, seed=3)
    curve = flat_curve(prior_ratio=2.0)
    inputs = LaunchInputs.from_samples(samples, config, 56.0)

    daily, cumulative = curve.predict(inputs, config.quantiles)

    assert inputs.young.all()
    assert (daily[0, :4] == 0).all() and (daily[0, 4:, -1] > 0).all()
    assert (daily[3] == 0).all() and (cumulative[3] == 0).all()
    assert (np.diff(daily, axis=-1) >= 0).all() and (np.diff(cumulative, axis=-1) >= 0).all()
    assert (np.diff(cumulative, axis=1) >= 0).all()
    reordered = np.array([2, 0])
    alone, alone_cumulative = curve.predict(inputs, config.quantiles, rows=reordered)
    np.testing.assert_array_equal(alone, daily[reordered])
    np.testing.assert_array_equal(alone_cumulative, cumulative[reordered])


def gate_samples(config: ModelConfig, n: int = 40) -> ForecastSamples:
    ages = np.concatenate([young_ages(n, seed=7), [300]])  # one established product
    return launch_samples(config, ages, seed=7)


def test_the_gate_keeps_the_curve_only_if_not_worse_daily_and_cumulative() -> None:
    config = launch_config()
    samples = gate_samples(config)
    assert samples.target_units is not None
    Q = len(config.quantiles)
    actual = np.repeat(samples.target_units[:, :, None], Q, axis=2).astype(np.float64)
    actual_sums = np.cumsum(actual, axis=1)
    silent = np.zeros_like(actual)  # forecasts nothing
    curve = flat_curve()

    perfect = gate_on_validation(curve, (actual, actual_sums), samples, config)
    assert perfect.network_validation_loss == 0.0 and not perfect.used
    assert "daily and cumulative" in perfect.reason

    beaten = gate_on_validation(curve, (silent, silent), samples, config)
    assert beaten.used and beaten.reason.startswith("not worse")
    assert beaten.validation_samples == 40  # every young window has days on sale; not the old
    assert beaten.validation_cumulative_loss < beaten.network_validation_cumulative_loss

    # better day by day, worse over the lead time: not used
    only_daily = gate_on_validation(curve, (silent, actual_sums), samples, config)
    assert only_daily.validation_loss < only_daily.network_validation_loss
    assert not only_daily.used and "cumulative" in only_daily.reason
    assert "daily" not in only_daily.reason.split(":")[0]


def test_the_gate_reads_a_gap_within_the_launches_noise_as_not_worse() -> None:
    config = launch_config()
    samples = gate_samples(config)
    curve = flat_curve()
    # a rival with other draws and a 3% higher level: as good as the curve, give or take noise
    rival = replace_curve(curve, seed=3, prior_ratio=0.515)
    network = rival.predict(
        LaunchInputs.from_samples(samples, config, 56.0), config.quantiles, np.arange(len(samples))
    )

    strict = gate_on_validation(curve, network, samples, replace(config, launch_gate_noise_se=0.0))
    noisy = gate_on_validation(curve, network, samples, config)

    _, losses = launch_losses(curve, samples, config, network)
    gap = losses["daily"] - losses["network_daily"]
    assert 0 < gap < losses["daily_difference_se"]  # worse, by less than one standard error
    assert not strict.used and "daily" in strict.reason
    assert noisy.used and "1 bootstrap SE" in noisy.reason


def test_the_gate_fails_closed_without_enough_validation_launches() -> None:
    config = launch_config(launch_min_validation_windows=20)
    samples = gate_samples(config, n=12)
    silent = np.zeros((len(samples), config.horizon_days, len(config.quantiles)))

    too_few = gate_on_validation(flat_curve(), (silent, silent), samples, config)
    none = gate_on_validation(flat_curve(), None, None, config)

    assert not too_few.used and "launch_min_validation_windows=20" in too_few.reason
    assert too_few.validation_loss is None
    assert not none.used and "no validation" in none.reason


def test_cumulative_losses_stop_at_the_first_censored_day() -> None:
    config = launch_config()
    samples = gate_samples(config)
    assert samples.target_units is not None and samples.target_censored is not None
    curve = flat_curve()
    _, before = launch_losses(curve, samples, config)
    samples.target_censored[:, 3] = 1.0  # a stockout on day 4 of every window
    samples.target_units[:, 3:] += 50.0  # days from then on no longer count in the sums

    _, after = launch_losses(curve, samples, config)

    assert after["daily"] != before["daily"]  # days after the stockout still count per day
    inputs = LaunchInputs.from_samples(samples, config, 56.0)
    _, cumulative = curve.predict(inputs, config.quantiles)
    sums = np.cumsum(samples.target_units[inputs.young], axis=1)
    first_three = weighted_quantile_loss(sums[:, :3], cumulative[:, :3], config.quantiles)
    assert after["cumulative"] == pytest.approx(first_three)


def test_forecaster_serves_young_products_from_the_curve_and_saves_it(tmp_path: Path) -> None:
    config = launch_config(max_epochs=2)
    ages = np.concatenate([young_ages(96, seed=4), np.full(96, 300)])
    train_samples = launch_samples(config, ages, seed=4)
    val_samples = launch_samples(config, ages[::2], seed=5)

    forecaster, history = train(config, train_samples, val_samples)
    assert history.launch_curve is not None
    assert forecaster.launch_curve is not None, history.launch_curve.reason

    test_samples = launch_samples(config, np.array([-3, 10, 300, 500]), seed=6)
    served = forecaster.predict(test_samples)
    curve_daily, curve_cumulative = forecaster.launch_curve.predict(
        LaunchInputs.from_samples(test_samples, config, 56.0), config.quantiles
    )
    network_only = DemandForecaster(
        replace(config, launch_curve=False), forecaster.network, forecaster.featurizer
    ).predict(test_samples)
    np.testing.assert_array_equal(served.daily[:2], curve_daily)
    np.testing.assert_array_equal(served.cumulative[:2], curve_cumulative)
    np.testing.assert_array_equal(served.daily[2:], network_only.daily[2:])
    assert not np.array_equal(network_only.daily[:2], curve_daily)

    forecaster.save(tmp_path / "model")
    assert (tmp_path / "model" / LAUNCH_CURVE_FILE).is_file()
    loaded = DemandForecaster.load(tmp_path / "model")
    assert loaded.launch_curve == forecaster.launch_curve
    reloaded = loaded.predict(test_samples)
    np.testing.assert_array_equal(reloaded.daily, served.daily)
    np.testing.assert_array_equal(reloaded.cumulative, served.cumulative)


def test_a_network_share_blends_young_products_and_the_gate_judges_the_blend() -> None:
    config = launch_config(max_epochs=1)
    ages = np.concatenate([young_ages(96, seed=4), np.full(96, 300)])
    forecaster, _ = train(config, launch_samples(config, ages, seed=4))
    curve = fit_launch_curve([launch_samples(config, ages, seed=4)], config)
    assert curve is not None
    blended = replace(config, launch_network_share=0.25)
    test_samples = launch_samples(config, np.array([-3, 10, 300, 500]), seed=6)
    network = DemandForecaster(
        replace(config, launch_curve=False), forecaster.network, forecaster.featurizer
    ).predict(test_samples)
    served = DemandForecaster(
        blended, forecaster.network, forecaster.featurizer, launch_curve=curve
    ).predict(test_samples)
    inputs = LaunchInputs.from_samples(test_samples, config, 56.0)
    curve_daily, curve_cumulative = curve.predict(inputs, config.quantiles)
    np.testing.assert_allclose(served.daily[:2], 0.75 * curve_daily + 0.25 * network.daily[:2])
    np.testing.assert_allclose(
        served.cumulative[:2], 0.75 * curve_cumulative + 0.25 * network.cumulative[:2]
    )
    np.testing.assert_array_equal(served.daily[2:], network.daily[2:])
    assert np.all(np.diff(served.daily[:2], axis=-1) >= 0)  # quantiles stay in order

    validation = gate_samples(config)
    quantiles = DemandForecaster(
        replace(config, launch_curve=False), forecaster.network, forecaster.featurizer
    ).predict(validation)
    pair = (quantiles.daily, quantiles.cumulative)
    _, alone = launch_losses(curve, validation, config, pair)
    _, mixed = launch_losses(curve, validation, blended, pair)
    assert mixed["network_daily"] == alone["network_daily"]
    assert mixed["daily"] != alone["daily"]
    young = LaunchInputs.from_samples(validation, config, 56.0).young
    assert validation.target_units is not None
    curve_only, _ = curve.predict(
        LaunchInputs.from_samples(validation, config, 56.0), config.quantiles
    )
    expected = weighted_quantile_loss(
        validation.target_units[young],
        0.75 * curve_only + 0.25 * quantiles.daily[young],
        config.quantiles,
    )
    assert mixed["daily"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="launch_network_share"):
        replace(config, launch_network_share=1.0)


def test_training_without_validation_leaves_young_products_to_the_network() -> None:
    config = launch_config(max_epochs=1)
    ages = np.concatenate([young_ages(64, seed=8), np.full(64, 300)])
    forecaster, history = train(config, launch_samples(config, ages, seed=8))

    assert history.launch_curve is not None and not history.launch_curve.used
    assert "no validation" in history.launch_curve.reason
    assert forecaster.launch_curve is None


def test_a_curve_saved_by_the_fixed_form_loads_as_the_same_ramp() -> None:
    saved = {
        "ramp_days": 12.0,
        "prior_ratio": 0.8,
        "prior_shape": 1.0,
        "dispersion": 3.0,
        "max_age_days": 56.0,
        "draws": 1024,
        "seed": 1337,
        "fit_loss": 0.4,
        "fit_samples": 1249,
        "validation_loss": 0.377,
        "network_validation_loss": 0.413,
        "validation_samples": 105,
    }

    curve = LaunchCurve.from_json(json.dumps(saved))

    ages = np.arange(1.0, 100.0)
    np.testing.assert_allclose(curve.shape(ages), -np.expm1(-ages / 12.0))
    assert curve.used and (curve.prior_ratio, curve.draws) == (0.8, 1024)
    assert LaunchCurve.from_json(curve.to_json()) == curve
    old_config = json.loads(small_config().to_json()) | {
        "launch_ramp_days_grid": [7.0],
        "launch_fit_draws": 1024,
    }
    assert ModelConfig.from_dict(old_config) == small_config()


def test_mlflow_run_says_whether_the_curve_is_used_and_why(tmp_path: Path) -> None:
    config = launch_config()
    samples = gate_samples(config, n=12)
    silent = np.zeros((len(samples), config.horizon_days, len(config.quantiles)))
    curve = fit_launch_curve([launch_samples(config, young_ages(200, seed=9), seed=9)], config)
    assert curve is not None
    gated = gate_on_validation(
        curve, (silent, silent), samples, replace(config, launch_min_validation_windows=50)
    )

    tracking.configure(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path / "artifacts", "launch")
    try:
        with mlflow.start_run() as run:
            logged = tracking.log_launch_curve(gated, gated.used)
        params = MlflowClient().get_run(run.info.run_id).data.params
    finally:
        mlflow.set_tracking_uri("")

    assert params["launch_curve.used"] == "False" and logged["used"] is False
    assert "launch_min_validation_windows=50" in params["launch_curve.reason"]
    profile = json.loads(params["launch_curve.profile"])
    assert len(profile) == len(curve.profile) and "1" in profile


def test_launch_curve_config_names_what_is_missing() -> None:
    static = tuple(f for f in small_config().static_features if f != "category_recent_log")
    with pytest.raises(ValueError, match="category_recent_log"):
        small_config(launch_curve=True, static_features=static)
    with pytest.raises(ValueError, match="launch_age_buckets"):
        small_config(launch_curve=True, launch_age_buckets=(1.0, 8.0, 4.0))
    with pytest.raises(ValueError, match="launch_dispersion_range"):
        small_config(launch_curve=True, launch_dispersion_range=(5.0, 1.0))
    with pytest.raises(ValueError, match="launch_min_validation_windows"):
        small_config(launch_curve=True, launch_min_validation_windows=0)
    with pytest.raises(ValueError, match="profile_ages"):
        replace_curve(flat_curve(), profile=(1.0,))


def test_the_launch_plot_draws_the_learned_profile() -> None:
    config = launch_config()
    samples = gate_samples(config)
    silent = np.zeros((len(samples), config.horizon_days, len(config.quantiles)))
    curve = fit_launch_curve([launch_samples(config, young_ages(200, seed=9), seed=9)], config)
    assert curve is not None
    gated = gate_on_validation(curve, (silent, silent), samples, config)

    for shown in (curve, gated):  # not validated yet; validated and used
        png = launch_curve_png(shown, [samples], config)
        assert png.startswith(b"\x89PNG") and len(png) > 10_000
