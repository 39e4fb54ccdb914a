"""What one evaluation produced: the result ``run_evaluation`` returns and the report reads.

Its own module so that the runner (``run.py``) and the report writer (``report.py``) both import
it and not each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from inventory_pipeline.evaluation.config import CHAMPION, EvaluationConfig
from inventory_pipeline.evaluation.replay import RECORDED, ReplayResult
from inventory_pipeline.evaluation.shop import ShopDays
from inventory_pipeline.scoring.accuracy import ORACLE, BacktestResult

HEADLINE_METRICS: tuple[str, ...] = (
    "fill_rate", "cycle_service_level", "avg_on_hand_units", "avg_on_hand_value", "lost_units",
    "stockout_days", "orders", "total_cost",
)  # fmt: skip


@dataclass(frozen=True)
class EvaluationResult:
    """Everything one evaluation produced; ``files`` are in ``out_dir``."""

    out_dir: Path
    start: date
    end: date
    origins: tuple[date, ...]
    horizon_days: int
    model_version: str | None  # None: no model evaluated (peers only)
    methods: tuple[str, ...]  # forecasters, in report order
    accuracy: BacktestResult  # per-day forecasts scored by segment and horizon
    replay: ReplayResult  # simulation metrics and headline paths
    shop: ShopDays  # the replayed days
    config: EvaluationConfig
    notes: tuple[str, ...]  # what a reader must know to read the figures right
    seconds: float
    calibration: pl.DataFrame = field(default_factory=pl.DataFrame)  # decision quantiles' coverage
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def actuals(self) -> str:
        """ "true_demand" (ground truth) or "observed_units" (stockout days excluded)."""
        return self.shop.actuals

    @property
    def peers(self) -> tuple[str, ...]:
        """The methods the model is compared with (not itself, not the oracle)."""
        return tuple(m for m in self.methods if m not in (CHAMPION, ORACLE))

    def policy_table(
        self, service_level: float | None = None, segment: str = "all"
    ) -> pl.DataFrame:
        """Simulation metrics of every method at one target (default: the headline one)."""
        level = self.config.headline_service_level if service_level is None else service_level
        inv = self.replay.inventory.filter(pl.col("segment") == segment)
        at = inv.filter((pl.col("service_level") - level).abs() < 1e-9)
        recorded = inv.filter(pl.col("method") == RECORDED)
        return pl.concat([at, recorded])

    def headline(self) -> dict[str, float]:
        """Flat, finite metrics for MLflow.

        ``<metric>_<segment>_<method>`` for accuracy (as the retraining backtest names them),
        ``sim_<metric>_sl<NN>_<method>`` at every target (segment all),
        ``sim_inventory_value_at_fill<NN>_<method>`` from the trade-off curves.
        """
        out = dict(self.accuracy.headline())
        for row in self.replay.inventory.filter(pl.col("segment") == "all").iter_rows(named=True):
            if row["method"] == RECORDED:
                tag = "recorded"
            else:
                tag = f"sl{round(row['service_level'] * 100):02d}"
            for metric in HEADLINE_METRICS:
                value = row.get(metric)
                if value is not None:
                    out[f"sim_{metric}_{tag}_{row['method']}"] = float(value)
        for row in self.replay.frontier.iter_rows(named=True):
            key = f"sim_inventory_value_at_fill{round(row['fill_rate_target'] * 100):02d}"
            out[f"{key}_{row['method']}"] = float(row["avg_on_hand_value"])
        if not self.calibration.is_empty():
            overall = self.calibration.filter(pl.col("bucket") == "all")
            for row in overall.iter_rows(named=True):
                key = f"cover_coverage_q{round(row['level'] * 100):02d}_{row['method']}"
                out[key] = float(row["observed"])
        return {k: v for k, v in out.items() if np.isfinite(v)}
