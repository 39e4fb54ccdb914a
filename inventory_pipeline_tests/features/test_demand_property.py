"""Property: for any sequence of order exports with re-deliveries, corrections and cancellations,
daily_sku_demand (latest) and the as-of history equal a plain-Python reading of the contract."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory_pipeline.features import build_daily_sku_demand, features_as_of
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.features.shop import (
    FIRST_DAY,
    Exports,
    product,
    read_table,
    reference_units,
    write_shop,
)

DAYS = 8
SKUS = ("A", "B")

version = st.tuples(
    st.integers(0, 5),  # order number
    st.integers(1, 2),  # line number
    st.sampled_from(SKUS),
    st.integers(1, 4),  # quantity
    st.integers(0, DAYS - 1),  # day placed
    st.integers(0, 3),  # export delay in days
    st.sampled_from(["placed", "placed", "cancelled"]),
)


def exports_from(versions: list[tuple[int, int, str, int, int, int, str]]) -> Exports:
    ex: Exports = {
        FIRST_DAY + timedelta(days=i): {
            t: [] for t in ("orders", "reviews", "promotions", "products", "inventory")
        }
        for i in range(DAYS + 3)
    }
    ex[FIRST_DAY]["products"] = [product(s) for s in SKUS]
    for order, line_no, sku, qty, placed, delay, status in versions:
        day = FIRST_DAY + timedelta(days=placed)
        ex[day + timedelta(days=delay)]["orders"].append(
            {
                "order_id": f"o{order}",
                "line_no": line_no,
                "sku": sku,
                "quantity": qty,
                "unit_price": 2.5,
                "ordered_at": datetime.combine(day, datetime.min.time()) + timedelta(hours=13),
                "status": status,
                "customer_id": None,
            }
        )
    return ex


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(version, max_size=14), st.integers(0, DAYS + 2))
def test_demand_matches_reference(versions: list, as_of_offset: int) -> None:
    exports = exports_from(versions)
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Warehouse(Path(tmp))
        write_shop(warehouse, exports)
        build_daily_sku_demand(warehouse)
        table = read_table(warehouse, "daily_sku_demand").to_pylist()
        got = {(r["sku"], r["date"]): r["units"] for r in table if r["units"]}
        assert got == reference_units(exports)
        as_of: date = FIRST_DAY + timedelta(days=as_of_offset)
        history = features_as_of(warehouse, as_of, history_days=DAYS + 3, horizon=1).history
        seen = {(s, d): u for s, d, u in history.select("sku", "date", "units").iter_rows() if u}
        assert seen == reference_units(exports, known_on=as_of)
