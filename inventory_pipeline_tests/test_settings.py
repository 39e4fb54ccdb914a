"""The shop settings file: a valid file, every kind of bad value, a missing or empty file."""

from datetime import date
from pathlib import Path

import pytest

from inventory_pipeline.features.calendar import EventRule, calendar_frame
from inventory_pipeline.features.config import DEFAULT_CONFIG
from inventory_pipeline.settings import (
    SettingsError,
    ShopSettings,
    first_export_day,
    load_settings,
    write_settings,
)

VALID = """\
shop:
  name: Corner shop
  currency: USD
  first_export_day: 2023-03-01
forecast:
  horizon_days: 35
reorder:
  service_level: 0.9
  category_service_levels: {home/kitchen: 0.97}
  review_period_days: 7
  holding_cost_rate: 0.3
  lead_time_range: [1.0, 1.3]
  max_snapshot_age_days: 14
events:
  - name: singles_day
    rule: fixed
    month: 11
    day: 11
    direction: up
  - name: black_friday
    rule: nth_weekday
    month: 11
    weekday: thursday
    nth: 4
    offset_days: 1
  - name: summer_sale
    rule: dates
    dates: [2024-07-16, 2025-07-15]
    length_days: 2
  - name: closed_for_easter
    rule: easter
    offset_days: -2
    length_days: 4
    direction: down
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file(tmp_path: Path) -> None:
    s = load_settings(_write(tmp_path, VALID))
    assert (s.name, s.currency, s.first_export_day) == ("Corner shop", "USD", date(2023, 3, 1))
    assert (s.horizon_days, s.service_level, s.review_period_days) == (35, 0.9, 7)
    assert s.category_service_levels == {"home/kitchen": 0.97}
    assert [e.name for e in s.events] == [
        "singles_day",
        "black_friday",
        "summer_sale",
        "closed_for_easter",
    ]
    assert s.events[1].weekday == 3 and s.events[1].nth == 4 and s.events[1].direction == "unknown"
    assert s.events[2].dates == (date(2024, 7, 16), date(2025, 7, 15))
    config = s.feature_config(DEFAULT_CONFIG)
    assert config.events == s.events and config.horizon_days == 35
    assert config.history_days == DEFAULT_CONFIG.history_days
    policy = s.reorder_config()
    assert (policy.service_level, policy.review_period_days, policy.holding_cost_rate) == (
        0.9,
        7,
        0.3,
    )
    assert (policy.lead_time_range, policy.max_snapshot_age_days) == ((1.0, 1.3), 14)
    frame = calendar_frame(date(2024, 11, 28), date(2024, 11, 30), config.events)
    assert frame.filter("event_black_friday")["date"].to_list() == [date(2024, 11, 29)]


def test_write_then_load_round_trips(tmp_path: Path) -> None:
    s = load_settings(_write(tmp_path, VALID))
    again = load_settings(write_settings(s, tmp_path / "copy" / "settings.yaml"))
    assert again.events == s.events
    assert again.to_dict() == s.to_dict()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "events:\n  - {name: a, rule: nth_weekday, month: 11, weekday: thursdy}\n",
            "events[0].weekday: 'thursdy' is not a weekday; use monday..sunday",
        ),
        ("shop: {currncy: EUR}\n", "shop.currncy: unknown key; did you mean 'currency'?"),
        (
            "reorder: {service_levle: 0.9}\n",
            "reorder.service_levle: unknown key; did you mean 'service_level'?",
        ),
        ("evnts: []\n", "evnts: unknown key; did you mean 'events'?"),
        (
            "reorder: {service_level: 95}\n",
            "reorder.service_level: 95 is not a service level; use a probability between 0 and 1",
        ),
        (
            "reorder: {category_service_levels: {home: 1.2}}\n",
            "reorder.category_service_levels.home: 1.2 is not a service level",
        ),
        ("reorder: {review_period_days: 0}\n", "reorder.review_period_days: 0 is below 1"),
        (
            "reorder: {lead_time_range: [1.2, 1.0]}\n",
            "reorder.lead_time_range: [1.2, 1.0] is not a range of lead-time shares; "
            "write [low, high]",
        ),
        ("reorder: {max_snapshot_age_days: -1}\n", "reorder.max_snapshot_age_days: -1 is below 0"),
        ("forecast: {horizon_days: two}\n", "forecast.horizon_days: 'two' is not a whole number"),
        (
            "shop: {first_export_day: 2024-02-30}\n",
            "shop.first_export_day: '2024-02-30' is not a date; write YYYY-MM-DD",
        ),
        ("shop: {currency: euro}\n", "shop.currency: 'euro' is not a currency code"),
        (
            "events:\n  - {name: a, rule: fixd}\n",
            "events[0].rule: 'fixd' is not a rule; use one of fixed, nth_weekday, easter, dates",
        ),
        ("events:\n  - {name: a, rule: fixed, month: 11}\n", "events[0].day: missing"),
        (
            "events:\n  - {name: a, rule: easter, month: 3}\n",
            "events[0].month: rule 'easter' does not use month; remove it",
        ),
        (
            "events:\n  - {name: a, rule: dates, dates: [2024-13-01]}\n",
            "events[0].dates[0]: '2024-13-01' is not a date",
        ),
        (
            "events:\n  - {name: a, rule: easter, direction: upward}\n",
            "events[0].direction: 'upward' is not a direction; use up, down, unknown",
        ),
        ("events:\n  - {name: a b, rule: easter}\n", "events[0].name: 'a b' is not an event name"),
        (
            "events:\n  - {name: a, rule: easter}\n  - {name: a, rule: easter}\n",
            "events[1].name: 'a' is listed twice",
        ),
        (
            "events:\n  - {name: a, rule: nth_weekday, month: 5, weekday: monday, nth: 6}\n",
            "events[0].nth: 6 is not a position; use 1..5, or -1 for the last",
        ),
        (
            "events:\n  - {name: a, rule: easter, lenght_days: 2}\n",
            "events[0].lenght_days: unknown key; did you mean 'length_days'?",
        ),
        ("shop: [a, b]\n", "shop: expected a mapping"),
        ("events: {name: a}\n", "events: expected a list of events"),
        ("shop: {name: 'unclosed\n", "not valid YAML"),
    ],
)
def test_bad_values_name_the_key_the_value_and_the_fix(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = "shop: {currncy: EUR}\nreorder: {service_level: 2}\n"
    with pytest.raises(SettingsError) as err:
        load_settings(_write(tmp_path, text))
    assert len(str(err.value).splitlines()) == 2


def test_missing_and_empty_files_give_generic_defaults(tmp_path: Path) -> None:
    for settings in (load_settings(tmp_path / "nothing.yaml"), load_settings(None),
                     load_settings(_write(tmp_path, "# no settings yet\n"))):  # fmt: skip
        assert settings.events == ()
        assert (settings.service_level, settings.review_period_days) == (0.95, 1)
        assert (settings.horizon_days, settings.holding_cost_rate) == (28, 0.25)
        assert settings.currency == "EUR" and settings.first_export_day is None
        assert settings.category_service_levels == {}
    assert DEFAULT_CONFIG.events == ()


def test_first_export_day_from_settings_else_landing_else_fallback(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    today = date(2031, 6, 15)
    assert first_export_day(ShopSettings(), landing, today) == date(2031, 1, 1)
    (landing / "orders" / "date=1990-03-02").mkdir(parents=True)
    (landing / "products" / "date=1990-03-01").mkdir(parents=True)
    (landing / "products" / "notes").mkdir()
    assert first_export_day(ShopSettings(), landing, today) == date(1990, 3, 1)
    pinned = ShopSettings(first_export_day=date(1989, 12, 1))
    assert first_export_day(pinned, landing, today) == date(1989, 12, 1)


def test_settings_events_are_event_rules() -> None:
    rule = EventRule("x", "fixed", month=3, day=8, direction="up")
    assert ShopSettings(events=(rule,)).feature_config().events == (rule,)


def test_horizon_auto_covers_the_longest_lead_time_in_whole_weeks(tmp_path: Path) -> None:
    auto = load_settings(_write(tmp_path, "forecast: {horizon_days: auto}\n"))
    assert auto.horizon_days is None and auto.to_dict()["forecast"] == {"horizon_days": "auto"}
    assert auto.horizon(None) == 28  # no catalog yet
    assert auto.horizon(5) == 28  # never shorter than four weeks
    assert auto.horizon(60) == 63  # 60 + 1 review day = 61 -> 9 weeks
    assert auto.horizon(62) == 63 and auto.horizon(63) == 70
    assert auto.horizon(200) == 91  # capped at 13 weeks
    late = ShopSettings(horizon_days=None, lead_time_range=(1.0, 1.25), review_period_days=7)
    assert late.horizon(40) == 63  # 40 x 1.25 + 7 = 57 -> 9 weeks
    stated = load_settings(_write(tmp_path, "forecast: {horizon_days: 120}\n"))
    assert stated.horizon(60) == 120 and stated.feature_config().horizon_days == 120
    assert ShopSettings().horizon(60) == 28  # without the file: 28 days, whatever the lead times


def test_horizon_that_is_neither_a_number_nor_auto_names_both(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(_write(tmp_path, "forecast: {horizon_days: automatic}\n"))
    assert "forecast.horizon_days" in str(err.value) and "or auto" in str(err.value)
