"""Landing-zone columns per table (``contract.py``) and how each column is typed and written."""

from __future__ import annotations

import pyarrow as pa

# column -> kind; kinds decide the CSV text and the Parquet type
COLUMNS: dict[str, dict[str, str]] = {
    "orders": {
        "order_id": "str",
        "line_no": "int",
        "sku": "str",
        "quantity": "int",
        "unit_price": "money",
        "ordered_at": "ts",
        "status": "str",
        "customer_id": "str",
    },
    "reviews": {
        "review_id": "str",
        "sku": "str",
        "rating": "int",
        "title": "str",
        "body": "str",
        "created_at": "ts",
    },
    "promotions": {
        "promo_id": "str",
        "sku": "str",
        "start_date": "date",
        "end_date": "date",
        "discount_pct": "pct",
        "promo_type": "str",
        "name": "str",
    },
    "products": {
        "sku": "str",
        "title": "str",
        "description": "str",
        "category": "str",
        "brand": "str",
        "list_price": "money",
        "unit_cost": "money",
        "lead_time_days": "int",
        "moq": "int",
        "pack_size": "int",
        "launched_at": "date",
        "discontinued_at": "date",
    },
    "inventory": {"snapshot_date": "date", "sku": "str", "on_hand": "int", "on_order": "int"},
}

KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": ("order_id", "line_no"),
    "reviews": ("review_id",),
    "promotions": ("promo_id",),
    "products": ("sku",),
    "inventory": ("sku", "snapshot_date"),
}

# extra columns that real exports carry and the pipeline must ignore: name, candidate values
EXTRA_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "orders": ("channel", ("web", "app", "marketplace")),
    "reviews": ("verified_purchase", ("true", "false")),
    "promotions": ("created_by", ("crm", "j.doe", "pricing-bot")),
    "products": ("color", ("black", "white", "red, blue", "n/a")),
    "inventory": ("warehouse", ("DE-1", "DE-2", "PL-1")),
}

ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "money": pa.float64(),
    "pct": pa.float64(),
    "date": pa.date32(),
    "ts": pa.timestamp("ms", tz="UTC"),
}


def arrow_schema(table: str, extra: str | None = None) -> pa.Schema:
    """The typed Parquet schema of a landing table (plus an optional extra string column)."""
    fields = [pa.field(c, ARROW_TYPES[k]) for c, k in COLUMNS[table].items()]
    if extra is not None:
        fields.append(pa.field(extra, pa.string()))
    return pa.schema(fields)


def key_of(table: str, text_row: dict[str, str]) -> str:
    """The key of a row as written (composite keys joined with '|')."""
    return "|".join(text_row[c] for c in KEY_COLUMNS[table])
