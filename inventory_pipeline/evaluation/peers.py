"""The LightGBM peer lives in :mod:`inventory_pipeline.peers` (the retraining backtest scores it
too); this name keeps the evaluation's imports working."""

from inventory_pipeline.peers import (
    DEFAULT_LIGHTGBM_CONFIG,
    MEAN,
    LightGBMConfig,
    lightgbm_forecast,
)

__all__ = ["DEFAULT_LIGHTGBM_CONFIG", "MEAN", "LightGBMConfig", "lightgbm_forecast"]
