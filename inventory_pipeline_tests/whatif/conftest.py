"""A tiny generated shop where promotions are frequent, and a small champion trained on it.

Promotions are frequent and deep (so a model of a few epochs has seen enough of them to learn what
a discount does), the catalog has no launches or discontinuations inside the period; the model is
registered as the champion in a real MLflow store (SQLite) under the shop's folder.
"""

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import mlflow
import pytest

from inventory_pipeline import contract as c
from inventory_pipeline import tracking
from inventory_pipeline.defs.resources import (
    MlflowResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.defs.whatif.resources import ScenarioFolderResource
from inventory_pipeline.features.as_of import features_as_of
from inventory_pipeline.features.build import build_all
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.model.train import train
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.sampleshop.profiles import get_profile
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import attach_targets, concat, samples_from_features

START = date(2024, 3, 1)
DAYS = 150
MODEL_NAME = "demand_model"
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)


@dataclass
class PromoShop:
    root: Path
    warehouse: Warehouse
    forecaster: DemandForecaster
    version: str
    tracking_uri: str
    latest: date  # the last export day: "today" of a what-if

    def resources(self, what_if: Path) -> dict[str, object]:
        return {
            "warehouse": WarehouseResource(path=str(self.warehouse.root)),
            "mlflow_registry": MlflowResource(
                tracking_uri=self.tracking_uri, artifacts_dir=str(self.root / "artifacts"),
                experiment="tests", registered_model=MODEL_NAME,
            ),
            "shop": ShopSettingsResource(path=str(self.root / "settings.yaml")),
            "what_if": ScenarioFolderResource(path=str(what_if)),
        }  # fmt: skip


def promo_config() -> ModelConfig:
    return ModelConfig(
        history_days=14, horizon_days=14, quantiles=QUANTILES, d_model=16, max_epochs=12,
        batch_size=32, num_threads=1, bf16_autocast=False, patience=12, learning_rate=5e-3,
        zero_below=0.0, text_dropout=0.0, text_min_launch_age_days=0.0,
        prior_offset_feature=None, prior_excluded_static=(), launch_curve=False,
    )  # fmt: skip


def _train(warehouse: Warehouse, config: ModelConfig, latest: date) -> DemandForecaster:
    glob = warehouse.glob("features/daily_sku_demand", 1)
    demand = (
        duckdb.connect().sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning=true)").pl()
    )
    windows = []
    origin = START + timedelta(days=config.history_days + 7)
    while origin + timedelta(days=config.horizon_days) <= latest:
        fs = features_as_of(
            warehouse, origin, history_days=config.history_days, horizon=config.horizon_days
        )
        windows.append(
            attach_targets(samples_from_features(fs, config), demand, config.horizon_days, latest)
        )
        origin += timedelta(days=4)
    forecaster, _ = train(config, concat(windows).samples)
    return forecaster


@pytest.fixture(scope="package")
def promo_shop(tmp_path_factory: pytest.TempPathFactory) -> PromoShop:
    root = tmp_path_factory.mktemp("promo_shop")
    profile = get_profile("default")
    config = dataclasses.replace(
        profile.config, random_promos_per_year=25.0, discount_range=(20, 50), announce_days=(3, 6),
        promo_type_shares=(1.0, 0.0, 0.0, 0.0), replan_share=0.0, discontinue_share=0.0,
    )  # fmt: skip
    landing = root / "landing"
    generate_shop(
        landing, root / "truth", skus=16, days=DAYS, start=START, seed=5, progress=False,
        config=config, settings_out=root / "settings.yaml",
    )  # fmt: skip
    warehouse = Warehouse(root / "warehouse")
    for table in c.TABLES.values():
        ingest_days(landing, warehouse, table, landing_dates(landing, table.name))
    build_all(warehouse)
    latest = START + timedelta(days=DAYS - 1)
    forecaster = _train(warehouse, promo_config(), latest)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    tracking.configure(uri, root / "artifacts", "tests")
    with mlflow.start_run():
        model_uri = tracking.log_model(forecaster, root / "model_tmp", input_example=None)
    version = tracking.register(model_uri, MODEL_NAME)
    tracking.promote(MODEL_NAME, version)
    return PromoShop(root, warehouse, forecaster, version, uri, latest)
