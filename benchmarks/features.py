"""Feature-table benchmark: full build, nightly incremental update of one day, as-of reads.

Generates a sample shop (``inventory_pipeline.sampleshop.generate_shop``), ingests every export
day but the last into raw Parquet, builds every feature table, then loads the last day and runs the
nightly update. Reports wall time per step and the peak resident memory of the process.

    .venv/bin/python benchmarks/features.py                      # default sample shop
    .venv/bin/python benchmarks/features.py --skus 10000 --synthetic   # ~10M order lines
    .venv/bin/python benchmarks/features.py --workdir bench-work --reuse   # keep generated data

``--synthetic`` writes the raw partitions directly (docs/warehouse.md layout) with DuckDB instead
of generating a landing zone and ingesting it: ingesting 10M lines through the contract
validation takes far longer than the features themselves (benchmarks/ingest.py measures that).
The synthetic shop has the same shape as the sample shop: ~1,000 lines per SKU over the period,
late exports, corrections and cancellations exported up to 10 days later, daily snapshots with
stockouts, a full catalog every 91 days, reviews and promotion plans with re-plans.

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
        write_day(
            warehouse, CONTRACTS["products"], load_day(landing, CONTRACTS["products"], day, None)
        )
        known = known_skus_by_day(warehouse, day)["sku"]
        for table in RAW_TABLES:
            if table != "products":
                write_day(
                    warehouse, CONTRACTS[table], load_day(landing, CONTRACTS[table], day, known)
                )


SYNTHETIC_SQL = {
    # $skus SKUs, $days days from $start; every number below mirrors the sample shop's defaults.
    "orders": """
        WITH base AS (
            SELECT i, 'SKU-' || lpad(CAST(hash(i, 1) % $skus AS VARCHAR), 7, '0') AS sku,
                   CAST($start AS DATE) + CAST(hash(i, 2) % $days AS INTEGER) AS day,
                   CAST(1 + hash(i, 3) % 3 AS BIGINT) AS quantity,
                   5.0 + CAST((hash(i, 1) % $skus) % 200 AS INTEGER) AS price,
                   CAST(hash(i, 4) % 86400 AS INTEGER) AS second
            FROM range($lines) AS t(i)
        ),
        versions AS (
            SELECT i, sku, quantity, price, day, second, 'placed' AS status,
                   day + CAST(CASE WHEN hash(i, 5) % 100 < 4 THEN 1 + hash(i, 6) % 3 ELSE 0 END
                              AS INTEGER) AS export_date
            FROM base
            UNION ALL  -- corrected quantity or cancellation, exported 1..10 days later
            SELECT i, sku, quantity + 1, price, day, second,
                   CASE WHEN hash(i, 7) % 7 < 5 THEN 'cancelled' ELSE 'placed' END,
                   day + CAST(1 + hash(i, 8) % 10 AS INTEGER)
            FROM base WHERE hash(i, 9) % 1000 < 35
        )
        SELECT 'O' || lpad(CAST(i AS VARCHAR), 9, '0') AS order_id, CAST(1 AS BIGINT) AS line_no,
               sku, quantity, price AS unit_price,
               CAST(day AS TIMESTAMP) + to_seconds(second) AS ordered_at, status,
               'C' || CAST(hash(i, 10) % 100000 AS VARCHAR) AS customer_id,
               'orders/date=' || export_date || '/orders.csv' AS _source_file,
               CAST(row_number() OVER (PARTITION BY export_date ORDER BY i, status) AS BIGINT)
                   AS _row_number,
               export_date
        FROM versions WHERE export_date < CAST($start AS DATE) + $days
    """,
    "inventory": """
        SELECT CAST($start AS DATE) + CAST(d AS INTEGER) AS snapshot_date,
               'SKU-' || lpad(CAST(s AS VARCHAR), 7, '0') AS sku,
               CAST(CASE WHEN hash(s, d) % 100 < 3 THEN 0 ELSE hash(s, d) % 50 END AS BIGINT)
                   AS on_hand,
               CAST(hash(s, d, 1) % 20 AS BIGINT) AS on_order,
               'inventory/date=x/inventory.csv' AS _source_file,
               CAST(s + 1 AS BIGINT) AS _row_number,
               CAST($start AS DATE) + CAST(d AS INTEGER)
                   + CASE WHEN hash(s, d, 2) % 100 < 3 THEN 1 ELSE 0 END AS export_date
        FROM range($skus) AS a(s), range($days) AS b(d)
        WHERE CAST($start AS DATE) + CAST(d AS INTEGER)
              + CASE WHEN hash(s, d, 2) % 100 < 3 THEN 1 ELSE 0 END
              < CAST($start AS DATE) + $days
    """,
    "products": """
        SELECT 'SKU-' || lpad(CAST(s AS VARCHAR), 7, '0') AS sku,
               'Product ' || s || ' '
                   || (ARRAY['pan', 'lamp', 'mug', 'tent', 'drill'])[1 + s % 5] AS title,
               'A sturdy product, item ' || s || ', for everyday use.' AS description,
               (ARRAY['home/kitchen', 'home/decor', 'outdoor/camping', 'tools/power', 'toys'])
                   [1 + s % 5] AS category,
               'Brand' || (s % 37) AS brand,
               5.0 + CAST(s % 200 AS INTEGER)
                   + CASE WHEN k > 0 AND hash(s, 3) % 10 = 0 THEN 1.0 ELSE 0.0 END AS list_price,
               2.0 + s % 80 AS unit_cost,
               CAST(5 + s % 40 AS BIGINT) AS lead_time_days, CAST(1 + s % 20 AS BIGINT) AS moq,
               CAST(1 + s % 6 AS BIGINT) AS pack_size,
               CAST($start AS DATE)
                   + CAST(CASE WHEN s % 5 = 0 THEN hash(s, 1) % $days
                               ELSE -1 - CAST(hash(s, 2) % 1000 AS INTEGER) END AS INTEGER)
                   AS launched_at,
               CASE WHEN s % 12 = 0
                    THEN CAST($start AS DATE) + CAST(200 + hash(s, 4) % ($days - 200) AS INTEGER)
               END AS discontinued_at,
               'products/date=x/products.csv' AS _source_file, CAST(s + 1 AS BIGINT) AS _row_number,
               CAST($start AS DATE) + CAST(91 * k AS INTEGER) AS export_date
        FROM range($skus) AS a(s), range(CAST(ceil($days / 91.0) AS BIGINT)) AS b(k)
    """,
    "reviews": """
        SELECT 'R' || i AS review_id,
               'SKU-' || lpad(CAST(hash(i, 1) % $skus AS VARCHAR), 7, '0') AS sku,
               CAST(1 + hash(i, 2) % 5 AS BIGINT) AS rating, 'Title ' || i AS title,
               'Review body ' || i || ', works as described; would buy again.' AS body,
               CAST(CAST($start AS DATE) + CAST(hash(i, 3) % $days AS INTEGER) AS TIMESTAMP)
                   AS created_at,
               'reviews/date=x/reviews.csv' AS _source_file, CAST(i + 1 AS BIGINT) AS _row_number,
               CAST(CAST($start AS DATE) + CAST(hash(i, 3) % $days AS INTEGER) AS DATE)
                 + CASE WHEN hash(i, 4) % 100 < 3 THEN 1 ELSE 0 END AS export_date
        FROM range($reviews) AS t(i)
        WHERE CAST($start AS DATE) + CAST(hash(i, 3) % $days AS INTEGER)
              + CASE WHEN hash(i, 4) % 100 < 3 THEN 1 ELSE 0 END < CAST($start AS DATE) + $days
    """,
    "promotions": """
        WITH plans AS (
            SELECT i, 'SKU-' || lpad(CAST(hash(i, 1) % $skus AS VARCHAR), 7, '0') AS sku,
                   CAST($start AS DATE) + CAST(hash(i, 2) % $days AS INTEGER) AS start_date,
                   CAST(3 + hash(i, 3) % 12 AS INTEGER) AS length,
                   5.0 * CAST(1 + hash(i, 4) % 10 AS INTEGER) AS pct,
                   CAST(3 + hash(i, 5) % 28 AS INTEGER) AS lead
            FROM range($promos) AS t(i)
        ), versions AS (
            SELECT i, sku, start_date, start_date + length - 1 AS end_date, pct,
                   start_date - lead AS export_date
            FROM plans
            UNION ALL
            SELECT i, sku, start_date, start_date + length + 1, pct + 5, start_date - 1
            FROM plans WHERE hash(i, 6) % 100 < 15
        )
        SELECT 'P' || i AS promo_id, sku, start_date, end_date, pct AS discount_pct,
               (ARRAY['discount', 'flash_sale', 'bundle', 'free_shipping'])[1 + i % 4]
                   AS promo_type,
               'Campaign ' || i AS name, 'promotions/date=x/promotions.csv' AS _source_file,
               CAST(row_number() OVER (PARTITION BY export_date ORDER BY i, end_date) AS BIGINT)
                   AS _row_number,
               greatest(export_date, CAST($start AS DATE)) AS export_date
        FROM versions
        WHERE greatest(export_date, CAST($start AS DATE)) < CAST($start AS DATE) + $days
    """,
}


def write_raw_tables(
    warehouse: Warehouse, sql_by_table: dict[str, str], params: dict[str, Any], all_days: list[date]
) -> dict[str, int]:
    """Runs each table's SQL with ``params`` and writes its rows as raw partitions by export day.

    Returns the rows written per table.
    """
    import duckdb
    import pyarrow.compute as pc

    rows: dict[str, int] = {}
    con = duckdb.connect()
    try:
        for table, sql in sql_by_table.items():
            schema = CONTRACTS[table].arrow_schema
            used = {k: v for k, v in params.items() if f"${k}" in sql}
            data = con.sql(sql, params=used).to_arrow_table().sort_by("export_date")
            counts = {
                row["values"]: row["counts"]
                for row in pc.value_counts(data.column("export_date")).to_pylist()
            }
            offset = 0
            for day in all_days:
                n = counts.get(day, 0)
                part = data.slice(offset, n).select(schema.names).cast(schema)
                warehouse.write_partition(f"raw/{table}", {"export_date": day}, part)
                offset += n
            rows[table] = data.num_rows
            print(f"synthetic {table}: {data.num_rows} rows", file=sys.stderr, flush=True)
            del data
    finally:
        con.close()
    return rows


def synthetic_raw(warehouse: Warehouse, skus: int, days: int, start: date) -> list[date]:
    """Writes a raw-layout shop straight into the warehouse; returns its export days."""
    params = {
        "skus": skus,
        "days": days,
        "start": start,
        "lines": 1000 * skus,
        "reviews": 35 * skus,
        "promos": 6 * skus,
    }
    all_days = [start + timedelta(days=i) for i in range(days)]
    write_raw_tables(warehouse, SYNTHETIC_SQL, params, all_days)
    return all_days


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skus", type=int, default=300, help="sample-shop SKUs (10000 ~ 10M lines)"
    )
    parser.add_argument("--days", type=int, default=745, help="sample-shop days")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="default: benchmarks/out/work-<skus>"
    )
    parser.add_argument("--reuse", action="store_true", help="reuse generated + ingested data")
    parser.add_argument(
        "--origins", type=int, default=5, help="as-of calls timed (training origins)"
    )
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all)")
    parser.add_argument("--synthetic", action="store_true", help="write raw partitions directly")
    args = parser.parse_args()

    work = args.workdir or OUT / f"work-{args.skus}x{args.days}"
    landing, truth, raw = work / "landing", work / "truth", Warehouse(work / "raw-only")
    results: dict[str, Any] = {"skus": args.skus, "days": args.days}
    results["mode"] = "synthetic raw" if args.synthetic else "sample shop + ingestion"
    if not (args.reuse and (work / "ingested").exists()):
        shutil.rmtree(work, ignore_errors=True)
        if args.synthetic:
            days = timed(
                results,
                "generate_s",
                lambda: synthetic_raw(raw, args.skus, args.days, date(2024, 1, 1)),
            )
            pending = raw.root / "pending-last-day"  # the nightly day is "loaded" later
            for table in RAW_TABLES:
                src = raw.partition_path(f"raw/{table}", {"export_date": days[-1]})
                dst = pending / table / src.name
                dst.parent.mkdir(parents=True, exist_ok=True)
                src.rename(dst)
                src.parent.rmdir()
        else:
            summary = timed(
                results,
                "generate_s",
                lambda: generate_shop(
                    landing, truth, skus=args.skus, days=args.days, progress=False
                ),
            )
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
        update = timed(results, f"build_{name}_s", lambda n=name: build_table(warehouse, n, config))
        results[f"build_{name}_rows"] = update.rows
    results["build_total_s"] = round(sum(results[f"build_{n}_s"] for n in FEATURE_TABLES), 2)

    if args.synthetic:
        for table in RAW_TABLES:
            src = warehouse.root / "pending-last-day" / table / "data.parquet"
            dst = warehouse.partition_path(f"raw/{table}", {"export_date": last_day})
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)
    else:
        timed(results, "ingest_one_day_s", lambda: ingest(landing, warehouse, [last_day]))
    for name in FEATURE_TABLES:
        update = timed(
            results,
            f"nightly_{name}_s",
            lambda n=name: update_table(warehouse, n, last_day, config),
        )
        results[f"nightly_{name}_written"] = list(update.written)
    results["nightly_total_s"] = round(sum(results[f"nightly_{n}_s"] for n in FEATURE_TABLES), 2)

    features = timed(
        results, "as_of_all_skus_s", lambda: features_as_of(warehouse, last_day, config=config)
    )
    results["as_of_all_skus_rows"] = {k: v.height for k, v in features.frames().items()}
    sample = features.skus[: min(300, len(features.skus))]
    origins = [last_day - timedelta(days=30 * (i + 1)) for i in range(args.origins)]
    started = time.perf_counter()
    for origin in origins:
        features_as_of(warehouse, origin, skus=sample, config=config)
    results["as_of_300_skus_per_origin_s"] = round(
        (time.perf_counter() - started) / len(origins), 2
    )
    results["peak_rss_mb"] = peak_rss_mb()
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"features-{args.skus}x{args.days}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
