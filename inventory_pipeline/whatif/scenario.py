"""Promotion scenarios: what a planner asks about a promotion that is still an idea.

A scenario names the products (SKUs, or a category prefix and/or a brand), the days and one or
more discounts to compare. It comes from a file dropped in the ``what_if/`` folder (YAML or CSV;
the file name without its extension is the scenario's key) or from the command line. Every
problem is reported with the file, the key and the fix; nothing is guessed.

YAML::

    name: spring-cookware          # optional; default: the file name
    skus: [SKU-00012, SKU-00031]   # or: category: home/kitchen   and/or   brand: Acme
    start: 2025-06-10
    end: 2025-06-16                # inclusive
    discounts: [10, 20, 30]        # or: discount: 20
    promo_type: discount           # optional
    promo_name: Spring sale        # optional

CSV, one row per SKU (or selector) and discount, every row with the same dates::

    sku,category,brand,start_date,end_date,discount_pct,promo_type,name
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

SCENARIO_SUFFIXES = (".yaml", ".yml", ".csv")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_YAML_KEYS = (
    "name", "skus", "sku", "category", "brand", "start", "end", "discounts", "discount",
    "promo_type", "promo_name",
)  # fmt: skip
_CSV_COLUMNS = (
    "sku", "category", "brand", "start_date", "end_date", "discount_pct", "promo_type", "name",
)  # fmt: skip


class ScenarioError(ValueError):
    """A scenario that cannot be answered as written; the message says what to change."""


@dataclass(frozen=True)
class Scenario:
    """One planned promotion, at one or more discounts."""

    key: str  # partition key: the file name without extension (letters, digits, _ - .)
    name: str
    start: date
    end: date  # inclusive
    discounts: tuple[float, ...]  # percent, each in (0, 100), sorted, distinct
    skus: tuple[str, ...] = ()  # explicit SKUs; empty: the selector below
    category: str | None = None  # category prefix, e.g. "home/kitchen"
    brand: str | None = None  # exact brand
    promo_type: str = "discount"
    promo_name: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def describe(self) -> str:
        """Which products, in words (for logs and plot titles)."""
        if self.skus:
            shown = ", ".join(self.skus[:3]) + (
                f" and {len(self.skus) - 3} more" if len(self.skus) > 3 else ""
            )
            return f"SKU {shown}"
        parts = [
            f"category {self.category}*" if self.category else "",
            f"brand {self.brand}" if self.brand else "",
        ]
        return " and ".join(p for p in parts if p)


def scenario_key(path: Path) -> str:
    """The partition key of a scenario file: its name without the extension."""
    key = path.stem
    if not _KEY.match(key) or ".." in key:
        raise ScenarioError(
            f"{path.name}: the file name {key!r} is the scenario's key and must use letters, "
            "digits, '_', '-', '.' only (no spaces); rename the file"
        )
    return key


def _date(where: str, key: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ScenarioError(f"{where}: {key} = {value!r} is not a date; write YYYY-MM-DD") from None


def _discount(where: str, key: str, value: Any) -> float:
    text = str(value).strip().rstrip("%")
    try:
        pct = float(text)
    except ValueError:
        raise ScenarioError(
            f"{where}: {key} = {value!r} is not a number; write the discount in percent, e.g. 20"
        ) from None
    if not 0 < pct < 100:
        raise ScenarioError(
            f"{where}: {key} = {value!r} is outside 0 < discount < 100; write it in percent "
            "(20 for 20% off)"
        )
    return pct


def build_scenario(
    where: str,
    key: str,
    *,
    start: Any,
    end: Any,
    discounts: Sequence[Any],
    skus: Sequence[Any] = (),
    category: Any = None,
    brand: Any = None,
    name: Any = None,
    promo_type: Any = None,
    promo_name: Any = None,
) -> Scenario:
    """A validated scenario from raw values; ``where`` names the source in messages."""
    first, last = _date(where, "start", start), _date(where, "end", end)
    if last < first:
        raise ScenarioError(
            f"{where}: end {last} is before start {first}; the end date is inclusive and must be "
            "on or after the start"
        )
    if not discounts:
        raise ScenarioError(
            f"{where}: no discount given; add `discount: 20` or `discounts: [10, 20]`"
        )
    pcts = tuple(sorted({_discount(where, "discount", d) for d in discounts}))
    clean_skus = tuple(dict.fromkeys(str(s).strip() for s in skus if str(s).strip()))
    category = str(category).strip() if category not in (None, "") else None
    brand = str(brand).strip() if brand not in (None, "") else None
    if clean_skus and (category or brand):
        raise ScenarioError(
            f"{where}: give either skus or a category/brand selector, not both (skus "
            f"{list(clean_skus[:3])}, category {category!r}, brand {brand!r})"
        )
    if not clean_skus and not category and not brand:
        raise ScenarioError(
            f"{where}: no products selected; add `skus: [...]`, `category: <prefix>` or "
            "`brand: <name>`"
        )
    return Scenario(
        key=key,
        name=str(name).strip() if name not in (None, "") else key,
        start=first,
        end=last,
        discounts=pcts,
        skus=clean_skus,
        category=category,
        brand=brand,
        promo_type=str(promo_type).strip() if promo_type not in (None, "") else "discount",
        promo_name=str(promo_name).strip() if promo_name not in (None, "") else "",
    )


def _from_yaml(path: Path, key: str) -> Scenario:
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ScenarioError(f"{where}: not valid YAML ({err}); fix the syntax") from None
    if not isinstance(data, Mapping):
        raise ScenarioError(
            f"{where}: expected a mapping of keys (name, skus, start, end, discounts)"
        )
    unknown = sorted(set(map(str, data)) - set(_YAML_KEYS))
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key(s) {unknown}; known keys: {', '.join(_YAML_KEYS)}"
        )
    for required in ("start", "end"):
        if required not in data:
            raise ScenarioError(f"{where}: `{required}` is missing; add `{required}: YYYY-MM-DD`")
    if "discounts" in data and "discount" in data:
        raise ScenarioError(f"{where}: give `discount` or `discounts`, not both")
    discounts = data.get("discounts", data.get("discount"))
    discounts = (
        discounts if isinstance(discounts, list) else [] if discounts is None else [discounts]
    )
    skus = data.get("skus", data.get("sku")) or []
    skus = skus if isinstance(skus, list) else [skus]
    return build_scenario(
        where, key, start=data["start"], end=data["end"], discounts=discounts, skus=skus,
        category=data.get("category"), brand=data.get("brand"), name=data.get("name"),
        promo_type=data.get("promo_type"), promo_name=data.get("promo_name"),
    )  # fmt: skip


def _from_csv(path: Path, key: str) -> Scenario:
    where = path.name
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        rows = [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in reader]
    unknown = sorted(set(columns) - set(_CSV_COLUMNS))
    missing = [c for c in ("start_date", "end_date", "discount_pct") if c not in columns]
    if unknown or missing:
        raise ScenarioError(
            f"{where}: columns {columns} do not fit: missing {missing}, unknown {unknown}; "
            f"use the header {','.join(_CSV_COLUMNS)}"
        )
    if not rows:
        raise ScenarioError(
            f"{where}: no data rows under the header; add one row per SKU and discount"
        )
    for field in ("start_date", "end_date", "category", "brand", "name", "promo_type"):
        values = {r.get(field, "") for r in rows}
        if len(values) > 1:
            raise ScenarioError(
                f"{where}: column {field} differs between rows ({sorted(values)[:3]}); one file is "
                "one promotion: write the other one in a file of its own"
            )
    first = rows[0]
    return build_scenario(
        where, key, start=first["start_date"], end=first["end_date"],
        discounts=[r["discount_pct"] for r in rows], skus=[r.get("sku", "") for r in rows],
        category=first.get("category"), brand=first.get("brand"), name=first.get("name"),
        promo_type=first.get("promo_type"), promo_name=first.get("name"),
    )  # fmt: skip


def read_scenario(path: Path) -> Scenario:
    """The scenario in ``path`` (YAML or CSV), validated."""
    if path.suffix.lower() not in SCENARIO_SUFFIXES:
        raise ScenarioError(
            f"{path.name}: a scenario file ends in {', '.join(SCENARIO_SUFFIXES)}; rename it"
        )
    key = scenario_key(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: no such file; drop the scenario file into the what_if folder")
    return _from_csv(path, key) if path.suffix.lower() == ".csv" else _from_yaml(path, key)


def scenario_files(folder: Path) -> list[Path]:
    """Scenario files in ``folder``, by name (hidden and temporary files are skipped)."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in SCENARIO_SUFFIXES
        and not p.name.startswith((".", "~"))
    )  # fmt: skip


def find_scenario_file(folder: Path, key: str) -> Path:
    """The file of scenario ``key`` in ``folder``; one key must map to exactly one file."""
    matches = [p for p in scenario_files(folder) if p.stem == key]
    if not matches:
        raise ScenarioError(
            f"no scenario file {key}.yaml / {key}.yml / {key}.csv in {folder}: it was removed or "
            "renamed; drop it back or delete the partition"
        )
    if len(matches) > 1:
        raise ScenarioError(
            f"scenario {key!r} has several files in {folder} "
            f"({[p.name for p in matches]}); keep one"
        )
    return matches[0]
