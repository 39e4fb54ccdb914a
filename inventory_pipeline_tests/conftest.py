"""Shared fixtures: telemetry off, tiny landing zones written file by file."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PRODUCTS_HEADER = (
    "sku,title,description,category,brand,list_price,unit_cost,lead_time_days,moq,pack_size,"
    "launched_at,discontinued_at"
)
ORDERS_HEADER = "order_id,line_no,sku,quantity,unit_price,ordered_at,status,customer_id"

WriteFile = Callable[[str, str, str, "str | bytes"], Path]


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    root.mkdir()
    return root


@pytest.fixture
def write_file(landing: Path) -> WriteFile:
    """Writes ``<landing>/<table>/date=<day>/<name>`` with the given text or bytes."""

    def _write(table: str, day: str, name: str, content: "str | bytes") -> Path:
        folder = landing / table / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="")
        else:
            path.write_bytes(content)
        return path

    return _write


def product_row(sku: str, **overrides: str) -> str:
    values = {
        "sku": sku,
        "title": f"Title {sku}",
        "description": "",
        "category": "home/kitchen/cookware",
        "brand": "Acme",
        "list_price": "20.0",
        "unit_cost": "8.5",
        "lead_time_days": "7",
        "moq": "10",
        "pack_size": "6",
        "launched_at": "2024-01-01",
        "discontinued_at": "",
    }
    values.update(overrides)
    return ",".join(values[c] for c in PRODUCTS_HEADER.split(","))


def order_row(order_id: str, sku: str = "A1", **overrides: str) -> str:
    values = {
        "order_id": order_id,
        "line_no": "1",
        "sku": sku,
        "quantity": "2",
        "unit_price": "19.99",
        "ordered_at": "2024-01-02T10:00:00Z",
        "status": "placed",
        "customer_id": "c1",
    }
    values.update(overrides)
    return ",".join(values[c] for c in ORDERS_HEADER.split(","))
