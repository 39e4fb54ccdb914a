"""Deterministic landing-zone and ground-truth writers.

CSV goes through Python's csv module (RFC 4180 quoting, CRLF records); text is encoded with
`surrogateescape` so that a deliberately broken row can carry raw latin-1 bytes. Parquet uses
fixed writer settings, so equal inputs give byte-identical files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from inventory_pipeline.sampleshop.config import ShopConfig
from inventory_pipeline.sampleshop.faults import FaultRow
from inventory_pipeline.sampleshop.schema import COLUMNS, EXTRA_COLUMNS, arrow_schema, key_of

PARQUET_OPTIONS: dict[str, object] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
}


@dataclass
class Rows:
    """Valid rows of one table for one file set: typed values per contract column.

    Timestamp columns hold datetime64[ms] (UTC) in `data` and the ISO text to write in `ts_text`.
    """

    table: str
    data: dict[str, Sequence[object] | np.ndarray]
    ts_text: dict[str, Sequence[str] | np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        first = next(iter(self.data.values()))
        return len(first)

    def slice(self, lo: int, hi: int) -> Rows:
        return Rows(
            self.table,
            {k: v[lo:hi] for k, v in self.data.items()},
            {k: v[lo:hi] for k, v in self.ts_text.items()},
        )


@dataclass
class FileLayout:
    """How one file is written: format, column order and an optional extra column."""

    parquet: bool
    columns: list[str]
    extra: str | None
    extra_values: tuple[str, ...] = ()


def _text_value(kind: str, v: object) -> str:
    """CSV text of one typed value (strings pass through unchanged: raw fault values)."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if kind == "money":
        return f"{float(v):.2f}"  # type: ignore[arg-type]
    if kind == "pct":
        return f"{float(v):g}"  # type: ignore[arg-type]
    if kind == "ts":
        return str(np.datetime_as_string(np.datetime64(v, "ms"), unit="s")) + "Z"  # type: ignore[call-overload]
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    return str(int(v))  # type: ignore[call-overload]


def _text_column(
    kind: str, values: Sequence[object] | np.ndarray, ts_text: object | None
) -> list[str]:
    """CSV text of a whole column (vectorised for the bulk types; None becomes empty)."""
    if ts_text is not None:
        return list(ts_text)  # type: ignore[call-overload]
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if kind == "str":
        return [("" if v is None else v) for v in items] if None in items else items
    if kind == "int" and None not in items:
        return list(map(str, items))
    if kind == "money" and None not in items:
        return list(map("{:.2f}".format, items))
    if kind == "date":
        cache: dict[object, str] = {}
        return [
            cache[v] if v in cache else cache.setdefault(v, _text_value(kind, v)) for v in items
        ]
    return [_text_value(kind, v) for v in items]


def _positions(n_valid: int, n_faults: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted row positions (0-based) of the fault rows in a file of n_valid + n_faults rows."""
    return np.sort(rng.choice(n_valid + n_faults, size=n_faults, replace=False))


def merge_rows(valid: list[object], bad: list[object], pos: np.ndarray) -> list[object]:
    """Insert `bad` items at final positions `pos` (sorted) among `valid` items."""
    out: list[object] = []
    v = 0
    for b, p in zip(bad, pos, strict=True):
        take = int(p) - len(out)
        out.extend(valid[v : v + take])
        v += take
        out.append(b)
    out.extend(valid[v:])
    return out


@dataclass
class WrittenFile:
    """What was written: relative path, data rows, and the fault records of the file."""

    path: str
    rows: int
    faults: list[tuple[int, str, str]]  # (row_number, rule, key)


def write_file(
    root: Path,
    rel_path: str,
    rows: Rows,
    faults: list[FaultRow],
    layout: FileLayout,
    rng: np.random.Generator,
) -> WrittenFile:
    """Write valid rows plus interleaved bad rows to one CSV or Parquet file."""
    kinds = COLUMNS[rows.table]
    n_valid = len(rows)
    pos = _positions(n_valid, len(faults), rng)
    fault_text = [{c: _text_value(kinds[c], f.values[c]) for c in kinds} for f in faults]
    records = [
        (int(p) + 1, f.rule, key_of(rows.table, t))
        for p, f, t in zip(pos, faults, fault_text, strict=True)
    ]
    n_total = n_valid + len(faults)
    extra_col: list[str] = []
    if layout.extra is not None:
        extra_col = [str(x) for x in rng.choice(np.array(layout.extra_values), size=n_total)]

    path = root / rel_path
    path.parent.mkdir(parents=True, exist_ok=True)
    if layout.parquet:
        arrays = []
        for c, kind in kinds.items():
            valid = rows.data[c]
            if kind == "ts":
                valid_list: list[object] = (
                    np.asarray(valid, dtype="datetime64[ms]").astype(np.int64).tolist()
                )
                bad: list[object] = [
                    int(np.datetime64(f.values[c], "ms").astype(np.int64)) for f in faults
                ]
                merged = merge_rows(valid_list, bad, pos)
                arrays.append(pa.array(merged, pa.int64()).cast(pa.timestamp("ms", tz="UTC")))
                continue
            valid_list = valid.tolist() if isinstance(valid, np.ndarray) else list(valid)
            bad = [f.values[c] for f in faults]
            arrays.append(
                pa.array(
                    merge_rows(valid_list, bad, pos), type=arrow_schema(rows.table).field(c).type
                )
            )
        if layout.extra is not None:
            arrays.append(pa.array(extra_col, pa.string()))
        table = pa.Table.from_arrays(arrays, schema=arrow_schema(rows.table, layout.extra))
        table = table.select(layout.columns)
        pq.write_table(table, path, **PARQUET_OPTIONS)  # type: ignore[arg-type]
    else:
        text_cols = {
            c: merge_rows(
                _text_column(kind, rows.data[c], rows.ts_text.get(c)),  # type: ignore[arg-type]
                [t[c] for t in fault_text],
                pos,
            )
            for c, kind in kinds.items()
        }
        if layout.extra is not None:
            text_cols[layout.extra] = extra_col  # type: ignore[assignment]
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(layout.columns)
        writer.writerows(zip(*(text_cols[c] for c in layout.columns), strict=True))
        path.write_bytes(buf.getvalue().encode("utf-8", errors="surrogateescape"))
    return WrittenFile(rel_path, n_total, records)


def choose_layout(table: str, config: ShopConfig, rng: np.random.Generator) -> FileLayout:
    """Draw a file's format, column order and extra column."""
    parquet = bool(rng.random() < config.parquet_share)
    columns = list(COLUMNS[table])
    if rng.random() < config.shuffled_columns_share:
        columns = [columns[i] for i in rng.permutation(len(columns))]
    extra: str | None = None
    values: tuple[str, ...] = ()
    if rng.random() < config.extra_column_share:
        extra, values = EXTRA_COLUMNS[table]
        columns.insert(int(rng.integers(0, len(columns) + 1)), extra)
    return FileLayout(parquet=parquet, columns=columns, extra=extra, extra_values=values)


class TruthWriter:
    """Appends ground-truth tables chunk by chunk (one Parquet row group per write)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._writers: dict[str, pq.ParquetWriter] = {}

    def append(self, name: str, table: pa.Table) -> None:
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(
                self.root / f"{name}.parquet", table.schema, **PARQUET_OPTIONS
            )  # type: ignore[arg-type]
        self._writers[name].write_table(table)

    def ensure(self, name: str, schema: pa.Schema) -> None:
        """Create the file even when no rows were appended (e.g. no faults)."""
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(
                self.root / f"{name}.parquet", schema, **PARQUET_OPTIONS
            )  # type: ignore[arg-type]

    def close(self) -> None:
        for w in self._writers.values():
            w.close()
        self._writers.clear()
