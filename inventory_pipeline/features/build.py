"""Entry points for the Dagster ``features`` assets: full builds and nightly updates.

Every function takes a :class:`Warehouse` (and an export day for updates) and returns a
:class:`TableUpdate` whose ``metadata()`` can be attached to the materialisation. Compute runs on
in-memory DuckDB connections; the catalog file is touched only by :func:`publish_feature_views`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from inventory_pipeline.features.calendar_table import build_calendar, update_calendar
from inventory_pipeline.features.catalog import publish_feature_views
from inventory_pipeline.features.common import TableUpdate
from inventory_pipeline.features.config import DEFAULT_CONFIG, FeatureConfig
from inventory_pipeline.features.demand import build_daily_sku_demand, update_daily_sku_demand
from inventory_pipeline.features.product_docs import build_product_docs, update_product_docs
from inventory_pipeline.features.promotions import build_promo_calendar, update_promo_calendar
from inventory_pipeline.features.reviews import build_review_signals, update_review_signals
from inventory_pipeline.warehouse import Warehouse

BUILDERS: dict[str, Callable[[Warehouse, FeatureConfig], TableUpdate]] = {
    "daily_sku_demand": build_daily_sku_demand,
    "promo_calendar": build_promo_calendar,
    "review_signals": build_review_signals,
    "product_docs": build_product_docs,
    "calendar": build_calendar,
}

UPDATERS: dict[str, Callable[[Warehouse, date, FeatureConfig], TableUpdate]] = {
    "daily_sku_demand": update_daily_sku_demand,
    "promo_calendar": update_promo_calendar,
    "review_signals": update_review_signals,
    "product_docs": update_product_docs,
    "calendar": lambda warehouse, _export_date, config: update_calendar(warehouse, config),
}


def build_table(
    warehouse: Warehouse, name: str, config: FeatureConfig = DEFAULT_CONFIG
) -> TableUpdate:
    """Full rebuild of one feature table, then its catalog view."""
    update = _lookup(BUILDERS, name)(warehouse, config)
    publish_feature_views(warehouse)
    return update


def update_table(
    warehouse: Warehouse, name: str, export_date: date, config: FeatureConfig = DEFAULT_CONFIG
) -> TableUpdate:
    """Incremental update of one feature table for a (re)loaded export day, then its view."""
    update = _lookup(UPDATERS, name)(warehouse, export_date, config)
    publish_feature_views(warehouse)
    return update


def build_all(
    warehouse: Warehouse, config: FeatureConfig = DEFAULT_CONFIG
) -> dict[str, TableUpdate]:
    out = {name: builder(warehouse, config) for name, builder in BUILDERS.items()}
    publish_feature_views(warehouse)
    return out


def update_all(
    warehouse: Warehouse, export_date: date, config: FeatureConfig = DEFAULT_CONFIG
) -> dict[str, TableUpdate]:
    out = {name: updater(warehouse, export_date, config) for name, updater in UPDATERS.items()}
    publish_feature_views(warehouse)
    return out


def _lookup(table: dict[str, Callable[..., TableUpdate]], name: str) -> Callable[..., TableUpdate]:
    if name not in table:
        raise KeyError(f"unknown feature table {name!r}; expected one of {sorted(table)}")
    return table[name]
