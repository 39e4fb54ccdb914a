"""Applying the contract's rules to all-string rows, vectorised with polars.

For each row the checks run column by column in contract order (empty → parse → range), then the
cross-column rules, then the SKU reference. The first broken rule becomes ``rule``; ``detail``
lists every problem found in the row, so one look at a reject tells everything that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from inventory_pipeline import contract as c
from inventory_pipeline.ingest.read import ROW_NUMBER

SOURCE_FILE = "_source_file"

_INT_RE = r"^[+-]?\d{1,18}$"
_DECIMAL_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$"
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_TIMESTAMP_RE = (
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?)?$"
)
# ISO 8601 years 0001-9999 (also what Python, and so every reader of the raw tables, can hold);
# year 0000, or a UTC instant past 9999 after applying an offset, is not a valid value.
_FIRST_DAY, _LAST_DAY = date(1, 1, 1), date(9999, 12, 31)
_FIRST_INSTANT, _LAST_INSTANT = datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999)


@dataclass
class Validated:
    """Rows that passed every rule (typed per the contract) and those that did not."""

    accepted: pl.DataFrame  # contract columns typed + the lineage columns present in the input
    rejects: pl.DataFrame  # [_source_file], row_number, rule, detail, raw


def _clean(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars()


def _parse(col: c.Column) -> pl.Expr:
    """Typed value, or null where the (non-empty) text does not parse."""
    text = _clean(col.name)
    if col.kind == "int":
        return pl.when(text.str.contains(_INT_RE)).then(text.cast(pl.Int64, strict=False))
    if col.kind == "decimal":
        value = text.cast(pl.Float64, strict=False)  # finite: '1e999' overflows to inf
        return pl.when(text.str.contains(_DECIMAL_RE) & value.is_finite()).then(value)
    if col.kind == "date":
        value = text.str.to_date("%Y-%m-%d", strict=False)
        return pl.when(text.str.contains(_DATE_RE) & value.is_between(_FIRST_DAY, _LAST_DAY)).then(
            value
        )
    if col.kind == "timestamp":
        # ISO 8601: 'T' or space, optional seconds/fraction, 'Z' or ±hh:mm or none (= UTC).
        norm = text.str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T").str.replace(r"[Zz]$", "+00:00")
        with_offset = [
            norm.str.to_datetime(
                fmt, strict=False, time_unit="us", time_zone="UTC"
            ).dt.replace_time_zone(None)
            for fmt in ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z")
        ]
        naive = [
            norm.str.to_datetime(fmt, strict=False, time_unit="us")
            for fmt in ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M")
        ]
        date_only = norm.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us"))
        value = pl.coalesce(*with_offset, *naive, date_only)
        return pl.when(
            text.str.contains(_TIMESTAMP_RE) & value.is_between(_FIRST_INSTANT, _LAST_INSTANT)
        ).then(value)
    if col.kind == "enum":
        return pl.when(text.is_in(list(col.allowed))).then(text)
    if col.kind == "text":
        return pl.col(col.name)
    return text


def _out_of_range(col: c.Column, value: pl.Expr) -> pl.Expr | None:
    conditions = []
    if col.low is not None:
        conditions.append(value <= col.low if col.low_open else value < col.low)
    if col.high is not None:
        conditions.append(value >= col.high if col.high_open else value > col.high)
    if not conditions:
        return None
    return pl.any_horizontal(conditions).fill_null(False)


def _quoted(name: str) -> pl.Expr:
    return pl.format("'{}'", pl.col(name).fill_null(""))


def validate(
    contract: c.TableContract, frame: pl.DataFrame, known_skus: pl.Series | None
) -> Validated:
    """Checks every row of ``frame`` (file columns as strings) against ``contract``.

    Columns the contract allows to be absent are added as null; unknown extra columns are kept in
    the rejects' raw JSON but dropped from the accepted rows. ``known_skus`` (the catalog as of
    the export day) is required for tables that reference products.
    """
    if contract.checks_sku and known_skus is None:
        raise ValueError(f"validating {contract.name} needs the known SKUs of the catalog")
    lineage = [name for name in (SOURCE_FILE, ROW_NUMBER) if name in frame.columns]
    raw_columns = [name for name in frame.columns if name not in lineage]
    missing = [col.name for col in contract.columns if col.name not in frame.columns]
    frame = frame.with_columns(pl.lit(None, pl.String).alias(name) for name in missing)

    typed = {col.name: _parse(col) for col in contract.columns}
    checks: list[tuple[str, pl.Expr, pl.Expr]] = []  # (rule, broken?, message)
    for col in contract.columns:
        empty = _clean(col.name).fill_null("") == ""
        if col.required:
            checks.append((c.MISSING_VALUE, empty, pl.lit(f"{col.name}: required value is empty")))
        if col.kind in c.PARSE_RULES:
            expected = {
                "int": "an integer",
                "decimal": "a decimal number",
                "timestamp": "an ISO 8601 timestamp",
                "date": "a date YYYY-MM-DD",
                "enum": f"one of {list(col.allowed)}",
            }[col.kind]
            checks.append(
                (
                    c.PARSE_RULES[col.kind],
                    ~empty & typed[col.name].is_null(),
                    pl.format(f"{col.name}: expected {expected}, got {{}}", _quoted(col.name)),
                )
            )
        out_of_range = _out_of_range(col, typed[col.name])
        if out_of_range is not None:
            checks.append(
                (
                    c.OUT_OF_RANGE,
                    out_of_range,
                    pl.format(
                        f"{col.name}: must be {col.range_text()}, got {{}}", _quoted(col.name)
                    ),
                )
            )
    for earlier, later in contract.ordered_dates:
        checks.append(
            (
                c.END_BEFORE_START,
                (typed[later] < typed[earlier]).fill_null(False),
                pl.format(
                    f"{later} {{}} is before {earlier} {{}}", _quoted(later), _quoted(earlier)
                ),
            )
        )
    if contract.checks_sku:
        assert known_skus is not None
        sku = _clean("sku")
        checks.append(
            (
                c.UNKNOWN_SKU,
                (sku.fill_null("") != "") & ~sku.is_in(known_skus.implode()),
                pl.format("sku {} is not in the product catalog exported so far", _quoted("sku")),
            )
        )

    rule = pl.lit(None, pl.String)
    for name, broken, _ in reversed(checks):
        rule = pl.when(broken).then(pl.lit(name)).otherwise(rule)
    detail = pl.concat_str(
        [pl.when(broken).then(message) for _, broken, message in checks],
        separator="; ",
        ignore_nulls=True,
    )
    raw = pl.struct(raw_columns).struct.json_encode() if raw_columns else pl.lit("{}")

    def _value(col: c.Column) -> pl.Expr:
        value = typed[col.name]
        if col.kind in ("str", "text", "enum"):
            value = pl.when(_clean(col.name).fill_null("") != "").then(value)
        return value.cast(_dtype(col)).alias(col.name)

    checked = frame.with_columns(rule.alias("_rule"), detail.alias("_detail"))
    accepted = checked.filter(pl.col("_rule").is_null()).select(
        [_value(col) for col in contract.columns] + [pl.col(name) for name in lineage]
    )
    rejects = checked.filter(pl.col("_rule").is_not_null()).select(
        *[pl.col(name) for name in lineage if name != ROW_NUMBER],
        pl.col(ROW_NUMBER).alias("row_number"),
        pl.col("_rule").alias("rule"),
        pl.col("_detail").alias("detail"),
        raw.alias("raw"),
    )
    return Validated(accepted=accepted, rejects=rejects)


_POLARS_TYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "text": pl.String(),
    "enum": pl.String(),
    "int": pl.Int64(),
    "decimal": pl.Float64(),
    "timestamp": pl.Datetime("us"),
    "date": pl.Date(),
}


def _dtype(col: c.Column) -> pl.DataType:
    return _POLARS_TYPES[col.kind]
