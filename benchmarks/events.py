"""Event inputs of the demand model, compared on the VALIDATION block of a retraining run.

Usage::

    .venv/bin/python benchmarks/events.py --workdir benchmarks/out/events-shop --skus 150 --days 850

Builds (or reuses, in ``--workdir``) a sample shop, builds the training windows ONCE with every
candidate channel (one per configured event and ``any_event``), then fits one model per layout on
the same windows and reports the best validation loss (the training loss: daily + cumulative
pinball) and the daily validation WQL (p10 / p50 / p90) on all target days and on event days.
Layouts:

- ``flag``: one channel for all events (``any_event``), the layout before per-event channels;
- ``per_event``: one channel per configured event (``model.config.with_events``);
- ``none``: no event configured; ``none_no_season`` also without the category's last-year
  seasonal index (what that index gives a shop without events);
- ``direction`` / ``per_event_direction``: one channel per event direction (up / down, as the
  settings would give them), alone or next to the per-event channels.

The events are the generated shop's own, read from the settings.yaml it writes (the code
defaults configure no event). ``--days 850`` puts November and December of the second year in
the validation block (with the default 745 days it covers August and September, where the sample
shop has no event). The launch curve is off (it forecasts young products and
does not read events) to keep each fit short.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import replace as dc_replace
from datetime import date
from pathlib import Path

import numpy as np

from inventory_pipeline.forecast_shape import PUBLISHED_LEVELS, level_index
from inventory_pipeline.metrics import weighted_quantile_loss
from inventory_pipeline.model import EmbeddingCache, ModelConfig
from inventory_pipeline.model.config import ANY_EVENT_CHANNEL, replace, with_events
from inventory_pipeline.model.data import ForecastSamples
from inventory_pipeline.training import (
    TrainingConfig,
    WindowSplits,
    build_splits,
    plan_origins,
    read_demand,
)
from inventory_pipeline.training.fit import fit
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import Windows

sys.path.insert(0, str(Path(__file__).parent))
from retrain import Timer, build_shop, shop_feature_config

# Direction channels: 1 on a day of any event of that direction (the settings' `direction:`).
DIRECTION_CHANNELS = {"events_up": "up", "events_down": "down"}


def layouts(base: ModelConfig, names: list[str]) -> dict[str, ModelConfig]:
    """Candidate layouts, all from the same base."""
    flag = replace(
        base,
        history_covariates=base.history_covariates + (ANY_EVENT_CHANNEL,),
        future_covariates=base.future_covariates + (ANY_EVENT_CHANNEL,),
    )
    per_event = with_events(base, names)

    return {
        "flag": flag,
        "per_event": per_event,
        "none": base,
        "none_no_season": replace(
            base,
            future_covariates=tuple(
                c for c in base.future_covariates if not c.startswith("category_season")
            ),
        ),
        "direction": replace(
            base,
            history_covariates=base.history_covariates + tuple(DIRECTION_CHANNELS),
            future_covariates=base.future_covariates + tuple(DIRECTION_CHANNELS),
        ),
        "per_event_direction": replace(
            per_event,
            history_covariates=per_event.history_covariates + tuple(DIRECTION_CHANNELS),
            future_covariates=per_event.future_covariates + tuple(DIRECTION_CHANNELS),
        ),
        "per_event_flag": replace(
            per_event,
            history_covariates=per_event.history_covariates + (ANY_EVENT_CHANNEL,),
            future_covariates=per_event.future_covariates + (ANY_EVENT_CHANNEL,),
        ),
    }


def union_layout(candidates: dict[str, ModelConfig]) -> ModelConfig:
    """One layout holding every channel of every candidate (windows are built once); the
    direction channels are derived from the per-event ones (:func:`project`)."""
    first = next(iter(candidates.values()))
    hist = tuple(
        dict.fromkeys(
            c
            for m in candidates.values()
            for c in m.history_covariates
            if c not in DIRECTION_CHANNELS
        )
    )
    fut = tuple(
        dict.fromkeys(
            c
            for m in candidates.values()
            for c in m.future_covariates
            if c not in DIRECTION_CHANNELS
        )
    )
    return replace(first, history_covariates=hist, future_covariates=fut)


def project(
    windows: Windows, union: ModelConfig, layout: ModelConfig, directions: dict[str, str]
) -> Windows:
    """The windows with only ``layout``'s channels, in its order."""
    s = windows.samples

    def pick(values: np.ndarray, have: tuple[str, ...], want: tuple[str, ...]) -> np.ndarray:
        out = []
        for c in want:
            if c in DIRECTION_CHANNELS:
                parts = [
                    values[..., have.index(f"event_{name}")]
                    for name, d in directions.items()
                    if d == DIRECTION_CHANNELS[c]
                ]
                out.append(np.max(np.stack(parts, -1), -1) if parts else values[..., 0] * 0)
            else:
                out.append(values[..., have.index(c)])
        return np.ascontiguousarray(np.stack(out, -1))

    samples = dc_replace(
        s,
        history_covariates=pick(
            s.history_covariates, union.history_covariates, layout.history_covariates
        ),
        future_covariates=pick(
            s.future_covariates, union.future_covariates, layout.future_covariates
        ),
    )
    return Windows(samples=samples, skus=windows.skus, origins=windows.origins)


def daily_wql(
    forecast: np.ndarray, samples: ForecastSamples, config: ModelConfig, days: np.ndarray | None
) -> float:
    """Daily WQL at p10 / p50 / p90 on the usable target days (``days``: (N, H) extra mask)."""
    assert samples.target_units is not None and samples.target_censored is not None
    levels = PUBLISHED_LEVELS
    index = [level_index(config.quantiles, q) for q in levels]
    mask = 1.0 - samples.target_censored
    if days is not None:
        mask = mask * days
    return weighted_quantile_loss(samples.target_units, forecast[..., index], levels, mask)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="shop + windows kept here")
    parser.add_argument("--skus", type=int, default=150)
    parser.add_argument("--days", type=int, default=850)
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", default="default", help="sample shop profile")
    parser.add_argument("--model-seed", type=int, default=None)
    parser.add_argument("--variants", default="flag,per_event,none")
    parser.add_argument("--out", type=Path, default=None, help="append JSON lines here")
    args = parser.parse_args()

    root: Path = args.workdir
    timer = Timer()
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not (root / "warehouse").exists():
        build_shop(root, args.profile, args.seed, args, timer)
    warehouse = Warehouse(root / "warehouse")
    cfg = TrainingConfig()
    overrides = {"launch_curve": False}
    if args.model_seed is not None:
        overrides["seed"] = args.model_seed
    base = cfg.model_config(**overrides)
    features = shop_feature_config(root / "settings.yaml")
    names = [e.name for e in features.events]
    directions = {e.name: e.direction for e in features.events}
    print(f"events {directions}")
    candidates = layouts(base, names)
    union = union_layout(candidates)
    channels = json.dumps([union.history_covariates, union.future_covariates])
    folder = root / f"windows_{hashlib.sha256(channels.encode()).hexdigest()[:12]}"
    if (folder / "train.npz").exists():
        splits = WindowSplits.load(folder, union)
    else:
        plan = plan_origins(warehouse, cfg, union.horizon_days)
        print(f"plan {json.dumps(plan.to_dict())}")
        splits = timer.run(
            "windows",
            lambda: build_splits(
                warehouse, plan, union, read_demand(warehouse), feature_config=features
            ),
        )
        splits.save(folder, union)
    print(f"samples {splits.summary()}")
    assert splits.validation is not None
    val = splits.validation
    any_event = val.samples.future_covariates[..., union.future_covariates.index(ANY_EVENT_CHANNEL)]
    print(
        f"validation origins {sorted(set(val.origins))}; event target days "
        f"{int((any_event[:1] > 0).sum())} of {any_event.shape[1]} at the first origin"
    )
    cache = EmbeddingCache(root / "embeddings")
    for name in args.variants.split(","):
        layout = candidates[name]
        started = time.perf_counter()
        forecaster, history = fit(
            project(splits.train, union, layout, directions),
            project(val, union, layout, directions),
            layout,
            embedding_cache=cache,
        )
        projected = project(val, union, layout, directions).samples
        daily = forecaster.predict(projected).daily
        row = {
            "variant": name,
            "best_val_loss": history.best_val_loss,
            "best_epoch": history.best_epoch,
            "epochs": len(history.epochs),
            "val_wql": daily_wql(daily, projected, layout, None),
            "val_wql_event_days": daily_wql(daily, projected, layout, any_event),
            "val_wql_other_days": daily_wql(daily, projected, layout, 1.0 - any_event),
            "seconds": time.perf_counter() - started,
            "seed": layout.seed,
            "skus": args.skus,
            "days": args.days,
            "at": date.today().isoformat(),
        }
        print(json.dumps(row), flush=True)
        if args.out is not None:
            with args.out.open("a") as out:
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
