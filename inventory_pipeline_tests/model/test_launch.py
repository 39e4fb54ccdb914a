"""The launch curve (model/launch.py): fitting, forecasting young products, saving with the model."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_pipeline.model import DemandForecaster, ForecastSamples, ModelConfig, train
from inventory_pipeline.model.config import replace
from inventory_pipeline.model.launch import (
    LAUNCH_CURVE_FILE,
    LaunchCurve,
    LaunchInputs,
    compare_on_validation,
    fit_launch_curve,
    ramp,
)
from inventory_pipeline_tests.model.synthetic import product_text, small_config

CATEGORY_LEVEL = 4.0  # units per product on sale and day in every sample's category


def launch_config(**changes: object) -> ModelConfig:
    values: dict[str, object] = {
        "history_days": 28,
        "horizon_days": 14,
        "launch_curve": True,
        "launch_ramp_days_grid": (7.0, 25.0),
        "launch_prior_ratio_grid": (0.5, 2.0),
        "launch_prior_shape_grid": (2.0,),
        "launch_dispersion_grid": (3.0,),
        "launch_fit_draws": 128,
        "launch_draws": 256,
    }
    values.update(changes)
    return small_config(**values)


def launch_samples(
    config: ModelConfig,
    ages: np.ndarray,
    ramp_days: float = 7.0,
    prior_ratio: float = 0.5,
    seed: int = 0,
    history_units: np.ndarray | None = None,
) -> ForecastSamples:
    """Samples drawn from the launch process itself; ``ages`` are days since launch at the origin
    (negative: launching that many days after it)."""
    rng = np.random.default_rng(seed)
    n, L, H = len(ages), config.history_days, config.horizon_days
    level = rng.gamma(2.0, prior_ratio * CATEGORY_LEVEL / 2.0, n)
    since_hist = ages[:, None] - np.arange(L - 1, -1, -1)[None, :]  # days since launch, per day
    since_fut = ages[:, None] + np.arange(1, H + 1)[None, :]
    observed = (since_hist >= 0).astype(np.float32)
    if history_units is None:
        history_units = rng.poisson(level[:, None] * ramp(since_hist + 1.0, ramp_days))
    targets = rng.poisson(level[:, None] * ramp(since_fut + 1.0, ramp_days))

    future = np.zeros((n, H, len(config.future_covariates)), dtype=np.float32)
    future_channels = {
        "is_launched": (since_fut >= 0).astype(np.float32),
        "days_since_launch_log1p": np.log1p(np.maximum(since_fut, 0)),
        "category_season_known": np.ones((n, H)),
    }
    for name, values in future_channels.items():
        future[..., config.future_covariates.index(name)] = values
    static = np.zeros((n, len(config.static_features)), dtype=np.float32)
    static[:, config.static_features.index("days_since_launch_log1p")] = np.log1p(
        np.maximum(ages, 0)
    )
    static[:, config.static_features.index("category_recent_log")] = np.log(CATEGORY_LEVEL)
    return ForecastSamples(
        texts=[product_text("niche", i % 20) for i in range(n)],
        history_units=(np.asarray(history_units) * observed).astype(np.float32),
        history_stockout=np.zeros((n, L), dtype=np.float32),
        history_observed=observed,
        history_covariates=np.zeros((n, L, len(config.history_covariates)), dtype=np.float32),
        future_covariates=future,
        static=static,
        target_units=targets.astype(np.float32),
        target_censored=np.zeros((n, H), dtype=np.float32),
    )


def young_ages(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-10, 40, n)


@pytest.mark.parametrize("ramp_days", [7.0, 25.0])
def test_fit_recovers_the_ramp_and_the_prior_of_the_launches(ramp_days: float) -> None:
    config = launch_config()
    samples = launch_samples(config, young_ages(400, seed=1), ramp_days=ramp_days, seed=1)

    curve = fit_launch_curve([samples], config)

    assert curve is not None
    assert (curve.ramp_days, curve.prior_ratio) == (ramp_days, 0.5)
    assert curve.fit_samples == 400 and curve.draws == config.launch_draws


def test_fit_needs_young_products_with_targets() -> None:
    config = launch_config()
    established = launch_samples(config, np.full(20, 400), seed=2)

    assert fit_launch_curve([established], config) is None


def test_own_sales_move_a_young_products_forecast() -> None:
    config = launch_config()
    L = config.history_days
    sold = np.zeros((2, L))
    sold[0, -10:] = 6.0  # 10 days on sale: 60 units against none
    samples = launch_samples(config, np.array([9, 9]), history_units=sold)
    curve = LaunchCurve(ramp_days=7.0, prior_ratio=0.5, prior_shape=2.0, dispersion=3.0)

    daily, cumulative = curve.predict(
        LaunchInputs.from_samples(samples, config, 56.0), config.quantiles
    )

    median = config.quantiles.index(0.5)
    assert cumulative[0, -1, median] > 5 * max(cumulative[1, -1, median], 1.0)
    assert daily[0, :, -1].min() > daily[1, :, -1].max()


def test_forecast_is_zero_before_the_launch_and_depends_only_on_its_own_row() -> None:
    config = launch_config()
    ages = np.array([-5, 3, 20, -30])  # launches on day 5; on sale; on sale; after the horizon
    samples = launch_samples(config, ages, seed=3)
    curve = LaunchCurve(ramp_days=7.0, prior_ratio=2.0, prior_shape=2.0, dispersion=3.0)
    inputs = LaunchInputs.from_samples(samples, config, 56.0)

    daily, cumulative = curve.predict(inputs, config.quantiles)

    assert inputs.young.all()
    assert (daily[0, :4] == 0).all() and (daily[0, 4:, -1] > 0).all()
    assert (daily[3] == 0).all() and (cumulative[3] == 0).all()
    assert (np.diff(daily, axis=-1) >= 0).all() and (np.diff(cumulative, axis=-1) >= 0).all()
    assert (np.diff(cumulative, axis=1) >= 0).all()
    reordered = np.array([2, 0])
    alone, _ = curve.predict(inputs, config.quantiles, rows=reordered)
    np.testing.assert_array_equal(alone, daily[reordered])


def test_forecaster_serves_young_products_from_the_curve_and_saves_it(tmp_path) -> None:
    config = launch_config(max_epochs=2)
    ages = np.concatenate([young_ages(96, seed=4), np.full(96, 300)])
    train_samples = launch_samples(config, ages, seed=4)
    val_samples = launch_samples(config, ages[::4], seed=5)

    forecaster, _ = train(config, train_samples, val_samples)
    assert forecaster.launch_curve is not None

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
    np.testing.assert_array_equal(loaded.predict(test_samples).daily, served.daily)


def test_the_curve_is_kept_only_if_it_beats_the_network_on_validation_launches() -> None:
    config = launch_config()
    samples = launch_samples(config, np.array([-4, 2, 15, 30, 300]), seed=7)
    curve = LaunchCurve(ramp_days=7.0, prior_ratio=0.5, prior_shape=2.0, dispersion=3.0)
    assert curve.beats_network  # not validated yet
    Q = len(config.quantiles)
    perfect = np.repeat(samples.target_units[:, :, None], Q, axis=2)  # knows every actual
    silent = np.zeros_like(perfect)  # forecasts nothing

    against_perfect = compare_on_validation(curve, perfect, samples, config)
    against_silent = compare_on_validation(curve, silent, samples, config)

    assert against_perfect.validation_samples == 4  # the established product is not compared
    assert against_perfect.network_validation_loss == 0.0
    assert against_perfect.validation_loss > 0 and not against_perfect.beats_network
    assert against_silent.network_validation_loss > against_silent.validation_loss
    assert against_silent.beats_network


def test_training_records_the_validation_of_its_launch_curve() -> None:
    config = launch_config(max_epochs=1)
    ages = np.concatenate([young_ages(64, seed=8), np.full(64, 300)])
    forecaster, history = train(
        config, launch_samples(config, ages, seed=8), launch_samples(config, ages[::2], seed=9)
    )

    fitted = history.launch_curve
    assert fitted is not None and fitted.fit_samples == 64 and fitted.validation_samples == 32
    assert fitted.validation_loss is not None and fitted.network_validation_loss is not None
    assert (forecaster.launch_curve is fitted) == fitted.beats_network


def test_launch_curve_config_names_what_is_missing() -> None:
    static = tuple(f for f in small_config().static_features if f != "category_recent_log")
    with pytest.raises(ValueError, match="category_recent_log"):
        small_config(launch_curve=True, static_features=static)
    with pytest.raises(ValueError, match="launch_ramp_days_grid"):
        small_config(launch_curve=True, launch_ramp_days_grid=(0.0,))
