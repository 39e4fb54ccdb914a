"""Ground-truth tables (never written into the landing zone).

daily.parquet     one row per SKU x day on sale: the demand distribution (expected_demand,
                  nb_dispersion: NB size k, variance = mu + mu^2 / k), the drawn true demand, the
                  sales the pipeline must derive from the landing zone, stock and promotion state.
products.parquet  latent attributes and life cycle per SKU.
faults.parquet    one row per injected bad row or bad file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pyarrow as pa

from inventory_pipeline.sampleshop.chunk import ChunkSimulation
from inventory_pipeline.sampleshop.config import TIERS, ShopConfig

DAILY_SCHEMA = pa.schema(
    [
        ("sku", pa.string()),
        ("date", pa.date32()),
        ("expected_demand", pa.float64()),
        ("nb_dispersion", pa.float64()),
        ("true_demand", pa.int64()),
        ("sales", pa.int64()),
        ("stockout", pa.bool_()),
        ("on_hand", pa.int64()),
        ("on_order", pa.int64()),
        ("on_promo", pa.bool_()),
        ("discount_pct", pa.float64()),
        ("list_price", pa.float64()),
        ("event", pa.string()),
    ]
)

PRODUCTS_SCHEMA = pa.schema(
    [
        ("sku", pa.string()),
        ("category", pa.string()),
        ("tier", pa.string()),
        ("brand", pa.string()),
        ("quality", pa.float64()),
        ("base_level", pa.float64()),
        ("level_from_text", pa.float64()),
        ("bestseller", pa.bool_()),
        ("trend_per_year", pa.float64()),
        ("nb_dispersion", pa.float64()),
        ("elasticity", pa.float64()),
        ("list_price", pa.float64()),
        ("unit_cost", pa.float64()),
        ("lead_time_days", pa.int64()),
        ("moq", pa.int64()),
        ("pack_size", pa.int64()),
        ("catalog_date", pa.date32()),
        ("launched_at", pa.date32()),
        ("discontinued_at", pa.date32()),
        ("discontinue_notice_date", pa.date32()),
        ("price_change_date", pa.date32()),
        ("new_list_price", pa.float64()),
        ("incident_start", pa.date32()),
        ("incident_depth", pa.float64()),
        ("segment", pa.string()),
        ("mean_expected_demand", pa.float64()),
        ("on_sale_days", pa.int64()),
    ]
)

FAULTS_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("export_date", pa.date32()),
        ("source_file", pa.string()),  # relative to the landing root, "/"-separated
        ("row_number", pa.int64()),  # 1-based data row in the file; null for a whole-file fault
        ("rule", pa.string()),
        ("key", pa.string()),  # the row's key as written ("|"-joined if composite); null for files
    ]
)

SEGMENTS: tuple[str, ...] = ("intermittent", "slow", "medium", "fast")


def _dates(start: date, day_idx: np.ndarray, valid: np.ndarray) -> pa.Array:
    """date32 array of start + day_idx, null where not valid."""
    epoch = (start - date(1970, 1, 1)).days
    return pa.array(
        np.where(valid, day_idx + epoch, 0).astype(np.int32), pa.int32(), mask=~valid
    ).cast(pa.date32())


def _lookup(codes: np.ndarray, labels: list[str | None]) -> pa.Array:
    """labels[codes] as a plain string array, built in Arrow (no Python object per row)."""
    dictionary = pa.array(labels, pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), dictionary).cast(pa.string())


def daily_tables(
    sim: ChunkSimulation,
    sales: np.ndarray,
    start: date,
    event_by_day: list[str | None],
    skus_per_table: int,
) -> Iterator[pa.Table]:
    """Truth rows of a chunk, sorted by SKU then date, in slices of SKUs to bound memory."""
    dm, st, cat = sim.demand, sim.stock, sim.catalog
    for lo in range(0, cat.n, skus_per_table):
        hi = min(lo + skus_per_table, cat.n)
        local, day = np.nonzero(dm.on_sale[lo:hi])
        rows = local + lo
        on_hand = st.on_hand[rows, day]
        yield pa.Table.from_arrays(
            [
                _lookup(local, cat.sku[lo:hi]),
                _dates(start, day, np.ones(len(day), dtype=bool)),
                pa.array(dm.expected[rows, day], pa.float64()),
                pa.array(cat.nb_dispersion[rows], pa.float64()),
                pa.array(dm.demand[rows, day], pa.int64()),
                pa.array(sales[rows, day], pa.int64()),
                pa.array(on_hand == 0, pa.bool_()),
                pa.array(on_hand, pa.int64()),
                pa.array(st.on_order[rows, day], pa.int64()),
                pa.array(dm.on_promo[rows, day], pa.bool_()),
                pa.array(dm.discount_pct[rows, day], pa.float64()),
                pa.array(dm.list_price[rows, day], pa.float64()),
                _lookup(day, event_by_day),
            ],
            schema=DAILY_SCHEMA,
        )


def products_table(config: ShopConfig, sim: ChunkSimulation, start: date, days: int) -> pa.Table:
    """Latent attributes per SKU of a chunk."""
    cat, dm = sim.catalog, sim.demand
    live = dm.on_sale.sum(axis=1)
    mean_mu = dm.expected.sum(axis=1) / np.maximum(live, 1)
    segment = np.array(SEGMENTS, dtype=object)[
        np.searchsorted(np.array(config.segment_thresholds), mean_mu, side="right")
    ]
    elasticity = np.array([s.elasticity for s in config.categories])[cat.category]
    has_disc = cat.disc_day < days
    has_pc = cat.price_change_day >= 0
    has_inc = cat.incident_day >= 0
    return pa.Table.from_arrays(
        [
            pa.array(cat.sku, pa.string()),
            pa.array([config.categories[int(c)].name for c in cat.category], pa.string()),
            pa.array([TIERS[int(t)] for t in cat.tier], pa.string()),
            pa.array(cat.brand, pa.string()),
            pa.array(cat.quality, pa.float64()),
            pa.array(cat.level, pa.float64()),
            pa.array(cat.level_from_text, pa.float64()),
            pa.array(cat.bestseller, pa.bool_()),
            pa.array(cat.trend, pa.float64()),
            pa.array(cat.nb_dispersion, pa.float64()),
            pa.array(elasticity, pa.float64()),
            pa.array(cat.list_price, pa.float64()),
            pa.array(cat.unit_cost, pa.float64()),
            pa.array(cat.lead_time, pa.int64()),
            pa.array(cat.moq, pa.int64()),
            pa.array(cat.pack_size, pa.int64()),
            _dates(start, cat.catalog_day, np.ones(cat.n, dtype=bool)),
            _dates(start, cat.launch_day, np.ones(cat.n, dtype=bool)),
            _dates(start, cat.disc_day, has_disc),
            _dates(start, cat.disc_notice_day, has_disc),
            _dates(start, cat.price_change_day, has_pc),
            pa.array(np.where(has_pc, cat.new_list_price, np.nan), pa.float64(), mask=~has_pc),
            _dates(start, cat.incident_day, has_inc),
            pa.array(cat.incident_depth, pa.float64(), mask=~has_inc),
            pa.array(segment, pa.string()),
            pa.array(mean_mu, pa.float64()),
            pa.array(live, pa.int64()),
        ],
        schema=PRODUCTS_SCHEMA,
    )


def faults_table(records: list[tuple[str, date, str, int | None, str, str | None]]) -> pa.Table:
    """Fault records (table, export_date, source_file, row_number, rule, key) as a table."""
    cols = list(zip(*records, strict=True)) if records else [[] for _ in FAULTS_SCHEMA]
    return pa.Table.from_arrays(
        [pa.array(list(c), f.type) for c, f in zip(cols, FAULTS_SCHEMA, strict=True)],
        schema=FAULTS_SCHEMA,
    )
