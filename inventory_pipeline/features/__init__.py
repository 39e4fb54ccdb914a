"""Feature tables for the demand model, built by DuckDB from the raw Parquet (no Dagster here).

Tables (``docs/features.md`` has the columns and the on-disk layout):

- ``daily_sku_demand`` (``month=YYYY-MM``): units per SKU and day net of cancellations, as known
  after the latest export, zero-filled while on sale, stockout = snapshot on_hand = 0, price paid
  and list price. Nightly updates rewrite only the months the new export can change.
- ``promo_calendar`` (``known_on=``), ``review_signals`` (``date=``): one partition per day holding
  what was known that day, so the export of day X only ever changes days >= X.
- ``product_docs`` (``valid_from=``): change log of the per-SKU text for the language model.
- ``calendar`` (``year=``): day-of-week fields and configurable shopping events / holidays.

:func:`features_as_of` returns everything as known on a day for a set of SKUs; it is the single
reader for training and inference, and it runs the same SQL files as the tables.
"""

from inventory_pipeline.features.as_of import FeatureSet, features_as_of
from inventory_pipeline.features.build import build_all, build_table, update_all, update_table
from inventory_pipeline.features.calendar import (
    EventDay,
    EventRule,
    calendar_frame,
    shopping_events,
)
from inventory_pipeline.features.catalog import publish_feature_views
from inventory_pipeline.features.common import TableUpdate
from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.features.demand import (
    affected_months,
    build_daily_sku_demand,
    compute_demand,
    update_daily_sku_demand,
)
from inventory_pipeline.features.product_docs import read_product_docs

__all__ = [
    "EventDay",
    "EventRule",
    "FeatureConfig",
    "FeatureSet",
    "TableUpdate",
    "affected_months",
    "build_all",
    "build_daily_sku_demand",
    "build_table",
    "calendar_frame",
    "compute_demand",
    "features_as_of",
    "publish_feature_views",
    "read_product_docs",
    "shopping_events",
    "update_all",
    "update_daily_sku_demand",
    "update_table",
]
