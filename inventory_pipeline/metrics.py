"""Forecast accuracy metrics (numpy), shared by backtests and forecast scoring.

Every metric takes an optional ``mask`` (1 = scored, 0 = ignored) so stockout-censored days,
whose sales understate demand, can be left out. Arrays broadcast like numpy. A metric whose
denominator is zero (e.g. no demand at all in the scored cells) is undefined and returns NaN,
never a number that looks like a score.

Formulas (a = actual, f = point forecast, q_hat = quantile forecast at level q; sums run over
scored cells):

    WAPE                     sum |a - f| / sum |a|
    bias                     (sum f - sum a) / sum |a|          (> 0: over-forecasting)
    pinball_q(a, q_hat)      max(q (a - q_hat), (q - 1) (a - q_hat))
    weighted quantile loss   mean over levels q of  2 * sum pinball_q / sum |a|
    interval coverage        share of cells with lower <= a <= upper

``paired_difference_se`` says how far apart two forecasts' scores on the same units (windows,
products) can land by which units a block happens to hold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _scored(actual: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Mask broadcast to the actuals' shape, as float weights."""
    if mask is None:
        return np.ones(np.shape(actual), dtype=np.float64)
    weights = np.broadcast_to(np.asarray(mask, dtype=np.float64), np.shape(actual))
    if np.any((weights != 0.0) & (weights != 1.0)):
        raise ValueError("mask must hold only 0 (ignored) and 1 (scored).")
    return weights


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


def wape(actual: np.ndarray, forecast: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Weighted absolute percentage error: total absolute error relative to total demand.

    Unlike MAPE it stays defined on days with zero demand, which dominate slow movers.
    """
    a, f = np.asarray(actual, dtype=np.float64), np.asarray(forecast, dtype=np.float64)
    w = _scored(a, mask)
    return _ratio(np.sum(w * np.abs(a - f)), np.sum(w * np.abs(a)))


def bias(actual: np.ndarray, forecast: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Signed total error relative to total demand; positive means over-forecasting (overstock)."""
    a, f = np.asarray(actual, dtype=np.float64), np.asarray(forecast, dtype=np.float64)
    w = _scored(a, mask)
    return _ratio(np.sum(w * (f - a)), np.sum(w * np.abs(a)))


def pinball(actual: np.ndarray, quantile_forecast: np.ndarray, level: float) -> np.ndarray:
    """Element-wise pinball (quantile) loss of one quantile level."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"Quantile level must be inside (0, 1), got {level}.")
    error = np.asarray(actual, dtype=np.float64) - np.asarray(quantile_forecast, dtype=np.float64)
    return np.maximum(level * error, (level - 1.0) * error)


def weighted_quantile_loss(
    actual: np.ndarray,
    quantile_forecasts: np.ndarray,
    levels: Sequence[float],
    mask: np.ndarray | None = None,
) -> float:
    """Scale-free quantile loss (as in GluonTS / M5-style evaluation), averaged over the levels.

    Args:
        actual: (...) observed values.
        quantile_forecasts: (..., Q) forecasts, last axis in the order of ``levels``.
        levels: (Q,) quantile levels.
        mask: (...) 1 = scored.
    """
    a = np.asarray(actual, dtype=np.float64)
    qf = np.asarray(quantile_forecasts, dtype=np.float64)
    if qf.shape[-1] != len(levels) or qf.shape[:-1] != a.shape:
        raise ValueError(
            f"quantile_forecasts shape {qf.shape} must be the actual shape {a.shape} "
            f"+ ({len(levels)},)."
        )
    w = _scored(a, mask)
    denominator = np.sum(w * np.abs(a))
    losses = [2.0 * np.sum(w * pinball(a, qf[..., i], q)) for i, q in enumerate(levels)]
    return _ratio(float(np.mean(losses)), denominator)


def interval_coverage(
    actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, mask: np.ndarray | None = None
) -> float:
    """Share of scored cells inside [lower, upper]; a calibrated p10..p90 interval covers 0.8."""
    a = np.asarray(actual, dtype=np.float64)
    w = _scored(a, mask)
    inside = (np.asarray(lower) <= a) & (a <= np.asarray(upper))
    return _ratio(np.sum(w * inside), np.sum(w))


def paired_difference_se(gap: np.ndarray, scale: np.ndarray, resamples: int, seed: int) -> float:
    """Standard error, by a seeded paired bootstrap over units, of a difference of two scores
    that are ratios of sums over the same units: ``gap`` (n,) is each unit's contribution to
    (our numerator - theirs), ``scale`` (n,) its share of the common denominator."""
    picks = np.random.default_rng(seed).integers(0, len(scale), size=(resamples, len(scale)))
    total = np.maximum(scale[picks].sum(1), 1e-12)
    return float((gap[picks].sum(1) / total).std())
