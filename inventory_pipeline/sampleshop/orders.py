"""Order lines from daily sales, with late exports, re-deliveries, corrections and cancellations.

Each line gets a delivery schedule in strictly increasing export days, so two versions of the
same (order_id, line_no) never share a day folder and "latest day folder wins" is unambiguous:
    first export (the order day, or 1..3 days late),
    optionally an identical re-delivery,
    optionally a change: the corrected quantity (the first export had a wrong one) or `cancelled`.
The ground-truth sales are the final versions' placed quantities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from inventory_pipeline.sampleshop.config import ShopConfig
from inventory_pipeline.sampleshop.outbox import Outbox
from inventory_pipeline.sampleshop.timefmt import format_timestamps, random_times_of_day

ORDER_SEQ_WIDTH = 6
CUSTOMER_WIDTH = 8
MIN_CUSTOMERS = 1000


@dataclass
class LineBatch:
    """Order-line rows bound for one export day (one array per landing column)."""

    order_id: np.ndarray  # str
    line_no: np.ndarray  # int64
    sku_idx: np.ndarray  # int64, chunk-local SKU index
    quantity: np.ndarray  # int64
    unit_price: np.ndarray  # float64
    ordered_at: np.ndarray  # str, ISO 8601 in a mix of styles
    ordered_at_ms: np.ndarray  # datetime64[ms], the same instant in UTC (for Parquet)
    status: np.ndarray  # str, "placed" | "cancelled"
    customer_id: np.ndarray  # str, "" when unknown

    def take(self, sel: np.ndarray) -> LineBatch:
        return LineBatch(**{k: v[sel] for k, v in self.__dict__.items()})

    def __len__(self) -> int:
        return len(self.order_id)


@dataclass
class DaySales:
    """What one sales day produced: truth per SKU and the lines that a review may follow."""

    sales: np.ndarray  # (n,) int64, final placed units per SKU
    review_sku: np.ndarray  # (m,) SKU index of each finally placed line
    review_ordered_ms: np.ndarray  # (m,) datetime64[ms] of each finally placed line
    lines: int  # distinct order lines created
    orders: int


def _split_units(
    units: np.ndarray, probs: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split each SKU's units into line quantities drawn from `probs` (qty 1..len(probs))."""
    idx = np.flatnonzero(units)
    u = units[idx]
    draws = rng.choice(len(probs), size=int(u.sum()), p=probs) + 1
    owner = np.repeat(np.arange(len(idx)), u)
    cs = np.cumsum(draws)
    first = np.cumsum(u) - u
    before = cs[first] - draws[first]
    prev = cs - before[owner] - draws
    keep = prev < u[owner]
    qty = np.minimum(draws, u[owner] - prev)[keep]
    return idx[owner[keep]], qty.astype(np.int64)


def make_day_orders(
    config: ShopConfig,
    chunk_index: int,
    total_skus: int,
    day: int,
    day_date: date,
    units: np.ndarray,
    unit_price: np.ndarray,
    last_day: int,
    outbox: Outbox[LineBatch],
    rng: np.random.Generator,
) -> DaySales:
    """Turn one day's sold units into order lines and schedule every version for export."""
    n = len(units)
    line_sku, qty = _split_units(units, np.array(config.line_qty_probs), rng)
    n_lines = len(qty)
    if n_lines == 0:
        empty = np.zeros(0, dtype=np.int64)
        return DaySales(np.zeros(n, dtype=np.int64), empty, empty.astype("datetime64[ms]"), 0, 0)
    perm = rng.permutation(n_lines)
    line_sku, qty = line_sku[perm], qty[perm]

    sizes = rng.geometric(1.0 - config.order_extra_line_p, size=n_lines)
    ends = np.cumsum(sizes)
    order_of = np.searchsorted(ends, np.arange(n_lines), side="right")
    n_orders = int(order_of[-1]) + 1
    line_no = np.arange(n_lines) - (ends - sizes)[order_of] + 1

    prefix = f"O{day_date:%y%m%d}-{chunk_index:04d}-"
    order_ids = np.strings.add(
        prefix, np.strings.zfill(np.arange(n_orders).astype(str), ORDER_SEQ_WIDTH)
    )
    utc = np.datetime64(day_date, "ms") + random_times_of_day(n_orders, config, rng).astype(
        "timedelta64[ms]"
    )
    stamp = format_timestamps(utc, config, rng)
    pool = max(MIN_CUSTOMERS, config.customers_per_sku * total_skus)
    customer = np.strings.add(
        "C", np.strings.zfill(rng.integers(0, pool, n_orders).astype(str), CUSTOMER_WIDTH)
    )
    customer = np.where(rng.random(n_orders) < config.empty_customer_share, "", customer)

    # export schedule per order, then per line
    lag = np.where(
        rng.random(n_orders) < config.late_share,
        rng.integers(1, config.late_max_days + 1, n_orders),
        0,
    )
    first_export = np.minimum(day + lag, last_day)
    redeliver_day = first_export + rng.integers(1, config.redeliver_max_days + 1, n_orders)
    redeliver = (rng.random(n_orders) < config.redeliver_share) & (redeliver_day <= last_day)
    u = rng.random(n_lines)
    cancel = u < config.cancel_share
    correct = ~cancel & (u < config.cancel_share + config.correction_share)
    after = np.where(redeliver, redeliver_day, first_export)[order_of]
    change_day = after + rng.integers(1, config.change_max_days + 1, n_lines)
    cancel &= change_day <= last_day
    correct &= change_day <= last_day
    first_qty = np.where(correct, qty + rng.integers(1, 3, n_lines), qty)

    base = LineBatch(
        order_id=order_ids[order_of],
        line_no=line_no.astype(np.int64),
        sku_idx=line_sku,
        quantity=first_qty,
        unit_price=unit_price[line_sku],
        ordered_at=stamp[order_of],
        ordered_at_ms=utc[order_of],
        status=np.full(n_lines, "placed"),
        customer_id=customer[order_of],
    )
    _schedule(outbox, base, first_export[order_of])
    again = redeliver[order_of]
    _schedule(outbox, base.take(again), redeliver_day[order_of][again])
    changed = cancel | correct
    fixed = base.take(changed)
    fixed.quantity = qty[changed]
    fixed.status = np.where(cancel[changed], "cancelled", "placed")
    _schedule(outbox, fixed, change_day[changed])

    placed = ~cancel
    return DaySales(
        sales=np.bincount(line_sku, weights=np.where(placed, qty, 0), minlength=n).astype(np.int64),
        review_sku=line_sku[placed],
        review_ordered_ms=utc[order_of][placed],
        lines=n_lines,
        orders=n_orders,
    )


def _schedule(outbox: Outbox[LineBatch], batch: LineBatch, export_day: np.ndarray) -> None:
    for d in np.unique(export_day):
        outbox.put(int(d), batch.take(export_day == d))
