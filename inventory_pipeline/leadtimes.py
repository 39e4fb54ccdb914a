"""How late the shop's suppliers really deliver, read from its inventory snapshots.

The catalog states one lead time per SKU; deliveries in real life come later (or earlier). When
the shop exports daily snapshots, an order shows as a rise of ``on_order`` and its delivery as a
fall of the same size: the days between them are the realised lead time. This module pairs them
(first in, first out, equal quantities only, so a partial delivery or a cancellation pairs with
nothing rather than with the wrong order) and summarises realised / catalog lead time across the
shop as the ``lead_time_range`` the reorder policy reads
(:class:`~inventory_pipeline.reorder.ReorderConfig`).

Used when the shop's settings do not state a range; with too few pairs (weekly snapshots, a new
shop) the estimate says so and the policy keeps the catalog's lead times.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from inventory_pipeline.features.sources import Scope, connect, query, register_sources
from inventory_pipeline.warehouse import Warehouse


@dataclass(frozen=True)
class LeadTimeEstimateConfig:
    """Every tunable number of the estimate."""

    lookback_days: int = 365  # snapshots read before the as-of day
    min_deliveries: int = 30  # fewer paired orders: no estimate (the catalog's lead times hold)
    low_quantile: float = 0.05  # the range's ends: these quantiles of realised / catalog
    high_quantile: float = 0.95


@dataclass(frozen=True)
class LeadTimeEstimate:
    """Realised / catalog lead time over the paired deliveries of the lookback."""

    deliveries: int  # order → delivery pairs found
    skus: int  # SKUs with at least one pair
    low: float  # low_quantile of the ratio (nan without pairs)
    median: float
    high: float  # high_quantile of the ratio
    enough: bool  # deliveries >= min_deliveries

    @property
    def lead_time_range(self) -> tuple[float, float] | None:
        """``(low, high)`` for the policy, or None when there are too few deliveries."""
        if not self.enough:
            return None
        return (round(self.low, 3), round(max(self.high, self.low), 3))

    def describe(self) -> str:
        if not self.deliveries:
            return "no order → delivery pair in the snapshots: the catalog's lead times are used"
        text = (
            f"{self.deliveries} deliveries of {self.skus} SKUs took "
            f"{self.low:.2f}–{self.high:.2f}× "
            f"the catalog lead time (median {self.median:.2f})"
        )
        return text if self.enough else f"{text}; too few to use, the catalog's lead times hold"


def pair_deliveries(changes: pl.DataFrame) -> pl.DataFrame:
    """(sku, ordered_on, delivered_on, days, catalog_days) from on_order changes.

    ``changes``: (sku, snapshot_date, change, lead_time_days) ordered by SKU and day, as
    ``sql/features/on_order_changes.sql`` gives them. A rise queues an order; a fall is paired
    with the oldest queued order of the same quantity (FIFO among equals).
    """
    rows: list[tuple[str, date, date, int, int]] = []
    for (sku,), group in changes.group_by("sku", maintain_order=True):
        open_orders: deque[tuple[date, int]] = deque()
        for day, change, catalog in group.select(
            "snapshot_date", "change", "lead_time_days"
        ).iter_rows():
            if change > 0:
                open_orders.append((day, change))
                continue
            match = next((o for o in open_orders if o[1] == -change), None)
            if match is None:
                continue  # a partial delivery or a cancellation: nothing to pair with
            open_orders.remove(match)
            rows.append((str(sku), match[0], day, (day - match[0]).days, int(catalog)))
    return pl.DataFrame(
        rows,
        schema={
            "sku": pl.String, "ordered_on": pl.Date, "delivered_on": pl.Date,
            "days": pl.Int64, "catalog_days": pl.Int64,
        },
        orient="row",
    )  # fmt: skip


def summarise(pairs: pl.DataFrame, config: LeadTimeEstimateConfig) -> LeadTimeEstimate:
    """The spread of realised / catalog lead time over ``pairs``."""
    if pairs.is_empty():
        return LeadTimeEstimate(0, 0, float("nan"), float("nan"), float("nan"), False)
    ratio = (pairs["days"] / pairs["catalog_days"]).to_numpy().astype(float)
    low, median, high = np.quantile(ratio, [config.low_quantile, 0.5, config.high_quantile])
    return LeadTimeEstimate(
        deliveries=len(ratio),
        skus=pairs["sku"].n_unique(),
        low=float(low),
        median=float(median),
        high=float(high),
        enough=len(ratio) >= config.min_deliveries,
    )


def estimate_lead_times(
    warehouse: Warehouse, as_of: date, config: LeadTimeEstimateConfig | None = None
) -> LeadTimeEstimate:
    """The shop's realised lead-time spread from the snapshots known on ``as_of``."""
    config = config or LeadTimeEstimateConfig()
    first = as_of - timedelta(days=config.lookback_days)
    con = connect(None)
    try:
        register_sources(
            con,
            warehouse,
            Scope(known_on=as_of, inventory_from=first),
            tables=("products", "inventory"),
        )
        changes = pl.from_arrow(
            query(con, "features/on_order_changes", {"first": first, "as_of": as_of})
        )
    finally:
        con.close()
    assert isinstance(changes, pl.DataFrame)
    return summarise(pair_deliveries(changes), config)


def weekly_lead_time_estimate(warehouse: Warehouse, as_of: date) -> LeadTimeEstimate:
    """The estimate as of the Monday on or before ``as_of`` (what was known then), computed once
    per week and process: a nightly backfill pays for it once a week, not every night."""
    monday = as_of - timedelta(days=as_of.weekday())
    return _cached_estimate(warehouse.root.resolve(), monday)


@lru_cache(maxsize=64)
def _cached_estimate(root: Path, as_of: date) -> LeadTimeEstimate:
    return estimate_lead_times(Warehouse(root), as_of)
