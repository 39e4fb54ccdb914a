"""The report's pictures (matplotlib, Agg backend, PNG bytes).

- accuracy by horizon: WQL, WAPE and 80% coverage per method;
- the trade-off: fill rate against average inventory value, one point per service-level target,
  one curve per forecaster (up and to the left is better), the shop's recorded policy as a star;
- SKU timelines: demand, the forecast band in force each day, end-of-day stock and the orders,
  for a fast mover, an intermittent SKU, a launch and a promoted SKU, model vs the best peer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import polars as pl

from inventory_pipeline import plots
from inventory_pipeline.evaluation.config import CHAMPION
from inventory_pipeline.evaluation.replay import RECORDED, ReplayResult
from inventory_pipeline.evaluation.shop import ShopDays
from inventory_pipeline.model.predict import quantile_column_name
from inventory_pipeline.plots import plt, png_bytes
from inventory_pipeline.scoring.accuracy import ORACLE, BacktestResult

COLORS: dict[str, str] = {
    CHAMPION: "tab:blue", "lightgbm": "tab:green", "auto_ets": "tab:orange",
    "seasonal_naive": "tab:red", ORACLE: "tab:gray", RECORDED: "black",
}  # fmt: skip
TIMELINE_ROLES: tuple[str, ...] = ("fast_mover", "intermittent", "cold_start", "promo")


def _style(method: str) -> dict[str, object]:
    dashed = method in (ORACLE,)
    return {"color": COLORS.get(method, "tab:purple"), "linestyle": "--" if dashed else "-"}


def accuracy_by_horizon_png(
    accuracy: BacktestResult, segment: str = "all", dpi: int = 100
) -> bytes:
    """WQL, WAPE and p10..p90 coverage per horizon day for every method."""
    part = accuracy.by_horizon.filter(pl.col("segment") == segment)
    figure, axes = plt.subplots(1, 3, figsize=(15.0, 4.0))
    for method in accuracy.methods:
        rows = part.filter(pl.col("method") == method).sort("horizon")
        for axis, metric in zip(axes, ("wql", "wape", "coverage")):
            axis.plot(rows["horizon"], rows[metric], marker=".", label=method, **_style(method))
    axes[2].axhline(0.8, color="grey", linestyle=":", label="calibrated (0.8)")
    for axis, label in zip(axes, ("WQL (p10/p50/p90)", "WAPE of p50", "p10..p90 coverage")):
        axis.set(xlabel="horizon (days ahead)", ylabel=label)
        axis.grid(alpha=0.3)
    axes[0].legend()
    figure.suptitle(f"Forecast accuracy by horizon ({segment}; actuals: {accuracy.actuals})")
    figure.tight_layout()
    return png_bytes(figure, dpi)


def tradeoff_png(
    inventory: pl.DataFrame, headline_level: float, title: str, dpi: int = 100
) -> bytes:
    """Fill rate vs average inventory value per forecaster, one point per target."""
    curves = inventory.filter(pl.col("segment") == "all")
    figure, axis = plt.subplots(figsize=(8.0, 5.5))
    for method in curves["method"].unique(maintain_order=True).to_list():
        rows = curves.filter(pl.col("method") == method)
        if method == RECORDED:
            axis.scatter(
                rows["avg_on_hand_value"], rows["fill_rate"], marker="*", s=180,
                color=COLORS[RECORDED], label="shop's own policy (recorded)", zorder=5,
            )  # fmt: skip
            continue
        rows = rows.sort("service_level")
        axis.plot(rows["avg_on_hand_value"], rows["fill_rate"], marker="o", label=method,
                  **_style(method))  # fmt: skip
        at = rows.filter((pl.col("service_level") - headline_level).abs() < 1e-9)
        axis.scatter(at["avg_on_hand_value"], at["fill_rate"], s=120, facecolors="none",
                     edgecolors=_style(method)["color"], linewidths=2, zorder=4)  # fmt: skip
        if method == CHAMPION:
            for value, fill, level in rows.select(
                "avg_on_hand_value", "fill_rate", "service_level"
            ).iter_rows():
                axis.annotate(f"{level:.0%}", (value, fill), textcoords="offset points",
                              xytext=(6, -10), fontsize=8, color=COLORS[CHAMPION])  # fmt: skip
    axis.set(xlabel="average inventory value (at unit cost)", ylabel="fill rate (units)",
             title=title)  # fmt: skip
    axis.grid(alpha=0.3)
    axis.legend(title=f"circled: {headline_level:.0%} target", loc="lower right")
    return png_bytes(figure, dpi)


def pick_timeline_skus(shop: ShopDays, replay: ReplayResult, count: int) -> dict[str, str]:
    """One SKU per role: the one with the most scored demand (or days) in that segment."""
    picks: dict[str, str] = {}
    for role in TIMELINE_ROLES[:count]:
        mask = replay.segments.get(role)
        if mask is None or not mask.any():
            continue
        weight = (shop.demand * mask).sum(axis=1) if role != "promo" else mask.sum(axis=1)
        if role in ("cold_start", "intermittent"):
            weight = weight + mask.sum(axis=1) * 1e-3  # ties: the longer story
        for i in np.argsort(-weight, kind="stable"):
            if weight[i] > 0 and shop.skus[i] not in picks.values():
                picks[role] = shop.skus[i]
                break
    return picks


def _band(
    forecasts: pl.DataFrame, method: str, sku: str, days: list[date], origins: Sequence[date],
    levels: Sequence[float],
) -> np.ndarray:  # fmt: skip
    """(D, 3) the per-day quantiles in force each day: latest origin before it, horizon to it."""
    names = [quantile_column_name(q) for q in levels]
    rows = forecasts.filter((pl.col("method") == method) & (pl.col("sku") == sku))
    table = {(o, h): v for o, h, *v in rows.select("origin", "horizon", *names).iter_rows()}
    out = np.full((len(days), 3), np.nan)
    for j, day in enumerate(days):
        before = [o for o in origins if o < day]
        if before:
            origin = before[-1]
            values = table.get((origin, (day - origin).days))
            if values is not None:
                out[j] = values
    return out


def sku_timelines_png(
    shop: ShopDays,
    replay: ReplayResult,
    accuracy: BacktestResult,
    origins: Sequence[date],
    methods: Sequence[str],
    picks: dict[str, str],
    dpi: int = 100,
) -> bytes:
    """Rows: picked SKUs; columns: ``methods``; demand, forecast band, stock and orders."""
    if not picks:
        raise ValueError("no SKU to draw: every timeline segment is empty")
    days = shop.days
    x = np.array(days, dtype="datetime64[D]")
    figure, axes = plt.subplots(
        len(picks), len(methods), figsize=(6.5 * len(methods), 2.8 * len(picks)), squeeze=False,
        sharex=True,
    )  # fmt: skip
    for r, (role, sku) in enumerate(picks.items()):
        i = shop.skus.index(sku)
        for c, method in enumerate(methods):
            axis = axes[r][c]
            path = replay.paths[method]
            band = _band(accuracy.forecasts, method, sku, days, origins, accuracy.levels)
            axis.bar(x, shop.demand[i], color="lightgray", width=1.0, label="demand")
            axis.fill_between(x, band[:, 0], band[:, 2], color=COLORS.get(method, "tab:purple"),
                              alpha=0.25, step="mid", label="forecast p10..p90")  # fmt: skip
            axis.plot(x, band[:, 1], color=COLORS.get(method, "tab:purple"), linewidth=0.8,
                      label="forecast p50")  # fmt: skip
            axis.step(x, path.on_hand[i], where="post", color="black", linewidth=1.2,
                      label="stock (end of day)")  # fmt: skip
            axis.step(x, replay.order_up_to[method][i], where="post", color="tab:purple",
                      linestyle=":", linewidth=1.0, label="order-up-to S")  # fmt: skip
            ordered = path.ordered[i] > 0
            axis.scatter(x[ordered], path.ordered[i][ordered], marker="v", color="tab:green",
                         s=25, label="order placed (units)", zorder=4)  # fmt: skip
            lost = path.lost[i].sum()
            axis.set_title(f"{sku} ({role.replace('_', ' ')}): {method}, lost {lost} units",
                           fontsize=9)  # fmt: skip
            axis.grid(alpha=0.3)
            if r == 0 and c == 0:
                axis.legend(fontsize=7, loc="upper left")
    figure.autofmt_xdate()
    figure.tight_layout()
    return png_bytes(figure, dpi)


def calibration_png(table: pl.DataFrame, title: str, dpi: int = 100) -> bytes:
    """Observed vs nominal level of the cover quantiles, one panel per cover bucket."""
    return plots.calibration_png(table, title, dpi, style=_style, reference_label="calibrated")
