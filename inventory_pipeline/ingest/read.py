"""Reading landing files into all-string frames, without losing a row.

Every file becomes a polars frame whose columns are the file's own columns as strings (exactly the
raw text of each field), plus ``_row_number`` (1-based data row in the file). Rows that cannot even
be split into fields, or that are not valid UTF-8, and files that cannot be read at all, come back
as :class:`Reject` records instead. Typing and the contract's rules are applied afterwards by
``validate``, on strings, for CSV and Parquet alike.

CSV takes a fast path (pyarrow's multi-threaded parser, all columns as binary) and falls back to
Python's ``csv`` module, row by row, only for a file the fast path cannot parse (a row with the
wrong number of fields, broken quoting) or that may end inside a quoted field (an odd number of
quote characters: a file cut off mid-row, whose last row would otherwise load truncated).

A NUL byte in the header row marks a binary file (rejected whole); in a data field it is
``bad_encoding`` for that row only, like invalid UTF-8, for CSV and Parquet alike.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from inventory_pipeline import contract as c

ROW_NUMBER = "_row_number"
_HEADER_PROBE_BYTES = 1 << 16
_CSV_BLOCK_BYTES = 16 << 20
# The contract sets no field size limit; Python's default (128 KiB) would stop the row-wise reader.
_MAX_FIELD_CHARS = min(sys.maxsize, 2**31 - 1)


@dataclass(frozen=True)
class Reject:
    """One rejected row (``row_number`` set) or whole file (``row_number`` None)."""

    row_number: int | None
    rule: str
    detail: str
    raw: str


@dataclass
class ReadResult:
    """Rows of one file as strings, plus what could not be read."""

    frame: pl.DataFrame  # file columns as pl.String + ROW_NUMBER
    rejects: list[Reject]
    rows_read: int  # data rows seen in the file (accepted by the reader + rejected here)


class FileRejected(Exception):
    """The whole file cannot be read; ``rule`` names why."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail


def raw_json(values: dict[str, object]) -> str:
    """Raw values as JSON; undecodable bytes are kept visible as ``\\x..`` escapes."""
    return json.dumps(values, ensure_ascii=False, default=str)


def _decode(value: bytes | str) -> str:
    return value if isinstance(value, str) else value.decode("utf-8", errors="backslashreplace")


def read_file(path: Path) -> ReadResult:
    """Reads one landing file by its suffix; raises :class:`FileRejected` for an unusable file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path)
    if suffix == ".parquet":
        return read_parquet(path)
    raise FileRejected(
        c.UNSUPPORTED_FILE, f"unsupported file type {suffix!r}: use .csv or .parquet"
    )


# ---------------------------------------------------------------------------------------- CSV


def _read_header(path: Path) -> list[str]:
    """The header row, checked to be text; a binary file is rejected here."""
    with open(path, "rb") as fh:
        probe = fh.read(_HEADER_PROBE_BYTES)
    if not probe:
        raise FileRejected(c.EMPTY_FILE, "the file is empty (0 bytes); expected a CSV header row")
    if probe.startswith(b"\xef\xbb\xbf"):
        probe = probe[3:]
    first_line = probe.split(b"\n", 1)[0]
    if b"\x00" in first_line:
        raise FileRejected(
            c.UNREADABLE_FILE, "the header row contains NUL bytes: not a CSV text file"
        )
    try:
        first_line.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FileRejected(
            c.UNREADABLE_FILE, f"the header row is not UTF-8 text ({err.reason}): not a CSV file"
        ) from err
    text = probe.decode("utf-8", errors="replace")
    header = next(csv.reader(io.StringIO(text, newline="")), [])
    header = [h.strip() for h in header]
    if not any(header):
        raise FileRejected(c.EMPTY_FILE, "the file has no header row")
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise FileRejected(c.UNREADABLE_FILE, f"duplicate column names in header: {duplicates}")
    return header


def read_csv(path: Path) -> ReadResult:
    header = _read_header(path)
    if _odd_quote_count(path):
        return _read_csv_rowwise(path, header)
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(
                use_threads=True, block_size=_CSV_BLOCK_BYTES, column_names=header, skip_rows=1
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={h: pa.binary() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return _read_csv_rowwise(path, header)
    return _binary_table_to_frame(table, header)


def _odd_quote_count(path: Path) -> bool:
    """True if the file may end inside a quoted field (RFC 4180 quotes come in pairs)."""
    count = 0
    with open(path, "rb") as fh:
        while block := fh.read(_CSV_BLOCK_BYTES):
            count += block.count(b'"')
    return count % 2 == 1


def _binary_table_to_frame(table: pa.Table, header: list[str]) -> ReadResult:
    """Decodes binary columns as UTF-8; rows with invalid bytes or NULs become ``bad_encoding``."""
    n = table.num_rows
    columns: dict[str, pa.Array] = {}
    bad_rows: set[int] = set()
    for name in header:
        col = table.column(name).combine_chunks()
        try:
            columns[name] = col.cast(pa.string())
        except pa.ArrowInvalid:
            values = col.to_pylist()
            decoded = []
            for i, value in enumerate(values):
                try:
                    decoded.append(None if value is None else value.decode("utf-8"))
                except UnicodeDecodeError:
                    bad_rows.add(i)
                    decoded.append(None)
            columns[name] = pa.array(decoded, pa.string())
        has_nul = pc.fill_null(pc.match_substring(columns[name], "\x00"), False)
        if pc.any(has_nul).as_py():
            bad_rows.update(pc.indices_nonzero(has_nul).to_pylist())
    frame = pl.from_arrow(pa.table(columns)) if header else pl.DataFrame()
    assert isinstance(frame, pl.DataFrame)
    frame = frame.with_columns(pl.int_range(1, n + 1, dtype=pl.Int64).alias(ROW_NUMBER))
    rejects: list[Reject] = []
    if bad_rows:
        for i in sorted(bad_rows):
            values = {name: table.column(name)[i].as_py() for name in header}
            raw = {
                name: None if value is None else _decode(value) for name, value in values.items()
            }
            bad_cols = [name for name, value in values.items() if _is_invalid(value)]
            rejects.append(
                Reject(
                    i + 1,
                    c.BAD_ENCODING,
                    f"not valid UTF-8 text in column(s) {bad_cols}",
                    raw_json(raw),
                )
            )
        keep = pl.Series([i not in bad_rows for i in range(n)])
        frame = frame.filter(keep)
    return ReadResult(frame=frame, rejects=rejects, rows_read=n)


def _is_invalid(value: bytes | str | None) -> bool:
    """Not valid UTF-8 text, or holding a NUL byte (never part of text)."""
    if value is None:
        return False
    if isinstance(value, str):
        return "\x00" in value
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return b"\x00" in value


def _read_csv_rowwise(path: Path, header: list[str]) -> ReadResult:
    """Slow path: one record at a time, so a broken row is rejected and the rest still load."""
    text = path.read_bytes()
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:]
    csv.field_size_limit(max(csv.field_size_limit(), _MAX_FIELD_CHARS))
    lines = list(io.StringIO(text.decode("utf-8", errors="surrogateescape"), newline=""))
    reader = csv.reader(lines)
    next(reader, None)  # header, already read
    rows: list[list[str]] = []
    numbers: list[int] = []
    rejects: list[Reject] = []
    row_number = 0
    last_start, raw = 0, {}  # first physical line of the last record, and its raw values
    while True:
        start = reader.line_num
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            row_number += 1
            rejects.append(
                Reject(
                    row_number,
                    c.MALFORMED_ROW,
                    f"CSV syntax error, rest of file unreadable: {err}",
                    "{}",
                )
            )
            break
        if not record:  # blank line: not a data row
            continue
        row_number += 1
        last_start = start
        raw = {
            (header[i] if i < len(header) else f"_extra_{i + 1}"): _surrogates_visible(v)
            for i, v in enumerate(record)
        }
        if len(record) != len(header):
            rejects.append(
                Reject(
                    row_number,
                    c.MALFORMED_ROW,
                    f"expected {len(header)} fields as in the header, got {len(record)}",
                    raw_json(raw),
                )
            )
            continue
        bad_cols = [h for h, v in zip(header, record) if _has_surrogates(v) or "\x00" in v]
        if bad_cols:
            rejects.append(
                Reject(
                    row_number,
                    c.BAD_ENCODING,
                    f"not valid UTF-8 text in column(s) {bad_cols}",
                    raw_json(raw),
                )
            )
            continue
        rows.append(record)
        numbers.append(row_number)
    last_loaded = bool(numbers) and numbers[-1] == row_number
    if last_loaded and _ends_inside_quotes("".join(lines[last_start:])):
        rows.pop()
        numbers.pop()
        rejects.append(
            Reject(
                row_number,
                c.MALFORMED_ROW,
                "the file ends inside a quoted field: the row is cut off (truncated file?)",
                raw_json(raw),
            )
        )
    frame = pl.DataFrame(
        {h: [r[i] for r in rows] for i, h in enumerate(header)},
        schema={h: pl.String for h in header},
    ).with_columns(pl.Series(ROW_NUMBER, numbers, dtype=pl.Int64))
    return ReadResult(frame=frame, rejects=rejects, rows_read=row_number)


def _ends_inside_quotes(tail: str) -> bool:
    """Whether text (the last record and what follows it) ends inside an open quoted field.

    Python's ``csv`` closes such a field silently at the end of the data. Appending a line break
    changes the parsed (non-blank) records only if it lands inside the open field.
    """

    def parse(text: str) -> list[list[str]]:
        return [record for record in csv.reader(io.StringIO(text, newline="")) if record]

    try:
        return parse(tail) != parse(tail + "\n")
    except csv.Error:
        return False


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _surrogates_visible(value: str) -> str:
    return value.encode("utf-8", errors="surrogateescape").decode(
        "utf-8", errors="backslashreplace"
    )


# ------------------------------------------------------------------------------------ Parquet


def _to_string(series: pl.Series) -> pl.Series:
    """A typed column as the text a CSV export would hold (ISO dates, UTC offsets kept).

    Nested values (lists, structs; only ever in unknown extra columns) become JSON text.
    """
    dtype = series.dtype
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            return series.dt.convert_time_zone("UTC").dt.to_string("%Y-%m-%dT%H:%M:%S%.f+00:00")
        return series.dt.to_string("%Y-%m-%dT%H:%M:%S%.f")
    if dtype == pl.Date:
        return series.dt.to_string("%Y-%m-%d")
    if dtype == pl.String:
        return series
    if dtype.is_nested() or dtype == pl.Object:
        return pl.Series(
            series.name, [None if v is None else raw_json(v) for v in series.to_list()], pl.String
        )
    return series.cast(pl.String, strict=False)


def read_parquet(path: Path) -> ReadResult:
    """Columns as text like a CSV's; binary columns are decoded as UTF-8 (``bad_encoding`` rows)."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as err:
        if path.stat().st_size == 0:
            raise FileRejected(c.EMPTY_FILE, "the file is empty (0 bytes)") from err
        raise FileRejected(c.UNREADABLE_FILE, f"not a readable Parquet file: {err}") from err
    header = [name.strip() for name in table.column_names]
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise FileRejected(c.UNREADABLE_FILE, f"duplicate column names: {duplicates}")
    columns: dict[str, pa.Array] = {}
    try:
        for name, column in zip(header, table.columns):
            if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
                columns[name] = column.combine_chunks().cast(pa.binary())
                continue
            series = pl.from_arrow(column)
            assert isinstance(series, pl.Series)
            columns[name] = _to_string(series).to_arrow().cast(pa.string())
    except Exception as err:
        raise FileRejected(c.UNREADABLE_FILE, f"Parquet column types not supported: {err}") from err
    return _binary_table_to_frame(pa.table(columns) if columns else table.select([]), header)
