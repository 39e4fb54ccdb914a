"""Training loop: AdamW, warm-up + cosine schedule, gradient clipping, early stopping.

The caller chooses the split (a time-based one: validation origins after the training origins),
so this module never peeks at dates. Progress goes to two optional callbacks: ``on_step`` after
every optimiser step (for tqdm or a log line with ETA) and ``on_epoch_end`` after validation.

Example::

    forecaster, history = train(config, train_samples, val_samples,
                                on_epoch_end=lambda e, tr, va, s: print(e, tr, va, s))
    forecaster.save("model/")
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn

from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.data import ForecastSamples, TextInputs, make_batch
from inventory_pipeline.model.distributed import current_world, local_index, worker_loss
from inventory_pipeline.model.embedding_cache import EmbeddingCache
from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.model.launch import (
    LaunchCurve,
    LaunchInputs,
    fit_launch_curve,
    gate_on_validation,
)
from inventory_pipeline.model.losses import forecast_loss
from inventory_pipeline.model.network import DemandNetwork
from inventory_pipeline.model.runtime import seed_everything, torch_runtime
from inventory_pipeline.model.text_prior import (
    TextPrior,
    check_on_validation,
    fit_text_prior,
    training_ratios,
    young_ratios,
)


@dataclass
class StepInfo:
    """Progress after one optimiser step."""

    epoch: int  # 1-based
    step: int  # 1-based step inside the epoch
    steps_per_epoch: int
    global_step: int  # 1-based step since the start
    total_steps: int  # steps if no early stop happens
    loss: float  # training loss of this batch
    learning_rate: float  # peak-group learning rate after this step
    elapsed_seconds: float
    eta_seconds: float  # time left if training runs all max_epochs (an upper bound)


@dataclass
class EpochRecord:
    """One line of the training history."""

    epoch: int
    train_loss: float
    val_loss: float | None
    seconds: float


@dataclass
class TrainingHistory:
    """What happened during :func:`train`."""

    epochs: list[EpochRecord] = field(default_factory=list)
    best_epoch: int = 0  # epoch whose weights were kept
    best_val_loss: float | None = None
    stopped_early: bool = False
    seconds: float = 0.0
    launch_curve: LaunchCurve | None = None  # the fitted launch curve, used or not
    launch_fit_seconds: float = 0.0  # fitting the launch curve (not its validation)
    text_prior: TextPrior | None = None  # the young products' level prior (model/text_prior.py)


class EpochCallback(Protocol):
    """``on_epoch_end(epoch, train_loss, val_loss, seconds)``; val_loss None = no validation."""

    def __call__(
        self, epoch: int, train_loss: float, val_loss: float | None, seconds: float
    ) -> None: ...


StepCallback = Callable[[StepInfo], None]


def warmup_cosine(total_steps: int, config: ModelConfig) -> Callable[[int], float]:
    """Learning-rate multiplier: linear warm-up, then cosine decay to ``min_lr_fraction``."""
    warmup = max(1, round(config.warmup_fraction * total_steps))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return config.min_lr_fraction + (1.0 - config.min_lr_fraction) * cosine

    return factor


def make_optimizer(network: DemandNetwork, config: ModelConfig) -> torch.optim.AdamW:
    """AdamW with the encoder on its own (smaller) learning rate; no decay on biases and norms."""
    groups: dict[tuple[bool, bool], list[nn.Parameter]] = {}
    for name, parameter in network.named_parameters():
        if not parameter.requires_grad:
            continue
        is_encoder = name.startswith("text_tower.encoder.")
        decays = parameter.dim() >= 2
        groups.setdefault((is_encoder, decays), []).append(parameter)
    param_groups = [
        {
            "params": params,
            "lr": config.encoder_learning_rate if is_encoder else config.learning_rate,
            "weight_decay": config.weight_decay if decays else 0.0,
        }
        for (is_encoder, decays), params in sorted(groups.items())
    ]
    return torch.optim.AdamW(param_groups)


def evaluate_loss(
    network: DemandNetwork, samples: ForecastSamples, text: TextInputs, config: ModelConfig
) -> float:
    """Mean total loss over all samples in eval mode (no dropout), weighted by batch size."""
    network.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(samples), config.eval_batch_size):
            index = np.arange(start, min(start + config.eval_batch_size, len(samples)))
            batch = make_batch(samples, text, index)
            total += float(forecast_loss(network(batch), batch, config).total) * len(index)
            count += len(index)
    return total / count


def _check_samples(samples: ForecastSamples, config: ModelConfig, role: str) -> None:
    if len(samples) == 0:
        raise ValueError(f"{role} samples are empty; build windows for at least one origin.")
    if not samples.has_targets:
        raise ValueError(f"{role} samples have no target_units; training needs actuals.")
    samples.validate(config)


def train(
    config: ModelConfig,
    train_samples: ForecastSamples,
    val_samples: ForecastSamples | None = None,
    *,
    embedding_cache: EmbeddingCache | None = None,
    encoder_path: str | Path | None = None,
    on_epoch_end: EpochCallback | None = None,
    on_step: StepCallback | None = None,
    on_launch_candidate: Callable[[int, int], None] | None = None,
    launch_curve: LaunchCurve | None = None,
    text_prior: TextPrior | None = None,
    on_text_prior: Callable[[str], None] | None = None,
    on_text: Callable[[str], None] | None = None,
    on_epoch_weights: Callable[[int, DemandNetwork], None] | None = None,
) -> tuple[DemandForecaster, TrainingHistory]:
    """Fit a forecaster; early-stops on validation loss and keeps the best weights.

    With ``config.launch_curve``, the launch curve is fitted afterwards on the young products of
    the training samples and kept only if it is not worse than the network on the validation
    samples' young products, daily and cumulative; without validation samples it is not kept
    (``model/launch.py``; ``history.launch_curve`` holds it either way, with the reason).

    Args:
        config: every tunable number.
        train_samples: samples with targets (origins before the validation ones).
        val_samples: later origins for early stopping; None trains all ``max_epochs`` and keeps
            the last weights.
        embedding_cache: shared frozen-embedding cache (e.g. a folder under the data root).
        encoder_path: overrides ``config.encoder_path``.
        on_epoch_end: called as ``(epoch, train_loss, val_loss, seconds)``.
        on_step: called with a :class:`StepInfo` after every optimiser step.
        on_launch_candidate: called as ``(1, 1)`` once the launch curve is fitted (it is fitted
            in closed form; the callback remains for callers that report progress).
        launch_curve: a fitted launch curve to use instead of fitting one, with ``text_prior``
            the level prior it was fitted with (None: the category's level).
        on_text_prior: called with each progress line of the text prior's fit.
        on_text: called with each progress line of encoding the documents missing from the
            embedding cache (frozen encoder).
        on_epoch_weights: called as ``(epoch, network)`` after each epoch, with the weights
            that epoch ended on (e.g. to keep a snapshot per epoch: a training run's prefix of
            epochs is the same whatever epoch it stops at, the schedule being set by
            ``config.max_epochs``).

    Returns:
        The fitted forecaster (eval mode, best weights) and the training history.
    """
    _check_samples(train_samples, config, "Training")
    if val_samples is not None:
        _check_samples(val_samples, config, "Validation")

    with torch_runtime(config):
        seed_everything(config.seed)
        forecaster = DemandForecaster.build(config, embedding_cache, encoder_path)
        network = forecaster.network
        network.fit_feature_scaling(train_samples)
        forecaster.featurizer.on_progress = on_text
        train_text = forecaster.featurizer.prepare(train_samples.texts)
        val_text = None if val_samples is None else forecaster.featurizer.prepare(val_samples.texts)
        forecaster.featurizer.on_progress = None  # the saved forecaster encodes silently

        trainable = [p for p in network.parameters() if p.requires_grad]
        optimizer = make_optimizer(network, config)
        # under torchrun (a process group of 2+ workers): data-parallel, see model/distributed.py
        world = current_world()
        model: nn.Module = network
        if world is not None:
            model = nn.parallel.DistributedDataParallel(network, broadcast_buffers=False)
        n = len(train_samples)
        steps_per_epoch = math.ceil(n / config.batch_size)
        total_steps = steps_per_epoch * config.max_epochs
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(total_steps, config))
        shuffler = torch.Generator().manual_seed(config.seed)

        history = TrainingHistory()
        best_state: dict[str, torch.Tensor] | None = None
        best_loss = math.inf
        epochs_without_improvement = 0
        start = time.perf_counter()
        global_step = 0

        for epoch in range(1, config.max_epochs + 1):
            epoch_start = time.perf_counter()
            model.train()
            order = torch.randperm(n, generator=shuffler).numpy()
            loss_sum = 0.0
            for step in range(1, steps_per_epoch + 1):
                index = order[(step - 1) * config.batch_size : step * config.batch_size]
                if world is None:
                    batch = make_batch(train_samples, train_text, index)
                    loss = forecast_loss(network(batch), batch, config).total
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                else:
                    rows, has_rows = local_index(index, world)
                    batch = make_batch(train_samples, train_text, rows)
                    parts = forecast_loss(model(batch), batch, config)
                    worker, loss = worker_loss(parts, batch, config, world, has_rows)
                    optimizer.zero_grad(set_to_none=True)
                    worker.backward()  # DDP averages the gradients over the workers
                torch.nn.utils.clip_grad_norm_(trainable, config.grad_clip)
                optimizer.step()
                scheduler.step()

                global_step += 1
                loss_sum += float(loss.detach()) * len(index)
                if on_step is not None:
                    elapsed = time.perf_counter() - start
                    on_step(
                        StepInfo(
                            epoch=epoch,
                            step=step,
                            steps_per_epoch=steps_per_epoch,
                            global_step=global_step,
                            total_steps=total_steps,
                            loss=float(loss.detach()),
                            learning_rate=max(g["lr"] for g in optimizer.param_groups),
                            elapsed_seconds=elapsed,
                            eta_seconds=elapsed / global_step * (total_steps - global_step),
                        )
                    )
            train_loss = loss_sum / n

            val_loss = None
            if val_samples is not None and val_text is not None:
                val_loss = evaluate_loss(network, val_samples, val_text, config)
            seconds = time.perf_counter() - epoch_start
            history.epochs.append(EpochRecord(epoch, train_loss, val_loss, seconds))
            if on_epoch_end is not None:
                on_epoch_end(epoch, train_loss, val_loss, seconds)
            if on_epoch_weights is not None:
                on_epoch_weights(epoch, network)

            # early stopping on validation loss; without validation the last epoch is kept
            if val_loss is None:
                history.best_epoch = epoch
                continue
            if val_loss < best_loss - config.min_delta:
                best_loss, history.best_epoch, history.best_val_loss = val_loss, epoch, val_loss
                best_state = copy.deepcopy(network.state_dict())
                epochs_without_improvement = 0
            else:
                epochs_without_improvement += 1
                if epochs_without_improvement >= config.patience:
                    history.stopped_early = True
                    break

        if best_state is not None:
            network.load_state_dict(best_state)
        network.eval()
    if config.launch_curve and launch_curve is not None:
        forecaster.launch_curve = launch_curve
        forecaster.text_prior = text_prior
    elif config.launch_curve:
        curve, prior, history.launch_fit_seconds = fit_gated_launch_curve(
            forecaster, train_samples, val_samples, config, on_launch_candidate, on_text_prior
        )
        history.text_prior = prior
        history.launch_curve = curve
        used = curve is not None and curve.used
        forecaster.launch_curve = curve if used else None
        forecaster.text_prior = prior if used and prior.kind != "none" else None
    history.seconds = time.perf_counter() - start
    return forecaster, history


def fit_gated_launch_curve(
    forecaster: DemandForecaster,
    train_samples: ForecastSamples,
    val_samples: ForecastSamples | None,
    config: ModelConfig,
    on_launch_candidate: Callable[[int, int], None] | None = None,
    on_text_prior: Callable[[str], None] | None = None,
) -> tuple[LaunchCurve | None, TextPrior, float]:
    """The launch curve, with its text level prior, fitted on ``train_samples`` and gated
    against ``forecaster``'s network on ``val_samples``, as training does: (the curve, or None
    when the training windows hold no launch to learn from; the prior; seconds spent fitting
    the curve). ``forecaster`` must have no curve attached: its forecasts are the network's."""
    featurizer = forecaster.featurizer
    prior, out_of_fold = fit_text_prior(train_samples, config, featurizer, on_text_prior)
    fit_start = time.perf_counter()
    ratios = training_ratios(train_samples, prior, out_of_fold, featurizer)
    curve = fit_launch_curve([train_samples], config, [ratios])
    if prior.kind != "none":  # kept only if the curve is better with it on validation
        effects = None if curve is None else curve.day_effects
        without = fit_launch_curve([train_samples], config, day_effects=effects)
        prior, curve = check_on_validation(prior, curve, without, val_samples, config, featurizer)
        if on_text_prior is not None:
            on_text_prior(f"text prior: {prior.kind} ({prior.reason})")
    seconds = time.perf_counter() - fit_start
    if on_launch_candidate is not None:
        on_launch_candidate(1, 1)
    if curve is not None:
        network = None
        val_ratios = None
        if val_samples is not None:
            forecast = forecaster.predict(val_samples)
            network = (forecast.daily, forecast.cumulative)
            if prior.kind != "none":
                inputs = LaunchInputs.from_samples(val_samples, config, curve.max_age_days)
                val_ratios = young_ratios(val_samples, inputs.young, prior, featurizer)
        curve = gate_on_validation(curve, network, val_samples, config, val_ratios)
    return curve, prior, seconds
