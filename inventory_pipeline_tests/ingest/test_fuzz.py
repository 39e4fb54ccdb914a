"""Property-based fuzzing of ingestion: generated landing days with random corruptions.

Each example is one export day of one landing table (every table of the contract), made of a few
files in the contract's real formats (CSV with any column order, quoting and line endings, or
Parquet with text or typed columns), built from rows that are valid by construction plus random
damage: cells with wrong types, out-of-range or empty values, bad dates, unknown SKUs, invalid
UTF-8 and NUL bytes, rows with a wrong number of fields, 1 MB fields, duplicated keys, unknown
extra and absent optional columns, and whole files that are empty, header-only, cut off at a random
byte, binary garbage, of an unsupported type or missing a required column.

The day goes through the real path (``ingest_days`` into a warehouse in a temporary folder, the
catalog day loaded first) and the written Parquet partitions are read back with DuckDB. Properties:

- nothing raises; a file that cannot be read at all is exactly one reject row with ``row_number``
  null and the expected rule, and the other files of the day load as if it were not there;
- accounting per file: rows read = rows accepted + rows rejected, where "read" is the number of
  CSV records after the header (blank lines are not records; a record cut off by truncation is
  read, whatever it then becomes) or the Parquet row count;
- every row generated valid and left intact is in the raw partition at its row number with exactly
  the generated values; every corrupted row is rejected, at its row number, with the expected rule
  and its raw values as JSON;
- duplicated keys are all kept in raw, and ``sql/current`` picks the latest (file, row) per key.
"""

import csv
import io
import json
import math
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from inventory_pipeline import contract as c
from inventory_pipeline.ingest.load import ingest_days
from inventory_pipeline.warehouse import Warehouse, read_sql, sql_literal_path
from inventory_pipeline_tests.conftest import PRODUCTS_HEADER, product_row
from inventory_pipeline_tests.ingest.test_ingest_assets import _materialize

CATALOG_DAY = date(2024, 1, 1)
DAY = date(2024, 1, 2)
SKUS = ("A1", "B,2", 'C"3', "Ω-4")  # the catalog the other tables reference
UNKNOWN = "ZZ-404"
KEY_POOL = ("k1", "k2", "k,3", 'k"4', "k 5")  # small, so keys repeat within a day
HUGE = 1 << 20  # a 1 MB field
BAD_BYTE = "\udcff"  # stands for the byte 0xff (invalid UTF-8) once encoded with surrogateescape
# A day whose files are all generated, loaded and compared needs ~0.1-0.5 s; see docs/ingestion.md.
FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ------------------------------------------------------------------------------ the day model


@dataclass(frozen=True)
class Row:
    """One data row: the text of each file column, and what ingestion must make of it."""

    cells: dict[str, str]  # column -> text (surrogate escapes stand for raw bytes)
    expected: dict[str, Any] | None  # typed contract values when the row is valid
    rule: str | None = None  # the reject rule when it is not
    field_delta: int = 0  # CSV only: fields dropped (-1) or added (+1) at the end of the row


@dataclass(frozen=True)
class FileSpec:
    name: str
    columns: tuple[str, ...]  # header order, contract and extra columns
    rows: tuple[Row, ...] = ()
    fmt: str = "csv"  # csv | parquet
    typed: bool = False  # parquet: contract types instead of text columns
    quote_all: bool = False
    newline: str = "\n"
    bom: bool = False
    blank_before: frozenset[int] = frozenset()  # row indexes preceded by an empty line
    damage: str | None = None  # empty | header_only | truncate | garbage | json | dup_column
    cut: float = 1.0  # truncate: share of the bytes after the header that is kept
    nested_extra: bool = False  # parquet: an extra list<int64> column


@dataclass(frozen=True)
class DaySpec:
    table: str
    files: tuple[FileSpec, ...]


ANY_RULE = "*"


@dataclass
class Expect:
    """What one written file must produce."""

    file_rule: str | None = None  # rule when the whole file is rejected
    rows_read: int = 0
    accepted: dict[int, dict[str, Any]] = field(default_factory=dict)  # row number -> values
    rejected: dict[int, str] = field(default_factory=dict)  # row number -> rule (ANY_RULE: any)
    partial: int | None = None  # row number of a record cut off by truncation (either outcome)


# ------------------------------------------------------------------------- valid values


def _contract(table: str) -> c.TableContract:
    return c.TABLES[table]


_TEXT_CHARS = st.characters(
    blacklist_categories=("Cs",), blacklist_characters="\x00\x1c\x1d\x1e\x1f"
)


def _text(draw: st.DrawFn, *, required: bool, trimmed: bool) -> str:
    value = draw(st.text(_TEXT_CHARS, max_size=12))
    if trimmed:
        value = value.strip()
    else:  # free text keeps its surrounding whitespace
        value = draw(st.sampled_from(["{}", "{}", " {}", "{}\n", "\t{} "])).format(value)
    if required and not value.strip():
        value = draw(st.sampled_from(["x", 'Pan, 28 cm "pro"', "a\nb", "ü"]))
    return value


def _padded(draw: st.DrawFn, text: str) -> str:
    return draw(st.sampled_from(["{}", " {}", "{} ", "\t{}"])).format(text)


def _timestamp(draw: st.DrawFn) -> tuple[str, datetime]:
    local = draw(st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1)))
    offset = draw(st.sampled_from([None, "Z", *range(-14 * 60, 14 * 60 + 1, 45)]))
    sep = draw(st.sampled_from(["T", " "]))
    clock = f"{local:%H:%M}"
    if local.second or local.microsecond or draw(st.booleans()):
        clock += f":{local:%S}"
        if local.microsecond:
            clock += "." + f"{local.microsecond:06d}".rstrip("0")
    if isinstance(offset, int):
        sign, minutes = ("-" if offset < 0 else "+"), abs(offset)
        colon = draw(st.sampled_from([":", ""]))
        suffix = f"{sign}{minutes // 60:02d}{colon}{minutes % 60:02d}"
        utc = local - timedelta(minutes=offset)
    else:
        suffix, utc = offset or "", local
    if offset is None and local.time() == datetime.min.time() and draw(st.booleans()):
        return local.date().isoformat(), utc
    return f"{local.date().isoformat()}{sep}{clock}{suffix}", utc


def _value(draw: st.DrawFn, contract: c.TableContract, col: c.Column) -> tuple[str, Any]:
    """A valid text for the column and the typed value ingestion must store."""
    name = col.name
    if name == "sku" and contract.checks_sku:
        sku = draw(st.sampled_from(SKUS))
        return sku, sku
    if name in contract.key and col.kind == "str":
        pool = SKUS + ("P5",) if name == "sku" else KEY_POOL
        key = draw(st.sampled_from(pool))
        return key, key
    if name == "line_no":
        n = draw(st.integers(1, 3))
        return str(n), n
    if name == "snapshot_date":
        day = draw(st.sampled_from([CATALOG_DAY, DAY]))
        return day.isoformat(), day
    if col.kind == "int":
        low = -(10**15) if col.low is None else int(col.low) + col.low_open
        high = 10**15 if col.high is None else int(col.high) - col.high_open
        n = draw(st.integers(low, high))
        text = draw(st.sampled_from([str(n), f"+{n}" if n >= 0 else str(n)]))
        return _padded(draw, text), n
    if col.kind == "decimal":
        x = draw(
            st.floats(
                min_value=col.low,
                max_value=col.high,
                exclude_min=col.low_open,
                exclude_max=col.high_open,
                allow_nan=False,
                allow_infinity=False,
            )
        )
        text = str(int(x)) if x.is_integer() and abs(x) < 1e15 and draw(st.booleans()) else repr(x)
        return _padded(draw, text), float(text)
    if col.kind == "date":
        if not col.required and draw(st.booleans()):
            return "", None
        day = draw(st.dates(date(1, 1, 1), date(9999, 12, 31)))
        return day.isoformat(), day
    if col.kind == "timestamp":
        return _timestamp(draw)
    if col.kind == "enum":
        choice = draw(st.sampled_from(col.allowed))
        return _padded(draw, choice), choice
    text = _text(draw, required=col.required, trimmed=col.kind == "str")
    if col.kind == "str":
        return text, text or None
    return text, text if text.strip() else None


# ---------------------------------------------------------------------------- corruptions

_BAD_TEXT = {
    "int": ["two", "1.5", "1e3", "9" * 19, "0x10", "١٢"],
    "decimal": ["12,50", "nan", "inf", "-inf", "1e999", "--1", "0x10", "1.2.3"],
    "date": ["2024-02-30", "2024-13-01", "0000-01-01", "02/01/2024", "2024-1-2", "soon"],
    "timestamp": [
        "2024-02-30T10:00:00",
        "02/01/2024 10:00",
        "2024-01-02T25:00:00",
        "0000-01-01T00:00:00",
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00:00+01:00",
        "2024-01-02T10:00:00+25:00",
    ],
    "enum": ["shipped", "PLACED", "placed cancelled"],
}


def _out_of_range(col: c.Column) -> list[str]:
    values = []
    if col.low is not None:
        values += [f"{col.low:g}"] if col.low_open else []
        values += [f"{col.low - 1:g}", f"{col.low - 0.5:g}" if col.kind == "decimal" else "-7"]
    if col.high is not None:
        values += [f"{col.high:g}"] if col.high_open else [f"{col.high + 1:g}"]
    return values


def _corrupt(
    draw: st.DrawFn, contract: c.TableContract, row: Row, columns: list[str], csv_file: bool
) -> Row:
    """The row with exactly one kind of damage, and the rule it must be rejected with."""
    cols = [contract.column(n) for n in columns if n in contract.column_names]
    candidates = {
        "missing": [col for col in cols if col.required],
        "bad_type": [col for col in cols if col.kind in _BAD_TEXT],
        "out_of_range": [col for col in cols if _out_of_range(col)],
    }
    kinds = [kind for kind, found in candidates.items() if found] + ["bad_bytes", "nul"]
    kinds += ["unknown_sku"] if contract.checks_sku and "sku" in columns else []
    kinds += ["end_before_start"] if {"start_date", "end_date"} <= set(columns) else []
    kinds += ["field_count"] if csv_file else []
    kind = draw(st.sampled_from(kinds))
    cells = dict(row.cells)
    if kind == "missing":
        col = draw(st.sampled_from(candidates["missing"]))
        cells[col.name] = draw(st.sampled_from(["", "  "]))
        return Row(cells, None, c.MISSING_VALUE)
    if kind == "bad_type":
        col = draw(st.sampled_from(candidates["bad_type"]))
        cells[col.name] = draw(st.sampled_from(_BAD_TEXT[col.kind]))
        return Row(cells, None, c.PARSE_RULES[col.kind])
    if kind == "out_of_range":
        col = draw(st.sampled_from(candidates["out_of_range"]))
        cells[col.name] = draw(st.sampled_from(_out_of_range(col)))
        return Row(cells, None, c.OUT_OF_RANGE)
    if kind == "unknown_sku":
        cells["sku"] = UNKNOWN
        return Row(cells, None, c.UNKNOWN_SKU)
    if kind == "end_before_start":
        start = date.fromisoformat(cells["start_date"].strip())
        cells["end_date"] = (start - timedelta(days=draw(st.integers(1, 30)))).isoformat()
        return Row(cells, None, c.END_BEFORE_START)
    if kind == "field_count":
        return Row(cells, None, c.MALFORMED_ROW, field_delta=draw(st.sampled_from([-1, 1])))
    name = draw(st.sampled_from(columns))
    bad = BAD_BYTE if kind == "bad_bytes" else "\x00"
    at = draw(st.integers(0, len(cells[name])))
    cells[name] = cells[name][:at] + bad + cells[name][at:]
    return Row(cells, None, c.BAD_ENCODING)


# ------------------------------------------------------------------------------- strategies

EXTRA_COLUMNS = ("loyalty_tier", "note, free", "Ünïcode", "_export_batch")


@st.composite
def file_specs(draw: st.DrawFn, table: str, name: str) -> FileSpec:
    contract = _contract(table)
    optional = [col.name for col in contract.columns if col.may_be_absent]
    present = [n for n in contract.column_names if n not in optional or draw(st.booleans())]
    extras = draw(st.lists(st.sampled_from(EXTRA_COLUMNS), max_size=2, unique=True))
    columns = draw(st.permutations(present + extras)) if draw(st.booleans()) else present + extras
    fmt = draw(st.sampled_from(["csv", "csv", "parquet"]))
    damage = draw(
        st.sampled_from(
            [None] * 10
            + [
                "empty",
                "header_only",
                "truncate",
                "garbage",
                "json",
                "dup_column",
                "missing_column",
            ]
        )
    )
    if damage == "missing_column":
        dropped = draw(st.sampled_from([n for n in columns if n in contract.required_columns]))
        columns = [n for n in columns if n != dropped]

    rows = []
    huge_done = False
    for _ in range(draw(st.integers(1, 8))):
        cells, expected = {}, {}
        for col in contract.columns:
            text, value = _value(draw, contract, col)
            cells[col.name], expected[col.name] = text, value
        if table == "promotions":
            start = draw(st.dates(date(2000, 1, 1), date(2100, 1, 1)))
            end = start + timedelta(days=draw(st.integers(0, 60)))
            cells.update(start_date=start.isoformat(), end_date=end.isoformat())
            expected.update(start_date=start, end_date=end)
        for name_ in extras:
            cells[name_] = _text(draw, required=False, trimmed=False)
        for col in contract.columns:
            if col.name not in columns:
                expected[col.name] = None  # an absent optional column reads as null
        cells = {n: cells[n] for n in columns}
        row = Row(cells, expected)
        if (
            not huge_done and draw(st.integers(0, 9)) == 0
        ):  # 1 MB in a free-text column: still valid
            targets = [n for n in columns if n in extras or contract.column(n).kind == "text"]
            if targets:
                target = draw(st.sampled_from(targets))
                big = ('ß, "long"\n' * (HUGE // 10 + 1))[:HUGE]
                cells[target] = big
                if target in expected:
                    expected[target] = big
                huge_done = True
        if draw(st.integers(0, 2)) == 0:
            row = _corrupt(draw, contract, row, columns, fmt == "csv")
        rows.append(row)

    valid_only = all(r.expected is not None for r in rows)
    return FileSpec(
        name=f"{name}.{'json' if damage == 'json' else fmt}",
        columns=tuple(columns),
        rows=tuple(rows),
        fmt=fmt,
        typed=fmt == "parquet" and valid_only and draw(st.booleans()),
        quote_all=draw(st.booleans()),
        newline=draw(st.sampled_from(["\n", "\r\n"])),
        bom=draw(st.integers(0, 4)) == 0,
        blank_before=frozenset(draw(st.sets(st.integers(0, len(rows)), max_size=2))),
        damage=damage,
        cut=draw(st.floats(0.0, 1.0, exclude_max=True)) if damage == "truncate" else 1.0,
        nested_extra=fmt == "parquet" and draw(st.integers(0, 4)) == 0,
    )


@st.composite
def day_specs(draw: st.DrawFn) -> DaySpec:
    table = draw(st.sampled_from(list(c.TABLES)))
    count = draw(st.integers(2, 4))
    return DaySpec(table, tuple(draw(file_specs(table, f"f{i}")) for i in range(count)))


# -------------------------------------------------------------------------- writing files


def _csv_line(values: list[str], quote_all: bool, newline: str) -> str:
    """One RFC 4180 record (with "\r\n" as terminator, ``csv`` quotes any field holding \r or
    \n)."""
    out = io.StringIO()
    writer = csv.writer(
        out, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\r\n"
    )
    writer.writerow(values)
    return out.getvalue()[:-2] + newline


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def _write_csv(path: Path, spec: FileSpec) -> Expect:
    header = list(spec.columns)
    if spec.damage == "dup_column":
        header = header + [" " + header[0]]  # the same name once stripped
    out = bytearray(b"\xef\xbb\xbf" if spec.bom else b"")
    out += _bytes(_csv_line(header, spec.quote_all, spec.newline))
    header_end = len(out)
    spans = []  # (start, end of content) of each record
    for i, row in enumerate(spec.rows):
        if i in spec.blank_before:
            out += spec.newline.encode()
        values = [row.cells[n] for n in spec.columns]
        if spec.damage == "dup_column":
            values.append(values[0])
        values = values[:-1] if row.field_delta < 0 else values + ["surplus"] * row.field_delta
        line = _bytes(_csv_line(values, spec.quote_all, spec.newline))
        spans.append((len(out), len(out) + len(line) - len(spec.newline)))
        out += line
    if spec.damage == "truncate":
        out = out[: header_end + int(spec.cut * (len(out) - header_end))]
    if spec.damage == "header_only":
        out, spans = out[:header_end], []
    path.write_bytes(bytes(out))

    expect = Expect()
    if spec.damage == "dup_column":
        expect.file_rule = c.UNREADABLE_FILE
        return expect
    kept = len(out)
    for number, ((start, end), row) in enumerate(zip(spans, spec.rows), start=1):
        if start >= kept:
            break
        expect.rows_read = number
        if end > kept:  # cut inside this record
            expect.partial = number
            if _bytes_in_open_quote(bytes(out[start:kept])):  # cut inside a quoted field
                expect.rejected[number] = c.MALFORMED_ROW if row.expected is not None else ANY_RULE
                expect.partial = None
            break
        _expect_row(expect, number, row)
    return expect


def _bytes_in_open_quote(record: bytes) -> bool:
    """The generator quotes per RFC 4180, so an odd number of quotes means an open quoted field."""
    return record.count(b'"') % 2 == 1


def _expect_row(expect: Expect, number: int, row: Row) -> None:
    if row.expected is not None:
        expect.accepted[number] = row.expected
    else:
        assert row.rule is not None
        expect.rejected[number] = row.rule


def _arrow_column(spec: FileSpec, contract: c.TableContract, name: str) -> pa.Array:
    texts = [row.cells[name] for row in spec.rows]
    if (
        spec.typed
        and name in contract.column_names
        and contract.column(name).kind in ("int", "decimal", "date", "timestamp")
    ):
        col = contract.column(name)
        values = [row.expected[name] for row in spec.rows]  # type: ignore[index]
        if col.kind == "timestamp":
            return pa.array(values, pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
        return pa.array(values, col.arrow_type)
    if any(BAD_BYTE in t for t in texts):
        return pa.array([_bytes(t) for t in texts], pa.binary())
    return pa.array(texts, pa.string())


def _write_parquet(path: Path, spec: FileSpec, contract: c.TableContract) -> Expect:
    columns = {name: _arrow_column(spec, contract, name) for name in spec.columns}
    if spec.damage == "dup_column":
        columns[" " + spec.columns[0]] = columns[spec.columns[0]]
    if spec.nested_extra:
        columns["tags"] = pa.array(
            [[i, i + 1] for i in range(len(spec.rows))], pa.list_(pa.int64())
        )
    table = pa.table(columns) if columns else pa.table({})
    if spec.damage == "header_only":
        table = table.slice(0, 0)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    data = buffer.getvalue()
    expect = Expect()
    if spec.damage == "truncate":
        data = data[: max(1, int(spec.cut * len(data)))]
        expect.file_rule = c.UNREADABLE_FILE
    elif spec.damage == "dup_column":
        expect.file_rule = c.UNREADABLE_FILE
    elif spec.damage != "header_only":
        for number, row in enumerate(spec.rows, start=1):
            _expect_row(expect, number, row)
        expect.rows_read = len(spec.rows)
    path.write_bytes(data)
    return expect


def write_file(folder: Path, spec: FileSpec, contract: c.TableContract) -> Expect:
    """Writes the file and returns what ingestion must make of it."""
    path = folder / spec.name
    if spec.damage == "empty":
        path.write_bytes(b"")
        return Expect(file_rule=c.EMPTY_FILE)
    if spec.damage == "garbage":
        path.write_bytes(bytes(range(256)) * 8)
        return Expect(file_rule=c.UNREADABLE_FILE)
    if spec.damage == "json":
        text = json.dumps([r.cells for r in spec.rows], ensure_ascii=False)
        path.write_bytes(_bytes(text[: len(text) // 2]))  # an export cut mid-JSON
        return Expect(file_rule=c.UNSUPPORTED_FILE)
    if spec.fmt == "parquet":
        expect = _write_parquet(path, spec, contract)
    else:
        expect = _write_csv(path, spec)
    missing = [n for n in contract.required_columns if n not in spec.columns]
    if missing and expect.file_rule is None:
        return Expect(file_rule=c.MISSING_COLUMNS)
    return expect


def write_catalog(landing: Path) -> None:
    """The catalog day that declares SKUS (some need CSV quoting)."""
    folder = landing / "products" / f"date={CATALOG_DAY.isoformat()}"
    folder.mkdir(parents=True)
    rows = [_csv_line([sku, *product_row("X").split(",")[1:]], False, "\n") for sku in SKUS]
    (folder / "catalog.csv").write_text(PRODUCTS_HEADER + "\n" + "".join(rows), encoding="utf-8")


# ------------------------------------------------------------------------------- checking


def _read(path: Path) -> pl.DataFrame:
    con = duckdb.connect()
    try:
        return con.sql(
            "SELECT * FROM read_parquet(?, hive_partitioning = false)", params=[str(path)]
        ).pl()
    finally:
        con.close()


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, float):
        return actual == expected or (math.isnan(actual) and math.isnan(expected))
    return actual == expected and type(actual) is type(expected)


def ingest_and_check(spec: DaySpec) -> None:
    contract = _contract(spec.table)
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        landing, warehouse = Path(tmp) / "landing", Warehouse(Path(tmp) / "wh")
        folder = landing / spec.table / f"date={DAY.isoformat()}"
        folder.mkdir(parents=True)
        if contract.checks_sku:
            write_catalog(landing)
            ingest_days(landing, warehouse, c.PRODUCTS, [CATALOG_DAY])
        expects = {
            f"{spec.table}/date={DAY.isoformat()}/{f.name}": write_file(folder, f, contract)
            for f in spec.files
        }

        for f, expect in zip(
            spec.files, expects.values()
        ):  # coverage: --hypothesis-show-statistics
            event(f"table {spec.table}, {'typed ' if f.typed else ''}{f.fmt}, damage {f.damage}")
            for rule in {*expect.rejected.values(), expect.file_rule} - {None}:
                event(f"rejected: {rule}")
            if expect.partial:
                event("cut mid-row outside quotes")
            if any(len(v) >= HUGE for r in f.rows for v in r.cells.values()):
                event("1 MB field")

        stats = ingest_days(landing, warehouse, contract, [DAY])  # must not raise

        raw = _read(warehouse.partition_path(f"raw/{spec.table}", {"export_date": DAY}))
        rejects = _read(
            warehouse.partition_path("rejects", {"table_name": spec.table, "export_date": DAY})
        )
        assert raw.columns == contract.arrow_schema.names
        assert set(raw["_source_file"]) <= set(expects) and set(rejects["source_file"]) <= set(
            expects
        )
        assert stats.last is not None
        file_stats = {f.source_file: f for f in stats.last.files}
        assert set(file_stats) == set(expects)
        for source, expect in expects.items():
            _check_file(source, expect, file_stats[source], raw, rejects, contract)
        _check_upserts(raw, contract, warehouse, stats.duplicate_keys.get(DAY.isoformat(), 0))


def _check_file(
    source: str,
    expect: Expect,
    stats: Any,
    raw: pl.DataFrame,
    rejects: pl.DataFrame,
    contract: c.TableContract,
) -> None:
    accepted = raw.filter(pl.col("_source_file") == source)
    mine = rejects.filter(pl.col("source_file") == source)
    whole = mine.filter(pl.col("row_number").is_null())
    rows = mine.filter(pl.col("row_number").is_not_null())
    # a file that cannot be read: one reject row with the reason, nothing else from the file
    assert whole["rule"].to_list() == ([expect.file_rule] if expect.file_rule else []), (
        source,
        whole,
    )
    assert stats.file_rejected == expect.file_rule
    if expect.file_rule:
        assert whole["detail"][0] and accepted.is_empty() and rows.is_empty()
        assert (stats.rows_read, stats.rows_accepted, stats.rows_rejected) == (0, 0, 0)
        return
    # accounting: every record the reader saw is accepted or rejected, once
    assert stats.rows_read == expect.rows_read, (source, stats, expect.rows_read)
    assert stats.rows_accepted == accepted.height and stats.rows_rejected == rows.height
    assert stats.rows_read == accepted.height + rows.height
    numbers = accepted["_row_number"].to_list() + rows["row_number"].to_list()
    assert sorted(numbers) == list(range(1, expect.rows_read + 1)), (source, numbers)
    # every valid row is loaded with exactly its values; every damaged one is rejected with its rule
    got = {r["_row_number"]: r for r in accepted.iter_rows(named=True)}
    for number, values in expect.accepted.items():
        assert number in got, (source, number, rows.filter(pl.col("row_number") == number).rows())
        for name, value in values.items():
            assert _same(got[number][name], value), (source, number, name, got[number][name], value)
    rules = dict(zip(rows["row_number"], rows["rule"]))
    for number, rule in expect.rejected.items():
        assert number in rules and rule in (rules[number], ANY_RULE), (
            source,
            number,
            rule,
            rules.get(number),
            got.get(number),
        )
    extra = set(got) - set(expect.accepted) - {expect.partial}
    assert not extra, (source, "accepted rows that were generated invalid", extra)
    for detail, raw_json in zip(rows["detail"], rows["raw"]):
        assert detail and isinstance(json.loads(raw_json), dict)


def _check_upserts(
    raw: pl.DataFrame, contract: c.TableContract, warehouse: Warehouse, duplicates: int
) -> None:
    """All deliveries stay in raw; per key the greatest (file, row) is the current record."""
    key = list(contract.key)
    assert duplicates == raw.height - raw.select(key).unique().height
    con = duckdb.connect()
    try:
        path = warehouse.partition_path(f"raw/{contract.name}", {"export_date": DAY})
        con.execute(
            f"CREATE VIEW raw_{contract.name} AS SELECT *, DATE '{DAY.isoformat()}' AS export_date "
            f"FROM read_parquet({sql_literal_path(path)}, hive_partitioning = false)"
        )
        current = con.sql(read_sql(f"current/{contract.name}")).pl()
    finally:
        con.close()
    latest: dict[tuple, tuple[str, int]] = {}
    for r in raw.iter_rows(named=True):
        k = tuple(r[n] for n in key)
        latest[k] = max(latest.get(k, ("", 0)), (r["_source_file"], r["_row_number"]))
    assert sorted(zip(current["_source_file"], current["_row_number"])) == sorted(latest.values())


# ------------------------------------------------------------- hand-made rows and examples

_ORDER = {
    "order_id": ("k1", "k1"),
    "line_no": ("1", 1),
    "sku": ("A1", "A1"),
    "quantity": ("2", 2),
    "unit_price": ("19.99", 19.99),
    "ordered_at": ("2024-01-02T10:00:00Z", datetime(2024, 1, 2, 10)),
    "status": ("placed", "placed"),
    "customer_id": ("c1", "c1"),
}
_PRODUCT = {
    name: (text, text)
    for name, text in zip(PRODUCTS_HEADER.split(","), product_row("P5").split(","))
} | {
    "description": ("", None),
    "list_price": ("20.0", 20.0),
    "unit_cost": ("8.5", 8.5),
    "lead_time_days": ("7", 7),
    "moq": ("10", 10),
    "pack_size": ("6", 6),
    "launched_at": ("2024-01-01", date(2024, 1, 1)),
    "discontinued_at": ("", None),
}
_DEFAULTS = {"orders": _ORDER, "products": _PRODUCT}


def _row(
    table: str, rule: str | None = None, field_delta: int = 0, **overrides: str | tuple[str, Any]
) -> Row:
    """A row of the defaults; an override is a text (str columns) or (text, stored value)."""
    values = dict(_DEFAULTS[table])
    values.update({k: v if isinstance(v, tuple) else (v, v) for k, v in overrides.items()})
    cells = {name: text for name, (text, _) in values.items()}
    expected = None if rule else {name: value for name, (_, value) in values.items()}
    return Row(cells, expected, rule, field_delta)


def _orders_file(name: str, *rows: Row, **options: Any) -> FileSpec:
    return FileSpec(name=name, columns=tuple(_ORDER), rows=rows, **options)


# One example per bug the fuzzing found (each crashed, lost rows or stored a wrong value before).
HUGE_FIELD_IN_ROWWISE_FILE = DaySpec(
    "orders",
    (
        _orders_file(
            "f0.csv",
            _row("orders"),
            _row("orders", c.MALFORMED_ROW, field_delta=-1),
            _row("orders", customer_id="x" * HUGE),
            _row("orders", order_id="k2"),
        ),
    ),
)
NUL_IN_ONE_ROW = DaySpec(
    "orders",
    (
        _orders_file(
            "f0.csv",
            _row("orders"),
            _row("orders", c.BAD_ENCODING, customer_id="c\x00"),
            _row("orders", order_id="k2"),
        ),
    ),
)
CUT_INSIDE_QUOTES = DaySpec(
    "orders",
    (
        _orders_file(
            "f0.csv",
            _row("orders"),
            _row("orders", order_id="k2", customer_id="a long customer id"),
            quote_all=True,
            damage="truncate",
            cut=0.97,
        ),
    ),
)
OUT_OF_RANGE_NUMBERS_AND_DATES = DaySpec(
    "orders",
    (
        _orders_file(
            "f0.csv",
            _row("orders"),
            _row("orders", c.BAD_DECIMAL, unit_price="1e999"),
            _row("orders", c.BAD_TIMESTAMP, ordered_at="9999-12-31T23:59:59-12:00"),
            _row("orders", c.BAD_TIMESTAMP, ordered_at="0000-01-01"),
        ),
    ),
)
YEAR_ZERO_DATE = DaySpec(
    "products",
    (
        FileSpec(
            "f0.csv",
            tuple(_PRODUCT),
            (_row("products"), _row("products", c.BAD_DATE, sku="A1", launched_at="0000-01-01")),
        ),
    ),
)
PARQUET_BINARY_NESTED_AND_DUPLICATE_COLUMNS = DaySpec(
    "orders",
    (
        _orders_file(
            "f0.parquet",
            _row("orders"),
            _row("orders", c.BAD_ENCODING, customer_id="c" + BAD_BYTE),
            fmt="parquet",
            nested_extra=True,
        ),
        _orders_file("f1.parquet", _row("orders"), fmt="parquet", damage="dup_column"),
    ),
)


# ---------------------------------------------------------------------------------- tests


@FUZZ
@given(spec=day_specs())
@example(spec=HUGE_FIELD_IN_ROWWISE_FILE)
@example(spec=NUL_IN_ONE_ROW)
@example(spec=CUT_INSIDE_QUOTES)
@example(spec=OUT_OF_RANGE_NUMBERS_AND_DATES)
@example(spec=YEAR_ZERO_DATE)
@example(spec=PARQUET_BINARY_NESTED_AND_DUPLICATE_COLUMNS)
def test_fuzzed_landing_day_loads_with_exact_accounting(spec: DaySpec) -> None:
    ingest_and_check(spec)


def test_cut_inside_quotes_example_really_cuts_inside_a_quoted_field(tmp_path: Path) -> None:
    expect = write_file(tmp_path, CUT_INSIDE_QUOTES.files[0], c.ORDERS)
    assert expect.rejected == {2: c.MALFORMED_ROW} and expect.partial is None


def test_a_damaged_day_through_the_dagster_assets(tmp_path: Path) -> None:
    """The assets report the same accounting and publish every valid row of a damaged day."""
    landing = tmp_path / "landing"
    folder = landing / "orders" / f"date={DAY.isoformat()}"
    folder.mkdir(parents=True)
    write_catalog(landing)
    specs = [
        *HUGE_FIELD_IN_ROWWISE_FILE.files,
        replace(NUL_IN_ONE_ROW.files[0], name="f1.csv"),
        replace(CUT_INSIDE_QUOTES.files[0], name="f2.csv"),
        *PARQUET_BINARY_NESTED_AND_DUPLICATE_COLUMNS.files[:1],
        FileSpec("f4.csv", tuple(_ORDER), damage="garbage"),
        FileSpec("f5.json", tuple(_ORDER), (_row("orders"),), damage="json"),
    ]
    expects = [write_file(folder, spec, c.ORDERS) for spec in specs]
    warehouse = tmp_path / "wh"
    assert _materialize(
        landing, warehouse, CATALOG_DAY.isoformat(), selection="raw_products"
    ).success
    result = _materialize(landing, warehouse, DAY.isoformat(), selection="raw_orders")
    assert result.success
    meta = result.asset_materializations_for_node("raw_orders")[0].metadata
    read = sum(e.rows_read for e in expects)
    accepted = sum(len(e.accepted) for e in expects)
    assert meta["rows_read"].value == read == accepted + meta["rows_rejected"].value
    assert meta["rows_accepted"].value == accepted
    assert meta["files_rejected"].value == sum(e.file_rule is not None for e in expects) == 2
    con = duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True)
    try:
        stored = con.sql(
            "SELECT _source_file, _row_number, customer_id FROM raw_orders ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    wanted = sorted(
        (f"orders/date={DAY.isoformat()}/{spec.name}", number, values["customer_id"])
        for spec, e in zip(specs, expects)
        for number, values in e.accepted.items()
    )
    assert stored == wanted
