"""Ground truth of a generated shop: true demand to score against, and the oracle forecast.

The sample shop writes the exact daily demand distribution of every SKU (negative binomial with
mean ``expected_demand`` and size ``nb_dispersion``: var = mu + mu^2 / k). Its quantiles are the
best any forecaster can do, so the backtest reports how much of the gap between the baselines and
this oracle a model closes. A real shop has no such folder; the backtest then scores observed
units and leaves the oracle (and the quality-incident segment) out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

DAILY_FILE = "daily.parquet"
PRODUCTS_FILE = "products.parquet"


@dataclass(frozen=True)
class Truth:
    """What the backtest needs from a ground-truth folder."""

    daily: pl.DataFrame  # sku, date, expected_demand, nb_dispersion, true_demand (on-sale days)
    products: pl.DataFrame  # sku, segment, launched_at, incident_start


def read_truth(folder: str | Path | None) -> Truth | None:
    """The ground truth in ``folder``; None when no folder is given or it does not exist."""
    if folder is None:
        return None
    folder = Path(folder)
    if not folder.exists():
        return None
    missing = [name for name in (DAILY_FILE, PRODUCTS_FILE) if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"ground-truth folder {folder} lacks {missing}; point truth_dir at the folder "
            "written by `inventory-pipeline sample-shop` (--truth-out), or pass None to score "
            "observed units"
        )
    daily = pl.read_parquet(
        folder / DAILY_FILE,
        columns=["sku", "date", "expected_demand", "nb_dispersion", "true_demand"],
    )
    products = pl.read_parquet(
        folder / PRODUCTS_FILE, columns=["sku", "segment", "launched_at", "incident_start"]
    )
    return Truth(daily=daily, products=products)


def nb_quantiles(mean: np.ndarray, size: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
    """(N, Q) quantiles of NB(mean, size) per row; 0 where the mean is 0 (not on sale).

    scipy's parametrisation: n = size, p = size / (size + mean).
    """
    mean = np.asarray(mean, dtype=np.float64)
    size = np.asarray(size, dtype=np.float64)
    out = np.zeros((len(mean), len(levels)), dtype=np.float64)
    live = (mean > 0) & np.isfinite(mean) & (size > 0)
    if np.any(live):
        n = size[live][:, None]
        p = n / (n + mean[live][:, None])
        out[live] = stats.nbinom.ppf(np.asarray(levels)[None, :], n, p)
    return out
