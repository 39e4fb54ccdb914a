"""The one place every number of a decision-quality evaluation lives.

The reorder policy's own numbers (review period, holding cost rate) come from
:class:`~inventory_pipeline.reorder.ReorderConfig`, the backtest's (scored quantile levels,
baseline history, segments) from :class:`~inventory_pipeline.training.TrainingConfig`, so the
evaluation scores exactly what the nightly job and the retraining gate use.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from inventory_pipeline.forecast_shape import HORIZON_DAYS
from inventory_pipeline.peers import LightGBMConfig
from inventory_pipeline.reorder import ReorderConfig
from inventory_pipeline.scoring.accuracy import AUTO_ETS, LIGHTGBM, SEASONAL_NAIVE
from inventory_pipeline.training import TrainingConfig

LeadTimeDistribution = Literal["gamma", "normal"]
LEAD_TIME_DISTRIBUTIONS: tuple[str, ...] = ("gamma", "normal")

CHAMPION = "champion"
PEERS: tuple[str, ...] = (SEASONAL_NAIVE, AUTO_ETS, LIGHTGBM)


@dataclass(frozen=True)
class EvaluationConfig:
    """Numbers of one evaluation run: origins, peers, simulation, report."""

    # --- rolling origins ---------------------------------------------------------------------
    origin_stride_days: int = 7  # re-forecast every this many days; the forecast of an origin
    # drives the reviews of the following days until the next origin (1 = daily re-forecasting)
    horizon_days: int = HORIZON_DAYS  # H when no model is evaluated (else the model's own H)

    # --- forecasters -------------------------------------------------------------------------
    peers: tuple[str, ...] = PEERS  # peers scored next to the model (subset of PEERS)
    lightgbm: LightGBMConfig = field(default_factory=LightGBMConfig)
    lead_time_distribution: LeadTimeDistribution = "gamma"  # peers' demand over a lead time:
    # independent days, moments summed, this distribution matched to them (docs/evaluation.md)
    oracle_samples: int = 2000  # Monte Carlo paths of the true NB demand for the oracle's sums
    seed: int = 7  # oracle paths and lead-time delays

    # --- policy and simulation ---------------------------------------------------------------
    reorder: ReorderConfig = field(default_factory=ReorderConfig)  # review period, holding cost
    service_levels: tuple[float, ...] = (0.60, 0.70, 0.80, 0.85, 0.90, 0.95, 0.98, 0.99)
    # the trade-off curve: the usual targets 0.80..0.99, plus 0.60 and 0.70 so that the curves
    # of forecasters with different calibration overlap in fill rate (equal-fill comparison)
    headline_service_level: float = ReorderConfig.service_level  # the target of the headline
    # table: the policy's default
    fill_rate_targets: tuple[float, ...] = (0.80, 0.85, 0.90, 0.95)  # stock needed to reach these
    lead_time_jitter: float = 0.0  # extra supplier delay up to this share of the lead time
    # (uniform, the same draws for every forecaster); 0 = deliveries exactly on the lead time
    score_after_first_arrival: bool = True  # score a SKU from the day the first order the
    # policy places can arrive (before that the start stock, not the forecaster, decides)
    impute_window_days: int = 28  # no ground truth: a stockout day's demand (for the stock
    # physics only; never scored) = mean of the usable days in this trailing window

    # --- calibration of the quantiles the policy reads ----------------------------------------
    decision_levels: tuple[float, ...] = (0.80, 0.85, 0.90, 0.95, 0.98, 0.99)  # levels checked
    cover_bucket_edges: tuple[int, ...] = (14,)  # covers split at these days and the horizon

    # --- accuracy + report -------------------------------------------------------------------
    training: TrainingConfig = field(default_factory=TrainingConfig)  # levels, baselines, segments
    timeline_skus: int = 4  # SKUs in the timeline plot (fast mover, intermittent, launch, promo)
    plot_dpi: int = 100

    def __post_init__(self) -> None:
        if self.origin_stride_days < 1 or self.horizon_days < 1:
            raise ValueError("origin_stride_days and horizon_days must be >= 1")
        unknown = sorted(set(self.peers) - set(PEERS))
        if unknown:
            raise ValueError(f"unknown peers {unknown}; choose from {PEERS}")
        if self.lead_time_distribution not in LEAD_TIME_DISTRIBUTIONS:
            raise ValueError(
                f"lead_time_distribution={self.lead_time_distribution!r}; use one of "
                f"{LEAD_TIME_DISTRIBUTIONS}"
            )
        levels = tuple(self.service_levels)
        if not levels or any(not 0.5 <= q < 1.0 for q in levels) or list(levels) != sorted(levels):
            raise ValueError(f"service_levels {levels} must be increasing in [0.5, 1)")
        if self.headline_service_level not in levels:
            raise ValueError(
                f"headline_service_level {self.headline_service_level} must be one of "
                f"service_levels {levels}"
            )
        if self.oracle_samples < 100:
            raise ValueError(f"oracle_samples={self.oracle_samples} is too few (>= 100)")
        if self.lead_time_jitter < 0 or self.impute_window_days < 1:
            raise ValueError("lead_time_jitter must be >= 0 and impute_window_days >= 1")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for run parameters and the report."""
        return dataclasses.asdict(self)


DEFAULT_EVALUATION_CONFIG = EvaluationConfig()  # the evaluation's defaults (immutable)
