"""The landing-zone data contract as data (described in docs/warehouse.md, "The landing zone").

One :class:`TableContract` per landing table names its columns, their types, which may be empty or
absent, the value rules and the upsert key. Validation (``inventory_pipeline.ingest.validate``) and
the raw Parquet schema are both derived from these definitions, so the rules live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

Kind = Literal["str", "text", "int", "decimal", "timestamp", "date", "enum"]

# Rule names written to rejects.rule. Row rules first, then whole-file rules.
MISSING_VALUE = "missing_value"
BAD_INT = "bad_int"
BAD_DECIMAL = "bad_decimal"
BAD_TIMESTAMP = "bad_timestamp"
BAD_DATE = "bad_date"
BAD_ENUM = "bad_enum"
OUT_OF_RANGE = "out_of_range"
END_BEFORE_START = "end_before_start"
UNKNOWN_SKU = "unknown_sku"
BAD_ENCODING = "bad_encoding"
MALFORMED_ROW = "malformed_row"
EMPTY_FILE = "empty_file"
UNREADABLE_FILE = "unreadable_file"
MISSING_COLUMNS = "missing_columns"
UNSUPPORTED_FILE = "unsupported_file"

PARSE_RULES: dict[str, str] = {
    "int": BAD_INT,
    "decimal": BAD_DECIMAL,
    "timestamp": BAD_TIMESTAMP,
    "date": BAD_DATE,
    "enum": BAD_ENUM,
}

ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(),
    "text": pa.string(),
    "enum": pa.string(),
    "int": pa.int64(),
    "decimal": pa.float64(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}


@dataclass(frozen=True)
class Column:
    """One contract column.

    ``required``: the value must not be empty. ``may_be_absent``: the file may lack the column
    entirely (it then reads as null); only columns whose values may be empty can be absent.
    ``low``/``high`` bound numeric values; ``low_open``/``high_open`` make a bound exclusive.
    """

    name: str
    kind: Kind
    required: bool = True
    may_be_absent: bool = False
    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False
    allowed: tuple[str, ...] = ()

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.kind]

    def range_text(self) -> str:
        """Human-readable bound, e.g. ``> 0`` or ``between 1 and 5``."""
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class TableContract:
    """A landing table: its columns, upsert key and cross-column rules."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    checks_sku: bool = True
    # (earlier_column, later_column): later must be >= earlier, else END_BEFORE_START.
    ordered_dates: tuple[tuple[str, str], ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if not c.may_be_absent]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def arrow_schema(self) -> pa.Schema:
        """Schema of the raw Parquet partitions (lineage columns last)."""
        return pa.schema(
            [pa.field(c.name, c.arrow_type) for c in self.columns]
            + [pa.field("_source_file", pa.string()), pa.field("_row_number", pa.int64())]
        )


ORDERS = TableContract(
    name="orders",
    columns=(
        Column("order_id", "str"),
        Column("line_no", "int", low=1),
        Column("sku", "str"),
        Column("quantity", "int", low=0, low_open=True),
        Column("unit_price", "decimal", low=0),
        Column("ordered_at", "timestamp"),
        Column("status", "enum", allowed=("placed", "cancelled")),
        Column("customer_id", "str", required=False, may_be_absent=True),
    ),
    key=("order_id", "line_no"),
)

REVIEWS = TableContract(
    name="reviews",
    columns=(
        Column("review_id", "str"),
        Column("sku", "str"),
        Column("rating", "int", low=1, high=5),
        Column("title", "text", required=False, may_be_absent=True),
        Column("body", "text", required=False, may_be_absent=True),
        Column("created_at", "timestamp"),
    ),
    key=("review_id",),
)

PROMOTIONS = TableContract(
    name="promotions",
    columns=(
        Column("promo_id", "str"),
        Column("sku", "str"),
        Column("start_date", "date"),
        Column("end_date", "date"),
        Column("discount_pct", "decimal", low=0, high=100, high_open=True),
        Column("promo_type", "str"),
        Column("name", "text", required=False, may_be_absent=True),
    ),
    key=("promo_id",),
    ordered_dates=(("start_date", "end_date"),),
)

PRODUCTS = TableContract(
    name="products",
    columns=(
        Column("sku", "str"),
        Column("title", "text"),
        Column("description", "text", required=False, may_be_absent=True),
        Column("category", "str", required=False, may_be_absent=True),  # else the shop level
        Column("brand", "text", required=False, may_be_absent=True),
        Column("list_price", "decimal", low=0, low_open=True),
        Column("unit_cost", "decimal", low=0),
        Column("lead_time_days", "int", low=0),
        Column("moq", "int", low=1),
        Column("pack_size", "int", low=1),
        Column("launched_at", "date"),
        Column("discontinued_at", "date", required=False, may_be_absent=True),
    ),
    key=("sku",),
    checks_sku=False,
)

INVENTORY = TableContract(
    name="inventory",
    columns=(
        Column("snapshot_date", "date"),
        Column("sku", "str"),
        Column("on_hand", "int", low=0),
        Column("on_order", "int", low=0),
    ),
    key=("sku", "snapshot_date"),
)

TABLES: dict[str, TableContract] = {
    t.name: t for t in (PRODUCTS, ORDERS, REVIEWS, PROMOTIONS, INVENTORY)
}

REJECTS_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string()),
        pa.field("row_number", pa.int64()),
        pa.field("rule", pa.string()),
        pa.field("detail", pa.string()),
        pa.field("raw", pa.string()),
    ]
)
