"""Tunable numbers of the sample shop: the one place where they live.

`ShopConfig` holds the shop-wide knobs (volumes, shares, rates, its event calendar);
`CategorySpec` holds what makes categories behave differently (seasonality, weekly pattern, price
level, elasticity, supplier terms); `ShopEvent` is one calendar event with its per-category demand
lift and promotion campaign. Product text vocabulary lives in `vocab.py`; whole shops that differ
from the default (other calendars, launches, promotions) are in `profiles.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from inventory_pipeline.features.calendar import EventRule
from inventory_pipeline.sampleshop.vocab import EVENT_CAMPAIGN_NAMES

TABLES: tuple[str, ...] = ("orders", "reviews", "promotions", "products", "inventory")
"""Landing tables, in the order they are generated."""

TIERS: tuple[str, ...] = ("budget", "standard", "premium")

LaunchShape = Literal["exponential", "linear", "spike"]
Direction = Literal["up", "down", "unknown"]
THU, TUE = 3, 1


@dataclass(frozen=True)
class Campaign:
    """The promotion campaign a shop runs around an event, relative to the event's first day.

    Without jitter the window is `first`..`last`; with `start_jitter_days` > 0 each year's window
    starts 0..jitter-1 days after `first`, ends `span_days` (lo..hi-1) days later, never after
    `last` (a campaign somewhere inside a long event such as the Christmas run-up).
    """

    first: int
    last: int
    names: tuple[str, ...]  # campaign texts; "{pct}" is replaced by the discount
    start_jitter_days: int = 0
    span_days: tuple[int, int] = (0, 1)
    promo_type: str | None = None  # every campaign promotion has this type; None = drawn


@dataclass(frozen=True)
class ShopEvent:
    """One calendar event: when (an `EventRule`), how demand reacts per category, its campaign.

    `lifts` maps a category name to the demand multiplier on the event's days (below 1 the event
    depresses sales, e.g. a holiday week); categories not listed get `default_lift`. With
    `ramp_power` > 0 the effect grows over the event to the full lift on its last day (day k of n
    gets ((k + 1) / n) ** ramp_power of it), like a run-up to a holiday.
    """

    rule: EventRule
    lifts: Mapping[str, float]
    default_lift: float = 1.0
    ramp_power: float = 0.0
    campaign: Campaign | None = None

    @property
    def name(self) -> str:
        return self.rule.name

    def lift(self, category: str) -> float:
        return self.lifts.get(category, self.default_lift)

    def direction(self, categories: tuple[str, ...]) -> Direction:
        """`up` if no category sells less and one sells more, `down` the reverse, else unknown."""
        lifts = [self.lift(c) for c in categories]
        if all(x >= 1.0 for x in lifts) and any(x > 1.0 for x in lifts):
            return "up"
        if all(x <= 1.0 for x in lifts) and any(x < 1.0 for x in lifts):
            return "down"
        return "unknown"


def _campaign(event: str, first: int, last: int, **kw: object) -> Campaign:
    return Campaign(first, last, EVENT_CAMPAIGN_NAMES[event], **kw)  # type: ignore[arg-type]


COOKWARE, BBQ, BOARD_GAMES = "home/kitchen/cookware", "garden/outdoor/bbq", "toys/games/board-games"
JACKETS, HEADPHONES = "clothing/winter/jackets", "electronics/audio/headphones"
SUNSCREEN, YOGA, XMAS_DECOR = (
    "beauty/skincare/sunscreen",
    "sports/fitness/yoga",
    "home/decor/christmas",
)
STATIONERY, PERFUME = "office/supplies/stationery", "beauty/fragrance/perfume"
SEEDS, DOG_FOOD = "garden/plants/seeds", "pets/food/dog-food"

DEFAULT_SHOP_EVENTS: tuple[ShopEvent, ...] = (
    ShopEvent(
        EventRule("black_friday", "nth_weekday", month=11, weekday=THU, nth=4, offset_days=1),
        {
            COOKWARE: 2.5,
            BBQ: 1.4,
            BOARD_GAMES: 2.2,
            JACKETS: 3.0,
            HEADPHONES: 4.0,
            YOGA: 2.0,
            XMAS_DECOR: 1.5,
            STATIONERY: 1.3,
            PERFUME: 2.2,
            DOG_FOOD: 1.3,
        },
        campaign=_campaign("black_friday", -3, 2),
    ),
    ShopEvent(
        EventRule("cyber_monday", "nth_weekday", month=11, weekday=THU, nth=4, offset_days=4),
        {COOKWARE: 1.8, BOARD_GAMES: 1.6, JACKETS: 2.0, HEADPHONES: 3.5, YOGA: 1.7, PERFUME: 1.5},
        campaign=_campaign("cyber_monday", 0, 0, promo_type="flash_sale"),
    ),
    ShopEvent(
        EventRule("singles_day", "fixed", month=11, day=11),
        {
            COOKWARE: 1.6,
            BOARD_GAMES: 1.5,
            JACKETS: 2.0,
            HEADPHONES: 2.5,
            SUNSCREEN: 1.3,
            XMAS_DECOR: 1.3,
            PERFUME: 1.8,
        },
        campaign=_campaign("singles_day", -1, 0),
    ),
    ShopEvent(
        # second Tuesday of July and the day after
        EventRule("prime_day", "nth_weekday", month=7, weekday=TUE, nth=2, length_days=2),
        {
            COOKWARE: 1.8,
            BBQ: 2.0,
            BOARD_GAMES: 1.5,
            HEADPHONES: 3.0,
            SUNSCREEN: 1.8,
            YOGA: 1.8,
            STATIONERY: 1.4,
            DOG_FOOD: 1.5,
        },
        campaign=_campaign("prime_day", 0, 1),
    ),
    ShopEvent(
        EventRule("valentines_day", "fixed", month=2, day=14),
        {PERFUME: 3.5},
        campaign=_campaign("valentines_day", -6, 0),
    ),
    ShopEvent(
        EventRule("christmas_holidays", "fixed", month=12, day=25, length_days=2),
        {
            COOKWARE: 0.6,
            BBQ: 0.5,
            BOARD_GAMES: 0.4,
            JACKETS: 0.7,
            HEADPHONES: 0.7,
            YOGA: 0.8,
            XMAS_DECOR: 0.05,
            STATIONERY: 0.4,
            PERFUME: 0.5,
            SEEDS: 0.5,
            DOG_FOOD: 0.8,
        },
    ),
    ShopEvent(
        EventRule("christmas_run_up", "fixed", month=12, day=1, length_days=24),
        {
            COOKWARE: 1.5,
            BOARD_GAMES: 3.0,
            JACKETS: 1.3,
            HEADPHONES: 2.0,
            XMAS_DECOR: 2.5,
            PERFUME: 3.0,
        },
        ramp_power=1.5,
        campaign=_campaign("christmas_run_up", 0, 22, start_jitter_days=11, span_days=(5, 11)),
    ),
)
"""The default shop's calendar, highest priority first (the truth's `event` column keeps the
first event of a day)."""


@dataclass(frozen=True)
class SeasonBump:
    """One yearly bump of a von Mises-shaped seasonality curve."""

    peak_doy: int  # day of year of the maximum (1 = Jan 1)
    concentration: float  # higher = narrower bump
    weight: float  # height relative to the category's floor


@dataclass(frozen=True)
class CategorySpec:
    """Demand, price and supplier behaviour of one leaf category."""

    name: str  # slash-separated path, e.g. "home/kitchen/cookware"
    season_floor: float  # seasonality level outside the bumps (curve is normalised to mean 1)
    season_bumps: tuple[SeasonBump, ...]
    weekly: tuple[float, float, float, float, float, float, float]  # Mon..Sun, normalised to mean 1
    level_mu: float  # log of the median base demand (units/day) of a standard-tier SKU
    price_median: float  # list price (EUR) of a standard-tier SKU
    elasticity: float  # price elasticity: demand multiplier (price ratio) ** -elasticity
    lead_time_days: tuple[int, int]  # supplier lead time range (inclusive)
    moq: tuple[int, int]  # minimum order quantity range (inclusive)
    pack_sizes: tuple[int, ...]  # possible supplier pack sizes
    weight: float = 1.0  # relative share of SKUs in this category


def _w(*days: float) -> tuple[float, float, float, float, float, float, float]:
    mean = sum(days) / 7.0
    return tuple(d / mean for d in days)  # type: ignore[return-value]


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        name="home/kitchen/cookware",
        season_floor=1.0,
        season_bumps=(SeasonBump(350, 8.0, 0.5),),
        weekly=_w(0.95, 0.92, 0.92, 0.95, 1.0, 1.1, 1.16),
        level_mu=-0.2,
        price_median=45.0,
        elasticity=2.0,
        lead_time_days=(10, 30),
        moq=(5, 20),
        pack_sizes=(1, 2, 4, 6),
        weight=1.3,
    ),
    CategorySpec(
        name="garden/outdoor/bbq",
        season_floor=0.08,
        season_bumps=(SeasonBump(178, 3.0, 1.0),),
        weekly=_w(0.85, 0.85, 0.9, 1.0, 1.15, 1.25, 1.0),
        level_mu=-0.6,
        price_median=120.0,
        elasticity=1.8,
        lead_time_days=(20, 60),
        moq=(1, 10),
        pack_sizes=(1, 2),
    ),
    CategorySpec(
        name="toys/games/board-games",
        season_floor=0.55,
        season_bumps=(SeasonBump(345, 6.0, 1.0),),
        weekly=_w(0.9, 0.9, 0.92, 0.95, 1.05, 1.18, 1.1),
        level_mu=-0.3,
        price_median=30.0,
        elasticity=2.2,
        lead_time_days=(15, 45),
        moq=(6, 30),
        pack_sizes=(6, 12),
    ),
    CategorySpec(
        name="clothing/winter/jackets",
        season_floor=0.06,
        season_bumps=(SeasonBump(330, 2.5, 1.0),),
        weekly=_w(1.05, 1.0, 0.98, 0.97, 0.98, 1.0, 1.02),
        level_mu=-0.4,
        price_median=110.0,
        elasticity=2.5,
        lead_time_days=(30, 60),
        moq=(5, 20),
        pack_sizes=(1, 5, 10),
    ),
    CategorySpec(
        name="electronics/audio/headphones",
        season_floor=1.0,
        season_bumps=(),
        weekly=_w(1.0, 0.98, 0.98, 1.0, 1.02, 1.02, 1.0),
        level_mu=-0.1,
        price_median=80.0,
        elasticity=2.8,
        lead_time_days=(14, 45),
        moq=(10, 50),
        pack_sizes=(1, 5, 10, 20),
        weight=1.3,
    ),
    CategorySpec(
        name="beauty/skincare/sunscreen",
        season_floor=0.07,
        season_bumps=(SeasonBump(185, 4.0, 1.0),),
        weekly=_w(1.0, 0.95, 0.95, 1.0, 1.1, 1.05, 0.95),
        level_mu=0.2,
        price_median=15.0,
        elasticity=1.5,
        lead_time_days=(5, 20),
        moq=(12, 48),
        pack_sizes=(12, 24),
    ),
    CategorySpec(
        name="sports/fitness/yoga",
        season_floor=0.7,
        season_bumps=(SeasonBump(12, 5.0, 1.2), SeasonBump(120, 3.0, 0.3)),
        weekly=_w(1.25, 1.1, 1.0, 0.95, 0.88, 0.85, 0.97),
        level_mu=-0.3,
        price_median=35.0,
        elasticity=2.0,
        lead_time_days=(10, 40),
        moq=(4, 30),
        pack_sizes=(1, 4, 10),
    ),
    CategorySpec(
        name="home/decor/christmas",
        season_floor=0.015,
        season_bumps=(SeasonBump(335, 15.0, 1.0),),
        weekly=_w(0.9, 0.9, 0.95, 1.0, 1.05, 1.15, 1.05),
        level_mu=-0.9,
        price_median=20.0,
        elasticity=1.8,
        lead_time_days=(30, 60),
        moq=(12, 50),
        pack_sizes=(6, 12, 24),
    ),
    CategorySpec(
        name="office/supplies/stationery",
        season_floor=0.85,
        season_bumps=(SeasonBump(240, 7.0, 1.0),),
        weekly=_w(1.25, 1.2, 1.15, 1.1, 1.0, 0.6, 0.7),
        level_mu=0.4,
        price_median=8.0,
        elasticity=1.6,
        lead_time_days=(3, 10),
        moq=(10, 50),
        pack_sizes=(10, 12, 24),
    ),
    CategorySpec(
        name="beauty/fragrance/perfume",
        season_floor=1.0,
        season_bumps=(SeasonBump(128, 20.0, 0.6),),
        weekly=_w(0.95, 0.95, 0.97, 1.0, 1.08, 1.05, 1.0),
        level_mu=-0.5,
        price_median=60.0,
        elasticity=1.7,
        lead_time_days=(7, 21),
        moq=(6, 24),
        pack_sizes=(3, 6),
    ),
    CategorySpec(
        name="garden/plants/seeds",
        season_floor=0.05,
        season_bumps=(SeasonBump(100, 5.0, 1.0), SeasonBump(250, 8.0, 0.25)),
        weekly=_w(0.9, 0.85, 0.85, 0.95, 1.05, 1.3, 1.1),
        level_mu=0.1,
        price_median=5.0,
        elasticity=1.4,
        lead_time_days=(2, 10),
        moq=(10, 50),
        pack_sizes=(10, 20),
    ),
    CategorySpec(
        name="pets/food/dog-food",
        season_floor=1.0,
        season_bumps=(),
        weekly=_w(1.1, 1.05, 1.0, 1.0, 0.98, 0.92, 0.95),
        level_mu=0.5,
        price_median=25.0,
        elasticity=1.2,
        lead_time_days=(2, 7),
        moq=(5, 40),
        pack_sizes=(1, 4, 12),
    ),
)


@dataclass(frozen=True)
class ShopConfig:
    """Every tunable number of the generator (defaults give ~1,000 order lines per SKU)."""

    # --- simulation layout --------------------------------------------------------------------
    chunk_size: int = 2000  # SKUs simulated together; bounds peak memory
    truth_skus_per_row_group: int = 250  # SKUs per row group of daily.parquet
    categories: tuple[CategorySpec, ...] = CATEGORIES
    events: tuple[ShopEvent, ...] = DEFAULT_SHOP_EVENTS  # the calendar, highest priority first

    # --- catalog ------------------------------------------------------------------------------
    tier_shares: tuple[float, float, float] = (0.35, 0.45, 0.20)  # budget, standard, premium
    tier_level: tuple[float, float, float] = (0.35, 0.0, -0.45)  # log demand shift per tier
    tier_price: tuple[float, float, float] = (0.55, 1.0, 2.1)  # list price multiplier per tier
    tier_quality: tuple[float, float, float] = (-0.6, 0.0, 0.7)  # latent quality shift per tier
    price_sigma: float = 0.25  # log-normal spread of list prices within category and tier
    cost_ratio: tuple[float, float] = (0.35, 0.72)  # unit_cost / list_price range
    brands_per_category: int = 7
    brand_quality_sigma: float = 0.6  # spread of the brands' quality effect (logit scale)
    brand_popularity_sigma: float = 0.6  # spread of the brands' log demand effect
    empty_brand_share: float = 0.03  # unbranded products (brand column empty)
    quality_noise_sigma: float = 0.5  # per-SKU quality noise (logit scale)
    quality_level_effect: float = 0.8  # log demand per unit of latent quality (0..1) above 0.5
    level_shift: float = -0.21  # global log shift of base demand (scales the shop size)
    level_sigma: float = 0.95  # idiosyncratic log-normal spread of base demand
    type_level_sigma: float = 0.6  # spread of the log demand effects of a category's product
    # types (title nouns) within level_sigma: a frying pan outsells a Dutch oven
    size_level_sigma: float = 0.3  # spread of the log demand effects of a category's sizes
    # within level_sigma; both only decide which words a product's title gets (its level is drawn
    # as before), and 0 draws the words uniformly
    trend_sigma: float = 0.3  # spread of per-SKU log-trend per year
    nb_dispersion_median: float = 4.0  # NB size k: variance = mu + mu^2 / k
    nb_dispersion_sigma: float = 0.5
    existing_history_years: float = 3.0  # SKUs live at start were launched up to this long ago
    new_sku_share: float = 0.2  # SKUs launched during the period (cold start)
    bestseller_share: float = 0.03  # established SKUs with a bestseller badge in the text
    bestseller_boost: tuple[float, float] = (4.0, 10.0)  # their demand multiplier range
    announce_lead_days: tuple[int, int] = (14, 45)  # catalog row appears this long before launch
    launch_shape: LaunchShape = "exponential"
    # ^ exponential: 1 - exp(-age / tau); linear: age / tau up to 1 (tau = ramp length);
    #   spike: launch_spike_height x the settled level on day one, decaying with time constant tau
    launch_ramp_tau_days: tuple[float, float] = (7.0, 30.0)  # tau range of the launch shape
    launch_spike_height: float = 3.0
    discontinue_share: float = 0.08
    discontinue_min_age_days: int = 60
    discontinue_notice_days: tuple[int, int] = (0, 14)  # catalog re-delivery before the date
    price_change_share: float = 0.1  # SKUs whose list price changes once in the period
    price_change_sigma: float = 0.1
    full_catalog_every_days: int = 91  # full catalog snapshot cadence (else changed rows only)

    # --- demand -------------------------------------------------------------------------------
    incident_share: float = 0.03  # SKUs with a bad production batch
    incident_lag_days: int = 10  # bad reviews need time before they depress demand
    incident_depth: tuple[float, float] = (0.4, 0.8)  # final relative demand loss
    incident_tau_days: float = 21.0
    incident_margin_days: int = 14  # no incident in the first / last days of a SKU's life
    segment_thresholds: tuple[float, float, float] = (0.3, 2.0, 10.0)
    # ^ mean expected units/day separating intermittent | slow | medium | fast

    # --- promotions ---------------------------------------------------------------------------
    random_promos_per_year: float = 3.0  # per SKU, besides event campaigns
    event_campaign_share: float = 0.22  # share of SKUs joining each event campaign
    announce_days: tuple[int, int] = (3, 30)  # announcement this long before the start
    replan_share: float = 0.15  # promotions re-delivered later with changed terms
    promo_type_shares: tuple[float, float, float, float] = (0.55, 0.15, 0.15, 0.15)
    # ^ discount, flash_sale, bundle, free_shipping
    promo_type_boost: tuple[float, float, float, float] = (1.0, 1.3, 1.1, 1.15)
    discount_range: tuple[int, int] = (5, 50)  # percent, drawn in steps of 5
    flash_sale_discount_range: tuple[int, int] = (20, 50)
    bundle_discount_range: tuple[int, int] = (10, 25)
    promo_days_range: tuple[int, int] = (3, 14)  # duration of a random discount promotion
    flash_sale_days_range: tuple[int, int] = (1, 2)
    dip_scale: float = 0.5  # post-promotion dip depth per unit of (1 - 1/lift)
    dip_max: float = 0.45
    dip_tau_days: float = 4.0
    dip_days: int = 14

    # --- replenishment (the shop's naive (s, Q) policy) -----------------------------------------
    forecast_alpha: float = 0.08  # EWMA weight of the latest (censored, deseasonalised) sales
    planning_index_floor: float = 0.05  # lower bound of the seasonal index the shop divides by
    forecast_bias_sigma: float = 0.3  # persistent per-SKU forecast error (log-normal)
    safety_days: tuple[float, float] = (0.0, 6.0)  # reorder point = f * (lead time + safety days)
    cover_days: tuple[float, float] = (14.0, 45.0)  # order quantity covers this many days
    min_reorder_point: int = 1
    lead_time_jitter: float = 0.25  # supplier delays up to this share of the lead time
    initial_cover_days: tuple[float, float] = (5.0, 40.0)

    # --- orders -------------------------------------------------------------------------------
    line_qty_probs: tuple[float, float, float, float] = (0.82, 0.11, 0.04, 0.03)  # qty 1..4
    order_extra_line_p: float = 0.2  # P(an order has one more line), geometric number of lines
    customers_per_sku: int = 40
    empty_customer_share: float = 0.05
    hour_weights: tuple[float, ...] = (
        1.0,
        0.6,
        0.4,
        0.3,
        0.3,
        0.5,
        0.9,
        1.5,
        2.0,
        2.3,
        2.5,
        2.6,
        2.7,
        2.6,
        2.5,
        2.5,
        2.7,
        3.0,
        3.5,
        4.0,
        4.2,
        3.8,
        2.8,
        1.8,
    )  # UTC hour profile of orders
    ts_format_shares: tuple[float, float, float] = (0.6, 0.2, 0.2)  # "Z", no offset, +hh:mm
    ts_offsets_minutes: tuple[int, ...] = (60, 120, -300, 330, -480, 540)
    ts_millis_share: float = 0.05  # timestamps written with milliseconds
    late_share: float = 0.04  # orders first exported 1..late_max_days after their date
    late_max_days: int = 3
    redeliver_share: float = 0.02  # orders re-delivered identically later
    redeliver_max_days: int = 4
    correction_share: float = 0.01  # lines first exported with a wrong quantity, corrected later
    cancel_share: float = 0.025  # lines cancelled by a later re-delivery
    change_max_days: int = 10

    # --- reviews ------------------------------------------------------------------------------
    review_share: float = 0.035  # placed lines that get a review
    review_delay_days: tuple[int, int] = (1, 14)
    review_late_share: float = 0.03  # reviews exported a day after creation
    review_edit_share: float = 0.02  # reviews re-delivered later with a changed rating / text
    review_rating_base: float = 1.8  # latent rating = base + scale * quality + noise, rounded
    review_rating_scale: float = 3.4
    review_rating_noise: float = 0.8
    review_empty_title_share: float = 0.15
    review_empty_body_share: float = 0.05
    incident_quality: float = -0.1  # latent quality of units from a bad batch (ratings ~1-2)
    language_shares: dict[str, float] = field(
        default_factory=lambda: {"en": 0.5, "de": 0.2, "fr": 0.15, "es": 0.15}
    )

    # --- file layout --------------------------------------------------------------------------
    parquet_share: float = 0.2  # day files written as Parquet instead of CSV
    split_share: float = 0.1  # day files split into two files
    shuffled_columns_share: float = 0.1  # files whose columns come in a different order
    extra_column_share: float = 0.05  # files with an extra column the contract does not know
    inventory_late_share: float = 0.03  # inventory snapshots exported a day late

    # --- faults -------------------------------------------------------------------------------
    fault_rate: float = 0.003  # per bad-row kind, relative to the valid rows of a file
    min_faults_per_kind: int = 1  # every kind appears at least this often in a shop
    bad_encoding_rows: int = 3  # review rows with latin-1 bytes
    empty_files: int = 2
    unreadable_files: int = 2
    unknown_sku_base: int = 9_000_000  # SKU numbers from here on never appear in the catalog
