"""From the feature set as of a day to the model's input arrays (and, for training, its targets).

One function, :func:`samples_from_features`, turns a :class:`FeatureSet` into
:class:`ForecastSamples`, for training windows, backtests and the nightly forecast alike, so the
arrays the model learns from and the arrays it is served are built by the same code.

Review signals are known per SKU as of the origin; the history channels carry that value on every
history day (a per-day trajectory would need one feature set per history day).

Shop events: the model config names the events it reads (``event_<name>`` channels, see
``model.config.with_events``) and each channel is the calendar's ``event_<name>`` column, i.e. the
event as the shop's settings define it. A model is only served a calendar that has every one of its
events: after an event is removed or renamed in the settings, the windows builder refuses to build
its inputs and says to retrain (a missing event read as "no event" would silently forecast the
shop's biggest sales day as an ordinary day). Events configured after training are not read until
the next retraining; that is logged as a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from inventory_pipeline.features.as_of import FeatureSet
from inventory_pipeline.model.config import (
    ANY_EVENT_CHANNEL,
    EVENT_CHANNEL_PREFIX,
    PROMOTION_CHANNEL,
    REVIEW_CHANGE_CHANNEL,
    ModelConfig,
    promo_type_channel,
    promo_type_names,
)
from inventory_pipeline.model.data import ARRAY_FIELDS, ForecastSamples
from inventory_pipeline.model.features import calendar_features, launch_features

REVIEW_WINDOW = "28d"  # the review-signal window the model's review channels read
LEGACY_EVENT_FLAG = "event_flag"  # the single all-events channel of models trained before
# per-event channels existed

log = logging.getLogger(__name__)


@dataclass
class Windows:
    """Samples plus what identifies each row (SKU, origin)."""

    samples: ForecastSamples
    skus: list[str]
    origins: list[date]

    def __len__(self) -> int:
        return len(self.skus)


def _pivot(frame: pl.DataFrame, column: str, skus: list[str], days: int) -> np.ndarray:
    """(N, days) values of ``column`` from a dense (sku, date)-sorted long frame."""
    values = frame.sort("sku", "date")[column].cast(pl.Float32).fill_null(0.0).to_numpy()
    return values.reshape(len(skus), days)


def promotion_days(
    frame: pl.DataFrame, skus: list[str], days: int, config: ModelConfig
) -> dict[str, np.ndarray]:
    """The promotion channels ``config`` reads (``model.config.with_promotions``), each (N, days)
    0/1 from the ``promo_type`` and ``discount_pct`` columns of a dense (sku, date) frame: a day
    with a type or a discount is a promotion day. A type the model was not trained with still
    counts in ``on_promotion``; a trained type the shop no longer runs is simply never on."""
    channels = config.history_covariates + config.future_covariates
    if PROMOTION_CHANNEL not in channels:
        return {}
    frame = frame.sort("sku", "date")
    promo_type = frame["promo_type"]
    on = promo_type.is_not_null() | (frame["discount_pct"].fill_null(0.0) > 0)
    out = {
        PROMOTION_CHANNEL: on.to_numpy().astype(np.float32),
        **{
            promo_type_channel(t): (promo_type == t).fill_null(False).to_numpy().astype(np.float32)
            for t in promo_type_names(channels)
        },
    }
    return {name: values.reshape(len(skus), days) for name, values in out.items()}


def _dates(start: date, days: int) -> np.ndarray:
    return np.arange(np.datetime64(start, "D"), np.datetime64(start, "D") + days)


def after_discount(
    discount: np.ndarray, history_days: int, lookback: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per future day: the deepest discount of the ``lookback`` days before it and how long ago
    the last discounted day was (as a share of ``lookback``; 1 when none), from the realised
    history and the known plan. With them the per-day decoder can read a promotion that just
    ended, i.e. learn the dip after it; without them a future day sees only its own discount.

    ``discount``: (N, L + H) fractions, history then future. Returns two (N, H) arrays.
    """
    n, total = discount.shape
    H = total - history_days
    recent = np.zeros((n, H), dtype=np.float32)
    since = np.ones((n, H), dtype=np.float32)
    for k in range(lookback, 0, -1):  # nearest last, so it wins the "since"
        lagged = discount[:, history_days - k : history_days - k + H]  # day t - k, (N, H)
        recent = np.maximum(recent, lagged)
        since = np.where(lagged > 0, k / lookback, since)
    return recent, since


def samples_from_features(features: FeatureSet, config: ModelConfig) -> Windows:
    """Model inputs for every SKU of ``features`` at its origin (no targets).

    ``features`` must have been read with ``history_days=config.history_days`` and
    ``horizon=config.horizon_days``.
    """
    L, H = config.history_days, config.horizon_days
    static = features.static.sort("sku")
    skus = static["sku"].to_list()
    n = len(skus)
    origin = features.as_of
    if features.history.height != n * L or features.future.height != n * H:
        raise ValueError(
            f"feature set as of {origin} has {features.history.height} history and "
            f"{features.future.height} future rows for {n} SKUs; expected L={L} and H={H} days "
            f"each (read it with history_days={L}, horizon={H})"
        )
    history = features.history
    future = features.future
    calendar = features.calendar.sort("date")
    events = event_days(calendar, config)  # channel -> (L + H,) 0/1 per day
    hist_days = _dates(origin - timedelta(days=L - 1), L)
    fut_days = _dates(origin + timedelta(days=1), H)

    units = _pivot(history, "units", skus, L)
    stockout = _pivot(history, "stockout", skus, L)
    observed = np.maximum(_pivot(history, "observed", skus, L), stockout)
    discount = _pivot(history, "discount_pct", skus, L) / 100.0

    reviews = features.reviews.sort("sku")
    rating = reviews[f"mean_rating_{REVIEW_WINDOW}"].fill_null(0.0).cast(pl.Float32).to_numpy()
    negative = reviews[f"negative_share_{REVIEW_WINDOW}"].fill_null(0.0).cast(pl.Float32).to_numpy()
    count = np.log1p(reviews[f"reviews_{REVIEW_WINDOW}"].fill_null(0).cast(pl.Float32).to_numpy())

    hist_calendar = np.broadcast_to(calendar_features(hist_days), (n, L, 4))
    history_channels = {
        "discount_fraction": discount,
        "dow_sin": hist_calendar[..., 0],
        "dow_cos": hist_calendar[..., 1],
        "doy_sin": hist_calendar[..., 2],
        "doy_cos": hist_calendar[..., 3],
        **{name: np.broadcast_to(days[:L], (n, L)) for name, days in events.items()},
        **promotion_days(history, skus, L, config),
        "review_rating_mean": np.broadcast_to(rating[:, None], (n, L)),
        "review_negative_share": np.broadcast_to(negative[:, None], (n, L)),
        "review_count_log1p": np.broadcast_to(count[:, None], (n, L)),
    }
    if REVIEW_CHANGE_CHANNEL in config.history_covariates:  # optional: read only when asked for
        total = reviews["negative_share_total"].fill_null(0.0).cast(pl.Float32).to_numpy()
        change = np.where(count > 0, negative - total, 0.0).astype(np.float32)
        history_channels[REVIEW_CHANGE_CHANNEL] = np.broadcast_to(change[:, None], (n, L))
    launched_at = static["launched_at"].to_numpy().astype("datetime64[D]")
    planned = _pivot(future, "discount_pct", skus, H) / 100.0
    recent, since = after_discount(
        np.concatenate([discount, planned], axis=1), L, min(config.post_promotion_days, L)
    )
    fut_calendar = np.broadcast_to(calendar_features(fut_days), (n, H, 4))
    fut_launch = launch_features(np.broadcast_to(fut_days, (n, H)), launched_at)
    future_channels = {
        "planned_discount_fraction": planned,
        "after_discount_fraction": recent,
        "days_after_discount_scaled": since,
        "dow_sin": fut_calendar[..., 0],
        "dow_cos": fut_calendar[..., 1],
        "doy_sin": fut_calendar[..., 2],
        "doy_cos": fut_calendar[..., 3],
        **{name: np.broadcast_to(days[L : L + H], (n, H)) for name, days in events.items()},
        **promotion_days(future, skus, H, config),
        "is_launched": fut_launch[..., 0] * _pivot(future, "on_sale", skus, H),
        "days_since_launch_log1p": fut_launch[..., 1],
        "category_season_log": _pivot(future, "category_season_log", skus, H),
        "category_season_known": _pivot(future, "category_season_known", skus, H),
    }
    since_launch = (np.datetime64(origin, "D") - launched_at).astype(np.int64)
    history_length = observed.sum(axis=1)
    static_channels = {
        "list_price_log": np.log(static["list_price"].cast(pl.Float32).to_numpy()),
        "lead_time_days": static["lead_time_days"].cast(pl.Float32).to_numpy(),
        "days_since_launch_log1p": np.log1p(np.maximum(since_launch, 0)).astype(np.float32),
        "history_length_log1p": np.log1p(history_length).astype(np.float32),
        "category_recent_log": (
            static["category_recent_log"].cast(pl.Float32).fill_null(0.0).to_numpy()
        ),
    }
    docs = features.docs.sort("sku")
    samples = ForecastSamples(
        texts=docs["text"].to_list(),
        history_units=units,
        history_stockout=stockout,
        history_observed=observed,
        history_covariates=_stack(history_channels, config.history_covariates, "history"),
        future_covariates=_stack(future_channels, config.future_covariates, "future"),
        static=_stack(static_channels, config.static_features, "static"),
    )
    samples.validate(config)
    return Windows(samples=samples, skus=skus, origins=[origin] * n)


def event_days(calendar: pl.DataFrame, config: ModelConfig) -> dict[str, np.ndarray]:
    """Per event channel of ``config``, its 0/1 value on each day of the date-sorted ``calendar``.

    Raises when the calendar lacks one of the model's events: the model learned that event's
    effect and would otherwise forecast its days as ordinary ones.
    """
    columns = set(calendar.columns)
    wanted = [
        c
        for c in dict.fromkeys(config.history_covariates + config.future_covariates)
        if c.startswith(EVENT_CHANNEL_PREFIX)
    ]
    missing = [c for c in wanted if c not in columns]
    configured = sorted(
        c[len(EVENT_CHANNEL_PREFIX) :] for c in columns if c.startswith(EVENT_CHANNEL_PREFIX)
    )
    if LEGACY_EVENT_FLAG in missing:
        raise ValueError(
            f"the model reads {LEGACY_EVENT_FLAG!r}, the single all-events channel of an earlier "
            "version; this version reads one channel per event of the shop settings: retrain "
            "the model"
        )
    if missing:
        names = [c[len(EVENT_CHANNEL_PREFIX) :] for c in missing]
        raise ValueError(
            f"the model was trained with the shop event(s) {names}, which the calendar no longer "
            f"has (configured events: {configured or 'none'}). Retrain the model after changing "
            "the events in the shop settings, or configure those events again"
        )
    unused = sorted(set(configured) - {c[len(EVENT_CHANNEL_PREFIX) :] for c in wanted})
    if unused:
        log.warning(
            "configured event(s) %s are not inputs of this model (trained without them): "
            "retrain to forecast with them",
            unused,
        )
    days = {c: calendar[c].cast(pl.Float32).to_numpy() for c in wanted}
    if ANY_EVENT_CHANNEL in config.history_covariates + config.future_covariates:
        days[ANY_EVENT_CHANNEL] = calendar["is_event"].cast(pl.Float32).to_numpy()
    return days


def _stack(channels: dict[str, np.ndarray], names: tuple[str, ...], kind: str) -> np.ndarray:
    missing = [name for name in names if name not in channels]
    if missing:
        raise ValueError(
            f"the model config asks for {kind} channel(s) {missing} that the window builder does "
            f"not produce; available: {sorted(channels)}"
        )
    return np.ascontiguousarray(
        np.stack([np.asarray(channels[name], dtype=np.float32) for name in names], axis=-1)
    )


def attach_targets(windows: Windows, demand: pl.DataFrame, horizon: int, latest: date) -> Windows:
    """Adds targets from ``demand`` (sku, date, units, stockout) as known after the latest export.

    A target day is usable when its actual is known (date <= latest) and not stockout-censored;
    days before launch or after discontinuation count as 0 units (what was sold).
    """
    n = len(windows)
    keys = pl.DataFrame(
        {
            "row": np.repeat(np.arange(n), horizon),
            "sku": np.repeat(np.asarray(windows.skus, dtype=object), horizon).tolist(),
            "date": [
                origin + timedelta(days=h)
                for origin in windows.origins
                for h in range(1, horizon + 1)
            ],
        }
    )
    joined = keys.join(
        demand.select("sku", "date", "units", "stockout"),
        on=["sku", "date"],
        how="left",
        maintain_order="left",
    )
    units = joined["units"].fill_null(0).cast(pl.Float32).to_numpy().reshape(n, horizon)
    censored = (
        (joined["stockout"].fill_null(False).to_numpy() | (joined["date"] > latest).to_numpy())
        .astype(np.float32)
        .reshape(n, horizon)
    )
    samples = windows.samples
    samples.target_units = units
    samples.target_censored = censored
    return windows


def concat(windows: list[Windows]) -> Windows:
    """Stacks the windows of several origins into one sample set."""
    if not windows:
        raise ValueError("no windows to concatenate")
    arrays = {}
    for name in ARRAY_FIELDS:
        parts = [getattr(w.samples, name) for w in windows]
        arrays[name] = None if any(p is None for p in parts) else np.concatenate(parts)
    texts = [t for w in windows for t in w.samples.texts]
    return Windows(
        samples=ForecastSamples(texts=texts, **arrays),
        skus=[s for w in windows for s in w.skus],
        origins=[o for w in windows for o in w.origins],
    )


def select(windows: Windows, rows: np.ndarray) -> Windows:
    """The windows at ``rows`` (a boolean mask or indices)."""
    index = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows)
    return Windows(
        samples=windows.samples.subset(index),
        skus=[windows.skus[i] for i in index],
        origins=[windows.origins[i] for i in index],
    )
