"""The one place every number of a retraining run lives: origins, model overrides, segments.

The model's own numbers stay in :class:`~inventory_pipeline.model.ModelConfig`; a training run
starts from its defaults and applies :attr:`TrainingConfig.model_overrides`, the values tuned for
the pipeline (see docs/model.md for the benchmark behind them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from inventory_pipeline.baselines import BaselineConfig
from inventory_pipeline.features.calendar import EventRule
from inventory_pipeline.model.config import ModelConfig, with_events
from inventory_pipeline.peers import LightGBMConfig

# Published daily quantiles of the forecasts table (p10 / p50 / p90): every method is scored on
# exactly these levels, and the model must predict them.
SCORED_LEVELS: tuple[float, float, float] = (0.1, 0.5, 0.9)

# Quantile levels of the pipeline's model: the published p10 / p50 / p90 plus the upper tail the
# reorder policy interpolates for service levels 0.80 .. 0.99.
PIPELINE_QUANTILES: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99)

DEFAULT_MODEL_OVERRIDES: dict[str, Any] = {
    "quantiles": PIPELINE_QUANTILES,
    "finetune": "frozen",  # the text prior comes from cached embeddings; see docs/model.md
    "max_epochs": 12,  # early stopping usually ends earlier
    "patience": 3,
    "batch_size": 64,
    "learning_rate": 2e-3,
    "num_threads": 1,  # the small towers gain nothing from a 2nd thread on a busy 2-core box
    "zero_below": 0.05,  # p10 of slow movers is 0 units, not 0.003: intervals cover zero days
    # the scale prior predicts the established level; the launch ramp is left to the decoder
    "prior_excluded_static": ("days_since_launch_log1p", "history_length_log1p"),
    "prior_offset_feature": "category_recent_log",
    "text_dropout": 0.5,  # hide half the training samples' text, or the towers learn products'
    # levels by heart from their unique documents (docs/model.md, "Cold start, second round")
    "text_min_launch_age_days": 56.0,  # new products are forecast without their text: on
    # three seeds cold start WQL 0.615 against 0.633 (docs/model.md, "Cold start, third round")
    "launch_curve": True,  # products in their first 56 days are forecast by the launch curve
    # learned from the shop's launches (model/launch.py) if it is not worse than the network on
    # the validation launches, daily and cumulative (docs/model.md, "Cold start, fifth round")
}


@dataclass(frozen=True)
class SegmentConfig:
    """How backtest cells are assigned to segments (a cell is one SKU, origin and target day)."""

    cold_start_days: int = 56  # a target day within this many days of the launch is cold start
    incident_window_days: int = 365  # days from a quality incident's start counted "after it"
    # (the demand loss it causes is lasting, so the window is long)
    activity_days: int = 56  # history days (as known on the origin) that define mover classes
    min_activity_days: int = 28  # fewer usable history days: neither fast mover nor intermittent
    fast_mover_share: float = 0.1  # top share of SKUs by mean daily units at each origin
    intermittent_max_selling_share: float = 0.3  # sells on at most this share of usable days


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
    kept_runs: int = 3  # the working folders (windows, backtest report) of this many latest
    # retraining runs stay under <warehouse>/training/runs; older ones are removed

    # --- model -------------------------------------------------------------------------------
    model_overrides: dict[str, Any] = field(
        default_factory=lambda: dict(DEFAULT_MODEL_OVERRIDES)
    )  # ModelConfig fields changed from the model's defaults; a dict given here replaces
    # DEFAULT_MODEL_OVERRIDES (spread it in to keep the pipeline's values)

    # --- backtest ----------------------------------------------------------------------------
    scored_levels: tuple[float, float, float] = SCORED_LEVELS  # WQL levels; (lo, mid, hi)
    baseline_history_days: int = 365  # history the baselines get, as known on each origin
    baseline_jobs: int = 1  # statsforecast worker processes (1 on a shared 2-core machine)
    baselines: tuple[str, ...] = ("seasonal_naive", "auto_ets", "lightgbm")  # scored next to
    # the model; the gate's best baseline and the gap closed use the lowest WQL among them
    lightgbm: LightGBMConfig = field(default_factory=LightGBMConfig)  # the LightGBM peer
    baseline_max_history_multiple: float = 5.0  # a statistical baseline forecasting more than
    # this many times a SKU's largest history day blew up: that SKU falls back (baselines.py)
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

    def __post_init__(self) -> None:
        # values from run config (TrainingRunConfig, YAML) arrive as lists and dicts
        object.__setattr__(self, "baselines", tuple(self.baselines))
        if isinstance(self.lightgbm, dict):
            values = {k: tuple(v) if isinstance(v, list) else v for k, v in self.lightgbm.items()}
            object.__setattr__(self, "lightgbm", LightGBMConfig(**values))
        for name in (
            "backtest_days", "backtest_stride", "validation_stride", "train_stride",
            "min_history_days", "baseline_history_days", "baseline_jobs", "kept_runs",
            "max_train_windows", "max_backtest_skus",
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
        **changes: Any,
    ) -> ModelConfig:
        """``base`` (default: ModelConfig()) with the overrides and then ``changes`` applied, and
        one event channel per rule of ``events`` (the shop's ``FeatureConfig.events``).

        Raises if the result lacks a scored level: the backtest and the forecasts table need them.
        """
        values = (base or ModelConfig()).to_dict()
        values.update(self.model_overrides)
        values.update(changes)
        config = with_events(ModelConfig.from_dict(values), [e.name for e in events])
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


def level_index(quantiles: tuple[float, ...], level: float) -> int:
    """Position of ``level`` in ``quantiles`` (exact up to float noise)."""
    for i, q in enumerate(quantiles):
        if abs(q - level) < 1e-9:
            return i
    raise ValueError(
        f"quantile level {level} is not among the model's levels {quantiles}; the backtest and "
        f"the forecasts table need it. Add it to ModelConfig.quantiles and retrain."
    )


def check_levels(quantiles: tuple[float, ...], levels: tuple[float, ...]) -> None:
    """Raise when any of ``levels`` is missing from ``quantiles``."""
    for level in levels:
        level_index(quantiles, level)


DEFAULT_TRAINING_CONFIG = TrainingConfig()  # the pipeline's defaults (immutable)
