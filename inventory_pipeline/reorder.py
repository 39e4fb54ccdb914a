"""The reorder policy: periodic review, order-up-to level from cumulative-demand quantiles.

Every night (review period R = 1 day by default) each SKU's order-up-to level S is the
service-level quantile of demand over lead time + review period, read from the model's quantiles
of *cumulative* demand (never a sum of per-day quantiles, which is wrong for every quantile but the
mean). Inventory position = on_hand + on_order; the order is S − position rounded up to the pack
size and lifted to the MOQ when positive, else 0. Every row carries a one-sentence reason.

Plain numpy/polars, vectorised over SKUs, no orchestrator: the Dagster asset and the evaluation's
inventory simulation call the same :func:`plan_orders`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl


@dataclass(frozen=True)
class ReorderConfig:
    """Every tunable number of the policy."""

    review_period_days: int = 1  # nightly review: an order placed today is the last until tomorrow
    service_level: float = 0.95  # target cycle service level (probability of no stockout per cycle)
    category_service_levels: dict[str, float] = field(default_factory=dict)  # prefix -> level
    use_cost_ratio: bool = False  # service level from the critical fractile instead of the target
    holding_cost_rate: float = 0.25  # yearly holding cost as a share of unit cost
    min_service_level: float = 0.50  # bounds for the cost-ratio service level
    max_service_level: float = 0.99


def service_levels(
    config: ReorderConfig,
    categories: list[str],
    list_price: np.ndarray,
    unit_cost: np.ndarray,
    cover_days: np.ndarray,
) -> np.ndarray:
    """Target service level per SKU: cost ratio, else the longest matching category prefix, else default.

    Critical fractile = underage / (underage + overage), with underage the margin lost per unit
    short (list price − unit cost) and overage the cost of holding one unit for the cover period.
    """
    if config.use_cost_ratio:
        underage = np.maximum(list_price - unit_cost, 0.0)
        overage = config.holding_cost_rate * unit_cost * np.maximum(cover_days, 1) / 365.0
        fractile = underage / np.maximum(underage + overage, 1e-12)
        return np.clip(fractile, config.min_service_level, config.max_service_level)
    levels = np.full(len(categories), config.service_level, dtype=float)
    prefixes = sorted(config.category_service_levels, key=len, reverse=True)
    for i, category in enumerate(categories):
        for prefix in prefixes:
            if category.startswith(prefix):
                levels[i] = config.category_service_levels[prefix]
                break
    return levels


def quantile_at(levels: np.ndarray, values: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per-row quantile at ``target`` level, linear between the model's quantile levels.

    ``levels``: (Q,) increasing; ``values``: (N, Q) monotone in Q; ``target``: (N,). Targets
    outside [levels[0], levels[-1]] are clamped to the end levels (the caller reports this).
    """
    target = np.clip(target, levels[0], levels[-1])
    idx = np.clip(np.searchsorted(levels, target, side="right") - 1, 0, len(levels) - 2)
    lo, hi = levels[idx], levels[idx + 1]
    weight = (target - lo) / (hi - lo)
    rows = np.arange(values.shape[0])
    return values[rows, idx] * (1 - weight) + values[rows, idx + 1] * weight


def round_order(need: np.ndarray, moq: np.ndarray, pack_size: np.ndarray) -> np.ndarray:
    """0 where need <= 0, else the smallest multiple of pack_size that is >= need and >= moq."""
    pack = np.maximum(pack_size, 1)
    packs_for_need = np.ceil(np.maximum(need, 0) / pack)
    packs_for_moq = np.ceil(np.maximum(moq, 1) / pack)
    qty = np.maximum(packs_for_need, packs_for_moq) * pack
    return np.where(need > 0, qty, 0).astype(np.int64)


@dataclass(frozen=True)
class PlanInputs:
    """What the policy needs per SKU (N rows, aligned)."""

    skus: list[str]
    categories: list[str]
    on_hand: np.ndarray  # (N,) int
    on_order: np.ndarray  # (N,) int
    lead_time_days: np.ndarray  # (N,) int
    moq: np.ndarray  # (N,) int
    pack_size: np.ndarray  # (N,) int
    list_price: np.ndarray  # (N,) float
    unit_cost: np.ndarray  # (N,) float
    discontinued: np.ndarray  # (N,) bool: discontinued on or before the plan date
    launches_on: list[date | None]  # launch date when after the plan date, else None
    cum_levels: np.ndarray  # (Q,) quantile levels of the cumulative quantiles
    cum_quantiles: np.ndarray  # (N, H, Q) quantiles of demand summed over days 1..h
    drivers: list[list[str]]  # per SKU, short phrases naming what moves demand in the cover window


def plan_orders(plan_date: date, inputs: PlanInputs, config: ReorderConfig) -> pl.DataFrame:
    """The reorder plan of one day: one row per SKU with the contract's columns and a reason."""
    n, horizon, _ = inputs.cum_quantiles.shape
    cover = inputs.lead_time_days.astype(np.int64) + config.review_period_days
    # Cover beyond the model's cumulative horizon: scale the horizon-end quantile by cover / H (a
    # conservative, documented approximation; the reason says so).
    h_idx = np.clip(cover, 1, horizon) - 1
    stretch = np.maximum(cover / horizon, 1.0)
    rows = np.arange(n)
    cum_at_cover = inputs.cum_quantiles[rows, h_idx, :] * stretch[:, None]  # (N, Q)
    levels = service_levels(config, inputs.categories, inputs.list_price, inputs.unit_cost, cover)
    order_up_to = quantile_at(inputs.cum_levels, cum_at_cover, levels)
    p50 = quantile_at(inputs.cum_levels, cum_at_cover, np.full(n, 0.5))
    position = inputs.on_hand + inputs.on_order
    qty = round_order(order_up_to - position, inputs.moq, inputs.pack_size)
    qty = np.where(inputs.discontinued, 0, qty)

    reasons = [
        _reason(
            qty=int(qty[i]),
            sku_cover=int(cover[i]),
            lead=int(inputs.lead_time_days[i]),
            review=config.review_period_days,
            level=float(levels[i]),
            s=float(order_up_to[i]),
            p50=float(p50[i]),
            on_hand=int(inputs.on_hand[i]),
            on_order=int(inputs.on_order[i]),
            moq=int(inputs.moq[i]),
            pack=int(inputs.pack_size[i]),
            need=float(order_up_to[i] - position[i]),
            discontinued=bool(inputs.discontinued[i]),
            launches_on=inputs.launches_on[i],
            stretched=bool(stretch[i] > 1.0),
            horizon=horizon,
            drivers=inputs.drivers[i],
        )
        for i in range(n)
    ]
    return pl.DataFrame(
        {
            "plan_date": [plan_date] * n,
            "sku": inputs.skus,
            "on_hand": inputs.on_hand.astype(np.int64),
            "on_order": inputs.on_order.astype(np.int64),
            "lead_time_days": inputs.lead_time_days.astype(np.int64),
            "service_level": levels,
            "demand_p50_cover": p50,
            "order_up_to": order_up_to,
            "safety_stock": order_up_to - p50,
            "order_qty": qty,
            "reason": reasons,
            "cover_days": cover,
            "moq": inputs.moq.astype(np.int64),
            "pack_size": inputs.pack_size.astype(np.int64),
            "order_value": qty * inputs.unit_cost,
        }
    )


def _reason(
    *,
    qty: int,
    sku_cover: int,
    lead: int,
    review: int,
    level: float,
    s: float,
    p50: float,
    on_hand: int,
    on_order: int,
    moq: int,
    pack: int,
    need: float,
    discontinued: bool,
    launches_on: date | None,
    stretched: bool,
    horizon: int,
    drivers: list[str],
) -> str:
    """One sentence a buyer can check against the row's numbers (whole units, no float noise)."""
    if discontinued:
        return "No order: the product is discontinued."
    window = f"the {lead}-day lead time + {review}-day review"
    stock = f"{on_hand} on hand + {on_order} on order"
    demand = (
        f"median demand over {window} is {_count(p50, 'unit')} "
        f"and its {_percent(level)} quantile {_whole(s)}"
    )
    extras = list(drivers)
    if launches_on is not None:
        extras.insert(0, f"new launch on {launches_on.isoformat()}")
    if stretched:
        extras.append(f"cover beyond the {horizon}-day forecast scaled from it")
    tail = f"; drivers: {', '.join(extras)}" if extras else ""
    if qty == 0:
        return (
            f"No order: {stock} covers the {_percent(level)} target of {_count(s, 'unit')} "
            f"({demand}){tail}."
        )
    return (
        f"Order {qty}{_rounding(qty, need, moq, pack)} to bring {stock} up to "
        f"{_count(s, 'unit')}: {demand}{tail}."
    )


def _rounding(qty: int, need: float, moq: int, pack: int) -> str:
    """Why the order differs from the bare need: the MOQ that raised it, the packs it comes in."""
    parts = []
    pack = max(pack, 1)
    packs_for_need = int(np.ceil(max(need, 0.0) / pack))
    if moq > 1 and int(np.ceil(moq / pack)) > packs_for_need:
        parts.append(f"the minimum order of {moq} raised it from a need of {_count(need, 'unit')}")
    if pack > 1:
        parts.append(f"{_count(qty // pack, 'pack')} of {pack}")
    return f" ({'; '.join(parts)})" if parts else ""


def _whole(value: float) -> str:
    """A quantity of units as a whole number: 3303, never 3303.0000000000005."""
    return f"{round(value):d}"


def _count(value: float, noun: str) -> str:
    """``1 pack``, ``3 packs``: the rounded number with its noun in the right number."""
    text = _whole(value)
    return f"{text} {noun}" if text == "1" else f"{text} {noun}s"


def _percent(level: float) -> str:
    """95%, 97.5%: a service level without float noise (one decimal only when it has one)."""
    pct = round(level * 100, 1)
    return f"{pct:.0f}%" if pct == int(pct) else f"{pct:.1f}%"
