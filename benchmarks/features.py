"""Feature-table benchmark: full build, nightly incremental update of one day, as-of reads.

Generates a sample shop (``inventory_pipeline.sampleshop.generate_shop``), ingests every export
day but the last into raw Parquet, builds every feature table, then loads the last day and runs the
nightly update. Reports wall time per step and the peak resident memory of the process.

    .venv/bin/python benchmarks/features.py                      # default sample shop
    .venv/bin/python benchmarks/features.py --skus 10000          # ~10M order lines
    .venv/bin/python benchmarks/features.py --workdir /tmp/bench --reuse   # keep generated data

Results are printed as JSON and written to ``benchmarks/out/features-<skus>x<days>.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

from inventory_pipeline.contract import TABLES as CONTRACTS
from inventory_pipeline.features import FeatureConfig, build_table, features_as_of, update_table
from inventory_pipeline.features.catalog import FEATURE_TABLES
from inventory_pipeline.features.sources import RAW_TABLES
from inventory_pipeline.ingest.load import known_skus_by_day, landing_dates, load_day, write_day
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.warehouse import Warehouse

T = TypeVar("T")
OUT = Path(__file__).resolve().parent / "out"


def timed(results: dict[str, Any], key: str, fn: Callable[[], T]) -> T:
    started = time.perf_counter()
    value = fn()
    results[key] = round(time.perf_counter() - started, 2)
    print(f"{key}: {results[key]} s", file=sys.stderr, flush=True)
    return value


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def ingest(landing: Path, warehouse: Warehouse, days: Iterable[date]) -> None:
    """The ingestion library calls the ingest assets make, catalog first each day."""
    for day in days:
        write_day(warehouse, CONTRACTS["products"], load_day(landing, CONTRACTS["products"], day, None))
        known = known_skus_by_day(warehouse, day)["sku"]
        for table in RAW_TABLES:
            if table != "products":
                write_day(warehouse, CONTRACTS[table], load_day(landing, CONTRACTS[table], day, known))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=300, help="sample-shop SKUs (10000 ~ 10M lines)")
    parser.add_argument("--days", type=int, default=745, help="sample-shop days")
    parser.add_argument("--workdir", type=Path, default=None, help="default: benchmarks/out/work-<skus>")
    parser.add_argument("--reuse", action="store_true", help="reuse generated + ingested data")
    parser.add_argument("--origins", type=int, default=5, help="as-of calls timed (training origins)")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all)")
    args = parser.parse_args()

    work = args.workdir or OUT / f"work-{args.skus}x{args.days}"
    landing, truth, raw = work / "landing", work / "truth", Warehouse(work / "raw-only")
    results: dict[str, Any] = {"skus": args.skus, "days": args.days}
    if not (args.reuse and (work / "ingested").exists()):
        shutil.rmtree(work, ignore_errors=True)
        summary = timed(results, "generate_s", lambda: generate_shop(
            landing, truth, skus=args.skus, days=args.days, progress=False))
        results["landing_rows"] = summary.rows
        days = sorted({d for t in RAW_TABLES for d in landing_dates(landing, t)})
        timed(results, "ingest_s", lambda: ingest(landing, raw, days[:-1]))
        (work / "ingested").write_text(days[-1].isoformat())
    last_day = date.fromisoformat((work / "ingested").read_text())

    # Build on a copy so --reuse always starts from the raw tables without the last day.
    warehouse = Warehouse(work / "warehouse")
    shutil.rmtree(warehouse.root, ignore_errors=True)
    shutil.copytree(raw.root, warehouse.root)
    config = FeatureConfig(duckdb_threads=args.threads)
    for name in FEATURE_TABLES:
        update = timed(results, f"build_{name}_s", lambda: build_table(warehouse, name, config))
        results[f"build_{name}_rows"] = update.rows
    results["build_total_s"] = round(sum(results[f"build_{n}_s"] for n in FEATURE_TABLES), 2)

    timed(results, "ingest_one_day_s", lambda: ingest(landing, warehouse, [last_day]))
    for name in FEATURE_TABLES:
        update = timed(results, f"nightly_{name}_s",
                       lambda: update_table(warehouse, name, last_day, config))
        results[f"nightly_{name}_written"] = list(update.written)
    results["nightly_total_s"] = round(sum(results[f"nightly_{n}_s"] for n in FEATURE_TABLES), 2)

    features = timed(results, "as_of_all_skus_s", lambda: features_as_of(warehouse, last_day, config=config))
    results["as_of_all_skus_rows"] = {k: v.height for k, v in features.frames().items()}
    sample = features.skus[: min(300, len(features.skus))]
    origins = [last_day - timedelta(days=30 * (i + 1)) for i in range(args.origins)]
    started = time.perf_counter()
    for origin in origins:
        features_as_of(warehouse, origin, skus=sample, config=config)
    results["as_of_300_skus_per_origin_s"] = round((time.perf_counter() - started) / len(origins), 2)
    results["peak_rss_mb"] = peak_rss_mb()
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"features-{args.skus}x{args.days}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
