"""Tiny synthetic shops for the model tests, built with a seeded numpy generator.

Demand level is set by one word in the product text ("bestseller" sells ~8/day, "niche" ~1/day),
so a model can only forecast cold-start SKUs (no history) well if its text tower carries that.
"""

from __future__ import annotations

import numpy as np

from inventory_pipeline.model import ForecastSamples, ModelConfig

LEVELS = {"bestseller": 8.0, "niche": 1.0}
CATEGORIES = ("kitchen/cookware", "garden/tools", "toys/puzzles")


def small_config(**changes: object) -> ModelConfig:
    """A fast config: short windows, small network, few tokens; the network alone reads every
    product's text (no launch curve, no text dropout or age gate, a plain scale prior)."""
    values: dict[str, object] = dict(
        history_days=14,
        horizon_days=7,
        quantiles=(0.1, 0.5, 0.9),
        max_tokens=24,
        d_model=16,
        batch_size=16,
        eval_batch_size=64,
        max_epochs=3,
        patience=2,
        learning_rate=3e-3,
        num_threads=1,  # tiny tensors: one thread is as fast and immune to busy neighbours
        zero_below=0.0,
        text_dropout=0.0,
        text_min_launch_age_days=0.0,
        prior_offset_feature=None,
        prior_excluded_static=(),
        launch_curve=False,
    )
    values.update(changes)
    return ModelConfig(**values)  # type: ignore[arg-type]


def product_text(word: str, index: int) -> str:
    category = CATEGORIES[index % len(CATEGORIES)]
    return f"{word} item {index} | category {category} | brand Acme | a {word} product for home use"


def make_samples(
    config: ModelConfig,
    n: int,
    seed: int = 0,
    cold_start_share: float = 0.3,
    stockout_rate: float = 0.05,
) -> ForecastSamples:
    """n samples; a share has no history at all (the product launches at the origin)."""
    rng = np.random.default_rng(seed)
    L, H = config.history_days, config.horizon_days
    words = rng.choice(list(LEVELS), size=n)
    levels = np.array([LEVELS[w] for w in words])
    cold = rng.random(n) < cold_start_share

    history_units = rng.poisson(levels[:, None], size=(n, L)).astype(np.float32)
    history_observed = np.ones((n, L), dtype=np.float32)
    history_observed[cold] = 0.0
    history_units[cold] = 0.0
    history_stockout = (rng.random((n, L)) < stockout_rate).astype(np.float32) * history_observed
    history_units[history_stockout > 0] = 0.0  # sold nothing while out of stock

    target_units = rng.poisson(levels[:, None], size=(n, H)).astype(np.float32)
    target_censored = (rng.random((n, H)) < stockout_rate).astype(np.float32)

    future = np.zeros((n, H, len(config.future_covariates)), dtype=np.float32)
    if "is_launched" in config.future_covariates:
        future[..., config.future_covariates.index("is_launched")] = 1.0
    history_cov = rng.normal(size=(n, L, len(config.history_covariates))).astype(np.float32)
    static = rng.normal(size=(n, len(config.static_features))).astype(np.float32)
    texts = [product_text(str(w), i % 20) for i, w in enumerate(words)]
    return ForecastSamples(
        texts=texts,
        history_units=history_units,
        history_stockout=history_stockout,
        history_observed=history_observed,
        history_covariates=history_cov,
        future_covariates=future,
        static=static,
        target_units=target_units,
        target_censored=target_censored,
    )
