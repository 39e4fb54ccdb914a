"""Fitting the demand model on training windows, with early stopping on the validation block."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from inventory_pipeline.model import DemandForecaster, EmbeddingCache, ModelConfig, TrainingHistory
from inventory_pipeline.model import train as train_model
from inventory_pipeline.model.forecaster import save_weights
from inventory_pipeline.model.launch import LaunchCurve
from inventory_pipeline.model.network import DemandNetwork
from inventory_pipeline.model.text_prior import TextPrior
from inventory_pipeline.model.train import EpochCallback, StepCallback
from inventory_pipeline.windows import Windows


def fit(
    train: Windows,
    validation: Windows | None,
    model_config: ModelConfig,
    *,
    embedding_cache: EmbeddingCache | None = None,
    on_epoch_end: EpochCallback | None = None,
    on_step: StepCallback | None = None,
    on_launch_candidate: Callable[[int, int], None] | None = None,
    launch_curve: LaunchCurve | None = None,
    text_prior: TextPrior | None = None,
    on_text_prior: Callable[[str], None] | None = None,
    on_text: Callable[[str], None] | None = None,
    save_to: str | Path | None = None,
    snapshots: Path | None = None,
) -> tuple[DemandForecaster, TrainingHistory]:
    """Train on ``train`` windows; early-stop on ``validation`` (later origins) if given.

    Args:
        train: windows with targets (``WindowSplits.train``).
        validation: the validation block, or None to run all ``max_epochs``.
        model_config: e.g. ``TrainingConfig().model_config()``.
        embedding_cache: share frozen text embeddings between runs (a folder under the data root).
        on_epoch_end: ``(epoch, train_loss, val_loss, seconds)`` after each epoch.
        on_step: a :class:`~inventory_pipeline.model.StepInfo` after each optimiser step.
        on_launch_candidate: ``(1, 1)`` once the launch curve is fitted (closed form, one step).
        launch_curve: use this fitted launch curve instead of fitting one, with ``text_prior``,
            the level prior it was fitted with (model/text_prior.py).
        on_text_prior: each progress line of the text prior's fit.
        on_text: each progress line of encoding the documents the embedding cache lacks.
        save_to: also write the model folder (``DemandForecaster.save``) there.
        snapshots: also write the weights each epoch ended on there, as
            ``epoch_<NNN>.safetensors`` (:func:`snapshot_path`; read back with
            ``model.forecaster.load_weights``).

    Returns:
        The forecaster with the best validation weights, and the per-epoch history.
    """
    forecaster, history = train_model(
        model_config,
        train.samples,
        None if validation is None else validation.samples,
        embedding_cache=embedding_cache,
        on_epoch_end=on_epoch_end,
        on_step=on_step,
        on_launch_candidate=on_launch_candidate,
        launch_curve=launch_curve,
        text_prior=text_prior,
        on_text_prior=on_text_prior,
        on_text=on_text,
        on_epoch_weights=None if snapshots is None else _snapshot_saver(snapshots),
    )
    if save_to is not None:
        forecaster.save(save_to)
    return forecaster, history


def snapshot_path(folder: Path, epoch: int) -> Path:
    """The file :func:`fit` writes epoch ``epoch``'s weights to under ``snapshots=folder``."""
    return folder / f"epoch_{epoch:03d}.safetensors"


def _snapshot_saver(folder: Path) -> Callable[[int, DemandNetwork], None]:
    folder.mkdir(parents=True, exist_ok=True)

    def save(epoch: int, network: DemandNetwork) -> None:
        save_weights(network, snapshot_path(folder, epoch))

    return save
