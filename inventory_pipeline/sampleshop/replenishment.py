"""The shop's own naive (s, Q) replenishment, which is what produces real stockouts.

The shop estimates a deseasonalised level as an exponentially weighted average of its (censored)
sales divided by the category's seasonal and weekday index, with a persistent per-SKU bias. It
plans with that index but knows nothing about shopping events, promotions, quality incidents or
its own lost sales. When the inventory position falls to the reorder point s = expected demand
over (lead time + safety days) it orders Q = expected demand over the following cover days,
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


def _cumulative_index(index: np.ndarray, extra_days: int) -> np.ndarray:
    """Cumulative sums of a (n_cat, days) planning index, extended by repeating the last year."""
    n_cat, days = index.shape
    ext = np.ones((n_cat, days + extra_days))
    ext[:, :days] = index
    for j in range(days, days + extra_days):
        ext[:, j] = ext[:, j - 365] if j >= 365 else 1.0
    return np.concatenate([np.zeros((n_cat, 1)), np.cumsum(ext, axis=1)], axis=1)


def simulate_stock(
    config: ShopConfig,
    cat: ChunkCatalog,
    planning_index: np.ndarray,
    demand: np.ndarray,
    on_sale: np.ndarray,
    rng: np.random.Generator,
) -> StockPath:
    """Run the (s, Q) policy day by day, vectorised across the SKUs of a chunk.

    `planning_index` (n_categories, days) is the seasonal x weekday index the shop plans with.
    """
    n, days = demand.shape
    lead = cat.lead_time.astype(np.int64)
    max_delay = int(np.ceil(config.lead_time_jitter * lead.max())) if n else 0
    horizon = int(lead.max()) + max_delay + 1 if n else 1
    pipeline = np.zeros((n, horizon), dtype=np.int64)  # ring buffer of supplier deliveries

    bias = np.exp(rng.normal(0.0, config.forecast_bias_sigma, n))
    safety = rng.uniform(*config.safety_days, n)
    cover = rng.uniform(*config.cover_days, n)
    reach = np.ceil(lead + safety).astype(np.int64)  # days the reorder point must cover
    until = reach + np.ceil(cover).astype(np.int64)
    index = np.maximum(planning_index, config.planning_index_floor)
    cum = _cumulative_index(index, int(until.max()) + 1 if n else 1)
    c = cat.category
    # the shop's level estimate: from history for live SKUs, from the product's text for new ones
    level = np.where(cat.launch_day <= 0, cat.level, cat.level_from_text)

    def expected_over(d: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return level * bias * (cum[c, d + hi] - cum[c, d + lo])

    zero = np.zeros(n, dtype=np.int64)
    start_cover = np.ceil(rng.uniform(*config.initial_cover_days, n)).astype(np.int64)
    on_hand = np.where(
        on_sale[:, 0], np.ceil(expected_over(0, zero, reach + start_cover)), 0
    ).astype(np.int64)
    on_order = np.zeros(n, dtype=np.int64)

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
        launching = cat.launch_day == d
        if launching.any():
            first_stock = _round_order(expected_over(d, zero, until), cat.moq, cat.pack_size)
            on_hand += np.where(launching, first_stock, 0)

        live = on_sale[:, d]
        sale = np.minimum(demand[:, d], on_hand)
        on_hand -= sale
        sold[:, d] = sale
        seen = sale / index[c, d]
        level = np.where(
            live, config.forecast_alpha * seen + (1 - config.forecast_alpha) * level, level
        )

        reorder_point = np.maximum(config.min_reorder_point, expected_over(d, zero, reach))
        need = live & (d < cat.disc_notice_day) & (on_hand + on_order <= reorder_point)
        if need.any():
            qty = _round_order(expected_over(d, reach, until), cat.moq, cat.pack_size)
            delay = lead + np.floor(rng.random(n) * config.lead_time_jitter * lead).astype(np.int64)
            idx = rows[need]
            pipeline[idx, (d + delay[idx]) % horizon] += qty[idx]
            on_order[idx] += qty[idx]
        hand_path[:, d] = on_hand
        order_path[:, d] = on_order
    return StockPath(sold=sold, on_hand=hand_path, on_order=order_path)
