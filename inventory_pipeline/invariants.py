"""Invariants of the tables a buyer acts on: the forecasts and the reorder plan of one day.

One implementation serves the blocking asset checks (a partition that breaks one is never
published and never feeds the plan) and ``benchmarks/backfill.py`` (which verifies a whole
backfill after the fact). Each function returns the problems found, as sentences naming the day
and what is wrong; an empty list means the partition may be published.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from inventory_pipeline.features import sources
from inventory_pipeline.warehouse import Warehouse, memory_connection

_LEVEL_COLUMN = re.compile(r"p\d+")


@dataclass(frozen=True)
class InvariantConfig:
    """Float tolerances of the checks (quantiles are float64 sums of model outputs)."""

    level_tolerance: float = 1e-9  # a quantile may sit this far below the next lower level
    horizon_tolerance: float = 1e-6  # cumulative quantiles may dip this much from day to day
    max_listed: int = 5  # SKUs named per problem (the rest are counted)


DEFAULT_INVARIANTS = InvariantConfig()


@dataclass(frozen=True)
class CatalogAsKnown:
    """The catalog as known on a day: every SKU, and those discontinued by then."""

    day: date
    known: frozenset[str]
    discontinued: frozenset[str]

    @property
    def on_sale(self) -> frozenset[str]:
        """SKUs that must have a forecast: known on the day and not discontinued."""
        return self.known - self.discontinued


def catalog_as_known(warehouse: Warehouse, day: date) -> CatalogAsKnown:
    """The catalog from the products exports up to ``day`` (the upsert of sql/current)."""
    con = memory_connection(1)
    try:
        sources.register_sources(con, warehouse, sources.Scope(known_on=day), tables=("products",))
        rows = sources.query(con, "checks/catalog_as_known", {"day": day})
    finally:
        con.close()
    skus = rows.column("sku").to_pylist()
    gone = [s for s, d in zip(skus, rows.column("discontinued").to_pylist()) if d]
    return CatalogAsKnown(day, frozenset(skus), frozenset(gone))


def catalogs_as_known(warehouse: Warehouse, days: Sequence[date]) -> dict[date, CatalogAsKnown]:
    """:func:`catalog_as_known` of each of ``days`` from one read of the products exports up to
    the last of them (a backfill checks many days; each day's rows are that day's upsert)."""
    if not days:
        return {}
    con = memory_connection(1)
    out = {}
    try:
        sources.register_sources(
            con, warehouse, sources.Scope(known_on=max(days)), tables=("products",),
            materialize=("products",),
        )  # fmt: skip
        con.execute("ALTER TABLE raw_products RENAME TO raw_products_known")
        for day in days:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE raw_products AS "
                "SELECT * FROM raw_products_known WHERE export_date <= ?",
                [day],
            )
            rows = sources.query(con, "checks/catalog_as_known", {"day": day})
            skus = rows.column("sku").to_pylist()
            gone = [s for s, d in zip(skus, rows.column("discontinued").to_pylist()) if d]
            out[day] = CatalogAsKnown(day, frozenset(skus), frozenset(gone))
    finally:
        con.close()
    return out


def _named(skus: set[str] | frozenset[str], cfg: InvariantConfig) -> str:
    listed = sorted(skus)
    more = len(listed) - cfg.max_listed
    return ", ".join(listed[: cfg.max_listed]) + (f" and {more} more" if more > 0 else "")


def forecast_problems(
    rows: pl.DataFrame,
    day: date,
    catalog: CatalogAsKnown | None = None,
    cfg: InvariantConfig = DEFAULT_INVARIANTS,
) -> list[str]:
    """What is wrong with one day's forecasts partition (see the module docstring).

    H rows per SKU with horizons 1..H, target_date = forecast_date + horizon, finite non-negative
    quantiles monotone across levels (daily and cumulative), cumulative quantiles non-decreasing
    over the horizon; with ``catalog``: every on-sale SKU present and none discontinued.
    """
    problems: list[str] = []
    if rows.is_empty():
        return [f"{day}: the forecasts partition is empty"]
    names = [
        c for _, c in sorted((int(c[1:]), c) for c in rows.columns if _LEVEL_COLUMN.fullmatch(c))
    ]
    cum = [f"cum_{c}" for c in names]
    missing = [c for c in cum if c not in rows.columns]
    if not names or missing:
        return [f"{day}: quantile columns missing (levels {names}, cumulative missing {missing})"]
    H = int(rows["horizon"].max())
    n = rows["sku"].n_unique()
    if rows.height != n * H or sorted(rows["horizon"].unique().to_list()) != list(range(1, H + 1)):
        problems.append(
            f"{day}: {rows.height} rows for {n} SKUs x H={H} (expected one per horizon)"
        )
        return problems  # the shape checks below need a full grid
    if (rows["forecast_date"] != day).any():
        problems.append(f"{day}: rows with another forecast_date")
    if not ((rows["target_date"] - rows["forecast_date"]).dt.total_days() == rows["horizon"]).all():
        problems.append(f"{day}: target_date != forecast_date + horizon")
    f = rows.sort("sku", "horizon")
    skus = f["sku"].to_numpy().reshape(n, H)[:, 0]
    for label, columns in (("daily", names), ("cumulative", cum)):
        q = f.select(columns).to_numpy()
        bad = ~np.isfinite(q).all(axis=1) | (q < 0).any(axis=1)
        if bad.any():
            where = set(skus[bad.reshape(n, H).any(axis=1)])
            problems.append(
                f"{day}: {label} quantiles not finite or negative for {_named(where, cfg)}"
            )
        crossing = (np.diff(q, axis=1) < -cfg.level_tolerance).any(axis=1)
        if crossing.any():
            where = set(skus[crossing.reshape(n, H).any(axis=1)])
            problems.append(
                f"{day}: {label} quantiles not monotone across levels for {_named(where, cfg)}"
            )
    by_horizon = f.select(cum).to_numpy().reshape(n, H, len(cum))
    falling = (np.diff(by_horizon, axis=1) < -cfg.horizon_tolerance).any(axis=(1, 2))
    if falling.any():
        problems.append(
            f"{day}: cumulative quantiles decrease over the horizon for "
            f"{_named(set(skus[falling]), cfg)}"
        )
    if catalog is not None:
        present = set(skus.tolist())
        gone = present & catalog.discontinued
        if gone:
            problems.append(f"{day}: forecasts for discontinued SKUs {_named(gone, cfg)}")
        absent = catalog.on_sale - present
        if absent:
            problems.append(f"{day}: no forecast for on-sale SKUs {_named(absent, cfg)}")
    return problems


def plan_problems(
    plan: pl.DataFrame,
    day: date,
    forecast_skus: set[str],
    discontinued: frozenset[str] | set[str] = frozenset(),
    cfg: InvariantConfig = DEFAULT_INVARIANTS,
) -> list[str]:
    """What is wrong with one day's reorder plan: one row per forecast SKU; every order_qty is 0
    or a multiple of pack_size and >= moq; no order for a SKU discontinued as known on the day,
    nor for one whose stock is unknown (on_hand null: no snapshot)."""
    problems: list[str] = []
    skus = plan["sku"].to_list()
    if set(skus) != set(forecast_skus) or len(skus) != len(forecast_skus):
        extra, absent = set(skus) - set(forecast_skus), set(forecast_skus) - set(skus)
        problems.append(
            f"{day}: plan SKUs differ from forecast SKUs ({len(skus)} rows; not forecast: "
            f"{_named(extra, cfg) or 'none'}; missing: {_named(absent, cfg) or 'none'})"
        )
    qty, pack, moq = (plan[c].to_numpy() for c in ("order_qty", "pack_size", "moq"))
    bad = (qty < 0) | ((qty > 0) & ((qty % np.maximum(pack, 1) != 0) | (qty < moq)))
    if bad.any():
        where = set(plan["sku"].filter(pl.Series(bad)).to_list())
        problems.append(
            f"{day}: {int(bad.sum())} order quantities break pack size / MOQ ({_named(where, cfg)})"
        )
    ordered = set(plan.filter(pl.col("order_qty") > 0)["sku"].to_list())
    if "on_hand" in plan.columns:  # stock unknown (no snapshot): never an order on an invented 0
        blind = set(plan.filter(pl.col("on_hand").is_null() & (pl.col("order_qty") > 0))["sku"])
        if blind:
            problems.append(f"{day}: orders for SKUs whose stock is unknown: {_named(blind, cfg)}")
    if ordered & set(discontinued):
        problems.append(
            f"{day}: orders for SKUs discontinued as known on the day: "
            f"{_named(ordered & set(discontinued), cfg)}"
        )
    return problems
