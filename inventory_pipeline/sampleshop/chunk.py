"""Simulate one chunk of SKUs over the whole period (before anything is written)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from inventory_pipeline.sampleshop.catalog import (
    AttributeEffects,
    Brand,
    ChunkCatalog,
    make_chunk_catalog,
)
from inventory_pipeline.sampleshop.config import ShopConfig
from inventory_pipeline.sampleshop.demand import ChunkDemand, draw_demand, expected_demand
from inventory_pipeline.sampleshop.promotions import PromoPlan, plan_promotions
from inventory_pipeline.sampleshop.replenishment import StockPath, simulate_stock

# random streams of a chunk: np.random.default_rng([seed, CHUNK_STREAMS, chunk_index, stream])
CHUNK_STREAMS = 1
STREAM_CATALOG, STREAM_PROMOS, STREAM_DEMAND, STREAM_STOCK = 1, 2, 3, 4
STREAM_ORDERS, STREAM_REVIEWS, STREAM_LAYOUT, STREAM_FAULTS = 5, 6, 7, 8


def chunk_rng(seed: int, chunk_index: int, stream: int) -> np.random.Generator:
    """Independent generator per (chunk, purpose): changing one part does not shift the others."""
    return np.random.default_rng([seed, CHUNK_STREAMS, chunk_index, stream])


@dataclass
class CalendarEffects:
    """Per-category calendar matrices shared by all chunks, each (n_categories, days)."""

    season: np.ndarray
    weekly: np.ndarray
    events: np.ndarray


@dataclass
class ChunkSimulation:
    """Everything simulated for one chunk; the writers turn it into files day by day."""

    index: int
    catalog: ChunkCatalog
    plan: PromoPlan
    demand: ChunkDemand
    stock: StockPath


def simulate_chunk(
    config: ShopConfig,
    brands: list[list[Brand]],
    calendar: CalendarEffects,
    seed: int,
    chunk_index: int,
    first_sku: int,
    n_skus: int,
    start: date,
    days: int,
    effects: list[AttributeEffects] | None = None,
) -> ChunkSimulation:
    """Catalog, promotion plans, expected and drawn demand, and the shop's stock path."""
    cat = make_chunk_catalog(
        config,
        brands,
        first_sku,
        n_skus,
        days,
        chunk_rng(seed, chunk_index, STREAM_CATALOG),
        effects,
    )
    plan = plan_promotions(
        config, cat, chunk_index, start, days, chunk_rng(seed, chunk_index, STREAM_PROMOS)
    )
    demand = expected_demand(
        config, cat, plan, calendar.season, calendar.weekly, calendar.events, days
    )
    demand.demand = draw_demand(
        demand.expected, cat.nb_dispersion, chunk_rng(seed, chunk_index, STREAM_DEMAND)
    )
    stock = simulate_stock(
        config,
        cat,
        calendar.season * calendar.weekly,
        demand.demand,
        demand.on_sale,
        chunk_rng(seed, chunk_index, STREAM_STOCK),
    )
    return ChunkSimulation(chunk_index, cat, plan, demand, stock)
