"""Global SKU demand model: pretrained text encoder + history tower -> demand quantiles.

Plain Python and torch (no orchestrator imports), so it can be trained and tested on its own.

Public API:
    ModelConfig                   every tunable number (``config.py``)
    ForecastSamples, ForecastBatch input contract (``data.py``)
    train(...)                    fit -> (DemandForecaster, TrainingHistory)
    DemandForecaster              .predict(samples) -> QuantileForecast, .save(dir), .load(dir)
    EmbeddingCache                frozen-encoder embedding cache per (encoder version, text sha256)
    calendar_features, launch_features   per-day channels of the default covariate layouts
"""

from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.data import ForecastBatch, ForecastSamples, TextInputs, make_batch
from inventory_pipeline.model.embedding_cache import EmbeddingCache
from inventory_pipeline.model.features import calendar_features, launch_features
from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.model.predict import QuantileForecast, quantile_column_name
from inventory_pipeline.model.train import EpochRecord, StepInfo, TrainingHistory, train

__all__ = [
    "DemandForecaster",
    "EmbeddingCache",
    "EpochRecord",
    "ForecastBatch",
    "ForecastSamples",
    "ModelConfig",
    "QuantileForecast",
    "StepInfo",
    "TextInputs",
    "TrainingHistory",
    "calendar_features",
    "launch_features",
    "make_batch",
    "quantile_column_name",
    "train",
]
