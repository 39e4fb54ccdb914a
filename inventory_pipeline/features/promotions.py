"""promo_calendar: discount and promotion type per sku x day, as known on each day.

Stored as ``features/promo_calendar/known_on=YYYY-MM-DD/data.parquet``: the promotions known on
``known_on`` for dates ``known_on .. known_on + promo_lookahead_days`` (sparse: a missing sku x date
has no promotion). The row with ``date = known_on`` is the promotion in force that day, so the
realised promotion history and the plan for the future both come from the same table without
leaking a later announcement into an earlier forecast.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from inventory_pipeline.features.common import TableUpdate, feature_table
from inventory_pipeline.features.config import DEFAULT_CONFIG, FeatureConfig
from inventory_pipeline.features.known_days import known_day_range, write_days
from inventory_pipeline.features.sources import query
from inventory_pipeline.warehouse import Warehouse

NAME = "promo_calendar"
TABLE = feature_table(NAME)
KEY = "known_on"


def compute_promo_calendar(
    con: duckdb.DuckDBPyConnection, first_known: date, last_known: date, lookahead_days: int
) -> pl.DataFrame:
    """Rows (known_on, sku, date, discount_pct, promo_type, promo_id, name, announced_on)."""
    frame = pl.from_arrow(
        query(
            con,
            "features/promo_calendar",
            {
                "first_known": first_known,
                "last_known": last_known,
                "lookahead_days": lookahead_days,
            },
        )
    )
    assert isinstance(frame, pl.DataFrame)
    return frame


def _writer(warehouse: Warehouse, export_date: date | None, config: FeatureConfig) -> TableUpdate:
    first, last = known_day_range(warehouse, export_date)
    return write_days(
        warehouse,
        name=NAME,
        table=TABLE,
        key=KEY,
        day_column="known_on",
        compute=lambda con, lo, hi: compute_promo_calendar(
            con, lo, hi, config.promo_lookahead_days
        ),
        first=first,
        last=last,
        config=config,
        full_rebuild=export_date is None,
        tables=("promotions",),
    )


def build_promo_calendar(
    warehouse: Warehouse, config: FeatureConfig = DEFAULT_CONFIG
) -> TableUpdate:
    """Full rebuild: one partition per day from the first to the latest export."""
    return _writer(warehouse, None, config)


def update_promo_calendar(
    warehouse: Warehouse, export_date: date, config: FeatureConfig = DEFAULT_CONFIG
) -> TableUpdate:
    """After export ``export_date`` was (re)loaded: rewrites known-on days export_date..latest."""
    return _writer(warehouse, export_date, config)
