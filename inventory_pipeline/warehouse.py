"""The warehouse: Hive-partitioned Parquet under one root, written atomically, read with DuckDB.

Layout and conventions are documented in ``docs/warehouse.md``. Everything that writes a table
partition goes through :func:`write_partition`, so every partition write in the project is atomic
(temp file + ``os.replace``) and idempotent (re-running replaces exactly that partition). Crash
safety and concurrency are described in ``docs/reliability.md``.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

PARTITION_FILE = "data.parquet"
CATALOG_FILE = "catalog.duckdb"
# Temp files do not end in .parquet, so no Parquet glob (not even root/**/*.parquet) can see them.
TMP_SUFFIX = ".parquet.tmp"
# Package data: the repository's top-level sql/ (the source), shipped in the wheel as
# inventory_pipeline/sql (a symlink in a checkout), so an installed package never reads a checkout.
SQL_DIR = Path(__file__).resolve().parent / "sql"

_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_CATALOG_LOCK_RETRIES = 50
_CATALOG_LOCK_SLEEP_S = 0.1


def _check_segment(name: str, value: str) -> str:
    """Rejects partition values that could escape the warehouse root (``..``, ``/``, empty)."""
    if not _SAFE_VALUE.match(value) or ".." in value:
        raise ValueError(f"unsafe {name} {value!r}: use letters, digits, '_', '-', '.' only")
    return value


@dataclass(frozen=True)
class Warehouse:
    """Paths and I/O helpers for one warehouse root."""

    root: Path

    @property
    def tmp_dir(self) -> Path:
        return self.root / ".tmp"

    @property
    def catalog_path(self) -> Path:
        return self.root / CATALOG_FILE

    def table_dir(self, table: str) -> Path:
        """Folder of a table; ``table`` may be nested (``raw/orders``)."""
        for part in table.split("/"):
            _check_segment("table name", part)
        return self.root / table

    def partition_path(self, table: str, partition: Mapping[str, str | date]) -> Path:
        """Path of one partition file, e.g. ``raw/orders/export_date=2024-01-01/data.parquet``."""
        path = self.table_dir(table)
        for key, value in partition.items():
            value_str = value.isoformat() if isinstance(value, date) else str(value)
            path = path / f"{_check_segment('partition key', key)}={_check_segment(key, value_str)}"
        return path / PARTITION_FILE

    def glob(self, table: str, depth: int) -> str:
        """A DuckDB glob over all partitions of a table with ``depth`` partition levels."""
        return str(self.table_dir(table) / "/".join(["*"] * depth) / PARTITION_FILE)

    def write_partition(
        self, table: str, partition: Mapping[str, str | date], data: pa.Table
    ) -> Path:
        """Atomically writes (or replaces) one partition; returns its final path.

        The data goes to a temp file in ``.tmp/`` that this process holds an exclusive lock on
        until it is renamed into place. A process killed mid-write leaves its temp file behind,
        unlocked; the next write anywhere in the warehouse removes it
        (:meth:`remove_stale_temp_files`).
        """
        final = self.partition_path(table, partition)
        final.parent.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.remove_stale_temp_files()
        with _locked_temp_file(self.tmp_dir) as tmp:
            pq.write_table(data, tmp, compression="zstd")
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        return final

    def remove_stale_temp_files(self) -> list[Path]:
        """Removes temp files no live writer holds (leftovers of killed writes); returns them.

        Temp files of writes in progress, in this or any other process, are locked and kept.
        """
        if not self.tmp_dir.is_dir():
            return []
        removed = []
        for path in sorted(self.tmp_dir.glob(f"*{TMP_SUFFIX}")):
            try:
                fh = open(path, "rb")  # noqa: SIM115 - the lock must outlive the unlink
            except FileNotFoundError:  # renamed into place or removed meanwhile
                continue
            with fh:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # a live writer holds it
                    continue
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed

    def partition_values(self, table: str, key: str) -> list[str]:
        """Sorted values of the first partition key present on disk (e.g. all export dates)."""
        base = self.table_dir(table)
        if not base.exists():
            return []
        prefix = f"{key}="
        return sorted(
            p.name[len(prefix) :]
            for p in base.iterdir()
            if p.name.startswith(prefix) and (p / PARTITION_FILE).exists()
        )

    @contextmanager
    def catalog(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived write connection to the catalog file, retried while another holds it.

        DuckDB allows one writer per database file; compute never uses the catalog (it runs on
        in-memory connections), so the lock is only held for the few ms a view update takes.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        last_error: Exception | None = None
        for _ in range(_CATALOG_LOCK_RETRIES):
            try:
                con = duckdb.connect(str(self.catalog_path))
            except duckdb.IOException as err:  # held by another process
                last_error = err
                time.sleep(_CATALOG_LOCK_SLEEP_S)
                continue
            try:
                yield con
            finally:
                con.close()
            return
        raise RuntimeError(
            f"the DuckDB catalog {self.catalog_path} stayed locked by another process for "
            f"{_CATALOG_LOCK_RETRIES * _CATALOG_LOCK_SLEEP_S:.0f}s; close open DuckDB sessions "
            f"on it (e.g. a DuckDB CLI) and retry"
        ) from last_error

    def publish_views(self, views: Mapping[str, str]) -> None:
        """Creates or replaces catalog views ``name -> SELECT ...`` in one short transaction."""
        with self.catalog() as con:
            for name, select_sql in views.items():
                _check_segment("view name", name)
                con.execute(f"CREATE OR REPLACE VIEW {name} AS {select_sql}")


@contextmanager
def _locked_temp_file(tmp_dir: Path) -> Iterator[Path]:
    """A new temp file under ``tmp_dir``, exclusively locked (flock) until the block ends.

    The lock is released by the kernel when the process dies, which is how
    :meth:`Warehouse.remove_stale_temp_files` tells a killed write from a running one. A cleaner
    may remove the file between its creation and the lock; the inode check then starts over.
    """
    while True:
        path = tmp_dir / f"{uuid.uuid4().hex}{TMP_SUFFIX}"
        fh = open(path, "xb")  # noqa: SIM115 - closed in the finally below
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                same = os.stat(path).st_ino == os.fstat(fh.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                continue
            try:
                yield path
            finally:
                path.unlink(missing_ok=True)  # no-op once renamed into place
            return
        finally:
            fh.close()


def read_sql(name: str) -> str:
    """Text of ``sql/<name>.sql``; parameters inside are bound (``$name``), never formatted in."""
    path = SQL_DIR / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(
            f"SQL file {path} not found: the package is incomplete; reinstall it from a wheel "
            f"built with `pip wheel --no-deps .` (it ships sql/ as inventory_pipeline/sql)"
        )
    return path.read_text()


def memory_connection(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for compute (never contends for the catalog file lock)."""
    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def sql_literal_path(path: Path | str) -> str:
    """A path quoted as a SQL string literal, for table functions that cannot take parameters."""
    return "'" + str(path).replace("'", "''") + "'"
