"""Reproducibility and CPU settings shared by training, prediction and the benchmark."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np
import torch

from inventory_pipeline.model.config import ModelConfig


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch: the same seed gives the same initial weights and batches."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextlib.contextmanager
def torch_runtime(config: ModelConfig, deterministic: bool | None = None) -> Iterator[None]:
    """Apply thread count and determinism for a block, then restore the process settings.

    Both are process-wide torch switches; restoring them keeps a caller's own settings intact.
    """
    previous_threads = torch.get_num_threads()
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    previous_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(config.num_threads)
    wanted = config.deterministic if deterministic is None else deterministic
    torch.use_deterministic_algorithms(wanted, warn_only=True)
    try:
        yield
    finally:
        torch.set_num_threads(previous_threads)
        torch.use_deterministic_algorithms(previous_deterministic, warn_only=previous_warn_only)
