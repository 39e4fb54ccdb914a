"""Same inputs, two versions of the code: are the results byte-identical?

A refactor must not change what the pipeline computes. This runs one small scenario through the
command line twice, once with the code of ``--base`` (a commit, checked out into a temporary git
worktree and put first on ``PYTHONPATH``) and once with this checkout, in the same virtual
environment, and compares what both wrote:

1. ``sample-shop`` (same size and seed): every landing file;
2. ``backfill`` of ``daily_data_job`` over the whole period: every raw and feature Parquet file;
3. ``train`` with a fixed seed and a small model: the champion's weights (every ``.pt``,
   ``.safetensors`` and ``.npz`` file of the registered version's artifacts) and its logged
   metrics;
4. ``backfill`` of ``nightly_forecast_job`` over the last ``--nights`` days: every forecasts,
   reorder plan and accuracy Parquet file.

    .venv/bin/python benchmarks/identical.py --base <commit>
    .venv/bin/python benchmarks/identical.py --base <commit> --skus 12 --days 120 --nights 5

Files are compared by SHA-256 under their path relative to the data root; paths that name a run
(``training/runs/<run id>/``) are compared by their place in the sorted list instead. Output: a
Markdown table on stdout, one row per group (files equal / differing / only on one side), and
the differing paths; exit status 1 if anything differs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WEIGHT_SUFFIXES = (".pt", ".safetensors", ".npz")
TINY_TRAINING = """\
backtest_days: 28
min_history_days: 21
validation_origins: 1
baselines: [seasonal_naive]
history_days: 14
horizon_days: 14
d_model: 16
num_threads: 1
"""
RUN_FOLDER = re.compile(r"(training/runs/)[^/]+/")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(root: Path, suffixes: tuple[str, ...] | None = None) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and (suffixes is None or path.name.endswith(suffixes)):
            yield path


def _hashes(root: Path, suffixes: tuple[str, ...] | None = None) -> dict[str, str]:
    """SHA-256 by relative path; a run folder's name is replaced by its rank among run folders."""
    out: dict[str, str] = {}
    runs = sorted({m.group(0) for p in _files(root) if (m := RUN_FOLDER.search(p.as_posix()))})
    rank = {name: f"training/runs/#{i}/" for i, name in enumerate(runs)}
    for path in _files(root, suffixes):
        rel = path.relative_to(root).as_posix()
        rel = RUN_FOLDER.sub(lambda m: rank.get(m.group(0), m.group(0)), rel)
        out[rel] = _sha256(path)
    return out


def _run(label: str, code: Path, work: Path, args: list[str]) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "INVENTORY_DATA_DIR": str(work / "data"),
        "DAGSTER_HOME": str(work / "dagster_home"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    for name in ("INVENTORY_LANDING_DIR", "INVENTORY_WAREHOUSE_DIR", "INVENTORY_SETTINGS",
                 "MLFLOW_TRACKING_URI"):  # fmt: skip
        env.pop(name, None)
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    command = [sys.executable, "-m", "inventory_pipeline.cli", *args]
    done = subprocess.run(command, check=False, cwd=work, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    print(f"[{label}] {' '.join(args[:1])} {seconds:.0f}s (exit {done.returncode})", flush=True)
    if done.returncode != 0 and args[0] != "train":
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"[{label}] {' '.join(args)} failed")


def _champion(work: Path) -> tuple[dict[str, str], dict[str, float]]:
    """The registered version's weight files (by SHA-256) and its run's metrics."""
    from mlflow.tracking import MlflowClient

    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    client = MlflowClient(f"sqlite:///{work / 'data' / 'mlflow' / 'mlflow.db'}")
    versions = client.search_model_versions("name='demand_model'")
    if not versions:
        raise SystemExit(f"{work}: training registered no model version")
    version = max(versions, key=lambda v: int(v.version))
    run = client.get_run(version.run_id)
    target = Path(tempfile.mkdtemp(prefix="artifacts-", dir=work))
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{work / 'data' / 'mlflow' / 'mlflow.db'}")
    local = Path(mlflow.artifacts.download_artifacts(version.source, dst_path=str(target)))
    metrics = {k: v for k, v in run.data.metrics.items() if not k.endswith(("_s", "_seconds"))}
    metrics = {k: v for k, v in metrics.items() if "rss" not in k and "time" not in k}
    return _hashes(local, WEIGHT_SUFFIXES), metrics


def scenario(label: str, code: Path, work: Path, args: argparse.Namespace) -> None:
    start = date.fromisoformat(args.start)
    end = start + timedelta(days=args.days - 1)
    first_night = end - timedelta(days=args.nights - 1)
    work.mkdir(parents=True, exist_ok=True)
    (work / "tiny.yaml").write_text(TINY_TRAINING)
    _run(label, code, work, ["sample-shop", "--out", "data/landing", "--skus", str(args.skus),
                             "--days", str(args.days), "--start", args.start,
                             "--seed", str(args.seed)])  # fmt: skip
    _run(label, code, work, ["backfill", "--in-process", "--start", args.start,
                             "--end", end.isoformat()])  # fmt: skip
    _run(label, code, work, ["train", "--in-process", "--max-epochs", str(args.epochs),
                             "--seed", "1", "--config", "tiny.yaml"])  # fmt: skip
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{work / 'data' / 'mlflow' / 'mlflow.db'}")
    versions = client.search_model_versions("name='demand_model'")
    if not versions:
        raise SystemExit(f"[{label}] training registered no model version")
    latest = max(versions, key=lambda v: int(v.version))
    client.set_registered_model_alias("demand_model", "champion", latest.version)
    nights = ["--start", first_night.isoformat(), "--end", end.isoformat()]
    _run(label, code, work, ["backfill", "--in-process", "--job", "nightly_forecast_job", *nights])


def compare(base: Path, head: Path) -> list[tuple[str, int, int, list[str]]]:
    """(group, equal, differing, differing or one-sided paths) per group of outputs."""
    data_b, data_h = base / "data", head / "data"
    groups: dict[str, tuple[dict[str, str], dict[str, str]]] = {
        "landing zone": (_hashes(data_b / "landing"), _hashes(data_h / "landing")),
    }
    for part in ("raw", "features", "forecasts", "reorder_plan", "forecast_accuracy"):
        groups[f"warehouse/{part}"] = (
            _hashes(data_b / "warehouse" / part, (".parquet",)),
            _hashes(data_h / "warehouse" / part, (".parquet",)),
        )
    weights_b, metrics_b = _champion(base)
    weights_h, metrics_h = _champion(head)
    groups["champion weights"] = (weights_b, weights_h)
    groups["champion run metrics"] = (
        {k: repr(v) for k, v in metrics_b.items()},
        {k: repr(v) for k, v in metrics_h.items()},
    )
    rows = []
    for name, (b, h) in groups.items():
        equal = sorted(k for k in b.keys() & h.keys() if b[k] == h[k])
        different = sorted(k for k in b.keys() | h.keys() if b.get(k) != h.get(k))
        rows.append((name, len(equal), len(different), different))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="commit whose results are the reference")
    parser.add_argument("--skus", type=int, default=8, help="SKUs of the sample shop")
    parser.add_argument("--days", type=int, default=84, help="export days of the sample shop")
    parser.add_argument("--start", default="2024-01-01", help="first export day")
    parser.add_argument("--seed", type=int, default=3, help="sample shop seed")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs")
    parser.add_argument("--nights", type=int, default=3, help="nightly runs at the end")
    parser.add_argument("--work", type=Path, default=None, help="keep the runs here")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="identical-"))
    if work.exists() and any(work.iterdir()):
        raise SystemExit(f"{work} is not empty: pass a new --work folder")
    work.mkdir(parents=True, exist_ok=True)
    base_code = work / "base-code"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(base_code),
                    args.base], check=True, capture_output=True)  # fmt: skip
    try:
        revision = ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]
        found = subprocess.run(revision, check=False, capture_output=True, text=True)
        commit = found.stdout.strip()
        scenario(f"base {args.base[:9]}", base_code, work / "base", args)
        scenario(f"head {commit}", REPO, work / "head", args)
        rows = compare(work / "base", work / "head")
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base_code)],
                       check=False, capture_output=True)  # fmt: skip
        shutil.rmtree(base_code, ignore_errors=True)
    print(f"\nbase {args.base} vs head {commit} (this checkout, uncommitted changes included)\n")
    print("| outputs | equal | differing or one side only |")
    print("|---|---|---|")
    for name, equal, different, _ in rows:
        print(f"| {name} | {equal} | {different} |")
    failed = False
    for name, _, different, paths in rows:
        if different:
            failed = True
            print(f"\n{name}: {different} differ, e.g. {paths[:5]}")
    print(f"\nworking folder: {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
