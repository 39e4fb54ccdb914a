"""Small random helpers shared by the generator modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    """One uniformly chosen item (rng.choice would first copy the sequence into an array)."""
    return items[int(rng.integers(len(items)))]
