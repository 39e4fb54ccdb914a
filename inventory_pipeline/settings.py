"""The shop's settings file: the one place a shop describes itself.

Every shop differs in its calendar of events, service levels, review period, first export day and
currency, so none of these is a code default: ``settings.yaml`` (``$INVENTORY_SETTINGS``, else
``<data root>/settings.yaml``) holds them, every run reads it, and a missing or empty file gives
the generic defaults of :class:`ShopSettings` (no named events). The format is documented in
docs/settings.md ("Shop settings"). A bad value fails loading with a message naming the key, the
value and the fix, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from inventory_pipeline.features.calendar import (
    ANCHORS,
    DIRECTIONS,
    WEEKDAYS,
    EventRule,
    weekday_number,
)
from inventory_pipeline.features.config import DEFAULT_CONFIG, FeatureConfig
from inventory_pipeline.forecast_shape import HORIZON_DAYS, covering_horizon
from inventory_pipeline.reorder import ReorderConfig

SETTINGS_FILE = "settings.yaml"
AUTO = "auto"  # forecast.horizon_days: cover the catalog's longest lead time (opt-in)
_DAY_FOLDER = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")

# Keys of each section, with the fields of ShopSettings they fill.
_SECTIONS: dict[str, tuple[str, ...]] = {
    "shop": ("name", "currency", "first_export_day"),
    "forecast": ("horizon_days",),
    "reorder": (
        "service_level",
        "category_service_levels",
        "review_period_days",
        "holding_cost_rate",
        "lead_time_range",
        "max_snapshot_age_days",
    ),
    "events": (),
}
_EVENT_KEYS = (
    "name",
    "rule",
    "month",
    "day",
    "weekday",
    "nth",
    "dates",
    "length_days",
    "offset_days",
    "direction",
)
# The keys each rule reads (besides name, length_days, offset_days, direction).
_RULE_KEYS: dict[str, tuple[str, ...]] = {
    "fixed": ("month", "day"),
    "nth_weekday": ("month", "weekday", "nth"),
    "easter": (),
    "dates": ("dates",),
}


class _Loader(yaml.SafeLoader):
    """Safe YAML with dates left as text, so a bad date is reported with its key, not by PyYAML."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class SettingsError(ValueError):
    """The settings file is unreadable or holds a bad value; the message lists every problem."""


@dataclass(frozen=True)
class ShopSettings:
    """What a shop says about itself; the defaults are generic (no shop's calendar).

    The policy's defaults are :class:`~inventory_pipeline.reorder.ReorderConfig`'s, the horizon's
    :data:`~inventory_pipeline.forecast_shape.HORIZON_DAYS`: they are declared there, once.
    """

    name: str = ""  # shown in the UI and reports
    currency: str = "EUR"  # ISO 4217 code of the prices in the exports (a label, never converted)
    first_export_day: date | None = None  # None: the earliest day folder of the landing zone
    horizon_days: int | None = HORIZON_DAYS  # days forecast after each origin; None ("auto"):
    # enough to cover the catalog's longest lead time + review period (see horizon())
    service_level: float = ReorderConfig.service_level  # target cycle service level of the plan
    category_service_levels: Mapping[str, float] = field(default_factory=dict)  # prefix -> level
    review_period_days: int = ReorderConfig.review_period_days  # days between reorder reviews
    holding_cost_rate: float = ReorderConfig.holding_cost_rate  # yearly holding cost as a share
    # of unit cost
    lead_time_range: tuple[float, float] | None = None  # actual / catalog lead time, uniform
    # between the two; None: estimated from the inventory snapshots (inventory_pipeline.leadtimes),
    # where the policy's own default is on time
    max_snapshot_age_days: int = ReorderConfig.max_snapshot_age_days  # an older inventory
    # snapshot is not planned on
    events: tuple[EventRule, ...] = ()  # the shop's calendar; none by default
    source: str = ""  # the file these settings came from ("" for the code defaults)

    def feature_config(self, base: FeatureConfig = DEFAULT_CONFIG) -> FeatureConfig:
        """``base`` with this shop's events and stated forecast horizon (a model reads its own
        horizon's features, whatever this says)."""
        return dataclasses.replace(
            base, events=self.events, horizon_days=self.horizon_days or HORIZON_DAYS
        )

    def horizon(self, longest_lead_time_days: float | None) -> int:
        """The horizon a model is trained with: the stated ``forecast.horizon_days``, else one
        that covers the catalog's longest lead time (late by the settings' lead-time range, if
        stated) + the review period, in whole weeks, between
        :data:`~inventory_pipeline.forecast_shape.HORIZON_DAYS` and
        :data:`~inventory_pipeline.forecast_shape.MAX_COVERING_HORIZON_DAYS` days."""
        if self.horizon_days is not None:
            return self.horizon_days
        if longest_lead_time_days is None:  # no catalog yet
            return HORIZON_DAYS
        late = self.lead_time_range[1] if self.lead_time_range is not None else 1.0
        return covering_horizon(longest_lead_time_days * late + self.review_period_days)

    def reorder_config(self, base: ReorderConfig | None = None) -> ReorderConfig:
        """``base`` (default: the policy defaults) with this shop's service levels and costs."""
        return dataclasses.replace(
            base or ReorderConfig(),
            service_level=self.service_level,
            category_service_levels=dict(self.category_service_levels),
            review_period_days=self.review_period_days,
            holding_cost_rate=self.holding_cost_rate,
            lead_time_range=self.lead_time_range,
            max_snapshot_age_days=self.max_snapshot_age_days,
        )

    def to_dict(self) -> dict[str, Any]:
        """The settings in the file's layout (what :func:`write_settings` writes)."""
        shop: dict[str, Any] = {"name": self.name, "currency": self.currency}
        if self.first_export_day is not None:
            shop["first_export_day"] = self.first_export_day
        return {
            "shop": shop,
            "forecast": {"horizon_days": AUTO if self.horizon_days is None else self.horizon_days},
            "reorder": {
                "service_level": self.service_level,
                "category_service_levels": dict(self.category_service_levels),
                "review_period_days": self.review_period_days,
                "holding_cost_rate": self.holding_cost_rate,
                **(
                    {"lead_time_range": list(self.lead_time_range)}
                    if self.lead_time_range is not None
                    else {}
                ),
                "max_snapshot_age_days": self.max_snapshot_age_days,
            },
            "events": [_event_dict(e) for e in self.events],
        }

    def summary(self) -> dict[str, Any]:
        """A flat, JSON-ready view for run logs and the UI's metadata."""
        data = self.to_dict()
        data["source"] = self.source or "defaults (no settings file)"
        data["shop"] = {k: str(v) for k, v in data["shop"].items()}
        data["events"] = [
            {k: [d.isoformat() for d in v] if k == "dates" else v for k, v in e.items()}
            for e in data["events"]
        ]
        return data


def _event_dict(rule: EventRule) -> dict[str, Any]:
    out: dict[str, Any] = {"name": rule.name, "rule": rule.anchor}
    for key in _RULE_KEYS[rule.anchor]:
        value = getattr(rule, key)
        out[key] = (
            WEEKDAYS[int(value)] if key == "weekday" else list(value) if key == "dates" else value
        )
    if rule.length_days != 1:
        out["length_days"] = rule.length_days
    if rule.offset_days:
        out["offset_days"] = rule.offset_days
    out["direction"] = rule.direction
    return out


class _Reader:
    """Reads values out of the parsed YAML, collecting one message per problem."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.errors: list[str] = []

    def error(self, key: str, message: str) -> None:
        self.errors.append(f"{self.label}: {key}: {message}")

    def unknown_keys(self, where: str, data: Mapping[Any, Any], known: tuple[str, ...]) -> None:
        for key in data:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
            self.error(f"{where}{key}" if where else str(key), f"unknown key; {hint}")

    def integer(
        self, key: str, value: Any, low: int | None = None, alternative: str = ""
    ) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            also = f" or {alternative}" if alternative else ""
            self.error(key, f"{value!r} is not a whole number; write e.g. {low or 1}{also}")
            return None
        if low is not None and value < low:
            self.error(key, f"{value!r} is below {low}; use a value >= {low}")
            return None
        return value

    def level(self, key: str, value: Any) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            self.error(
                key,
                f"{value!r} is not a service level; use a probability between 0 and 1, e.g. 0.95",
            )
            return None
        return float(value)

    def day(self, key: str, value: Any) -> date | None:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.error(key, f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2024-01-31")
            return None

    def text(self, key: str, value: Any) -> str | None:
        if value is None:
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.error(key, f"{value!r} is not text; write a plain value")
            return None
        return str(value)


def _section(reader: _Reader, data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        reader.error(
            name, f"expected a mapping of keys ({', '.join(_SECTIONS[name])}), got {value!r}"
        )
        return {}
    reader.unknown_keys(f"{name}.", value, _SECTIONS[name])
    return value


def _parse_event(reader: _Reader, i: int, raw: Any) -> EventRule | None:
    where = f"events[{i}]"
    if not isinstance(raw, Mapping):
        reader.error(where, f"expected a mapping with name and rule, got {raw!r}")
        return None
    before = len(reader.errors)
    reader.unknown_keys(f"{where}.", raw, _EVENT_KEYS)
    name = raw.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        reader.error(
            f"{where}.name",
            f"{name!r} is not an event name; use letters, digits and "
            f"_ (it names the column event_<name>), e.g. summer_sale",
        )
    rule = raw.get("rule")
    if rule not in ANCHORS:
        reader.error(f"{where}.rule", f"{rule!r} is not a rule; use one of {', '.join(ANCHORS)}")
        return None
    for key in _RULE_KEYS[rule]:
        if key not in raw and not (key == "nth" and rule == "nth_weekday"):
            reader.error(
                f"{where}.{key}", f"missing; rule {rule!r} needs {', '.join(_RULE_KEYS[rule])}"
            )
    extra = set(raw) & set(_EVENT_KEYS) - {
        "name",
        "rule",
        "length_days",
        "offset_days",
        "direction",
        *_RULE_KEYS[rule],
    }
    for key in sorted(extra):
        reader.error(
            f"{where}.{key}",
            f"rule {rule!r} does not use {key}; remove it "
            f"(it reads {', '.join(_RULE_KEYS[rule]) or 'no date keys'})",
        )
    values: dict[str, Any] = {}
    if "month" in raw and (m := reader.integer(f"{where}.month", raw["month"], 1)) is not None:
        if m > 12:
            reader.error(f"{where}.month", f"{m!r} is not a month; use 1..12")
        values["month"] = m
    if "day" in raw and (d := reader.integer(f"{where}.day", raw["day"], 1)) is not None:
        values["day"] = d
    if "weekday" in raw:
        try:
            values["weekday"] = weekday_number(raw["weekday"])
        except (TypeError, ValueError):
            reader.error(
                f"{where}.weekday", f"{raw['weekday']!r} is not a weekday; use monday..sunday"
            )
    if "nth" in raw:
        nth = raw["nth"]
        if isinstance(nth, bool) or nth not in (1, 2, 3, 4, 5, -1):
            reader.error(f"{where}.nth", f"{nth!r} is not a position; use 1..5, or -1 for the last")
        else:
            values["nth"] = nth
    if "dates" in raw:
        listed = raw["dates"]
        if not isinstance(listed, list) or not listed:
            reader.error(
                f"{where}.dates",
                f"{listed!r} is not a list of days; write e.g. [2024-07-16, 2025-07-15]",
            )
        else:
            days = [reader.day(f"{where}.dates[{j}]", v) for j, v in enumerate(listed)]
            values["dates"] = tuple(d for d in days if d is not None)
    if "length_days" in raw:
        values["length_days"] = reader.integer(f"{where}.length_days", raw["length_days"], 1)
    if "offset_days" in raw:
        values["offset_days"] = reader.integer(f"{where}.offset_days", raw["offset_days"])
    if "direction" in raw:
        if raw["direction"] not in DIRECTIONS:
            reader.error(
                f"{where}.direction",
                f"{raw['direction']!r} is not a direction; use {', '.join(DIRECTIONS)}",
            )
        else:
            values["direction"] = raw["direction"]
    if len(reader.errors) > before:
        return None
    try:
        return EventRule(name, rule, **values)
    except ValueError as err:
        reader.error(where, str(err))
        return None


def parse_text(text: str, label: str = SETTINGS_FILE) -> ShopSettings:
    """Settings from YAML text (dates as ``YYYY-MM-DD``)."""
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as err:
        raise SettingsError(
            f"{label}: not valid YAML ({err}); see docs/settings.md, 'Shop settings'"
        ) from err
    return parse_settings(data, label)


def parse_settings(data: Any, label: str = SETTINGS_FILE) -> ShopSettings:
    """Settings from the parsed YAML document ``data`` (``None``: the defaults).

    Raises :class:`SettingsError` listing every bad key, each with its value and the fix.
    """
    reader = _Reader(label)
    if data is None:
        return ShopSettings(source=label)
    if not isinstance(data, Mapping):
        raise SettingsError(f"{label}: expected sections {', '.join(_SECTIONS)}, got {data!r}")
    reader.unknown_keys("", data, tuple(_SECTIONS))
    values: dict[str, Any] = {}
    shop = _section(reader, data, "shop")
    for key in ("name", "currency"):
        if key in shop and (text := reader.text(f"shop.{key}", shop[key])) is not None:
            values[key] = text
    if values.get("currency") is not None and not re.fullmatch(r"[A-Z]{3}", values["currency"]):
        reader.error(
            "shop.currency",
            f"{values['currency']!r} is not a currency code; use three "
            f"capital letters (ISO 4217), e.g. EUR, USD",
        )
    if shop.get("first_export_day") is not None:
        values["first_export_day"] = reader.day("shop.first_export_day", shop["first_export_day"])
    forecast = _section(reader, data, "forecast")
    if forecast.get("horizon_days") == AUTO:
        values["horizon_days"] = None
    elif "horizon_days" in forecast:
        values["horizon_days"] = reader.integer(
            "forecast.horizon_days", forecast["horizon_days"], 1, alternative=AUTO
        )
    reorder = _section(reader, data, "reorder")
    if "service_level" in reorder:
        values["service_level"] = reader.level("reorder.service_level", reorder["service_level"])
    if "review_period_days" in reorder:
        values["review_period_days"] = reader.integer(
            "reorder.review_period_days", reorder["review_period_days"], 1
        )
    if "holding_cost_rate" in reorder:
        rate = reorder["holding_cost_rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < math.inf:
            reader.error(
                "reorder.holding_cost_rate",
                f"{rate!r} is not a rate; use a share of unit cost per year >= 0, e.g. 0.25",
            )
        else:
            values["holding_cost_rate"] = float(rate)
    if "max_snapshot_age_days" in reorder:
        values["max_snapshot_age_days"] = reader.integer(
            "reorder.max_snapshot_age_days", reorder["max_snapshot_age_days"], 0
        )
    if "lead_time_range" in reorder:
        spread = reorder["lead_time_range"]
        if (
            not isinstance(spread, list)
            or len(spread) != 2
            or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in spread)
            or not 0 < spread[0] <= spread[1] < math.inf
        ):
            reader.error(
                "reorder.lead_time_range",
                f"{spread!r} is not a range of lead-time shares; write [low, high] with "
                f"0 < low <= high, e.g. [1.0, 1.25] when deliveries come up to 25% late",
            )
        else:
            values["lead_time_range"] = (float(spread[0]), float(spread[1]))
    levels = reorder.get("category_service_levels")
    if levels is not None:
        if not isinstance(levels, Mapping):
            reader.error(
                "reorder.category_service_levels",
                f"{levels!r} is not a mapping; write {{home/kitchen: 0.97}}",
            )
        else:
            values["category_service_levels"] = {
                str(prefix): reader.level(f"reorder.category_service_levels.{prefix}", level)
                for prefix, level in levels.items()
            }
    events = data.get("events")
    if events is not None and not isinstance(events, list):
        reader.error("events", f"expected a list of events (- name: ...), got {events!r}")
    elif events:
        rules = [_parse_event(reader, i, raw) for i, raw in enumerate(events)]
        names = [r.name for r in rules if r is not None]
        for i, rule in enumerate(rules):
            if rule is not None and names.count(rule.name) > 1 and names.index(rule.name) != i:
                reader.error(
                    f"events[{i}].name",
                    f"{rule.name!r} is listed twice; event names "
                    f"must be unique (they name columns)",
                )
        values["events"] = tuple(r for r in rules if r is not None)
    if reader.errors:
        raise SettingsError("\n".join(reader.errors))
    return ShopSettings(**values, source=label)


def load_settings(path: Path | None) -> ShopSettings:
    """The settings in ``path``; a missing file (or ``None``) or an empty one gives the defaults."""
    if path is None or not Path(path).exists():
        return ShopSettings()
    return parse_text(Path(path).read_text(encoding="utf-8"), str(path))


def write_settings(settings: ShopSettings, path: Path) -> Path:
    """Writes ``settings`` as YAML (atomically: temp file, then rename); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    text = yaml.safe_dump(settings.to_dict(), sort_keys=False, allow_unicode=True)
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def earliest_landing_day(landing_dir: Path) -> date | None:
    """The earliest ``<landing>/<table>/date=YYYY-MM-DD`` folder, or None without any."""
    if not landing_dir.is_dir():
        return None
    days = [
        match.group(1)
        for table in landing_dir.iterdir()
        if table.is_dir()
        for folder in table.iterdir()
        if (match := _DAY_FOLDER.match(folder.name))
    ]
    return date.fromisoformat(min(days)) if days else None


def first_export_day(settings: ShopSettings, landing_dir: Path, today: date) -> date:
    """Where the shop's daily partitions start.

    ``shop.first_export_day`` of the settings, else the earliest landing day folder, else (a shop
    with no exports yet) January 1st of ``today``'s year, so the days it is about to export exist.
    """
    if settings.first_export_day is not None:
        return settings.first_export_day
    return earliest_landing_day(landing_dir) or date(today.year, 1, 1)
