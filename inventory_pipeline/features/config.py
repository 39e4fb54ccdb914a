"""Tunables of the feature tables: the one place their numbers live."""

from __future__ import annotations

from dataclasses import dataclass

from inventory_pipeline.features.calendar import EventRule
from inventory_pipeline.forecast_shape import HORIZON_DAYS


@dataclass(frozen=True)
class FeatureConfig:
    """Windows, sizes and lists the feature SQL and the as-of reader are parameterised with."""

    history_days: int = 365  # demand history returned by features_as_of (days up to and incl. D)
    horizon_days: int = HORIZON_DAYS  # known-future window D+1..D+H returned by features_as_of
    review_windows: tuple[int, ...] = (7, 28, 90)  # rolling review-signal windows, in days
    negative_max_rating: int = 2  # ratings <= this count as negative reviews
    snippet_count: int = 3  # most recent review snippets in a product document
    snippet_chars: int = 200  # each snippet's body is cut to this many characters
    price_tier_quantiles: tuple[float, float] = (1 / 3, 2 / 3)  # budget <= q1 < mid <= q2 < premium
    promo_lookahead_days: int = 90  # promo_calendar keeps plans this far past each known_on day
    calendar_lookahead_days: int = 400  # calendar table reaches this far past the latest export
    events: tuple[EventRule, ...] = ()  # the shop's events (its settings file); none by default
    known_chunk_days: int = 14  # known-on days per query when (re)building day-partitioned tables
    duckdb_threads: int | None = None  # None: DuckDB's default (all cores)
    season_lag_days: int = 364  # last year's same days (52 weeks: the same weekday)
    season_smooth_days: int = 7  # centred days averaged for last year's category level
    season_recent_days: int = 56  # window of the category's current level
    season_level_epsilon: float = 0.01  # units per product and day added before the log

    def __post_init__(self) -> None:
        if self.history_days < 1 or self.horizon_days < 1:
            raise ValueError("history_days and horizon_days must be >= 1")
        if not self.review_windows or min(self.review_windows) < 1:
            raise ValueError(
                f"review_windows must be positive day counts, got {self.review_windows}"
            )
        if len(set(self.review_windows)) != len(self.review_windows):
            raise ValueError(f"review_windows must be distinct, got {self.review_windows}")
        low, high = self.price_tier_quantiles
        if not 0.0 < low < high < 1.0:
            raise ValueError(
                f"price_tier_quantiles must satisfy 0 < low < high < 1, got {low}, {high}"
            )
        if self.snippet_count < 0 or self.snippet_chars < 1:
            raise ValueError("snippet_count must be >= 0 and snippet_chars >= 1")
        if self.season_lag_days < 1 or self.season_smooth_days < 1 or self.season_recent_days < 1:
            raise ValueError("season_lag_days, season_smooth_days, season_recent_days must be >= 1")
        if self.season_level_epsilon <= 0:
            raise ValueError(f"season_level_epsilon must be > 0, got {self.season_level_epsilon}")
        if self.known_chunk_days < 1 or self.promo_lookahead_days < 0:
            raise ValueError("known_chunk_days must be >= 1 and promo_lookahead_days >= 0")


DEFAULT_CONFIG = FeatureConfig()
