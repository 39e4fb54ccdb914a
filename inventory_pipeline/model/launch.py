"""The launch curve: demand quantiles for products in their first weeks on sale.

A product launched ``a`` days ago (launch day: a = 1) sells, on a day whose category seasonal
index is ``s`` and whose day effect is ``d`` (:class:`DayEffects`: the shop's lift for that
day's discount, the dip after a promotion, its events; 1 on a plain day)::

    units ~ Poisson(level * profile(a) * s * d * g),
    g ~ Gamma(dispersion, 1 / dispersion)        (day-to-day noise: negative binomial days)
    level ~ Gamma(prior_shape + units sold,      (what the product sells once established,
                  rate = prior_shape / (prior_ratio * category level) + profile exposure)

``profile`` is learned from the shop's own launches, not assumed: the mean units per day of the
young products of the training windows relative to their category's level per product and the
day's seasonal index, per bucket of days since launch (``ModelConfig.launch_age_buckets``), each
bucket shrunk towards the flat mean of all launch days by ``launch_profile_prior_days`` pseudo
days (a shop with few launches gets a flatter profile), read between bucket centres by linear
interpolation. It is scaled to 1 once established (its mean from ``max_age_days`` on, else its
last bucket), so ``prior_ratio`` is the established level relative to the category and a launch
spike shows as a profile above 1, a slow ramp as one below. Ramps that rise exponentially,
linearly or spike and decay are all read off the data.

The prior spread ``prior_shape`` and the day noise ``dispersion`` come in closed form from the
same days (method of moments): the covariance of one window's days around the profile says how
much launches differ in level, their variance beyond it how noisy single days are. Fitting is one
pass over the young training windows, no search.

Every usable day the product has been on sale updates the level prior (gamma-Poisson conjugacy,
with the day's profile as its exposure). Quantiles come from ``draws`` Monte-Carlo paths per
sample, from a generator seeded per sample: a product's forecast depends only on its own inputs;
cumulative quantiles are read from the same paths.

Plain numpy; the forecaster uses it for products launched fewer than ``launch_max_age_days``
days before the origin (and those not launched yet) when ``ModelConfig.launch_curve`` is set.
Training fits it on the training launches and keeps it only if it is not worse than the network on
the validation launches, on the daily and on the cumulative (lead-time) quantiles alike
(``gate_on_validation``); with fewer than ``launch_min_validation_windows`` young validation
windows it is not used (fails closed), and ``reason`` says why either way.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from inventory_pipeline.metrics import paired_difference_se, weighted_quantile_loss
from inventory_pipeline.model.config import EVENT_CHANNEL_PREFIX, LAUNCH_AGE_FEATURE, ModelConfig
from inventory_pipeline.model.data import ForecastSamples

LAUNCH_CURVE_FILE = "launch_curve.json"
_LEGACY_PROFILE_DAYS = 120  # ages at which a saved exponential ramp is tabulated when loaded


@dataclass(frozen=True)
class LaunchCurve:
    """The fitted profile and three numbers, plus how quantiles are drawn (module docstring)."""

    profile_ages: tuple[float, ...]  # days since launch at which ``profile`` is given, ascending
    profile: tuple[float, ...]  # share of its established level a product sells at those ages
    prior_ratio: float
    prior_shape: float
    dispersion: float
    max_age_days: float = 56.0
    draws: int = 256
    seed: int = 0
    fit_samples: int = 0  # young training windows fitted on
    fit_days: int = 0  # their usable target days on sale
    validation_samples: int = 0  # young validation windows compared (0: not validated)
    validation_loss: float | None = None  # its daily WQL on the validation launches
    network_validation_loss: float | None = None  # the network's, on the same windows
    validation_cumulative_loss: float | None = None  # its WQL of the cumulative quantiles
    network_validation_cumulative_loss: float | None = None
    used: bool = False  # set by the validation gate; a curve is used only when it passed
    reason: str = "not validated"
    day_effects: DayEffects | None = None  # the shop's promotion, after-promotion and event
    # multipliers its days carry (None: every day is a plain day, as curves saved before them)

    def __post_init__(self) -> None:
        object.__setattr__(self, "profile_ages", tuple(float(a) for a in self.profile_ages))
        object.__setattr__(self, "profile", tuple(float(v) for v in self.profile))
        if len(self.profile_ages) != len(self.profile) or not self.profile:
            raise ValueError(
                f"launch curve profile_ages ({len(self.profile_ages)}) and profile "
                f"({len(self.profile)}) must be non-empty and of the same length."
            )
        if np.any(np.diff(self.profile_ages) <= 0) or min(self.profile) < 0:
            raise ValueError("launch curve profile_ages must increase and profile be >= 0.")

    @classmethod
    def exponential(cls, ramp_days: float, **numbers: Any) -> LaunchCurve:
        """The fixed form ``1 - exp(-age / ramp_days)`` as a profile (curves saved before the
        profile was learned, and comparisons with that form)."""
        ages = np.arange(1.0, _LEGACY_PROFILE_DAYS + 1)
        profile = tuple(-np.expm1(-ages / ramp_days))
        return cls(profile_ages=tuple(ages), profile=profile, **numbers)

    def shape(self, age: np.ndarray) -> np.ndarray:
        """Share of its established level a product sells at ``age`` days (0 before launch)."""
        age = np.asarray(age, dtype=np.float64)
        values = np.interp(age, self.profile_ages, self.profile)
        return np.where(age > 0, values, 0.0)

    def future_effects(self, inputs: LaunchInputs) -> np.ndarray:
        """(N, H) the day effect of each future day (1 without ``day_effects``)."""
        if self.day_effects is None:
            return np.ones_like(inputs.future_exposure)
        return self.day_effects.future(inputs)

    def history_effects(self, inputs: LaunchInputs) -> np.ndarray:
        """(N, L) the day effect of each history day (1 without ``day_effects``)."""
        if self.day_effects is None:
            return np.ones_like(inputs.usable)
        return self.day_effects.history(inputs)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LaunchCurve:
        values = json.loads(text)
        if "ramp_days" in values:  # saved by the fixed-form curve: the same forecasts
            ramp_days = values.pop("ramp_days")
            legacy = {"fit_loss", "beats_network"}
            values = {k: v for k, v in values.items() if k not in legacy}
            values.setdefault("used", True)  # it was saved only when used
            values.setdefault("reason", "saved by the fixed-form launch curve")
            return cls.exponential(ramp_days, **values)
        if values.get("day_effects") is not None:
            values["day_effects"] = DayEffects(**values["day_effects"])
        return cls(**values)

    def predict(
        self,
        inputs: LaunchInputs,
        quantiles: tuple[float, ...],
        rows: np.ndarray | None = None,
        cumulative: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Daily and cumulative quantiles, (n, H, Q) each, for ``rows`` of ``inputs`` (default:
        its young rows); ``cumulative=False`` leaves the cumulative ones 0."""
        rows = np.flatnonzero(inputs.young) if rows is None else rows
        H = inputs.future_exposure.shape[1]
        levels = np.asarray(quantiles, dtype=np.float64)
        daily = np.zeros((len(rows), H, len(levels)))
        sums = np.zeros_like(daily)
        if len(rows) == 0:
            return daily, sums
        shape = self.prior_shape + inputs.units_sold[rows]
        history_exposure = (
            self.shape(inputs.history_age[rows])
            * inputs.usable[rows]
            * self.history_effects(inputs)[rows]
        ).sum(1)
        rate = (
            self.prior_shape / (self.prior_ratio * inputs.expected_level[rows]) + history_exposure
        )
        base = (
            self.shape(inputs.future_age[rows])
            * inputs.future_exposure[rows]
            * self.future_effects(inputs)[rows]
        )
        for i in range(len(rows)):
            rng = np.random.default_rng(self.seed)
            level = rng.gamma(shape[i], 1.0 / rate[i], size=self.draws)
            noise = rng.gamma(self.dispersion, 1.0 / self.dispersion, size=(self.draws, H))
            paths = rng.poisson(level[:, None] * base[i][None, :] * noise).astype(np.float64)
            daily[i] = np.quantile(paths, levels, axis=0, method="inverted_cdf").T
            if cumulative:
                sums[i] = np.quantile(
                    np.cumsum(paths, axis=1), levels, axis=0, method="inverted_cdf"
                ).T
        return daily, sums


@dataclass
class LaunchInputs:
    """What the launch curve reads from model samples (all numpy, N rows)."""

    young: np.ndarray  # (N,) bool: launched fewer than max_age days before the origin, or later
    history_age: np.ndarray  # (N, L) days since launch, launch day = 1; 0 before launch
    usable: np.ndarray  # (N, L) 1.0 on sale and not stockout-censored
    history_units: np.ndarray  # (N, L) units sold per history day
    units_sold: np.ndarray  # (N,) units over the usable history days
    category_level: np.ndarray  # (N,) units per product on sale and day of the category, now
    future_age: np.ndarray  # (N, H) days since launch on day origin + h; 0 when not on sale
    future_exposure: np.ndarray  # (N, H) the category's seasonal index for that day (1 if unknown)
    text_ratio: np.ndarray | None = None  # (N,) the text prior: the product's level over the
    # category's level per product, from its document (model/text_prior.py); None = 1
    history_discount: np.ndarray | None = None  # (N, L) discount that day, 0..1 (None: unknown)
    future_discount: np.ndarray | None = None  # (N, H) announced discount that day, 0..1
    future_after: np.ndarray | None = None  # (N, H) deepest discount of the days just before
    future_events: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (N, H) 0/1
    season_known: np.ndarray | None = None  # (N, H) bool: the seasonal index of the day is known

    @property
    def expected_level(self) -> np.ndarray:
        """(N,) what a product like this sells per day once established, before the curve's
        ``prior_ratio``: the category's level per product times the text prior."""
        if self.text_ratio is None:
            return self.category_level
        return self.category_level * self.text_ratio

    @classmethod
    def from_samples(
        cls,
        samples: ForecastSamples,
        config: ModelConfig,
        max_age_days: float,
        text_ratio: np.ndarray | None = None,
    ) -> LaunchInputs:
        missing = config.missing_launch_curve_inputs()
        if missing:
            raise ValueError(f"the launch curve needs the model inputs {missing}")
        future = {
            n: samples.future_covariates[:, :, i] for i, n in enumerate(config.future_covariates)
        }
        static = {n: samples.static[:, i] for i, n in enumerate(config.static_features)}
        L = samples.history_units.shape[1]
        age = np.rint(np.expm1(static[LAUNCH_AGE_FEATURE].astype(np.float64)))
        observed = samples.history_observed > 0.5
        launched = observed.any(axis=1)
        history_age = np.where(observed, age[:, None] - np.arange(L - 1, -1, -1)[None, :] + 1, 0.0)
        usable = (observed & (samples.history_stockout < 0.5)).astype(np.float64)
        on_sale = future["is_launched"] > 0.5
        future_age = np.where(
            on_sale,
            np.rint(np.expm1(future["days_since_launch_log1p"].astype(np.float64))) + 1,
            0.0,
        )
        known = future["category_season_known"] > 0.5
        season = np.where(known, np.exp(future["category_season_log"].astype(np.float64)), 1.0)
        history = {
            n: samples.history_covariates[:, :, i] for i, n in enumerate(config.history_covariates)
        }

        def channel(values: dict[str, np.ndarray], name: str) -> np.ndarray | None:
            return values[name].astype(np.float64) if name in values else None

        return cls(
            young=~launched | (age < max_age_days),
            history_age=history_age,
            usable=usable,
            history_units=samples.history_units.astype(np.float64),
            units_sold=(samples.history_units * usable).sum(axis=1).astype(np.float64),
            category_level=np.exp(static["category_recent_log"].astype(np.float64)),
            future_age=future_age,
            future_exposure=season,
            text_ratio=None if text_ratio is None else np.asarray(text_ratio, dtype=np.float64),
            history_discount=channel(history, "discount_fraction"),
            future_discount=channel(future, "planned_discount_fraction"),
            future_after=channel(future, "after_discount_fraction"),
            season_known=known,
            future_events={
                name: future[f"{EVENT_CHANNEL_PREFIX}{name}"].astype(np.float64)
                for name in config.event_names
                if f"{EVENT_CHANNEL_PREFIX}{name}" in future
            },
        )


@dataclass(frozen=True)
class DayEffects:
    """How much a day sells against a plain day of the same product, as the shop's established
    products show it: ``lift`` on a day with an announced discount, per discount-depth bucket
    (``discount_edges`` are the buckets' upper edges, the last bucket is open); ``dip`` on a day
    without a discount right after a promotion, per bucket of the depth of the promotion that
    ended; ``event_lift`` on the days of each configured event when the category's seasonal
    index for the day is unknown (the whole effect) and ``event_lift_seasonal`` when it is known
    (the effect beyond the index, which holds whatever part of it last year's sales showed). A
    day with a discount and an event carries both. Learned by :func:`fit_day_effects`."""

    discount_edges: tuple[float, ...]
    lift: tuple[float, ...]
    dip: tuple[float, ...]
    events: tuple[str, ...] = ()
    event_lift: tuple[float, ...] = ()
    event_lift_seasonal: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        for name in ("discount_edges", "lift", "dip", "event_lift", "event_lift_seasonal"):
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
        object.__setattr__(self, "events", tuple(self.events))
        buckets = len(self.discount_edges) + 1
        if len(self.lift) != buckets or len(self.dip) != buckets:
            raise ValueError(
                f"day effects need one lift and one dip per discount bucket ({buckets}); got "
                f"{len(self.lift)} and {len(self.dip)}."
            )
        if not len(self.events) == len(self.event_lift) == len(self.event_lift_seasonal):
            raise ValueError("day effects need one event_lift and event_lift_seasonal per event.")

    def bucket(self, fraction: np.ndarray) -> np.ndarray:
        """The discount-depth bucket of each ``fraction`` (0..1)."""
        return np.searchsorted(np.asarray(self.discount_edges), fraction, side="left")

    def future(self, inputs: LaunchInputs) -> np.ndarray:
        """(N, H) the effect of each future day of ``inputs``."""
        effect = np.ones_like(inputs.future_exposure)
        discount = inputs.future_discount
        promoted = np.zeros(effect.shape, dtype=bool) if discount is None else discount > 0
        if discount is not None:
            effect = np.where(promoted, np.asarray(self.lift)[self.bucket(discount)], effect)
        if inputs.future_after is not None:
            after = inputs.future_after
            dipped = (after > 0) & ~promoted
            effect = np.where(dipped, np.asarray(self.dip)[self.bucket(after)], effect)
        lifts = zip(self.events, self.event_lift, self.event_lift_seasonal, strict=True)
        for name, unknown, known in lifts:
            days = inputs.future_events.get(name)
            if days is not None:
                seasonal = inputs.season_known
                value = unknown if seasonal is None else np.where(seasonal, known, unknown)
                effect = effect * np.where(days > 0.5, value, 1.0)
        return effect

    def history(self, inputs: LaunchInputs) -> np.ndarray:
        """(N, L) the effect of each history day of ``inputs``: the lift of its discount (the
        history channels hold neither the days after a promotion nor the events apart)."""
        discount = inputs.history_discount
        if discount is None:
            return np.ones_like(inputs.usable)
        return np.where(discount > 0, np.asarray(self.lift)[self.bucket(discount)], 1.0)


def fit_day_effects(samples: list[ForecastSamples], config: ModelConfig) -> DayEffects:
    """The shop's day effects from the established (not young) windows of ``samples``.

    A Poisson model with one rate per window: units on a scored day on sale ~ Poisson(rate x
    seasonal index x the day's effects), fitted by alternating the closed-form updates of the
    window rates and of each effect (ratios of sums) until they settle. Each effect is shrunk
    towards 1 by ``launch_effect_prior_days`` pseudo days of its mean expected units: a discount
    depth or an event seen on a handful of days stays near 1.
    """
    edges, names = config.launch_discount_edges, config.event_names
    B, E = len(edges) + 1, len(names)
    flat = DayEffects(edges, (1.0,) * B, (1.0,) * B, names, (1.0,) * E, (1.0,) * E)
    units, season, kinds, events, windows = [], [], [], [], []
    offset = 0  # window numbers of the samples before
    for s in samples:
        if s.target_units is None:
            continue
        inputs = LaunchInputs.from_samples(s, config, config.launch_max_age_days)
        rows = np.flatnonzero(~inputs.young)
        scored = inputs.future_age[rows] > 0
        if s.target_censored is not None:
            scored &= s.target_censored[rows] < 0.5
        window, day = np.nonzero(scored)  # the scored days on sale, flat
        at = (rows[window], day)
        zero = np.zeros(len(window))
        discount = zero if inputs.future_discount is None else inputs.future_discount[at]
        after = zero if inputs.future_after is None else inputs.future_after[at]
        kinds.append(  # 0: plain, 1..B: discount bucket, B+1..2B: after a promotion's bucket
            np.where(
                discount > 0,
                1 + flat.bucket(discount),
                np.where(after > 0, 1 + B + flat.bucket(after), 0),
            )
        )
        units.append(s.target_units[at].astype(np.float64))
        season.append(inputs.future_exposure[at])
        windows.append(offset + window)
        offset += len(rows)
        known = inputs.season_known[at]
        on_event = np.zeros((len(window), 2 * E), dtype=bool)  # per event: index unknown, known
        for e, name in enumerate(names):
            if name in inputs.future_events:
                days = inputs.future_events[name][at] > 0.5
                on_event[:, e], on_event[:, E + e] = days & ~known, days & known
        events.append(on_event)
    if not units or float(sum(u.sum() for u in units)) <= 0:
        return flat
    y, exposure = np.concatenate(units), np.concatenate(season)
    kind, window = np.concatenate(kinds), np.concatenate(windows)
    on_event = np.concatenate(events).astype(np.float64)
    window_units = np.bincount(window, weights=y, minlength=offset)
    kind_units = np.bincount(kind, weights=y, minlength=1 + 2 * B)
    kind_days = np.bincount(kind, minlength=1 + 2 * B)
    event_units, event_days = on_event.T @ y, on_event.sum(0)
    kind_effect, event_effect = np.ones(1 + 2 * B), np.ones(2 * E)
    prior_days = config.launch_effect_prior_days

    def shrunk(observed: np.ndarray, expected: np.ndarray, days: np.ndarray) -> np.ndarray:
        pseudo = prior_days * expected / np.maximum(days, 1)
        return np.where(days > 0, (observed + pseudo) / np.maximum(expected + pseudo, 1e-12), 1.0)

    for _ in range(200):
        effect = kind_effect[kind] * np.exp(on_event @ np.log(event_effect))
        day_exposure = exposure * effect
        rate = window_units / np.maximum(np.bincount(window, day_exposure, offset), 1e-12)
        expected = rate[window] * day_exposure  # units, with every effect
        new_kind = shrunk(
            kind_units, np.bincount(kind, expected / kind_effect[kind], 1 + 2 * B), kind_days
        )
        new_kind[0] = 1.0  # a plain day
        new_event = shrunk(event_units, (on_event.T @ expected) / event_effect, event_days)
        settled = np.allclose(new_kind, kind_effect, rtol=1e-7) and np.allclose(
            new_event, event_effect, rtol=1e-7
        )
        kind_effect, event_effect = new_kind, new_event
        if settled:
            break
    return DayEffects(
        edges,
        lift=tuple(kind_effect[1 : 1 + B]),
        dip=tuple(kind_effect[1 + B :]),
        events=names,
        event_lift=tuple(event_effect[:E]),
        event_lift_seasonal=tuple(event_effect[E:]),
    )


@dataclass
class _YoungDays:
    """The young rows of some samples with their targets, ready for fitting and scoring."""

    inputs: LaunchInputs
    rows: np.ndarray  # (n,) young rows of the samples
    targets: np.ndarray  # (n, H) units
    censored: np.ndarray  # (n, H) 1.0 on stockout-censored or unknown target days

    @property
    def scored(self) -> np.ndarray:
        """(n, H) 1.0 on the target days a forecast is scored on: uncensored."""
        return 1.0 - self.censored

    @property
    def has_demand(self) -> bool:
        return len(self.rows) > 0 and float((self.targets * self.scored).sum()) > 0


def _young_days(
    samples: ForecastSamples,
    config: ModelConfig,
    max_age_days: float,
    role: str,
    text_ratio: np.ndarray | None = None,
) -> _YoungDays:
    if samples.target_units is None:
        raise ValueError(f"{role} needs samples with targets")
    inputs = LaunchInputs.from_samples(samples, config, max_age_days, text_ratio)
    rows = np.flatnonzero(inputs.young)
    targets = samples.target_units[rows].astype(np.float64)
    censored = (
        samples.target_censored[rows].astype(np.float64)
        if samples.target_censored is not None
        else np.zeros_like(targets)
    )
    return _YoungDays(inputs, rows, targets, censored)


def _days(
    parts: list[_YoungDays], effects: DayEffects | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(age, exposure, units, weight) of the young windows' target days, (n, H) each: exposure =
    category level x seasonal index x the day's effect, weight 1.0 on scored days on sale."""
    age = np.concatenate([p.inputs.future_age[p.rows] for p in parts])
    exposure = np.concatenate(
        [
            p.inputs.expected_level[p.rows, None]
            * p.inputs.future_exposure[p.rows]
            * (1.0 if effects is None else effects.future(p.inputs)[p.rows])
            for p in parts
        ]
    )
    units = np.concatenate([p.targets for p in parts])
    weight = np.concatenate([p.scored for p in parts]) * (age > 0)
    return age, exposure, units, weight


def _profile(
    age: np.ndarray,
    exposure: np.ndarray,
    units: np.ndarray,
    weight: np.ndarray,
    config: ModelConfig,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Bucket centres, the profile there (scaled to 1 once established) and the established
    level relative to the category: per bucket the units over the exposure of all its launch
    days (a ratio of sums: unbiased whatever each product's own level), smoothed (``_smooth``).

    (Refitting it with each window at its own gamma-posterior level, EM-style, recovered drawn
    shapes worse: a window's noisy days pull its level towards the profile's error.)
    """
    edges = np.asarray(config.launch_age_buckets, dtype=np.float64)
    B = len(edges)
    on = weight > 0
    bucket = np.clip(np.searchsorted(edges, age[on], side="right") - 1, 0, B - 1)
    n_b = np.bincount(bucket, minlength=B).astype(np.float64)
    e_b = np.bincount(bucket, weights=exposure[on], minlength=B)
    y_b = np.bincount(bucket, weights=units[on], minlength=B)
    age_b = np.bincount(bucket, weights=age[on], minlength=B)
    flat = float(y_b.sum() / e_b.sum())
    mean_exposure = np.where(n_b > 0, e_b / np.maximum(n_b, 1.0), 1.0)
    ratio = _smooth(y_b, e_b, mean_exposure, flat, config)
    upper = np.append(edges[1:], edges[-1] + 1.0)
    centres = np.where(n_b > 0, age_b / np.maximum(n_b, 1.0), (edges + upper - 1.0) / 2.0)
    keep = np.concatenate([[True], np.diff(centres) > 0])  # centres of empty buckets can tie
    centres, ratio, e_b = centres[keep], ratio[keep], e_b[keep]
    established = centres >= config.launch_max_age_days
    if established.any() and e_b[established].sum() > 0:
        level = float((ratio * e_b)[established].sum() / e_b[established].sum())
    else:
        level = float(ratio[e_b > 0][-1]) if (e_b > 0).any() else flat
    return centres, ratio / level, level


def _smooth(
    units: np.ndarray,
    exposure: np.ndarray,
    mean_exposure: np.ndarray,
    flat: float,
    config: ModelConfig,
) -> np.ndarray:
    """Per-bucket ratios of ``units`` to ``exposure``, shrunk towards ``flat`` by
    ``launch_profile_prior_days`` and towards a smooth line over the buckets by
    ``launch_profile_smoothing`` (pseudo days on the second differences): one linear solve of a
    weighted least-squares problem whose weights are each bucket's days."""
    B = len(units)
    days = exposure / mean_exposure  # each bucket's days, in units of its mean day's exposure
    raw = np.where(exposure > 0, units / np.maximum(exposure, 1e-12), flat)
    k, smooth = config.launch_profile_prior_days, config.launch_profile_smoothing
    second = np.diff(np.eye(B), n=2, axis=0)  # (B - 2, B)
    system = np.diag(days + k) + smooth * second.T @ second
    return np.maximum(np.linalg.solve(system, days * raw + k * flat), 0.0)


def _moments(
    mean: np.ndarray, units: np.ndarray, weight: np.ndarray, config: ModelConfig
) -> tuple[float, float]:
    """(prior_shape, dispersion) by the method of moments on the young target days.

    With level ~ Gamma(shape) around the profile and days ~ Gamma(dispersion) noise, a window's
    days t != u covary by mean_t mean_u / shape, and a day varies by
    mean + mean^2 ((1 + 1/shape)(1 + 1/dispersion) - 1).
    """
    d = (units - mean) * weight
    m = mean * weight
    cross = (d.sum(1) ** 2 - (d**2).sum(1)).sum()
    cross_scale = (m.sum(1) ** 2 - (m**2).sum(1)).sum()
    low_shape, high_shape = config.launch_prior_shape_range
    low_disp, high_disp = config.launch_dispersion_range
    inv_shape = cross / cross_scale if cross_scale > 0 else 1.0 / low_shape
    inv_shape = float(np.clip(inv_shape, 1.0 / high_shape, 1.0 / low_shape))
    excess = ((d**2 - m) * weight).sum() / max((m**2).sum(), 1e-12)
    inv_disp = (1.0 + excess) / (1.0 + inv_shape) - 1.0
    inv_disp = float(np.clip(inv_disp, 1.0 / high_disp, 1.0 / low_disp))
    return 1.0 / inv_shape, 1.0 / inv_disp


def fit_launch_curve(
    samples: list[ForecastSamples],
    config: ModelConfig,
    text_ratios: list[np.ndarray | None] | None = None,
    day_effects: DayEffects | None = None,
) -> LaunchCurve | None:
    """The launch curve of the young products of ``samples`` (the training windows).

    Closed form (module docstring): the profile per age bucket, then the prior spread and the day
    noise by moments around it. Returns None when the samples hold no young product with a
    usable target day that sold (nothing to learn from). The curve comes back unused: only
    :func:`gate_on_validation` can pass it. ``day_effects``, when given, are those a curve fitted
    on the same samples learned (not fitted again); else they are fitted here if the config
    uses them.
    """
    ratios = text_ratios if text_ratios is not None else [None] * len(samples)
    parts = [
        _young_days(s, config, config.launch_max_age_days, "fit_launch_curve", r)
        for s, r in zip(samples, ratios, strict=True)
    ]
    parts = [p for p in parts if len(p.rows)]
    if not any(p.has_demand for p in parts):
        return None
    effects = None
    if config.launch_day_effects:  # from the same samples, so a second curve can reuse them
        effects = day_effects if day_effects is not None else fit_day_effects(samples, config)
    age, exposure, units, weight = _days(parts, effects)
    if float((units * weight).sum()) <= 0:
        return None
    centres, profile, level = _profile(age, exposure, units, weight, config)
    curve = LaunchCurve(
        profile_ages=tuple(centres),
        profile=tuple(profile),
        prior_ratio=level,
        prior_shape=1.0,
        dispersion=1.0,
        max_age_days=config.launch_max_age_days,
        draws=config.launch_draws,
        seed=config.seed,
        fit_samples=int(sum(len(p.rows) for p in parts)),
        fit_days=int(weight.sum()),
        reason="not validated",
        day_effects=effects,
    )
    mean = level * curve.shape(age) * exposure
    prior_shape, dispersion = _moments(mean, units, weight, config)
    return replace(curve, prior_shape=prior_shape, dispersion=dispersion)


def launch_losses(
    curve: LaunchCurve,
    samples: ForecastSamples,
    config: ModelConfig,
    network: tuple[np.ndarray, np.ndarray] | None = None,
    text_ratio: np.ndarray | None = None,
) -> tuple[int, dict[str, float]]:
    """Young windows of ``samples`` with a scored target day, and the weighted quantile losses of
    the curve's daily and cumulative quantiles on them (``daily``, ``cumulative``), and of
    ``network`` = its (daily, cumulative) quantiles (N, H, Q) for all of ``samples`` if given
    (``network_daily``, ``network_cumulative``). A cumulative quantile is scored up to the first
    censored day of its window (after it the actual sum is only a lower bound)."""
    young = _young_days(samples, config, curve.max_age_days, "launch_losses", text_ratio)
    scored = young.scored * (young.inputs.future_age[young.rows] > 0)
    windows = np.flatnonzero(scored.sum(1) > 0)
    if len(windows) == 0 or float((young.targets[windows] * scored[windows]).sum()) <= 0:
        return 0, {}
    rows = young.rows[windows]
    targets, daily_mask = young.targets[windows], young.scored[windows]
    sums = np.cumsum(targets, axis=1)
    sum_mask = (np.cumsum(young.censored[windows], axis=1) == 0).astype(np.float64)
    daily, cumulative = curve.predict(young.inputs, config.quantiles, rows)
    if network is not None:  # what is served: the curve blended with the network
        daily = blend(daily, network[0][rows], config.launch_network_share)
        cumulative = blend(cumulative, network[1][rows], config.launch_network_share)
    q = config.quantiles
    losses = {
        "daily": weighted_quantile_loss(targets, daily, q, mask=daily_mask),
        "cumulative": weighted_quantile_loss(sums, cumulative, q, mask=sum_mask),
    }
    if network is not None:
        pairs = (
            ("daily", targets, daily, network[0][rows], daily_mask),
            ("cumulative", sums, cumulative, network[1][rows], sum_mask),
        )
        for kind, actual, ours, theirs, mask in pairs:
            losses[f"network_{kind}"] = weighted_quantile_loss(actual, theirs, q, mask=mask)
            losses[f"{kind}_difference_se"] = _difference_se(actual, ours, theirs, mask, config)
    return len(rows), losses


def blend(curve: np.ndarray, network: np.ndarray, share: float) -> np.ndarray:
    """The served quantiles of young products: the curve's averaged with the network's, level by
    level, the network weighing ``share`` (``ModelConfig.launch_network_share``; 0: the curve's).
    An average of two sets of increasing quantiles is increasing too."""
    return curve if share == 0 else (1.0 - share) * curve + share * network


def _difference_se(
    actual: np.ndarray,
    ours: np.ndarray,
    theirs: np.ndarray,
    mask: np.ndarray,
    config: ModelConfig,
) -> float:
    """Standard error of (our WQL - their WQL) by a paired bootstrap over windows (seeded):
    how far apart the two losses can land by which launches the block happens to hold."""
    levels = np.asarray(config.quantiles)
    error = actual[..., None] - np.stack([ours, theirs])  # (2, n, H, Q)
    pinball = np.maximum(levels * error, (levels - 1.0) * error) * mask[..., None]
    per_window = 2.0 * pinball.sum(axis=(2, 3)) / len(levels)  # (2, n)
    scale = (np.abs(actual) * mask).sum(1)  # (n,)
    return paired_difference_se(
        per_window[0] - per_window[1], scale, config.launch_gate_bootstrap, config.seed
    )


def gate_on_validation(
    curve: LaunchCurve,
    network: tuple[np.ndarray, np.ndarray] | None,
    samples: ForecastSamples | None,
    config: ModelConfig,
    text_ratio: np.ndarray | None = None,
) -> LaunchCurve:
    """``curve`` with ``used`` and ``reason`` set: used only if the validation block holds at least
    ``config.launch_min_validation_windows`` young windows with a scored target day and the curve
    is not worse than the network there on the daily quantiles nor on the cumulative ones.

    "Worse" means a weighted quantile loss above the network's by more than
    ``launch_gate_noise_se`` standard errors of the difference (paired bootstrap over the
    windows; 0 = any amount): with a few dozen launches, which ones the block holds moves both
    losses by more than the forecasts differ.

    ``network`` = the network's (daily, cumulative) quantiles (N, H, Q) for all of ``samples``.
    """
    minimum = config.launch_min_validation_windows
    if samples is None or network is None:
        return replace(curve, used=False, reason="no validation block to check it on")
    n, losses = launch_losses(curve, samples, config, network, text_ratio)
    if n < minimum:
        return replace(
            curve,
            used=False,
            validation_samples=n,
            reason=f"{n} young validation windows with sales, fewer than "
            f"launch_min_validation_windows={minimum}",
        )
    curve = replace(
        curve,
        validation_samples=n,
        validation_loss=losses["daily"],
        network_validation_loss=losses["network_daily"],
        validation_cumulative_loss=losses["cumulative"],
        network_validation_cumulative_loss=losses["network_cumulative"],
    )
    share = config.launch_network_share
    figures = (
        (f"blended with {share:g} of the network: " if share else "")
        + f"daily WQL {losses['daily']:.4f} vs network {losses['network_daily']:.4f}, "
        f"cumulative {losses['cumulative']:.4f} vs {losses['network_cumulative']:.4f} "
        f"on {n} young validation windows"
    )
    allowed = {
        kind: config.launch_gate_noise_se * losses[f"{kind}_difference_se"]
        for kind in ("daily", "cumulative")
    }
    figures += (
        f" (worse only beyond {allowed['daily']:.4f} / {allowed['cumulative']:.4f} = "
        f"{config.launch_gate_noise_se:g} bootstrap SE of the difference)"
    )
    worse = [
        kind
        for kind in ("daily", "cumulative")
        # NaN (nothing scored) is not passing
        if not losses[kind] <= losses[f"network_{kind}"] + allowed[kind]
    ]
    if worse:
        reason = f"worse than the network on the {' and '.join(worse)} quantiles: {figures}"
        return replace(curve, used=False, reason=reason)
    return replace(curve, used=True, reason=f"not worse than the network: {figures}")
