"""The reorder policy: periodic review, order-up-to level from cumulative-demand quantiles.

Every night (review period R = 1 day by default) each SKU's order-up-to level S is the
service-level quantile of demand over lead time + review period, read from the model's quantiles
of *cumulative* demand (never a sum of per-day quantiles, which is wrong for every quantile but the
mean). Inventory position = on_hand + on_order; the order is S − position rounded up to the pack
size and lifted to the MOQ when positive, else 0. Every row carries a one-sentence reason.

Plain numpy/polars, vectorised over SKUs, no orchestrator. The Dagster asset calls
:func:`plan_orders`; the evaluation's inventory simulation applies the same policy through its
parts: S from :func:`cover_quantile`, orders rounded by :func:`round_order`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from inventory_pipeline.recalibration import CoverRecalibration


@dataclass(frozen=True)
class ReorderConfig:
    """Every tunable number of the policy, declared once: the shop's settings take their defaults
    from here, and a run's overrides (the reorder plan's run config) are derived from these fields
    and described by their comments."""

    review_period_days: int = 1  # days between reviews; 1: nightly, an order placed today is the
    # last until tomorrow
    service_level: float = 0.95  # target cycle service level (probability of no stockout per cycle)
    category_service_levels: dict[str, float] = field(default_factory=dict)  # category prefix ->
    # service level; the longest matching prefix wins over service_level
    use_cost_ratio: bool = False  # service level from the critical fractile instead of the target
    holding_cost_rate: float = 0.25  # yearly holding cost as a share of unit cost
    min_service_level: float = 0.50  # lower bound of the cost-ratio service level
    max_service_level: float = 0.99  # upper bound of the cost-ratio service level
    lead_time_range: tuple[float, float] | None = (1.0, 1.0)  # actual lead time as a share of
    # the catalog's, uniform between the two (e.g. (1.0, 1.25): deliveries up to 25% late);
    # (1, 1) = on time; None = estimate from the inventory snapshots (the nightly plan does;
    # the policy functions read None as on time)
    lead_time_points: int = 5  # lead-time scenarios the demand-over-cover mixture averages
    max_snapshot_age_days: int = 28  # an older latest snapshot is not planned on (stock unknown)
    count_planned_orders: bool = True  # orders this plan recommended after the latest snapshot
    # count as on order until a snapshot shows them (a weekly snapshot must not re-order nightly)

    def __post_init__(self) -> None:
        lo, hi = self.lead_time_range or (1.0, 1.0)
        if not 0 < lo <= hi:
            raise ValueError(
                f"lead_time_range {self.lead_time_range} must be two shares 0 < low <= high, "
                f"e.g. (1.0, 1.25) for deliveries up to 25% late"
            )
        if self.lead_time_points < 1 or self.max_snapshot_age_days < 0:
            raise ValueError("lead_time_points must be >= 1 and max_snapshot_age_days >= 0")


def service_levels(
    config: ReorderConfig,
    categories: list[str],
    list_price: np.ndarray,
    unit_cost: np.ndarray,
) -> np.ndarray:
    """Target service level per SKU: cost ratio, else the longest matching category prefix, else
    the default.

    Critical fractile = underage / (underage + overage), with underage the margin lost per unit
    short (list price − unit cost) and overage the cost of holding one unit left over for one
    review period: a unit too many is carried to the next review, where the next order is cut by
    it, so it costs R days of holding, not the whole lead time (the multi-period newsvendor).
    """
    if config.use_cost_ratio:
        underage = np.maximum(list_price - unit_cost, 0.0)
        overage = config.holding_cost_rate * unit_cost * config.review_period_days / 365.0
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


def lead_time_multipliers(lead_time_range: tuple[float, float] | None, points: int) -> np.ndarray:
    """Equal-probability scenarios of (actual / catalog) lead time, uniform over the range."""
    lo, hi = lead_time_range or (1.0, 1.0)
    if hi <= lo:
        return np.array([float(lo)])
    return lo + (hi - lo) * (np.arange(points) + 0.5) / points


def at_cover(cumulative: np.ndarray, cover_days: np.ndarray) -> np.ndarray:
    """(N, Q) cumulative quantiles at each row's cover; beyond the horizon H scaled by cover / H."""
    n, horizon, _ = cumulative.shape
    cover = np.asarray(cover_days, dtype=np.int64)
    h_idx = np.clip(cover, 1, horizon) - 1
    stretch = np.maximum(cover / horizon, 1.0)
    return cumulative[np.arange(n), h_idx, :] * stretch[:, None]


def _cdf(values: np.ndarray, levels: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(demand <= x) of one row's quantile curve, linear between its knots, clamped at the ends."""
    j = np.searchsorted(values, x, side="right") - 1  # last knot <= x (ties: the highest level)
    inner = (j >= 0) & (j < len(values) - 1)
    k = np.clip(j, 0, len(values) - 2)
    lo, hi = values[k], values[k + 1]
    w = np.where(inner, (x - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0)
    inside = levels[k] + w * (levels[k + 1] - levels[k])
    return np.where(j < 0, levels[0], np.where(j >= len(values) - 1, levels[-1], inside))


def mixture_quantile(levels: np.ndarray, components: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Quantiles at ``target`` ((N,) or (N, A)) of the equal-weight mixture of K curves per row.

    ``components``: (N, K, Q), each curve monotone in Q. The mixture's CDF is the mean of the
    curves' piecewise-linear CDFs; it is linear between the union of their knots, so inverting
    it on that grid is exact. It is built once per row and inverted at all of the row's targets.
    With identical curves it returns :func:`quantile_at`'s value. Returns ``target``'s shape.
    """
    target = np.clip(target, levels[0], levels[-1])
    out = np.empty(target.shape)
    for i, curves in enumerate(components):
        grid = np.unique(curves)
        cdf = np.mean([_cdf(curve, levels, grid) for curve in curves], axis=0)
        t = np.atleast_1d(target[i])
        k = np.searchsorted(cdf, t, side="left")
        inside = (k > 0) & (k < len(grid))
        lo = np.clip(k - 1, 0, len(grid) - 1)
        hi = np.clip(k, 0, len(grid) - 1)
        f0, f1 = cdf[lo], cdf[hi]
        step = np.where(inside, f1 - f0, 1.0)
        between = grid[lo] + (t - f0) / step * (grid[hi] - grid[lo])
        value = np.where(inside, between, grid[np.minimum(k, len(grid) - 1)])
        out[i] = value if target.ndim > 1 else value[0]
    return out


def cover_quantile(
    levels: np.ndarray,
    cumulative: np.ndarray,
    lead_time_days: np.ndarray,
    target: np.ndarray,
    config: ReorderConfig,
    recalibration: CoverRecalibration | None = None,
) -> np.ndarray:
    """The ``target`` quantiles ((N,) or (N, A)) of demand over lead time + review period.

    With a fixed lead time they are read off the cumulative quantiles at the cover day. With a
    ``lead_time_range`` the lead time is uncertain: demand over it is the mixture of the demand
    over each scenario's cover, so a late delivery's extra days of demand enter the quantile.
    With the model's ``recalibration`` the level read is the one whose quantiles covered the
    target's share of the validation windows of the catalog cover's bucket (recalibration.py);
    without one the target itself is read.
    """
    lead = np.asarray(lead_time_days, dtype=np.int64)
    if recalibration is not None:
        cover = lead + config.review_period_days
        target = recalibration.level(target, cover)
    scenarios = [
        np.rint(lead * m).astype(np.int64) + config.review_period_days
        for m in lead_time_multipliers(config.lead_time_range, config.lead_time_points)
    ]
    if len(scenarios) == 1:
        at = at_cover(cumulative, scenarios[0])
        if target.ndim == 1:
            return quantile_at(levels, at, target)
        return np.stack([quantile_at(levels, at, column) for column in target.T], axis=1)
    components = np.stack([at_cover(cumulative, c) for c in scenarios], axis=1)
    return mixture_quantile(levels, components, target)


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
    # the stock the snapshot cannot show (None: the snapshot is of the plan date, nothing to add)
    snapshot_age_days: np.ndarray | None = None  # (N,) int: plan date − snapshot date; -1 = none
    sold_since_snapshot: np.ndarray | None = None  # (N,) int: units sold after the snapshot
    planned_since_snapshot: np.ndarray | None = None  # (N,) int: units earlier plans ordered
    new_product: np.ndarray | None = None  # (N,) bool: launched lately or not yet (no snapshot due)
    cover_recalibration: CoverRecalibration | None = None  # the model's (None: levels as is)


def plan_orders(plan_date: date, inputs: PlanInputs, config: ReorderConfig) -> pl.DataFrame:
    """The reorder plan of one day: one row per SKU with the contract's columns and a reason."""
    n, horizon, _ = inputs.cum_quantiles.shape
    cover = inputs.lead_time_days.astype(np.int64) + config.review_period_days
    # Cover beyond the model's cumulative horizon: scale the horizon-end quantile by cover / H (a
    # conservative, documented approximation; the reason says so).
    stretch = np.maximum(cover / horizon, 1.0)
    levels = service_levels(config, inputs.categories, inputs.list_price, inputs.unit_cost)
    lv = np.asarray(inputs.cum_levels, dtype=float)
    q = inputs.cum_quantiles
    targets = np.stack([levels, np.full(n, 0.5)], axis=1)  # one mixture per SKU for both
    order_up_to, p50 = cover_quantile(
        lv, q, inputs.lead_time_days, targets, config, inputs.cover_recalibration
    ).T
    stock = _stock(inputs, config)
    position = stock.position
    qty = round_order(order_up_to - position, inputs.moq, inputs.pack_size)
    qty = np.where(inputs.discontinued | ~stock.known, 0, qty)

    unknown = np.flatnonzero(~stock.known)  # no snapshot: stock not invented as 0
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
            stock_note=stock.notes[i],
            stock_known=bool(stock.known[i]),
            varying_lead=len(lead_time_multipliers(config.lead_time_range, 2)) > 1,
        )
        for i in range(n)
    ]
    return pl.DataFrame(
        {
            "plan_date": [plan_date] * n,
            "sku": inputs.skus,
            "on_hand": pl.Series(inputs.on_hand.astype(np.int64)).scatter(unknown, None),
            "on_order": pl.Series(inputs.on_order.astype(np.int64)).scatter(unknown, None),
            "lead_time_days": inputs.lead_time_days.astype(np.int64),
            "service_level": levels,
            "demand_p50_cover": p50,
            "order_up_to": order_up_to,
            "safety_stock": order_up_to - p50,
            "order_qty": qty,
            "reason": reasons,
            "inventory_position": position,
            "cover_days": cover,
            "moq": inputs.moq.astype(np.int64),
            "pack_size": inputs.pack_size.astype(np.int64),
            "order_value": qty * inputs.unit_cost,
        }
    )


@dataclass(frozen=True)
class _Stock:
    position: np.ndarray  # (N,) float: what the order is measured against
    known: np.ndarray  # (N,) bool: the position is known (else no order)
    notes: list[str]  # per SKU: how the position was reached, "" when it is the fresh snapshot


def _stock(inputs: PlanInputs, config: ReorderConfig) -> _Stock:
    """Inventory position: the latest snapshot, carried forward, less what sold since and plus
    what this plan ordered since; unknown (no order) without a snapshot, unless the product is
    new (then nothing is on the shelf yet but what earlier plans ordered)."""
    n = len(inputs.skus)
    snapshot = (inputs.on_hand + inputs.on_order).astype(float)
    if inputs.snapshot_age_days is None:
        return _Stock(snapshot, np.ones(n, bool), [""] * n)
    age = inputs.snapshot_age_days.astype(np.int64)
    zeros = np.zeros(n, dtype=np.int64)
    sold = inputs.sold_since_snapshot if inputs.sold_since_snapshot is not None else zeros
    planned = (
        inputs.planned_since_snapshot
        if inputs.planned_since_snapshot is not None and config.count_planned_orders
        else zeros
    )
    new = (inputs.new_product if inputs.new_product is not None else np.zeros(n, bool)) & (age < 0)
    known = (age >= 0) | new
    position = np.where(age >= 0, np.maximum(snapshot - sold + planned, 0.0), planned)
    position = np.where(known, position, 0.0)
    notes = []
    for i in range(n):
        parts = []
        if age[i] < 0:
            parts.append("no inventory snapshot yet (a new product: planned from 0 in stock)")
        elif age[i] > 0:
            less = _count(sold[i], "unit")
            parts.append(f"stock from the {age[i]}-day-old snapshot, less {less} sold since")
        if planned[i] > 0:
            parts.append(
                f"plus {_count(planned[i], 'unit')} ordered by earlier plans not yet in a snapshot"
            )
        notes.append("; ".join(parts) if known[i] else "")
    return _Stock(position, known, notes)


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
    stock_note: str = "",
    stock_known: bool = True,
    varying_lead: bool = False,
) -> str:
    """One sentence a buyer can check against the row's numbers (whole units, no float noise)."""
    if discontinued:
        return "No order: the product is discontinued."
    if not stock_known:
        return (
            "No order: no inventory snapshot of this product in the plan's lookback, so its stock "
            "is unknown; export its on_hand and on_order in the inventory file."
        )
    lead_text = f"{lead}-day lead time" + (" (and its delays)" if varying_lead else "")
    window = f"the {lead_text} + {review}-day review"
    stock = f"{on_hand} on hand + {on_order} on order"
    if stock_note:
        stock = f"{stock} ({stock_note})"
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
