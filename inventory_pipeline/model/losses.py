"""Training losses, all in scaled units (units / per-SKU scale) so every SKU weighs alike.

Censoring: a stockout day shows sales, not demand, so it is never taught as a target. Per-day
targets on censored days are masked. A cumulative target over days 1..h is not known exactly as
soon as one of those days is censored (``cumprod`` of the usable flags). What happens to such a
window depends on ``ModelConfig.cumulative_censoring``:

    "mask": it is left out.
    "lower_bound" (default): its observed sum is a lower bound of the demand sum, so only
        quantiles *below* it are certainly wrong; they pay q * (sum - q_hat), higher quantiles
        pay nothing (Powell's censored quantile loss). Masking instead would keep only windows
        without a stockout, and stockouts happen when demand is high: the cumulative quantiles
        would learn a downward-biased sample.

Days before a launch are real zeros and stay in the loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.data import ForecastBatch
from inventory_pipeline.model.network import ForecastOutput, usable_history

LAUNCH_CHANNEL = "is_launched"  # future covariate that marks days on sale (scale-prior target)


def pinball_sum(
    pred: torch.Tensor, target: torch.Tensor, quantiles: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Summed pinball loss over unmasked entries and levels: max(q e, (q - 1) e), e = y - y_hat.

    Args:
        pred: (..., Q) predicted quantiles.
        target: (...) observed values.
        quantiles: (Q,) levels in (0, 1).
        mask: (...) 1 = scored, 0 = ignored.
    """
    error = target.unsqueeze(-1) - pred  # (..., Q)
    loss = torch.maximum(quantiles * error, (quantiles - 1.0) * error)  # (..., Q)
    return (loss * mask.unsqueeze(-1)).sum()


def lower_bound_pinball_sum(
    pred: torch.Tensor, lower: torch.Tensor, quantiles: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Summed loss for values known only to be >= ``lower``: q * max(lower - y_hat, 0).

    Args:
        pred: (..., Q) predicted quantiles.
        lower: (...) lower bounds of the unobserved values.
        quantiles: (Q,) levels in (0, 1).
        mask: (...) 1 where the bound applies.
    """
    shortfall = torch.relu(lower.unsqueeze(-1) - pred)  # (..., Q)
    return (quantiles * shortfall * mask.unsqueeze(-1)).sum()


def pinball_loss(
    pred: torch.Tensor, target: torch.Tensor, quantiles: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Mean pinball loss over unmasked entries and all levels (shapes as in :func:`pinball_sum`).

    Returns 0 when every entry is masked (a batch of fully censored samples adds nothing).
    """
    denominator = mask.sum() * quantiles.numel()
    return pinball_sum(pred, target, quantiles, mask) / torch.clamp(denominator, min=1.0)


@dataclass
class LossParts:
    """The total loss and its components (scalars), for logging."""

    total: torch.Tensor
    daily: torch.Tensor
    cumulative: torch.Tensor
    scale: torch.Tensor


def scale_prior_loss(
    output: ForecastOutput, batch: ForecastBatch, config: ModelConfig
) -> torch.Tensor:
    """Squared error of the log-scale prior against the SKU's observed level.

    The level uses every usable day of the sample, history *and* targets, so samples of products
    that launch inside the horizon (no history at all) teach the prior what a new product sells.
    Target days before launch (``is_launched`` = 0, when that future channel exists) are left out.
    """
    if batch.target_units is None or batch.target_censored is None:
        raise ValueError("scale_prior_loss needs a batch with target_units and target_censored.")
    usable_hist = usable_history(batch)  # (B, L)
    usable_target = 1.0 - batch.target_censored  # (B, H)
    if LAUNCH_CHANNEL in config.future_covariates:
        channel = config.future_covariates.index(LAUNCH_CHANNEL)
        usable_target = usable_target * batch.future_covariates[..., channel]  # (B, H)
    total = (batch.history_units * usable_hist).sum(1) + (batch.target_units * usable_target).sum(1)
    count = usable_hist.sum(1) + usable_target.sum(1)  # (B,)
    has_level = count > 0
    if not bool(has_level.any()):
        return output.log_scale_prior.sum() * 0.0
    level = total[has_level] / count[has_level] + config.scale_epsilon
    target = torch.log(torch.clamp(level, min=config.scale_floor))  # (B',)
    return torch.mean((output.log_scale_prior[has_level] - target) ** 2)


def forecast_loss(output: ForecastOutput, batch: ForecastBatch, config: ModelConfig) -> LossParts:
    """Per-day + cumulative pinball loss (censoring-masked) + weighted scale-prior loss."""
    if batch.target_units is None or batch.target_censored is None:
        raise ValueError("forecast_loss needs a batch with target_units and target_censored.")
    H = config.horizon_days
    quantiles = torch.tensor(config.quantiles, dtype=output.daily.dtype)  # (Q,)
    target = batch.target_units / output.scale[:, None]  # (B, H) scaled
    usable = 1.0 - batch.target_censored  # (B, H)
    daily = pinball_loss(output.daily, target, quantiles, usable)

    # Cumulative targets grow with h; dividing day-sums by h keeps every horizon on a per-day
    # footing so the long horizons do not drown the short ones.
    per_day = 1.0 / torch.arange(1, H + 1, dtype=target.dtype)  # (H,)
    cumulative_target = torch.cumsum(target, dim=1) * per_day  # (B, H)
    cumulative_usable = torch.cumprod(usable, dim=1)  # (B, H) 0 from the first censored day
    cumulative_pred = output.cumulative * per_day[:, None]  # (B, H, Q)
    summed = pinball_sum(cumulative_pred, cumulative_target, quantiles, cumulative_usable)
    windows = cumulative_usable.sum()
    if config.cumulative_censoring == "lower_bound":
        bounded = 1.0 - cumulative_usable  # (B, H) observed sum <= demand sum
        summed = summed + lower_bound_pinball_sum(
            cumulative_pred, cumulative_target, quantiles, bounded
        )
        windows = windows + bounded.sum()
    cumulative = summed / torch.clamp(windows * quantiles.numel(), min=1.0)

    scale = scale_prior_loss(output, batch, config)
    total = daily + config.cumulative_loss_weight * cumulative + config.scale_loss_weight * scale
    return LossParts(total=total, daily=daily, cumulative=cumulative, scale=scale)
