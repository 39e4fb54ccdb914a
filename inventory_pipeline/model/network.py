"""The global demand network: text tower + history tower + known future -> quantiles per day.

Per-SKU scale (why it lives inside the network): demand levels differ by orders of magnitude
across SKUs, so the towers work in *scaled* units (units / scale). The scale is the mean of the
SKU's usable history days (on sale and not stockout-censored), shrunk towards a text-based prior::

    prior = exp(scale_head(text, static))          # what a product like this typically sells
    scale = max((sum_usable + k * prior) / (n_usable + k) + epsilon, floor)     k = scale_prior_days

With a long history the prior hardly matters; with no history (cold start, or launch inside the
horizon) the scale *is* the prior, so the model still forecasts in the right order of magnitude.
The prior is trained by a log-scale regression (``losses.py``) and enters the scale detached,
so the quantile loss never pulls the normaliser around.

Weekly pattern: besides the GRU summary of the history, every future day gets the mean of the
usable history days a whole number of seasons (``season_days``) before it, e.g. the last eight
Mondays for a Monday, next to its known-future covariates. That is the information a seasonal
naive forecast uses, handed to the decoder directly instead of through the recurrent state.

Outputs are made valid by construction: per-day quantiles are softplus increments over the
quantile levels (non-negative, non-decreasing in q); cumulative quantiles are sums over days of
non-negative per-day increments that are themselves non-decreasing in q, so they are
non-decreasing both in q and in h. Cumulative quantiles come from their own head: adding up
per-day quantiles is wrong for any quantile but the mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from inventory_pipeline.model.config import LAUNCH_AGE_FEATURE, ModelConfig
from inventory_pipeline.model.data import ForecastBatch, ForecastSamples
from inventory_pipeline.model.text import TextTower

HISTORY_DAY_CHANNELS = 3  # scaled units, stockout flag, observed flag (before the covariates)
SEASONAL_CHANNELS = 2  # per future day: same-season-day history mean, "has such days" flag
SCALE_FEATURES = 3  # log scale, log1p(usable days), share of usable days
STD_FLOOR = 1e-6  # a channel with a smaller spread is constant: it is centred, not divided


@dataclass
class ForecastOutput:
    """Network outputs for one batch.

    Attributes:
        daily: (B, H, Q) per-day demand quantiles in scaled units.
        cumulative: (B, H, Q) quantiles of demand summed over days 1..h, in scaled units.
        scale: (B,) units/day that turn scaled units into units (no gradient).
        log_scale_prior: (B,) scale-head prediction of log units/day from text + static.
    """

    daily: torch.Tensor
    cumulative: torch.Tensor
    scale: torch.Tensor
    log_scale_prior: torch.Tensor


def monotone_quantiles(raw: torch.Tensor) -> torch.Tensor:
    """(..., Q) unconstrained -> (..., Q) non-negative, non-decreasing along the last axis."""
    return torch.cumsum(F.softplus(raw), dim=-1)


def cumulative_quantiles(raw: torch.Tensor) -> torch.Tensor:
    """(B, H, Q) unconstrained -> (B, H, Q) non-negative, non-decreasing in q and in h."""
    increments = monotone_quantiles(raw)  # (B, H, Q) >= 0, non-decreasing in q
    return torch.cumsum(increments, dim=1)  # (B, H, Q)


def seasonal_lag_weights(history_days: int, horizon_days: int, season_days: int) -> torch.Tensor:
    """(H, L) 1 where history day i lies a whole number of seasons before future day h.

    History index i is day origin - L + 1 + i, future index h is day origin + 1 + h, so the gap
    is L + h - i days. With a weekly season this finds every past same-weekday for each day ahead.
    """
    h = torch.arange(horizon_days).unsqueeze(1)  # (H, 1)
    i = torch.arange(history_days).unsqueeze(0)  # (1, L)
    return (((history_days + h - i) % season_days) == 0).float()  # (H, L)


def usable_history(batch: ForecastBatch) -> torch.Tensor:
    """(B, L) 1 where a history day shows real demand: on sale and not stockout-censored."""
    return batch.history_observed * (1.0 - batch.history_stockout)


def _mlp(d_in: int, d_hidden: int, d_out: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(d_in, d_hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_hidden, d_out)
    )


class FeatureScaler(nn.Module):
    """Per-channel standardisation fitted on the training samples, saved with the weights."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(channels))
        self.register_buffer("std", torch.ones(channels))

    def fit(self, values: np.ndarray) -> None:
        """values (..., C): statistics over every axis but the last."""
        flat = values.reshape(-1, values.shape[-1]).astype(np.float64)
        std = flat.std(axis=0)
        self.mean.copy_(torch.from_numpy(flat.mean(axis=0)).float())
        self.std.copy_(torch.from_numpy(np.where(std < STD_FLOOR, 1.0, std)).float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class DemandNetwork(nn.Module):
    """All towers and heads: a :class:`ForecastBatch` in, a :class:`ForecastOutput` out."""

    def __init__(self, config: ModelConfig, text_tower: TextTower, text_dim: int) -> None:
        super().__init__()
        self.config = config
        self.text_dim = text_dim  # E, width of the pooled encoder output
        d = config.d_model
        n_hist, n_fut = len(config.history_covariates), len(config.future_covariates)
        n_static = len(config.static_features)

        self.history_scaler = FeatureScaler(n_hist)
        self.future_scaler = FeatureScaler(n_fut)
        self.static_scaler = FeatureScaler(n_static)

        self.text_tower = text_tower
        # Without text (ablation) the towers get a zero vector where the text features go, so
        # every other layer keeps its shape and the comparison isolates what the text carries.
        self.text_proj: nn.Module | None = (
            nn.Sequential(nn.LayerNorm(text_dim), nn.Linear(text_dim, d), nn.GELU())
            if config.use_text
            else None
        )
        self.scale_hidden = nn.Sequential(
            nn.Linear(d + n_static, d), nn.GELU(), nn.Dropout(config.dropout)
        )
        self.scale_out = nn.Linear(d, 1)  # log units/day; bias starts at the training median
        self.prior_offset_index = (
            None
            if config.prior_offset_feature is None
            else config.static_features.index(config.prior_offset_feature)
        )  # raw static feature (log units/day) added to the prior, e.g. the category's level
        self.launch_age_index = (
            config.static_features.index(LAUNCH_AGE_FEATURE)
            if config.use_text and config.text_min_launch_age_days > 0
            else None
        )  # raw static feature log1p(launch age) that decides who is read with the text
        self.register_buffer(
            "prior_static_mask",
            torch.tensor(
                [0.0 if n in config.prior_excluded_static else 1.0 for n in config.static_features]
            ),
            persistent=False,
        )  # (S,) 0 for static features hidden from the scale prior, derived from the config
        self.history_in = nn.Linear(HISTORY_DAY_CHANNELS + n_hist, d)
        self.history_rnn = nn.GRU(d, d, num_layers=config.history_layers, batch_first=True)
        self.static_in = nn.Sequential(nn.Linear(n_static + SCALE_FEATURES, d), nn.GELU())
        self.context = _mlp(3 * d, d, d, config.dropout)
        self.register_buffer(
            "seasonal_lags",
            seasonal_lag_weights(config.history_days, config.horizon_days, config.season_days),
            persistent=False,
        )  # (H, L), derived from the config, so not saved
        self.future_in = nn.Linear(n_fut + SEASONAL_CHANNELS, d)
        self.horizon_embedding = nn.Parameter(torch.zeros(config.horizon_days, d))
        self.decoder = nn.Sequential(_mlp(2 * d, d, d, config.dropout), nn.GELU())
        self.daily_head = nn.Linear(d, config.n_quantiles)
        self.cumulative_head = nn.Linear(d, config.n_quantiles)

    def fit_feature_scaling(self, samples: ForecastSamples) -> None:
        """Standardise covariates and start the scale prior at the training median level."""
        self.history_scaler.fit(samples.history_covariates)
        self.future_scaler.fit(samples.future_covariates)
        self.static_scaler.fit(samples.static)
        usable = samples.history_observed * (1.0 - samples.history_stockout)
        counts = usable.sum(axis=1)
        if np.any(counts > 0):
            means = (samples.history_units * usable).sum(axis=1)[counts > 0] / counts[counts > 0]
            levels = np.maximum(means + self.config.scale_epsilon, self.config.scale_floor)
            offsets = np.zeros(len(counts))
            if self.prior_offset_index is not None:
                offsets = samples.static[:, self.prior_offset_index].astype(np.float64)
            log_level = float(np.median(np.log(levels) - offsets[counts > 0]))
        else:
            log_level = float(np.log(self.config.scale_floor))
        with torch.no_grad():
            self.scale_out.bias.fill_(log_level)

    def per_sku_scale(
        self, batch: ForecastBatch, log_scale_prior: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Scale (B,) in units/day and usable history days (B,); see the module docstring."""
        usable = usable_history(batch)  # (B, L)
        n_usable = usable.sum(dim=1)  # (B,)
        total = (batch.history_units * usable).sum(dim=1)  # (B,)
        k = self.config.scale_prior_days
        prior = torch.exp(log_scale_prior.detach())  # (B,)
        shrunk = (total + k * prior) / (n_usable + k)  # (B,)
        scale = torch.clamp(shrunk + self.config.scale_epsilon, min=self.config.scale_floor)
        return scale, n_usable

    def forward(self, batch: ForecastBatch) -> ForecastOutput:
        cfg = self.config
        L, H = cfg.history_days, cfg.horizon_days

        # text and static -> scale prior
        if self.text_proj is None:
            text = batch.static.new_zeros(len(batch), cfg.d_model)  # (B, d) no text tower
        else:
            pooled = self.text_tower(batch.text_embedding, batch.input_ids, batch.attention_mask)
            text = self.text_proj(pooled.float())  # (B, d)
            if self.training and cfg.text_dropout > 0:
                keep = (torch.rand(len(batch), 1) >= cfg.text_dropout).to(text.dtype)  # (B, 1)
                text = text * keep
            if self.launch_age_index is not None:  # new products are read without their text
                min_age = math.log1p(cfg.text_min_launch_age_days)
                established = batch.static[:, self.launch_age_index] >= min_age  # (B,)
                text = text * established.unsqueeze(-1).to(text.dtype)
        static = self.static_scaler(batch.static)  # (B, S)
        prior_static = static * self.prior_static_mask  # (B, S) hidden features at their mean
        prior_hidden = self.scale_hidden(torch.cat([text, prior_static], dim=-1))  # (B, d)
        log_scale_prior = self.scale_out(prior_hidden).squeeze(-1)  # (B,)
        if self.prior_offset_index is not None:  # the prior is relative to this static feature
            log_scale_prior = log_scale_prior + batch.static[:, self.prior_offset_index]
        scale, n_usable = self.per_sku_scale(batch, log_scale_prior)  # (B,), (B,)

        # history tower over the L days
        units = batch.history_units / scale[:, None]  # (B, L)
        units = torch.clamp(units, max=cfg.max_scaled_input)  # (B, L)
        day_inputs = torch.cat(
            [
                units.unsqueeze(-1),
                batch.history_stockout.unsqueeze(-1),
                batch.history_observed.unsqueeze(-1),
                self.history_scaler(batch.history_covariates),
            ],
            dim=-1,
        )  # (B, L, 3 + C_h)
        _, last_hidden = self.history_rnn(self.history_in(day_inputs))  # (layers, B, d)
        history = last_hidden[-1]  # (B, d)

        # seasonal profile: mean of usable history days a whole number of seasons back, per day
        usable = usable_history(batch)  # (B, L)
        lag_sum = (units * usable) @ self.seasonal_lags.T  # (B, H)
        lag_count = usable @ self.seasonal_lags.T  # (B, H)
        seasonal = torch.stack(
            [lag_sum / lag_count.clamp(min=1.0), (lag_count > 0).float()], dim=-1
        )  # (B, H, 2)

        # static tower, fused context
        scale_features = torch.stack(
            [torch.log(scale), torch.log1p(n_usable), n_usable / L], dim=-1
        )  # (B, 3)
        static_vec = self.static_in(torch.cat([static, scale_features], dim=-1))  # (B, d)
        context = self.context(torch.cat([text, history, static_vec], dim=-1))  # (B, d)

        # per future day: context + known future + seasonal profile + horizon embedding
        known = torch.cat([self.future_scaler(batch.future_covariates), seasonal], dim=-1)
        future = self.future_in(known)  # (B, H, d)
        future = future + self.horizon_embedding  # (B, H, d)
        context_per_day = context.unsqueeze(1).expand(-1, H, -1)  # (B, H, d)
        days = self.decoder(torch.cat([context_per_day, future], dim=-1))  # (B, H, d)

        return ForecastOutput(
            daily=monotone_quantiles(self.daily_head(days)),  # (B, H, Q)
            cumulative=cumulative_quantiles(self.cumulative_head(days)),  # (B, H, Q)
            scale=scale.detach(),  # (B,)
            log_scale_prior=log_scale_prior,  # (B,)
        )
