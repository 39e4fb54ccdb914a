"""Nightly forecast + reorder plan at scale, side by side with statsforecast AutoETS.

Measures what the ``sku_forecasts`` and ``reorder_plan`` assets do for one export day D, with the
same library calls: load ``models:/demand_model@champion``, ``forecasting.forecast_day``, write the
forecasts partition, ``forecasting.load_day_forecast``, ``forecasting.plan_day`` and write the plan.
Two nights run back to back: D with an empty embedding cache (the first night after a new encoder:
every product document is encoded) and D + 1 with the cache D left behind (the steady state: only
documents that changed that day are encoded). AutoETS (``baselines.baseline_forecast``, weekly
season, same horizon) is then fitted and forecast on the same SKUs, from their history as known on
D + 1, and reported as a ratio.

    .venv/bin/python benchmarks/nightly.py                        # 10,000 SKUs
    .venv/bin/python benchmarks/nightly.py --skus 100000
    .venv/bin/python benchmarks/nightly.py --reuse             # keep the prepared warehouse + model
    .venv/bin/python benchmarks/nightly.py --profile           # cProfile each night (top functions)
    .venv/bin/python benchmarks/nightly.py --skus 100000 --ets-skus 10000   # AutoETS on a sample

With ``--ets-skus N`` AutoETS is fitted on a fixed-seed random sample of N of the night's SKUs and
its time is extrapolated linearly to all of them; the table says so and gives both figures.

Preparation (excluded from the nightly figures, reported separately):

1. a raw-layout shop written straight into the warehouse with the SQL of ``benchmarks/features.py
   --synthetic`` (same per-SKU daily rates as the sample shop: ~1.3 order lines, 0.05 reviews and
   0.008 promotion plans per SKU and day), then ``features.build.build_all``;
2. a small champion: frozen encoder, the pipeline's model settings and quantile levels
   (``TrainingConfig().model_config()``), a couple of epochs on a few hundred windows from two
   origins, logged, registered and promoted with ``inventory_pipeline.tracking`` in a SQLite MLflow
   store under the work folder. The benchmark is about inference speed, not accuracy.

Each night and the AutoETS fit run in their own child process, so each peak RSS
(``getrusage`` max RSS of that process, plus its worker processes for AutoETS) is that phase's
alone and every phase starts with cold Python imports, like a Dagster run process. Load averages
(1/5/15 min) are recorded at the start and end of every phase: the machine is shared, and other
busy processes inflate every figure.

Output: a Markdown table on stdout, JSON in ``benchmarks/out/nightly_<skus>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
BENCHMARKS = Path(__file__).resolve().parent
OUT = BENCHMARKS / "out"
MODEL_NAME = "demand_model"  # MlflowResource.registered_model
EXPERIMENT = "nightly_benchmark"
START = date(2024, 1, 1)
SAMPLE_SHOP_DAYS = 745  # the synthetic SQL's rates are per SKU over this many days
RATES_PER_SKU = {"lines": 1000, "reviews": 35, "promos": 6}  # over SAMPLE_SHOP_DAYS (features.py)
NIGHT_STAGES = (
    "load_champion",
    "forecast_day",
    "write_forecasts",
    "load_day_forecast",
    "plan_day",
    "write_plan",
)


# ----------------------------------------------------------------------------------- helpers


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def peak_rss_mib(children: bool = False) -> float:
    """Max RSS of this process (and, with ``children``, of its largest waited-for child), MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: KiB
    if children:
        own = max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return round(own / 1024, 1)


def timed(results: dict[str, Any], key: str, fn: Callable[[], T]) -> T:
    started = time.perf_counter()
    value = fn()
    results[key] = round(time.perf_counter() - started, 3)
    print(f"  {key}: {results[key]:.2f} s", file=sys.stderr, flush=True)
    return value


def embedding_count(folder: Path) -> int:
    """Documents in an on-disk embedding cache (every shard of every encoder version)."""
    import numpy as np

    total = 0
    for shard in folder.glob("*/*.npz"):
        with np.load(shard, allow_pickle=False) as data:
            total += len(data["keys"])
    return total


# ---------------------------------------------------------------------------------- phases
# Each phase runs in a child process: ``nightly.py --phase NAME --spec JSON --result PATH``.


def phase_prepare(spec: dict[str, Any]) -> dict[str, Any]:
    """Synthetic raw partitions + every feature table."""
    sys.path.insert(0, str(BENCHMARKS))
    from features import SYNTHETIC_SQL, write_raw_tables  # benchmarks/features.py

    from inventory_pipeline.features.build import build_all
    from inventory_pipeline.warehouse import Warehouse

    skus, days = spec["skus"], spec["days"]
    warehouse = Warehouse(Path(spec["warehouse"]))
    shutil.rmtree(warehouse.root, ignore_errors=True)
    # Same shop shape per SKU and day as features.py (which spans 745 days); the period here is
    # shorter, so totals scale with it and discontinuations fall in its second half.
    scale = skus * days / SAMPLE_SHOP_DAYS
    params = {k: max(1, round(v * scale)) for k, v in RATES_PER_SKU.items()}
    params |= {"skus": skus, "days": days, "start": START, "disc_from": min(200, days // 2)}
    sql = dict(SYNTHETIC_SQL)
    fixed = "200 + hash(s, 4) % ($days - 200)"
    if fixed not in sql["products"]:
        raise RuntimeError("benchmarks/features.py changed its products SQL; update nightly.py")
    sql["products"] = sql["products"].replace(
        fixed, "$disc_from + hash(s, 4) % ($days - $disc_from)"
    )
    results: dict[str, Any] = {"load_start": loadavg(), "rows": {}}

    def write_raw() -> None:
        all_days = [START + timedelta(days=i) for i in range(days)]
        results["rows"] = write_raw_tables(warehouse, sql, params, all_days)

    timed(results, "raw_s", write_raw)
    updates = timed(results, "build_all_s", lambda: build_all(warehouse))
    results["feature_rows"] = {name: u.rows for name, u in updates.items()}
    results["peak_rss_mib"] = peak_rss_mib()
    results["load_end"] = loadavg()
    return results


def phase_train(spec: dict[str, Any]) -> dict[str, Any]:
    """A small champion model, logged, registered and promoted as the retrain job does."""
    import mlflow
    import polars as pl

    from inventory_pipeline import tracking
    from inventory_pipeline.features.as_of import features_as_of
    from inventory_pipeline.model.config import ModelConfig
    from inventory_pipeline.model.train import train
    from inventory_pipeline.training.config import TrainingConfig
    from inventory_pipeline.training.windows_io import read_demand
    from inventory_pipeline.warehouse import Warehouse
    from inventory_pipeline.windows import attach_targets, concat, samples_from_features

    warehouse = Warehouse(Path(spec["warehouse"]))
    work = Path(spec["work"])
    results: dict[str, Any] = {"load_start": loadavg()}
    config = TrainingConfig().model_config(
        max_epochs=spec["epochs"], patience=spec["epochs"], horizon_days=spec["horizon"]
    )
    assert config.quantiles == ModelConfig.quantiles and config.finetune == "frozen"
    latest = date.fromisoformat(spec["latest"])
    L, H = config.history_days, config.horizon_days
    step = max(1, spec["skus"] // spec["train_skus"])
    sample = [f"SKU-{s:07d}" for s in range(0, spec["skus"], step)][: spec["train_skus"]]
    origins = [latest - timedelta(days=H + 1 + 7 * k) for k in range(2)]
    if origins[-1] - timedelta(days=L) < START:
        raise ValueError(f"--days {spec['days']} is too short for two training origins")

    def windows():
        demand = read_demand(warehouse).filter(pl.col("sku").is_in(sample))
        parts = []
        for origin in origins:
            fs = features_as_of(warehouse, origin, skus=sample, history_days=L, horizon=H)
            parts.append(attach_targets(samples_from_features(fs, config), demand, H, latest))
        return concat(parts)

    data = timed(results, "windows_s", windows)
    forecaster, history = timed(results, "fit_s", lambda: train(config, data.samples))
    tracking.configure(spec["tracking_uri"], Path(spec["artifacts"]), EXPERIMENT)

    def log_and_promote() -> str:
        with mlflow.start_run(run_name=f"nightly benchmark {latest}") as run:
            example = tracking.samples_to_frame(data.samples.subset([0, 1]), data.skus[:2])
            uri = tracking.log_model(forecaster, work / "candidate_model", example)
            version = tracking.register(uri, MODEL_NAME, tags={"run_id": run.info.run_id})
        tracking.promote(MODEL_NAME, version)
        return version

    results["version"] = timed(results, "log_register_promote_s", log_and_promote)
    results["samples"] = len(data)
    results["epochs"] = len(history.epochs)
    results["quantiles"] = list(config.quantiles)
    results["peak_rss_mib"] = peak_rss_mib()
    results["load_end"] = loadavg()
    return results


def phase_night(spec: dict[str, Any]) -> dict[str, Any]:
    """One night as the assets run it: load champion, forecast, write, reload, plan, write."""
    from inventory_pipeline import forecasting, tracking
    from inventory_pipeline.reorder import ReorderConfig
    from inventory_pipeline.warehouse import Warehouse

    imports_rss = peak_rss_mib()
    warehouse = Warehouse(Path(spec["warehouse"]))
    day = date.fromisoformat(spec["day"])
    results: dict[str, Any] = {"day": spec["day"], "load_start": loadavg(), "rss_after": {}}
    profiler = cProfile.Profile() if spec["profile"] else None
    if profiler is not None:
        profiler.enable()
    started = time.perf_counter()

    def stage(name: str, fn: Callable[[], T]) -> T:
        value = timed(results, name, fn)
        results["rss_after"][name] = peak_rss_mib()
        return value

    def sku_forecasts() -> None:  # the sku_forecasts asset
        tracking.configure(spec["tracking_uri"], Path(spec["artifacts"]), EXPERIMENT)
        forecaster, version = stage(
            "load_champion",
            lambda: tracking.load_champion(
                MODEL_NAME, embedding_cache_dir=warehouse.root / "embeddings"
            ),
        )
        model = forecasting.ModelRef(MODEL_NAME, version)
        forecast = stage(
            "forecast_day", lambda: forecasting.forecast_day(warehouse, forecaster, day, model)
        )
        stage(
            "write_forecasts",
            lambda: warehouse.write_partition(
                forecasting.FORECASTS, {"forecast_date": day}, forecast.rows.to_arrow()
            ),
        )
        results["model_version"] = version
        results["torch_threads"] = forecaster.config.num_threads
        results["skus"], results["forecast_rows"] = len(forecast.skus), forecast.rows.height

    def reorder_plan() -> None:  # the reorder_plan asset (a separate step: reads the forecasts)
        loaded = stage("load_day_forecast", lambda: forecasting.load_day_forecast(warehouse, day))
        plan = stage("plan_day", lambda: forecasting.plan_day(loaded, ReorderConfig()))
        stage(
            "write_plan",
            lambda: warehouse.write_partition(
                forecasting.REORDER_PLAN, {"plan_date": day}, plan.to_arrow()
            ),
        )
        results["plan_rows"], results["orders"] = plan.height, int((plan["order_qty"] > 0).sum())

    sku_forecasts()
    reorder_plan()
    results["total_s"] = round(time.perf_counter() - started, 3)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(spec["profile_path"])
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
        print(text.getvalue(), file=sys.stderr)
    results |= {
        "rss_after_imports_mib": imports_rss,
        "peak_rss_mib": peak_rss_mib(),
        "load_end": loadavg(),
    }
    return results


def phase_ets(spec: dict[str, Any]) -> dict[str, Any]:
    """AutoETS fit + predict on the SKUs forecast that night, from their history as known then."""
    import numpy as np
    import polars as pl

    from inventory_pipeline import forecasting
    from inventory_pipeline.baselines import BaselineConfig, baseline_forecast
    from inventory_pipeline.training.history import origin_history
    from inventory_pipeline.warehouse import Warehouse

    warehouse = Warehouse(Path(spec["warehouse"]))
    day = date.fromisoformat(spec["day"])
    results: dict[str, Any] = {"day": spec["day"], "load_start": loadavg()}
    forecast_skus = (
        pl.read_parquet(
            warehouse.partition_path(forecasting.FORECASTS, {"forecast_date": day}), columns=["sku"]
        )["sku"]
        .unique()
        .sort()
        .to_list()
    )
    skus = forecast_skus
    if spec.get("sample") and spec["sample"] < len(forecast_skus):
        # a fixed-seed random subsample; the fit time is extrapolated linearly to every SKU
        pick = np.random.default_rng(spec["seed"]).choice(
            len(forecast_skus), spec["sample"], replace=False
        )
        skus = [forecast_skus[i] for i in np.sort(pick)]
    config = BaselineConfig(horizon_days=spec["horizon"], n_jobs=spec["jobs"])

    def history() -> pl.DataFrame:
        # only the sampled SKUs' history is read (all of 100 k SKUs' would need about 9 GiB)
        rows = origin_history(warehouse, [day], spec["history_days"], skus=skus)
        return rows.select("sku", "date", "units")

    rows = timed(results, "history_s", history)
    # statsforecast compiles its kernels on first use; compile outside the timed fit
    warm = rows.filter(pl.col("sku").is_in(skus[:4]))
    timed(results, "warmup_s", lambda: baseline_forecast(warm, "auto_ets", config, day, skus[:4]))
    forecast = timed(
        results, "fit_predict_s", lambda: baseline_forecast(rows, "auto_ets", config, day, skus)
    )
    scale = len(forecast_skus) / len(skus)
    results |= {
        "skus": len(skus),
        "skus_forecast": len(forecast_skus),
        "sampled": len(skus) < len(forecast_skus),
        "sample_seed": spec["seed"] if len(skus) < len(forecast_skus) else None,
        # the measured time when not sampled, else extrapolated linearly to every SKU
        "fit_predict_all_s": round(results["fit_predict_s"] * scale, 1),
        "history_rows": rows.height,
        "forecast_rows": forecast.height,
        "methods": dict(forecast.group_by("method").agg(pl.col("sku").n_unique()).iter_rows()),
        "n_jobs": spec["jobs"],
        "peak_rss_mib": peak_rss_mib(children=True),
        "load_end": loadavg(),
    }
    return results


PHASES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "prepare": phase_prepare,
    "train": phase_train,
    "night": phase_night,
    "ets": phase_ets,
}


def run_phase(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Runs one phase in a fresh child process and returns its result."""
    print(f"{name} {spec.get('day', '')} (load {loadavg()})", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        command = [
            sys.executable, __file__, "--phase", name, "--spec", json.dumps(spec, default=str),
            "--result", str(result),
        ]  # fmt: skip
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
        started = time.perf_counter()
        subprocess.run(command, check=True, env=env)
        out = json.loads(result.read_text())
        out["process_s"] = round(time.perf_counter() - started, 2)  # with imports and teardown
        return out


# ------------------------------------------------------------------------------------ report


def _load(result: dict[str, Any]) -> str:
    """Load averages (1/5/15 min) at the start and at the end of a phase."""
    start, end = ("/".join(f"{x:.1f}" for x in result[k]) for k in ("load_start", "load_end"))
    return f"{start} → {end}"


def markdown(results: dict[str, Any]) -> str:
    """The README table: both nights, AutoETS and the ratios, preparation in a footnote."""
    cold, warm, ets = results["night_cold"], results["night_warm"], results.get("autoets")
    gib = 1024
    lines = [
        (
            f"Nightly forecast + plan, {results['skus']:,} SKUs ({results['days']} days of "
            f"synthetic history, model L={results['history_days']} H={results['horizon']}, "
            f"{len(results['train']['quantiles'])} quantile levels), 2 shared vCPUs:"
        ),
        "",
        "| stage | night D, cold embedding cache | night D+1, warm cache |",
        "|---|---|---|",
    ]
    for name in NIGHT_STAGES:
        lines.append(f"| {name} | {cold[name]:.1f} s | {warm[name]:.1f} s |")
    lines += [
        f"| **total** | **{cold['total_s']:.1f} s** | **{warm['total_s']:.1f} s** |",
        (
            f"| peak RSS | {cold['peak_rss_mib'] / gib:.2f} GiB "
            f"| {warm['peak_rss_mib'] / gib:.2f} GiB |"
        ),
        f"| documents encoded | {cold['documents_encoded']:,} | {warm['documents_encoded']:,} |",
        (
            f"| SKUs forecast / planned | {cold['skus']:,} / {cold['plan_rows']:,} "
            f"| {warm['skus']:,} / {warm['plan_rows']:,} |"
        ),
        f"| load average 1/5/15 min, start → end | {_load(cold)} | {_load(warm)} |",
    ]
    if ets is not None:
        fit = ets.get("fit_predict_all_s", ets["fit_predict_s"])  # extrapolated if sampled

        def ratios(key: Callable[[dict[str, Any]], float]) -> str:
            return f"{key(cold) / fit:.2f} / {key(warm) / fit:.2f}"

        if ets.get("sampled"):
            which = (
                f"a random sample (seed {ets['sample_seed']}) of {ets['skus']:,} of the "
                f"{ets['skus_forecast']:,} SKUs of night D+1"
            )
            fit_rows = [
                (
                    f"| fit + predict, H={results['horizon']}, {ets['skus']:,} SKUs (measured) "
                    f"| {ets['fit_predict_s']:.1f} s |"
                ),
                (
                    f"| fit + predict, all {ets['skus_forecast']:,} SKUs (linear extrapolation) "
                    f"| {fit:.0f} s |"
                ),
            ]
        else:
            which = f"the {ets['skus']:,} SKUs of night D+1"
            fit_rows = [f"| fit + predict, H={results['horizon']} | {fit:.1f} s |"]
        lines += [
            "",
            (
                f"| AutoETS (statsforecast, n_jobs={ets['n_jobs']}), {which}, up to "
                f"{results['ets_history_days']} days of history | |"
            ),
            "|---|---|",
            *fit_rows,
            f"| peak RSS (largest process) | {ets['peak_rss_mib'] / gib:.2f} GiB |",
            f"| load average 1/5/15 min, start → end | {_load(ets)} |",
            (
                "| ratio model / AutoETS, load_champion + forecast_day, cold / warm | "
                + ratios(lambda r: r["load_champion"] + r["forecast_day"])
                + " |"
            ),
            (
                "| ratio model / AutoETS, nightly total (+ plan), cold / warm | "
                + ratios(lambda r: r["total_s"])
                + " |"
            ),
        ]
    prep, train = results["prepare"], results["train"]
    lines += [
        "",
        (
            f"Preparation (not in the figures above): raw partitions {prep['raw_s']:.0f} s, "
            f"build_all {prep['build_all_s']:.0f} s, peak RSS {prep['peak_rss_mib'] / gib:.2f} GiB "
            f"(load {_load(prep)}); champion training {train['fit_s']:.0f} s on "
            f"{train['samples']} windows, {train['epochs']} epochs."
        ),
    ]
    return "\n".join(lines)


# -------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=10000, help="catalog size")
    parser.add_argument(
        "--days", type=int, default=180,
        help="days of synthetic exports; the nights are the last two (>= 56 + 28 + 7 + a few)",
    )  # fmt: skip
    parser.add_argument(
        "--workdir", type=Path, default=None, help="default: benchmarks/out/nightly-<skus>x<days>"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the prepared warehouse and model"
    )
    parser.add_argument(
        "--train-skus", type=int, default=200, help="SKUs per training origin (2 origins)"
    )
    parser.add_argument("--epochs", type=int, default=2, help="training epochs of the champion")
    parser.add_argument(
        "--horizon", type=int, default=None,
        help="the champion's horizon in days (default: the model's shortest, 28; a shop whose "
        "lead times reach 60 days trains with 63)",
    )  # fmt: skip
    parser.add_argument("--ets-jobs", type=int, default=2, help="statsforecast worker processes")
    parser.add_argument(
        "--ets-history-days", type=int, default=None,
        help="history AutoETS fits on (default: every exported day up to the night)",
    )  # fmt: skip
    parser.add_argument("--skip-ets", action="store_true", help="nights only")
    parser.add_argument(
        "--ets-skus", type=int, default=0,
        help="fit AutoETS on a random sample of this many SKUs and extrapolate linearly (0: all)",
    )  # fmt: skip
    parser.add_argument("--ets-seed", type=int, default=0, help="seed of the AutoETS SKU sample")
    parser.add_argument(
        "--ets-only", action="store_true",
        help="with --reuse: keep the nights of the last JSON, run AutoETS only",
    )  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="cProfile each night")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:  # child process
        out = PHASES[args.phase](json.loads(args.spec))
        args.result.write_text(json.dumps(out, default=str))
        return 0

    from inventory_pipeline.model.config import ModelConfig

    model_defaults = ModelConfig()
    L, H = model_defaults.history_days, args.horizon or model_defaults.horizon_days
    if args.days < L + H + 7 + 3:
        parser.error(
            f"--days must be at least {L + H + 10} (two training origins need history and targets)"
        )
    work = (args.workdir or OUT / f"nightly-{args.skus}x{args.days}").resolve()
    warehouse = work / "warehouse"
    last = START + timedelta(days=args.days - 1)
    nights = [last - timedelta(days=1), last]  # D and D + 1
    base = {
        "skus": args.skus, "days": args.days, "work": str(work), "warehouse": str(warehouse),
        "tracking_uri": f"sqlite:///{work / 'mlflow' / 'mlflow.db'}",
        "artifacts": str(work / "mlflow" / "artifacts"),
    }  # fmt: skip
    results: dict[str, Any] = {
        "skus": args.skus, "days": args.days, "history_days": L, "horizon": H,
        "nights": [d.isoformat() for d in nights], "cpus": os.cpu_count(), "load_start": loadavg(),
    }  # fmt: skip

    prepared = work / "prepared.json"
    if args.reuse and prepared.exists():
        saved = json.loads(prepared.read_text())
        results["prepare"], results["train"] = saved["prepare"], saved["train"]
        print(f"reusing {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        results["prepare"] = run_phase("prepare", base)
        results["train"] = run_phase(
            "train",
            base
            | {
                "latest": last.isoformat(),
                "train_skus": args.train_skus,
                "epochs": args.epochs,
                "horizon": H,
            },  # fmt: skip
        )
        prepared.write_text(json.dumps({"prepare": results["prepare"], "train": results["train"]}))

    previous = OUT / f"nightly_{args.skus}.json"
    if args.ets_only:
        if not (args.reuse and previous.exists()):
            parser.error(f"--ets-only needs --reuse and the nights of an earlier run in {previous}")
        saved = json.loads(previous.read_text())
        results["night_cold"], results["night_warm"] = saved["night_cold"], saved["night_warm"]
        nights_to_run: list[tuple[str, date]] = []
    else:
        nights_to_run = list(zip(("night_cold", "night_warm"), nights))
        # Start from a clean slate: no forecasts or plans for the nights, no cached embeddings.
        shutil.rmtree(warehouse / "embeddings", ignore_errors=True)
        for table, key in (("forecasts", "forecast_date"), ("reorder_plan", "plan_date")):
            for night in nights:
                shutil.rmtree(warehouse / table / f"{key}={night.isoformat()}", ignore_errors=True)

    cache = warehouse / "embeddings"
    for label, night in nights_to_run:
        before = embedding_count(cache)
        spec = base | {
            "day": night.isoformat(), "profile": args.profile,
            "profile_path": str(work / f"profile-{night.isoformat()}.prof"),
        }  # fmt: skip
        results[label] = run_phase("night", spec)
        results[label]["documents_encoded"] = embedding_count(cache) - before

    if not args.skip_ets:
        results["ets_history_days"] = args.ets_history_days or args.days
        results["autoets"] = run_phase(
            "ets",
            base | {
                "day": nights[1].isoformat(), "horizon": H, "jobs": args.ets_jobs,
                "history_days": results["ets_history_days"], "sample": args.ets_skus,
                "seed": args.ets_seed,
            },
        )  # fmt: skip
        ets_s = results["autoets"]["fit_predict_all_s"]  # extrapolated to every SKU if sampled
        for label in ("night_cold", "night_warm"):
            night = results[label]
            results[f"ratio_forecast_{label}"] = round(
                (night["load_champion"] + night["forecast_day"]) / ets_s, 3
            )
            results[f"ratio_total_{label}"] = round(night["total_s"] / ets_s, 3)

    results["load_end"] = loadavg()
    table = markdown(results)
    results["markdown"] = table
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"nightly_{args.skus}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(table)
    print(f"\nJSON: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
