"""Rolling forecast origins for one retraining run: training, validation, backtest.

A window at origin t uses data up to t and targets t+1 .. t+H. The three blocks follow each other
in time, and no target of an earlier block reaches into a later block's target days::

    train origins (every train_stride)  |  validation origins  |  backtest origins (every stride)
    t + H <= first validation origin       v + H <= first backtest origin   b + H <= latest export

With ``TrainingConfig.train_up_to_validation`` (off by default) the training origins go on up
to ``train_stride`` days before the first validation origin, and their target days from that
origin on are unknown to the training block (``train_targets_until``; censored, as a day not
exported yet is): a long horizon then costs the training block no recent origins, only its last
windows' far target days. The served model is refitted on every day anyway (retrain.py).

So early stopping never sees a backtest day, and the backtest scores days no weight was fitted
on: it estimates how the model does on the weeks after its last training data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from inventory_pipeline.features.sources import first_export, latest_export
from inventory_pipeline.training.config import DEFAULT_TRAINING_CONFIG, TrainingConfig
from inventory_pipeline.warehouse import Warehouse


@dataclass(frozen=True)
class TrainingPlan:
    """The origins of one run, ascending within each block."""

    first_export: date
    latest_export: date
    horizon_days: int  # H
    train_origins: tuple[date, ...]
    validation_origins: tuple[date, ...]
    backtest_origins: tuple[date, ...]
    train_targets_until: date | None = None  # training targets after this day are unknown to
    # the training block (censored); None: every training window ends before it anyway
    promotion_types: tuple[str, ...] | None = None  # the promotion types the run's model reads
    # (TrainingConfig.promotion_channels; training.retrain.promotion_vocabulary); None: the
    # model reads no promotion channels

    @property
    def vocabulary_day(self) -> date:
        """The last day whose data may choose the model's inputs (the promotion types): the day
        before the first validation origin (before the first backtest origin without one)."""
        later = self.validation_origins or self.backtest_origins
        return (min(later) if later else self.latest_export) - timedelta(days=1)

    @property
    def origins(self) -> tuple[date, ...]:
        """Every origin, in time order."""
        return self.train_origins + self.validation_origins + self.backtest_origins

    def last_target(self, origins: tuple[date, ...]) -> date | None:
        """The latest target day of a block (None for an empty block); the training block's
        stops at ``train_targets_until``."""
        if not origins:
            return None
        last = max(origins) + timedelta(days=self.horizon_days)
        if origins == self.train_origins and self.train_targets_until is not None:
            return min(last, self.train_targets_until)
        return last

    def check(self) -> None:
        """Raise if any block's targets reach into a later block (or past the latest export)."""
        blocks = [
            ("training", self.train_origins),
            ("validation", self.validation_origins),
            ("backtest", self.backtest_origins),
        ]
        present = [(name, block) for name, block in blocks if block]
        for (name, block), (later_name, later) in pairwise(present):
            last = self.last_target(block)
            assert last is not None
            if last > min(later):
                raise ValueError(
                    f"{name} targets reach {last}, past the first {later_name} origin "
                    f"{min(later)}: the plan leaks"
                )
        last = self.last_target(self.backtest_origins)
        if last is not None and last > self.latest_export:
            raise ValueError(f"backtest targets reach {last}, after the latest export")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (counts and date ranges), for run parameters and metadata."""

        def span(block: tuple[date, ...]) -> dict[str, Any]:
            return {
                "count": len(block),
                "first": block[0].isoformat() if block else None,
                "last": block[-1].isoformat() if block else None,
            }

        return {
            "first_export": self.first_export.isoformat(),
            "latest_export": self.latest_export.isoformat(),
            "horizon_days": self.horizon_days,
            "train_targets_until": (
                None if self.train_targets_until is None else self.train_targets_until.isoformat()
            ),
            "promotion_types": (
                None if self.promotion_types is None else list(self.promotion_types)
            ),
            "train": span(self.train_origins),
            "validation": span(self.validation_origins),
            "backtest": span(self.backtest_origins),
        }


def _backwards(last: date, first: date, stride: int) -> tuple[date, ...]:
    """Origins last, last - stride, ... down to first (inclusive), ascending."""
    out = []
    day = last
    while day >= first:
        out.append(day)
        day -= timedelta(days=stride)
    return tuple(reversed(out))


def make_plan(
    first: date, latest: date, horizon_days: int, cfg: TrainingConfig = DEFAULT_TRAINING_CONFIG
) -> TrainingPlan:
    """The plan for exports ``first .. latest`` (see the module docstring)."""
    H = horizon_days
    last_backtest = latest - timedelta(days=H)
    backtest = _backwards(
        last_backtest, latest - timedelta(days=cfg.backtest_days), cfg.backtest_stride
    )
    if not backtest:
        raise ValueError(
            f"no backtest origin: backtest_days={cfg.backtest_days} is shorter than the horizon "
            f"H={H}; raise TrainingConfig.backtest_days to at least H"
        )
    last_validation = backtest[0] - timedelta(days=H)
    validation = tuple(
        last_validation - timedelta(days=cfg.validation_stride * i)
        for i in reversed(range(cfg.validation_origins))
    )
    first_later = validation[0] if validation else backtest[0]
    last_train = first_later - timedelta(days=H)
    targets_until = None
    if cfg.train_up_to_validation and cfg.train_stride < H:
        last_train, targets_until = first_later - timedelta(days=cfg.train_stride), first_later
    first_train = first + timedelta(days=cfg.min_history_days - 1)
    train = _backwards(last_train, first_train, cfg.train_stride)
    if not train:
        needed = (latest - last_train).days + cfg.min_history_days
        raise ValueError(
            f"exports {first} .. {latest} ({(latest - first).days + 1} days) leave no training "
            f"origin: the plan needs about {needed} days (min_history_days, training, "
            f"validation and backtest blocks). Ingest more days, or lower "
            f"TrainingConfig.backtest_days / validation_origins / min_history_days"
        )
    plan = TrainingPlan(first, latest, H, train, validation, backtest, targets_until)
    plan.check()
    return plan


def plan_origins(
    warehouse: Warehouse,
    cfg: TrainingConfig = DEFAULT_TRAINING_CONFIG,
    horizon_days: int | None = None,
    until: date | None = None,
) -> TrainingPlan:
    """The plan over the warehouse's exported range; H defaults to the run's model config.

    ``until``: train as of that past export day (backtests, audits): every block ends there and
    no later day is a target, as if the warehouse's last export were ``until``.
    """
    H = horizon_days if horizon_days is not None else cfg.model_config().horizon_days
    first, latest = first_export(warehouse), latest_export(warehouse)
    if until is not None:
        if not first <= until <= latest:
            raise ValueError(
                f"until={until} is outside the exported days {first} .. {latest}: pick a day in "
                f"that range (train --until), or leave it unset to train on every exported day"
            )
        latest = until
    return make_plan(first, latest, H, cfg)
