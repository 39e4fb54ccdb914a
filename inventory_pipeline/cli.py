"""The ``inventory-pipeline`` command line.

Sub-commands:
  sample-shop   write a realistic sample shop landing zone (+ ground truth)
  backfill      materialise a range of export days through the Dagster instance in $DAGSTER_HOME
  train         retrain the demand model, backtest it, promote it only if it is better
  evaluate      champion vs peers over a range: accuracy and an inventory replay, as a report
  plan          print one night's published reorder plan as a table
  demo          sample shop, backfill, retrain, nightly forecasts (+ optionally serve the UI)
  what-if       a planned promotion forecast with and without it, by discount
  serve         serve the Dagster UI and daemon
  init-home     create $DAGSTER_HOME with the project's dagster.yaml (telemetry off)

Paths come from the environment (INVENTORY_DATA_DIR, default ./data; see docs/settings.md,
"Configuration"). `inventory-pipeline COMMAND --help` lists a command's flags and defaults.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from inventory_pipeline.config import DAGSTER_HOME_ENV, resolve_paths
from inventory_pipeline.sampleshop.profiles import PROFILES, SAMPLE_SHOP_DEFAULTS, sample_shop_start

if TYPE_CHECKING:  # dagster is imported when a command needs it, not at start-up
    from dagster import DagsterInstance, JobDefinition

# Package data (the repository's deploy/ and workspace.yaml, shipped inside the wheel).
PACKAGE_DIR = Path(__file__).resolve().parent
DAGSTER_YAML = PACKAGE_DIR / "deploy" / "local" / "dagster.yaml"
WORKSPACE_YAML = PACKAGE_DIR / "workspace.yaml"
UI_HOST = "127.0.0.1"
UI_PORT = 3000
# The jobs partitioned by export day, which `backfill --job` runs over a range (the sharded job is
# partitioned by day and shard: launch it from the UI or with `dagster job backfill`).
BACKFILL_JOBS = ("daily_data_job", "ingest_job", "nightly_forecast_job", "assemble_forecasts_job")
FINETUNE_CHOICES = ("frozen", "top_k", "lora", "full")
PLAN_COLUMNS = (
    "sku", "on_hand", "on_order", "lead_time_days", "service_level", "order_up_to", "order_qty",
    "order_value", "reason",
)  # fmt: skip


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
    from inventory_pipeline.sampleshop import generate_shop

    out = Path(args.out).resolve()
    truth = Path(args.truth_out).resolve() if args.truth_out else out.parent / "ground_truth"
    settings = Path(args.settings_out).resolve() if args.settings_out else None
    start = args.start or sample_shop_start(args.days, args.today)
    summary = generate_shop(
        out, truth, skus=args.skus, days=args.days, start=start, seed=args.seed, progress=True,
        profile=args.profile, settings_out=settings, overwrite=args.overwrite,
    )  # fmt: skip
    print(
        f"sample shop ({args.profile}) written to {out} (ground truth in {truth}), "
        f"export days {start}..{start + timedelta(days=args.days - 1)}"
    )
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
            if (
                pid <= 0
                or psutil.Process(pid).create_time() <= record.create_timestamp.timestamp() + 1
            ):
                continue
        except psutil.NoSuchProcess:
            pass
        instance.report_run_failed(
            run, f"the process {pid} that ran it is gone (killed or crashed)"
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(run.run_id)
        print(
            f"run {run.run_id} ({run.job_name}) lost its process {pid}: "
            "marked failed, pool slots freed"
        )
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
            f"in {resolve_paths().settings_path} (see docs/settings.md, 'Shop settings'). "
            f"Nothing was run."
        )
    if last is None or end > last:
        ready = f"the last complete export day is {last}" if last else "no day is complete yet"
        raise SystemExit(
            f"--end {end} is not a partition yet: {ready} (a day's partition exists once the day "
            f"is over, UTC). Nothing was run."
        )


def run_backfill(
    start: date, end: date, job_name: str, in_process: bool = False, as_backfill: bool = True
) -> bool:
    """Runs ``job_name`` over export days start..end (inclusive) in $DAGSTER_HOME.

    By default as a backfill launched through the instance against the code location (listed
    under *Backfills* and under the job in the UI; the daemon runs it as one ranged run);
    ``as_backfill=False``: that ranged run submitted directly (listed under the job with its
    partitions, without the backfill's bookkeeping: the daemon takes up to a minute to turn a
    backfill of two years into its run); ``in_process``: one run executed in this process. A
    range outside the shop's partitions is refused before anything is written.
    """
    import dagster as dg

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
    if in_process:
        return _backfill_in_process(job, start, end)
    if not as_backfill:
        return _launch(job_name, f"{start}..{end}", tags=_range_tags(start, end))
    keys = partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange(start.isoformat(), end.isoformat())
    )
    return _launch(job_name, f"{start}..{end}", partition_keys=keys)


def _range_tags(start: date, end: date) -> dict[str, str]:
    """The tags of one run over the export days start..end (the assets' single-run policy)."""
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    return {
        ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
    }


def _backfill_in_process(job: JobDefinition, start: date, end: date) -> bool:
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        recover_dead_runs(instance)
        result = job.execute_in_process(
            instance=instance,
            tags={
                **_range_tags(start, end),
                "inventory_pipeline/launched_by": "cli-backfill",
                **_process_tags(),
            },
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            raise_on_error=False,
        )
    status = "succeeded" if result.success else "FAILED"
    print(f"{job.name} {start}..{end}: run {result.run_id} {status} (see the Runs page of the UI)")
    return result.success


def _launch(
    job_name: str,
    label: str,
    partition_keys: list[str] | None = None,
    run_config: dict | None = None,
    tags: dict[str, str] | None = None,
) -> bool:
    """Launches a run (or, with partition keys, a backfill) through the instance and waits."""
    import dagster as dg

    from inventory_pipeline.defs import launch

    workspace = WORKSPACE_YAML
    what = f"{job_name} {label}".strip()  # the job, and its day range when it has one
    tags = {"inventory_pipeline/launched_by": "cli", **(tags or {})}
    with dg.DagsterInstance.get() as instance:
        daemon_log = Path(instance.root_directory) / "logs" / "daemon-cli.log"
        with launch.daemon_for_instance(instance, workspace, daemon_log):
            if partition_keys is not None:
                backfill_id = launch.submit_job_backfill(
                    instance, workspace, job_name, partition_keys, tags=tags,
                    title=f"{job_name} {label}",
                )  # fmt: skip
                print(
                    f"{job_name} {label}: backfill {backfill_id} requested "
                    f"({len(partition_keys)} partitions; the UI lists it under Backfills)"
                )
                outcome = launch.wait_for_backfill(instance, backfill_id)
                ok, run_ids = outcome.success, outcome.run_ids
            else:
                run_id = launch.submit_job_run(instance, workspace, job_name, run_config, tags)
                print(f"{what}: run {run_id} submitted (the UI lists it under its job)")
                ok, run_ids = launch.wait_for_run(instance, run_id), [run_id]
    for run_id in run_ids:
        print(f"{what}: run {run_id} {'succeeded' if ok else 'FAILED'}")
    if not run_ids:
        print(f"{what}: the backfill launched no run: FAILED")
    return ok and bool(run_ids)


def cmd_backfill(args: argparse.Namespace) -> int:
    ok = run_backfill(args.start, args.end, args.job, args.in_process, not args.as_run)
    return 0 if ok else 1


def run_job(job_name: str, run_config: dict | None = None, in_process: bool = False) -> bool:
    """Runs an unpartitioned job once in $DAGSTER_HOME, launched through the instance.

    ``in_process``: executed in this process instead (listed under Runs, not under the job).
    """
    import dagster as dg

    from inventory_pipeline.definitions import build_definitions

    init_home()
    if not in_process:
        return _launch(job_name, "", run_config=run_config)
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


def training_run_config(
    finetune: str = "",
    max_epochs: int = 0,
    seed: int | None = None,
    until: date | None = None,
    extra: dict | None = None,
) -> dict:
    """Run config giving every training asset the same TrainingRunConfig.

    ``extra`` holds further TrainingRunConfig fields (``train --config FILE``); the flags win.
    """
    values = {**(extra or {}), "finetune": finetune, "max_epochs": max_epochs}
    if seed is not None:
        values["seed"] = seed
    if until is not None:
        values["until"] = until.isoformat()
    ops = (
        "training_windows", "demand_model", "backtest_baselines", "model_backtest", "served_model"
    )  # fmt: skip
    return {"ops": {op: {"config": dict(values)} for op in ops}}


def _training_config_file(path: str | None) -> dict:
    """The TrainingRunConfig fields of a YAML file (``train --config``), checked to be a mapping."""
    if not path:
        return {}
    import yaml

    file = Path(path)
    if not file.is_file():
        raise SystemExit(f"--config {path}: no such file (a YAML mapping of training run fields)")
    values = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    if not isinstance(values, dict):
        raise SystemExit(
            f"--config {path}: expected a YAML mapping of training run fields "
            f"(e.g. 'backtest_days: 28'), got {type(values).__name__}"
        )
    return values


def cmd_train(args: argparse.Namespace) -> int:
    extra = _training_config_file(args.config)
    config = training_run_config(args.finetune or "", args.max_epochs, args.seed, args.until, extra)
    return 0 if run_job("retrain_job", config, args.in_process) else 1


def _check_evaluated_range(start: date, end: date) -> None:
    """Fails before launching the evaluation when the champion was trained on ``start`` or a
    later day (the evaluation asset refuses it too)."""
    from mlflow.tracking import MlflowClient

    from inventory_pipeline import tracking
    from inventory_pipeline.defs.resources import MlflowResource

    registry = MlflowResource()
    registry.configure()
    client = MlflowClient()
    version = tracking.champion_version(client, registry.registered_model)
    if version is not None:  # no champion: the evaluation job says so itself
        try:
            tracking.check_scored_after_cutoff(
                client, registry.registered_model, version, start, end
            )
        except ValueError as err:
            raise SystemExit(f"evaluate: {err}") from err


def cmd_evaluate(args: argparse.Namespace) -> int:
    if not args.no_model:
        _check_evaluated_range(args.start, args.end)
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


def read_plan(warehouse_dir: Path, day: date, all_rows: bool = False) -> list[tuple]:
    """Rows of the published reorder plan of ``day`` (orders only unless ``all_rows``).

    Raises SystemExit naming the command that materialises the partition when it is missing.
    """
    from inventory_pipeline.forecasting import REORDER_PLAN
    from inventory_pipeline.warehouse import Warehouse, memory_connection, read_sql

    wh = Warehouse(warehouse_dir)
    path = wh.partition_path(REORDER_PLAN, {"plan_date": day})
    if not path.exists():
        raise SystemExit(
            f"no reorder plan for {day} in {wh.table_dir(REORDER_PLAN)}: materialise it with\n"
            f"  inventory-pipeline backfill --job nightly_forecast_job --start {day} --end {day}\n"
            f"(it needs a champion model: `inventory-pipeline train`)"
        )
    params = {"path": str(path), "all_rows": all_rows}
    return memory_connection().execute(read_sql("plan/reorder_plan"), params).fetchall()


def format_table(header: tuple[str, ...], rows: list[tuple], max_width: int = 80) -> str:
    """Rows as a plain-text table with aligned columns (numbers right-aligned, text cut)."""

    def cell(value: object) -> str:
        text = f"{value:.2f}" if isinstance(value, float) else str(value)
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(header)]
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float) for r in rows) for i in range(len(header))
    ]

    def line(values: list[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)]
        return "  ".join(parts).rstrip()

    return "\n".join([line(list(header)), line(["-" * w for w in widths]), *map(line, cells)])


def cmd_plan(args: argparse.Namespace) -> int:
    rows = read_plan(resolve_paths().warehouse_dir, args.date, args.all)
    what = "SKUs" if args.all else "orders"
    if not rows:
        print(f"reorder plan {args.date}: no {what}")
        return 0
    shown = f"; the first {args.limit} shown (--limit)" if len(rows) > args.limit else ""
    print(f"reorder plan {args.date}: {len(rows)} {what} (largest order value first{shown})")
    print(format_table(PLAN_COLUMNS, rows[: args.limit], args.reason_width))
    return 0


def cmd_init_home(_: argparse.Namespace) -> int:
    print(init_home())
    return 0


def landing_range(landing_dir: Path) -> tuple[date, date] | None:
    """First and last export day of a landing zone (its ``<table>/date=YYYY-MM-DD`` folders)."""
    days = sorted(
        date.fromisoformat(folder.name.removeprefix("date="))
        for table in landing_dir.iterdir() if table.is_dir()
        for folder in table.glob("date=????-??-??")
    )  # fmt: skip
    return (days[0], days[-1]) if days else None


def cmd_demo(args: argparse.Namespace) -> int:
    began = time.monotonic()
    paths = resolve_paths()
    days = int(SAMPLE_SHOP_DEFAULTS["days"])
    if not paths.landing_dir.exists():
        from inventory_pipeline.sampleshop import generate_shop

        start = sample_shop_start(days, args.today)  # the exports end yesterday
        print(
            f"writing the sample shop to {paths.landing_dir} "
            f"({start}..{start + timedelta(days=days - 1)}) ..."
        )
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
        print(
            f"landing zone {paths.landing_dir} exists, keeping it "
            "(`make clean-data` for a new sample shop ending yesterday)"
        )
    found = landing_range(paths.landing_dir)
    if found is None:
        raise SystemExit(f"no export day folders under {paths.landing_dir}: nothing to run")
    start, end = found
    if args.in_process:
        if not _demo_runs(args, start, end, began):
            return 1
        return serve() if args.serve else 0

    import dagster as dg

    from inventory_pipeline.defs import launch

    init_home()
    with dg.DagsterInstance.get() as instance:
        logs = Path(instance.root_directory) / "logs"
        if not args.serve:  # one daemon for all the demo's runs
            with (
                launch.daemon_for_instance(instance, WORKSPACE_YAML, logs / "daemon-cli.log"),
                launch.held_code_location(instance, WORKSPACE_YAML),
            ):
                return 0 if _demo_runs(args, start, end, began) else 1
        # The UI first: its daemon runs the demo's runs, and the UI shows them as they happen.
        check_port_free(UI_HOST, UI_PORT)
        url = f"http://{UI_HOST}:{UI_PORT}"
        log = logs / "dagster-dev.log"
        print(f"starting the Dagster UI on {url} (its log: {log}) ...")
        with launch.served_ui(instance, serve_command(), url, log) as ui:
            print(f"Dagster UI on {url}: the demo's runs show under Runs as they start")
            with launch.held_code_location(instance, WORKSPACE_YAML):  # one for every run
                ok = _demo_runs(args, start, end, began, ui_url=url)
            outcome = "done" if ok else "stopped at a failed run (its log is in the UI)"
            print(f"demo {outcome}; the UI keeps serving on {url} (Ctrl-C stops it)")
            try:
                ui.wait()
            except KeyboardInterrupt:
                print("stopping the Dagster UI ...")
        return 0 if ok else 1


def check_port_free(host: str, port: int) -> None:
    """Raises SystemExit naming the fix when something already listens on host:port."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the webserver binds
        try:
            s.bind((host, port))
        except OSError as err:
            raise SystemExit(
                f"{host}:{port} is in use ({err.strerror}): is the UI already running "
                f"(`make serve`)? Stop it, or run `inventory-pipeline demo` without --serve "
                f"and then `inventory-pipeline serve --port N`."
            ) from err


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


def _demo_runs(
    args: argparse.Namespace, start: date, end: date, began: float, ui_url: str | None = None
) -> bool:
    """The demo's runs: every export day's data, a retrained model, tonight's plan, and then the
    nights before it.

    Tonight's plan (the newest export day's) comes first, so that it is there as soon as the
    model is; the range after it ends with tonight again, whose accuracy then scores the nights
    before it (the forecasts and plan come out the same). The ranges run as ranged runs submitted
    directly, not as backfills (``inventory-pipeline backfill`` makes those): the same runs, a
    minute or two sooner."""
    if not run_backfill(start, end, "daily_data_job", args.in_process, as_backfill=False):
        return False
    trained = args.skip_training or run_job("retrain_job", training_run_config(), args.in_process)
    if not trained:
        print(
            "the retrained model did not pass the champion gate or training failed "
            "(see the run log)"
        )
    if not run_backfill(end, end, "nightly_forecast_job", args.in_process, as_backfill=False):
        print("nightly forecasts failed: is there a champion model? (`inventory-pipeline train`)")
        return False
    orders = len(read_plan(resolve_paths().warehouse_dir, end))
    where = f"{ui_url}/assets/reorder_plan" if ui_url else f"`inventory-pipeline plan --date {end}`"
    minutes, seconds = divmod(round(time.monotonic() - began), 60)
    print(
        f"tonight's plan ({end}, {orders} orders) is published, {minutes} min {seconds} s "
        f"after the start: {where}"
    )
    forecast_start = max(start, end - timedelta(days=args.forecast_days - 1))
    if forecast_start == end:
        return True
    print(f"now the nightly forecasts of {forecast_start}..{end} (tonight's accuracy needs them)")
    return run_backfill(
        forecast_start, end, "nightly_forecast_job", args.in_process, as_backfill=False
    )


def serve_command(port: int = UI_PORT, host: str = UI_HOST) -> list[str]:
    """``dagster dev`` (UI + daemon) on ``host`` (default the loopback interface, never 0.0.0.0)."""
    return [
        sys.executable, "-m", "dagster", "dev",
        "-w", str(WORKSPACE_YAML),
        "-h", host, "-p", str(port),
    ]  # fmt: skip


def serve(port: int = UI_PORT, host: str = UI_HOST) -> int:
    """Serves the Dagster UI (and daemon) on host:port until interrupted."""
    init_home()
    print(f"Dagster UI on http://{host}:{port} (Ctrl-C to stop)")
    return subprocess.call(serve_command(port, host))


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows every flag's default; an unset (None) or off (False) default is explained in words."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or action.required:
            return action.help
        return super()._get_help_string(action)


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a TCP port 1-65535, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: every flag has a help text, and ``--help`` shows its default."""
    parser = argparse.ArgumentParser(
        prog="inventory-pipeline",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str = "") -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=description or summary,
                              formatter_class=_HelpFormatter)  # fmt: skip

    p = command("sample-shop", "write a sample shop landing zone (+ ground truth and settings)")
    p.add_argument("--out", required=True, metavar="DIR", help="landing root to write")
    p.add_argument(
        "--truth-out", metavar="DIR", help="ground-truth folder (unset: <out>/../ground_truth)"
    )
    p.add_argument(
        "--skus", type=_positive, default=SAMPLE_SHOP_DEFAULTS["skus"], help="number of products"
    )
    p.add_argument(
        "--days", type=_positive, default=SAMPLE_SHOP_DEFAULTS["days"], help="number of export days"
    )
    p.add_argument(
        "--start",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="first export day (unset: the exports end yesterday)",
    )
    p.add_argument(
        "--today",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day the default calendar ends before (unset: today, UTC)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=SAMPLE_SHOP_DEFAULTS["seed"],
        help="random seed (same seed and sizes: the same shop)",
    )
    p.add_argument(
        "--profile",
        default="default",
        choices=sorted(PROFILES),
        help="kind of shop (docs/sample-shop.md, 'Sample-shop profiles')",
    )
    p.add_argument(
        "--settings-out", metavar="FILE", help="shop settings file (unset: <out>/../settings.yaml)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an earlier generated shop")
    p.set_defaults(func=cmd_sample_shop)

    p = command(
        "backfill",
        "materialise a range of export days (one run)",
        "Runs a job partitioned by export day over --start..--end (inclusive) as one run "
        "in the Dagster instance of $DAGSTER_HOME.",
    )
    p.add_argument(
        "--start", type=_date, required=True, metavar="YYYY-MM-DD", help="first export day"
    )
    p.add_argument("--end", type=_date, required=True, metavar="YYYY-MM-DD", help="last export day")
    p.add_argument(
        "--job",
        default="daily_data_job",
        choices=BACKFILL_JOBS,
        help="job to run: daily_data_job = ingest + features, ingest_job = ingest "
        "only, nightly_forecast_job = ingest + features + forecasts + reorder plan "
        "+ accuracy, assemble_forecasts_job = publish sharded runs' days",
    )
    p.add_argument(
        "--in-process",
        action="store_true",
        help="execute in this process instead of launching through the instance",
    )
    p.add_argument(
        "--as-run",
        action="store_true",
        help="submit the range as one ranged run, without a backfill record: it starts sooner "
        "(the daemon takes up to a minute to turn a backfill of years into its run); the UI "
        "lists it under the job, not under Backfills",
    )
    p.set_defaults(func=cmd_backfill)

    p = command(
        "train",
        "retrain, backtest and (if better) promote the model",
        "Runs retrain_job: training windows, fit, backtest; the candidate becomes the "
        "champion only if it beats the champion and the baselines.",
    )
    p.add_argument(
        "--finetune",
        default=None,
        choices=FINETUNE_CHOICES,
        help="fine-tuning strategy of the text encoder (unset: the pipeline default, "
        "see docs/model.md)",
    )
    p.add_argument(
        "--max-epochs",
        type=int,
        default=0,
        help="upper bound on training epochs (0: the pipeline default)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="random seed of the model (python, numpy, torch; unset: the model "
        "default); the same seed and data give the same weights",
    )
    p.add_argument(
        "--until",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="train as of this past export day: the training, validation "
        "and backtest blocks end there, later days are not used (for backtests "
        "and audits; unset: the latest export day)",
    )
    p.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help="YAML file of further training run fields given to every training "
        "asset (e.g. backtest_days: 28, d_model: 32; see TrainingRunConfig); the flags "
        "above win",
    )
    p.add_argument(
        "--in-process",
        action="store_true",
        help="execute in this process instead of launching through the instance",
    )
    p.set_defaults(func=cmd_train)

    p = command(
        "evaluate",
        "champion vs peers: accuracy + inventory replay report",
        "Runs evaluation_job over --start..--end; the report goes to "
        "<warehouse>/evaluation/<start>_<end>/ and to MLflow.",
    )
    p.add_argument(
        "--start", type=_date, required=True, metavar="YYYY-MM-DD", help="first forecast origin"
    )
    p.add_argument(
        "--end", type=_date, required=True, metavar="YYYY-MM-DD", help="last replayed day"
    )
    p.add_argument("--no-model", action="store_true", help="score the peers only")
    p.add_argument(
        "--truth",
        metavar="DIR",
        help="ground-truth folder (unset: <data root>/ground_truth if present)",
    )
    p.add_argument(
        "--stride",
        type=int,
        default=0,
        help="days between forecast origins (0: the evaluation default)",
    )
    p.set_defaults(func=cmd_evaluate)

    p = command(
        "plan",
        "print one night's reorder plan as a table",
        "Reads the published reorder_plan partition of --date (Parquet, with DuckDB) "
        "from $INVENTORY_WAREHOUSE_DIR.",
    )
    p.add_argument(
        "--date",
        type=_date,
        required=True,
        metavar="YYYY-MM-DD",
        help="plan date = export day of the nightly run",
    )
    p.add_argument("--all", action="store_true", help="every SKU, not only those with an order")
    p.add_argument("--limit", type=_positive, default=50, help="print at most this many rows")
    p.add_argument(
        "--reason-width",
        type=_positive,
        default=100,
        help="cut longer cells (the reason) to this many characters",
    )
    p.set_defaults(func=cmd_plan)

    p = command("demo", "sample shop + backfill of its whole period + training + forecasts")
    p.add_argument(
        "--serve",
        action="store_true",
        help="serve the Dagster UI on 127.0.0.1:3000 from the start (the runs show in it as "
        "they happen) and keep serving it",
    )
    p.add_argument("--skip-training", action="store_true", help="keep the current champion model")
    p.add_argument(
        "--forecast-days",
        type=_positive,
        default=28,
        help="nightly forecasts for this many last days of the sample period (tonight's first)",
    )
    p.add_argument(
        "--in-process",
        action="store_true",
        help="execute in this process instead of launching through the instance",
    )
    p.add_argument(
        "--today",
        type=_date,
        default=None,
        help="a new sample shop's exports end the day before (unset: today, UTC)",
    )
    p.set_defaults(func=cmd_demo)

    p = command("what-if", "a planned promotion forecast with and without it, by discount")
    p.add_argument("--sku", action="append", help="SKU on promotion (repeat for several)")
    p.add_argument("--category", help="or: every SKU whose category starts with this")
    p.add_argument("--brand", help="or: every SKU of this brand")
    p.add_argument("--start", type=_date, required=True, help="first promotion day")
    p.add_argument("--end", type=_date, required=True, help="last promotion day (inclusive)")
    p.add_argument(
        "--discount", type=float, action="append", help="percent off (repeat to compare)"
    )
    p.add_argument("--as-of", type=_date, default=None, help="today (default: the latest export)")
    p.add_argument("--name", default="cli", help="scenario name shown in the report")
    p.add_argument("--model-name", default="demand_model", help="registered model (alias champion)")
    p.add_argument("--experiment", default="inventory_pipeline", help="MLflow experiment")
    p.set_defaults(func=cmd_what_if)

    p = command("serve", "serve the Dagster UI and daemon (dagster dev)")
    p.add_argument(
        "--host",
        default=UI_HOST,
        help="interface to bind; keep the loopback default behind an authenticating "
        "proxy (docs/deployment.md)",
    )
    p.add_argument("--port", type=_port, default=UI_PORT, help="TCP port of the UI")
    p.set_defaults(func=lambda args: serve(args.port, args.host))

    p = command("init-home", "create $DAGSTER_HOME with dagster.yaml")
    p.set_defaults(func=cmd_init_home)
    return parser


def main(argv: list[str] | None = None) -> int:
    _disable_telemetry()
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
