"""Coverage of cover quantiles: the table layout, the cover buckets and the largest miss.

Shared by the evaluation (``evaluation/calibration.py``, every forecaster over the evaluated days)
and the retraining run (``training/calibration.py``, the candidate on its validation and backtest
blocks), so both report and judge calibration the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

CALIBRATION_SCHEMA = {
    "method": pl.String, "bucket": pl.String, "level": pl.Float64, "windows": pl.Int64,
    "observed": pl.Float64,
}  # fmt: skip


def cover_buckets(cover: np.ndarray, edges: Sequence[int], horizon: int) -> list[str]:
    """Bucket label per cover, e.g. ``<=14 d``, ``15-28 d``, ``>28 d (scaled)``."""
    bounds = sorted({e for e in edges if e < horizon} | {horizon})
    labels = []
    for c in cover:
        lo = 1
        for hi in bounds:
            if c <= hi:
                labels.append(f"{lo}-{hi} d")
                break
            lo = hi + 1
        else:
            labels.append(f">{horizon} d (scaled)")
    return labels


def miscalibration(table: pl.DataFrame, method: str, bucket: str = "all") -> float:
    """Largest |observed − nominal| of one method over the decision levels (nan without data)."""
    part = table.filter((pl.col("method") == method) & (pl.col("bucket") == bucket))
    part = part.filter(pl.col("windows") > 0)
    if part.is_empty():
        return float("nan")
    return float((part["observed"] - part["level"]).abs().max())
