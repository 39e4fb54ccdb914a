"""product_docs: one text per SKU for the language model, as known on each day, with its sha256.

The text holds title, category, brand, price tier (list price quantile within category among the
catalog known that day), description and the most recent review snippets known that day. The
category is optional: a product without one has no Category line and is tiered among the whole
catalog (the build's metadata says how many once, ``category_fallback``).
Stored as a change log, ``features/product_docs/valid_from=YYYY-MM-DD/data.parquet``: a day's
partition holds the documents that differ from the day before (new SKUs, catalog edits, new
reviews, tier shifts). The document of a SKU as of D is its row with the greatest
``valid_from <= D`` (:func:`read_product_docs`); storing every SKU every day would repeat the same
text hundreds of times, and the hash lets the encoder cache embeddings per text.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import duckdb
import polars as pl

from inventory_pipeline.features.common import (
    PartitionLog,
    TableUpdate,
    existing_partitions,
    feature_table,
)
from inventory_pipeline.features.config import DEFAULT_CONFIG, FeatureConfig
from inventory_pipeline.features.known_days import day_span, finish_days, known_day_range
from inventory_pipeline.features.sources import Scope, connect, query, register_sources
from inventory_pipeline.warehouse import Warehouse

NAME = "product_docs"
TABLE = feature_table(NAME)
KEY = "valid_from"
DOC_SOURCES = ("products", "reviews")
DOC_SCHEMA = {
    "sku": pl.String,
    KEY: pl.Date,
    "text": pl.String,
    "text_sha256": pl.String,
    "price_tier": pl.String,
    "review_snippets": pl.Int64,
}


def compute_product_docs(
    con: duckdb.DuckDBPyConnection, first_day: date, last_day: date, config: FeatureConfig
) -> pl.DataFrame:
    """Rows (day, sku, text, text_sha256, price_tier, review_snippets) for each day in range."""
    low, high = config.price_tier_quantiles
    frame = pl.from_arrow(
        query(
            con,
            "features/product_docs",
            {
                "first_day": first_day,
                "last_day": last_day,
                "low_quantile": low,
                "high_quantile": high,
                "snippet_count": config.snippet_count,
                "snippet_chars": config.snippet_chars,
            },
        )
    )
    assert isinstance(frame, pl.DataFrame)
    return frame


def _write(warehouse: Warehouse, export_date: date | None, config: FeatureConfig) -> TableUpdate:
    started = time.perf_counter()
    first, last = known_day_range(warehouse, export_date)
    log = PartitionLog()
    con = connect(config.duckdb_threads)
    try:
        register_sources(
            con, warehouse, Scope(known_on=last), tables=DOC_SOURCES, materialize=DOC_SOURCES
        )
        days = day_span(first - timedelta(days=1), last)  # the day before is the diff base
        previous: pl.DataFrame | None = None
        for i in range(0, len(days), config.known_chunk_days):
            chunk = days[i : i + config.known_chunk_days]
            docs = compute_product_docs(con, chunk[0], chunk[-1], config)
            by_day = {k[0]: p for k, p in docs.partition_by("day", as_dict=True).items()}
            for day in chunk:
                current = by_day.get(day, docs.clear()).drop("day")
                if previous is not None:
                    changed = current.join(
                        previous.select("sku", "text_sha256"),
                        on=["sku", "text_sha256"],
                        how="anti",
                        maintain_order="left",
                    ).select("sku", pl.lit(day).alias(KEY), pl.exclude("sku"))
                    log.put(warehouse, TABLE, KEY, day.isoformat(), changed.to_arrow())
                previous = current
        uncategorised = con.execute(
            "SELECT count(*) FROM products_current WHERE category IS NULL"
        ).fetchone()
    finally:
        con.close()
    return finish_days(
        warehouse, log, name=NAME, table=TABLE, key=KEY, first=first, last=last,
        full_rebuild=export_date is None, started=started,
        extra=_category_note(int(uncategorised[0]) if uncategorised else 0),
    )  # fmt: skip


def _category_note(uncategorised: int) -> dict[str, object]:
    """Said once per build, not per row: products without a category get the shop level."""
    if not uncategorised:
        return {}
    return {
        "products_without_category": uncategorised,
        "category_fallback": (
            f"{uncategorised} product(s) have no category: their documents have no Category "
            "line, their price tier is among the whole catalog and their category features "
            "(category_recent_log, category_season_*) are the shop's level"
        ),
    }


def build_product_docs(warehouse: Warehouse, config: FeatureConfig = DEFAULT_CONFIG) -> TableUpdate:
    """Full rebuild of the change log from the first to the latest export."""
    return _write(warehouse, None, config)


def update_product_docs(
    warehouse: Warehouse, export_date: date, config: FeatureConfig = DEFAULT_CONFIG
) -> TableUpdate:
    """After export ``export_date`` was (re)loaded: rewrites valid_from days export_date..latest."""
    return _write(warehouse, export_date, config)


def read_product_docs(
    warehouse: Warehouse, as_of: date, threads: int | None = None
) -> pl.DataFrame:
    """The stored document of every SKU as of ``as_of`` (its latest change on or before it)."""
    files = [
        str(warehouse.partition_path(TABLE, {KEY: v}))
        for v in existing_partitions(warehouse, TABLE, KEY)
        if date.fromisoformat(v) <= as_of
    ]
    if not files:
        return pl.DataFrame(schema=DOC_SCHEMA)
    con = connect(threads)
    try:
        return con.sql(
            "SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER "
            "(PARTITION BY sku ORDER BY valid_from DESC) AS rn "
            "FROM read_parquet($files, hive_partitioning = false)) WHERE rn = 1 ORDER BY sku",
            params={"files": files},
        ).pl()
    finally:
        con.close()
