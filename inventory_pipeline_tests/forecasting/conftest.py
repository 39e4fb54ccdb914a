"""A generated shop with features and a small champion model registered in a real MLflow store."""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import mlflow
import pytest

from inventory_pipeline import contract as c
from inventory_pipeline import tracking
from inventory_pipeline.defs.resources import LandingZoneResource, MlflowResource, WarehouseResource
from inventory_pipeline.features.as_of import features_as_of
from inventory_pipeline.features.build import build_all
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.model.train import train
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.sampleshop.config import ShopConfig
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import attach_targets, concat, samples_from_features

START = date(2024, 1, 1)
DAYS = 70
MODEL_NAME = "demand_model"
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)


@dataclass
class Shop:
    root: Path
    landing: Path
    warehouse: Warehouse
    tracking_uri: str
    artifacts: Path
    version: str

    def resources(self) -> dict[str, object]:
        """The pipeline's resources pointed at this shop (as a Dagster run gets them)."""
        return {
            "landing": LandingZoneResource(path=str(self.landing)),
            "warehouse": WarehouseResource(path=str(self.warehouse.root)),
            "mlflow_registry": MlflowResource(
                tracking_uri=self.tracking_uri, artifacts_dir=str(self.artifacts),
                experiment="tests", registered_model=MODEL_NAME,
            ),
        }  # fmt: skip


def tiny_config() -> ModelConfig:
    return ModelConfig(
        history_days=14, horizon_days=14, quantiles=QUANTILES, d_model=16, max_epochs=2,
        batch_size=64, num_threads=1, bf16_autocast=False, patience=1, learning_rate=1e-3,
        zero_below=0.0, text_dropout=0.0, text_min_launch_age_days=0.0,
        prior_offset_feature=None, prior_excluded_static=(), launch_curve=False,
    )  # fmt: skip


def build_warehouse(
    root: Path, days: int = DAYS, config: ShopConfig | None = None
) -> tuple[Path, Warehouse]:
    """A 12-SKU sample shop from START, ingested with its feature tables (``config``: the shop's
    generator settings, default the default profile's)."""
    landing = root / "landing"
    generate_shop(
        landing, root / "truth", skus=12, days=days, start=START, seed=21, progress=False,
        config=config,
    )  # fmt: skip
    warehouse = Warehouse(root / "warehouse")
    for contract in c.TABLES.values():
        ingest_days(landing, warehouse, contract, landing_dates(landing, contract.name))
    build_all(warehouse)
    return landing, warehouse


def train_tiny(warehouse: Warehouse, config: ModelConfig) -> DemandForecaster:
    """A forecaster trained on three origins of the generated shop (targets up to day 40)."""
    demand = (
        duckdb.connect()
        .sql(
            f"SELECT * FROM read_parquet('{warehouse.glob('features/daily_sku_demand', 1)}', "
            "hive_partitioning=true)"
        )
        .pl()
    )
    latest = START + timedelta(days=40)
    windows = []
    for origin in (
        START + timedelta(days=14),
        START + timedelta(days=21),
        START + timedelta(days=26),
    ):
        fs = features_as_of(
            warehouse, origin, history_days=config.history_days, horizon=config.horizon_days
        )
        windows.append(
            attach_targets(samples_from_features(fs, config), demand, config.horizon_days, latest)
        )
    forecaster, _ = train(config, concat(windows).samples)
    return forecaster


def train_and_register(warehouse: Warehouse, root: Path, config: ModelConfig) -> str:
    forecaster = train_tiny(warehouse, config)
    with mlflow.start_run():
        uri = tracking.log_model(forecaster, root / "model_tmp", input_example=None)
    version = tracking.register(uri, MODEL_NAME)
    tracking.promote(MODEL_NAME, version)
    return version


def make_shop(root: Path) -> Shop:
    """The generated shop with features and a tiny champion in a SQLite MLflow store under root."""
    landing, warehouse = build_warehouse(root)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    tracking.configure(uri, root / "artifacts", "tests")
    version = train_and_register(warehouse, root, tiny_config())
    return Shop(root, landing, warehouse, uri, root / "artifacts", version)


@pytest.fixture(scope="package")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return make_shop(tmp_path_factory.mktemp("forecast_shop"))
