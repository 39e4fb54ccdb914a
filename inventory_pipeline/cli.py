"""The ``inventory-pipeline`` command line.

Sub-commands:
  sample-shop   write a realistic sample shop landing zone (+ ground truth)
  backfill      materialise a range of export days through the Dagster instance in $DAGSTER_HOME
  train         retrain the demand model, backtest it, promote it only if it is better
  evaluate      champion vs peers over a range: accuracy and an inventory replay, as a report
  demo          sample shop, backfill, retrain, nightly forecasts (+ optionally serve the UI)
  what-if       a planned promotion forecast with and without it, by discount
  init-home     create $DAGSTER_HOME with the project's dagster.yaml (telemetry off)
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from inventory_pipeline.config import DAGSTER_HOME_ENV, resolve_paths
from inventory_pipeline.sampleshop.profiles import SAMPLE_SHOP_DEFAULTS

if TYPE_CHECKING:  # dagster is imported when a command needs it, not at start-up
    from dagster import DagsterInstance

REPO_ROOT = Path(__file__).resolve().parent.parent
DAGSTER_YAML = REPO_ROOT / "deploy" / "local" / "dagster.yaml"
UI_HOST = "127.0.0.1"
UI_PORT = 3000


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from err


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def init_home() -> Path:
    """Creates $DAGSTER_HOME (default <data root>/dagster_home) with dagster.yaml if missing."""
    home = resolve_paths().dagster_home
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(DAGSTER_YAML, target)
    os.environ[DAGSTER_HOME_ENV] = str(home)
    return home


def _disable_telemetry() -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def cmd_sample_shop(args: argparse.Namespace) -> int:
    from inventory_pipeline.sampleshop import PROFILES, generate_shop

    if args.profile not in PROFILES:
        print(f"unknown --profile {args.profile!r}; use one of {', '.join(sorted(PROFILES))}",
              file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    truth = Path(args.truth_out).resolve() if args.truth_out else out.parent / "ground_truth"
    settings = Path(args.settings_out).resolve() if args.settings_out else None
    summary = generate_shop(
        out, truth, skus=args.skus, days=args.days, start=args.start, seed=args.seed, progress=True,
        profile=args.profile, settings_out=settings, overwrite=args.overwrite,
    )  # fmt: skip
    print(f"sample shop ({args.profile}) written to {out} (ground truth in {truth})")
    print(summary)
    return 0


RUN_PID_TAG = "inventory_pipeline/pid"
RUN_HOST_TAG = "inventory_pipeline/host"


def _process_tags() -> dict[str, str]:
    """Tags naming the process that runs a run, so that a later command can tell it died."""
    return {RUN_PID_TAG: str(os.getpid()), RUN_HOST_TAG: socket.gethostname()}


def recover_dead_runs(instance: DagsterInstance) -> list[str]:
    """Marks this host's command-line runs whose process is gone (killed, OOM) as failed.

    Also frees the concurrency pool slots they held: a run killed inside a ``duckdb_catalog``
    step would otherwise hold that pool's only slot forever and every later run would wait for it.
    Returns the run ids it recovered (see docs/reliability.md).
    """
    import dagster as dg
    import psutil

    recovered = []
    records = instance.get_run_records(
        dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED],
            tags={RUN_HOST_TAG: socket.gethostname()},
        )
    )
    for record in records:
        run = record.dagster_run
        pid = int(run.tags.get(RUN_PID_TAG, "0"))
        try:  # a live process created before the run is the run's own; a newer one reuses the pid
            if pid <= 0 or psutil.Process(pid).create_time() <= record.create_timestamp.timestamp() + 1:
                continue
        except psutil.NoSuchProcess:
            pass
        instance.report_run_failed(run, f"the process {pid} that ran it is gone (killed or crashed)")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(run.run_id)
        print(f"run {run.run_id} ({run.job_name}) lost its process {pid}: marked failed, pool slots freed")
    return recovered


def _first_day_source() -> str:
    """Where the partitions' first export day comes from, in words (for error messages)."""
    from inventory_pipeline.settings import earliest_landing_day, load_settings

    paths = resolve_paths()
    if load_settings(paths.settings_path).first_export_day is not None:
        return f"shop.first_export_day in {paths.settings_path}"
    if earliest_landing_day(paths.landing_dir) is not None:
        return f"the earliest day folder of the landing zone {paths.landing_dir}"
    return f"no settings and no landing day folders under {paths.landing_dir}: January 1st"


def check_backfill_range(start: date, end: date, first: date, last: date | None) -> None:
    """Refuses a range outside the partitions ``first``..``last``, saying how to change them."""
    if end < start:
        raise SystemExit(f"--end {end} is before --start {start}")
    if start < first:
        raise SystemExit(
            f"--start {start} is before the first export day {first} ({_first_day_source()}), "
            f"where the daily partitions start. To backfill earlier days, set\n"
            f"  shop:\n    first_export_day: {start.isoformat()}\n"
            f"in {resolve_paths().settings_path} (see the README, 'Shop settings'). "
            f"Nothing was run."
        )
    if last is None or end > last:
        ready = f"the last complete export day is {last}" if last else "no day is complete yet"
        raise SystemExit(
            f"--end {end} is not a partition yet: {ready} (a day's partition exists once the day "
            f"is over, UTC). Nothing was run."
        )


def run_backfill(start: date, end: date, job_name: str) -> bool:
    """Runs ``job_name`` over export days start..end (inclusive) as one run in $DAGSTER_HOME.

    A range outside the shop's partitions is refused before anything is written.
    """
    import dagster as dg
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    from inventory_pipeline.definitions import build_definitions

    defs = build_definitions()
    job = defs.resolve_job_def(job_name)
    partitions = job.partitions_def
    if not isinstance(partitions, dg.TimeWindowPartitionsDefinition):
        raise SystemExit(
            f"{job_name} is not partitioned by export day; run it without --start/--end"
        )
    last = partitions.get_last_partition_key()
    check_backfill_range(
        start, end, partitions.start.date(), date.fromisoformat(last) if last else None
    )
    init_home()
    with dg.DagsterInstance.get() as instance:
        recover_dead_runs(instance)
        result = job.execute_in_process(
            instance=instance,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
                "inventory_pipeline/launched_by": "cli-backfill",
                **_process_tags(),
            },
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            raise_on_error=False,
        )
    status = "succeeded" if result.success else "FAILED"
    print(f"{job_name} {start}..{end}: run {result.run_id} {status} (see the Runs page of the UI)")
    return result.success


def cmd_backfill(args: argparse.Namespace) -> int:
    return 0 if run_backfill(args.start, args.end, args.job) else 1


def run_job(job_name: str, run_config: dict | None = None) -> bool:
    """Runs an unpartitioned job once in $DAGSTER_HOME (it appears in the UI's Runs page)."""
    import dagster as dg

    from inventory_pipeline.definitions import build_definitions

    init_home()
    job = build_definitions().resolve_job_def(job_name)
    config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}, **(run_config or {})}
    with dg.DagsterInstance.get() as instance:
        recover_dead_runs(instance)
        result = job.execute_in_process(
            instance=instance,
            run_config=config,
            tags={"inventory_pipeline/launched_by": "cli", **_process_tags()},
            raise_on_error=False,
        )
    print(f"{job_name}: run {result.run_id} {'succeeded' if result.success else 'FAILED'}")
    return result.success


def training_run_config(finetune: str = "", max_epochs: int = 0) -> dict:
    """Run config giving every training asset the same TrainingRunConfig."""
    values = {"finetune": finetune, "max_epochs": max_epochs}
    ops = ("training_windows", "demand_model", "model_backtest")
    return {"ops": {op: {"config": values} for op in ops}}


def cmd_train(args: argparse.Namespace) -> int:
    return 0 if run_job("retrain_job", training_run_config(args.finetune, args.max_epochs)) else 1


def cmd_evaluate(args: argparse.Namespace) -> int:
    values = {
        "start": args.start.isoformat(),
        "end": args.end.isoformat(),
        "with_model": not args.no_model,
        "truth_dir": args.truth or "",
        "stride_days": args.stride,
    }
    ok = run_job("evaluation_job", {"ops": {"evaluation_report": {"config": values}}})
    report = resolve_paths().warehouse_dir / "evaluation" / f"{args.start}_{args.end}"
    print(f"report: {report}/summary.md")
    return 0 if ok else 1


def cmd_init_home(_: argparse.Namespace) -> int:
    print(init_home())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    paths = resolve_paths()
    start = _date(SAMPLE_SHOP_DEFAULTS["start"])
    days = int(SAMPLE_SHOP_DEFAULTS["days"])
    end = start + timedelta(days=days - 1)
    if not paths.landing_dir.exists():
        from inventory_pipeline.sampleshop import generate_shop

        print(f"writing the sample shop to {paths.landing_dir} ...")
        generate_shop(
            paths.landing_dir,
            paths.ground_truth_dir,
            skus=int(SAMPLE_SHOP_DEFAULTS["skus"]),
            days=days,
            start=start,
            seed=int(SAMPLE_SHOP_DEFAULTS["seed"]),
            progress=True,
            settings_out=paths.settings_path,  # where the runs read the shop's settings
        )
        print(f"the shop's settings (its events, first export day): {paths.settings_path}")
    else:
        print(f"landing zone {paths.landing_dir} exists, keeping it")
    if not run_backfill(start, end, "daily_data_job"):
        return 1
    if not args.skip_training:
        if not run_job("retrain_job", training_run_config()):
            print("the retrained model did not pass the champion gate or training failed (see the run log)")
    forecast_start = end - timedelta(days=args.forecast_days - 1)
    if not run_backfill(forecast_start, end, "nightly_forecast_job"):
        print("nightly forecasts failed: is there a champion model? (`inventory-pipeline train`)")
        return 1
    if args.serve:
        return serve()
    return 0


def cmd_what_if(args: argparse.Namespace) -> int:
    """A quick what-if from the champion, printed (the what_if/ folder publishes the table)."""
    from inventory_pipeline import tracking
    from inventory_pipeline.features.sources import latest_export
    from inventory_pipeline.forecasting import ModelRef
    from inventory_pipeline.settings import load_settings
    from inventory_pipeline.warehouse import Warehouse
    from inventory_pipeline.whatif import (
        ScenarioError,
        answer_scenario,
        build_scenario,
        read_features,
    )
    from inventory_pipeline.whatif.report import answer_text

    paths = resolve_paths()
    settings = load_settings(paths.settings_path)
    try:
        scenario = build_scenario(
            "what-if", args.name, start=args.start, end=args.end, discounts=args.discount or [],
            skus=args.sku or [], category=args.category, brand=args.brand,
        )  # fmt: skip
        warehouse = Warehouse(paths.warehouse_dir)
        tracking.configure(paths.mlflow_tracking_uri, paths.mlflow_artifacts_dir, args.experiment)
        forecaster, version = tracking.load_champion(
            args.model_name, embedding_cache_dir=warehouse.root / "embeddings"
        )
        as_of = args.as_of or latest_export(warehouse)
        features = read_features(warehouse, as_of, forecaster, scenario, settings.feature_config())
        answer = answer_scenario(
            forecaster, features, scenario, ModelRef(args.model_name, version),
            settings.reorder_config(),
        )  # fmt: skip
    except ScenarioError as err:
        print(f"what-if: {err}", file=sys.stderr)
        return 2
    print(answer_text(answer, settings.currency))
    return 0


def serve_command(port: int = UI_PORT) -> list[str]:
    """``dagster dev`` (UI + daemon) bound to the loopback interface only: never 0.0.0.0."""
    return [
        sys.executable, "-m", "dagster", "dev",
        "-w", str(REPO_ROOT / "workspace.yaml"),
        "-h", UI_HOST, "-p", str(port),
    ]  # fmt: skip


def serve() -> int:
    """Serves the Dagster UI (and daemon) on 127.0.0.1:3000 until interrupted."""
    init_home()
    print(f"Dagster UI on http://{UI_HOST}:{UI_PORT} (Ctrl-C to stop)")
    return subprocess.call(serve_command(), cwd=REPO_ROOT)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inventory-pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample-shop", help="write a sample shop landing zone")
    p.add_argument("--out", required=True, help="landing root to write")
    p.add_argument("--truth-out", help="ground-truth folder (default: <out>/../ground_truth)")
    p.add_argument("--skus", type=_positive, default=SAMPLE_SHOP_DEFAULTS["skus"])
    p.add_argument("--days", type=_positive, default=SAMPLE_SHOP_DEFAULTS["days"])
    p.add_argument("--start", type=_date, default=_date(str(SAMPLE_SHOP_DEFAULTS["start"])))
    p.add_argument("--seed", type=int, default=SAMPLE_SHOP_DEFAULTS["seed"])
    p.add_argument("--profile", default="default",
                   help="kind of shop: default, or one of README 'The sample shop'")
    p.add_argument("--settings-out", help="shop settings file (default: <out>/../settings.yaml)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier generated shop")
    p.set_defaults(func=cmd_sample_shop)

    p = sub.add_parser("backfill", help="materialise a range of export days (one run)")
    p.add_argument("--start", type=_date, required=True)
    p.add_argument("--end", type=_date, required=True)
    p.add_argument("--job", default="daily_data_job", help="partitioned job to run (default daily_data_job: ingest + features)")
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser("train", help="retrain, backtest and (if better) promote the model")
    p.add_argument("--finetune", default="", choices=["", "frozen", "top_k", "lora", "full"],
                   help="fine-tuning strategy (default: the pipeline default)")
    p.add_argument("--max-epochs", type=int, default=0, help="0: the pipeline default")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="champion vs peers: accuracy + inventory replay report")
    p.add_argument("--start", type=_date, required=True, help="first forecast origin")
    p.add_argument("--end", type=_date, required=True, help="last replayed day")
    p.add_argument("--no-model", action="store_true", help="score the peers only")
    p.add_argument("--truth", help="ground-truth folder (default: <data root>/ground_truth if present)")
    p.add_argument("--stride", type=int, default=0, help="days between origins (0: default)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("demo", help="sample shop + backfill of its whole period")
    p.add_argument("--serve", action="store_true", help="then serve the Dagster UI on 127.0.0.1:3000")
    p.add_argument("--skip-training", action="store_true", help="keep the current champion model")
    p.add_argument("--forecast-days", type=_positive, default=28,
                   help="nightly forecasts for this many last days of the sample period (default 28)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("what-if", help="a planned promotion with and without it, by discount")
    p.add_argument("--sku", action="append", help="SKU on promotion (repeat for several)")
    p.add_argument("--category", help="or: every SKU whose category starts with this")
    p.add_argument("--brand", help="or: every SKU of this brand")
    p.add_argument("--start", type=_date, required=True, help="first promotion day")
    p.add_argument("--end", type=_date, required=True, help="last promotion day (inclusive)")
    p.add_argument("--discount", type=float, action="append", help="percent off (repeat to compare)")
    p.add_argument("--as-of", type=_date, default=None, help="today (default: the latest export)")
    p.add_argument("--name", default="cli", help="scenario name shown in the report")
    p.add_argument("--model-name", default="demand_model", help="registered model (alias champion)")
    p.add_argument("--experiment", default="inventory_pipeline", help="MLflow experiment")
    p.set_defaults(func=cmd_what_if)

    p = sub.add_parser("serve", help="serve the Dagster UI on 127.0.0.1:3000")
    p.set_defaults(func=lambda _: serve())

    p = sub.add_parser("init-home", help="create $DAGSTER_HOME with dagster.yaml")
    p.set_defaults(func=cmd_init_home)
    return parser


def main(argv: list[str] | None = None) -> int:
    _disable_telemetry()
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
