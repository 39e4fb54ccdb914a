"""The library under the retraining job: plan origins, build windows, fit, backtest, report.

Plain Python (no orchestrator import); every step is a function returning a small dataclass, and
artifacts go to folders the caller passes in.

Public API:
    TrainingConfig, SegmentConfig      every number of a run (``config.py``; SegmentConfig
                                       lives with the segments in ``scoring/segments.py``)
    plan_origins / make_plan           -> TrainingPlan (train / validation / backtest origins)
    read_demand, build_windows, build_splits, save_windows, load_windows, WindowSplits
    fit.fit                            -> (DemandForecaster, TrainingHistory)
    backtest_inputs, backtest.backtest, add_forecaster -> BacktestResult (metrics, gap closed)
    text_ablation                      -> AblationResult (the model without its text tower)
    history_rows, baseline_forecasts   the baselines' history as known on an origin, and their
                                       forecasts from it (the evaluation scores the same peers)
    BacktestResult, gap_table, ...     re-exported from :mod:`inventory_pipeline.scoring`, where
                                       the scoring the evaluation shares lives
    plots: loss_curves_png, fan_charts_png, wql_by_horizon_png, save_report_plots

``backtest`` and ``fit`` are also the names of their modules, so those two functions are imported
from the modules (``from inventory_pipeline.training.backtest import backtest``): re-exporting
them here would shadow the modules (``import inventory_pipeline.training.backtest as m`` would
yield the function).
"""

from inventory_pipeline.scoring.accuracy import (
    AUTO_ETS,
    BASELINES,
    LIGHTGBM,
    MODEL,
    ORACLE,
    SEASONAL_NAIVE,
    BacktestResult,
    gap_closed,
    gap_table,
)
from inventory_pipeline.training.ablation import TEXT_ABLATION, AblationResult, text_ablation
from inventory_pipeline.training.backtest import (
    BacktestInputs,
    add_forecaster,
    backtest_inputs,
    baseline_forecasts,
)
from inventory_pipeline.training.config import SegmentConfig, TrainingConfig
from inventory_pipeline.training.history import history_rows
from inventory_pipeline.training.plan import TrainingPlan, make_plan, plan_origins
from inventory_pipeline.training.plots import (
    PlotConfig,
    fan_charts_png,
    loss_curves_png,
    save_report_plots,
    wql_by_horizon_png,
)
from inventory_pipeline.training.windows_io import (
    WindowSplits,
    build_splits,
    build_windows,
    load_windows,
    read_demand,
    save_windows,
)

__all__ = [
    "AUTO_ETS",
    "BASELINES",
    "LIGHTGBM",
    "MODEL",
    "ORACLE",
    "SEASONAL_NAIVE",
    "TEXT_ABLATION",
    "AblationResult",
    "BacktestInputs",
    "BacktestResult",
    "PlotConfig",
    "SegmentConfig",
    "TrainingConfig",
    "TrainingPlan",
    "WindowSplits",
    "add_forecaster",
    "backtest_inputs",
    "baseline_forecasts",
    "build_splits",
    "build_windows",
    "fan_charts_png",
    "gap_closed",
    "gap_table",
    "history_rows",
    "load_windows",
    "loss_curves_png",
    "make_plan",
    "plan_origins",
    "read_demand",
    "save_report_plots",
    "save_windows",
    "text_ablation",
    "wql_by_horizon_png",
]
