"""Recalibrated decision quantiles: which level of the model's cover quantiles to read.

The reorder policy orders up to the service-level quantile of demand over lead time + review
period. A model whose 95% quantile covers only 91% of those windows stocks out more often than
the target says, one whose 95% quantile covers 99% holds too much. A :class:`CoverRecalibration`
is fitted on the validation block of a retraining run and saved with the model: per bucket of
cover lengths it maps the nominal level p (the target) to the level tau whose quantiles covered
a share p of the validation windows (quantile recalibration). The map is monotone, linear between
its knots, the identity at and below its first knot (the median is left alone) and shrunk toward
the identity when a bucket had few windows. A model saved without one reads every level as is.

Plain numpy, no orchestrator; the fit lives in ``training/calibration.py``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

RECALIBRATION_FILE = "cover_recalibration.json"  # next to the weights in a saved model folder


@dataclass(frozen=True)
class CoverRecalibration:
    """Per bucket of covers (days), the level read for each nominal level.

    ``max_cover[b]`` is bucket b's longest cover; a cover longer than the last bound reads the
    last bucket's map (the longest covers the validation block measured). ``read[b][j]`` is the
    level read for the nominal level ``nominal[j]``; between knots the map is linear, below the
    first knot the identity, above the last knot the last knot's shift.
    """

    max_cover: tuple[int, ...]
    nominal: tuple[float, ...]
    read: tuple[tuple[float, ...], ...]
    windows: tuple[int, ...]  # validation windows each bucket was fitted on

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_cover", tuple(int(c) for c in self.max_cover))
        object.__setattr__(self, "nominal", tuple(float(p) for p in self.nominal))
        object.__setattr__(self, "read", tuple(tuple(float(t) for t in r) for r in self.read))
        object.__setattr__(self, "windows", tuple(int(n) for n in self.windows))
        buckets = len(self.max_cover)
        if not buckets or len(self.read) != buckets or len(self.windows) != buckets:
            raise ValueError(
                f"CoverRecalibration needs one read map and one window count per bucket: "
                f"{buckets} buckets, {len(self.read)} maps, {len(self.windows)} counts"
            )
        if any(b <= a for a, b in pairwise(self.max_cover)) or self.max_cover[0] < 1:
            raise ValueError(f"max_cover {self.max_cover} must be increasing days >= 1")
        if any(b <= a for a, b in pairwise(self.nominal)) or not all(
            0.0 < p < 1.0 for p in self.nominal
        ):
            raise ValueError(f"nominal levels {self.nominal} must increase inside (0, 1)")
        for row in self.read:
            if len(row) != len(self.nominal) or any(b < a for a, b in pairwise(row)):
                raise ValueError(
                    f"read levels {row} must be one non-decreasing level per nominal level "
                    f"{self.nominal}"
                )

    def bucket(self, cover: np.ndarray) -> np.ndarray:
        """Bucket index per cover; longer than the last bound: the last bucket."""
        index = np.searchsorted(np.asarray(self.max_cover), np.asarray(cover), side="left")
        return np.minimum(index, len(self.max_cover) - 1)

    def level(self, target: np.ndarray, cover: np.ndarray) -> np.ndarray:
        """The level to read for each ``target`` ((N,) or (N, A)) at each row's ``cover`` (N,)."""
        target = np.asarray(target, dtype=float)
        buckets = self.bucket(np.asarray(cover, dtype=np.int64))
        nominal = np.asarray(self.nominal)
        out = target.copy()
        for b, row in enumerate(self.read):
            rows = buckets == b
            if not rows.any():
                continue
            values = target[rows]
            shift = np.interp(values, nominal, np.asarray(row) - nominal)  # ends held
            inside = values > nominal[0]
            out[rows] = np.where(inside, values + shift, values)
        return np.clip(out, 1e-6, 1.0 - 1e-6)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "max_cover": list(self.max_cover),
            "nominal": list(self.nominal),
            "read": [list(r) for r in self.read],
            "windows": list(self.windows),
        }

    def to_json(self) -> str:
        """Stable JSON for the saved model folder."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CoverRecalibration:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        return cls(
            max_cover=data["max_cover"],
            nominal=data["nominal"],
            read=data["read"],
            windows=data["windows"],
        )

    def describe(self) -> str:
        """One line per bucket: ``<=14 d (412 windows): 0.95->0.972, ...``."""
        lines = []
        lo = 1
        for b, hi in enumerate(self.max_cover):
            span = f"{lo}-{hi} d" if b < len(self.max_cover) - 1 else f">={lo} d"
            pairs = ", ".join(f"{p:g}->{t:.3f}" for p, t in zip(self.nominal, self.read[b]))
            lines.append(f"{span} ({self.windows[b]} windows): {pairs}")
            lo = hi + 1
        return "; ".join(lines)


def identity(nominal: Sequence[float], max_cover: Sequence[int]) -> CoverRecalibration:
    """A map that reads every level as is (for tests and as the no-data fallback)."""
    return CoverRecalibration(
        max_cover=tuple(max_cover),
        nominal=tuple(nominal),
        read=tuple(tuple(nominal) for _ in max_cover),
        windows=tuple(0 for _ in max_cover),
    )
