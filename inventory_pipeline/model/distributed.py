"""Data-parallel training with ``torch.distributed`` (DDP), used by
:func:`~inventory_pipeline.model.train` when a process group with more than one process is
initialised (e.g. under ``torchrun``; see ``inventory_pipeline.training.ddp``). Without one,
nothing here runs.

Every worker holds all training samples, draws the same shuffled order from the same seed and takes
a rank-strided slice of each global batch (``batch[rank::world]``), so one optimiser step sees the
same global batch as single-process training. The losses are means over *unmasked* terms
(stockout-censored targets are left out), whose number differs between workers; plain gradient
averaging would weight workers equally and change the loss. Each worker therefore scales each loss
part by its share of the global number of terms (one all-reduce of three numbers per step), and the
averaged gradient equals the single-process gradient of the global batch up to float summation
order. Dropout draws its own random numbers on each worker, so with ``dropout > 0`` the result is a
different (equally valid) sample of the training noise than single-process training; parameters
stay identical on every worker either way (DDP averages the gradients).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.data import ForecastBatch
from inventory_pipeline.model.losses import LAUNCH_CHANNEL, LossParts
from inventory_pipeline.model.network import usable_history


@dataclass(frozen=True)
class World:
    """This process's place in the process group."""

    rank: int
    size: int


def current_world() -> World | None:
    """The process group when one with more than one process is initialised, else None."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return World(dist.get_rank(), dist.get_world_size())
    return None


def local_index(index: np.ndarray, world: World) -> tuple[np.ndarray, bool]:
    """This worker's rows of a global batch, and whether it has any.

    A global batch smaller than the world (the last one of an epoch) leaves some workers without a
    row; they run the first row with weight 0, because every DDP worker must join every step.
    """
    local = index[world.rank :: world.size]
    if len(local) == 0:
        return index[:1], False
    return local, True


def loss_counts(batch: ForecastBatch, config: ModelConfig) -> torch.Tensor:
    """(3,) float64: the number of terms the daily, cumulative and scale-prior parts of
    ``forecast_loss`` average over for ``batch`` (mirrors ``losses.py``)."""
    if batch.target_units is None or batch.target_censored is None:
        raise ValueError("loss_counts needs a batch with target_units and target_censored.")
    usable = 1.0 - batch.target_censored  # (B, H)
    cumulative_usable = torch.cumprod(usable, dim=1)  # (B, H)
    windows = cumulative_usable.sum()
    if config.cumulative_censoring == "lower_bound":
        windows = windows + (1.0 - cumulative_usable).sum()  # every window counts, as a bound
    usable_target = usable
    if LAUNCH_CHANNEL in config.future_covariates:
        channel = config.future_covariates.index(LAUNCH_CHANNEL)
        usable_target = usable * batch.future_covariates[..., channel]  # (B, H)
    days = usable_history(batch).sum(1) + usable_target.sum(1)  # (B,) days with a known level
    return torch.stack([usable.sum(), windows, (days > 0).sum().to(usable.dtype)]).double()


def worker_loss(
    parts: LossParts, batch: ForecastBatch, config: ModelConfig, world: World, has_rows: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss to backpropagate on this worker, loss of the whole global batch for logging).

    The first is ``world * sum_k w_k * part_k * n_k / N_k`` (n_k this worker's terms of part k, N_k
    all workers'), so DDP's gradient average is the gradient of the global-batch loss.
    """
    weights = (1.0, config.cumulative_loss_weight, config.scale_loss_weight)
    pieces = (parts.daily, parts.cumulative, parts.scale)
    recombined = sum(w * part for w, part in zip(weights, pieces))
    if not torch.allclose(recombined.detach(), parts.total.detach(), rtol=1e-5, atol=1e-6):
        raise RuntimeError(
            "forecast_loss's total is not daily + cumulative + scale parts as weighted here: "
            "update model/distributed.py (loss_counts, worker_loss) together with losses.py"
        )
    counts = loss_counts(batch, config) * (1.0 if has_rows else 0.0)
    totals = counts.clone()
    dist.all_reduce(totals)
    shares = (counts / totals.clamp(min=1.0)).float()  # (3,)
    loss = sum(w * part * share for w, part, share in zip(weights, pieces, shares))
    scaled = loss * world.size
    reported = loss.detach().clone()
    dist.all_reduce(reported)  # sum over workers of their shares = the global-batch loss
    return scaled, reported
