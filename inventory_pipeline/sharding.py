"""The nightly forecast sharded by SKU: which shard a SKU is in, and a day's assembly.

A sharded night (``defs/forecasting``, docs/scale-out.md) forecasts and plans each SKU shard on
its own and stages the result under ``staging/``; the assembly unions every shard's staging file
of a day into the published partition with one atomic write, so readers never see half a day.

Shard of a SKU: ``blake2b(sku) mod SKU_SHARDS``, the same on every run, machine and Python version
(Python's ``hash()`` is salted per process and would move SKUs between shards).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date

import polars as pl

from inventory_pipeline.warehouse import Warehouse, memory_connection

# Number of SKU shards of the sharded nightly job. Like the first export day, it is part of the
# code location's definition (each shard is a partition); a deployment that needs more machines
# per night changes it here. Every shard must be re-run for days assembled before a change.
SKU_SHARDS = 4

STAGING_FORECASTS = "staging/forecasts"
STAGING_PLAN = "staging/reorder_plan"


def shard_of(sku: str, shards: int = SKU_SHARDS) -> int:
    """The shard of ``sku`` among ``shards``: stable across runs, machines and Python versions."""
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    digest = hashlib.blake2b(sku.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_skus(skus: Iterable[str], shard: int, shards: int = SKU_SHARDS) -> list[str]:
    """The SKUs of ``skus`` that belong to ``shard``, sorted."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is not in 0..{shards - 1}")
    return sorted({s for s in skus if shard_of(s, shards) == shard})


def catalog_skus(warehouse: Warehouse, as_of: date) -> list[str]:
    """Every SKU with a catalog row exported on or before ``as_of`` (what the forecast may know)."""
    days = [
        d
        for d in warehouse.partition_values("raw/products", "export_date")
        if d <= as_of.isoformat()
    ]
    if not days:
        raise FileNotFoundError(
            f"no raw/products exports on or before {as_of} under {warehouse.root}: run the "
            f"daily_data_job for that day first"
        )
    files = [str(warehouse.partition_path("raw/products", {"export_date": d})) for d in days]
    con = memory_connection()
    try:
        frame = con.sql(
            "SELECT DISTINCT sku FROM read_parquet($files) ORDER BY sku", params={"files": files}
        ).pl()
    finally:
        con.close()
    return frame["sku"].to_list()


def shard_label(shard: int, shards: int = SKU_SHARDS) -> str:
    """Folder value of a shard's staging file, e.g. ``2-of-4`` (the count shows a stale layout)."""
    return f"{shard}-of-{shards}"


def staged(key: str, day: date, shard: int) -> dict[str, str | date]:
    """Partition values of one shard's staging file of ``day`` (``key``: the table's date key)."""
    return {key: day, "shard": shard_label(shard)}


def assemble(
    wh: Warehouse, staging: str, key: str, day: date, sort_by: Sequence[str]
) -> pl.DataFrame:
    """The union of every shard's staging file of ``day``; raises if a shard is missing."""
    missing, frames = [], []
    for shard in range(SKU_SHARDS):
        path = wh.partition_path(staging, staged(key, day, shard))
        if not path.exists():
            missing.append(shard_label(shard))
            continue
        frame = pl.read_parquet(path)
        if frame.width:
            frames.append(frame)
    if missing:
        raise FileNotFoundError(
            f"{staging} of {day} lacks shard(s) {', '.join(missing)}: materialise them "
            f"(nightly_forecast_sharded_job, partition {day}|<shard>) before assembling"
        )
    if not frames:
        raise ValueError(
            f"every shard of {staging} for {day} is empty: the catalog has no SKU to forecast"
        )
    versions = sorted({v for f in frames for v in f["model_version"].unique().to_list()})
    if len(versions) > 1:
        raise ValueError(
            f"the shards of {day} were forecast by different model versions {versions} (the "
            f"champion moved between shard runs): re-run every shard of {day} so the day is one "
            f"model's"
        )
    return pl.concat(frames, how="vertical").sort(list(sort_by), maintain_order=True)
