"""Bad rows and bad files, injected next to the valid data and recorded in the ground truth.

Every bad row is an extra row (never a corrupted real one) built from a valid row of the same
table by changing exactly one value, so it breaks exactly one contract rule. Rows with a fresh id
never collide with real keys. Type faults (text in a number column, unparseable dates) only exist
in CSV files; Parquet files carry the faults their column types can express.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from inventory_pipeline.sampleshop.catalog import ChunkCatalog, catalog_rows_for_day, sku_id
from inventory_pipeline.sampleshop.config import ShopConfig
from inventory_pipeline.sampleshop.rand import pick

Row = dict[str, object]
FAULT_SEQ_BASE = 9  # leading digit of fresh ids used by fault rows
UNKNOWN_SKU_SPAN = 999_999
MS_PER_DAY = 86_400_000

LATIN1_TEXT = "Gekauft f\udcfcr Herrn M\udcfcller, er ist begeistert."
"""`surrogateescape` text: written as the latin-1 bytes 0xFC (not valid UTF-8)."""


@dataclass(frozen=True)
class FaultKind:
    """One way to break one rule of one table."""

    table: str
    rule: str
    column: str
    csv_only: bool  # True when a typed Parquet column cannot hold the bad value
    bad: Callable[[Row, np.random.Generator], object]


def _pick(*values: object) -> Callable[[Row, np.random.Generator], object]:
    return lambda row, rng: pick(rng, values)


def _missing(row: Row, rng: np.random.Generator) -> object:
    return ""


def _negate(col: str) -> Callable[[Row, np.random.Generator], object]:
    return lambda row, rng: -abs(float(row[col])) - 0.01  # type: ignore[arg-type]


def _end_before_start(row: Row, rng: np.random.Generator) -> object:
    return row["start_date"] - timedelta(days=int(rng.integers(1, 6)))  # type: ignore[operator]


BAD_TIMESTAMPS = ("2024-13-45T10:00:00Z", "yesterday", "2024-02-30T08:00:00", "31/12/2024 10:00")
BAD_DATES = ("2024-02-30", "15.03.2024", "next week", "2024-13-01")

FAULT_KINDS: tuple[FaultKind, ...] = (
    FaultKind("orders", "missing_value", "order_id", False, _missing),
    FaultKind("orders", "out_of_range", "line_no", False, _pick(0, -1)),
    FaultKind("orders", "bad_int", "quantity", True, _pick("two", "2.5", "1 pc")),
    FaultKind("orders", "out_of_range", "quantity", False, _pick(0, -1, -3)),
    FaultKind("orders", "out_of_range", "unit_price", False, _negate("unit_price")),
    FaultKind("orders", "bad_decimal", "unit_price", True, _pick("12,99", "abc", "EUR 9.99")),
    FaultKind("orders", "bad_timestamp", "ordered_at", True, _pick(*BAD_TIMESTAMPS)),
    FaultKind("orders", "bad_enum", "status", False, _pick("shipped", "returned", "pending")),
    FaultKind("orders", "unknown_sku", "sku", False, _missing),  # value set by FaultMaker
    FaultKind("reviews", "missing_value", "review_id", False, _missing),
    FaultKind("reviews", "out_of_range", "rating", False, _pick(0, 6)),
    FaultKind("reviews", "bad_int", "rating", True, _pick("4.5", "five")),
    FaultKind("reviews", "bad_timestamp", "created_at", True, _pick(*BAD_TIMESTAMPS)),
    FaultKind("reviews", "unknown_sku", "sku", False, _missing),
    FaultKind("reviews", "bad_encoding", "body", True, _pick(LATIN1_TEXT)),
    FaultKind("promotions", "missing_value", "promo_id", False, _missing),
    FaultKind("promotions", "end_before_start", "end_date", False, _end_before_start),
    FaultKind("promotions", "out_of_range", "discount_pct", False, _pick(100.0, -5.0, 150.0)),
    FaultKind("promotions", "bad_decimal", "discount_pct", True, _pick("20%", "ten")),
    FaultKind("promotions", "bad_date", "start_date", True, _pick(*BAD_DATES)),
    FaultKind("promotions", "unknown_sku", "sku", False, _missing),
    FaultKind("products", "missing_value", "title", False, _missing),
    FaultKind("products", "out_of_range", "list_price", False, _pick(0.0, -9.99)),
    FaultKind("products", "out_of_range", "moq", False, _pick(0)),
    FaultKind("products", "out_of_range", "pack_size", False, _pick(0)),
    FaultKind("products", "out_of_range", "lead_time_days", False, _pick(-3)),
    FaultKind("products", "bad_decimal", "list_price", True, _pick("n/a", "12,99")),
    FaultKind("products", "bad_int", "moq", True, _pick("1.5", "ten")),
    FaultKind("products", "bad_date", "launched_at", True, _pick(*BAD_DATES)),
    FaultKind("inventory", "out_of_range", "on_hand", False, _pick(-1, -5)),
    FaultKind("inventory", "out_of_range", "on_order", False, _pick(-2)),
    FaultKind("inventory", "bad_int", "on_hand", True, _pick("3.5", "many")),
    FaultKind("inventory", "bad_date", "snapshot_date", True, _pick(*BAD_DATES)),
    FaultKind("inventory", "unknown_sku", "sku", False, _missing),
)

ROW_RULES: tuple[str, ...] = tuple(sorted({k.rule for k in FAULT_KINDS}))
FILE_RULES: tuple[str, ...] = ("empty_file", "unreadable_file")


@dataclass
class FaultRow:
    """A bad row: its values (typed, or raw text for type faults) and the rule it breaks."""

    values: Row
    rule: str
    kind_index: int


class FaultMaker:
    """Builds bad rows for one chunk, with fresh ids and SKUs that exist on the export day."""

    def __init__(
        self,
        config: ShopConfig,
        cat: ChunkCatalog,
        chunk_index: int,
        start: date,
        category_names: list[str],
    ) -> None:
        self.config = config
        self.cat = cat
        self.chunk_index = chunk_index
        self.start = start
        self.category_names = category_names
        self.seq = 0

    def _fresh(self, prefix: str, width: int) -> str:
        self.seq += 1
        return f"{prefix}{FAULT_SEQ_BASE}{self.seq:0{width - 1}d}"

    def _base_row(self, table: str, day: int, sku: int, rng: np.random.Generator) -> Row:
        cat = self.cat
        d = self.start + timedelta(days=day)
        at = np.datetime64(d, "ms") + np.timedelta64(
            int(rng.integers(0, MS_PER_DAY // 1000)) * 1000, "ms"
        )
        price = float(
            cat.new_list_price[sku]
            if 0 <= cat.price_change_day[sku] <= day
            else cat.list_price[sku]
        )
        if table == "orders":
            return {
                "order_id": self._fresh(f"O{d:%y%m%d}-{self.chunk_index:04d}-", 6),
                "line_no": 1,
                "sku": cat.sku[sku],
                "quantity": 1,
                "unit_price": price,
                "ordered_at": at,
                "status": "placed",
                "customer_id": "",
            }
        if table == "reviews":
            return {
                "review_id": self._fresh(f"R-{self.chunk_index:04d}-", 8),
                "sku": cat.sku[sku],
                "rating": 4,
                "title": "Good",
                "body": "Works as expected.",
                "created_at": at,
            }
        if table == "promotions":
            return {
                "promo_id": self._fresh(f"P-{self.chunk_index:04d}-", 6),
                "sku": cat.sku[sku],
                "start_date": d + timedelta(days=7),
                "end_date": d + timedelta(days=10),
                "discount_pct": 10.0,
                "promo_type": "discount",
                "name": "Spring sale",
            }
        if table == "products":
            sub = _one_sku_catalog(cat, sku)
            rows = catalog_rows_for_day(sub, day, self.start, 1, self.category_names)
            return {k: v[0] for k, v in rows.items()}
        return {"snapshot_date": d, "sku": cat.sku[sku], "on_hand": 3, "on_order": 0}

    def make(
        self, table: str, kind_index: int, day: int, sku: int, rng: np.random.Generator
    ) -> FaultRow:
        """One bad row of the given kind for export day `day`, based on existing SKU `sku`."""
        kind = FAULT_KINDS[kind_index]
        row = self._base_row(table, day, sku, rng)
        if kind.rule == "unknown_sku":
            row["sku"] = sku_id(
                self.config.unknown_sku_base + int(rng.integers(0, UNKNOWN_SKU_SPAN))
            )
        else:
            row[kind.column] = kind.bad(row, rng)
        return FaultRow(values=row, rule=kind.rule, kind_index=kind_index)

    def for_file(
        self,
        table: str,
        n_valid: int,
        parquet: bool,
        day: int,
        rng: np.random.Generator,
    ) -> list[FaultRow]:
        """Bad rows for one file: Poisson(rate x valid rows) per eligible kind."""
        known = np.flatnonzero(self.cat.catalog_day <= day)
        if len(known) == 0 or n_valid == 0:
            return []
        out = []
        for k, kind in enumerate(FAULT_KINDS):
            if kind.table != table or (parquet and kind.csv_only):
                continue
            for _ in range(int(rng.poisson(self.config.fault_rate * n_valid))):
                out.append(self.make(table, k, day, int(pick(rng, known)), rng))
        return out


def _one_sku_catalog(cat: ChunkCatalog, i: int) -> ChunkCatalog:
    """A one-SKU view of the catalog (to reuse the row builder)."""
    fields = {}
    for name, value in cat.__dict__.items():
        fields[name] = value[i : i + 1] if isinstance(value, (np.ndarray, list)) else value
    return ChunkCatalog(**fields)


def garbage_bytes(rng: np.random.Generator, size: int) -> bytes:
    """Binary content that is neither UTF-8 text nor Parquet (starts with a gzip magic)."""
    return b"\x1f\x8b\x08\x00" + rng.integers(0, 256, size, dtype=np.uint8).tobytes()
