"""Ingest assets: one per landing table, partitioned by export day.

Each asset reads the day folders of its partitions, validates every row against the contract and
writes the raw and rejects partitions (see ``inventory_pipeline.ingest.load``). A backfill runs as
one run over the whole range (``BackfillPolicy.single_run``), so loading two years of history does
not start thousands of processes.
"""

import sys

import dagster as dg
import polars as pl
from tqdm import tqdm

from inventory_pipeline import contract as c
from inventory_pipeline.defs.ingest.checks import ingest_check_results, ingest_check_specs
from inventory_pipeline.defs.partitions import partition_days
from inventory_pipeline.defs.pools import CATALOG_POOL
from inventory_pipeline.defs.resources import (
    LandingZoneResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.ingest.load import (
    DayLoad,
    days_with_wrong_schema,
    ingest_days,
    publish_views,
)

_PREVIEW_ROWS = 10
_MAX_PROGRESS_LINES = 50


class IngestConfig(dg.Config):
    """Run configuration shared by the ingest assets."""

    reject_rate_warn: float = 0.05  # warn when a day rejects more than this share of its rows


def _markdown(frame: pl.DataFrame) -> str:
    """A small frame as a Markdown table for the UI (long text cut, newlines flattened)."""
    if frame.is_empty():
        return "_no rows_"
    cells = frame.head(_PREVIEW_ROWS).with_columns(
        pl.all().cast(pl.String).str.replace_all(r"[\r\n|]", " ").str.slice(0, 60)
    )
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += [
        "| " + " | ".join(v if v is not None else "" for v in row) + " |" for row in cells.rows()
    ]
    return "\n".join(lines)


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
        check_specs=ingest_check_specs(contract, key),
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
        bar = tqdm(
            total=len(days),
            desc=asset_name,
            unit="day",
            disable=not sys.stderr.isatty(),
            leave=False,
        )

        def _progress(i: int, load: DayLoad) -> None:
            bar.update(1)
            if i % every == 0 or i == len(days):
                context.log.info(
                    f"[{i}/{len(days)}] {asset_name} {load.export_date}: "
                    f"{len(load.files)} file(s), read {load.rows_read}, "
                    f"accepted {load.rows_accepted}, rejected {load.rows_rejected}"
                )

        with bar:
            stats = ingest_days(landing_root, wh, contract, days, on_day=_progress)
        publish_views(wh, contract)
        assert stats.last is not None
        checks = ingest_check_results(
            key, stats, days_with_wrong_schema(wh, contract, days), config.reject_rate_warn
        )
        return dg.MaterializeResult(
            metadata={
                "export_days": len(days),
                "first_day": days[0].isoformat(),
                "last_day": days[-1].isoformat(),
                **{
                    name: dg.MetadataValue.int(getattr(stats, name))
                    for name in (
                        "rows_read",
                        "rows_accepted",
                        "rows_rejected",
                        "files",
                        "files_rejected",
                    )
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
