"""The reorder policy on hand-computed cases."""

from datetime import date

import numpy as np
import pytest

from inventory_pipeline.reorder import (
    PlanInputs,
    ReorderConfig,
    lead_time_multipliers,
    mixture_quantile,
    plan_orders,
    quantile_at,
    round_order,
)

LEVELS = np.array([0.1, 0.5, 0.9, 0.95, 0.99])


def _inputs(n: int = 1, **overrides) -> PlanInputs:
    horizon = 28
    # cumulative demand: 2 units/day median; quantiles spread by level
    days = np.arange(1, horizon + 1, dtype=float)[None, :, None]
    factors = np.array([0.5, 1.0, 1.5, 1.75, 2.0])[None, None, :]
    cum = np.repeat(days * 2.0 * factors, n, axis=0)
    values = dict(
        skus=[f"S{i}" for i in range(n)],
        categories=["home/kitchen"] * n,
        on_hand=np.full(n, 10),
        on_order=np.full(n, 0),
        lead_time_days=np.full(n, 9),
        moq=np.full(n, 1),
        pack_size=np.full(n, 1),
        list_price=np.full(n, 20.0),
        unit_cost=np.full(n, 8.0),
        discontinued=np.zeros(n, bool),
        launches_on=[None] * n,
        cum_levels=LEVELS,
        cum_quantiles=cum,
        drivers=[[] for _ in range(n)],
    )
    values.update(overrides)
    return PlanInputs(**values)


def test_order_up_to_is_the_cumulative_quantile_over_lead_time_plus_review() -> None:
    plan = plan_orders(date(2025, 1, 1), _inputs(), ReorderConfig())
    row = plan.row(0, named=True)
    # cover = 9 + 1 = 10 days; median 20, 95% quantile 2*10*1.75 = 35
    assert row["demand_p50_cover"] == pytest.approx(20.0)
    assert row["order_up_to"] == pytest.approx(35.0)
    assert row["safety_stock"] == pytest.approx(15.0)
    assert row["order_qty"] == 25  # 35 - 10 on hand
    assert "Order 25" in row["reason"] and "95%" in row["reason"]


@pytest.mark.parametrize(
    ("need", "moq", "pack", "expected"),
    [
        (0.0, 10, 6, 0),
        (-3.0, 1, 1, 0),
        (0.2, 1, 1, 1),
        (7.0, 1, 6, 12),
        (7.0, 20, 6, 24),
        (25.0, 20, 6, 30),
        (3.0, 10, 1, 10),
    ],
)
def test_rounding_to_pack_size_and_moq(need: float, moq: int, pack: int, expected: int) -> None:
    qty = round_order(np.array([need]), np.array([moq]), np.array([pack]))[0]
    assert qty == expected
    assert qty == 0 or (qty % pack == 0 and qty >= moq)


def test_position_includes_on_order_and_discontinued_never_orders() -> None:
    inputs = _inputs(
        n=3,
        on_hand=np.array([10, 10, 0]),
        on_order=np.array([0, 30, 0]),
        discontinued=np.array([False, False, True]),
    )
    plan = plan_orders(date(2025, 1, 1), inputs, ReorderConfig())
    assert plan["order_qty"].to_list() == [25, 0, 0]
    assert plan["reason"][1].startswith("No order")
    assert "discontinued" in plan["reason"][2]


def test_service_level_interpolates_and_category_override_applies() -> None:
    assert quantile_at(LEVELS, np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]), np.array([0.7]))[
        0
    ] == pytest.approx(2.5)
    config = ReorderConfig(category_service_levels={"home/": 0.5})
    plan = plan_orders(date(2025, 1, 1), _inputs(), config)
    assert plan["service_level"][0] == 0.5
    assert plan["order_up_to"][0] == pytest.approx(20.0)


def test_cost_ratio_gives_the_critical_fractile() -> None:
    config = ReorderConfig(use_cost_ratio=True, holding_cost_rate=0.365)
    plan = plan_orders(date(2025, 1, 1), _inputs(), config)
    # underage 12, overage 0.365 * 8 * 1 / 365 = 0.008 -> 12 / 12.008, clipped to 0.99
    assert plan["service_level"][0] == pytest.approx(0.99)


def test_cost_ratio_holds_a_spare_unit_for_one_review_period_not_the_whole_cover() -> None:
    # margin 2 per unit short; holding 1% of cost per day = 0.08 per unit and day
    inputs = _inputs(list_price=np.array([10.0]), unit_cost=np.array([8.0]))
    nightly = plan_orders(
        date(2025, 1, 1), inputs, ReorderConfig(use_cost_ratio=True, holding_cost_rate=3.65)
    )
    # one review day: 2 / (2 + 0.08); the 10-day cover (9 + 1) would give 2 / (2 + 0.8) = 0.71
    assert nightly["service_level"][0] == pytest.approx(2 / 2.08)
    weekly = plan_orders(
        date(2025, 1, 1),
        inputs,
        ReorderConfig(use_cost_ratio=True, holding_cost_rate=3.65, review_period_days=7),
    )
    assert weekly["service_level"][0] == pytest.approx(2 / (2 + 0.56))


def test_fixed_lead_time_range_reads_the_cover_day_exactly() -> None:
    fixed = plan_orders(date(2025, 1, 1), _inputs(), ReorderConfig())
    same = plan_orders(date(2025, 1, 1), _inputs(), ReorderConfig(lead_time_range=(1.0, 1.0)))
    assert fixed["order_up_to"].to_list() == same["order_up_to"].to_list()


def test_identical_scenarios_mix_to_the_same_quantile() -> None:
    rng = np.random.default_rng(5)
    curves = np.sort(rng.gamma(2.0, 3.0, size=(20, len(LEVELS))), axis=1)
    target = rng.uniform(0.1, 0.99, size=20)
    mixed = mixture_quantile(LEVELS, np.repeat(curves[:, None, :], 3, axis=1), target)
    assert mixed == pytest.approx(quantile_at(LEVELS, curves, target))


def test_late_deliveries_raise_the_order_up_to_level_between_the_scenarios() -> None:
    config = ReorderConfig(lead_time_range=(1.0, 1.5), lead_time_points=5)
    plan = plan_orders(date(2025, 1, 1), _inputs(), config)
    s = plan["order_up_to"][0]
    # cover 9 + 1 = 10 days fixed; with delays the scenario leads are 9.45 .. 13.05 -> 9..13
    at_10 = plan_orders(date(2025, 1, 1), _inputs(), ReorderConfig())["order_up_to"][0]
    at_14 = plan_orders(date(2025, 1, 1), _inputs(lead_time_days=np.array([13])), ReorderConfig())[
        "order_up_to"
    ][0]
    assert at_10 < s < at_14
    # the mixture's CDF at S is the target: the mean of the scenarios' CDFs
    cum = _inputs().cum_quantiles
    covers = [round(9 * m) + 1 for m in lead_time_multipliers((1.0, 1.5), 5)]
    cdfs = [np.interp(s, cum[0, c - 1], LEVELS) for c in covers]
    assert np.mean(cdfs) == pytest.approx(0.95, abs=1e-9)
    assert "delays" in plan["reason"][0]


def test_a_stale_snapshot_is_carried_forward_less_sales_plus_earlier_orders() -> None:
    inputs = _inputs(
        on_hand=np.array([30]),
        on_order=np.array([5]),
        snapshot_age_days=np.array([6]),
        sold_since_snapshot=np.array([12]),
        planned_since_snapshot=np.array([4]),
        new_product=np.array([False]),
    )
    row = plan_orders(date(2025, 1, 1), inputs, ReorderConfig()).row(0, named=True)
    assert row["inventory_position"] == 30 + 5 - 12 + 4
    assert row["on_hand"] == 30 and row["on_order"] == 5  # the snapshot's own values
    assert row["order_qty"] == int(np.ceil(row["order_up_to"] - 27))
    assert "6-day-old snapshot, less 12 units sold since" in row["reason"]
    assert "plus 4 units ordered by earlier plans" in row["reason"]
    ignored = plan_orders(date(2025, 1, 1), inputs, ReorderConfig(count_planned_orders=False))
    assert ignored["inventory_position"][0] == 30 + 5 - 12


def test_no_snapshot_means_no_order_and_no_invented_zero() -> None:
    inputs = _inputs(
        n=2,
        on_hand=np.array([0, 0]),
        snapshot_age_days=np.array([-1, -1]),
        sold_since_snapshot=np.array([0, 0]),
        planned_since_snapshot=np.array([0, 6]),
        new_product=np.array([False, True]),
    )
    plan = plan_orders(date(2025, 1, 1), inputs, ReorderConfig())
    old, new = plan.row(0, named=True), plan.row(1, named=True)
    assert old["order_qty"] == 0 and old["on_hand"] is None and old["on_order"] is None
    assert "no inventory snapshot" in old["reason"] and "stock is unknown" in old["reason"]
    # a new product: nothing on the shelf but what earlier plans ordered
    assert new["inventory_position"] == 6
    assert new["order_qty"] == int(np.ceil(new["order_up_to"] - 6)) > 0
    assert "new product" in new["reason"]


def test_cover_beyond_horizon_is_scaled_and_said() -> None:
    plan = plan_orders(date(2025, 1, 1), _inputs(lead_time_days=np.array([55])), ReorderConfig())
    row = plan.row(0, named=True)
    assert row["demand_p50_cover"] == pytest.approx(2 * 28 * 56 / 28)
    assert "scaled" in row["reason"]


def _one_order(**overrides) -> str:
    """The reason of a one-SKU plan (2 units/day median, cover 10 days, 95% quantile 35)."""
    plan = plan_orders(date(2025, 1, 1), _inputs(**overrides), ReorderConfig())
    return plan["reason"][0]


def test_reason_names_the_moq_when_it_raised_the_order() -> None:
    # need 35 - 30 = 5; pack 20 covers it with 1 pack, the MOQ of 49 needs 3 packs: 60
    reason = _one_order(on_hand=np.array([30]), moq=np.array([49]), pack_size=np.array([20]))
    assert reason.startswith("Order 60 (the minimum order of 49 raised it from a need of 5 units;")
    assert "3 packs of 20" in reason


def test_reason_leaves_the_moq_out_when_the_need_exceeds_it() -> None:
    reason = _one_order(moq=np.array([5]), pack_size=np.array([5]))  # need 25 >= MOQ 5
    assert reason.startswith("Order 25 (5 packs of 5) to bring 10 on hand")
    assert "minimum order" not in reason


def test_reason_says_one_pack_in_the_singular() -> None:
    reason = _one_order(on_hand=np.array([30]), pack_size=np.array([12]))  # need 5 -> 1 pack
    assert "Order 12 (1 pack of 12)" in reason
    assert "1 packs" not in reason


def test_reason_rounds_quantities_and_service_levels() -> None:
    horizon = 28
    cum = np.tile(np.array([1.0, 3303.0000000000005, 3400.2, 3500.6, 3600.0]), (1, horizon, 1))
    reason = plan_orders(
        date(2025, 1, 1),
        _inputs(cum_quantiles=cum, on_hand=np.array([4000])),
        ReorderConfig(service_level=0.975),
    )["reason"][0]
    assert "median demand over the 9-day lead time + 1-day review is 3303 units" in reason
    assert "97.5% quantile 3563" in reason and "target of 3563 units" in reason
    assert "0000" not in reason
