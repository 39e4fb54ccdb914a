"""Text ablation: the same model without its text tower, trained and scored on the same windows.

What the pretrained encoder buys is the difference between the model and this ablation per
segment; it should be largest on cold start (no history: the document is all there is) and after
quality incidents (negative reviews come before the drop in sales).
"""

from __future__ import annotations

from dataclasses import dataclass

from inventory_pipeline.model import DemandForecaster, ModelConfig, TrainingHistory
from inventory_pipeline.model.config import replace
from inventory_pipeline.model.launch import LaunchCurve
from inventory_pipeline.model.text_prior import TextPrior
from inventory_pipeline.model.train import EpochCallback, StepCallback
from inventory_pipeline.scoring.accuracy import BacktestResult
from inventory_pipeline.training.backtest import add_forecaster
from inventory_pipeline.training.fit import fit
from inventory_pipeline.windows import Windows

TEXT_ABLATION = "text_ablation"


@dataclass
class AblationResult:
    """The ablated model, its training history, and the backtest with it added."""

    forecaster: DemandForecaster
    history: TrainingHistory
    result: BacktestResult  # the input backtest plus the method ``TEXT_ABLATION``


def text_ablation(
    train: Windows,
    validation: Windows | None,
    backtest_windows: Windows,
    result: BacktestResult,
    model_config: ModelConfig,
    *,
    on_epoch_end: EpochCallback | None = None,
    on_step: StepCallback | None = None,
    launch_curve: LaunchCurve | None = None,
    text_prior: TextPrior | None = None,
) -> AblationResult:
    """Train ``model_config`` with ``use_text=False`` on the same windows and score it alongside.

    Args:
        train: the exact training windows the model was fitted on (augmentation included).
        validation: the same validation block.
        backtest_windows: the backtest block ``result`` was computed on.
        result: the model's backtest; the ablation is scored on the same cells.
        model_config: the model's config (everything but the text tower is kept).
        launch_curve: the model's launch curve, if it uses one; None fits one again and
            validates it against the ablation's own network.
        text_prior: the model's text level prior, if its curve reads one: the ablation then
            fits its own curve, without text.
    """
    config = replace(model_config, use_text=False)
    if text_prior is not None:
        launch_curve = None
    forecaster, history = fit(
        train, validation, config, on_epoch_end=on_epoch_end, on_step=on_step,
        launch_curve=launch_curve,
    )  # fmt: skip
    scored = add_forecaster(result, forecaster, backtest_windows, TEXT_ABLATION)
    return AblationResult(forecaster=forecaster, history=history, result=scored)
