"""A generated shop with features and a tiny champion in a real MLflow store (the forecasting
tests' recipe, built once for this package)."""

import pytest

from inventory_pipeline import tracking
from inventory_pipeline_tests.forecasting.conftest import (
    Shop,
    build_warehouse,
    tiny_config,
    train_and_register,
)


@pytest.fixture(scope="package")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    root = tmp_path_factory.mktemp("scaleout_shop")
    landing, warehouse = build_warehouse(root)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    tracking.configure(uri, root / "artifacts", "tests")
    version = train_and_register(warehouse, root, tiny_config())
    return Shop(root, landing, warehouse, uri, root / "artifacts", version)
