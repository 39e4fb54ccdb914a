"""Replay the reorder policy driven by each forecaster through the lost-sales simulation.

Review nightly; the forecast of origin t drives the reviews of days t .. t + stride - 1 (the
re-forecast is weekly by default, so the order-up-to level S of a SKU is constant within the week
and read at cover = lead time + review period from that origin's cumulative quantiles, exactly as
``plan_orders`` reads it). A SKU not yet in the catalog as known on the origin, or discontinued,
is not ordered. Every forecaster meets the same demand, lead times, MOQs, packs, start stock and
supplier delays, for every service-level target; the metrics are computed over the same SKU-days.

Scored SKU-days: on sale, demand known (not a stockout-censored estimate) and, by default, from
the first day an order placed by the policy can arrive (day ``lead_time + 1``): before that the
start stock decides, not the forecaster.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from inventory_pipeline.evaluation.config import EvaluationConfig
from inventory_pipeline.evaluation.forecasts import OriginForecasts
from inventory_pipeline.evaluation.leadtime import order_up_to
from inventory_pipeline.evaluation.shop import ShopDays
from inventory_pipeline.evaluation.simulation import (
    CostInputs,
    SimulationInputs,
    SimulationPath,
    policy_metrics,
    simulate,
)
from inventory_pipeline.reorder import ReorderConfig
from inventory_pipeline.scoring.segments import activity_classes
from inventory_pipeline.scoring.truth import Truth

RECORDED = "shop_recorded"  # the shop's own replenishment, as it happened (ground truth only)
ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ReplayResult:
    """Simulation metrics of every method and target, and the headline paths for the plots."""

    inventory: pl.DataFrame  # method, service_level, segment, <policy_metrics>
    frontier: pl.DataFrame  # method, fill_rate_target, avg_on_hand_value/units, note
    same_fill: pl.DataFrame  # each peer point vs the reference's stock at the same fill rate
    paths: dict[str, SimulationPath]  # method -> path at the headline service level
    order_up_to: dict[str, np.ndarray]  # method -> (N, D) S at the headline service level
    scored: np.ndarray  # (N, D) scored SKU-days
    segments: dict[str, np.ndarray]  # segment -> (N, D) mask (a subset of ``scored``)


def origin_blocks(shop: ShopDays, origins: Sequence[date]) -> list[tuple[int, int]]:
    """(first, last + 1) day index of the reviews each origin's forecast drives."""
    index = [(o - shop.start).days for o in origins] + [len(shop.days)]
    return [(index[i], index[i + 1]) for i in range(len(origins))]


def policy_levels(
    shop: ShopDays,
    forecasts: Sequence[OriginForecasts],
    method: str,
    service_levels: Sequence[float],
    policy: ReorderConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """((A, N, D) order-up-to levels per target, (N, D) may-order mask) of one method."""
    n, days = shop.demand.shape
    levels = np.zeros((len(service_levels), n, days))
    can_order = np.zeros((n, days), dtype=bool)
    row_of = {sku: i for i, sku in enumerate(shop.skus)}
    for (lo, hi), block in zip(origin_blocks(shop, [f.origin for f in forecasts]), forecasts):
        if method not in block.methods:
            raise ValueError(f"{method} has no forecast at origin {block.origin}")
        forecast = block.methods[method]
        local = [k for k, sku in enumerate(block.skus) if sku in row_of]
        rows = np.array([row_of[block.skus[k]] for k in local], dtype=np.int64)
        if not len(rows):
            continue
        s = order_up_to(
            forecast.cum_levels, forecast.cumulative[local], shop.lead_time_days[rows],
            service_levels, policy, forecast.cover_recalibration,
        )  # (n_local, A)  # fmt: skip
        levels[:, rows, lo:hi] = s.T[:, :, None]
        can_order[rows, lo:hi] = True
    days_list = shop.days
    for i, stop in enumerate(shop.discontinued_at):
        if stop is not None:
            can_order[i, [d >= stop for d in days_list]] = False
    return levels, can_order


def scored_days(shop: ShopDays, after_first_arrival: bool) -> np.ndarray:
    """(N, D) SKU-days the metrics count (see the module docstring)."""
    scored = shop.on_sale & shop.usable
    if after_first_arrival:
        day = np.arange(scored.shape[1])[None, :]
        scored &= day >= (shop.lead_time_days[:, None] + 1)
    return scored


def segment_masks(
    shop: ShopDays,
    forecasts: Sequence[OriginForecasts],
    scored: np.ndarray,
    promotion_days: pl.DataFrame,
    truth: Truth | None,
    cfg: EvaluationConfig,
    horizon: int,
) -> dict[str, np.ndarray]:
    """The backtest's segments as (N, D) masks over the scored SKU-days, plus the SKUs whose
    cover (lead time + review) fits inside the forecast horizon and those beyond it (where the
    plan scales the horizon's quantile, ``plan_orders``)."""
    seg = cfg.training.segments
    days = np.array(shop.days, dtype="datetime64[D]")
    masks = {"all": scored.copy()}
    within = (shop.lead_time_days + cfg.reorder.review_period_days <= horizon)[:, None]
    masks["cover_within_horizon"] = scored & within
    masks["cover_beyond_horizon"] = scored & ~within
    launched = np.array(
        [np.datetime64(d, "D") if d is not None else np.datetime64("NaT") for d in shop.launched_at]
    )
    since_launch = (days[None, :] - launched[:, None]).astype("timedelta64[D]").astype(np.int64)
    has_launch = ~np.isnat(launched)[:, None]
    masks["cold_start"] = (
        scored & has_launch & (since_launch >= 0) & (since_launch < seg.cold_start_days)
    )
    promo = np.zeros_like(scored)
    row_of = {sku: i for i, sku in enumerate(shop.skus)}
    for sku, day in promotion_days.select("sku", "date").iter_rows():
        i, d = row_of.get(sku), (day - shop.start).days
        if i is not None and 0 <= d < promo.shape[1]:
            promo[i, d] = True
    masks["promo"] = scored & promo
    if truth is not None:
        starts = dict(truth.products.select("sku", "incident_start").iter_rows())
        incident = np.zeros_like(scored)
        for i, sku in enumerate(shop.skus):
            begin = starts.get(sku)
            if begin is not None:
                offset = (days - np.datetime64(begin, "D")).astype(np.int64)
                incident[i] = (offset >= 0) & (offset < seg.incident_window_days)
        masks["incident"] = scored & incident
    fast = np.zeros_like(scored)
    intermittent = np.zeros_like(scored)
    for (lo, hi), block in zip(origin_blocks(shop, [f.origin for f in forecasts]), forecasts):
        classes = activity_classes(block.history, seg)
        for sku, is_fast, is_intermittent in classes.select(
            "sku", "fast_mover", "intermittent"
        ).iter_rows():
            i = row_of.get(sku)
            if i is not None:
                fast[i, lo:hi] = bool(is_fast)
                intermittent[i, lo:hi] = bool(is_intermittent)
    masks["fast_mover"] = scored & fast
    masks["intermittent"] = scored & intermittent
    return masks


def supplier_delays(shop: ShopDays, jitter: float, rng: np.random.Generator) -> np.ndarray | None:
    """(N, D) extra delay per order night, the same for every forecaster (None without jitter)."""
    if jitter <= 0:
        return None
    draws = rng.random(shop.demand.shape)
    return np.floor(draws * jitter * shop.lead_time_days[:, None]).astype(np.int64)


def open_orders(shop: ShopDays) -> np.ndarray:
    """(N, A) the start snapshot's open orders, arriving half-way through the lead time."""
    arrive = np.ceil(shop.lead_time_days / 2).astype(np.int64)
    out = np.zeros((len(shop.skus), int(arrive.max(initial=0)) + 1), dtype=np.int64)
    out[np.arange(len(shop.skus)), arrive] = shop.on_order
    return out


def _rows(
    method: str, level: float, path: SimulationPath, shop: ShopDays, masks: dict[str, np.ndarray],
    costs: CostInputs,
) -> list[dict[str, object]]:  # fmt: skip
    return [
        {"method": method, "service_level": level, "segment": name,
         **policy_metrics(path, shop.demand, mask, costs)}
        for name, mask in masks.items()
    ]  # fmt: skip


def recorded_path(shop: ShopDays) -> SimulationPath:
    """The shop's own replenishment as recorded (sales and snapshots; orders unknown)."""
    sold = shop.recorded_sold
    zeros = np.zeros_like(sold)
    return SimulationPath(
        received=zeros,
        sold=sold,
        lost=np.maximum(shop.demand - sold, 0),
        on_hand=np.maximum(shop.recorded_on_hand, 0),
        on_order=zeros,
        ordered=zeros,
    )


def frontier(inventory: pl.DataFrame, targets: Sequence[float]) -> pl.DataFrame:
    """Average inventory each method needs to reach each fill rate, along its trade-off curve.

    Linear between the simulated targets (ordered by service level). ``note``: "interpolated";
    "not reached" (even the highest target falls short); "at or below the lowest target" (the
    lowest target already exceeds it: the value is that target's, an upper bound).
    """
    rows = []
    curves = inventory.filter((pl.col("segment") == "all") & pl.col("service_level").is_not_nan())
    for method in curves["method"].unique(maintain_order=True).to_list():
        part = curves.filter(pl.col("method") == method).sort("service_level")
        fill = part["fill_rate"].to_numpy()
        value = part["avg_on_hand_value"].to_numpy()
        units = part["avg_on_hand_units"].to_numpy()
        for target in targets:
            note, v, u = "not reached", float("nan"), float("nan")
            if fill[0] >= target:
                note, v, u = "at or below the lowest target", value[0], units[0]
            else:
                for k in range(1, len(fill)):
                    if fill[k] >= target > fill[k - 1]:
                        w = (target - fill[k - 1]) / (fill[k] - fill[k - 1])
                        v = value[k - 1] + w * (value[k] - value[k - 1])
                        u = units[k - 1] + w * (units[k] - units[k - 1])
                        note = "interpolated"
                        break
            rows.append({"method": method, "fill_rate_target": target,
                         "avg_on_hand_value": float(v), "avg_on_hand_units": float(u),
                         "note": note})  # fmt: skip
    return pl.DataFrame(rows)


def _curve(inventory: pl.DataFrame, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(fill rates, stock values) of one method's trade-off curve, by service level."""
    part = inventory.filter(
        (pl.col("segment") == "all") & (pl.col("method") == method)
        & pl.col("service_level").is_not_nan()
    ).sort("service_level")  # fmt: skip
    return part["fill_rate"].to_numpy(), part["avg_on_hand_value"].to_numpy()


def stock_at_fill_rate(fill: np.ndarray, value: np.ndarray, target: float) -> float:
    """Stock a curve needs for ``target`` fill rate, linear between its points (NaN outside)."""
    for k in range(1, len(fill)):
        lo, hi = fill[k - 1], fill[k]
        if min(lo, hi) <= target <= max(lo, hi) and hi != lo:
            return float(value[k - 1] + (target - lo) / (hi - lo) * (value[k] - value[k - 1]))
    exact = np.flatnonzero(fill == target)
    return float(value[exact[0]]) if len(exact) else float("nan")


def same_fill_rate(inventory: pl.DataFrame, reference: str, others: Sequence[str]) -> pl.DataFrame:
    """For every point of every other method: the stock ``reference`` needs for the same fill.

    ``stock_change`` = reference stock / other stock - 1 (negative: the reference holds less);
    null where the other point's fill rate is outside the reference's curve.
    """
    ref_fill, ref_value = _curve(inventory, reference)
    rows = []
    for method in others:
        part = inventory.filter(
            (pl.col("segment") == "all") & (pl.col("method") == method)
            & pl.col("service_level").is_not_nan()
        ).sort("service_level")  # fmt: skip
        for level, fill, value in part.select(
            "service_level", "fill_rate", "avg_on_hand_value"
        ).iter_rows():
            mine = stock_at_fill_rate(ref_fill, ref_value, fill)
            rows.append({
                "method": method, "service_level": level, "fill_rate": fill,
                "avg_on_hand_value": value, f"{reference}_avg_on_hand_value": mine,
                "stock_change": mine / value - 1.0 if np.isfinite(mine) and value > 0 else None,
            })  # fmt: skip
    return pl.DataFrame(rows)


def replay(
    shop: ShopDays,
    forecasts: Sequence[OriginForecasts],
    methods: Sequence[str],
    promotion_days: pl.DataFrame,
    truth: Truth | None,
    cfg: EvaluationConfig,
    rng: np.random.Generator,
    on_progress: ProgressCallback | None = None,
) -> ReplayResult:
    """Simulate every method at every service-level target (see the module docstring)."""
    scored = scored_days(shop, cfg.score_after_first_arrival)
    horizon = next(iter(forecasts[0].methods.values())).cumulative.shape[1]
    masks = segment_masks(shop, forecasts, scored, promotion_days, truth, cfg, horizon)
    costs = CostInputs(
        unit_cost=shop.unit_cost,
        unit_margin=np.maximum(shop.list_price - shop.unit_cost, 0.0),
        holding_cost_rate=cfg.reorder.holding_cost_rate,
    )
    delays = supplier_delays(shop, cfg.lead_time_jitter, rng)
    arriving = open_orders(shop)
    headline = cfg.service_levels.index(cfg.headline_service_level)
    rows: list[dict[str, object]] = []
    paths: dict[str, SimulationPath] = {}
    levels_at_headline: dict[str, np.ndarray] = {}
    for step, method in enumerate(methods, start=1):
        levels, can_order = policy_levels(shop, forecasts, method, cfg.service_levels, cfg.reorder)
        for a, level in enumerate(cfg.service_levels):
            path = simulate(
                SimulationInputs(
                    demand=shop.demand, order_up_to=levels[a], can_order=can_order,
                    lead_time_days=shop.lead_time_days, moq=shop.moq, pack_size=shop.pack_size,
                    on_hand=shop.on_hand, open_orders=arriving, delay_days=delays,
                )
            )  # fmt: skip
            rows += _rows(method, level, path, shop, masks, costs)
            if a == headline:
                paths[method] = path
                levels_at_headline[method] = levels[a]
        if on_progress is not None:
            on_progress("simulation", step, len(methods))
    if truth is not None:
        recorded = recorded_path(shop)
        known = shop.recorded_on_hand >= 0
        rows += _rows(
            RECORDED, float("nan"), recorded, shop, {k: m & known for k, m in masks.items()}, costs
        )
        paths[RECORDED] = recorded
    unknown = pl.col("method") == RECORDED  # the shop's orders are not exported
    inventory = pl.DataFrame(rows).with_columns(
        [
            pl.when(unknown).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("orders", "order_units")
        ]
    )
    reference = methods[0]
    return ReplayResult(
        inventory=inventory,
        frontier=frontier(inventory, cfg.fill_rate_targets),
        same_fill=same_fill_rate(inventory, reference, [m for m in methods if m != reference]),
        paths=paths,
        order_up_to=levels_at_headline,
        scored=scored,
        segments=masks,
    )
