"""Shared fixtures: one small frozen-encoder model trained once per session."""

from __future__ import annotations

import pytest

from inventory_pipeline.model import (
    DemandForecaster,
    ForecastSamples,
    ModelConfig,
    TrainingHistory,
    train,
)
from inventory_pipeline_tests.model.synthetic import make_samples, small_config


@pytest.fixture(scope="session")
def frozen_config() -> ModelConfig:
    return small_config(max_epochs=12, patience=5)


@pytest.fixture(scope="session")
def frozen_samples(frozen_config: ModelConfig) -> tuple[ForecastSamples, ForecastSamples]:
    return make_samples(frozen_config, 256, seed=1), make_samples(frozen_config, 64, seed=2)


@pytest.fixture(scope="session")
def trained_frozen(
    frozen_config: ModelConfig, frozen_samples: tuple[ForecastSamples, ForecastSamples]
) -> tuple[DemandForecaster, TrainingHistory]:
    train_samples, val_samples = frozen_samples
    return train(frozen_config, train_samples, val_samples)
