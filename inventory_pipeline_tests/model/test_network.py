"""Output validity by construction: non-negative, monotone in q, cumulative monotone in h."""

from __future__ import annotations

import numpy as np
import torch

from inventory_pipeline.model import DemandForecaster, ForecastSamples, TrainingHistory
from inventory_pipeline.model.network import (
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
