"""Batch inference: samples -> per-day and cumulative demand quantiles in units."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from inventory_pipeline.model.data import ForecastSamples, TextInputs, make_batch
from inventory_pipeline.model.network import DemandNetwork


def quantile_column_name(level: float) -> str:
    """Column name of a quantile level as in the forecasts table: 0.1 -> "p10", 0.025 -> "p2.5"."""
    return f"p{round(level * 100, 6):g}"


@dataclass
class QuantileForecast:
    """Forecasts for N samples, in units (unscaled).

    Attributes:
        quantiles: (Q,) levels, increasing.
        daily: (N, H, Q) demand quantiles of day origin + h, h = 1..H.
        cumulative: (N, H, Q) quantiles of demand summed over days 1..h (read lead-time demand
            here; never add up ``daily`` quantiles).
        scale: (N,) units/day the network used for each sample (diagnostics).
    """

    quantiles: tuple[float, ...]
    daily: np.ndarray
    cumulative: np.ndarray
    scale: np.ndarray

    @property
    def column_names(self) -> list[str]:
        """["p10", "p50", "p90"] for the default levels."""
        return [quantile_column_name(q) for q in self.quantiles]


def _snap(values: torch.Tensor, zero_below: float) -> np.ndarray:
    """Units below ``zero_below`` become 0 (a non-decreasing map: quantiles stay ordered)."""
    if zero_below > 0:
        values = torch.where(values < zero_below, torch.zeros_like(values), values)
    return values.numpy()


def predict_quantiles(
    network: DemandNetwork, samples: ForecastSamples, text: TextInputs, batch_size: int
) -> QuantileForecast:
    """Run the network in eval mode over all samples, batch by batch."""
    samples.validate(network.config)
    network.eval()
    daily, cumulative, scale = [], [], []
    with torch.no_grad():
        for start in range(0, len(samples), batch_size):
            index = np.arange(start, min(start + batch_size, len(samples)))
            output = network(make_batch(samples, text, index))
            unit = output.scale[:, None, None]  # (B, 1, 1)
            daily.append(_snap(output.daily * unit, network.config.zero_below))  # (B, H, Q)
            cumulative.append(_snap(output.cumulative * unit, network.config.zero_below))
            scale.append(output.scale.numpy())  # (B,)
    H, Q = network.config.horizon_days, network.config.n_quantiles
    empty = np.zeros((0, H, Q), dtype=np.float32)
    return QuantileForecast(
        quantiles=network.config.quantiles,
        daily=np.concatenate(daily) if daily else empty,
        cumulative=np.concatenate(cumulative) if cumulative else empty,
        scale=np.concatenate(scale) if scale else np.zeros(0, dtype=np.float32),
    )
