"""The shop's own naive (s, Q) replenishment, which is what produces real stockouts.

The shop forecasts with an exponentially weighted average of its (censored) sales and a
persistent per-SKU bias; it knows nothing about seasons, events or promotions. When the inventory
position falls to the reorder point s = f * (lead time + safety days) it orders Q = f * cover days,
rounded up to the pack size and at least the MOQ; the supplier delivers after the lead time plus
a random delay. Sales are min(demand, stock on hand).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inventory_pipeline.sampleshop.catalog import ChunkCatalog
from inventory_pipeline.sampleshop.config import ShopConfig


@dataclass
class StockPath:
    """Sales and end-of-day stock per SKU and day, all int64 (n_skus, days)."""

    sold: np.ndarray
    on_hand: np.ndarray
    on_order: np.ndarray


def _round_order(qty: np.ndarray, moq: np.ndarray, pack: np.ndarray) -> np.ndarray:
    """At least the MOQ, in whole packs."""
    return (np.ceil(np.maximum(qty, moq) / pack) * pack).astype(np.int64)


def simulate_stock(
    config: ShopConfig,
    cat: ChunkCatalog,
    expected: np.ndarray,
    demand: np.ndarray,
    on_sale: np.ndarray,
    rng: np.random.Generator,
) -> StockPath:
    """Run the (s, Q) policy day by day, vectorised across the SKUs of a chunk."""
    n, days = demand.shape
    lead = cat.lead_time.astype(np.int64)
    max_delay = int(np.ceil(config.lead_time_jitter * lead.max())) if n else 0
    horizon = int(lead.max()) + max_delay + 1 if n else 1
    pipeline = np.zeros((n, horizon), dtype=np.int64)  # ring buffer of supplier deliveries

    bias = np.exp(rng.normal(0.0, config.forecast_bias_sigma, n))
    safety = rng.uniform(*config.safety_days, n)
    cover = rng.uniform(*config.cover_days, n)
    warmup = expected[:, : min(28, days)]
    live_days = np.maximum(on_sale[:, : min(28, days)].sum(axis=1), 1)
    forecast = np.where(on_sale[:, 0], warmup.sum(axis=1) / live_days, cat.level_from_text)

    on_hand = np.where(
        on_sale[:, 0],
        np.ceil(forecast * bias * (lead + safety + rng.uniform(*config.initial_cover_days, n))),
        0,
    ).astype(np.int64)
    on_order = np.zeros(n, dtype=np.int64)
    launch_stock = _round_order(cat.level_from_text * bias * (lead + cover), cat.moq, cat.pack_size)

    sold = np.zeros((n, days), dtype=np.int64)
    hand_path = np.zeros((n, days), dtype=np.int64)
    order_path = np.zeros((n, days), dtype=np.int64)
    rows = np.arange(n)
    for d in range(days):
        slot = d % horizon
        arriving = pipeline[:, slot]
        on_hand += arriving
        on_order -= arriving
        pipeline[:, slot] = 0
        on_hand += np.where(cat.launch_day == d, launch_stock, 0)

        live = on_sale[:, d]
        sale = np.minimum(demand[:, d], on_hand)
        on_hand -= sale
        sold[:, d] = sale
        forecast = np.where(live, config.forecast_alpha * sale + (1 - config.forecast_alpha) * forecast, forecast)

        f = forecast * bias
        reorder_point = np.maximum(config.min_reorder_point, f * (lead + safety))
        need = live & (d < cat.disc_notice_day) & (on_hand + on_order <= reorder_point)
        if need.any():
            qty = _round_order(f * cover, cat.moq, cat.pack_size)
            delay = lead + np.floor(rng.random(n) * config.lead_time_jitter * lead).astype(np.int64)
            idx = rows[need]
            pipeline[idx, (d + delay[idx]) % horizon] += qty[idx]
            on_order[idx] += qty[idx]
        hand_path[:, d] = on_hand
        order_path[:, d] = on_order
    return StockPath(sold=sold, on_hand=hand_path, on_order=order_path)
