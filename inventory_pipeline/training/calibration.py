"""Calibrated decision quantiles of a candidate: measure, recalibrate, judge.

The plan orders up to the service-level quantile of demand over each SKU's lead time + review
period. On every window of a block (one SKU at one origin) whose cover ends inside the horizon and
has no censored day, that quantile is compared with the demand that followed over the cover. On
the validation block the coverage curve per cover bucket gives the recalibration
(:func:`fit_recalibration`, saved with the model); on the backtest block the coverage before and
after it is reported (:func:`calibration_table`) and judged (:func:`calibration_verdict`).

Quantile recalibration was chosen over conformal scaling of the upper tail: scaling needs a
spread between the quantile and the median, which slow movers (median and upper quantiles 0 units)
do not have, while a level map works on every window and keeps the plan's quantile on the
model's own curve. Its limit is the model's top level: a tail that under-covers even there cannot
be lifted, and the gate then fails the candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.model.predict import QuantileForecast
from inventory_pipeline.recalibration import CoverRecalibration
from inventory_pipeline.reorder import ReorderConfig, quantile_at
from inventory_pipeline.scoring.calibration import (
    CALIBRATION_SCHEMA,
    cover_buckets,
    miscalibration,
)
from inventory_pipeline.training.config import TrainingConfig
from inventory_pipeline.windows import Windows

LEAD_TIME_FEATURE = "lead_time_days"  # the static feature holding the catalog lead time
GRID_STEP = 0.001  # resolution of the read levels searched for the coverage curve
MEDIAN = 0.5  # the map's first knot: the median is read as is
RAW, RECALIBRATED = "model (raw)", "model"  # methods of the calibration table


@dataclass(frozen=True)
class CoverWindows:
    """Complete cover windows of one block: the cover quantiles and what followed."""

    levels: np.ndarray  # (Q,) the model's levels
    at_cover: np.ndarray  # (n, Q) cumulative quantiles at each window's cover day
    realised: np.ndarray  # (n,) demand over the cover
    cover: np.ndarray  # (n,) lead time + review period, days

    def __len__(self) -> int:
        return len(self.cover)


def cover_windows(
    windows: Windows,
    forecast: QuantileForecast,
    static_features: Sequence[str],
    review_period_days: int,
) -> CoverWindows:
    """The windows of ``windows`` whose cover (catalog lead time + review) fits the horizon and
    whose every cover day has a usable target; longer covers cannot be measured on a window."""
    samples = windows.samples
    if samples.target_units is None:
        raise ValueError("calibration needs windows with targets (training windows, not nightly)")
    if LEAD_TIME_FEATURE not in static_features:
        raise ValueError(
            f"calibration needs the static feature {LEAD_TIME_FEATURE!r} (the catalog lead time) "
            f"in ModelConfig.static_features; it has {list(static_features)}"
        )
    lead = np.rint(samples.static[:, list(static_features).index(LEAD_TIME_FEATURE)])
    cover = lead.astype(np.int64) + review_period_days
    horizon = samples.target_units.shape[1]
    censored = (
        np.zeros(samples.target_units.shape, bool)
        if samples.target_censored is None
        else samples.target_censored > 0.5
    )
    keep = np.flatnonzero((cover >= 1) & (cover <= horizon))
    day = cover[keep] - 1
    cum_units = np.cumsum(samples.target_units, axis=1)
    cum_censored = np.cumsum(censored, axis=1)
    known = cum_censored[keep, day] == 0
    keep, day = keep[known], day[known]
    return CoverWindows(
        levels=np.asarray(forecast.quantiles, dtype=float),
        at_cover=forecast.cumulative[keep, day, :].astype(float),
        realised=cum_units[keep, day].astype(float),
        cover=cover[keep],
    )


def coverage(cells: CoverWindows, read_levels: np.ndarray) -> np.ndarray:
    """(G,) share of windows whose demand is at or below the quantile read at each level."""
    if not len(cells):
        return np.full(len(read_levels), np.nan)
    out = np.empty(len(read_levels))
    for g, level in enumerate(read_levels):
        q = quantile_at(cells.levels, cells.at_cover, np.full(len(cells), level))
        out[g] = float(np.mean(cells.realised <= q + 1e-9))
    return out


def _bucket_bounds(edges: Sequence[int], horizon: int) -> tuple[int, ...]:
    """Increasing bucket bounds: the edges inside the horizon, then the horizon (open-ended)."""
    return tuple(sorted({int(e) for e in edges if 0 < e < horizon} | {horizon}))


def _subset(cells: CoverWindows, rows: np.ndarray) -> CoverWindows:
    return CoverWindows(cells.levels, cells.at_cover[rows], cells.realised[rows], cells.cover[rows])


def _first_reaching(curve: np.ndarray, grid: np.ndarray, share: float) -> float:
    """The lowest read level whose coverage reaches ``share``, linear between grid points
    (demand in whole units makes the curve step: a plateau reads its first level)."""
    j = int(np.searchsorted(curve, share, side="left"))
    if j == 0:
        return float(grid[0])
    if j >= len(grid):
        return float(grid[-1])
    lo, hi = curve[j - 1], curve[j]
    return float(grid[j - 1] + (share - lo) / (hi - lo) * (grid[j] - grid[j - 1]))


def fit_recalibration(
    cells: CoverWindows,
    nominal: Sequence[float],
    edges: Sequence[int],
    horizon: int,
    min_windows: int,
    prior_windows: float,
) -> CoverRecalibration:
    """Per cover bucket, the level whose quantiles covered each nominal share of ``cells``.

    The read level is interpolated on the coverage curve (non-decreasing in the level), held
    inside the model's levels, shrunk toward the nominal level by n / (n + ``prior_windows``)
    and made non-decreasing over the nominal levels; a bucket with fewer than ``min_windows``
    windows reads the nominal levels as is.
    """
    knots = np.array(sorted({MEDIAN, *(float(p) for p in nominal)}))
    grid = np.arange(cells.levels[0], cells.levels[-1] + GRID_STEP / 2, GRID_STEP)
    bounds = _bucket_bounds(edges, horizon)
    index = np.minimum(np.searchsorted(np.asarray(bounds), cells.cover), len(bounds) - 1)
    reads, counts = [], []
    for b in range(len(bounds)):
        part = _subset(cells, np.flatnonzero(index == b))
        n = len(part)
        counts.append(n)
        if n < min_windows:
            reads.append(tuple(knots))
            continue
        curve = np.maximum.accumulate(coverage(part, grid))
        fitted = np.array([_first_reaching(curve, grid, p) for p in knots])
        weight = n / (n + prior_windows)
        read = knots + weight * (fitted - knots)
        read[knots <= MEDIAN] = knots[knots <= MEDIAN]
        reads.append(tuple(np.maximum.accumulate(read)))
    return CoverRecalibration(
        max_cover=bounds, nominal=tuple(knots), read=tuple(reads), windows=tuple(counts)
    )


def calibration_table(
    cells: CoverWindows,
    nominal: Sequence[float],
    edges: Sequence[int],
    horizon: int,
    recalibration: CoverRecalibration | None,
) -> pl.DataFrame:
    """(method, bucket, level, windows, observed): the raw model and, with a recalibration, the
    recalibrated one, overall and per cover bucket (the evaluation's layout and buckets)."""
    labels = np.array(cover_buckets(cells.cover, edges, horizon))
    methods = {RAW: None} | ({RECALIBRATED: recalibration} if recalibration is not None else {})
    rows = []
    for method, recal in methods.items():
        for level in nominal:
            target = np.full(len(cells), float(level))
            read = target if recal is None else recal.level(target, cells.cover)
            q = quantile_at(cells.levels, cells.at_cover, read) if len(cells) else target
            covered = cells.realised <= q + 1e-9
            for bucket in ("all", *sorted(set(labels.tolist()))):
                mask = np.ones(len(cells), bool) if bucket == "all" else labels == bucket
                n = int(mask.sum())
                observed = float(covered[mask].mean()) if n else float("nan")
                rows.append((method, bucket, float(level), n, observed))
    return pl.DataFrame(rows, schema=CALIBRATION_SCHEMA, orient="row").sort(
        "method", "bucket", "level"
    )


@dataclass(frozen=True)
class CalibrationVerdict:
    """Whether the plan's quantiles hit their level on the backtest block, and why (not)."""

    passed: bool
    reason: str
    error: (
        float  # largest |observed − nominal| at the service level over judged buckets (nan: none)
    )
    judged_buckets: tuple[str, ...]


def calibration_verdict(
    table: pl.DataFrame,
    method: str,
    service_level: float,
    tolerance: float,
    min_windows: int,
) -> CalibrationVerdict:
    """Fails when the coverage of the ``service_level`` quantile misses it by more than
    ``tolerance`` in a cover bucket with at least ``min_windows`` windows; with no such bucket
    it passes (too few windows to judge) and says so."""
    at_level = table.filter((pl.col("level") - service_level).abs() < 1e-9)
    buckets = at_level.filter(
        (pl.col("method") == method) & (pl.col("bucket") != "all")
        & (pl.col("windows") >= min_windows)
    )["bucket"].to_list()  # fmt: skip
    if not buckets:
        return CalibrationVerdict(
            True,
            f"calibration not judged: no cover bucket has {min_windows} backtest windows",
            float("nan"),
            (),
        )
    errors = {b: miscalibration(at_level, method, b) for b in buckets}
    worst = max(errors, key=lambda b: errors[b])
    observed = at_level.filter((pl.col("method") == method) & (pl.col("bucket") == worst))
    share = float(observed["observed"][0])
    text = (
        f"the {service_level:.0%} cover quantile covers {share:.3f} of the backtest windows of "
        f"cover {worst} (off by {errors[worst]:.3f}"
    )
    if errors[worst] > tolerance:
        return CalibrationVerdict(
            False,
            f"miscalibrated: {text}, tolerance {tolerance:g})",
            errors[worst],
            tuple(buckets),
        )
    return CalibrationVerdict(
        True, f"calibrated: {text}, within {tolerance:g})", errors[worst], tuple(buckets)
    )


@dataclass(frozen=True)
class CalibrationSetup:
    """What one run measures and judges: the training config's numbers and the shop's policy."""

    levels: tuple[float, ...]  # nominal decision levels (the config's and the shop's)
    service_level: float  # the level the gate judges (the shop's target)
    review_period_days: int
    bucket_edges: tuple[int, ...]
    min_windows: int
    prior_windows: float
    tolerance: float
    recalibrate: bool


def calibration_setup(cfg: TrainingConfig, policy: ReorderConfig) -> CalibrationSetup:
    """The setup of a run of ``cfg`` for a shop planning with ``policy``."""
    shop_levels = {policy.service_level, *policy.category_service_levels.values()}
    levels = sorted({*cfg.calibration_levels, *(p for p in shop_levels if 0.5 < p < 1.0)})
    return CalibrationSetup(
        levels=tuple(float(p) for p in levels),
        service_level=float(policy.service_level),
        review_period_days=policy.review_period_days,
        bucket_edges=cfg.calibration_bucket_edges,
        min_windows=cfg.calibration_min_windows,
        prior_windows=cfg.calibration_prior_windows,
        tolerance=cfg.calibration_tolerance,
        recalibrate=cfg.recalibrate,
    )


def block_windows(
    forecaster: DemandForecaster, windows: Windows, setup: CalibrationSetup
) -> CoverWindows:
    """The complete cover windows of one block, forecast by ``forecaster`` (its raw levels)."""
    forecast = forecaster.predict(windows.samples)
    return cover_windows(
        windows, forecast, forecaster.config.static_features, setup.review_period_days
    )


def recalibrate(
    forecaster: DemandForecaster, validation: Windows, setup: CalibrationSetup
) -> tuple[CoverRecalibration, pl.DataFrame]:
    """The recalibration fitted on the validation block, and that block's table before/after."""
    cells = block_windows(forecaster, validation, setup)
    horizon = forecaster.config.horizon_days
    fitted = fit_recalibration(
        cells, setup.levels, setup.bucket_edges, horizon, setup.min_windows, setup.prior_windows
    )
    table = calibration_table(cells, setup.levels, setup.bucket_edges, horizon, fitted)
    return fitted, table


@dataclass(frozen=True)
class BacktestCalibration:
    """The candidate's decision quantiles on the backtest block, before/after, and the verdict."""

    table: pl.DataFrame
    verdict: CalibrationVerdict
    recalibrated: bool  # the model carries a recalibration (else "model" is its raw levels)

    def tags(self) -> dict[str, str]:
        """Registry tags of the candidate version."""
        error = self.verdict.error
        return {
            "calibration": "passed" if self.verdict.passed else "failed",
            "calibration_reason": self.verdict.reason[:4000],
            "calibration_error": "none" if np.isnan(error) else f"{error:.4f}",
        }

    def markdown(self) -> str:
        """Coverage vs nominal level per cover bucket, raw and recalibrated, as a table."""
        methods = sorted(self.table["method"].unique().to_list())
        lines = [
            "| cover | windows | nominal | " + " | ".join(methods) + " |",
            "|---|---:|---:|" + "---:|" * len(methods),
        ]
        keys = self.table.filter(pl.col("windows") > 0).select("bucket", "level", "windows")
        for bucket, level, n in keys.unique().sort("bucket", "level").iter_rows():
            cells = []
            for method in methods:
                hit = self.table.filter(
                    (pl.col("method") == method) & (pl.col("bucket") == bucket)
                    & (pl.col("level") == level)
                )["observed"]  # fmt: skip
                cells.append(f"{hit[0]:.3f}" if len(hit) else "")
            lines.append(f"| {bucket} | {n} | {level:g} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def metrics(self, service_level: float) -> dict[str, float]:
        """MLflow metrics: coverage at the service level per bucket, raw and recalibrated."""
        out: dict[str, float] = {}
        at_level = self.table.filter((pl.col("level") - service_level).abs() < 1e-9)
        for method, bucket, n, observed in at_level.select(
            "method", "bucket", "windows", "observed"
        ).iter_rows():
            if n:
                kind = "raw" if method == RAW else "recalibrated"
                slug = "".join(c if c.isalnum() else "_" for c in bucket).strip("_")
                out[f"calibration_q{round(service_level * 100)}_{kind}_{slug}"] = observed
        if not np.isnan(self.verdict.error):
            out["calibration_error"] = self.verdict.error
        return out


def backtest_calibration(
    forecaster: DemandForecaster, backtest: Windows, setup: CalibrationSetup
) -> BacktestCalibration:
    """Coverage on the backtest block before/after the model's recalibration, and the gate's
    verdict on the levels the plan reads."""
    cells = block_windows(forecaster, backtest, setup)
    recal = forecaster.cover_recalibration
    horizon = forecaster.config.horizon_days
    table = calibration_table(cells, setup.levels, setup.bucket_edges, horizon, recal)
    method = RECALIBRATED if recal is not None else RAW
    verdict = calibration_verdict(
        table, method, setup.service_level, setup.tolerance, setup.min_windows
    )
    return BacktestCalibration(table, verdict, recal is not None)
