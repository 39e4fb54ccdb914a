"""What the simulation replays: demand, SKU parameters and the start stock of the evaluated days.

Demand: with a ground truth (a generated shop) the true demand before censoring. Without one (a
real shop) the observed units; on a stockout day sales understate demand, so those days are never
scored, and the stock physics uses an estimate there (the mean of the SKU's usable days in the
trailing ``impute_window_days``), which the report counts.

Parameters (lead time, MOQ, pack size, unit cost, list price, launch and discontinuation dates)
come from the catalog as known on the last evaluated day. Start stock: the last inventory snapshot
in the week before the first day; what it shows on order is assumed to arrive half-way through the
SKU's lead time (when it was ordered is not exported). Every forecaster starts from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from inventory_pipeline.features.sources import Scope, connect, register_sources
from inventory_pipeline.scoring.segments import ACTUALS_OBSERVED, ACTUALS_TRUE
from inventory_pipeline.scoring.truth import Truth
from inventory_pipeline.training import read_demand
from inventory_pipeline.warehouse import Warehouse

SNAPSHOT_LOOKBACK_DAYS = 7  # a snapshot can arrive late; older than this, the stock is unknown


@dataclass(frozen=True)
class ShopDays:
    """N SKUs over the D evaluated days ``start .. end`` (rows = ``skus``, columns = days)."""

    start: date
    end: date
    skus: list[str]
    categories: list[str]
    lead_time_days: np.ndarray  # (N,) int
    moq: np.ndarray  # (N,) int
    pack_size: np.ndarray  # (N,) int
    unit_cost: np.ndarray  # (N,) float
    list_price: np.ndarray  # (N,) float
    launched_at: list[date | None]
    discontinued_at: list[date | None]
    demand: np.ndarray  # (N, D) int: the demand the simulation serves
    on_sale: np.ndarray  # (N, D) bool
    usable: np.ndarray  # (N, D) bool: the demand is known (not a stockout-censored estimate)
    on_hand: np.ndarray  # (N,) int, the morning of ``start``
    on_order: np.ndarray  # (N,) int, open orders the morning of ``start``
    recorded_sold: np.ndarray  # (N, D) int: units the shop actually sold
    recorded_on_hand: np.ndarray  # (N, D) int: the shop's end-of-day snapshots (-1: none)
    actuals: str  # ACTUALS_TRUE or ACTUALS_OBSERVED

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def imputed_sku_days(self) -> int:
        """On-sale days whose demand the physics estimated (no ground truth, stockout)."""
        return int((self.on_sale & ~self.usable).sum())


def read_catalog(warehouse: Warehouse, as_of: date) -> pl.DataFrame:
    """The product catalog as known on ``as_of`` (latest export per SKU wins)."""
    con = connect(None)
    try:
        register_sources(con, warehouse, Scope(known_on=as_of), tables=("products",))
        return con.sql(
            "SELECT sku, category, list_price, unit_cost, lead_time_days, moq, pack_size, "
            "launched_at, discontinued_at FROM products_current ORDER BY sku"
        ).pl()
    finally:
        con.close()


def _matrix(
    frame: pl.DataFrame, skus: list[str], days: list[date], column: str, fill: object
) -> np.ndarray:
    grid = pl.DataFrame({"sku": skus}).join(pl.DataFrame({"date": days}), how="cross")
    joined = grid.join(
        frame.select("sku", "date", column), on=["sku", "date"], how="left", maintain_order="left"
    )
    return joined[column].fill_null(fill).to_numpy().reshape(len(skus), len(days))


def _imputed(demand: pl.DataFrame, window: int) -> pl.DataFrame:
    """``estimate``: mean units of the trailing ``window`` usable days (0 when there is none)."""
    usable = (pl.col("on_sale") & ~pl.col("stockout")).cast(pl.Float64)
    return demand.sort("sku", "date").with_columns(
        estimate=(
            (pl.col("units") * usable).rolling_sum(window, min_samples=1).shift(1).over("sku")
            / usable.rolling_sum(window, min_samples=1).shift(1).over("sku")
        )
        .fill_nan(0.0)
        .fill_null(0.0)
        .round(0)
        .cast(pl.Int64)
    )


def read_shop_days(
    warehouse: Warehouse,
    start: date,
    end: date,
    demand_table: pl.DataFrame,
    truth: Truth | None,
    impute_window_days: int,
) -> ShopDays:
    """The simulation's inputs for ``start .. end`` (see the module docstring).

    ``demand_table``: ``training.read_demand`` plus its on_hand / on_order snapshot columns.
    """
    catalog = read_catalog(warehouse, end).filter(
        (pl.col("launched_at") <= end)
        & (pl.col("discontinued_at").is_null() | (pl.col("discontinued_at") > start))
    )
    if catalog.is_empty():
        raise ValueError(f"no product is on sale between {start} and {end} in the catalog")
    skus = catalog["sku"].to_list()
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    observed = demand_table.filter(
        (pl.col("date") >= start - timedelta(days=impute_window_days)) & (pl.col("date") <= end)
    )
    observed = _imputed(observed, impute_window_days).filter(pl.col("date") >= start)
    sold = _matrix(observed, skus, days, "units", 0).astype(np.int64)
    snapshot = _matrix(observed, skus, days, "on_hand", -1).astype(np.int64)
    if truth is not None:
        rows = truth.daily.filter(pl.col("date").is_between(start, end)).with_columns(
            on_sale=pl.lit(True)
        )
        demand = _matrix(rows, skus, days, "true_demand", 0).astype(np.int64)
        on_sale = _matrix(rows, skus, days, "on_sale", False).astype(bool)
        usable = on_sale.copy()
        actuals = ACTUALS_TRUE
    else:
        on_sale = _matrix(observed, skus, days, "on_sale", False).astype(bool)
        stockout = _matrix(observed, skus, days, "stockout", False).astype(bool)
        estimate = _matrix(observed, skus, days, "estimate", 0).astype(np.int64)
        demand = np.where(on_sale & stockout, np.maximum(estimate, sold), sold)
        usable = on_sale & ~stockout
        actuals = ACTUALS_OBSERVED

    before = demand_table.filter(
        (pl.col("date") < start)
        & (pl.col("date") >= start - timedelta(days=SNAPSHOT_LOOKBACK_DAYS))
        & pl.col("on_hand").is_not_null()
    ).sort("date")
    stock = before.group_by("sku").agg(pl.col("on_hand").last(), pl.col("on_order").last())
    start_stock = pl.DataFrame({"sku": skus}).join(
        stock, on="sku", how="left", maintain_order="left"
    )
    return ShopDays(
        start=start,
        end=end,
        skus=skus,
        categories=catalog["category"].fill_null("").to_list(),  # optional in the catalog
        lead_time_days=catalog["lead_time_days"].to_numpy().astype(np.int64),
        moq=catalog["moq"].to_numpy().astype(np.int64),
        pack_size=catalog["pack_size"].to_numpy().astype(np.int64),
        unit_cost=catalog["unit_cost"].cast(pl.Float64).to_numpy(),
        list_price=catalog["list_price"].cast(pl.Float64).to_numpy(),
        launched_at=catalog["launched_at"].to_list(),
        discontinued_at=catalog["discontinued_at"].to_list(),
        demand=demand,
        on_sale=on_sale,
        usable=usable,
        on_hand=start_stock["on_hand"].fill_null(0).to_numpy().astype(np.int64),
        on_order=start_stock["on_order"].fill_null(0).to_numpy().astype(np.int64),
        recorded_sold=sold,
        recorded_on_hand=snapshot,
        actuals=actuals,
    )


def read_demand_with_stock(warehouse: Warehouse) -> pl.DataFrame:
    """daily_sku_demand with the snapshot columns (training.read_demand leaves them out)."""
    return read_demand(warehouse, extra_columns=("on_hand", "on_order"))
