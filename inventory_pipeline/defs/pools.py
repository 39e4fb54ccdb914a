"""Dagster concurrency pools of the code location (limits in ``deploy/local/dagster.yaml``).

A pool with limit 1 runs its steps one at a time across all runs and processes.
"""

# Every step that writes the DuckDB catalog file (one writer per file): ingest, features and the
# catalog writes of the nightly forecast.
CATALOG_POOL = "duckdb_catalog"
# Every training step but the refit: two retraining runs never fit, backtest or move the champion
# at once.
RETRAIN_POOL = "retrain"
# The refit of the served model (served_model): its own pool, so that within a run it fits while
# model_backtest scores the candidate (both need only the candidate), and two runs' refits never
# run at once.
RETRAIN_REFIT_POOL = "retrain_refit"
# The backtest's baselines and oracle (backtest_baselines): their own pool, so that they are
# forecast while the challenger fits (they do not need it), and two runs' never at once.
RETRAIN_BASELINES_POOL = "retrain_baselines"
