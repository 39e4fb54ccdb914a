"""Nightly backfill through the command line: time it, then verify what it wrote.

Runs ``inventory-pipeline backfill --job nightly_forecast_job --start D1 --end D2`` (one Dagster run
over the range: ingest -> features -> forecasts -> plan -> accuracy) against a working copy of a
prepared data root, then checks every partition of the range:

- ``forecasts``, ``reorder_plan`` and ``forecast_accuracy`` have one partition per day;
- forecasts and reorder plan: the invariants the pipeline's blocking checks enforce before it
  publishes a day (``inventory_pipeline.invariants``: H rows per SKU, finite monotone quantiles,
  every on-sale SKU and no discontinued one; pack size and MOQ, no order for a discontinued
  SKU), plus, with a sample shop's ground truth, no order for a SKU truly discontinued by then;
- accuracy: finite scores, forecasts scored only after they were made;
- reproducibility: a few days spread over the range are re-run one at a time through the same
  command; every Parquet file of the warehouse (raw, features, forecasts, plan, accuracy) must
  come out byte-identical (SHA-256).

    .venv/bin/python benchmarks/backfill.py                          # ./data, its last 60 days
    .venv/bin/python benchmarks/backfill.py --data /path/to/root --days 60 --reruns 3
    .venv/bin/python benchmarks/backfill.py --prepare                # make ./data first if missing
    .venv/bin/python benchmarks/backfill.py --compare-to c314521 --rounds 2   # old code vs this

``--compare-to COMMIT`` runs the same backfill over the same data root with that commit's code
(``git archive`` of it into ``benchmarks/out/code-<commit>``, put first on ``PYTHONPATH``, same
venv) and with this checkout's code, alternating old and new ``--rounds`` times (so a change of
the machine's load hits both), reports seconds per day of each run and the speed-up of the
medians, and checks that every ``forecasts`` and ``reorder_plan`` Parquet partition is
byte-identical (SHA-256) between the two codes; exit status 1 if one differs. The per-run checks
and re-runs are skipped in this mode (run the script without it for them).

The data root (``--data``, default ``./data``) must hold a landing zone, an ingested warehouse and
an MLflow store with a ``demand_model@champion``: what ``inventory-pipeline demo`` leaves, or
``--prepare`` (sample shop with the defaults, ``backfill`` of daily_data_job over the whole
landing zone, ``train``; timed and reported separately). The data root is only read: the run
works on a copy of its warehouse in ``--work`` (default ``benchmarks/out/backfill-D1_D2``) with
its own ``$DAGSTER_HOME``, the landing zone and the MLflow store in place.

Each command runs in a child process; its wall time and peak RSS (``wait4``) are its own. Per-day
and per-step times come from the run's Dagster event log. Load averages (1/5/15 min) are recorded
around every command: on a shared machine other processes inflate every figure.

Output: a Markdown table on stdout, JSON in ``benchmarks/out/backfill_D1_D2.json``; exit status 1
if any check fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inventory_pipeline.invariants import (
    CatalogAsKnown,
    catalogs_as_known,
    forecast_problems,
    plan_problems,
)
from inventory_pipeline.warehouse import Warehouse

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
OUT = BENCHMARKS / "out"
JOB = "nightly_forecast_job"
TABLES = {
    "forecasts": "forecast_date",
    "reorder_plan": "plan_date",
    "forecast_accuracy": "scored_on",
}
RUN_LINE = re.compile(r": run ([0-9a-f-]{36}) (succeeded|FAILED)")
FORECAST_LOG = re.compile(r"^\[(\d+)/(\d+)\] forecasts (\d{4}-\d{2}-\d{2})")


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cli() -> list[str]:
    script = Path(sys.executable).parent / "inventory-pipeline"
    return [str(script)] if script.exists() else [sys.executable, "-m", "inventory_pipeline.cli"]


def run_command(
    args: list[str],
    env: dict[str, str],
    log: Path,
    command: list[str] | None = None,
    cwd: Path | None = None,
) -> dict[str, Any]:
    """Runs ``inventory-pipeline <args>``; wall time, peak RSS of that process, load averages."""
    print(f"$ inventory-pipeline {' '.join(args)}  (load {loadavg()})", file=sys.stderr, flush=True)
    load_start = loadavg()
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            (command or cli()) + args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd
        )
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    text = log.read_text()
    found = RUN_LINE.findall(text)
    result = {
        "command": "inventory-pipeline " + " ".join(args),
        "exit_code": os.waitstatus_to_exitcode(status),
        "wall_s": round(seconds, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "load_start": load_start,
        "load_end": loadavg(),
        "run_id": found[-1][0] if found else None,
        "log": str(log),
    }
    print(
        f"  {result['wall_s']:.1f} s, peak RSS {result['peak_rss_mib']:.0f} MiB, "
        f"exit {result['exit_code']}",
        file=sys.stderr,
        flush=True,
    )
    if result["exit_code"] != 0:
        print(text[-4000:], file=sys.stderr)
    return result


def run_timings(dagster_home: Path, run_id: str) -> dict[str, Any]:
    """Seconds per step and per forecast day, from the run's event log."""
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        steps = {
            s.step_key: round(s.end_time - s.start_time, 2)
            for s in instance.get_run_step_stats(run_id)
            if s.start_time and s.end_time
        }
        starts = {s.step_key: s.start_time for s in instance.get_run_step_stats(run_id)}
        logs = instance.all_logs(run_id)
    marks = []
    for entry in logs:
        match = FORECAST_LOG.match(entry.user_message or "")
        if match and entry.step_key == "sku_forecasts":
            marks.append((int(match.group(1)), match.group(3), entry.timestamp))
    marks.sort()
    per_day = {}
    previous = starts.get("sku_forecasts")
    for _, day, stamp in marks:
        if previous is not None:
            per_day[day] = round(stamp - previous, 2)
        previous = stamp
    return {"steps_s": steps, "forecast_day_s": per_day}


# ------------------------------------------------------------------------------------- checks


def partition_days(warehouse: Path, table: str, key: str, days: list[date]) -> list[date]:
    return [
        d for d in days if (warehouse / table / f"{key}={d.isoformat()}" / "data.parquet").exists()
    ]


def read_partition(warehouse: Path, table: str, day: date) -> pl.DataFrame:
    return pl.read_parquet(
        warehouse / table / f"{TABLES[table]}={day.isoformat()}" / "data.parquet"
    )


def catalogs(warehouse: Path, days: list[date]) -> dict[date, CatalogAsKnown]:
    """Per day D: the catalog as known on D (latest products export <= D), the rule the
    pipeline's own checks use (inventory_pipeline.invariants)."""
    wh = Warehouse(warehouse)
    return catalogs_as_known(wh, days)


def check_forecasts(
    warehouse: Path, days: list[date], known: dict[date, CatalogAsKnown]
) -> dict[str, Any]:
    problems: list[str] = []
    rows, skus = [], []
    names: list[str] = []
    for day in days:
        f = read_partition(warehouse, "forecasts", day)
        names = [c for c in f.columns if re.fullmatch(r"p\d+", c)]
        rows.append(f.height)
        skus.append(f["sku"].n_unique())
        problems += forecast_problems(f, day, known[day])
    return {
        "partitions": len(days), "rows": int(sum(rows)), "skus_per_day": [min(skus), max(skus)],
        "levels": len(names), "problems": problems,
    }  # fmt: skip


def check_plans(
    warehouse: Path, days: list[date], known: dict[date, CatalogAsKnown], truth: Path | None
) -> dict[str, Any]:
    problems: list[str] = []
    true_end = None
    if truth is not None and (truth / "products.parquet").exists():
        true_end = pl.read_parquet(truth / "products.parquet").select("sku", "discontinued_at")
    orders = units = 0
    value = 0.0
    for day in days:
        plan = read_partition(warehouse, "reorder_plan", day)
        skus = set(read_partition(warehouse, "forecasts", day)["sku"].unique().to_list())
        problems += plan_problems(plan, day, skus, known[day].discontinued)
        ordered = plan.filter(pl.col("order_qty") > 0)
        if true_end is not None:
            late = ordered.join(true_end, on="sku").filter(pl.col("discontinued_at") <= day)
            if late.height:
                problems.append(f"{day}: orders for {late.height} SKUs truly discontinued by then")
        orders += ordered.height
        units += int(plan["order_qty"].sum())
        value += float(plan["order_value"].sum())
    return {
        "partitions": len(days), "orders": orders, "units": units, "order_value": round(value, 2),
        "checked_against_ground_truth": true_end is not None, "problems": problems,
    }  # fmt: skip


def check_accuracy(warehouse: Path, days: list[date]) -> dict[str, Any]:
    problems: list[str] = []
    frames = [read_partition(warehouse, "forecast_accuracy", d) for d in days]
    scores = pl.concat([f for f in frames if f.height]) if any(f.height for f in frames) else None
    empty = [d.isoformat() for d, f in zip(days, frames) if f.height == 0]
    if scores is not None:
        if not scores["wql"].is_finite().all() or not scores["coverage_80"].is_between(0, 1).all():
            problems.append("non-finite WQL or coverage outside [0, 1]")
        if not (scores["forecast_date"] < scores["scored_on"]).all():
            problems.append("a forecast scored on or before the day it was made")
    if len(empty) > 1:  # the first day of a fresh range has no earlier forecasts to score
        problems.append(f"no scores on {len(empty)} days: {empty[:5]}")
    weighted = None
    if scores is not None:
        s = scores.filter(pl.col("units") > 0)
        weighted = round(float((s["wql"] * s["units"]).sum() / s["units"].sum()), 4)
    return {
        "partitions": len(days), "rows": 0 if scores is None else scores.height,
        "days_without_scores": empty, "unit_weighted_wql": weighted, "problems": problems,
    }  # fmt: skip


def digests(warehouse: Path) -> dict[str, str]:
    """SHA-256 of every Parquet file of the warehouse (raw, features and the nightly tables)."""
    out = {}
    for path in sorted(warehouse.rglob("*.parquet")):
        rel = path.relative_to(warehouse).as_posix()
        if rel.startswith(("evaluation/", "tmp/", ".")):
            continue
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# ------------------------------------------------------------------------------------ prepare


def prepare(data: Path, env: dict[str, str], logs: Path) -> dict[str, Any]:
    """Sample shop (defaults), daily_data_job over its whole period, then a trained champion."""
    from inventory_pipeline.sampleshop.profiles import REFERENCE_START, SAMPLE_SHOP_DEFAULTS

    env = env | {"INVENTORY_DATA_DIR": str(data)}
    for name in (
        "INVENTORY_LANDING_DIR",
        "INVENTORY_WAREHOUSE_DIR",
        "MLFLOW_TRACKING_URI",
        "DAGSTER_HOME",
    ):
        env.pop(name, None)
    start = REFERENCE_START
    end = start + timedelta(days=int(SAMPLE_SHOP_DEFAULTS["days"]) - 1)
    steps = [
        ("sample_shop", ["sample-shop", "--out", str(data / "landing"), "--start", str(start)]),
        (
            "daily_data_job",
            ["backfill", "--in-process", "--start", start.isoformat(), "--end", end.isoformat()],
        ),
        ("train", ["train", "--in-process"]),
    ]
    out = {}
    for name, args in steps:
        out[name] = run_command(args, env, logs / f"prepare-{name}.log")
        if out[name]["exit_code"] != 0:
            raise SystemExit(f"preparation step {name} failed; see {out[name]['log']}")
    return out


# ------------------------------------------------------------------------------------ compare


def code_of(commit: str) -> tuple[Path, str]:
    """The package tree of ``commit`` (``git archive``) under benchmarks/out; its full hash."""
    sha = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--verify", f"{commit}^{{commit}}"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    code = OUT / f"code-{sha[:12]}"
    if not (code / "inventory_pipeline" / "__init__.py").exists():
        shutil.rmtree(code, ignore_errors=True)
        code.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", sha],  # the package links to sql/ and deploy/
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    return code, sha


def fresh_work(data: Path, work: Path) -> Path:
    """A copy of the data root's warehouse without any nightly output; returns the warehouse."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    warehouse = work / "warehouse"
    shutil.copytree(data / "warehouse", warehouse, ignore=shutil.ignore_patterns("*.lock", "*.wal"))
    for table in TABLES:
        shutil.rmtree(warehouse / table, ignore_errors=True)
    return warehouse


def nightly_digests(warehouse: Path, days: list[date]) -> dict[str, str | None]:
    """SHA-256 of every forecasts and reorder_plan partition of ``days`` (None: missing)."""
    out: dict[str, str | None] = {}
    for table in ("forecasts", "reorder_plan"):
        for day in days:
            path = warehouse / table / f"{TABLES[table]}={day.isoformat()}" / "data.parquet"
            key = path.relative_to(warehouse).as_posix()
            out[key] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    return out


def compare(data: Path, env_for: Any, days: list[date], commit: str, rounds: int) -> dict[str, Any]:
    """The backfill with the code of ``commit`` and of this checkout, ``rounds`` times each."""
    old_code, sha = code_of(commit)
    codes = {"old": old_code, "new": REPO}
    runs: list[dict[str, Any]] = []
    digests_by: dict[str, dict[str, str | None]] = {}
    start, end = days[0].isoformat(), days[-1].isoformat()
    args = ["backfill", "--in-process", "--job", JOB, "--start", start, "--end", end]
    for r in range(rounds):
        for label, code in codes.items():
            work = OUT / f"compare-{label}-{start}_{end}"
            warehouse = fresh_work(data, work)
            env = env_for(work, warehouse) | {"PYTHONPATH": str(code)}
            where = subprocess.run(  # run from the work folder: -m and -c put the cwd first
                [sys.executable, "-c", "import inventory_pipeline as p; print(p.__file__)"],
                env=env, capture_output=True, text=True, check=True, cwd=work,
            ).stdout.strip()  # fmt: skip
            if not Path(where).resolve().is_relative_to(code.resolve()):
                raise SystemExit(f"{label} code imports {where}, not {code}")
            log = work / "logs" / f"backfill-round{r + 1}.log"
            command = [sys.executable, "-m", "inventory_pipeline.cli"]
            result = run_command(args, env, log, command, cwd=work)
            if result["exit_code"] != 0:
                raise SystemExit(f"the {label} backfill failed; see {log}")
            result |= {
                "code": label,
                "round": r + 1,
                "s_per_day": round(result["wall_s"] / len(days), 2),
                "timings": run_timings(work / "dagster_home", result["run_id"])["steps_s"],
            }
            runs.append(result)
            digests_by[label] = nightly_digests(warehouse, days)  # the last round's
    old, new = digests_by["old"], digests_by["new"]
    differ = sorted(
        k for k in old.keys() | new.keys() if old.get(k) != new.get(k) or not old.get(k)
    )
    median = {
        label: float(np.median([x["s_per_day"] for x in runs if x["code"] == label]))
        for label in codes
    }
    return {
        "commit": sha,
        "rounds": rounds,
        "runs": runs,
        "median_s_per_day": median,
        "faster_pct": round(100 * (1 - median["new"] / median["old"]), 1),
        "partitions_compared": len(old),
        "partitions_differing": differ,
        "identical": not differ,
    }


def compare_markdown(c: dict[str, Any], days: list[date]) -> str:
    steps = ("sku_forecasts", "reorder_plan", "forecast_accuracy")
    lines = [
        (
            f"Backfill of `{JOB}` over {len(days)} days ({days[0]} .. {days[-1]}), code of "
            f"{c['commit'][:7]} (old) against this checkout (new), same data root and venv:"
        ),
        "",
        "| run | code | wall | s per day | "
        + " | ".join(f"{s} s/day" for s in steps)
        + " | load 1/5/15 start → end |",
        "|---|---|---|---|" + "---|" * len(steps) + "---|",
    ]
    for r in c["runs"]:
        per_step = " | ".join(f"{r['timings'].get(s, 0) / len(days):.2f}" for s in steps)
        lines.append(
            f"| {r['round']} | {r['code']} | {r['wall_s']:.0f} s | {r['s_per_day']:.2f} | "
            f"{per_step} | {_load(r)} |"
        )
    m = c["median_s_per_day"]
    lines += [
        "",
        f"Median s per day: old {m['old']:.2f}, new {m['new']:.2f}: new is {c['faster_pct']:.1f}% "
        f"faster. forecasts + reorder_plan partitions compared: {c['partitions_compared']}, "
        + (
            "all byte-identical (SHA-256)."
            if c["identical"]
            else f"{len(c['partitions_differing'])} DIFFER: {c['partitions_differing'][:4]}"
        ),
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------- report


def _load(r: dict[str, Any]) -> str:
    return " → ".join("/".join(f"{x:.1f}" for x in r[k]) for k in ("load_start", "load_end"))


def markdown(results: dict[str, Any]) -> str:
    b = results["backfill"]
    n = results["days"]
    per_day = list(results["timings"]["forecast_day_s"].values())
    steps = results["timings"]["steps_s"]
    lines = [
        (
            f"Backfill of `{JOB}` over {n} days ({results['start']} .. {results['end']}), "
            f"{results['checks']['forecasts']['skus_per_day'][1]} SKUs, one run:"
        ),
        "",
        "| what | result |",
        "|---|---|",
        f"| command | `{b['command']}` |",
        (
            f"| wall time (process, with imports) | {b['wall_s']:.0f} s "
            f"({b['wall_s'] / n:.1f} s per day) |"
        ),
        f"| peak RSS | {b['peak_rss_mib']:.0f} MiB |",
        f"| load average 1/5/15 min, start → end | {_load(b)} |",
    ]
    for step in ("sku_forecasts", "reorder_plan", "forecast_accuracy"):
        if step in steps:
            lines.append(f"| step {step} | {steps[step]:.1f} s ({steps[step] / n:.2f} s per day) |")
    other = sum(
        v
        for k, v in steps.items()
        if k not in ("sku_forecasts", "reorder_plan", "forecast_accuracy")
    )
    lines.append(f"| steps ingest + features ({len(steps) - 3}) | {other:.1f} s |")
    if per_day:
        lines.append(
            f"| forecast per day: first (model load) / median / max | {per_day[0]:.2f} / "
            f"{float(np.median(per_day[1:] or per_day)):.2f} / "
            f"{max(per_day[1:] or per_day):.2f} s |"
        )
    c = results["checks"]
    lines += [
        (
            f"| partitions forecasts / reorder_plan / forecast_accuracy | "
            f"{c['forecasts']['partitions']} / {c['reorder_plan']['partitions']} / "
            f"{c['forecast_accuracy']['partitions']} |"
        ),
        (
            f"| forecast rows, quantile levels | {c['forecasts']['rows']:,}, "
            f"{c['forecasts']['levels']} |"
        ),
        (
            f"| orders (SKU-days), units, value | {c['reorder_plan']['orders']:,}, "
            f"{c['reorder_plan']['units']:,}, {c['reorder_plan']['order_value']:,.0f} |"
        ),
        (
            "| unit-weighted WQL of the scored forecasts | "
            f"{c['forecast_accuracy']['unit_weighted_wql']} |"
        ),
    ]
    for r in results["reruns"]:
        if r["exit_code"] != 0:
            verdict = f"run FAILED (exit {r['exit_code']}, see {r['log']})"
        elif r["identical"]:
            verdict = f"all {r['files_compared']} Parquet files identical"
        else:
            verdict = f"{len(r['changed'])} files DIFFER: " + ", ".join(r["changed"][:3])
        lines.append(
            f"| re-run {r['day']} alone | {r['wall_s']:.0f} s, peak RSS "
            f"{r['peak_rss_mib']:.0f} MiB, {verdict} (load {_load(r)}) |"
        )
    for name, check in c.items():
        status = "ok" if not check["problems"] else "; ".join(check["problems"][:3])
        lines.append(f"| checks {name} | {status} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=REPO / "data", help="prepared data root (read only)"
    )
    parser.add_argument(
        "--prepare", action="store_true", help="create --data first if it has no landing zone"
    )
    parser.add_argument("--days", type=int, default=60, help="days to backfill, ending at --end")
    parser.add_argument(
        "--end", type=date.fromisoformat, help="last day (default: last landing day)"
    )
    parser.add_argument(
        "--reruns", type=int, default=3, help="days re-run alone, spread over the range"
    )
    parser.add_argument(
        "--work", type=Path, help="working copy (default benchmarks/out/backfill-D1_D2)"
    )
    parser.add_argument(
        "--compare-to", metavar="COMMIT", help="also run COMMIT's code; compare time and output"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="with --compare-to: old/new pairs to run"
    )
    args = parser.parse_args()

    from inventory_pipeline.ingest.load import landing_dates

    data = args.data.resolve()
    base_env = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DAGSTER_DISABLE_TELEMETRY": "true",
    }
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"data": str(data), "cpus": os.cpu_count(), "load_start": loadavg()}
    if not (data / "landing").exists():
        if not args.prepare:
            parser.error(
                f"{data} has no landing zone: run `inventory-pipeline demo` or pass --prepare"
            )
        (OUT / "backfill-prepare").mkdir(parents=True, exist_ok=True)
        results["prepare"] = prepare(data, base_env, OUT / "backfill-prepare")

    landing_days = landing_dates(data / "landing", "orders")
    end = args.end or landing_days[-1]
    start = end - timedelta(days=args.days - 1)
    days = [start + timedelta(days=i) for i in range(args.days)]

    def env_for(work: Path, warehouse: Path) -> dict[str, str]:
        shop = {"INVENTORY_SETTINGS": str(data / "settings.yaml")}  # the shop's events, if any
        return (
            base_env
            | ({} if "INVENTORY_SETTINGS" in base_env else shop)
            | {
                "INVENTORY_DATA_DIR": str(work),
                "INVENTORY_LANDING_DIR": str(data / "landing"),
                "INVENTORY_WAREHOUSE_DIR": str(warehouse),
                "MLFLOW_TRACKING_URI": os.environ.get("MLFLOW_TRACKING_URI")
                or f"sqlite:///{data / 'mlflow' / 'mlflow.db'}",
                "DAGSTER_HOME": str(work / "dagster_home"),
            }
        )

    if args.compare_to:
        results["compare"] = compare(data, env_for, days, args.compare_to, args.rounds)
        results["load_end"] = loadavg()
        results["markdown"] = compare_markdown(results["compare"], days)
        out = OUT / f"backfill_compare_{start}_{end}.json"
        out.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(results["markdown"])
        print(f"\nJSON: {out}", file=sys.stderr)
        return 0 if results["compare"]["identical"] else 1

    work = (args.work or OUT / f"backfill-{start}_{end}").resolve()
    shutil.rmtree(work, ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    warehouse = work / "warehouse"
    print(f"copying {data / 'warehouse'} to {warehouse}", file=sys.stderr, flush=True)
    shutil.copytree(data / "warehouse", warehouse, ignore=shutil.ignore_patterns("*.lock", "*.wal"))
    for table in TABLES:  # start from no nightly outputs at all
        shutil.rmtree(warehouse / table, ignore_errors=True)
    env = env_for(work, warehouse)
    results |= {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": len(days),
        "work": str(work),
    }

    backfill = [
        "backfill",
        "--in-process",
        "--job",
        JOB,
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
    ]
    results["backfill"] = run_command(backfill, env, work / "logs" / "backfill.log")
    if results["backfill"]["exit_code"] != 0:
        raise SystemExit("the backfill failed")
    results["timings"] = run_timings(work / "dagster_home", results["backfill"]["run_id"])

    gone = catalogs(warehouse, days)
    truth = data / "ground_truth"
    present = {t: partition_days(warehouse, t, k, days) for t, k in TABLES.items()}
    results["checks"] = {
        "forecasts": check_forecasts(warehouse, present["forecasts"], gone),
        "reorder_plan": check_plans(
            warehouse, present["reorder_plan"], gone, truth if truth.exists() else None
        ),
        "forecast_accuracy": check_accuracy(warehouse, present["forecast_accuracy"]),
    }
    for table, found in present.items():
        if len(found) != len(days):
            missing = sorted(set(days) - set(found))
            results["checks"][table]["problems"].append(
                f"{len(missing)} partitions missing: {missing[:5]}"
            )

    k = min(args.reruns, len(days))
    picks = sorted({days[round(i * (len(days) - 1) / max(k - 1, 1))] for i in range(k)})
    results["reruns"] = []
    before = digests(warehouse)
    for day in picks:
        args_day = [
            "backfill",
            "--in-process",
            "--job",
            JOB,
            "--start",
            day.isoformat(),
            "--end",
            day.isoformat(),
        ]
        r = run_command(args_day, env, work / "logs" / f"rerun-{day}.log")
        after = digests(warehouse)
        changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        r |= {
            "day": day.isoformat(),
            "identical": r["exit_code"] == 0 and not changed,
            "changed": changed,
        }
        r["files_compared"] = len(after)
        results["reruns"].append(r)
    results["reproducible"] = all(r["identical"] for r in results["reruns"])
    results["ok"] = results["reproducible"] and not any(
        c["problems"] for c in results["checks"].values()
    )
    results["load_end"] = loadavg()
    results["markdown"] = markdown(results)
    out = OUT / f"backfill_{start}_{end}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(results["markdown"])
    print(f"\nJSON: {out}\nall checks {'passed' if results['ok'] else 'FAILED'}", file=sys.stderr)
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
