"""The generated shop's settings file: how the shop describes itself to the pipeline.

Written next to the landing zone (`<landing>/../settings.yaml`) in the format the pipeline's
settings loader reads (docs/settings.md, "Shop settings"): the shop's name, currency and first
export day, and its event calendar (the profile's `ShopEvent` rules, with the direction of their
lift), so the pipeline's calendar features fall on the days the generator simulated.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from inventory_pipeline.sampleshop.config import ShopConfig, ShopEvent

SETTINGS_FILE = "settings.yaml"
CURRENCY = "EUR"  # the generator's prices
WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


def event_entry(event: ShopEvent, categories: tuple[str, ...]) -> dict[str, Any]:
    """One `events:` item: name, rule and the rule's fields, length, offset, direction."""
    rule = event.rule
    entry: dict[str, Any] = {"name": rule.name, "rule": rule.anchor}
    if rule.anchor == "fixed":
        entry.update(month=rule.month, day=rule.day)
    elif rule.anchor == "nth_weekday":
        entry.update(month=rule.month, weekday=WEEKDAYS[rule.weekday], nth=rule.nth)
    elif rule.anchor != "easter":
        raise ValueError(f"event {rule.name!r}: anchor {rule.anchor!r} cannot be written")
    entry.update(
        length_days=rule.length_days,
        offset_days=rule.offset_days,
        direction=event.direction(categories),
    )
    return entry


def settings_document(shop_name: str, config: ShopConfig, start: date) -> dict[str, Any]:
    """The settings of a shop generated with `config` from `start`, as a YAML-ready mapping."""
    categories = tuple(c.name for c in config.categories)
    return {
        "shop": {"name": shop_name, "currency": CURRENCY, "first_export_day": start},
        "events": [event_entry(e, categories) for e in config.events],
    }


def write_settings(
    path: Path, shop_name: str, profile: str, config: ShopConfig, start: date
) -> Path:
    """Write the settings file of a generated shop (PyYAML, keys in the documented order)."""
    doc = settings_document(shop_name, config, start)
    header = (
        f"# Settings of a generated sample shop (profile {profile!r}): its calendar is the\n"
        "# generator's, so the pipeline's event features match the simulated demand.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)
    path.write_text(header + text, encoding="utf-8")
    return path
