"""A catalog without categories: it loads, the features use the shop level, a model forecasts.

A generated shop's products files are rewritten without the category column (CSV) or with empty
values in it (Parquet), then ingested, featurised, fed to a tiny model and the LightGBM peer.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from inventory_pipeline import contract as c
from inventory_pipeline.features.as_of import features_as_of
from inventory_pipeline.features.build import build_all
from inventory_pipeline.features.common import TableUpdate
from inventory_pipeline.features.config import DEFAULT_CONFIG
from inventory_pipeline.ingest.load import RangeStats, ingest_days, landing_dates
from inventory_pipeline.peers import LightGBMConfig, lightgbm_forecast
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import samples_from_features
from inventory_pipeline_tests.forecasting.conftest import START, tiny_config, train_tiny

SKUS = 12
DAYS = 70


def _strip_categories(landing: Path) -> int:
    """Drops the column from every readable CSV and empties it in every Parquet; files changed."""
    changed = 0
    for path in sorted((landing / "products").glob("date=*/*")):
        try:
            if path.suffix == ".csv":
                frame = pl.read_csv(path, infer_schema=False)
                frame.drop("category").write_csv(path)
            elif path.suffix == ".parquet":
                frame = pl.read_parquet(path)
                frame.with_columns(pl.lit(None, pl.String).alias("category")).write_parquet(path)
            else:
                continue
        except (pl.exceptions.PolarsError, OSError):  # the generator's unreadable files stay
            continue
        changed += 1
    return changed


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, dict[str, RangeStats]]:
    root = tmp_path_factory.mktemp("no_category")
    landing = root / "landing"
    generate_shop(landing, root / "truth", skus=SKUS, days=DAYS, start=START, seed=21,
                  progress=False)  # fmt: skip
    assert _strip_categories(landing) >= 2
    warehouse = Warehouse(root / "warehouse")
    stats = {
        table.name: ingest_days(landing, warehouse, table, landing_dates(landing, table.name))
        for table in c.TABLES.values()
    }
    return warehouse, stats


@pytest.fixture(scope="module")
def updates(shop: tuple[Warehouse, dict[str, RangeStats]]) -> dict[str, TableUpdate]:
    return build_all(shop[0])


def test_the_contract_makes_category_optional() -> None:
    column = c.PRODUCTS.column("category")
    assert not column.required and column.may_be_absent
    assert "category" not in c.PRODUCTS.required_columns


def test_products_without_category_load_and_their_orders_are_known(
    shop: tuple[Warehouse, dict[str, RangeStats]],
) -> None:
    warehouse, stats = shop
    products = stats["products"]
    assert products.rows_accepted >= SKUS
    assert c.MISSING_COLUMNS not in products.rejects_by_rule
    rejects = pl.read_parquet(warehouse.glob("rejects", 2), hive_partitioning=True)
    about_category = pl.col("detail").str.contains(r"(^|; )category: ")  # validation's wording
    assert not rejects.filter(about_category).height
    raw = pl.read_parquet(warehouse.glob("raw/products", 1), hive_partitioning=True)
    assert raw["sku"].n_unique() == SKUS and raw["category"].null_count() == raw.height
    # an order is unknown only when the generator made it so, never for want of a category
    orders = stats["orders"]
    assert orders.rows_accepted > 0
    assert orders.rejects_by_rule.get(c.UNKNOWN_SKU, 0) < 0.05 * orders.rows_read


def test_features_fall_back_to_the_shop_level_and_say_so_once(
    shop: tuple[Warehouse, dict[str, RangeStats]], updates: dict[str, TableUpdate]
) -> None:
    warehouse = shop[0]
    docs = updates["product_docs"].metadata()
    assert docs["products_without_category"] == SKUS and "shop" in docs["category_fallback"]
    others = [u.metadata() for name, u in updates.items() if name != "product_docs"]
    assert all("category_fallback" not in m for m in others)
    as_of = START + timedelta(days=DAYS - 15)
    recent = DEFAULT_CONFIG.season_recent_days
    fs = features_as_of(warehouse, as_of, history_days=recent, horizon=14)
    assert fs.static["category"].null_count() == fs.static.height == SKUS
    assert not fs.docs["text"].str.contains("Category:").any()
    assert fs.docs["text"].str.contains("Price tier: ").all()
    # the shop level: units per product on sale over the recent window, the whole catalog
    history = fs.history
    expected = math.log(
        history["units"].sum() / history["on_sale"].cast(pl.Int64).sum()
        + DEFAULT_CONFIG.season_level_epsilon
    )
    levels = fs.static["category_recent_log"].unique()
    assert levels.len() == 1 and levels[0] == pytest.approx(expected, rel=1e-6)
    season = fs.future.select("category_season_log", "category_season_known")
    assert season.null_count().sum_horizontal().item() == 0


def test_a_tiny_model_and_the_lightgbm_peer_forecast_without_categories(
    shop: tuple[Warehouse, dict[str, RangeStats]], updates: dict[str, TableUpdate]
) -> None:
    warehouse = shop[0]
    config = tiny_config()
    forecaster = train_tiny(warehouse, config)
    origin = START + timedelta(days=45)
    fs = features_as_of(warehouse, origin, history_days=config.history_days, horizon=14)
    forecast = forecaster.predict(samples_from_features(fs, config).samples)
    assert forecast.daily.shape[:2] == (SKUS, 14)
    assert np.isfinite(forecast.daily).all() and (forecast.daily >= 0).all()
    peer_features = features_as_of(warehouse, origin, history_days=42, horizon=7)
    skus = peer_features.static["sku"].to_list()
    peer = lightgbm_forecast(
        peer_features, skus, 7, (0.1, 0.5, 0.9),
        LightGBMConfig(n_estimators=10, min_child_samples=5, lags=(1, 7), rolling_windows=(7,)),
    )  # fmt: skip
    assert peer.height == 7 * len(skus) and peer["p90"].is_finite().all()
