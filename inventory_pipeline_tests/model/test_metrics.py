"""Metrics against numbers computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inventory_pipeline.metrics import (
    bias,
    interval_coverage,
    paired_difference_se,
    pinball,
    wape,
    weighted_quantile_loss,
)

ACTUAL = np.array([2.0, 0.0, 4.0, 10.0])
FORECAST = np.array([3.0, 1.0, 4.0, 6.0])


def test_wape_and_bias() -> None:
    # |errors| = 1, 1, 0, 4 -> 6; sum actual = 16
    assert wape(ACTUAL, FORECAST) == pytest.approx(6 / 16)
    # sum forecast 14 - sum actual 16 = -2
    assert bias(ACTUAL, FORECAST) == pytest.approx(-2 / 16)


def test_mask_drops_censored_cells() -> None:
    mask = np.array([1, 1, 1, 0])
    assert wape(ACTUAL, FORECAST, mask) == pytest.approx(2 / 6)
    assert bias(ACTUAL, FORECAST, mask) == pytest.approx(2 / 6)
    with pytest.raises(ValueError, match="mask"):
        wape(ACTUAL, FORECAST, np.array([0.5, 1, 1, 1]))


def test_undefined_metric_is_nan_not_zero() -> None:
    assert math.isnan(wape(np.zeros(3), np.ones(3)))


def test_weighted_quantile_loss() -> None:
    actual = np.array([2.0, 4.0])
    forecasts = np.array([[1.0, 3.0], [5.0, 6.0]])  # (2, Q=2) levels 0.1, 0.9
    # level 0.1: errors 1, -1 -> 0.1, 0.9 -> sum 1.0 ; level 0.9: errors -1, -2 -> 0.1, 0.2 -> 0.3
    # wQL = mean(2 * 1.0 / 6, 2 * 0.3 / 6)
    expected = np.mean([2 * 1.0 / 6, 2 * 0.3 / 6])
    assert weighted_quantile_loss(actual, forecasts, (0.1, 0.9)) == pytest.approx(expected)
    assert pinball(np.array([2.0]), np.array([1.0]), 0.9)[0] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="shape"):
        weighted_quantile_loss(actual, forecasts[:, :1], (0.1, 0.9))


def test_interval_coverage() -> None:
    lower, upper = np.array([1.0, 1.0, 5.0, 9.0]), np.array([3.0, 2.0, 6.0, 10.0])
    # inside: 2 in [1,3] yes; 0 in [1,2] no; 4 in [5,6] no; 10 in [9,10] yes (bounds count)
    assert interval_coverage(ACTUAL, lower, upper) == pytest.approx(0.5)
    assert interval_coverage(ACTUAL, lower, upper, np.array([1, 0, 0, 1])) == pytest.approx(1.0)


def test_paired_difference_se_is_zero_for_equal_forecasts_and_scales_with_the_gap() -> None:
    rng = np.random.default_rng(3)
    scale = rng.random(50) + 0.5
    gap = rng.normal(0.0, 1.0, 50)
    assert paired_difference_se(np.zeros(50), scale, 200, seed=1) == 0.0
    one = paired_difference_se(gap, scale, 200, seed=1)
    assert one > 0.0
    assert paired_difference_se(2.0 * gap, scale, 200, seed=1) == pytest.approx(2.0 * one)
    assert paired_difference_se(gap, scale, 200, seed=1) == one  # seeded: same every time
