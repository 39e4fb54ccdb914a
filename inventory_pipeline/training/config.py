"""The one place every number of a retraining run lives: origins, backtest, segments.

The model's own numbers, with the values the pipeline trains with, live in
:class:`~inventory_pipeline.model.ModelConfig`; :attr:`TrainingConfig.model_overrides` changes
some of them for one run (none by default).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from inventory_pipeline.baselines import BaselineConfig, available_cpus
from inventory_pipeline.features.calendar import EventRule
from inventory_pipeline.forecast_shape import PUBLISHED_LEVELS, check_levels
from inventory_pipeline.model.config import ModelConfig, with_events, with_promotions
from inventory_pipeline.peers import LightGBMConfig
from inventory_pipeline.scoring.segments import SegmentConfig


@dataclass(frozen=True)
class TrainingConfig:
    """Numbers of one retraining run (plan, model overrides, backtest, segments)."""

    # --- origins (TrainingPlan) --------------------------------------------------------------
    backtest_days: int = 120  # the backtest scores target days inside the last this many days
    backtest_stride: int = 14  # days between backtest origins (the last one is latest - H)
    validation_origins: int = 4  # early-stopping origins just before the backtest
    validation_stride: int = 7  # days between validation origins
    train_stride: int = 7  # days between training origins (7: every weekday alignment alike)
    min_history_days: int = 56  # exported days a training origin needs behind it (inclusive)
    train_up_to_validation: bool = False  # True: training origins go on up to the validation
    # block, their targets from its first origin on censored (plan.py); off by default: with a
    # 63-day horizon it scored a 3-4% higher validation loss on two shop profiles (docs/model.md)
    kept_runs: int = 3  # the working folders (windows, backtest report) of this many latest
    # retraining runs stay under <warehouse>/training/runs; older ones are removed

    # --- the served model (docs/retraining.md) --------------------------------------------------
    refit_after_gate: bool = True  # after the gate passes, refit the same configuration for the
    # epochs early stopping selected on every window up to the latest export and serve that;
    # False: serve the gated weights as they are

    # --- model -------------------------------------------------------------------------------
    promotion_channels: bool = False  # the model reads promotions by kind (model.config.
    # with_promotions): a promotion in force whatever its discount, and one channel per promotion
    # type the shop ran on at least promo_type_min_days promotion-days before the validation
    # block (training.retrain.promotion_vocabulary); False: discounts only
    promo_type_min_days: int = 56  # promotion-days (over SKUs) a type needs for its own channel
    model_overrides: dict[str, Any] = field(default_factory=dict)  # ModelConfig fields this run
    # changes from the model's defaults (the pipeline's values); empty: none

    # --- backtest ----------------------------------------------------------------------------
    scored_levels: tuple[float, float, float] = PUBLISHED_LEVELS  # WQL levels; (lo, mid, hi)
    baseline_history_days: int = 365  # history the baselines get, as known on each origin
    baseline_jobs: int = field(default_factory=available_cpus)  # statsforecast worker processes:
    # the CPUs this process may use (AutoETS fits one SKU per process at a time, and the backtest
    # step has the machine to itself; the forecasts do not depend on the count)
    baselines: tuple[str, ...] = ("seasonal_naive", "auto_ets", "lightgbm")  # scored next to
    # the model (of seasonal_naive, auto_ets, lightgbm); the gate's best baseline and the gap
    # closed use the lowest WQL among them
    lightgbm: LightGBMConfig = field(default_factory=LightGBMConfig)  # the LightGBM peer
    baseline_max_history_multiple: float = BaselineConfig.max_history_multiple  # a statistical
    # baseline forecasting more than this many times a SKU's largest history day blew up: that
    # SKU falls back (baselines.py)
    absurd_wql_ratio: float = 10.0  # a baseline whose WQL exceeds this many times the
    # reference (min of seasonal naive and the zero forecast) is flagged and left out of the gate
    segments: SegmentConfig = SegmentConfig()

    # --- large catalogs (docs/model.md, "Scaling retraining") ---------------------------------
    max_train_windows: int = 100_000  # training windows per run at most: above it, each
    # training origin keeps a seeded sample of its SKUs (this many / training origins), so an
    # epoch stops growing with the catalog; two years of a 1,000-SKU shop stay below it
    max_backtest_skus: int = 1_000  # SKUs the backtest scores per origin at most: above it,
    # every method (model, baselines, oracle) scores the same seeded SKU sample (the LightGBM
    # peer's fits cost 17 min for 1,000 SKUs x 7 origins on a busy machine)
    sample_seed: int = 20_240_101  # seeds both samples (same seed, same windows and SKUs)

    # --- calibrated decision quantiles (training/calibration.py) ----------------------------
    calibration_levels: tuple[float, ...] = (0.8, 0.9, 0.95, 0.98, 0.99)  # nominal levels of
    # the cover quantiles measured and recalibrated (the shop's service levels are added)
    calibration_bucket_edges: tuple[int, ...] = (14,)  # cover bounds (days) of the buckets, each
    # recalibrated on its own; the horizon closes the last, which also serves longer covers
    calibration_min_windows: int = 50  # a cover bucket with fewer validation windows is not
    # recalibrated, one with fewer backtest windows is not judged by the gate
    calibration_prior_windows: float = 100.0  # pseudo-windows of the identity map a bucket's
    # fitted level is shrunk toward: weight n / (n + this)
    calibration_tolerance: float = 0.05  # the gate fails a candidate whose recalibrated
    # service-level cover quantile misses its level by more than this (absolute share of
    # backtest windows) in a judged bucket; about 3 standard errors of a 0.95 share on 200
    # windows, and well under the 0.13-0.16 misses of uncalibrated long covers
    recalibrate: bool = True  # fit the recalibration on the validation block and save it with the
    # model; False: the plan reads the model's levels as is (the gate still judges them)

    def __post_init__(self) -> None:
        # values from run config (TrainingRunConfig, YAML) arrive as lists and dicts
        object.__setattr__(self, "baselines", tuple(self.baselines))
        object.__setattr__(self, "calibration_levels", tuple(self.calibration_levels))
        object.__setattr__(self, "calibration_bucket_edges", tuple(self.calibration_bucket_edges))
        if not all(0.5 < p < 1.0 for p in self.calibration_levels) or not self.calibration_levels:
            raise ValueError(
                f"TrainingConfig.calibration_levels={self.calibration_levels}: give the decision "
                "levels to measure as shares above the median, e.g. (0.8, 0.9, 0.95, 0.98, 0.99)."
            )
        if not 0.0 < self.calibration_tolerance < 0.5 or self.calibration_prior_windows < 0:
            raise ValueError(
                f"TrainingConfig.calibration_tolerance={self.calibration_tolerance} must be a "
                f"share in (0, 0.5), e.g. 0.05, and calibration_prior_windows="
                f"{self.calibration_prior_windows} >= 0."
            )
        if isinstance(self.lightgbm, dict):
            values = {k: tuple(v) if isinstance(v, list) else v for k, v in self.lightgbm.items()}
            object.__setattr__(self, "lightgbm", LightGBMConfig(**values))
        for name in (
            "backtest_days", "backtest_stride", "validation_stride", "train_stride",
            "min_history_days", "baseline_history_days", "baseline_jobs", "kept_runs",
            "max_train_windows", "max_backtest_skus",
            "calibration_min_windows", "promo_type_min_days",
        ):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValueError(f"TrainingConfig.{name} must be >= 1, got {getattr(self, name)}.")
        unknown_baselines = sorted(set(self.baselines) - {"seasonal_naive", "auto_ets", "lightgbm"})
        if unknown_baselines or not self.baselines:
            raise ValueError(
                f"TrainingConfig.baselines={self.baselines}: choose one or more of "
                "seasonal_naive, auto_ets, lightgbm."
            )
        if self.absurd_wql_ratio <= 1.0 or self.baseline_max_history_multiple <= 1.0:
            raise ValueError(
                "TrainingConfig.absurd_wql_ratio and baseline_max_history_multiple must be > 1, "
                f"got {self.absurd_wql_ratio} and {self.baseline_max_history_multiple}."
            )
        if self.validation_origins < 0:
            raise ValueError(f"validation_origins must be >= 0, got {self.validation_origins}.")
        lo, mid, hi = self.scored_levels
        if not 0.0 < lo < mid < hi < 1.0:
            raise ValueError(f"scored_levels={self.scored_levels} must be increasing in (0, 1).")
        known = {f.name for f in dataclasses.fields(ModelConfig)}
        unknown = sorted(set(self.model_overrides) - known)
        if unknown:
            raise ValueError(f"model_overrides has unknown ModelConfig fields {unknown}.")

    def model_config(
        self,
        base: ModelConfig | None = None,
        *,
        events: Sequence[EventRule] = (),
        promotion_types: Sequence[str] | None = None,
        **changes: Any,
    ) -> ModelConfig:
        """``base`` (default: ModelConfig(), the pipeline's values) with the overrides and then
        ``changes`` applied, one event channel per rule of ``events`` (the shop's
        ``FeatureConfig.events``) and, with ``promotion_channels``, the promotion channels of
        ``promotion_types`` (the run's plan carries them; None: no promotion channels).

        Raises if the result lacks a scored level: the backtest and the forecasts table need them.
        """
        values = (base or ModelConfig()).to_dict()
        values.update(self.model_overrides)
        values.update(changes)
        config = with_events(ModelConfig.from_dict(values), [e.name for e in events])
        if self.promotion_channels:
            config = with_promotions(config, promotion_types)
        check_levels(config.quantiles, self.scored_levels)
        return config

    def baseline_config(self, horizon_days: int) -> BaselineConfig:
        """Baselines scored on the same interval as the model (p10..p90 -> level 80)."""
        lo, _, hi = self.scored_levels
        level = round((hi - lo) * 100)
        if abs(lo - (1.0 - hi)) > 1e-9 or abs(level - (hi - lo) * 100) > 1e-6:
            raise ValueError(
                f"scored_levels {self.scored_levels} must be a central interval with a whole "
                "percent level (e.g. 0.1, 0.5, 0.9) for the statsforecast baselines."
            )
        return BaselineConfig(
            horizon_days=horizon_days,
            level=level,
            n_jobs=self.baseline_jobs,
            max_history_multiple=self.baseline_max_history_multiple,
        )

    def to_dict(self) -> dict[str, Any]:
        """Flat-ish JSON-ready dict, for run parameters and artifacts."""
        values = dataclasses.asdict(self)
        values["model_overrides"] = {
            k: list(v) if isinstance(v, tuple) else v for k, v in self.model_overrides.items()
        }
        return values


DEFAULT_TRAINING_CONFIG = TrainingConfig()  # the pipeline's defaults (immutable)
