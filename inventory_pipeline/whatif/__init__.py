"""Promotion what-if: forecast a planned promotion's uplift, dip, margin and the stock it needs.

Plain Python (no orchestrator): ``scenario`` parses and validates scenario files, ``answer``
forecasts each SKU with and without the promotion from the champion and the features as of today,
``plots`` draws the answer, ``backtest`` measures the predicted uplift against realised ones. The
Dagster parts (dynamic partitions, the ``what_if/`` sensor, the published table) are in
``inventory_pipeline/defs/whatif``.
"""

from inventory_pipeline.whatif.answer import (
    PROMOTION_SCENARIOS,
    ScenarioAnswer,
    answer_scenario,
    read_features,
)
from inventory_pipeline.whatif.scenario import (
    Scenario,
    ScenarioError,
    build_scenario,
    find_scenario_file,
    read_scenario,
    scenario_files,
)

__all__ = [
    "PROMOTION_SCENARIOS",
    "Scenario",
    "ScenarioAnswer",
    "ScenarioError",
    "answer_scenario",
    "build_scenario",
    "find_scenario_file",
    "read_features",
    "read_scenario",
    "scenario_files",
]
