"""The library under the retraining job: plan origins, build windows, fit, backtest, report.

Plain Python (no orchestrator import); every step is a function returning a small dataclass, and
artifacts go to folders the caller passes in.

Public API:
    TrainingConfig, SegmentConfig      every number of a run (``config.py``)
    plan_origins / make_plan           -> TrainingPlan (train / validation / backtest origins)
    read_demand, build_windows, build_splits, save_windows, load_windows, WindowSplits
    fit                                -> (DemandForecaster, TrainingHistory)
    backtest_inputs, backtest, add_forecaster -> BacktestResult (metrics, gap closed, headline)
    text_ablation                      -> AblationResult (the model without its text tower)
    plots: loss_curves_png, fan_charts_png, wql_by_horizon_png, save_report_plots
"""
