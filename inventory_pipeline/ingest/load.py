"""Loading one landing table for one export day into the raw and rejects partitions.

Reads every file of ``<landing>/<table>/date=YYYY-MM-DD/`` (sorted by name), validates the rows,
and writes ``raw/<table>/export_date=D`` and ``rejects/table_name=<table>/export_date=D``
atomically. A file that cannot be read is one reject row; the rest of the day still loads.
Accounting holds per file and per day: rows read = rows accepted + rows rejected.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from inventory_pipeline import contract as c
from inventory_pipeline.ingest.read import FileRejected, ReadResult, read_file
from inventory_pipeline.ingest.validate import SOURCE_FILE, validate
from inventory_pipeline.warehouse import Warehouse, sql_literal_path

_DAY_FOLDER = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


@dataclass
class FileStats:
    source_file: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    file_rejected: str | None = None  # rule, when the whole file was rejected


@dataclass
class DayLoad:
    """The outcome of loading one table for one export day."""

    table: str
    export_date: date
    accepted: pl.DataFrame
    rejects: pl.DataFrame  # source_file, row_number, rule, detail, raw
    files: list[FileStats] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_accepted(self) -> int:
        return self.accepted.height

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def rejects_by_rule(self) -> dict[str, int]:
        return dict(Counter(self.rejects["rule"].to_list()))

    @property
    def reject_rate(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0


def day_folder(landing: Path, table: str, export_date: date) -> Path:
    return landing / table / f"date={export_date.isoformat()}"


def landing_dates(landing: Path, table: str) -> list[date]:
    """Export days present in the landing zone for a table (folders named ``date=YYYY-MM-DD``)."""
    base = landing / table
    if not base.is_dir():
        return []
    days = []
    for child in base.iterdir():
        match = _DAY_FOLDER.match(child.name)
        if match and child.is_dir():
            days.append(date.fromisoformat(match.group(1)))
    return sorted(days)


def _day_files(folder: Path) -> list[Path]:
    """Data files of a day folder; hidden/marker files (``.x``, ``_SUCCESS``) are not data."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "_")))


def _empty_accepted(contract: c.TableContract) -> pl.DataFrame:
    frame = pl.from_arrow(contract.arrow_schema.empty_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def _empty_rejects() -> pl.DataFrame:
    frame = pl.from_arrow(c.REJECTS_SCHEMA.empty_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def load_day(
    landing: Path,
    contract: c.TableContract,
    export_date: date,
    known_skus: pl.Series | None,
) -> DayLoad:
    """Reads and validates every file of one day folder (no writes).

    Files with the same columns are validated together in one vectorised pass (a day often holds
    several files of the same export), so the per-file overhead stays small.
    """
    folder = day_folder(landing, contract.name, export_date)
    reject_parts: list[pl.DataFrame] = []
    stats: dict[str, FileStats] = {}
    groups: dict[tuple[str, ...], list[pl.DataFrame]] = {}
    for path in _day_files(folder):
        source = path.relative_to(landing).as_posix()
        try:
            result = read_file(path)
            _check_columns(contract, result)
        except FileRejected as err:
            reject_parts.append(
                pl.DataFrame(
                    {
                        "source_file": [source],
                        "row_number": [None],
                        "rule": [err.rule],
                        "detail": [err.detail],
                        "raw": [None],
                    },
                    schema=_empty_rejects().schema,
                )
            )
            stats[source] = FileStats(source, 0, 0, 0, file_rejected=err.rule)
            continue
        stats[source] = FileStats(source, result.rows_read, 0, len(result.rejects))
        if result.rejects:
            reject_parts.append(
                pl.DataFrame(
                    {
                        "source_file": [source] * len(result.rejects),
                        "row_number": [r.row_number for r in result.rejects],
                        "rule": [r.rule for r in result.rejects],
                        "detail": [r.detail for r in result.rejects],
                        "raw": [r.raw for r in result.rejects],
                    },
                    schema=_empty_rejects().schema,
                )
            )
        frame = result.frame.with_columns(pl.lit(source).alias(SOURCE_FILE))
        groups.setdefault(tuple(frame.columns), []).append(frame)

    accepted_parts: list[pl.DataFrame] = []
    schema_order = contract.arrow_schema.names
    for frames in groups.values():
        checked = validate(contract, pl.concat(frames), known_skus)
        accepted_parts.append(checked.accepted.select(schema_order))
        reject_parts.append(
            checked.rejects.rename({SOURCE_FILE: "source_file"}).select(_empty_rejects().columns)
        )
        for source, count in checked.accepted.group_by(SOURCE_FILE).len().iter_rows():
            stats[source].rows_accepted += count
        for source, count in checked.rejects.group_by(SOURCE_FILE).len().iter_rows():
            stats[source].rows_rejected += count
    for f in stats.values():
        if f.rows_read != f.rows_accepted + f.rows_rejected:
            raise AssertionError(
                f"row accounting broken for {f.source_file}: read {f.rows_read}, accepted "
                f"{f.rows_accepted}, rejected {f.rows_rejected}"
            )
    accepted = pl.concat(accepted_parts) if accepted_parts else _empty_accepted(contract)
    rejects = (
        pl.concat(reject_parts).sort("source_file", "row_number", nulls_last=False)
        if reject_parts
        else _empty_rejects()
    )
    return DayLoad(
        table=contract.name,
        export_date=export_date,
        accepted=accepted,
        rejects=rejects,
        files=list(stats.values()),
    )


def _check_columns(contract: c.TableContract, result: ReadResult) -> None:
    missing = [name for name in contract.required_columns if name not in result.frame.columns]
    if missing:
        raise FileRejected(
            c.MISSING_COLUMNS,
            f"missing required column(s) {missing}; the file has {sorted(result.frame.columns)}",
        )


def write_day(warehouse: Warehouse, contract: c.TableContract, load: DayLoad) -> None:
    """Writes the raw and rejects partitions of the day (each atomically replaced)."""
    accepted = load.accepted.to_arrow().cast(contract.arrow_schema)
    rejects = load.rejects.to_arrow().cast(c.REJECTS_SCHEMA)
    warehouse.write_partition(f"raw/{contract.name}", {"export_date": load.export_date}, accepted)
    warehouse.write_partition(
        "rejects", {"table_name": contract.name, "export_date": load.export_date}, rejects
    )


def known_skus_by_day(warehouse: Warehouse, until: date) -> pl.DataFrame:
    """Each SKU with the first export day its (valid) catalog row appeared on, up to ``until``."""
    days = [
        d
        for d in warehouse.partition_values("raw/products", "export_date")
        if d <= until.isoformat()
    ]
    if not days:
        return pl.DataFrame(schema={"sku": pl.String, "first_export": pl.Date})
    frames = [
        pl.read_parquet(
            warehouse.partition_path("raw/products", {"export_date": d}), columns=["sku"]
        ).with_columns(pl.lit(date.fromisoformat(d)).alias("first_export"))
        for d in days
    ]
    return pl.concat(frames).group_by("sku").agg(pl.col("first_export").min()).sort("sku")


def missing_catalog_days(landing: Path, warehouse: Warehouse, until: date) -> list[date]:
    """Catalog export days up to ``until`` present in the landing zone but not yet ingested."""
    loaded = set(warehouse.partition_values("raw/products", "export_date"))
    return [
        d for d in landing_dates(landing, "products") if d <= until and d.isoformat() not in loaded
    ]


@dataclass
class RangeStats:
    """Totals over the export days of one run (what the asset reports as metadata)."""

    days: list[date] = field(default_factory=list)
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    files: int = 0
    files_rejected: int = 0
    rejects_by_rule: dict[str, int] = field(default_factory=dict)
    duplicate_keys: dict[str, int] = field(default_factory=dict)  # day -> duplicate rows
    worst_reject_rate: float = 0.0
    worst_day: date | None = None
    last: DayLoad | None = None

    def add(self, load: DayLoad, duplicates: int) -> None:
        self.days.append(load.export_date)
        self.rows_read += load.rows_read
        self.rows_accepted += load.rows_accepted
        self.rows_rejected += load.rows_rejected
        self.files += len(load.files)
        self.files_rejected += sum(f.file_rejected is not None for f in load.files)
        for rule, count in load.rejects_by_rule.items():
            self.rejects_by_rule[rule] = self.rejects_by_rule.get(rule, 0) + count
        if duplicates:
            self.duplicate_keys[load.export_date.isoformat()] = duplicates
        if self.worst_day is None or load.reject_rate > self.worst_reject_rate:
            self.worst_reject_rate, self.worst_day = load.reject_rate, load.export_date
        self.last = load


class CatalogNotLoaded(RuntimeError):
    """Earlier catalog export days are missing from the warehouse (SKUs would look unknown)."""


def ingest_days(
    landing: Path,
    warehouse: Warehouse,
    contract: c.TableContract,
    days: list[date],
    on_day: Callable[[int, DayLoad], None] | None = None,
) -> RangeStats:
    """Loads and writes each export day in order; ``on_day(i, load)`` reports progress.

    No days (e.g. a landing zone without this table yet) load nothing and return empty stats.
    """
    known = None
    if contract.checks_sku and days:
        missing = missing_catalog_days(landing, warehouse, days[-1])
        if missing:
            raise CatalogNotLoaded(
                f"{len(missing)} catalog export day(s) up to {days[-1]} are not ingested yet "
                f"(first: {missing[0]}); SKUs would be wrongly rejected as unknown. Materialise "
                f"raw_products for those days first, e.g. `inventory-pipeline backfill "
                f"--start {missing[0]} --end {days[-1]}`."
            )
        known = known_skus_by_day(warehouse, days[-1])
    stats = RangeStats()
    for i, day in enumerate(days, start=1):
        skus = None if known is None else known.filter(pl.col("first_export") <= day)["sku"]
        load = load_day(landing, contract, day, skus)
        write_day(warehouse, contract, load)
        stats.add(load, duplicate_key_rows(load.accepted, contract))
        if on_day is not None:
            on_day(i, load)
    return stats


def duplicate_key_rows(accepted: pl.DataFrame, contract: c.TableContract) -> int:
    """Rows beyond the first per upsert key within one day's accepted rows."""
    return accepted.height - accepted.select(list(contract.key)).unique().height


def publish_views(warehouse: Warehouse, contract: c.TableContract) -> None:
    """Points the catalog views ``raw_<table>`` and ``rejects`` at every written partition."""
    raw_glob = sql_literal_path(warehouse.glob(f"raw/{contract.name}", 1))
    rejects_glob = sql_literal_path(warehouse.glob("rejects", 2))
    warehouse.publish_views(
        {
            f"raw_{contract.name}": (
                f"SELECT * FROM read_parquet({raw_glob}, hive_partitioning=true)"
            ),
            "rejects": f"SELECT * FROM read_parquet({rejects_glob}, hive_partitioning=true)",
        }
    )


def days_with_wrong_schema(
    warehouse: Warehouse, contract: c.TableContract, days: list[date]
) -> list[str]:
    """Days whose written raw partition does not have exactly the contract's schema."""
    bad = []
    for day in days:
        path = warehouse.partition_path(f"raw/{contract.name}", {"export_date": day})
        if not pq.read_schema(path).remove_metadata().equals(contract.arrow_schema):
            bad.append(day.isoformat())
    return bad
