"""The retraining gate: a blocking check on ``model_backtest``, evaluated by that asset's step.

The candidate must have a lower weighted quantile loss than every baseline and than the current
champion, scored on the same backtest windows, and the cover quantiles the reorder plan reads (at
the shop's service level, recalibrated) must cover their level within
``TrainingConfig.calibration_tolerance`` in every cover bucket with enough backtest windows.
Blocking: when it fails, ``champion_model`` does not run and the alias stays where it was.
"""

from typing import Any

import dagster as dg

from inventory_pipeline import tracking
from inventory_pipeline.training.calibration import BacktestCalibration

GATE_CHECK = "beats_champion_and_baselines"
_NO_CHAMPION = "no champion yet"

gate_check_spec = dg.AssetCheckSpec(
    GATE_CHECK,
    asset="model_backtest",
    blocking=True,
    description=(
        "Candidate WQL below every baseline and the current champion on the same windows; its "
        "decision quantiles calibrated within the tolerance."
    ),
)


def calibration_metadata(calibrated: BacktestCalibration | None) -> dict[str, Any]:
    """The decision quantiles' coverage (nominal vs observed, raw and recalibrated) and verdict."""
    if calibrated is None:
        return {}
    return {
        "calibration": calibrated.verdict.reason,
        "calibration_error": (
            "none"
            if calibrated.verdict.error != calibrated.verdict.error
            else round(calibrated.verdict.error, 4)
        ),
        "calibration_table": dg.MetadataValue.md(calibrated.markdown()),
    }


def gate_check_result(
    decision: tracking.GateDecision,
    version: str,
    champion: str | None,
    calibrated: BacktestCalibration | None = None,
) -> dg.AssetCheckResult:
    """The gate's verdict on candidate ``version`` (compared with ``champion``, if any)."""
    return dg.AssetCheckResult(
        check_name=GATE_CHECK,
        passed=decision.promote,
        metadata={
            "reason": decision.reason,
            "candidate_version": version,
            "candidate_wql": decision.candidate_wql,
            "champion_version": champion or _NO_CHAMPION,
            "champion_wql": (
                decision.champion_wql if decision.champion_wql is not None else _NO_CHAMPION
            ),
            "best_baseline_wql": decision.best_baseline_wql,
            "flagged_baselines": dg.MetadataValue.json(decision.flagged),
            **calibration_metadata(calibrated),
        },
    )
