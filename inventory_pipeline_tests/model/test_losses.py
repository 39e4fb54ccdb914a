"""Pinball loss and censoring masks against hand-computed numbers."""

from __future__ import annotations

import pytest
import torch

from inventory_pipeline.model.data import ForecastBatch
from inventory_pipeline.model.losses import forecast_loss, pinball_loss
from inventory_pipeline.model.network import ForecastOutput
from inventory_pipeline_tests.model.synthetic import small_config


def test_pinball_matches_hand_computation() -> None:
    pred = torch.tensor([[1.0, 2.0], [3.0, 5.0]])  # (2 days, Q=2)
    target = torch.tensor([2.0, 4.0])
    quantiles = torch.tensor([0.1, 0.9])
    mask = torch.ones(2)
    # day 1: e = 1, -> q=0.1: 0.1, e = 0 -> q=0.9: 0
    # day 2: e = 1 -> q=0.1: 0.1, e = -1 -> q=0.9: max(-0.9, 0.1) = 0.1
    expected = (0.1 + 0.0 + 0.1 + 0.1) / 4
    assert pinball_loss(pred, target, quantiles, mask).item() == pytest.approx(expected)


def test_pinball_ignores_masked_days() -> None:
    pred = torch.tensor([[1.0, 2.0], [100.0, 200.0]])
    target = torch.tensor([2.0, 0.0])
    quantiles = torch.tensor([0.1, 0.9])
    masked = pinball_loss(pred, target, quantiles, torch.tensor([1.0, 0.0]))
    only_first = pinball_loss(pred[:1], target[:1], quantiles, torch.ones(1))
    assert masked.item() == pytest.approx(only_first.item())
    assert pinball_loss(pred, target, quantiles, torch.zeros(2)).item() == 0.0


def _batch(target: torch.Tensor, censored: torch.Tensor, n_fut: int) -> ForecastBatch:
    B, H = target.shape
    L = 3
    return ForecastBatch(
        history_units=torch.ones(B, L),
        history_stockout=torch.zeros(B, L),
        history_observed=torch.ones(B, L),
        history_covariates=torch.zeros(B, L, 1),
        future_covariates=torch.ones(B, H, n_fut),
        static=torch.zeros(B, 1),
        target_units=target,
        target_censored=censored,
    )


def test_cumulative_loss_masks_from_first_censored_day() -> None:
    config = small_config(horizon_days=3, quantiles=(0.5,), cumulative_censoring="mask")
    n_fut = len(config.future_covariates)
    q = torch.zeros(1, 3, 1)
    target = torch.tensor([[1.0, 1.0, 1.0]])
    output = ForecastOutput(
        daily=q, cumulative=q, scale=torch.ones(1), log_scale_prior=torch.zeros(1)
    )
    clean = forecast_loss(output, _batch(target, torch.zeros(1, 3), n_fut), config)
    # all usable: cumulative per-day targets are 1, 1, 1 -> pinball 0.5 each
    assert clean.cumulative.item() == pytest.approx(0.5)
    assert clean.daily.item() == pytest.approx(0.5)

    # a huge actual on a censored day 2 must not matter to either loss
    spiked = torch.tensor([[1.0, 1000.0, 1.0]])
    censored = torch.tensor([[0.0, 1.0, 0.0]])
    parts = forecast_loss(output, _batch(spiked, censored, n_fut), config)
    assert parts.daily.item() == pytest.approx(0.5)  # days 1 and 3
    assert parts.cumulative.item() == pytest.approx(0.5)  # only h = 1 is known
    # scale prior target = log(mean of usable days: 3 history ones + days 1, 3) + eps
    expected_scale = (0.0 - torch.log(torch.tensor(1.0 + config.scale_epsilon))) ** 2
    assert parts.scale.item() == pytest.approx(expected_scale.item(), rel=1e-5)


def test_cumulative_windows_with_a_stockout_are_lower_bounds() -> None:
    config = small_config(horizon_days=3, quantiles=(0.5,), cumulative_censoring="lower_bound")
    n_fut = len(config.future_covariates)
    sold = torch.tensor([[1.0, 1000.0, 1.0]])
    censored = torch.tensor([[0.0, 1.0, 0.0]])
    batch = _batch(sold, censored, n_fut)

    def cumulative_loss(day_sums: list[float]) -> float:
        cumulative = torch.tensor(day_sums).reshape(1, 3, 1)
        output = ForecastOutput(
            daily=torch.zeros(1, 3, 1),
            cumulative=cumulative,
            scale=torch.ones(1),
            log_scale_prior=torch.zeros(1),
        )
        return forecast_loss(output, batch, config).cumulative.item()

    # per-day sums of sold units: h=1: 1 (exact), h=2: 1001/2, h=3: 1002/3 (lower bounds)
    # all-zero forecast: (0.5 * 1 + 0.5 * 500.5 + 0.5 * 334) / 3 windows
    assert cumulative_loss([0.0, 0.0, 0.0]) == pytest.approx((0.5 + 250.25 + 167.0) / 3)
    # forecasts above the bounds cost nothing on the censored windows
    assert cumulative_loss([1.0, 2000.0, 3000.0]) == pytest.approx(0.0)


def test_loss_requires_targets() -> None:
    config = small_config(horizon_days=3)
    batch = _batch(torch.zeros(1, 3), torch.zeros(1, 3), len(config.future_covariates))
    batch.target_units = None
    q = torch.zeros(1, 3, 3)
    output = ForecastOutput(
        daily=q, cumulative=q, scale=torch.ones(1), log_scale_prior=torch.zeros(1)
    )
    with pytest.raises(ValueError, match="target_units"):
        forecast_loss(output, batch, config)
