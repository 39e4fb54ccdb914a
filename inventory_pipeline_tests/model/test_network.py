"""Output validity by construction: non-negative, monotone in q, cumulative monotone in h."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
import torch

from inventory_pipeline.model import DemandForecaster, ForecastSamples, ModelConfig, TrainingHistory
from inventory_pipeline.model.data import make_batch
from inventory_pipeline.model.network import (
    DemandNetwork,
    cumulative_quantiles,
    monotone_quantiles,
    seasonal_lag_weights,
)
from inventory_pipeline.model.runtime import seed_everything
from inventory_pipeline_tests.model.synthetic import make_samples, small_config


def _assert_valid(daily: np.ndarray, cumulative: np.ndarray) -> None:
    assert np.all(np.isfinite(daily)) and np.all(np.isfinite(cumulative))
    assert np.all(daily >= 0.0) and np.all(cumulative >= 0.0)
    assert np.all(np.diff(daily, axis=-1) >= 0.0)  # in q
    assert np.all(np.diff(cumulative, axis=-1) >= 0.0)  # in q
    assert np.all(np.diff(cumulative, axis=1) >= 0.0)  # in h


def test_output_transforms_are_valid_for_any_raw_values() -> None:
    raw = torch.randn(64, 7, 5, generator=torch.Generator().manual_seed(0)) * 20.0
    _assert_valid(monotone_quantiles(raw).numpy(), cumulative_quantiles(raw).numpy())


def test_untrained_model_outputs_are_valid_on_extreme_inputs() -> None:
    config = small_config()
    samples = make_samples(config, 24, seed=5, cold_start_share=0.5, stockout_rate=0.5)
    samples.history_units[:4] *= 1000.0  # outlier days
    seed_everything(config.seed)
    forecast = DemandForecaster.build(config).predict(samples)
    assert forecast.daily.shape == (24, config.horizon_days, config.n_quantiles)
    assert forecast.cumulative.shape == forecast.daily.shape
    _assert_valid(forecast.daily, forecast.cumulative)


def test_trained_model_outputs_are_valid(
    trained_frozen: tuple[DemandForecaster, TrainingHistory],
    frozen_samples: tuple[ForecastSamples, ForecastSamples],
) -> None:
    forecaster, _ = trained_frozen
    forecast = forecaster.predict(frozen_samples[1])
    _assert_valid(forecast.daily, forecast.cumulative)
    assert forecast.column_names == ["p10", "p50", "p90"]


def test_zero_history_scale_comes_from_the_text_prior(
    trained_frozen: tuple[DemandForecaster, TrainingHistory],
) -> None:
    forecaster, _ = trained_frozen
    config = forecaster.config
    cold = make_samples(config, 16, seed=9, cold_start_share=1.0)
    assert cold.history_observed.sum() == 0.0
    forecast = forecaster.predict(cold)
    assert np.all(forecast.scale >= config.scale_floor)
    _assert_valid(forecast.daily, forecast.cumulative)


def test_seasonal_lags_pick_the_same_weekday() -> None:
    L, H, season = 14, 3, 7
    weights = seasonal_lag_weights(L, H, season)  # (H, L)
    origin = 100  # any day number
    for h in range(H):
        target_day = origin + 1 + h
        picked = [origin - L + 1 + i for i in range(L) if weights[h, i] == 1.0]
        assert picked and all((target_day - day) % season == 0 for day in picked)
        assert len(picked) == L // season


def test_prior_offset_feature_moves_the_prior_by_exactly_its_value() -> None:
    names = ("list_price_log", "category_recent_log")
    plain = small_config(static_features=names, prior_excluded_static=("category_recent_log",))
    relative = small_config(
        static_features=names,
        prior_excluded_static=("category_recent_log",),
        prior_offset_feature="category_recent_log",
    )
    samples = make_samples(plain, 12, seed=3, cold_start_share=0.5)
    samples.static[:, 1] = np.linspace(-2.0, 2.0, 12)  # the category's level, log units/day
    seed_everything(plain.seed)
    a = DemandForecaster.build(plain)
    b = DemandForecaster.build(relative)
    b.network.load_state_dict(a.network.state_dict())
    priors = []
    for forecaster in (a, b):
        forecaster.network.eval()
        text = forecaster.featurizer.prepare(samples.texts)
        with torch.no_grad():
            out = forecaster.network(make_batch(samples, text, np.arange(12)))
        priors.append(out.log_scale_prior.numpy())
    np.testing.assert_allclose(priors[1] - priors[0], samples.static[:, 1], atol=1e-5)
    # a fresh network starts the learned part at the median level *relative to* the offset
    fresh = DemandForecaster.build(relative)
    fresh.network.fit_feature_scaling(samples)
    usable = samples.history_observed * (1.0 - samples.history_stockout)
    counts = usable.sum(axis=1)
    means = (samples.history_units * usable).sum(axis=1)[counts > 0] / counts[counts > 0]
    levels = np.log(np.maximum(means + relative.scale_epsilon, relative.scale_floor))
    expected = np.median(levels - samples.static[counts > 0, 1])
    assert float(fresh.network.scale_out.bias.detach()) == pytest.approx(expected, abs=1e-5)
    with pytest.raises(ValueError, match="prior_offset_feature"):
        small_config(prior_offset_feature="no_such_feature")


def with_texts_reversed(samples: ForecastSamples) -> ForecastSamples:
    """The same samples with each one's document swapped for another's."""
    swapped = replace(samples, texts=list(reversed(samples.texts)))
    assert swapped.texts != samples.texts
    return swapped


def daily_forecaster(
    config: ModelConfig, samples: ForecastSamples
) -> tuple[DemandNetwork, Callable[[ForecastSamples], np.ndarray]]:
    """(network, daily(samples) -> (N, H, Q) scaled quantiles) of a fresh seeded model."""
    seed_everything(config.seed)
    forecaster = DemandForecaster.build(config)
    network = forecaster.network
    network.fit_feature_scaling(samples)

    def daily(s: ForecastSamples) -> np.ndarray:
        text = forecaster.featurizer.prepare(s.texts)
        with torch.no_grad():
            return network(make_batch(s, text, np.arange(len(s)))).daily.numpy()

    return network, daily


def test_text_dropout_hides_the_text_in_training_only() -> None:
    config = small_config(dropout=0.0, text_dropout=1.0)
    samples = make_samples(config, 8, seed=4)
    swapped = with_texts_reversed(samples)
    network, daily = daily_forecaster(config, samples)
    network.train()
    np.testing.assert_array_equal(daily(samples), daily(swapped))  # every text vector dropped
    network.eval()
    assert not np.allclose(daily(samples), daily(swapped))  # served with the text


def test_products_younger_than_the_text_age_are_read_without_their_text() -> None:
    config = small_config(dropout=0.0, text_min_launch_age_days=56.0)
    age = config.static_features.index("days_since_launch_log1p")
    samples = make_samples(config, 8, seed=5)
    samples.static[:, age] = np.log1p([0, 0, 10, 55, 56, 90, 400, 900])
    swapped = with_texts_reversed(samples)
    network, daily = daily_forecaster(config, samples)
    for mode in (network.train, network.eval):  # the same rule in training and serving
        mode()
        young, established = daily(samples), daily(swapped)
        np.testing.assert_array_equal(young[:4], established[:4])  # launched < 56 days ago
        for i in range(4, 8):
            assert not np.allclose(young[i], established[i])
    with pytest.raises(ValueError, match="text_min_launch_age_days"):
        small_config(text_min_launch_age_days=-1.0)
    with pytest.raises(ValueError, match="days_since_launch_log1p"):
        small_config(
            text_min_launch_age_days=28.0,
            static_features=("list_price_log", "lead_time_days"),
        )
