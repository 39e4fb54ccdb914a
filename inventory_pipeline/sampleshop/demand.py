"""Expected daily demand per SKU and the negative-binomial draw around it.

Expected demand = base level x yearly season x weekday x shopping events x trend x launch curve
x promotion lift x post-promotion dip x list-price change x quality incident, and zero while the
SKU is not on sale. Daily demand ~ NegativeBinomial(mean = mu, size = k): variance = mu + mu^2 / k,
so (expected_demand, nb_dispersion) in the ground truth define the exact distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inventory_pipeline.sampleshop.catalog import ChunkCatalog, list_price_matrix, on_sale_matrix
from inventory_pipeline.sampleshop.config import ShopConfig
from inventory_pipeline.sampleshop.promotions import PromoPlan

DAYS_PER_YEAR = 365.25


@dataclass
class ChunkDemand:
    """Demand-side matrices of one chunk, all shaped (n_skus, days)."""

    on_sale: np.ndarray  # bool
    expected: np.ndarray  # float64, mean of the demand distribution
    demand: np.ndarray  # int64, true (uncensored) demand
    discount_pct: np.ndarray  # float64, 0 when no promotion runs
    on_promo: np.ndarray  # bool
    list_price: np.ndarray  # float64


def _span_indices(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(promotion index, day) pairs covering [start, start + length) for each promotion."""
    owner = np.repeat(np.arange(len(starts)), lengths)
    offset = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return owner, starts[owner] + offset


def promotion_effects(
    config: ShopConfig, cat: ChunkCatalog, plan: PromoPlan, days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Discount (pct), promotion flag and demand multiplier (lift, then dip) per SKU and day."""
    n = cat.n
    discount = np.zeros((n, days))
    on_promo = np.zeros((n, days), dtype=bool)
    mult = np.ones((n, days))
    if len(plan.sku_idx) == 0:
        return discount, on_promo, mult
    elasticity = np.array([s.elasticity for s in config.categories])[cat.category[plan.sku_idx]]
    boost = np.array(config.promo_type_boost)[plan.promo_type]
    lift = (1.0 - plan.discount_pct / 100.0) ** (-elasticity) * boost

    owner, day = _span_indices(plan.start, plan.end - plan.start + 1)
    keep = day < days
    owner, day = owner[keep], day[keep]
    rows = plan.sku_idx[owner]
    discount[rows, day] = plan.discount_pct[owner]
    on_promo[rows, day] = True
    mult[rows, day] *= lift[owner]

    depth = np.minimum(config.dip_max, config.dip_scale * (1.0 - 1.0 / lift))
    owner, day = _span_indices(plan.end + 1, np.full(len(plan.end), config.dip_days))
    after = day - plan.end[owner]  # 1 .. dip_days
    keep = day < days
    dip = 1.0 - depth[owner] * np.exp(-(after - 1) / config.dip_tau_days)
    np.multiply.at(mult, (plan.sku_idx[owner][keep], day[keep]), dip[keep])
    return discount, on_promo, mult


def launch_curve(config: ShopConfig, age: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Demand multiplier by age on sale (1 = launch day; 0 before it), per `config.launch_shape`."""
    a = np.maximum(age, 0)
    if config.launch_shape == "exponential":
        curve = 1.0 - np.exp(-a / tau)
    elif config.launch_shape == "linear":
        curve = np.minimum(a / tau, 1.0)
    elif config.launch_shape == "spike":
        curve = 1.0 + (config.launch_spike_height - 1.0) * np.exp(-np.maximum(a - 1, 0) / tau)
    else:
        raise ValueError(
            f"launch_shape {config.launch_shape!r} is unknown; use exponential, linear or spike"
        )
    return np.where(age > 0, curve, 0.0)


def expected_demand(
    config: ShopConfig,
    cat: ChunkCatalog,
    plan: PromoPlan,
    season: np.ndarray,
    weekly: np.ndarray,
    event_lift: np.ndarray,
    days: int,
) -> ChunkDemand:
    """All multiplicative effects combined; `demand` is left empty for `draw_demand`."""
    d = np.arange(days)[None, :]
    on_sale = on_sale_matrix(cat, days)
    c = cat.category
    mu = cat.level[:, None] * season[c] * weekly[c] * event_lift[c]
    mu *= np.exp(cat.trend[:, None] * d / DAYS_PER_YEAR)

    mu *= launch_curve(config, d - cat.launch_day[:, None] + 1, cat.ramp_tau[:, None])

    discount, on_promo, promo_mult = promotion_effects(config, cat, plan, days)
    mu *= promo_mult

    elasticity = np.array([s.elasticity for s in config.categories])[c]
    price = list_price_matrix(cat, days)
    mu *= (price / cat.list_price[:, None]) ** (-elasticity[:, None])

    since = d - cat.incident_day[:, None] - config.incident_lag_days
    hit = (cat.incident_day[:, None] >= 0) & (since > 0)
    loss = cat.incident_depth[:, None] * (
        1.0 - np.exp(-np.maximum(since, 0) / config.incident_tau_days)
    )
    mu *= np.where(hit, 1.0 - loss, 1.0)

    mu = np.where(on_sale, mu, 0.0)
    return ChunkDemand(
        on_sale=on_sale,
        expected=mu,
        demand=np.zeros((cat.n, 0), dtype=np.int64),
        discount_pct=np.where(on_sale, discount, 0.0),
        on_promo=on_promo & on_sale,
        list_price=price,
    )


def draw_demand(mu: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Negative-binomial demand with mean mu and size k per SKU (row)."""
    kk = np.broadcast_to(k[:, None], mu.shape)
    return rng.negative_binomial(kk, kk / (kk + mu)).astype(np.int64)
