"""Rows waiting for the export-day folder they will be delivered in.

Late exports and re-deliveries are created on the day the sale happens but written days later;
keeping them here (only a couple of weeks ahead) keeps memory independent of the period length.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Outbox(Generic[T]):
    """Batches keyed by export day, handed out in insertion order."""

    def __init__(self) -> None:
        self._pending: dict[int, list[T]] = {}

    def put(self, export_day: int, batch: T) -> None:
        self._pending.setdefault(export_day, []).append(batch)

    def take(self, export_day: int) -> list[T]:
        return self._pending.pop(export_day, [])

    def __len__(self) -> int:
        return sum(len(v) for v in self._pending.values())
