"""Fixtures: a warehouse in tmp_path holding the tiny hand-checked shop."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.features.shop import tiny_shop, write_shop


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse")


@pytest.fixture
def shop(warehouse: Warehouse) -> Warehouse:
    write_shop(warehouse, tiny_shop())
    return warehouse
