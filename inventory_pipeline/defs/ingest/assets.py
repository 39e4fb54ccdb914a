"""Ingest assets: one per landing table, partitioned by export day.

Each asset reads the day folders of its partitions, validates every row against the contract and
writes the raw and rejects partitions (see ``inventory_pipeline.ingest.load``). A backfill runs as
one run over the whole range (``BackfillPolicy.single_run``), so loading two years of history does
not start thousands of processes.
"""


import json
import sys
from datetime import date, timedelta

import dagster as dg
import polars as pl
import pyarrow.parquet as pq
from tqdm import tqdm

from inventory_pipeline import contract as c
from inventory_pipeline.defs.resources import (
    LandingZoneResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.ingest.load import DayLoad, ingest_days
from inventory_pipeline.warehouse import Warehouse, sql_literal_path

SCHEMA_CHECK = "matches_contract_schema"
DUPLICATE_CHECK = "no_duplicate_keys"
REJECT_RATE_CHECK = "reject_rate_below_threshold"
# Dagster concurrency pool of every step that writes the DuckDB catalog file (one writer per file):
# limit 1 in deploy/local/dagster.yaml, so these steps run one at a time across all runs.
CATALOG_POOL = "duckdb_catalog"
_PREVIEW_ROWS = 10
_MAX_PROGRESS_LINES = 50


class IngestConfig(dg.Config):
    """Run configuration shared by the ingest assets."""

    reject_rate_warn: float = 0.05  # warn when a day rejects more than this share of its rows


def partition_days(context: dg.AssetExecutionContext) -> list[date]:
    """The export days of the run: one for a nightly run, many for a single-run backfill."""
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    return [first + timedelta(days=i) for i in range((end - first).days)]


def _publish_views(warehouse: Warehouse, contract: c.TableContract) -> None:
    raw_glob = sql_literal_path(warehouse.glob(f"raw/{contract.name}", 1))
    rejects_glob = sql_literal_path(warehouse.glob("rejects", 2))
    warehouse.publish_views(
        {
            f"raw_{contract.name}": f"SELECT * FROM read_parquet({raw_glob}, hive_partitioning=true)",
            "rejects": f"SELECT * FROM read_parquet({rejects_glob}, hive_partitioning=true)",
        }
    )


def _markdown(frame: pl.DataFrame) -> str:
    """A small frame as a Markdown table for the UI (long text cut, newlines flattened)."""
    if frame.is_empty():
        return "_no rows_"
    cells = frame.head(_PREVIEW_ROWS).with_columns(
        pl.all().cast(pl.String).str.replace_all(r"[\r\n|]", " ").str.slice(0, 60)
    )
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(v if v is not None else "" for v in row) + " |" for row in cells.rows()]
    return "\n".join(lines)


def _schema_ok(warehouse: Warehouse, contract: c.TableContract, days: list[date]) -> list[str]:
    """Days whose written raw partition does not have exactly the contract's schema."""
    bad = []
    for day in days:
        path = warehouse.partition_path(f"raw/{contract.name}", {"export_date": day})
        if not pq.read_schema(path).remove_metadata().equals(contract.arrow_schema):
            bad.append(day.isoformat())
    return bad


def build_ingest_asset(
    contract: c.TableContract, partitions_def: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    """The ingest asset of one landing table, partitioned by the shop's export days."""
    asset_name = f"raw_{contract.name}"
    key = dg.AssetKey(asset_name)

    @dg.asset(
        name=asset_name,
        group_name="ingest",
        kinds={"parquet", "polars"},
        owners=["team:data-engineering"],
        tags={"layer": "raw"},
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=CATALOG_POOL,
        deps=[] if not contract.checks_sku else [dg.AssetKey("raw_products")],
        description=f"Validated {contract.name} rows of each export day, with rejects and reasons.",
        check_specs=[
            dg.AssetCheckSpec(SCHEMA_CHECK, asset=key, description="Raw Parquet schema equals the contract."),
            dg.AssetCheckSpec(
                DUPLICATE_CHECK, asset=key, description=f"{list(contract.key)} unique within a day."
            ),
            dg.AssetCheckSpec(
                REJECT_RATE_CHECK, asset=key, description="Share of rejected rows below the threshold."
            ),
        ],
    )
    def _ingest(
        context: dg.AssetExecutionContext,
        config: IngestConfig,
        landing: LandingZoneResource,
        warehouse: WarehouseResource,
        shop: ShopSettingsResource,  # validated at run start: a bad file stops the run first
    ) -> dg.MaterializeResult:
        landing_root = landing.root()
        wh = warehouse.warehouse()
        days = partition_days(context)
        every = max(1, len(days) // _MAX_PROGRESS_LINES)
        bar = tqdm(total=len(days), desc=asset_name, unit="day", disable=not sys.stderr.isatty(), leave=False)

        def _progress(i: int, load: DayLoad) -> None:
            bar.update(1)
            if i % every == 0 or i == len(days):
                context.log.info(
                    f"[{i}/{len(days)}] {asset_name} {load.export_date}: {len(load.files)} file(s), "
                    f"read {load.rows_read}, accepted {load.rows_accepted}, rejected {load.rows_rejected}"
                )

        with bar:
            stats = ingest_days(landing_root, wh, contract, days, on_day=_progress)
        _publish_views(wh, contract)
        assert stats.last is not None and stats.worst_day is not None

        bad_schema = _schema_ok(wh, contract, days)
        checks = [
            dg.AssetCheckResult(
                check_name=SCHEMA_CHECK,
                asset_key=key,
                passed=not bad_schema,
                metadata={"days_with_wrong_schema": json.dumps(bad_schema[:20])},
            ),
            dg.AssetCheckResult(
                check_name=DUPLICATE_CHECK,
                asset_key=key,
                passed=not stats.duplicate_keys,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "duplicate_rows": sum(stats.duplicate_keys.values()),
                    "days": json.dumps(dict(list(stats.duplicate_keys.items())[:20])),
                    "resolution": "latest export wins, see sql/current/",
                },
            ),
            dg.AssetCheckResult(
                check_name=REJECT_RATE_CHECK,
                asset_key=key,
                passed=stats.worst_reject_rate <= config.reject_rate_warn,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "worst_reject_rate": dg.MetadataValue.float(stats.worst_reject_rate),
                    "worst_day": stats.worst_day.isoformat(),
                    "threshold": dg.MetadataValue.float(config.reject_rate_warn),
                },
            ),
        ]
        return dg.MaterializeResult(
            metadata={
                "export_days": len(days),
                "first_day": days[0].isoformat(),
                "last_day": days[-1].isoformat(),
                **{
                    name: dg.MetadataValue.int(getattr(stats, name))
                    for name in ("rows_read", "rows_accepted", "rows_rejected", "files", "files_rejected")
                },
                "reject_rate": dg.MetadataValue.float(
                    stats.rows_rejected / stats.rows_read if stats.rows_read else 0.0
                ),
                "rejects_by_rule": dg.MetadataValue.json(stats.rejects_by_rule),
                "preview": dg.MetadataValue.md(_markdown(stats.last.accepted)),
                "rejects_preview": dg.MetadataValue.md(_markdown(stats.last.rejects)),
                "path": dg.MetadataValue.path(str(wh.table_dir(f"raw/{contract.name}"))),
            },
            check_results=checks,
        )

    return _ingest


INGEST_KEYS = [dg.AssetKey(f"raw_{name}") for name in c.TABLES]


def build_ingest_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """One ingest asset per landing table."""
    return [build_ingest_asset(t, partitions_def) for t in c.TABLES.values()]
