"""Speed of the demand model on this machine: train step per strategy, inference throughput.

Usage::

    .venv/bin/python benchmarks/model_speed.py            # full table (~2 minutes on 2 cores)
    .venv/bin/python benchmarks/model_speed.py --steps 3  # quicker, noisier

Train step = forward + loss + backward + AdamW step on one batch (batch 32, 64 tokens, the default
windows L=56, H=28), median over ``--steps`` steps after one warm-up step. "frozen" uses cached
embeddings, so its step excludes the encoder. Inference = samples/s of ``DemandForecaster.predict``
with a cold embedding cache (every text encoded) and a warm one (frozen only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from inventory_pipeline.model import DemandForecaster, EmbeddingCache, ForecastSamples, ModelConfig
from inventory_pipeline.model.config import replace
from inventory_pipeline.model.data import make_batch
from inventory_pipeline.model.losses import forecast_loss
from inventory_pipeline.model.runtime import seed_everything, torch_runtime
from inventory_pipeline.model.text import cpu_bf16_supported
from inventory_pipeline.model.train import make_optimizer

WORDS = [
    "stainless",
    "kettle",
    "cast",
    "iron",
    "pan",
    "garden",
    "hose",
    "puzzle",
    "wooden",
    "toy",
    "organic",
    "tea",
    "premium",
]


def synthetic_samples(config: ModelConfig, n: int, seed: int) -> ForecastSamples:
    """n samples with distinct ~100-word documents (longer than the token budget)."""
    rng = np.random.default_rng(seed)
    L, H = config.history_days, config.horizon_days
    texts = [" ".join(rng.choice(WORDS, size=100)) + f" sku {i}" for i in range(n)]
    return ForecastSamples(
        texts=texts,
        history_units=rng.poisson(3.0, size=(n, L)).astype(np.float32),
        history_stockout=(rng.random((n, L)) < 0.05).astype(np.float32),
        history_observed=np.ones((n, L), dtype=np.float32),
        history_covariates=rng.normal(size=(n, L, len(config.history_covariates))).astype(
            np.float32
        ),
        future_covariates=rng.normal(size=(n, H, len(config.future_covariates))).astype(np.float32),
        static=rng.normal(size=(n, len(config.static_features))).astype(np.float32),
        target_units=rng.poisson(3.0, size=(n, H)).astype(np.float32),
        target_censored=np.zeros((n, H), dtype=np.float32),
    )


def train_step_seconds(config: ModelConfig, steps: int) -> float:
    """Median seconds of one optimiser step."""
    with torch_runtime(config):
        seed_everything(config.seed)
        forecaster = DemandForecaster.build(config)
        samples = synthetic_samples(config, config.batch_size, seed=0)
        forecaster.network.fit_feature_scaling(samples)
        text = forecaster.featurizer.prepare(samples.texts)
        batch = make_batch(samples, text, np.arange(len(samples)))
        optimizer = make_optimizer(forecaster.network, config)
        forecaster.network.train()
        timings = []
        for _ in range(steps + 1):
            start = time.perf_counter()
            loss = forecast_loss(forecaster.network(batch), batch, config).total
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            timings.append(time.perf_counter() - start)
    return statistics.median(timings[1:])


def inference_rate(config: ModelConfig, n: int) -> tuple[float, float | None]:
    """Samples/s with a cold embedding cache, and with a warm one (frozen only)."""
    seed_everything(config.seed)
    forecaster = DemandForecaster.build(config, embedding_cache=EmbeddingCache())
    samples = synthetic_samples(config, n, seed=1)
    forecaster.network.fit_feature_scaling(samples)
    start = time.perf_counter()
    forecaster.predict(samples)
    cold = n / (time.perf_counter() - start)
    if config.finetune != "frozen":
        return cold, None
    start = time.perf_counter()
    forecaster.predict(samples)
    return cold, n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="timed train steps per setting")
    parser.add_argument("--samples", type=int, default=256, help="samples per inference run")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    args = parser.parse_args()

    base = ModelConfig(  # the network alone, as these figures were first measured
        num_threads=args.threads,
        batch_size=32,
        quantiles=(0.1, 0.5, 0.9),
        zero_below=0.0,
        text_dropout=0.0,
        text_min_launch_age_days=0.0,
        prior_offset_feature=None,
        prior_excluded_static=(),
        launch_curve=False,
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"bf16 kernels on this CPU: {cpu_bf16_supported()}; threads: {base.num_threads}")
    print(f"load average before (1/5/15 min): {load}; other busy processes inflate every figure")
    print(f"train step, batch {base.batch_size} x {base.max_tokens} tokens (seconds, median)")
    print(f"{'strategy':<8} {'fp32':>8} {'bf16':>8}")
    for strategy in ("frozen", "top_k", "lora", "full"):
        row = [
            train_step_seconds(replace(base, finetune=strategy, bf16_autocast=bf16), args.steps)
            for bf16 in (False, True)
        ]
        print(f"{strategy:<8} {row[0]:>8.3f} {row[1]:>8.3f}")

    print(f"\ninference, {args.samples} samples (samples/s)")
    print(f"{'strategy':<8} {'precision':<9} {'cold cache':>10} {'warm cache':>10}")
    for strategy in ("frozen", "lora"):
        for bf16 in (False, True):
            config = replace(base, finetune=strategy, bf16_autocast=bf16)
            cold, warm = inference_rate(config, args.samples)
            warm_text = f"{warm:>10.0f}" if warm is not None else f"{'-':>10}"
            print(f"{strategy:<8} {'bf16' if bf16 else 'fp32':<9} {cold:>10.0f} {warm_text}")


if __name__ == "__main__":
    main()
