"""Ingestion benchmark: wall time, rows per second and peak memory for whole landing zones.

Generates a sample shop (unless ``--landing`` points at an existing landing zone), then ingests
every table over every export day with the same code the Dagster assets run
(``inventory_pipeline.ingest.load.ingest_days``), in a child process per shop so that peak RSS is
measured for ingestion alone.

    python benchmarks/ingest.py                         # default sample shop (300 SKUs x 745 days)
    python benchmarks/ingest.py --skus 10000            # ~10 million order lines
    python benchmarks/ingest.py --landing path/to/landing
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from inventory_pipeline import contract as c
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.warehouse import Warehouse


def _ingest(landing: str, warehouse: str, queue: mp.Queue) -> None:
    started = time.perf_counter()
    wh = Warehouse(Path(warehouse))
    per_table = {}
    for contract in c.TABLES.values():  # products first: the others check SKUs against it
        days = landing_dates(Path(landing), contract.name)
        if not days:
            continue
        t0 = time.perf_counter()
        stats = ingest_days(Path(landing), wh, contract, days)
        per_table[contract.name] = {
            "days": len(days),
            "rows_read": stats.rows_read,
            "rows_rejected": stats.rows_rejected,
            "files_rejected": stats.files_rejected,
            "seconds": round(time.perf_counter() - t0, 2),
        }
    queue.put(
        {
            "seconds": round(time.perf_counter() - started, 2),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "tables": per_table,
        }
    )


def measure(landing: Path, workdir: Path) -> dict:
    queue: mp.Queue = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(
        target=_ingest, args=(str(landing), str(workdir / "wh"), queue)
    )
    proc.start()
    result = queue.get()
    proc.join()
    rows = sum(t["rows_read"] for t in result["tables"].values())
    orders = result["tables"].get("orders", {}).get("rows_read", 0)
    result["rows_total"] = rows
    result["rows_per_second"] = round(rows / result["seconds"])
    result["order_lines"] = orders
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--landing", type=Path, help="existing landing zone (else one is generated)"
    )
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--days", type=int, default=745)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    try:
        landing = args.landing
        if landing is None:
            from inventory_pipeline.sampleshop import generate_shop

            landing = workdir / "landing"
            t0 = time.perf_counter()
            generate_shop(
                landing,
                workdir / "truth",
                skus=args.skus,
                days=args.days,
                start=date(2024, 1, 1),
                seed=args.seed,
                progress=True,
            )
            print(
                f"generated {args.skus} SKUs x {args.days} days in {time.perf_counter() - t0:.1f}s"
            )
        result = measure(landing, workdir)
        print(json.dumps(result, indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")


if __name__ == "__main__":
    main()
