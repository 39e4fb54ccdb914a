"""Retraining on sample shops, end to end: time per step, peak memory, backtest table per profile.

Usage::

    .venv/bin/python benchmarks/retrain.py          # default shop, ~12 min on 2 busy cores
    .venv/bin/python benchmarks/retrain.py --no-ablation --out benchmarks/out/retrain
    .venv/bin/python benchmarks/retrain.py --profiles all --seeds 3 --no-ablation --out DIR
    .venv/bin/python benchmarks/retrain.py --profiles default,marketplace --skus 120 --days 500
    .venv/bin/python benchmarks/retrain.py --skus 10000 --no-ablation --workdir DIR --prepare-only
    .venv/bin/python benchmarks/retrain.py --skus 10000 --no-ablation --workdir DIR --reuse
    .venv/bin/python benchmarks/retrain.py --profiles all --seeds 2 --skus 150 --no-ablation \
        --variant no_after_discount --save-models --workdir DIR --out DIR/report

For each profile (``inventory-pipeline sample-shop --profile``) and seed (``--seed``,
``--seed + 1``, ...; the seed varies the shop and the model), generates the shop (defaults: 300
SKUs x 745 days from 2024-01-01) into a temporary folder with its settings.yaml, ingests it,
builds the feature tables with the shop's events, then runs the retraining steps of
``inventory_pipeline.training``: plan -> windows -> fit -> backtest (model, seasonal naive,
AutoETS, LightGBM, oracle) -> text ablation. Prints wall and CPU seconds per step, seconds per
epoch, the windows' progress, the backtest's phases, the peak RSS of this process and the load
average (other jobs on the machine inflate every wall figure, hardly the CPU ones), the
backtest table per segment with the share of the baseline-to-oracle WQL gap closed, and at the
end one table across runs: per profile and segment the model's, the best baseline's and the
oracle's WQL and the gap closed, as mean and min..max over the seeds. The script only
reports: every setting comes from the shop's settings file and the training config. ``--out``
gets one ``summary.json`` per invocation: processes run side by side need an ``--out`` each
(each run's ``backtest/headline.json`` holds its figures too).

"Retraining" (the weekly job's cost) = plan + windows + backtest inputs + fit + backtest; the
ablation and the shop set-up are reported separately.

``--variant NAME`` fits a second model per shop whose config differs only by the named change
(``VARIANTS``), on windows built for it over the same origins and SKUs, and scores it on the same
backtest cells as method ``model+NAME``; the report gives both models' best validation loss (the
figure a design decision is taken on) next to their backtest table. ``--save-models`` keeps each
fitted model and the plan in the shop's folder (``model``, ``model_<variant>``, ``plan.json``),
for ``benchmarks/whatif.py --workdir <shop folder> --model <shop folder>/model_<variant>``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import yaml

from inventory_pipeline import contract
from inventory_pipeline.features.build import build_all
from inventory_pipeline.features.calendar import EventRule
from inventory_pipeline.features.config import DEFAULT_CONFIG, FeatureConfig
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.model import DemandForecaster
from inventory_pipeline.model.config import (
    AFTER_DISCOUNT_CHANNELS,
    REVIEW_CHANGE_CHANNEL,
    ModelConfig,
    with_events,
    with_promotions,
)
from inventory_pipeline.model.train import fit_gated_launch_curve
from inventory_pipeline.sampleshop import PROFILES, generate_shop
from inventory_pipeline.sampleshop.config import ShopConfig
from inventory_pipeline.sampleshop.profiles import get_profile
from inventory_pipeline.sampleshop.stats import shop_stats
from inventory_pipeline.scoring.accuracy import BacktestResult
from inventory_pipeline.training import (
    MODEL,
    TrainingConfig,
    backtest_inputs,
    build_splits,
    plan_origins,
    read_demand,
    save_report_plots,
    text_ablation,
)
from inventory_pipeline.training.ablation import TEXT_ABLATION
from inventory_pipeline.training.backtest import add_forecaster, backtest
from inventory_pipeline.training.fit import fit
from inventory_pipeline.training.retrain import promotion_vocabulary
from inventory_pipeline.training.windows_io import WindowSplits
from inventory_pipeline.warehouse import Warehouse

T = TypeVar("T")
RETRAIN_STEPS: tuple[str, ...] = ("plan", "windows", "backtest inputs", "fit", "backtest")
VARIANTS: dict[str, Callable[[ModelConfig], ModelConfig]] = {  # --variant: one change each
    "after_discount": lambda c: replace(
        c,
        future_covariates=c.future_covariates
        + tuple(ch for ch in AFTER_DISCOUNT_CHANNELS if ch not in c.future_covariates),
    ),
    "reviews_first": lambda c: replace(c, document_layout="reviews_first"),
    "reviews_apart": lambda c: replace(c, document_layout="reviews_apart"),
    "review_change": lambda c: replace(
        c, history_covariates=c.history_covariates + (REVIEW_CHANGE_CHANNEL,)
    ),
    "no_after_discount": lambda c: replace(
        c,
        future_covariates=tuple(
            ch for ch in c.future_covariates if ch not in AFTER_DISCOUNT_CHANNELS
        ),
    ),
    "launch_day_effects": lambda c: replace(c, launch_day_effects=True),
    "no_launch_day_effects": lambda c: replace(c, launch_day_effects=False),
    "launch_blend": lambda c: replace(c, launch_network_share=0.5),
    # the promotion channels of the types the run chose (run_one fills them in)
    "promotion_channels": lambda c: c,
    "no_promotion_channels": lambda c: with_promotions(c, None),
}
# Variants that change only the launch curve: the fitted network is kept, the curve is refitted
# and gated again against it (same validation forecasts), so the comparison is the curve's alone.
LAUNCH_VARIANTS = ("launch_day_effects", "no_launch_day_effects", "launch_blend")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children so far (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Timer:
    """Wall and CPU seconds per named step, printed as they finish. On a machine shared with
    other jobs the wall time inflates with the load; the CPU time (nearly all single-threaded)
    is close to what the step takes on an idle machine."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start, cpu = time.perf_counter(), cpu_seconds()
        yield
        self.seconds[name] = time.perf_counter() - start
        self.cpu[name] = cpu_seconds() - cpu
        print(
            f"  {name:<16} {self.seconds[name]:>8.1f} s  (CPU {self.cpu[name]:>8.1f} s)   "
            f"peak RSS {peak_rss_mb():>6.0f} MB   load {os.getloadavg()[0]:.1f}"
        )

    def run(self, name: str, work: Callable[[], T]) -> T:
        with self.step(name):
            return work()


def events_from_settings_yaml(path: Path) -> tuple[EventRule, ...]:
    """The `events:` of a settings file as EventRules, for a tree without the settings loader."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rules = []
    for e in doc.get("events") or []:
        fields: dict[str, Any] = {
            k: e[k] for k in ("month", "day", "nth", "length_days", "offset_days") if k in e
        }
        if "weekday" in e:
            fields["weekday"] = WEEKDAYS.index(e["weekday"])
        rules.append(EventRule(e["name"], e["rule"], **fields))
    return tuple(rules)


def shop_feature_config(settings_file: Path) -> FeatureConfig:
    """The FeatureConfig the shop's settings file gives (its events)."""
    try:
        from inventory_pipeline.settings import load_settings  # type: ignore[import-not-found]
    except ImportError:
        return replace(DEFAULT_CONFIG, events=events_from_settings_yaml(settings_file))
    return load_settings(settings_file).feature_config()  # type: ignore[no-any-return]


def shop_horizon(root: Path, warehouse: Warehouse, given: str) -> int | None:
    """The horizon to train with: ``given`` days, or with ``auto`` the one a retraining run of
    this shop picks (its settings and catalog); None where the code predates that choice."""
    if given != "auto":
        return int(given)
    try:
        from inventory_pipeline.settings import load_settings  # type: ignore[import-not-found]
        from inventory_pipeline.training.retrain import (  # type: ignore[attr-defined]
            run_horizon,
        )
    except ImportError:
        return None
    return run_horizon(warehouse, load_settings(root / "settings.yaml"), None)  # type: ignore[no-any-return]


def with_features(work: Callable[..., T], feature_config: FeatureConfig) -> Callable[..., T]:
    """`work` given the shop's FeatureConfig when its signature takes one (`feature_config`)."""
    if "feature_config" in inspect.signature(work).parameters:
        return lambda *a, **kw: work(*a, feature_config=feature_config, **kw)
    print(f"    note: {work.__name__} takes no feature_config; it reads the default events")
    return work


def shop_config(profile: str, args: argparse.Namespace) -> ShopConfig | None:
    """The profile's generator settings with ``--incident-share`` applied (None: as they are)."""
    if args.incident_share is None:
        return None
    return replace(get_profile(profile).config, incident_share=args.incident_share)


def build_shop(
    root: Path, profile: str, seed: int, args: argparse.Namespace, timer: Timer
) -> tuple[Warehouse, FeatureConfig]:
    """Landing zone + truth + settings, raw tables, feature tables (with the shop's events).

    With ``--reuse``, a shop this script built before in the same folder (``READY`` marker) is
    read as it is: generating and ingesting 10,000 SKUs takes longer than retraining them.
    """
    settings_file = root / "settings.yaml"
    ready = root / "READY"
    if args.reuse and ready.is_file():
        print(f"    reusing the shop in {root}")
        return Warehouse(root / "warehouse"), shop_feature_config(settings_file)
    ready.unlink(missing_ok=True)
    timer.run(
        "generate shop",
        lambda: generate_shop(
            root / "landing",
            root / "truth",
            skus=args.skus,
            days=args.days,
            start=date.fromisoformat(args.start),
            seed=seed,
            progress=False,
            profile=profile,
            config=shop_config(profile, args),
            settings_out=settings_file,
            overwrite=True,
        ),
    )
    feature_config = shop_feature_config(settings_file)
    print(f"    events {[e.name for e in feature_config.events]}")
    warehouse = Warehouse(root / "warehouse")
    with timer.step("ingest"):
        for table in contract.TABLES.values():  # products first: the others check SKUs
            days = landing_dates(root / "landing", table.name)
            ingest_days(root / "landing", warehouse, table, days)
    timer.run("features", lambda: build_all(warehouse, feature_config))
    ready.write_text("generated, ingested and featurised by benchmarks/retrain.py\n")
    return warehouse, feature_config


def backtest_phases(stages: dict[str, float], total: float) -> dict[str, float]:
    """Seconds per backtest phase from the time each baseline stage ended (``stages``, in
    order): the first stage includes the cells and the model's forecasts before it, the last
    entry is the LightGBM join, the oracle and the scoring."""
    phases: dict[str, float] = {}
    previous = 0.0
    for i, (stage, end) in enumerate(stages.items()):
        phases[f"cells + model + {stage}" if i == 0 else stage] = round(end - previous, 1)
        previous = end
    phases["lightgbm join + oracle + scoring"] = round(total - previous, 1)
    return phases


def gap_rows(result: BacktestResult) -> list[dict[str, Any]]:
    """The model's row per segment: its WQL, the best baseline's, the oracle's, gap closed."""
    rows = result.gap.filter(result.gap["method"] == MODEL)
    metrics = result.metrics.filter(result.metrics["method"] == MODEL)
    cells = dict(zip(metrics["segment"], metrics["cells"], strict=True))
    return [
        {
            "segment": r["segment"],
            "cells": int(cells.get(r["segment"], 0)),
            "best_baseline": r["best_baseline"],
            "wql_model": r["wql_method"],
            "wql_best_baseline": r["wql_best_baseline"],
            "wql_oracle": r["wql_oracle"],
            "gap_closed": r["gap_closed"],
        }
        for r in rows.iter_rows(named=True)
    ]


def run_one(profile: str, seed: int, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Generate, ingest, build features, retrain and backtest one shop; its figures."""
    overrides: dict[str, Any] = {"seed": seed}
    if args.threads is not None:
        overrides["num_threads"] = args.threads
    if args.epochs is not None:
        overrides["max_epochs"] = args.epochs
    cfg = TrainingConfig()
    model_config = cfg.model_config(**overrides)
    timer = Timer()
    print(f"\n=== profile {profile}, seed {seed}: {args.skus} SKUs x {args.days} days in {root}")
    warehouse, feature_config = build_shop(root, profile, seed, args, timer)
    if args.prepare_only:
        return {"profile": profile, "seed": seed, "seconds": timer.seconds}
    horizon = shop_horizon(root, warehouse, args.horizon)
    if horizon is not None:
        model_config = cfg.model_config(**overrides, horizon_days=horizon)
    print(f"    horizon {model_config.horizon_days} days")
    model_config = with_events(model_config, [e.name for e in feature_config.events])
    stats = shop_stats(root / "truth")
    print(f"    shop {json.dumps(stats, default=str)}")

    print("retraining")
    plan = timer.run("plan", lambda: plan_origins(warehouse, cfg, model_config.horizon_days))
    promotion_types = promotion_vocabulary(warehouse, plan, cfg)  # as the pipeline's run does
    if cfg.promotion_channels:
        plan = replace(plan, promotion_types=promotion_types)
        model_config = with_promotions(model_config, promotion_types)
    print(f"    {json.dumps(plan.to_dict())}")
    print(f"    promotion types (>= {cfg.promo_type_min_days} days): {list(promotion_types)}")
    demand = read_demand(warehouse)
    windows_start = time.perf_counter()

    def origin_line(i: int, n: int, origin: date) -> None:
        if i % 10 == 0 or i == n:
            seconds = time.perf_counter() - windows_start
            print(f"    windows {i:>3}/{n} as of {origin}  {seconds:7.1f} s")

    splits = timer.run(
        "windows",
        lambda: with_features(build_splits, feature_config)(
            warehouse, plan, model_config, demand, on_origin=origin_line, cfg=cfg
        ),
    )
    print(f"    samples {splits.summary()}")
    inputs = timer.run(
        "backtest inputs",
        lambda: with_features(backtest_inputs, feature_config)(
            warehouse, plan, cfg, root / "truth", demand
        ),
    )
    print(f"    of which the LightGBM peer {inputs.lightgbm_seconds:.1f} s")

    def epoch_line(epoch: int, train: float, val: float | None, seconds: float) -> None:
        print(f"    epoch {epoch:>2}  train {train:.4f}  val {val:.4f}  {seconds:5.1f} s")

    forecaster, history = timer.run(
        "fit",
        lambda: fit(splits.train, splits.validation, model_config, on_epoch_end=epoch_line),
    )
    print(f"    best epoch {history.best_epoch} of {len(history.epochs)}")
    if history.launch_curve is not None:
        used = "used" if forecaster.launch_curve is not None else "not used"
        print(f"    launch curve ({used}) {history.launch_curve}")
        print(f"    launch curve fitted in {history.launch_fit_seconds:.2f} s")
    stages: dict[str, float] = {}  # stage -> seconds since the backtest started, at its end
    backtest_start = time.perf_counter()

    def on_progress(stage: str, i: int, n: int) -> None:
        stages[stage] = time.perf_counter() - backtest_start

    result = timer.run(
        "backtest",
        lambda: backtest(forecaster, splits.backtest, inputs, cfg, on_progress=on_progress),
    )
    phases = backtest_phases(stages, timer.seconds["backtest"])
    print(f"    backtest phases (s) {json.dumps(phases)}")
    retrain = sum(timer.seconds[s] for s in RETRAIN_STEPS)
    retrain_cpu = sum(timer.cpu[s] for s in RETRAIN_STEPS)
    print(
        f"  retraining total {retrain:>8.1f} s ({retrain / 60:.1f} min; CPU {retrain_cpu / 60:.1f}"
        f" min), peak RSS {peak_rss_mb():.0f} MB"
    )

    validation_loss = {MODEL: history.best_val_loss}
    if args.save_models:
        (root / "plan.json").write_text(json.dumps(plan.to_dict()))
        forecaster.save(root / "model")
    if args.variant in LAUNCH_VARIANTS:
        name = f"{MODEL}+{args.variant}"
        variant = timer.run(
            "variant fit",
            lambda: refit_launch_curve(forecaster, splits, VARIANTS[args.variant](model_config)),
        )
        validation_loss[name] = history.best_val_loss  # the same network
        result = timer.run(
            "variant backtest",
            lambda: add_forecaster(result, variant, splits.backtest, name),
        )
    elif args.variant is not None:
        name = f"{MODEL}+{args.variant}"
        variant_config = VARIANTS[args.variant](model_config)
        if args.variant == "promotion_channels":
            variant_config = with_promotions(model_config, promotion_types)
        print(f"variant {args.variant}: future {list(variant_config.future_covariates)}")
        variant_splits = timer.run(
            "variant windows",
            lambda: with_features(build_splits, feature_config)(
                warehouse, plan, variant_config, demand, on_origin=origin_line, cfg=cfg
            ),
        )
        variant, variant_history = timer.run(
            "variant fit",
            lambda: fit(
                variant_splits.train,
                variant_splits.validation,
                variant_config,
                on_epoch_end=epoch_line,
            ),
        )
        validation_loss[name] = variant_history.best_val_loss
        print(f"    best epoch {variant_history.best_epoch} of {len(variant_history.epochs)}")
        result = timer.run(
            "variant backtest",
            lambda: add_forecaster(result, variant, variant_splits.backtest, name),
        )
        if args.save_models:
            variant.save(root / f"model_{args.variant}")
    print(f"    best validation loss {json.dumps(validation_loss)}")

    if args.ablation == "text":
        print("text ablation")
        ablation = timer.run(
            "ablation",
            lambda: text_ablation(
                splits.train,
                splits.validation,
                splits.backtest,
                result,
                model_config,
                on_epoch_end=epoch_line,
                launch_curve=forecaster.launch_curve,
                text_prior=forecaster.text_prior,
            ),
        )
        result = ablation.result

    epochs = [r.seconds for r in history.epochs]
    print(f"\nseconds per epoch: mean {sum(epochs) / len(epochs):.1f}, max {max(epochs):.1f}")
    print(f"peak RSS: {peak_rss_mb():.0f} MB\n")
    print(result.table())
    if args.out is not None:
        out = args.out / f"{profile}-seed{seed}"
        result.save(out / "backtest")
        save_report_plots(out / "plots", result, inputs.history, history)
        (out / "table.txt").write_text(result.table() + "\n")
    return {
        "profile": profile,
        "seed": seed,
        "shop": stats,
        "events": [e.name for e in feature_config.events],
        "seconds": timer.seconds,
        "retraining_seconds": retrain,
        "cpu_seconds": timer.cpu,
        "retraining_cpu_seconds": retrain_cpu,
        "lightgbm_seconds": inputs.lightgbm_seconds,
        "backtest_phases": phases,
        "launch_fit_seconds": history.launch_fit_seconds,
        "peak_rss_mb": peak_rss_mb(),
        "load_average": os.getloadavg(),
        "epoch_seconds": epochs,
        "plan": plan.to_dict(),
        "samples": splits.summary(),
        "model_config": model_config.to_dict(),
        "headline": result.headline(),
        "segments": gap_rows(result),
        "validation_loss": validation_loss,
        "methods": method_rows(result),
    }


def refit_launch_curve(
    forecaster: DemandForecaster, splits: WindowSplits, config: ModelConfig
) -> DemandForecaster:
    """``forecaster``'s network with a launch curve fitted under ``config`` and gated against
    that network on the validation launches, as training does."""
    network_only = DemandForecaster(forecaster.config, forecaster.network, forecaster.featurizer)
    validation = None if splits.validation is None else splits.validation.samples
    curve, prior, _ = fit_gated_launch_curve(network_only, splits.train.samples, validation, config)
    used = curve is not None and curve.used
    if curve is not None:
        print(f"    variant launch curve ({'used' if used else 'not used'}) {curve.reason}")
    return DemandForecaster(
        config,
        forecaster.network,
        forecaster.featurizer,
        launch_curve=curve if used else None,
        cover_recalibration=forecaster.cover_recalibration,
        text_prior=prior if used and prior.kind != "none" else None,
    )


def method_rows(result: BacktestResult) -> list[dict[str, Any]]:
    """Every method's WQL per segment (the variant and the ablation next to the model)."""
    return [
        {"method": r["method"], "segment": r["segment"], "wql": r["wql"], "cells": r["cells"]}
        for r in result.metrics.iter_rows(named=True)
    ]


def change_table(
    runs: list[dict[str, Any]], base: str, other: str, with_validation: bool = True
) -> str:
    """Per run: the best validation loss (``with_validation``) and backtest WQL per segment of
    two methods, and ``other``'s change against ``base`` (negative = ``other`` is better), then
    the mean change per profile and over every run. Segments without a scored cell are left out."""
    lines = [f"{'run':<22}{'segment':<28}{base:>15}{other:>26}{'change':>9}"]
    changes: dict[tuple[str, str], list[float]] = {}
    for r in runs:
        label = f"{r['profile']}-seed{r['seed']}"
        rows = []
        if with_validation:
            rows.append(
                ("validation loss", r["validation_loss"][base], r["validation_loss"][other])
            )
        wql = {(m["method"], m["segment"]): m["wql"] for m in r["methods"]}
        for segment in dict.fromkeys(m["segment"] for m in r["methods"]):
            if (base, segment) in wql and (other, segment) in wql:
                rows.append((f"backtest {segment}", wql[base, segment], wql[other, segment]))
        for segment, a, b in rows:
            if not (np.isfinite(a) and np.isfinite(b) and a):
                continue  # no scored cell (no incident in this shop's backtest block)
            change = (b - a) / a
            for group in (r["profile"], "all runs"):
                changes.setdefault((group, segment), []).append(change)
            lines.append(f"{label:<22}{segment:<28}{a:>15.4f}{b:>26.4f}{change:>+9.1%}")
    lines.append("")
    lines.append(f"{'profile':<22}{'segment':<28}mean change (min..max) over runs")
    for (profile, segment), values in sorted(
        changes.items(), key=lambda kv: kv[0][0] == "all runs"
    ):
        v = np.array(values)
        lines.append(
            f"{profile:<22}{segment:<28}{v.mean():+.1%} ({v.min():+.1%}..{v.max():+.1%}, {len(v)})"
        )
    return "\n".join(lines)


def variant_table(runs: list[dict[str, Any]], variant: str) -> str:
    """Both models' best validation loss and backtest WQL per segment and the variant's change."""
    return change_table(runs, MODEL, f"{MODEL}+{variant}")


def ablation_table(runs: list[dict[str, Any]]) -> str:
    """Backtest WQL per segment with the text tower (the model) and without it (the ablation,
    same cells): a negative change means the model is better with its text."""
    return change_table(runs, TEXT_ABLATION, MODEL, with_validation=False)


def across_seeds(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per profile and segment: mean, min and max over the seeds of each figure (segments
    without a scored cell in any run are left out)."""
    out = []
    profiles = list(dict.fromkeys(r["profile"] for r in runs))
    for profile in profiles:
        mine = [r for r in runs if r["profile"] == profile]
        segments = list(dict.fromkeys(s["segment"] for r in mine for s in r["segments"]))
        for segment in segments:
            rows = [s for r in mine for s in r["segments"] if s["segment"] == segment]
            if not any(s["cells"] for s in rows):
                continue  # e.g. no incident in these shops
            entry: dict[str, Any] = {"profile": profile, "segment": segment, "seeds": len(rows)}
            for key in ("wql_model", "wql_best_baseline", "wql_oracle", "gap_closed"):
                values = np.array([r[key] for r in rows], dtype=float)
                finite = values[np.isfinite(values)]
                entry[key] = {
                    "mean": float(finite.mean()) if len(finite) else float("nan"),
                    "min": float(finite.min()) if len(finite) else float("nan"),
                    "max": float(finite.max()) if len(finite) else float("nan"),
                }
            entry["best_baselines"] = sorted({r["best_baseline"] for r in rows})
            out.append(entry)
    return out


def table_across(rows: list[dict[str, Any]]) -> str:
    """The cross-run table: mean (min..max) per profile and segment."""

    def cell(v: dict[str, float]) -> str:
        return f"{v['mean']:.3f} ({v['min']:.3f}..{v['max']:.3f})"

    width = 26
    heads = ("model WQL", "best baseline WQL", "oracle WQL", "gap closed")
    lines = [
        f"{'profile':<13}{'segment':<15}{'n':>2}  "
        + "".join(f"{h:<{width}}" for h in heads)
        + "best baseline"
    ]
    for r in rows:
        lines.append(
            f"{r['profile']:<13}{r['segment']:<15}{r['seeds']:>2}  {cell(r['wql_model']):<{width}}"
            f"{cell(r['wql_best_baseline']):<{width}}{cell(r['wql_oracle']):<{width}}"
            f"{cell(r['gap_closed']):<{width}}{', '.join(r['best_baselines'])}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profiles", default="default", help=f"comma-separated, or all ({', '.join(PROFILES)})"
    )
    parser.add_argument("--seeds", type=int, default=1, help="seeds per profile: --seed, +1, ...")
    parser.add_argument("--skus", type=int, default=300, help="SKUs of every shop")
    parser.add_argument("--days", type=int, default=745, help="days of every shop")
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument(
        "--incident-share", type=float, default=None,
        help="share of SKUs with a quality incident (default: the profile's, 0.03), for shops "
        "with enough incidents to measure the incident segments on",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7, help="first seed (shop and model)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: config)")
    parser.add_argument("--epochs", type=int, default=None, help="max_epochs (default: config)")
    parser.add_argument(
        "--ablation", choices=("text", "none"), default="text",
        help="text (default): also fit the same model without its text tower and score it on "
        "the same cells (method text_ablation); none: skip it",
    )  # fmt: skip
    parser.add_argument(
        "--no-ablation", dest="ablation", action="store_const", const="none",
        help="the same as --ablation none",
    )  # fmt: skip
    parser.add_argument(
        "--horizon", default="auto",
        help="days the model forecasts, or auto: the horizon a retraining run of the shop picks "
        "from its settings (28 unless they state a horizon or auto)",
    )  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=None, help="keep the shops here")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse a shop already built in --workdir"
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="build the shops (in --workdir) and stop"
    )
    parser.add_argument("--out", type=Path, default=None, help="write reports, plots, JSON here")
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        default=None,
        help="also fit the model with this one change and score both on the same cells",
    )
    parser.add_argument(
        "--save-models",
        action="store_true",
        help="keep the fitted models and plan.json in each shop's folder (with --workdir)",
    )
    args = parser.parse_args()

    profiles = list(PROFILES) if args.profiles == "all" else args.profiles.split(",")
    unknown = [p for p in profiles if p not in PROFILES]
    if unknown or args.seeds < 1:
        parser.error(f"--profiles: unknown {unknown}; use all or some of {', '.join(PROFILES)}"
                     if unknown else "--seeds must be >= 1")  # fmt: skip
    if args.save_models and args.workdir is None:
        parser.error("--save-models keeps the models in each shop's folder: give --workdir")
    seeds = [args.seed + k for k in range(args.seeds)]
    print(f"load average before (1/5/15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    cfg = TrainingConfig()
    model = cfg.model_config().to_dict()
    print(f"model: {json.dumps(model, sort_keys=True)}")

    runs = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="retrain-bench-") as tmp:
        base = args.workdir or Path(tmp)
        for profile in profiles:
            for seed in seeds:
                runs.append(run_one(profile, seed, base / f"{profile}-seed{seed}", args))
    total = time.perf_counter() - started
    if args.prepare_only:
        print(f"\nshops built in {total / 60:.1f} min under {base}")
        return
    across = across_seeds(runs)
    print(f"\n{len(runs)} runs in {total / 60:.1f} min; peak RSS {peak_rss_mb():.0f} MB")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print(table_across(across))
    if args.variant is not None:
        print(f"\nvariant {args.variant}\n{variant_table(runs, args.variant)}")
    if args.ablation == "text":
        print(f"\ntext ablation: with text (model) against without\n{ablation_table(runs)}")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        doc = {
            "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "seconds": total,
            "peak_rss_mb": peak_rss_mb(),
            "across_seeds": across,
            "runs": runs,
        }
        (args.out / "summary.json").write_text(json.dumps(doc, indent=2, sort_keys=True))
        (args.out / "table.txt").write_text(table_across(across) + "\n")
        if args.variant is not None:
            (args.out / "variant.txt").write_text(variant_table(runs, args.variant) + "\n")
        if args.ablation == "text":
            (args.out / "ablation.txt").write_text(ablation_table(runs) + "\n")
        print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
