"""The raw tables as DuckDB relations, scoped to what was known on a day.

Every feature query runs on an in-memory connection (never the catalog file) over relations this
module registers: ``raw_<table>`` (the raw Parquet partitions) and ``<table>_current`` (the
upsert-resolved view from ``sql/current/<table>.sql``), plus ``sku_scope``. A :class:`Scope`
restricts which export partitions are read, so "as known on D" is a property of the inputs and
the same SQL serves the stored tables and :func:`~inventory_pipeline.features.as_of.features_as_of`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from inventory_pipeline.contract import TABLES
from inventory_pipeline.warehouse import Warehouse, memory_connection, read_sql

RAW_TABLES: tuple[str, ...] = ("orders", "reviews", "promotions", "products", "inventory")
EXPORT_KEY = "export_date"
# The small raw tables a Scope narrows by export day only, so a range's read serves every day
# of it (features.as_of loads them into memory per call: its SMALL_TABLES).
KNOWN_EXPORT_TABLES: tuple[str, ...] = ("products", "promotions", "reviews")


@dataclass(frozen=True)
class Scope:
    """Which raw rows a computation may see.

    ``known_on``: only export partitions on or before this day (None: all loaded exports).
    ``orders_from``: the computation needs demand dates >= this day only; order partitions that
    cannot hold the winning version of such a line are skipped (exact, see :func:`_orders_files`).
    ``inventory_from``: only snapshots dated on or after this day (the key includes the date, so
    filtering before the upsert is exact).
    ``order_days``: the computation needs demand dates inside these (first, last) ranges only;
    ``raw_orders`` then holds every version of the lines with a version placed inside one of them,
    so the upsert over those lines is exact even when a correction moves a line's date out.
    """

    known_on: date | None = None
    orders_from: date | None = None
    inventory_from: date | None = None
    order_days: tuple[tuple[date, date], ...] = ()


def raw_table(table: str) -> str:
    return f"raw/{table}"


def export_days(warehouse: Warehouse, table: str) -> list[date]:
    """Export days loaded for one raw table, ascending."""
    return [date.fromisoformat(v) for v in warehouse.partition_values(raw_table(table), EXPORT_KEY)]


def all_export_days(warehouse: Warehouse) -> list[date]:
    """Export days loaded for any raw table, ascending (ingestion writes every table each day)."""
    return sorted({d for t in RAW_TABLES for d in export_days(warehouse, t)})


def first_export(warehouse: Warehouse) -> date:
    """The first loaded export day: daily_sku_demand zero-fills from here, not from launch."""
    return _loaded(warehouse)[0]


def latest_export(warehouse: Warehouse) -> date:
    """The last loaded export day: the end of daily_sku_demand's date grid."""
    return _loaded(warehouse)[-1]


def _loaded(warehouse: Warehouse) -> list[date]:
    days = all_export_days(warehouse)
    if not days:
        raise FileNotFoundError(
            f"no raw partitions under {warehouse.root / 'raw'}: run the ingest assets for at least "
            "one export day before building features"
        )
    return days


def _files(
    warehouse: Warehouse,
    table: str,
    known_on: date | None,
    loaded: Mapping[str, Sequence[date]] | None = None,
) -> list[str]:
    """Partition files of ``table`` exported up to ``known_on``; ``loaded``: the export days per
    table already listed (:class:`KnownExports`), else the table's folder is listed."""
    days = loaded[table] if loaded is not None else export_days(warehouse, table)
    return [
        str(warehouse.partition_path(raw_table(table), {EXPORT_KEY: d}))
        for d in days
        if known_on is None or d <= known_on
    ]


@dataclass(frozen=True)
class KnownExports:
    """Raw exports read once for many as-of days (a backfill's range): the export days of every
    raw table, and the rows of some small tables exported up to ``last``.

    A day's ``raw_<table>`` is then these rows with ``export_date`` <= that day, in the order the
    partition files hold them: the same rows, in the same order, as reading that day's files
    (as ``invariants.catalogs_as_known`` does for the catalog), without opening every export
    partition again each day.
    """

    last: date
    days: Mapping[str, tuple[date, ...]]  # raw table -> its loaded export days, ascending
    rows: Mapping[str, pa.Table]  # raw table -> rows exported up to ``last`` (export_date added)
    # (export_date, last_ordered_at) of every orders export up to ``last``: which exports can
    # hold a line placed on or after a day (_orders_files) without opening them all each day
    order_maxima: pa.Table | None = None

    def up_to(self, table: str, known_on: date) -> pa.Table:
        """The rows of ``table`` as known on ``known_on`` (<= ``last``)."""
        if known_on > self.last:
            raise ValueError(
                f"exports were read up to {self.last}, not {known_on}: read them with "
                f"read_known_exports(..., last={known_on})"
            )
        rows = self.rows[table]
        return rows.filter(pc.field(EXPORT_KEY) <= pa.scalar(known_on, pa.date32()))

    def first_export(self) -> date:
        """:func:`first_export` as listed when these exports were read."""
        days = [d for table_days in self.days.values() for d in table_days[:1]]
        if not days:
            raise FileNotFoundError(
                "no raw partitions were loaded when the exports were read: run the ingest assets "
                "for at least one export day before building features"
            )
        return min(days)

    def serves(self, table: str, scope: Scope) -> bool:
        """Whether ``table``'s rows for ``scope`` can be taken from here (a day before the
        table's first export reads the files, like any other: none, typed by the contract)."""
        known_on = scope.known_on
        return (
            table in self.rows
            and known_on is not None
            and known_on <= self.last
            and bool(self.days[table])
            and self.days[table][0] <= known_on
        )


def read_known_exports(
    warehouse: Warehouse, last: date, tables: Sequence[str], threads: int | None = None
) -> KnownExports:
    """Lists every raw table's export days once, reads ``tables`` up to ``last`` once (those a
    :class:`Scope` narrows by export day only: products, promotions, reviews), and the latest
    order line date of each orders export."""
    unknown = sorted(set(tables) - set(KNOWN_EXPORT_TABLES))
    if unknown:
        raise ValueError(
            f"raw tables {unknown} cannot be read ahead (their scope also filters rows); "
            f"expected some of {KNOWN_EXPORT_TABLES}"
        )
    days = {t: tuple(export_days(warehouse, t)) for t in RAW_TABLES}
    con = connect(threads)
    try:
        rows = {t: _read(con, t, _files(warehouse, t, last, days)).to_arrow_table() for t in tables}
        orders = _files(warehouse, "orders", last, days)
        maxima = None
        if orders:
            maxima = con.sql(
                "SELECT export_date, max(ordered_at) AS last_ordered_at "
                "FROM read_parquet($files, hive_partitioning = true) GROUP BY export_date",
                params={"files": orders},
            ).to_arrow_table()
    finally:
        con.close()
    return KnownExports(last=last, days=days, rows=rows, order_maxima=maxima)


def _read(con: duckdb.DuckDBPyConnection, table: str, files: list[str]) -> duckdb.DuckDBPyRelation:
    if not files:
        schema = TABLES[table].arrow_schema.append(pa.field(EXPORT_KEY, pa.date32()))
        return con.from_arrow(schema.empty_table())
    return con.read_parquet(files, hive_partitioning=True)


def _orders_files(
    con: duckdb.DuckDBPyConnection,
    files: list[str],
    orders_from: date | None,
    maxima: pa.Table | None = None,
) -> list[str]:
    """Order partitions that can hold the winning version of a line placed on or after orders_from.

    Let E0 be the first export holding any line version placed on or after orders_from. A line
    whose winning version is placed on or after orders_from has that version in an export >= E0,
    and every later version too; a line with a version in an export >= E0 also has its winner
    there. So upserting over exports >= E0 and then filtering on the date is exact, with no
    assumption on how late corrections arrive (row-group statistics make finding E0 cheap).
    """
    if orders_from is None or not files:
        return files
    if maxima is None:
        row = con.sql(
            "SELECT min(export_date) FROM read_parquet($files, hive_partitioning = true) "
            "WHERE ordered_at >= CAST($start AS DATE)",
            params={"files": files, "start": orders_from},
        ).fetchall()[0]
    else:  # the same minimum over each export's latest line (KnownExports.order_maxima)
        con.register("order_export_maxima", maxima)
        try:
            row = con.sql(
                "SELECT min(export_date) FROM order_export_maxima "
                "WHERE export_date <= CAST($last AS DATE) "
                "AND last_ordered_at >= CAST($start AS DATE)",
                params={"last": _export_of(files[-1]), "start": orders_from},
            ).fetchall()[0]
        finally:
            con.unregister("order_export_maxima")
    first: date | None = row[0]
    if first is None:
        return []
    return [f for f in files if _export_of(f) >= first]


def _export_of(path: str) -> date:
    for part in reversed(path.split("/")):
        if part.startswith(f"{EXPORT_KEY}="):
            return date.fromisoformat(part[len(EXPORT_KEY) + 1 :])
    raise ValueError(f"{path} is not inside an {EXPORT_KEY}= partition folder")


# Every version of the order lines that have any version matching a condition (placed for a
# requested SKU, or inside the requested demand days): the upsert over these is exact for those
# lines (a line moved to another SKU or day keeps all its versions), and much cheaper than
# upserting every line when training asks for a few hundred SKUs or a read needs a few weeks.
_LINES_WHERE = """
SEMI JOIN (
    SELECT DISTINCT order_id, line_no
    FROM raw_orders_unfiltered
    WHERE {condition}
) AS {alias} ON o.order_id = {alias}.order_id AND o.line_no = {alias}.line_no
"""


def _order_lines_sql(skus: bool, order_days: Sequence[tuple[date, date]]) -> str:
    """raw_orders over raw_orders_unfiltered: the lines of the requested SKUs and demand days."""
    conditions = ["sku IN (SELECT sku FROM order_skus)"] if skus else []
    if order_days:
        ranges = " OR ".join(
            f"(ordered_at >= DATE '{first.isoformat()}' "
            f"AND ordered_at < DATE '{last.isoformat()}' + 1)"
            for first, last in order_days
        )
        conditions.append(ranges)
    joins = "".join(
        _LINES_WHERE.format(condition=c, alias=f"k{i}") for i, c in enumerate(conditions)
    )
    return f"SELECT o.* FROM raw_orders_unfiltered AS o{joins}"


def register_sources(
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    scope: Scope = Scope(),
    skus: Sequence[str] | None = None,
    tables: Sequence[str] = RAW_TABLES,
    materialize: Sequence[str] = (),
    exports: KnownExports | None = None,
) -> None:
    """(Re)defines raw_<table>, <table>_current and sku_scope on ``con`` for ``scope``.

    ``skus``: restrict sku_scope to these SKUs (default: every SKU in products_current); the
    order lines read are then only those with a version for one of them.
    ``tables``: the raw tables the caller's SQL reads (products is always registered: it defines
    the SKUs); fewer tables means fewer Parquet footers read per call.
    ``materialize``: raw tables to load into memory once rather than re-read from Parquet by every
    query (for the small tables that many queries of one build read).
    ``exports``: exports already read for a range of days holding ``scope.known_on``: its tables
    are loaded into memory from there rather than read from Parquet, its listing is reused.
    """
    unknown = sorted(set(tables) - set(RAW_TABLES))
    if unknown:
        raise ValueError(f"unknown raw tables {unknown}; expected some of {RAW_TABLES}")
    if skus is not None:
        requested = pa.table({"sku": pa.array(sorted(set(skus)), pa.string())})
        con.from_arrow(requested).create_view("requested_skus", replace=True)
        con.execute("CREATE OR REPLACE TEMP TABLE order_skus AS SELECT sku FROM requested_skus")
        # (order_skus, not sku_scope: callers may narrow sku_scope later to the known SKUs.)
    for table in RAW_TABLES:
        if table not in tables and table != "products":
            continue
        for kind in ("VIEW", "TABLE"):
            con.execute(f"DROP {kind} IF EXISTS raw_{table}")
        if exports is not None and scope.known_on is not None and exports.serves(table, scope):
            con.from_arrow(exports.up_to(table, scope.known_on)).create(f"raw_{table}")
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {table}_current AS {read_sql(f'current/{table}')}"
            )
            continue
        listed = None
        if exports is not None and scope.known_on is not None and scope.known_on <= exports.last:
            listed = exports.days  # the range's listing holds every export up to known_on
        files = _files(warehouse, table, scope.known_on, listed)
        if table == "orders":
            maxima = exports.order_maxima if listed is not None and exports else None
            files = _orders_files(con, files, scope.orders_from, maxima)
        rel = _read(con, table, files)
        if table == "inventory" and scope.inventory_from is not None and files:
            rel = rel.filter(
                duckdb.ColumnExpression("snapshot_date")
                >= duckdb.ConstantExpression(scope.inventory_from)
            )
        if table == "orders" and (skus is not None or scope.order_days):
            rel.create_view("raw_orders_unfiltered", replace=True)
            lines = _order_lines_sql(skus is not None, scope.order_days)
            con.execute(f"CREATE TEMP VIEW raw_orders AS {lines}")
        elif table == "inventory" and skus is not None:  # sku is part of the key: exact
            rel.create_view("raw_inventory_unfiltered", replace=True)
            con.execute(
                "CREATE TEMP VIEW raw_inventory AS SELECT * FROM raw_inventory_unfiltered "
                "WHERE sku IN (SELECT sku FROM order_skus)"
            )
        elif table in materialize:
            rel.create(f"raw_{table}")
        else:
            rel.create_view(f"raw_{table}", replace=True)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {table}_current AS {read_sql(f'current/{table}')}"
        )
    register_sku_scope(con, skus)


def register_sku_scope(con: duckdb.DuckDBPyConnection, skus: Sequence[str] | None) -> None:
    """sku_scope(sku): the SKUs a query computes features for."""
    con.execute("DROP TABLE IF EXISTS sku_scope")
    if skus is None:
        con.execute("CREATE TEMP TABLE sku_scope AS SELECT DISTINCT sku FROM products_current")
    else:
        requested = pa.table({"sku": pa.array(sorted(set(skus)), pa.string())})
        con.from_arrow(requested).create_view("requested_skus", replace=True)
        con.execute("CREATE TEMP TABLE sku_scope AS SELECT sku FROM requested_skus")


def query(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any]) -> pa.Table:
    """Runs ``sql/<name>.sql`` with bound parameters and returns the result as an Arrow table."""
    return con.sql(read_sql(name), params=dict(params)).to_arrow_table()


def connect(threads: int | None) -> duckdb.DuckDBPyConnection:
    return memory_connection(threads)


def longest_lead_time_days(warehouse: Warehouse, as_of: date | None = None) -> int | None:
    """The longest supplier lead time among the products not discontinued by ``as_of`` (default:
    the latest export), as the catalog knew it on that day; None without a catalog row."""
    day = as_of or latest_export(warehouse)
    rows = _rows_known_on(warehouse, day, "products", "features/longest_lead_time")
    return None if not rows or rows[0][0] is None else int(rows[0][0])


def _rows_known_on(warehouse: Warehouse, day: date, table: str, name: str) -> list[tuple[Any, ...]]:
    """The rows of ``sql/<name>.sql`` (parameter ``$day``) over ``table`` as exported up to
    ``day``."""
    con = connect(None)
    try:
        register_sources(con, warehouse, Scope(known_on=day), tables=(table,))
        return con.sql(read_sql(name), params={"day": day}).fetchall()
    finally:
        con.close()


def promotion_type_counts(warehouse: Warehouse, day: date) -> list[tuple[str, int, int]]:
    """(promo_type, promotions, promotion days up to ``day``) of the promotions that started on or
    before ``day``, as known on ``day``, most promotion days first; empty without promotions."""
    rows = _rows_known_on(warehouse, day, "promotions", "features/promotion_types")
    return [(str(t), int(n), int(d)) for t, n, d in rows]
