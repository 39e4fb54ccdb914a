"""Promotion plans: event campaigns and ad-hoc promotions, announced ahead, sometimes re-planned.

The demand simulation uses the final version of each plan; the landing zone receives every
version on the day it was announced or changed, so a forecast made on day D can only know the
plans delivered up to D.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from inventory_pipeline.sampleshop.catalog import ChunkCatalog
from inventory_pipeline.sampleshop.config import ShopConfig, ShopEvent
from inventory_pipeline.sampleshop.events import event_occurrences
from inventory_pipeline.sampleshop.rand import pick
from inventory_pipeline.sampleshop.vocab import PROMO_NAMES_BY_MONTH, PROMO_TYPE_NAMES

PROMO_TYPES: tuple[str, ...] = ("discount", "flash_sale", "bundle", "free_shipping")
REPLAN_MAX_SHIFT_DAYS = 5
MIN_GAP_DAYS = 1  # days between two promotions of one SKU


@dataclass
class PromoPlan:
    """Final promotions (what happens) and every delivered version (what the shop announced)."""

    sku_idx: np.ndarray  # (p,) chunk-local SKU index of each final promotion
    start: np.ndarray  # (p,) first day (relative to the start date)
    end: np.ndarray  # (p,) last day, inclusive
    discount_pct: np.ndarray  # (p,) percent
    promo_type: np.ndarray  # (p,) index into PROMO_TYPES
    deliveries: dict[str, list[object]]  # landing rows (+ "export_day"), sorted by export day

    def deliveries_on(self, day: int) -> dict[str, list[object]]:
        """The promotion rows exported in the folder of `day`."""
        ed = self.deliveries["export_day"]
        lo = int(np.searchsorted(ed, day, side="left"))
        hi = int(np.searchsorted(ed, day, side="right"))
        return {k: v[lo:hi] for k, v in self.deliveries.items() if k != "export_day"}


def _event_windows(
    events: tuple[ShopEvent, ...], start: date, days: int, rng: np.random.Generator
) -> list[tuple[ShopEvent, int, int]]:
    """Campaign windows (event, first day, last day) around the events that have a campaign."""
    end = start + timedelta(days=days - 1)
    windows: list[tuple[ShopEvent, int, int]] = []
    seen: set[tuple[str, date]] = set()
    for d, rank, k in event_occurrences(start, end, events):
        event = events[rank]
        campaign = event.campaign
        occurrence = (event.name, d - timedelta(days=k))  # one campaign per occurrence
        if campaign is None or occurrence in seen:
            continue
        seen.add(occurrence)
        i = (d - start).days  # its first day inside the period
        if campaign.start_jitter_days > 0:
            first = i + campaign.first + int(rng.integers(0, campaign.start_jitter_days))
            last = min(first + int(rng.integers(*campaign.span_days)), i + campaign.last)
            windows.append((event, first, last))
        else:
            windows.append((event, i + campaign.first, i + campaign.last))
    return windows


def _discount(rng: np.random.Generator, config: ShopConfig, ptype: int) -> float:
    lo, hi = {
        0: config.discount_range,
        1: config.flash_sale_discount_range,
        2: config.bundle_discount_range,
    }.get(ptype, (0, 0))
    if hi == 0:
        return 0.0
    pct = float(5 * rng.integers(lo // 5, hi // 5 + 1))
    if rng.random() < 0.05 and pct + 2.5 <= hi:
        pct += 2.5
    return pct


def _name_template(
    rng: np.random.Generator, start: date, ptype: int, event: ShopEvent | None
) -> str:
    """Campaign text with a "{pct}" slot, filled per version (a re-plan may change the discount)."""
    if event is not None and event.campaign is not None:
        names = event.campaign.names
        if PROMO_TYPES[ptype] == "free_shipping":  # no discount to advertise
            names = tuple(n for n in names if "{pct}" not in n)
        return pick(rng, names)
    base = pick(rng, PROMO_NAMES_BY_MONTH[start.month])
    return pick(rng, PROMO_TYPE_NAMES[PROMO_TYPES[ptype]]).replace("{base}", base)


def plan_promotions(
    config: ShopConfig,
    cat: ChunkCatalog,
    chunk_index: int,
    start: date,
    days: int,
    rng: np.random.Generator,
) -> PromoPlan:
    """Draw, de-overlap, announce and re-plan the promotions of one chunk."""
    n = cat.n
    first_day = np.maximum(cat.launch_day, 0)
    last_day = np.minimum(cat.disc_day, days) - 1
    type_p = np.array(config.promo_type_shares)

    # (sku, start, end, type, event) candidates
    cands: list[tuple[int, int, int, int, ShopEvent | None]] = []
    for event, lo, hi in _event_windows(config.events, start, days, rng):
        assert event.campaign is not None
        fixed = event.campaign.promo_type
        joins = np.flatnonzero(rng.random(n) < config.event_campaign_share)
        for i in joins:
            if event.lift(config.categories[int(cat.category[i])].name) <= 1.0:
                continue
            ptype = PROMO_TYPES.index(fixed) if fixed else pick(rng, (0, 0, 0, 2, 3))
            cands.append((int(i), lo, hi, ptype, event))
    years = np.maximum(last_day - first_day + 1, 0) / 365.25
    counts = rng.poisson(config.random_promos_per_year * years)
    for i in np.flatnonzero(counts):
        for _ in range(int(counts[i])):
            ptype = int(rng.choice(len(PROMO_TYPES), p=type_p))
            s = int(rng.integers(first_day[i], last_day[i] + 1))
            lo_d, hi_d = config.flash_sale_days_range if ptype == 1 else config.promo_days_range
            cands.append((int(i), s, s + int(rng.integers(lo_d, hi_d + 1)) - 1, ptype, None))
    cands.sort(key=lambda c: (c[0], c[1], c[2], c[3]))

    lo_a, hi_a = config.announce_days
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "export_day",
            "promo_id",
            "sku",
            "start_date",
            "end_date",
            "discount_pct",
            "promo_type",
            "name",
        )
    }
    final: list[tuple[int, int, int, float, int]] = []
    busy_until = np.full(n, -(10**9))
    for i, s, e, ptype, event in cands:
        if s < max(first_day[i], lo_a) or e > last_day[i] or s > days - 1:
            continue
        announce = max(s - int(rng.integers(lo_a, hi_a + 1)), int(cat.catalog_day[i]), 0)
        if s - announce < lo_a:
            continue
        pct = _discount(rng, config, ptype)
        orig = (s, e, pct)
        replan_day = -1
        if rng.random() < config.replan_share and s - announce >= 2:
            replan_day = announce + int(rng.integers(1, s - announce))
            if rng.random() < 0.5 and ptype != 3:
                alt = _discount(rng, config, ptype)
                orig = (s, e, alt if alt != pct else max(pct - 5.0, 5.0))
            else:
                shift = int(rng.integers(-REPLAN_MAX_SHIFT_DAYS, REPLAN_MAX_SHIFT_DAYS + 1)) or 1
                o_s = max(s + shift, replan_day + 1, announce + lo_a)
                orig = (o_s, max(o_s, e + shift), pct)
            if orig == (s, e, pct):
                replan_day = -1
        lo_u, hi_u = min(s, orig[0]), max(e, orig[1])
        if lo_u <= busy_until[i] + MIN_GAP_DAYS:
            continue
        busy_until[i] = hi_u
        promo_id = f"P-{chunk_index:04d}-{len(final):06d}"
        final.append((i, s, e, pct, ptype))
        versions = (
            [(announce, orig)] if replan_day < 0 else [(announce, orig), (replan_day, (s, e, pct))]
        )
        name = _name_template(rng, start + timedelta(days=s), ptype, event)
        for export_day, (vs, ve, vpct) in versions:
            rows["export_day"].append(export_day)
            rows["promo_id"].append(promo_id)
            rows["sku"].append(cat.sku[i])
            rows["start_date"].append(start + timedelta(days=vs))
            rows["end_date"].append(start + timedelta(days=ve))
            rows["discount_pct"].append(vpct)
            rows["promo_type"].append(PROMO_TYPES[ptype])
            rows["name"].append(name.replace("{pct}", f"{vpct:g}"))

    order = sorted(
        range(len(rows["export_day"])), key=lambda k: (rows["export_day"][k], rows["promo_id"][k])
    )
    deliveries = {k: [v[j] for j in order] for k, v in rows.items()}
    deliveries["export_day"] = np.array(deliveries["export_day"], dtype=np.int64)  # type: ignore[assignment]
    arr = np.array(final, dtype=float).reshape(-1, 5)
    return PromoPlan(
        sku_idx=arr[:, 0].astype(np.int64),
        start=arr[:, 1].astype(np.int64),
        end=arr[:, 2].astype(np.int64),
        discount_pct=arr[:, 3],
        promo_type=arr[:, 4].astype(np.int64),
        deliveries=deliveries,
    )
