"""Decision-quality evaluation: does the model's reorder policy hold less stock and lose fewer
sales than the policies its peers would drive, at the same service target?

Plain Python (no orchestrator import). Over rolling forecast origins it scores the champion and
its peers (seasonal naive, AutoETS, a global LightGBM quantile model; the oracle on a generated
shop) on the same cells, replays the reorder policy each one drives through a lost-sales
inventory simulation, and writes a report folder (Markdown, CSV, PNG) that can go to MLflow.

Public API:
    EvaluationConfig, LightGBMConfig       every number of a run (``config.py``)
    run_evaluation -> EvaluationResult     the whole evaluation (``run.py``)
    log_to_mlflow(result) -> run id        params, headline metrics, the report folder
    simulate, SimulationInputs, SimulationPath, policy_metrics   the simulation (``simulation.py``)
    lightgbm_forecast                      the LightGBM peer (``peers.py``)

Reproduce the report on a warehouse: ``inventory-pipeline evaluate --help`` (the evaluation_job).
"""

from inventory_pipeline.evaluation.config import EvaluationConfig, LightGBMConfig
from inventory_pipeline.evaluation.peers import lightgbm_forecast
from inventory_pipeline.evaluation.result import EvaluationResult
from inventory_pipeline.evaluation.run import log_to_mlflow, run_evaluation
from inventory_pipeline.evaluation.simulation import (
    SimulationInputs,
    SimulationPath,
    policy_metrics,
    simulate,
)

__all__ = [
    "EvaluationConfig",
    "EvaluationResult",
    "LightGBMConfig",
    "SimulationInputs",
    "SimulationPath",
    "lightgbm_forecast",
    "log_to_mlflow",
    "policy_metrics",
    "run_evaluation",
    "simulate",
]
