"""The launch curve: demand quantiles for products in their first weeks on sale.

A product launched ``a`` days ago (launch day: a = 1) sells, on a day whose category seasonal
index is ``s``::

    units ~ Poisson(level * ramp(a) * s * g),   ramp(a) = 1 - exp(-a / ramp_days),
    g ~ Gamma(dispersion, 1 / dispersion)        (day-to-day noise: negative binomial days)
    level ~ Gamma(prior_shape + units sold,      (what the product sells once established,
                  rate = prior_shape / (prior_ratio * category level) + ramp exposure)

The prior says a new product sells ``prior_ratio`` times its category's current level per
product, give or take a spread set by ``prior_shape``; every usable day the product has been on
sale updates it (gamma-Poisson conjugacy, with the day's ramp as its exposure). Four numbers
learned from the training launches describe every launch, so the few launches a shop has
are enough to fit them, where the network has to learn a ramp, a level and their uncertainty
per sample. Quantiles come from ``draws`` Monte-Carlo paths per sample, from a generator seeded
per sample: a product's forecast depends only on its own inputs.

Plain numpy; the forecaster uses it for products launched fewer than ``launch_max_age_days``
days before the origin (and those not launched yet) when ``ModelConfig.launch_curve`` is set.
Training fits it on the training launches and keeps it only if it forecasts the validation
launches better than the network does (``compare_on_validation``): on a shop whose launches do
not follow this form, the network keeps serving them.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np

from inventory_pipeline.metrics import weighted_quantile_loss
from inventory_pipeline.model.config import LAUNCH_AGE_FEATURE, ModelConfig
from inventory_pipeline.model.data import ForecastSamples

LAUNCH_CURVE_FILE = "launch_curve.json"


@dataclass(frozen=True)
class LaunchCurve:
    """The four fitted numbers plus how quantiles are drawn (see the module docstring)."""

    ramp_days: float
    prior_ratio: float
    prior_shape: float
    dispersion: float
    max_age_days: float = 56.0
    draws: int = 256
    seed: int = 0
    fit_loss: float | None = None  # weighted quantile loss on the fitting samples (diagnostics)
    fit_samples: int = 0
    validation_loss: float | None = None  # its weighted quantile loss on the validation launches
    network_validation_loss: float | None = None  # the network's, on the same windows
    validation_samples: int = 0  # young validation windows compared (0: not validated)

    @property
    def beats_network(self) -> bool:
        """True unless the validation launches were forecast better by the network."""
        if self.validation_loss is None or self.network_validation_loss is None:
            return True
        return self.validation_loss < self.network_validation_loss

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LaunchCurve:
        return cls(**json.loads(text))

    def predict(
        self,
        inputs: LaunchInputs,
        quantiles: tuple[float, ...],
        rows: np.ndarray | None = None,
        cumulative: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Daily and cumulative quantiles, (n, H, Q) each, for ``rows`` of ``inputs`` (default:
        its young rows); ``cumulative=False`` leaves the cumulative ones 0 (fitting needs none)."""
        rows = np.flatnonzero(inputs.young) if rows is None else rows
        H = inputs.future_exposure.shape[1]
        levels = np.asarray(quantiles, dtype=np.float64)
        daily = np.zeros((len(rows), H, len(levels)))
        sums = np.zeros_like(daily)
        if len(rows) == 0:
            return daily, sums
        shape = self.prior_shape + inputs.units_sold[rows]
        history_exposure = (
            ramp(inputs.history_age[rows], self.ramp_days) * inputs.usable[rows]
        ).sum(1)
        rate = (
            self.prior_shape / (self.prior_ratio * inputs.category_level[rows]) + history_exposure
        )
        base = ramp(inputs.future_age[rows], self.ramp_days) * inputs.future_exposure[rows]
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


def ramp(age: np.ndarray, ramp_days: float) -> np.ndarray:
    """Share of its established level a product sells at ``age`` days (0 before launch)."""
    return np.where(age > 0, -np.expm1(-np.maximum(age, 0.0) / ramp_days), 0.0)


@dataclass
class LaunchInputs:
    """What the launch curve reads from model samples (all numpy, N rows)."""

    young: np.ndarray  # (N,) bool: launched fewer than max_age days before the origin, or later
    history_age: np.ndarray  # (N, L) days since launch, launch day = 1; 0 before launch
    usable: np.ndarray  # (N, L) 1.0 on sale and not stockout-censored
    units_sold: np.ndarray  # (N,) units over the usable history days
    category_level: np.ndarray  # (N,) units per product on sale and day of the category, now
    future_age: np.ndarray  # (N, H) days since launch on day origin + h; 0 when not on sale
    future_exposure: np.ndarray  # (N, H) the category's seasonal index for that day (1 if unknown)

    @classmethod
    def from_samples(
        cls, samples: ForecastSamples, config: ModelConfig, max_age_days: float
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
        return cls(
            young=~launched | (age < max_age_days),
            history_age=history_age,
            usable=usable,
            units_sold=(samples.history_units * usable).sum(axis=1).astype(np.float64),
            category_level=np.exp(static["category_recent_log"].astype(np.float64)),
            future_age=future_age,
            future_exposure=season,
        )


def _young_targets(
    samples: ForecastSamples, config: ModelConfig, max_age_days: float, role: str
) -> tuple[LaunchInputs, np.ndarray, np.ndarray, np.ndarray]:
    """Inputs of ``samples``, their young rows, and those rows' targets and 0/1 censoring."""
    if samples.target_units is None:
        raise ValueError(f"{role} needs samples with targets")
    inputs = LaunchInputs.from_samples(samples, config, max_age_days)
    rows = np.flatnonzero(inputs.young)
    targets = samples.target_units[rows]
    censored = (
        samples.target_censored[rows]
        if samples.target_censored is not None
        else np.zeros_like(targets)
    )
    return inputs, rows, targets, censored


def _wql(
    daily: np.ndarray, targets: np.ndarray, censored: np.ndarray, config: ModelConfig
) -> float:
    """Weighted quantile loss over the uncensored days and every level of ``config``."""
    return weighted_quantile_loss(targets, daily, config.quantiles, mask=1.0 - censored)


def compare_on_validation(
    curve: LaunchCurve,
    network_daily: np.ndarray,
    samples: ForecastSamples,
    config: ModelConfig,
) -> LaunchCurve:
    """``curve`` with its and the network's weighted quantile loss on the young rows of ``samples``.

    ``network_daily`` (N, H, Q) are the network's daily quantiles for all of ``samples``. With no
    young row that has a usable target day, the curve comes back unvalidated.
    """
    inputs, rows, targets, censored = _young_targets(
        samples, config, curve.max_age_days, "compare_on_validation"
    )
    if len(rows) == 0 or (targets * (1 - censored)).sum() <= 0:
        return curve
    daily, _ = curve.predict(inputs, config.quantiles, rows, cumulative=False)
    return replace(
        curve,
        validation_loss=_wql(daily, targets, censored, config),
        network_validation_loss=_wql(network_daily[rows], targets, censored, config),
        validation_samples=len(rows),
    )


def fit_launch_curve(
    samples: list[ForecastSamples],
    config: ModelConfig,
    on_candidate: Callable[[int, int], None] | None = None,
) -> LaunchCurve | None:
    """Grid-search the four numbers on the young samples of ``samples`` (the training windows).

    Minimises the weighted quantile loss over ``config.quantiles`` on their uncensored target
    days. Returns
    None when the samples hold no young product with a usable target day (nothing to learn from).
    """
    parts = [
        _young_targets(s, config, config.launch_max_age_days, "fit_launch_curve") for s in samples
    ]
    targets = np.concatenate([p[2] for p in parts]) if parts else np.zeros((0, 0))
    censored = np.concatenate([p[3] for p in parts]) if parts else np.zeros((0, 0))
    if targets.size == 0 or (targets * (1 - censored)).sum() <= 0:
        return None
    grid = list(
        itertools.product(
            config.launch_ramp_days_grid,
            config.launch_prior_ratio_grid,
            config.launch_prior_shape_grid,
            config.launch_dispersion_grid,
        )
    )
    best: LaunchCurve | None = None
    for k, (ramp_days, ratio, prior_shape, dispersion) in enumerate(grid):
        curve = LaunchCurve(
            ramp_days=float(ramp_days),
            prior_ratio=float(ratio),
            prior_shape=float(prior_shape),
            dispersion=float(dispersion),
            max_age_days=config.launch_max_age_days,
            draws=config.launch_fit_draws,
            seed=config.seed,
        )
        daily = np.concatenate(
            [curve.predict(p[0], config.quantiles, p[1], cumulative=False)[0] for p in parts]
        )
        loss = _wql(daily, targets, censored, config)
        if best is None or loss < best.fit_loss:
            best = replace(curve, fit_loss=loss)
        if on_candidate is not None:
            on_candidate(k + 1, len(grid))
    assert best is not None
    return replace(best, draws=config.launch_draws, fit_samples=len(targets))
