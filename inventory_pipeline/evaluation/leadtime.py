"""Demand over a lead time for every forecaster, and the order-up-to levels read from it.

The policy needs quantiles of demand *summed* over lead time + review; adding up per-day
quantiles is wrong for every quantile but the mean. Each forecaster gets a consistent
distribution of the sums over days 1..h of an origin:

- the model: its own cumulative quantiles (trained on day-sums, so they carry the correlation
  between days that a level shift or a promotion creates);
- peers with per-day forecasts (seasonal naive, AutoETS, LightGBM): days are taken as
  independent, each with mean = the peer's point forecast and standard deviation from the upper
  half of its 80% interval, ``(p90 - p50) / z(0.9)`` (exact for the normal intervals of the
  statsforecast models, and unaffected by their clipping at 0); means and variances add up over
  the days and a gamma (default: non-negative, right-skewed like counts) or normal distribution
  with those two moments gives the quantiles. This is the textbook ``sigma * sqrt(L)`` safety
  stock, i.e. how these forecasts are used in practice;
- the oracle: Monte Carlo paths of the true negative-binomial demand of each day, summed.

:func:`order_up_to` then reads S with the policy's own
:func:`inventory_pipeline.reorder.cover_quantile` (cover = lead time + review period, mixed over
the lead-time scenarios when lead times vary; a cover beyond the horizon scales the horizon's
quantile by cover / H; linear between quantile levels), for several service levels at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from inventory_pipeline.evaluation.config import LeadTimeDistribution
from inventory_pipeline.recalibration import CoverRecalibration
from inventory_pipeline.reorder import ReorderConfig, cover_quantile

_SKU_CHUNK = 64  # SKUs per Monte Carlo batch: bounds memory at samples x chunk x H draws


def daily_sd_from_interval(p50: np.ndarray, upper: np.ndarray, upper_level: float) -> np.ndarray:
    """Per-day standard deviation implied by the upper half of a central interval."""
    z = float(stats.norm.ppf(upper_level))
    return np.maximum(np.asarray(upper, float) - np.asarray(p50, float), 0.0) / z


def independent_cumulative(
    mean: np.ndarray,
    sd: np.ndarray,
    levels: Sequence[float],
    distribution: LeadTimeDistribution = "gamma",
) -> np.ndarray:
    """(N, H, Q) quantiles of demand summed over days 1..h, days independent.

    Args:
        mean: (N, H) expected demand per day (>= 0).
        sd: (N, H) standard deviation per day (>= 0).
        levels: (Q,) quantile levels in (0, 1).
        distribution: "gamma" or "normal" (clipped at 0), matched to the summed moments.
    """
    m = np.cumsum(np.maximum(np.asarray(mean, float), 0.0), axis=1)[..., None]  # (N, H, 1)
    v = np.cumsum(np.square(np.asarray(sd, float)), axis=1)[..., None]
    q = np.asarray(levels, float)[None, None, :]  # (1, 1, Q)
    if distribution == "normal":
        return np.maximum(m + np.sqrt(v) * stats.norm.ppf(q), 0.0)
    if distribution != "gamma":
        raise ValueError(f"unknown lead-time distribution {distribution!r}; use gamma or normal")
    spread = (m > 0) & (v > 0)
    shape = np.where(spread, np.square(m) / np.where(spread, v, 1.0), 1.0)
    scale = np.where(spread, v / np.where(m > 0, m, 1.0), 1.0)
    values = stats.gamma.ppf(q, shape, scale=scale)  # broadcasts to (N, H, Q)
    return np.where(spread, values, m)  # no spread: all mass at the mean (0 without demand)


def oracle_cumulative(
    mean: np.ndarray,
    size: np.ndarray,
    levels: Sequence[float],
    samples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """(N, H, Q) quantiles of the sums of independent NB(mean, size) days, by Monte Carlo.

    ``mean`` 0 means no demand that day (off sale); numpy's parametrisation is
    ``n = size, p = size / (size + mean)``.
    """
    mean = np.asarray(mean, float)
    size = np.asarray(size, float)
    if np.any(size[mean > 0] <= 0):
        raise ValueError("NB size (nb_dispersion) must be > 0 wherever the mean is > 0")
    n_skus, horizon = mean.shape
    out = np.zeros((n_skus, horizon, len(levels)))
    for lo in range(0, n_skus, _SKU_CHUNK):
        mu = mean[lo : lo + _SKU_CHUNK]
        k = np.where(mu > 0, size[lo : lo + _SKU_CHUNK], 1.0)
        p = k / (k + mu)
        draws = rng.negative_binomial(k, p, size=(samples, *mu.shape))  # (S, n, H)
        sums = np.cumsum(draws, axis=2)
        out[lo : lo + _SKU_CHUNK] = np.moveaxis(np.quantile(sums, levels, axis=0), 0, -1)
    return out


def order_up_to(
    levels: Sequence[float],
    cumulative: np.ndarray,
    lead_time_days: np.ndarray,
    service_levels: Sequence[float],
    policy: ReorderConfig,
    recalibration: CoverRecalibration | None = None,
) -> np.ndarray:
    """(N, A) order-up-to levels, read as ``plan_orders`` reads them, for A service levels.

    Args:
        levels: (Q,) increasing levels of ``cumulative``.
        cumulative: (N, H, Q) quantiles of demand summed over days 1..h.
        lead_time_days: (N,) catalog lead times (the policy adds its review period and, with a
            ``lead_time_range``, mixes the covers of the lead-time scenarios).
        service_levels: (A,) targets.
        policy: the reorder policy whose cover rule is applied.
        recalibration: the model's recalibrated levels (None: the targets are read as is).
    """
    n = cumulative.shape[0]
    targets = np.tile(np.asarray(service_levels, float), (n, 1))  # (N, A): one mixture per SKU
    lead = np.asarray(lead_time_days, dtype=np.int64)
    return cover_quantile(
        np.asarray(levels, float), cumulative, lead, targets, policy, recalibration
    )
