"""A tiny generated shop with feature tables and a small trained forecaster (built once)."""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from inventory_pipeline import contract as c
from inventory_pipeline.evaluation import EvaluationConfig, LightGBMConfig
from inventory_pipeline.features.as_of import features_as_of
from inventory_pipeline.features.build import build_all
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.model import DemandForecaster
from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.train import train
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.training.config import TrainingConfig
from inventory_pipeline.training.windows_io import read_demand
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import attach_targets, concat, samples_from_features

START = date(2024, 1, 1)
DAYS = 70
EVAL_START = START + timedelta(days=49)
EVAL_END = START + timedelta(days=DAYS - 1)
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99)


@dataclass(frozen=True)
class TinyShop:
    root: Path
    warehouse: Warehouse
    truth: Path
    forecaster: DemandForecaster


def tiny_model_config() -> ModelConfig:
    return ModelConfig(
        history_days=14, horizon_days=14, quantiles=QUANTILES, d_model=16, max_epochs=2,
        batch_size=64, num_threads=1, bf16_autocast=False, patience=1, use_text=False,
        learning_rate=1e-3, zero_below=0.0, text_dropout=0.0, text_min_launch_age_days=0.0,
        prior_offset_feature=None, prior_excluded_static=(), launch_curve=False,
    )  # fmt: skip


def tiny_eval_config(**changes: object) -> EvaluationConfig:
    """Small and fast: short baseline history, a few boosting rounds, few oracle paths."""
    base = EvaluationConfig(
        training=TrainingConfig(baseline_history_days=42),
        lightgbm=LightGBMConfig(
            n_estimators=15, min_child_samples=5, lags=(1, 7), rolling_windows=(7,)
        ),
        oracle_samples=200,
        horizon_days=14,
    )  # fmt: skip
    return EvaluationConfig(**{**base.__dict__, **changes})


def _train(warehouse: Warehouse, config: ModelConfig) -> DemandForecaster:
    demand = read_demand(warehouse)
    latest = EVAL_START - timedelta(days=1)  # targets before the evaluated days only
    parts = []
    for origin in (START + timedelta(days=d) for d in (14, 21, 28, 35)):
        fs = features_as_of(
            warehouse, origin, history_days=config.history_days, horizon=config.horizon_days
        )
        parts.append(
            attach_targets(samples_from_features(fs, config), demand, config.horizon_days, latest)
        )
    forecaster, _ = train(config, concat(parts).samples)
    return forecaster


@pytest.fixture(scope="package")
def tiny_shop(tmp_path_factory: pytest.TempPathFactory) -> TinyShop:
    root = tmp_path_factory.mktemp("evaluation_shop")
    landing, truth = root / "landing", root / "truth"
    generate_shop(landing, truth, skus=12, days=DAYS, start=START, seed=21, progress=False)
    warehouse = Warehouse(root / "warehouse")
    for contract in c.TABLES.values():
        ingest_days(landing, warehouse, contract, landing_dates(landing, contract.name))
    build_all(warehouse)
    return TinyShop(root, warehouse, truth, _train(warehouse, tiny_model_config()))
