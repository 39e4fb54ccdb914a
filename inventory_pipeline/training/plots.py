"""Report plots of a retraining run (matplotlib, Agg backend, PNG bytes).

- loss curves: training and validation loss per epoch, best epoch marked;
- fan charts: history, p10..p90 band, p50 and actuals for a few telling SKUs (a fast mover, an
  intermittent one, a new launch, one with a promotion in the horizon);
- WQL by horizon per method.

Every function returns PNG bytes (for MLflow ``log_image``/``log_artifact`` or Dagster metadata);
:func:`save_report_plots` writes them into a folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from inventory_pipeline import plots
from inventory_pipeline.model import ForecastSamples, ModelConfig, TrainingHistory
from inventory_pipeline.model.launch import LaunchCurve, LaunchInputs
from inventory_pipeline.model.predict import quantile_column_name
from inventory_pipeline.plots import plt, png_bytes
from inventory_pipeline.scoring.accuracy import MODEL, BacktestResult


@dataclass(frozen=True)
class PlotConfig:
    """Figure sizes and how much history a fan chart shows."""

    dpi: int = 100
    fan_history_days: int = 56  # days of history left of the origin
    fan_size: tuple[float, float] = (11.0, 7.5)  # inches, the 2 x 2 grid of fan charts
    curve_size: tuple[float, float] = (6.0, 4.0)  # inches, loss curves and WQL by horizon


def loss_curves_png(
    history: TrainingHistory, title: str = "training", cfg: PlotConfig = PlotConfig()
) -> bytes:
    """Training and validation loss per epoch; the kept (best) epoch is marked."""
    if not history.epochs:
        raise ValueError("the training history has no epoch to plot")
    figure, axis = plt.subplots(figsize=cfg.curve_size)
    epochs = [r.epoch for r in history.epochs]
    axis.plot(epochs, [r.train_loss for r in history.epochs], marker="o", label="train")
    validation = [(r.epoch, r.val_loss) for r in history.epochs if r.val_loss is not None]
    if validation:
        axis.plot(*zip(*validation, strict=True), marker="o", label="validation")
    if history.best_epoch:
        axis.axvline(history.best_epoch, color="grey", linestyle=":", label="kept weights")
    axis.set(xlabel="epoch", ylabel="loss (scaled pinball)", title=f"Loss curves: {title}")
    axis.legend()
    axis.grid(alpha=0.3)
    return png_bytes(figure, cfg.dpi)


def launch_curve_png(
    curve: LaunchCurve,
    samples: list[ForecastSamples],
    config: ModelConfig,
    cfg: PlotConfig = PlotConfig(),
) -> bytes:
    """The fitted launch curve against what the launches in ``samples`` sold, by days on sale.

    Both in units per day relative to the category's level per product: the curve's mean
    (``prior_ratio x profile``, the profile learned per age bucket) with the 10-90% band of its
    level prior, and the launches' mean actuals per day since launch (target days of their young
    samples, divided by the day's seasonal index and day effect too, as the profile is).
    """
    ages, ratios = [], []
    for s in samples:
        inputs = LaunchInputs.from_samples(s, config, curve.max_age_days)
        rows = np.flatnonzero(inputs.young)
        if s.target_units is None or len(rows) == 0:
            continue
        usable = inputs.future_age[rows] > 0
        if s.target_censored is not None:
            usable &= s.target_censored[rows] < 0.5
        exposure = (
            inputs.category_level[rows, None]
            * inputs.future_exposure[rows]
            * curve.future_effects(inputs)[rows]
        )
        ratio = s.target_units[rows] / exposure
        ages.append(inputs.future_age[rows][usable])
        ratios.append(ratio[usable])
    figure, axis = plt.subplots(figsize=cfg.curve_size)
    top = int(curve.max_age_days) + config.horizon_days
    days = np.arange(1, top + 1, dtype=np.float64)
    shape = curve.shape(days)
    draws = np.random.default_rng(0).gamma(curve.prior_shape, 1.0 / curve.prior_shape, 4096)
    low, high = np.quantile(draws, [0.1, 0.9]) * curve.prior_ratio
    axis.fill_between(days, low * shape, high * shape, alpha=0.25, label="prior 10-90%")
    axis.plot(days, curve.prior_ratio * shape, label="learned profile x prior level")
    if ages:
        age, value = np.concatenate(ages), np.concatenate(ratios)
        seen = np.unique(age)
        seen = seen[seen <= top]
        means = [value[age == a].mean() for a in seen]
        axis.plot(seen, means, ".", color="black", alpha=0.6, label="launches, mean actual")
    title = "Launch curve"
    if curve.validation_loss is not None and curve.network_validation_loss is not None:
        title += (
            f"\nvalidation launches, WQL daily {curve.validation_loss:.3f} (network "
            f"{curve.network_validation_loss:.3f}), cumulative "
            f"{curve.validation_cumulative_loss:.3f} "
            f"({curve.network_validation_cumulative_loss:.3f})"
        )
    title += f"\n{'used' if curve.used else 'not used'}"
    axis.set(xlabel="days since launch", ylabel="units / day per category level", title=title)
    axis.legend()
    axis.grid(alpha=0.3)
    return png_bytes(figure, cfg.dpi)


def wql_by_horizon_png(
    result: BacktestResult, segment: str = "all", cfg: PlotConfig = PlotConfig()
) -> bytes:
    """WQL per horizon day for every method of the backtest."""
    figure, axis = plt.subplots(figsize=cfg.curve_size)
    part = result.by_horizon.filter(pl.col("segment") == segment)
    for method in result.methods:
        rows = part.filter(pl.col("method") == method).sort("horizon")
        style = "-" if method in result.learned else "--"
        axis.plot(rows["horizon"], rows["wql"], style, marker=".", label=method)
    axis.set(xlabel="horizon (days ahead)", ylabel="WQL (p10/p50/p90)",
             title=f"WQL by horizon ({segment}, actuals: {result.actuals})")  # fmt: skip
    axis.legend()
    axis.grid(alpha=0.3)
    return png_bytes(figure, cfg.dpi)


def pick_fan_skus(
    result: BacktestResult, origin: date | None = None
) -> dict[str, tuple[date, str]]:
    """(origin, sku) per role: the clearest example of each at one origin (default: the last).

    fast_mover: highest actual demand among fast movers; intermittent: an intermittent SKU that
    sold in the horizon; new_launch: a SKU launching inside the horizon (else the youngest cold
    start); promotion: the SKU with the most promotion days in the horizon. A role without any
    candidate is left out.
    """
    cells = result.cells.frame
    origin = origin or max(cells["origin"].to_list())
    at = cells.filter((pl.col("origin") == origin) & pl.col("scored"))
    per_sku = at.group_by("sku").agg(
        pl.col("actual").sum().alias("units"),
        pl.col("fast_mover").any(),
        pl.col("intermittent").any(),
        pl.col("promo").sum().alias("promo_days"),
        pl.col("cold_start").sum().alias("cold_days"),
        pl.col("horizon").min().alias("first_scored"),
    )
    picks: dict[str, tuple[date, str]] = {}

    def take(role: str, frame: pl.DataFrame, by: list[str], descending: list[bool]) -> None:
        if not frame.is_empty():
            picks[role] = (origin, frame.sort(by, descending=descending)["sku"][0])

    take("fast_mover", per_sku.filter(pl.col("fast_mover")), ["units", "sku"], [True, False])
    take(
        "intermittent",
        per_sku.filter(pl.col("intermittent") & (pl.col("units") > 0)),
        ["units", "sku"],
        [False, False],
    )
    take(
        "new_launch",
        per_sku.filter(pl.col("cold_days") > 0),
        ["first_scored", "cold_days", "sku"],
        [True, True, False],
    )
    take(
        "promotion", per_sku.filter(pl.col("promo_days") > 0), ["promo_days", "sku"], [True, False]
    )
    return picks


def fan_charts_png(
    result: BacktestResult,
    history: pl.DataFrame,
    picks: dict[str, tuple[date, str]] | None = None,
    method: str = MODEL,
    cfg: PlotConfig = PlotConfig(),
) -> bytes:
    """A 2 x 2 grid: history, p10..p90 band, p50 and actuals for each picked SKU.

    Args:
        result: the backtest (forecasts and actuals).
        history: the history as known on the origins (``BacktestInputs.history``).
        picks: role -> (origin, sku); default :func:`pick_fan_skus`.
        method: whose forecast to draw.
    """
    if method not in result.methods:
        raise ValueError(f"{method!r} is not in the backtest; methods: {result.methods}")
    picks = pick_fan_skus(result) if picks is None else picks
    if not picks:
        raise ValueError("no SKU to draw: the backtest has no scored cell")
    lo, mid, hi = (quantile_column_name(q) for q in result.levels)
    figure, axes = plt.subplots(2, 2, figsize=cfg.fan_size, squeeze=False)
    for axis, (role, (origin, sku)) in zip(axes.flat, picks.items(), strict=False):
        past = history.filter(
            (pl.col("origin") == origin)
            & (pl.col("sku") == sku)
            & (pl.col("date") > origin - timedelta(days=cfg.fan_history_days))
        ).sort("date")
        ahead = (
            result.cells.frame.filter((pl.col("origin") == origin) & (pl.col("sku") == sku))
            .join(
                result.forecasts.filter(pl.col("method") == method),
                on=["origin", "sku", "horizon"],
                how="left",
            )
            .sort("horizon")
        )
        axis.plot(past["date"], past["units"], color="black", linewidth=1, label="history")
        axis.fill_between(ahead["target_date"], ahead[lo], ahead[hi], alpha=0.3,
                          label=f"{lo}..{hi}")  # fmt: skip
        axis.plot(ahead["target_date"], ahead[mid], label=mid)
        scored = ahead.filter(pl.col("scored"))
        axis.scatter(scored["target_date"], scored["actual"], s=10, color="red",
                     label=f"actual ({result.actuals})")  # fmt: skip
        promo = ahead.filter(pl.col("promo"))
        if not promo.is_empty():
            axis.scatter(promo["target_date"], [0] * promo.height, marker="^", color="green",
                         label="promotion day")  # fmt: skip
        axis.axvline(origin, color="grey", linestyle=":")
        axis.set_title(f"{role.replace('_', ' ')}: {sku} (origin {origin})", fontsize=9)
        axis.tick_params(axis="x", labelrotation=30, labelsize=7)
        axis.legend(fontsize=6)
    for axis in list(axes.flat)[len(picks) :]:
        axis.set_visible(False)
    figure.suptitle(f"{method} forecasts")
    figure.tight_layout()
    return png_bytes(figure, cfg.dpi)


def save_report_plots(
    folder: str | Path,
    result: BacktestResult,
    history: pl.DataFrame,
    training: TrainingHistory | None = None,
    cfg: PlotConfig = PlotConfig(),
) -> dict[str, Path]:
    """Write every report plot as PNG into ``folder``; returns the paths by name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    images = {
        "wql_by_horizon": wql_by_horizon_png(result, cfg=cfg),
        "fan_charts": fan_charts_png(result, history, cfg=cfg) if MODEL in result.methods else None,
        "loss_curves": None if training is None else loss_curves_png(training, cfg=cfg),
    }
    paths = {}
    for name, image in images.items():
        if image is not None:
            paths[name] = folder / f"{name}.png"
            paths[name].write_bytes(image)
    return paths


def calibration_png(table: pl.DataFrame, title: str, dpi: int = 100) -> bytes:
    """Observed vs nominal level of the plan's cover quantiles, one panel per cover bucket,
    one line per method (the raw model, the recalibrated one)."""
    return plots.calibration_png(table.sort("method", maintain_order=True), title, dpi)
