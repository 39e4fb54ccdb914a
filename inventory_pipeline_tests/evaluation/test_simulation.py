"""The lost-sales simulation on cases computed by hand, and against a one-SKU reference loop."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_pipeline.evaluation.simulation import (
    CostInputs,
    SimulationInputs,
    policy_metrics,
    simulate,
)


def one_sku(
    demand: list[int],
    s: float,
    lead: int,
    on_hand: int,
    moq: int = 1,
    pack: int = 1,
    open_orders: list[int] | None = None,
) -> SimulationInputs:
    days = len(demand)
    return SimulationInputs(
        demand=np.array([demand]),
        order_up_to=np.full((1, days), float(s)),
        can_order=np.ones((1, days), dtype=bool),
        lead_time_days=np.array([lead]),
        moq=np.array([moq]),
        pack_size=np.array([pack]),
        on_hand=np.array([on_hand]),
        open_orders=np.array([open_orders or [0]]),
    )


def test_exact_forecast_ends_every_day_empty_and_loses_nothing() -> None:
    # 2 units a day, lead time 2, nightly review: cover 3 days, S = 6. Start with 10 on hand.
    path = simulate(one_sku([2] * 8, s=6, lead=2, on_hand=10))
    assert path.on_hand[0].tolist() == [8, 6, 4, 2, 0, 0, 0, 0]
    assert path.ordered[0].tolist() == [0, 0, 2, 2, 2, 2, 2, 2]
    # the order of night d arrives the morning of day d + lead + 1
    assert path.received[0].tolist() == [0, 0, 0, 0, 0, 2, 2, 2]
    assert path.on_order[0].tolist() == [0, 0, 2, 4, 6, 6, 6, 6]
    assert path.lost[0].tolist() == [0] * 8
    assert path.sold[0].tolist() == [2] * 8


def test_short_order_up_to_with_moq_and_packs_loses_sales() -> None:
    # 3 a day, lead 1 (cover 2), S = 4 is too low; MOQ 5 in packs of 5; 5 units already on order
    # arriving the morning of day 1.
    inputs = one_sku([3] * 6, s=4, lead=1, on_hand=0, moq=5, pack=5, open_orders=[0, 5])
    path = simulate(inputs)
    assert path.sold[0].tolist() == [0, 3, 2, 3, 2, 3]
    assert path.lost[0].tolist() == [3, 0, 1, 0, 1, 0]
    assert path.on_hand[0].tolist() == [0, 2, 0, 2, 0, 2]
    assert path.ordered[0].tolist() == [0, 5, 0, 5, 0, 5]
    assert path.received[0].tolist() == [0, 5, 0, 5, 0, 5]

    costs = CostInputs(
        unit_cost=np.array([10.0]), unit_margin=np.array([4.0]), holding_cost_rate=0.365
    )
    m = policy_metrics(path, inputs.demand, np.ones((1, 6), dtype=bool), costs)
    assert m["demand_units"] == 18
    assert m["fill_rate"] == pytest.approx(13 / 18)
    assert m["cycle_service_level"] == pytest.approx(0.5)
    assert m["stockout_days"] == 3
    assert m["lost_units"] == 5
    assert m["avg_on_hand_units"] == pytest.approx(1.0)
    assert m["avg_on_hand_value"] == pytest.approx(10.0)
    assert m["orders"] == 3 and m["order_units"] == 15
    assert m["holding_cost"] == pytest.approx(6 * 10 * 0.365 / 365)
    assert m["lost_margin"] == pytest.approx(20.0)
    assert m["total_cost"] == pytest.approx(20.0 + 0.06)


def test_scored_mask_restricts_the_metrics() -> None:
    inputs = one_sku([3] * 6, s=4, lead=1, on_hand=0, moq=5, pack=5, open_orders=[0, 5])
    path = simulate(inputs)
    scored = np.array([[False, True, True, True, True, True]])
    costs = CostInputs(np.array([1.0]), np.array([1.0]), 0.0)
    m = policy_metrics(path, inputs.demand, scored, costs)
    assert m["demand_units"] == 15 and m["lost_units"] == 2
    assert m["fill_rate"] == pytest.approx(13 / 15)
    assert m["avg_on_hand_units"] == pytest.approx(6 / 5)


def test_no_order_where_not_allowed_and_delays_shift_arrivals() -> None:
    inputs = one_sku([1] * 6, s=3, lead=1, on_hand=1)
    blocked = SimulationInputs(**{**inputs.__dict__, "can_order": np.zeros((1, 6), dtype=bool)})
    path = simulate(blocked)
    assert path.ordered.sum() == 0
    assert path.lost[0].tolist() == [0, 1, 1, 1, 1, 1]

    delayed = SimulationInputs(**{**inputs.__dict__, "delay_days": np.full((1, 6), 2)})
    path = simulate(delayed)
    # night 0: position 0, order 3, arrives the morning of day 0 + 1 + 1 + 2 = 4
    assert path.ordered[0, 0] == 3
    assert path.received[0].tolist() == [0, 0, 0, 0, 3, 0]
    assert path.lost[0].tolist() == [0, 1, 1, 1, 0, 0]


def test_bad_shapes_are_named() -> None:
    inputs = one_sku([1, 1], s=1, lead=1, on_hand=0)
    bad = SimulationInputs(**{**inputs.__dict__, "order_up_to": np.zeros((1, 3))})
    with pytest.raises(ValueError, match="order_up_to"):
        simulate(bad)


def reference(demand, s, can, lead, moq, pack, on_hand, open_orders):
    """Plain one-SKU loop written from the module docstring."""
    days = len(demand)
    arrivals = [0] * (days + lead + 2 + len(open_orders))
    for a, units in enumerate(open_orders):
        arrivals[a] += units
    stock, pipeline = on_hand, sum(open_orders)
    hand, lost, ordered = [], [], []
    for d in range(days):
        stock += arrivals[d]
        pipeline -= arrivals[d]
        sale = min(demand[d], stock)
        stock -= sale
        need = s[d] - (stock + pipeline)
        qty = 0
        if can[d] and need > 0:
            packs = max(-(-need // pack), -(-max(moq, 1) // pack))
            qty = int(packs * pack)
        arrivals[d + lead + 1] += qty
        pipeline += qty
        hand.append(stock)
        lost.append(demand[d] - sale)
        ordered.append(qty)
    return hand, lost, ordered


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(0, 9), min_size=12, max_size=12),  # demand
            st.lists(st.integers(0, 30), min_size=12, max_size=12),  # S (whole units)
            st.lists(st.booleans(), min_size=12, max_size=12),  # can order
            st.integers(0, 5),  # lead
            st.integers(1, 12),  # moq
            st.integers(1, 6),  # pack
            st.integers(0, 20),  # on hand
            st.lists(st.integers(0, 8), min_size=3, max_size=3),  # open orders
        ),
        min_size=1,
        max_size=5,
    )
)
def test_vectorised_equals_one_sku_reference(skus) -> None:
    columns = list(zip(*skus))
    inputs = SimulationInputs(
        demand=np.array(columns[0]),
        order_up_to=np.array(columns[1], dtype=float),
        can_order=np.array(columns[2]),
        lead_time_days=np.array(columns[3]),
        moq=np.array(columns[4]),
        pack_size=np.array(columns[5]),
        on_hand=np.array(columns[6]),
        open_orders=np.array(columns[7]),
    )
    path = simulate(inputs)
    for i, sku in enumerate(skus):
        hand, lost, ordered = reference(*sku)
        assert path.on_hand[i].tolist() == hand
        assert path.lost[i].tolist() == lost
        assert path.ordered[i].tolist() == ordered
    assert np.array_equal(path.sold + path.lost, inputs.demand)
