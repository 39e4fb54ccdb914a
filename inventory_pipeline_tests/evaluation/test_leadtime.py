"""Lead-time demand distributions and the order-up-to levels read from them."""

from datetime import date

import numpy as np
import pytest
from scipy import stats

from inventory_pipeline.evaluation.leadtime import (
    daily_sd_from_interval,
    independent_cumulative,
    oracle_cumulative,
    order_up_to,
)
from inventory_pipeline.reorder import PlanInputs, ReorderConfig, plan_orders

LEVELS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99)


def test_sd_from_a_normal_interval_is_exact() -> None:
    sd = daily_sd_from_interval(np.array([10.0]), np.array([10.0 + 1.2815515655 * 3]), 0.9)
    assert sd[0] == pytest.approx(3.0, rel=1e-6)


def test_independent_days_add_means_and_variances() -> None:
    mean = np.array([[2.0, 3.0, 5.0]])
    sd = np.array([[1.0, 2.0, 2.0]])
    normal = independent_cumulative(mean, sd, LEVELS, "normal")
    expected = 10.0 + 3.0 * stats.norm.ppf(LEVELS)  # mean 10, variance 1 + 4 + 4
    assert normal[0, 2] == pytest.approx(np.maximum(expected, 0.0))
    gamma = independent_cumulative(mean, sd, LEVELS, "gamma")
    shape, scale = 10.0**2 / 9.0, 9.0 / 10.0
    assert gamma[0, 2] == pytest.approx(stats.gamma.ppf(LEVELS, shape, scale=scale))
    assert np.all(np.diff(gamma, axis=1) >= 0) and np.all(np.diff(gamma, axis=2) >= 0)


def test_no_spread_is_a_point_mass_and_no_demand_is_zero() -> None:
    out = independent_cumulative(np.array([[2.0, 0.0], [0.0, 0.0]]), np.zeros((2, 2)), LEVELS)
    assert np.all(out[0] == np.array([[2.0], [2.0]]))
    assert np.all(out[1] == 0.0)


def test_oracle_matches_the_exact_nb_sum() -> None:
    # days with the same p: the sum of NB(k, p) over h days is NB(h k, p)
    mu, k, horizon = 4.0, 2.0, 10
    mean = np.full((3, horizon), mu)
    out = oracle_cumulative(mean, np.full((3, horizon), k), LEVELS, 4000, np.random.default_rng(0))
    p = k / (k + mu)
    for h in (1, 5, 10):
        exact = stats.nbinom.ppf(LEVELS, h * k, p)
        assert np.all(np.abs(out[:, h - 1, :] - exact) <= 0.1 * exact + 1.0)
    off_sale = oracle_cumulative(
        np.zeros((1, 4)), np.zeros((1, 4)), LEVELS, 200, np.random.default_rng(0)
    )
    assert np.all(off_sale == 0)


def test_order_up_to_reads_like_plan_orders() -> None:
    rng = np.random.default_rng(3)
    n, horizon = 40, 14
    cumulative = np.cumsum(
        np.sort(rng.gamma(2.0, 1.0, size=(n, horizon, len(LEVELS))), axis=2), axis=1
    )
    lead = rng.integers(0, 30, size=n)  # covers inside and beyond the horizon
    for level, spread in ((0.8, 1.0), (0.95, 1.0), (0.99, 1.0), (0.95, 1.3)):
        config = ReorderConfig(service_level=level, lead_time_range=(1.0, spread))
        plan = plan_orders(
            date(2025, 1, 1),
            PlanInputs(
                skus=[f"S{i}" for i in range(n)], categories=["c"] * n,
                on_hand=np.zeros(n, int), on_order=np.zeros(n, int), lead_time_days=lead,
                moq=np.ones(n, int), pack_size=np.ones(n, int), list_price=np.ones(n),
                unit_cost=np.ones(n), discontinued=np.zeros(n, bool), launches_on=[None] * n,
                cum_levels=np.asarray(LEVELS), cum_quantiles=cumulative,
                drivers=[[] for _ in range(n)],
            ),
            config,
        )  # fmt: skip
        ours = order_up_to(LEVELS, cumulative, lead, [level], config)[:, 0]
        assert ours == pytest.approx(plan["order_up_to"].to_numpy())
