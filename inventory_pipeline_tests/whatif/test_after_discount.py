"""The after-discount channels: a future day sees the promotion that just ended before it."""

import numpy as np

from inventory_pipeline.windows import after_discount


def test_a_day_after_a_promotion_sees_its_depth_and_distance() -> None:
    L, lookback = 5, 3
    discount = np.zeros((2, 10))
    discount[0, 3:5] = 0.2  # history days 3-4 at 20% off
    discount[0, 7] = 0.3  # future day 2 (planned) at 30% off
    recent, since = after_discount(discount, L, lookback)
    assert recent.shape == since.shape == (2, 5)
    np.testing.assert_allclose(recent[0], [0.2, 0.2, 0.2, 0.3, 0.3])
    np.testing.assert_allclose(since[0], [1 / 3, 2 / 3, 1.0, 1 / 3, 2 / 3])
    # no discount in the lookback: nothing recent, as far away as can be
    np.testing.assert_allclose(recent[1], 0.0)
    np.testing.assert_allclose(since[1], 1.0)
