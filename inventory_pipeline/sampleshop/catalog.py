"""Products of one chunk: latent attributes (level, quality, life cycle) and the catalog text.

Text and numbers are drawn from the same latent attributes, so that category, season, price tier
and brand quality can be read back from a product's title and description, which is what makes a
new SKU's demand level predictable before it has any history. Within a category, the product
type (the title's noun) and the size carry part of a product's level too, as they do in real
catalogs: each type and size of a category has a log demand effect drawn once per shop
(:func:`make_attribute_effects`), and a product's type and size are drawn from their posterior
given its already-drawn level (:func:`_type_and_size`), so the numbers stay those of the same
seed without the effects and only the words change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from inventory_pipeline.sampleshop.config import TIERS, ShopConfig
from inventory_pipeline.sampleshop.rand import pick
from inventory_pipeline.sampleshop.vocab import TIER_SENTENCES, TIER_TITLE_WORDS, VOCAB

DAYS_PER_YEAR = 365.25
BESTSELLER_SENTENCE = "Bestseller: loved by thousands of customers."


@dataclass(frozen=True)
class Brand:
    """A brand of one category; quality and popularity are shared by all its SKUs."""

    name: str
    quality: float  # additive effect on latent quality (logit scale)
    popularity: float  # additive effect on log base demand


@dataclass(frozen=True)
class AttributeEffects:
    """Log demand effects of one category's product types and sizes (``VOCAB`` order)."""

    noun: np.ndarray  # (len(nouns),) centred
    size: np.ndarray  # (len(sizes),) centred


def make_attribute_effects(config: ShopConfig, rng: np.random.Generator) -> list[AttributeEffects]:
    """Per category, the effects of its types and sizes (same for every chunk of a shop)."""
    explained = config.type_level_sigma**2 + config.size_level_sigma**2
    if explained >= config.level_sigma**2:
        raise ValueError(
            f"type_level_sigma^2 + size_level_sigma^2 = {explained:.3f} must stay below "
            f"level_sigma^2 = {config.level_sigma**2:.3f}: they split the level's spread."
        )
    out = []
    for spec in config.categories:
        v = VOCAB[spec.name]
        noun = rng.normal(0.0, config.type_level_sigma, len(v.nouns))
        size = rng.normal(0.0, config.size_level_sigma, len(v.sizes))
        out.append(AttributeEffects(noun=noun - noun.mean(), size=size - size.mean()))
    return out


def _type_and_size(
    rng: np.random.Generator,
    effects: AttributeEffects | None,
    noise: float,
    residual_sigma: float,
    nouns: int,
    sizes: int,
) -> tuple[int, int]:
    """Indices of a product's type and size: uniform without effects, else drawn from their
    posterior given the product's log level noise ``noise`` (= type + size effect + a residual
    of spread ``residual_sigma``)."""
    if effects is None or not (effects.noun.any() or effects.size.any()):
        return int(rng.integers(nouns)), int(rng.integers(sizes))
    mean = effects.noun[:, None] + effects.size[None, :]  # (nouns, sizes)
    log_p = -0.5 * ((noise - mean) / residual_sigma) ** 2
    p = np.exp(log_p - log_p.max()).ravel()
    k = int(rng.choice(p.size, p=p / p.sum()))
    return k // sizes, k % sizes


def make_brands(config: ShopConfig, rng: np.random.Generator) -> list[list[Brand]]:
    """Brands per category (same for every chunk, so brands span chunks)."""
    out: list[list[Brand]] = []
    used: set[str] = set()
    for spec in config.categories:
        syl = VOCAB[spec.name].brand_syllables
        heads, tails = syl[: len(syl) // 2], syl[len(syl) // 2 :]
        brands: list[Brand] = []
        while len(brands) < config.brands_per_category:
            name = pick(rng, heads) + pick(rng, tails)
            if rng.random() < 0.3:
                name += " & Co." if rng.random() < 0.5 else " Germany"
            if name in used:
                name = f"{name} {len(brands) + 2}"
            used.add(name)
            brands.append(
                Brand(
                    name=name,
                    quality=float(rng.normal(0.0, config.brand_quality_sigma)),
                    popularity=float(rng.normal(0.0, config.brand_popularity_sigma)),
                )
            )
        out.append(brands)
    return out


def sku_id(number: int) -> str:
    """The SKU code of a global SKU number."""
    return f"SKU-{number:07d}"


@dataclass
class ChunkCatalog:
    """Attributes of the SKUs of one chunk; day indices are relative to the start date."""

    sku_num: np.ndarray  # (n,) global SKU numbers
    sku: list[str]
    category: np.ndarray  # (n,) index into config.categories
    tier: np.ndarray  # (n,) index into TIERS
    brand: list[str]  # "" for unbranded
    quality: np.ndarray  # (n,) latent quality in (0, 1)
    level: np.ndarray  # (n,) base demand, units/day before calendar effects
    level_from_text: np.ndarray  # (n,) the part of `level` that the text explains
    bestseller: np.ndarray  # (n,) bool
    trend: np.ndarray  # (n,) log-trend per year
    nb_dispersion: np.ndarray  # (n,) NB size k
    list_price: np.ndarray  # (n,) list price before a price change
    new_list_price: np.ndarray  # (n,) list price from price_change_day on
    price_change_day: np.ndarray  # (n,) -1 if the price never changes
    unit_cost: np.ndarray
    lead_time: np.ndarray
    moq: np.ndarray
    pack_size: np.ndarray
    launch_day: np.ndarray  # (n,) negative for SKUs launched before the start
    catalog_day: np.ndarray  # (n,) first export day of the catalog row (>= 0)
    ramp_tau: np.ndarray  # (n,) launch ramp time constant (days)
    disc_day: np.ndarray  # (n,) first day off sale; == days if never discontinued
    disc_notice_day: np.ndarray  # (n,) export day of the discontinuation row; == days if none
    incident_day: np.ndarray  # (n,) start of a bad batch, -1 if none
    incident_depth: np.ndarray  # (n,) relative demand loss the incident finally causes
    noun: list[str]  # product noun used in the title (reviews refer to it)
    title: list[str]
    description: list[str]

    @property
    def n(self) -> int:
        return len(self.sku)


def _title(
    rng: np.random.Generator,
    cat_name: str,
    tier: int,
    brand: str,
    bestseller: bool,
    type_and_size: tuple[int, int],
) -> tuple[str, str, str]:
    """Noun, title and description of one SKU, drawn together because they share words."""
    v = VOCAB[cat_name]
    noun = v.nouns[type_and_size[0]]
    size = v.sizes[type_and_size[1]]
    material = pick(rng, v.materials[tier])
    word = pick(rng, TIER_TITLE_WORDS[tier])
    parts = [p for p in (brand, word) if p]
    if rng.random() < 0.4:
        parts.append(material.title() if material.islower() else material)
    parts.append(noun)
    title = " ".join(parts) + f", {size}"
    feats = rng.choice(len(v.features), size=min(3, len(v.features)), replace=False)
    lines = [
        f"{pick(rng, TIER_SENTENCES[tier])} Made from {material}. {pick(rng, v.season_cues)}",
        *(f"- {v.features[int(i)]}" for i in sorted(feats)),
    ]
    if bestseller:
        lines[0] = f"{BESTSELLER_SENTENCE} {lines[0]}"
    if rng.random() < 0.15 and not bestseller:
        description = ""
    elif rng.random() < 0.5:
        description = "\n".join(lines)
    else:
        description = " ".join(lines[:1])
    return noun, title, description


def make_chunk_catalog(
    config: ShopConfig,
    brands: list[list[Brand]],
    first_sku: int,
    n: int,
    days: int,
    rng: np.random.Generator,
    effects: list[AttributeEffects] | None = None,
) -> ChunkCatalog:
    """Draw the SKUs first_sku .. first_sku + n - 1 (vectorised except for the text);
    ``effects``: per category, the types' and sizes' level effects (None: words are uniform)."""
    specs = config.categories
    cat_w = np.array([s.weight for s in specs])
    category = rng.choice(len(specs), size=n, p=cat_w / cat_w.sum())
    tier = rng.choice(len(TIERS), size=n, p=np.array(config.tier_shares))
    brand_idx = rng.integers(0, config.brands_per_category, size=n)
    unbranded = rng.random(n) < config.empty_brand_share
    b_quality = np.array([brands[c][b].quality for c, b in zip(category, brand_idx, strict=True)])
    b_pop = np.array([brands[c][b].popularity for c, b in zip(category, brand_idx, strict=True)])
    b_quality[unbranded] = -0.3
    b_pop[unbranded] = -0.3
    brand = [
        "" if u else brands[c][b].name
        for c, b, u in zip(category, brand_idx, unbranded, strict=True)
    ]

    tier_q = np.array(config.tier_quality)[tier]
    logit_q = 0.3 + b_quality + tier_q + rng.normal(0.0, config.quality_noise_sigma, n)
    quality = 1.0 / (1.0 + np.exp(-logit_q))

    level_mu = np.array([s.level_mu for s in specs])[category]
    log_text = (
        level_mu
        + config.level_shift
        + np.array(config.tier_level)[tier]
        + b_pop
        + config.quality_level_effect * (quality - 0.5)
    )
    level_from_text = np.exp(log_text)
    noise = rng.normal(0.0, config.level_sigma, n)  # what the text's type and size share in
    level = np.exp(log_text + noise)
    trend = rng.normal(0.0, config.trend_sigma, n)
    nb_k = config.nb_dispersion_median * np.exp(rng.normal(0.0, config.nb_dispersion_sigma, n))

    price_med = np.array([s.price_median for s in specs])[category]
    list_price = (
        np.round(
            price_med
            * np.array(config.tier_price)[tier]
            * np.exp(rng.normal(0.0, config.price_sigma, n)),
            0,
        )
        - 0.01
    )
    list_price = np.maximum(list_price, 0.99)
    unit_cost = np.round(list_price * rng.uniform(*config.cost_ratio, n), 2)

    lt_lo = np.array([s.lead_time_days[0] for s in specs])[category]
    lt_hi = np.array([s.lead_time_days[1] for s in specs])[category]
    lead_time = rng.integers(lt_lo, lt_hi + 1)
    moq_lo = np.array([s.moq[0] for s in specs])[category]
    moq_hi = np.array([s.moq[1] for s in specs])[category]
    moq = rng.integers(moq_lo, moq_hi + 1)
    pack_size = np.array([pick(rng, specs[c].pack_sizes) for c in category])

    # Life cycle: most SKUs were launched before the start; some launch during the period.
    is_new = rng.random(n) < config.new_sku_share
    # a few established SKUs are bestsellers: much higher demand, and the description says so
    bestseller = ~is_new & (rng.random(n) < config.bestseller_share)
    boost = np.where(bestseller, rng.uniform(*config.bestseller_boost, n), 1.0)
    level *= boost
    level_from_text *= boost
    history = int(config.existing_history_years * DAYS_PER_YEAR)
    launch_day = np.where(
        is_new, rng.integers(1, max(days, 2), n), -rng.integers(1, history + 1, n)
    )
    announce = rng.integers(config.announce_lead_days[0], config.announce_lead_days[1] + 1, n)
    catalog_day = np.where(is_new, np.maximum(launch_day - announce, 0), 0)
    ramp_tau = rng.uniform(*config.launch_ramp_tau_days, n)

    on_sale_from = np.maximum(launch_day, 0)
    disc_lo = on_sale_from + config.discontinue_min_age_days
    wants_disc = (rng.random(n) < config.discontinue_share) & (disc_lo < days - 1)
    disc_draw = disc_lo + np.floor(rng.random(n) * np.maximum(days - 1 - disc_lo, 1)).astype(
        np.int64
    )
    disc_day = np.where(wants_disc, disc_draw, days)
    notice = disc_day - rng.integers(
        config.discontinue_notice_days[0], config.discontinue_notice_days[1] + 1, n
    )
    disc_notice_day = np.where(wants_disc, np.maximum(notice, catalog_day), days)

    end_of_sale = np.minimum(disc_day, days)
    pc_lo, pc_hi = on_sale_from + 1, end_of_sale - 1
    wants_pc = (rng.random(n) < config.price_change_share) & (pc_hi > pc_lo)
    pc_draw = pc_lo + np.floor(rng.random(n) * np.maximum(pc_hi - pc_lo, 1)).astype(np.int64)
    price_change_day = np.where(wants_pc, pc_draw, -1)
    new_list_price = np.maximum(
        np.round(list_price * np.exp(rng.normal(0.0, config.price_change_sigma, n)), 0) - 0.01,
        np.maximum(unit_cost + 0.01, 0.99),
    )
    new_list_price = np.where(wants_pc, new_list_price, list_price)

    inc_lo = on_sale_from + config.incident_margin_days
    inc_hi = end_of_sale - config.incident_margin_days
    wants_inc = (rng.random(n) < config.incident_share) & (inc_hi > inc_lo)
    inc_draw = inc_lo + np.floor(rng.random(n) * np.maximum(inc_hi - inc_lo, 1)).astype(np.int64)
    incident_day = np.where(wants_inc, inc_draw, -1)

    incident_depth = rng.uniform(*config.incident_depth, n)

    nouns: list[str] = []
    titles: list[str] = []
    descriptions: list[str] = []
    residual = (
        1.0
        if effects is None
        else float(
            np.sqrt(config.level_sigma**2 - config.type_level_sigma**2 - config.size_level_sigma**2)
        )
    )
    for i, (c, t, b, best) in enumerate(zip(category, tier, brand, bestseller, strict=True)):
        v = VOCAB[specs[int(c)].name]
        category_effects = None if effects is None else effects[int(c)]
        chosen = _type_and_size(
            rng, category_effects, float(noise[i]), residual, len(v.nouns), len(v.sizes)
        )
        if category_effects is not None:  # the text now explains these effects too
            level_from_text[i] *= np.exp(
                category_effects.noun[chosen[0]] + category_effects.size[chosen[1]]
            )
        noun, title, desc = _title(rng, specs[int(c)].name, int(t), b, bool(best), chosen)
        nouns.append(noun)
        titles.append(title)
        descriptions.append(desc)

    sku_num = np.arange(first_sku, first_sku + n, dtype=np.int64)
    return ChunkCatalog(
        sku_num=sku_num,
        sku=[sku_id(int(s)) for s in sku_num],
        category=category,
        tier=tier,
        brand=brand,
        quality=quality,
        level=level,
        level_from_text=level_from_text,
        bestseller=bestseller,
        trend=trend,
        nb_dispersion=nb_k,
        list_price=list_price,
        new_list_price=new_list_price,
        price_change_day=price_change_day,
        unit_cost=unit_cost,
        lead_time=lead_time,
        moq=moq,
        pack_size=pack_size,
        launch_day=launch_day,
        catalog_day=catalog_day,
        ramp_tau=ramp_tau,
        disc_day=disc_day,
        disc_notice_day=disc_notice_day,
        incident_day=incident_day,
        incident_depth=incident_depth,
        noun=nouns,
        title=titles,
        description=descriptions,
    )


def on_sale_matrix(cat: ChunkCatalog, days: int) -> np.ndarray:
    """Boolean (n, days): launched and not yet discontinued."""
    d = np.arange(days)[None, :]
    return (d >= cat.launch_day[:, None]) & (d < cat.disc_day[:, None])


def list_price_matrix(cat: ChunkCatalog, days: int) -> np.ndarray:
    """List price per SKU and day, shape (n, days)."""
    d = np.arange(days)[None, :]
    changed = (cat.price_change_day[:, None] >= 0) & (d >= cat.price_change_day[:, None])
    return np.where(changed, cat.new_list_price[:, None], cat.list_price[:, None])


def catalog_rows_for_day(
    cat: ChunkCatalog, day: int, start: date, full_every: int, category_names: list[str]
) -> dict[str, list[object]]:
    """Catalog rows exported on `day`: new, changed, or all known SKUs on a full-snapshot day."""
    changed = (
        (cat.catalog_day == day)
        | (cat.disc_notice_day == day)
        | (cat.price_change_day == day)
        | ((day % full_every == 0) & (cat.catalog_day <= day))
    )
    idx = np.flatnonzero(changed)
    price = np.where(
        (cat.price_change_day[idx] >= 0) & (day >= cat.price_change_day[idx]),
        cat.new_list_price[idx],
        cat.list_price[idx],
    )
    disc_known = day >= cat.disc_notice_day[idx]
    return {
        "sku": [cat.sku[i] for i in idx],
        "title": [cat.title[i] for i in idx],
        "description": [cat.description[i] for i in idx],
        "category": [category_names[int(c)] for c in cat.category[idx]],
        "brand": [cat.brand[i] for i in idx],
        "list_price": [float(p) for p in price],
        "unit_cost": [float(c) for c in cat.unit_cost[idx]],
        "lead_time_days": [int(x) for x in cat.lead_time[idx]],
        "moq": [int(x) for x in cat.moq[idx]],
        "pack_size": [int(x) for x in cat.pack_size[idx]],
        "launched_at": [start + timedelta(days=int(x)) for x in cat.launch_day[idx]],
        "discontinued_at": [
            start + timedelta(days=int(dd)) if k else None
            for dd, k in zip(cat.disc_day[idx], disc_known, strict=True)
        ],
    }
