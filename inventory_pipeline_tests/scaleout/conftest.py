"""A generated shop with features and a tiny champion in a real MLflow store (the forecasting
tests' recipe, built once for this package)."""

import pytest

from inventory_pipeline_tests.forecasting.conftest import Shop, make_shop


@pytest.fixture(scope="package")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return make_shop(tmp_path_factory.mktemp("scaleout_shop"))
