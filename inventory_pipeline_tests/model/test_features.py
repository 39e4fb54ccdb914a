"""Calendar and launch channels."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_pipeline.model.features import calendar_features, launch_features


def test_calendar_features_known_dates() -> None:
    # 2024-01-01 was a Monday and the first day of its year; 2024-01-07 a Sunday.
    features = calendar_features(np.array(["2024-01-01", "2024-01-07"], dtype="datetime64[D]"))
    assert features.shape == (2, 4)
    monday, sunday = features
    assert monday[:2] == pytest.approx([0.0, 1.0])
    assert monday[2:] == pytest.approx([0.0, 1.0])
    angle = 2 * np.pi * 6 / 7
    assert sunday[:2] == pytest.approx([np.sin(angle), np.cos(angle)], abs=1e-6)


def test_launch_features_cover_a_launch_inside_the_horizon() -> None:
    days = np.arange(np.datetime64("2024-03-01"), np.datetime64("2024-03-05"))  # (4,)
    features = launch_features(days[None, :], np.array(["2024-03-03"], dtype="datetime64[D]"))
    assert features.shape == (1, 4, 2)
    assert features[0, :, 0].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert features[0, :, 1] == pytest.approx([0.0, 0.0, 0.0, np.log(2.0)])
