"""Sample-shop profiles: whole shops that differ in what real shops differ in.

A forecaster tuned on one simulated shop can be fitted to its quirks; these profiles change the
calendar (other events and dates, events that depress sales), the launch shape, supplier lead
times, the share of launches, promotion depth and price response, review languages and the
share of slow movers. Each profile is data: a `ShopConfig` (with its `ShopEvent` calendar);
`default` is `ShopConfig()`, the shop the project's figures are measured on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from inventory_pipeline.features.calendar import EventRule
from inventory_pipeline.sampleshop.config import (
    BBQ,
    BOARD_GAMES,
    CATEGORIES,
    COOKWARE,
    DOG_FOOD,
    HEADPHONES,
    JACKETS,
    PERFUME,
    SEEDS,
    STATIONERY,
    SUNSCREEN,
    THU,
    XMAS_DECOR,
    YOGA,
    Campaign,
    CategorySpec,
    ShopConfig,
    ShopEvent,
)
from inventory_pipeline.sampleshop.vocab import EVENT_CAMPAIGN_NAMES

MON, SAT, SUN = 0, 5, 6


@dataclass(frozen=True)
class ShopProfile:
    """A named shop: its generator config (calendar included) and the name its settings carry."""

    name: str
    shop_name: str  # `shop.name` of the shop's settings.yaml
    description: str  # one line: what differs from the default shop
    config: ShopConfig


def scaled_categories(
    elasticity: float = 1.0, lead_time: float = 1.0, max_lead_time_days: int = 60
) -> tuple[CategorySpec, ...]:
    """The default categories with price elasticity and supplier lead times scaled."""
    out = []
    for spec in CATEGORIES:
        lo, hi = (
            max(1, min(max_lead_time_days, round(x * lead_time))) for x in spec.lead_time_days
        )
        out.append(replace(spec, elasticity=spec.elasticity * elasticity, lead_time_days=(lo, hi)))
    return tuple(out)


def _campaign(event: str, first: int, last: int, **kw: object) -> Campaign:
    return Campaign(first, last, EVENT_CAMPAIGN_NAMES[event], **kw)  # type: ignore[arg-type]


REGIONAL_EVENTS: tuple[ShopEvent, ...] = (
    # the national summer holiday: two weeks in which most customers are away
    ShopEvent(
        EventRule("august_holidays", "fixed", month=8, day=8, length_days=14),
        {SUNSCREEN: 0.9, BBQ: 0.7},
        default_lift=0.45,
    ),
    # Good Friday .. Easter Monday: shops closed, but the garden season starts
    ShopEvent(
        EventRule("easter", "easter", offset_days=-2, length_days=4),
        {SEEDS: 1.8, BBQ: 1.3},
        default_lift=0.6,
    ),
    ShopEvent(
        EventRule("christmas_holidays", "fixed", month=12, day=24, length_days=3),
        {},
        default_lift=0.3,
    ),
    ShopEvent(
        EventRule(
            "black_friday",
            "nth_weekday",
            month=11,
            weekday=THU,
            nth=4,
            offset_days=1,
            length_days=3,
        ),
        {HEADPHONES: 2.5, JACKETS: 2.0},
        default_lift=1.5,
        campaign=_campaign("black_friday", -2, 2),
    ),
    ShopEvent(
        EventRule(
            "back_to_school",
            "nth_weekday",
            month=9,
            weekday=MON,
            nth=1,
            offset_days=-10,
            length_days=10,
        ),
        {STATIONERY: 3.0, HEADPHONES: 1.3},
        ramp_power=1.0,
        campaign=_campaign("back_to_school", 0, 9),
    ),
    ShopEvent(
        EventRule(
            "mothers_day", "nth_weekday", month=5, weekday=SUN, nth=2, offset_days=-6, length_days=7
        ),
        {PERFUME: 3.0, SUNSCREEN: 1.3},
        ramp_power=1.0,
        campaign=_campaign("mothers_day", 0, 6),
    ),
    ShopEvent(
        EventRule("christmas_run_up", "fixed", month=12, day=1, length_days=23),
        {BOARD_GAMES: 2.5, PERFUME: 2.5, XMAS_DECOR: 2.5, HEADPHONES: 1.6, COOKWARE: 1.4},
        ramp_power=1.5,
        campaign=_campaign("christmas_run_up", 0, 21, start_jitter_days=10, span_days=(5, 11)),
    ),
    # the regulated seasonal sales: clearance of winter and summer stock
    ShopEvent(
        EventRule("winter_sales", "fixed", month=1, day=5, length_days=21),
        {JACKETS: 2.5, COOKWARE: 1.3, HEADPHONES: 1.4},
        default_lift=1.1,
        campaign=_campaign("winter_sales", 0, 13),
    ),
    ShopEvent(
        EventRule("summer_sales", "nth_weekday", month=7, weekday=SAT, nth=1, length_days=28),
        {BBQ: 1.5, SUNSCREEN: 1.4, YOGA: 1.3},
        default_lift=1.15,
        campaign=_campaign("summer_sales", 0, 13),
    ),
)

MARKETPLACE_EVENTS: tuple[ShopEvent, ...] = (
    # national holiday week: carriers and customers away, sales collapse
    ShopEvent(
        EventRule("national_holiday_week", "fixed", month=10, day=1, length_days=7),
        {JACKETS: 0.6},
        default_lift=0.35,
    ),
    ShopEvent(
        EventRule("christmas_holidays", "fixed", month=12, day=24, length_days=3),
        {},
        default_lift=0.5,
    ),
    ShopEvent(
        EventRule("singles_day", "fixed", month=11, day=11),
        {HEADPHONES: 5.0, PERFUME: 4.0, JACKETS: 4.0, DOG_FOOD: 2.0},
        default_lift=3.0,
        campaign=_campaign("singles_day", -3, 0, promo_type="flash_sale"),
    ),
    ShopEvent(
        EventRule("mid_year_sale", "fixed", month=6, day=16, length_days=3),
        {HEADPHONES: 3.0, SUNSCREEN: 2.5, BBQ: 2.5},
        default_lift=2.0,
        campaign=_campaign("mid_year_sale", -1, 2),
    ),
    ShopEvent(
        EventRule("black_friday", "nth_weekday", month=11, weekday=THU, nth=4, offset_days=1),
        {HEADPHONES: 3.0},
        default_lift=1.8,
        campaign=_campaign("black_friday", -3, 3),
    ),
    # crosses New Year: Dec 28 .. Jan 1
    ShopEvent(
        EventRule("new_year_sale", "fixed", month=12, day=28, length_days=5),
        {},
        default_lift=1.6,
        campaign=_campaign("new_year_sale", 0, 4),
    ),
)

PROFILES: dict[str, ShopProfile] = {
    p.name: p
    for p in (
        ShopProfile(
            name="default",
            shop_name="Sample shop",
            description="the shop the project's figures are measured on: Black Friday, Singles' "
            "Day, mid-July deal days, Christmas; exponential launch ramps; lead times 2-60 days",
            config=ShopConfig(),
        ),
        ShopProfile(
            name="regional",
            shop_name="Regional sample shop",
            description="southern-European shop: holidays that empty it (mid-August fortnight, "
            "Easter), seasonal sales, back to school; launches ramp up linearly over ~2 months; "
            "importer lead times 4-60 days; few launches; shallow promotions; Italian reviews",
            config=ShopConfig(
                categories=scaled_categories(elasticity=0.8, lead_time=2.0),
                events=REGIONAL_EVENTS,
                launch_shape="linear",
                launch_ramp_tau_days=(45.0, 75.0),
                new_sku_share=0.12,
                random_promos_per_year=2.0,
                event_campaign_share=0.3,
                discount_range=(10, 30),
                flash_sale_discount_range=(20, 30),
                level_sigma=1.1,
                language_shares={"it": 0.55, "es": 0.2, "en": 0.15, "de": 0.1},
            ),
        ),
        ShopProfile(
            name="marketplace",
            shop_name="Marketplace sample shop",
            description="deal-driven marketplace seller: Singles' Day and mid-year mega sales, a "
            "national holiday week that depresses sales; launches spike then decay; 35% launches; "
            "discounts up to 50% with lifts of several times and a deep dip after; a long tail "
            "of slow movers; short lead times; Dutch and English reviews",
            config=ShopConfig(
                categories=scaled_categories(elasticity=1.3, lead_time=0.5),
                events=MARKETPLACE_EVENTS,
                launch_shape="spike",
                launch_ramp_tau_days=(5.0, 20.0),
                launch_spike_height=4.0,
                new_sku_share=0.35,
                random_promos_per_year=5.0,
                event_campaign_share=0.45,
                discount_range=(20, 50),
                flash_sale_discount_range=(30, 50),
                bundle_discount_range=(15, 30),
                dip_scale=0.9,
                dip_max=0.7,
                dip_tau_days=6.0,
                dip_days=21,
                level_shift=-0.9,
                level_sigma=1.4,
                nb_dispersion_median=1.5,
                language_shares={"nl": 0.45, "en": 0.4, "de": 0.15},
            ),
        ),
    )
}


def get_profile(name: str) -> ShopProfile:
    """The profile called `name`; an unknown name is an error listing the known ones."""
    if name not in PROFILES:
        raise ValueError(f"unknown sample-shop profile {name!r}; use one of {sorted(PROFILES)}")
    return PROFILES[name]


# The sample shop `inventory-pipeline sample-shop` and `demo` write when not told otherwise. Its
# calendar ends yesterday (see `sample_shop_start`), so tonight's plan is the newest partition.
SAMPLE_SHOP_DEFAULTS: dict[str, int] = {
    "skus": 300,
    "days": 745,
    "seed": 7,
}
# The fixed calendar start the benchmark figures of docs/ are measured on (`--start`), so that
# they reproduce on any day.
REFERENCE_START = date(2024, 1, 1)


def sample_shop_start(days: int, today: date | None = None) -> date:
    """First day of a ``days``-long sample shop whose last export day is the day before ``today``.

    ``today`` defaults to the clock (UTC): the last complete export day is yesterday's, so the
    UI's newest partition is tonight's plan and the schedules' next ticks follow on from it.
    """
    today = today or datetime.now(UTC).date()
    return today - timedelta(days=days)
