"""The champion gate on hand numbers."""

import math

import pytest

from inventory_pipeline.tracking import decide

BASELINES = {"seasonal_naive": 0.60, "auto_ets": 0.50}


def test_first_model_is_promoted_when_it_beats_every_baseline() -> None:
    decision = decide(0.45, None, BASELINES)
    assert (
        decision.promote
        and decision.best_baseline == "auto_ets"
        and "no champion yet" in decision.reason
    )


@pytest.mark.parametrize(
    ("candidate", "champion", "promote"),
    [
        (0.45, 0.46, True),
        (0.45, 0.45, False),
        (0.45, 0.40, False),
        (0.55, None, False),
        (0.50, None, False),
    ],
)
def test_candidate_must_be_strictly_better_than_champion_and_baselines(
    candidate: float, champion: float | None, promote: bool
) -> None:
    assert decide(candidate, champion, BASELINES).promote is promote


def test_a_missing_score_is_an_error_not_a_decision() -> None:
    with pytest.raises(ValueError, match="no valid score"):
        decide(math.nan, 0.4, BASELINES)


def test_flagged_baselines_are_left_out_and_named() -> None:
    baselines = {"seasonal_naive": 0.60, "auto_ets": 241185.0, "lightgbm": 0.50}
    flagged = {"auto_ets": "WQL 2.412e+05 is more than 10 x the reference 0.6"}
    decision = decide(0.45, None, baselines, flagged)
    assert decision.promote and decision.best_baseline == "lightgbm"
    assert decision.flagged == flagged and "left out as absurd: auto_ets" in decision.reason
    assert not decide(0.55, None, baselines, flagged).promote  # lightgbm still counts


def test_a_non_finite_baseline_is_flagged_by_the_gate_itself() -> None:
    decision = decide(0.45, None, {"seasonal_naive": 0.60, "auto_ets": math.inf})
    assert decision.promote and decision.best_baseline == "seasonal_naive"
    assert set(decision.flagged) == {"auto_ets"}


def test_no_valid_baseline_means_no_promotion() -> None:
    decision = decide(0.45, None, {"auto_ets": math.nan})
    assert not decision.promote and "no valid baseline" in decision.reason
    assert decision.best_baseline == "" and math.isnan(decision.best_baseline_wql)
