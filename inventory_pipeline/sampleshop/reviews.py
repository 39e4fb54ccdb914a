"""Customer reviews that follow placed order lines and reflect (latent) product quality.

A unit from a bad batch (bought on or after the SKU's incident day) has a very low quality, so its
rating is low and its text talks about defects: the signal a text model should pick up before the
demand drop that follows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inventory_pipeline.sampleshop.catalog import ChunkCatalog
from inventory_pipeline.sampleshop.config import ShopConfig
from inventory_pipeline.sampleshop.outbox import Outbox
from inventory_pipeline.sampleshop.rand import pick
from inventory_pipeline.sampleshop.timefmt import format_timestamps, random_times_of_day
from inventory_pipeline.sampleshop.vocab import REVIEW_TEXT

MS_PER_DAY = 86_400_000
UPDATE_WORD = {
    "en": "Update:",
    "de": "Nachtrag:",
    "fr": "Mise à jour :",
    "es": "Actualización:",
    "it": "Aggiornamento:",
    "nl": "Update:",
}


@dataclass
class ReviewBatch:
    """Review rows bound for one export day."""

    review_id: list[str]
    sku_idx: np.ndarray  # int64
    rating: np.ndarray  # int64
    title: list[str]
    body: list[str]
    created_at: np.ndarray  # str
    created_at_ms: np.ndarray  # datetime64[ms]

    def __len__(self) -> int:
        return len(self.review_id)


def _sentiment(rating: int, defect: bool) -> str:
    if rating <= 2:
        return "defect" if defect else "negative"
    return "neutral" if rating == 3 else "positive"


def _text(rng: np.random.Generator, lang: str, sentiment: str, noun: str) -> tuple[str, str]:
    titles, bodies = REVIEW_TEXT[lang][sentiment]
    return pick(rng, titles), pick(rng, bodies).replace("{noun}", noun.lower())


class ReviewMaker:
    """Creates the reviews of one chunk; holds the chunk's review-id counter."""

    def __init__(
        self, config: ShopConfig, cat: ChunkCatalog, chunk_index: int, last_day: int
    ) -> None:
        self.config = config
        self.cat = cat
        self.chunk_index = chunk_index
        self.last_day = last_day
        self.next_id = 0
        self.languages = list(config.language_shares)
        unknown = sorted(set(self.languages) - set(REVIEW_TEXT))
        if unknown:
            raise ValueError(
                f"language_shares names languages without review text: {unknown}; "
                f"use some of {sorted(REVIEW_TEXT)} (vocab.REVIEW_TEXT)"
            )
        w = np.array(list(config.language_shares.values()))
        self.language_p = w / w.sum()

    def make(
        self,
        day: int,
        epoch_ms: np.datetime64,
        line_sku: np.ndarray,
        ordered_ms: np.ndarray,
        outbox: Outbox[ReviewBatch],
        rng: np.random.Generator,
    ) -> int:
        """Draw reviews for the lines sold on `day` and schedule them; returns how many."""
        cfg, cat = self.config, self.cat
        pick = rng.random(len(line_sku)) < cfg.review_share
        sku = line_sku[pick]
        m = len(sku)
        if m == 0:
            return 0
        lo, hi = cfg.review_delay_days
        delay = np.minimum(rng.integers(lo, hi + 1, m), rng.integers(lo, hi + 1, m))
        created_day = day + delay
        late = (rng.random(m) < cfg.review_late_share).astype(np.int64)
        export_day = created_day + late
        keep = export_day <= self.last_day
        sku, created_day, export_day = sku[keep], created_day[keep], export_day[keep]
        m = len(sku)
        if m == 0:
            return 0
        created = (
            epoch_ms
            + (created_day * MS_PER_DAY).astype("timedelta64[ms]")
            + random_times_of_day(m, cfg, rng).astype("timedelta64[ms]")
        )
        defect = (cat.incident_day[sku] >= 0) & (day >= cat.incident_day[sku])
        quality = np.where(defect, cfg.incident_quality, cat.quality[sku])
        latent = (
            cfg.review_rating_base
            + cfg.review_rating_scale * quality
            + rng.normal(0.0, cfg.review_rating_noise, m)
        )
        rating = np.clip(np.rint(latent), 1, 5).astype(np.int64)
        lang = rng.choice(len(self.languages), size=m, p=self.language_p)
        empty_title = rng.random(m) < cfg.review_empty_title_share
        empty_body = rng.random(m) < cfg.review_empty_body_share
        ids, titles, bodies = [], [], []
        for j in range(m):
            language = self.languages[int(lang[j])]
            title, body = _text(
                rng, language, _sentiment(int(rating[j]), bool(defect[j])), cat.noun[int(sku[j])]
            )
            ids.append(f"R-{self.chunk_index:04d}-{self.next_id:08d}")
            self.next_id += 1
            titles.append("" if empty_title[j] else title)
            bodies.append("" if empty_body[j] else body)
        stamp = format_timestamps(created, cfg, rng)
        batch = ReviewBatch(ids, sku, rating, titles, bodies, stamp, created)
        for d in np.unique(export_day):
            sel = np.flatnonzero(export_day == d)
            outbox.put(int(d), _take(batch, sel))

        # some reviewers edit their review later: same id, new rating and text, later folder
        edit_day = export_day + rng.integers(1, 11, m)
        edit = np.flatnonzero((rng.random(m) < cfg.review_edit_share) & (edit_day <= self.last_day))
        if len(edit):
            new_rating = np.clip(rating[edit] + rng.choice([-1, 1], size=len(edit)), 1, 5)
            new_bodies = []
            for j, r in zip(edit, new_rating, strict=True):
                language = self.languages[int(lang[j])]
                _, extra = _text(
                    rng, language, _sentiment(int(r), bool(defect[j])), cat.noun[int(sku[j])]
                )
                new_bodies.append(f"{bodies[j]}\n\n{UPDATE_WORD[language]} {extra}".strip())
            edited = _take(batch, edit)
            edited.rating = new_rating
            edited.body = new_bodies
            for d in np.unique(edit_day[edit]):
                sel = np.flatnonzero(edit_day[edit] == d)
                outbox.put(int(d), _take(edited, sel))
        return m


def _take(batch: ReviewBatch, sel: np.ndarray) -> ReviewBatch:
    return ReviewBatch(
        review_id=[batch.review_id[i] for i in sel],
        sku_idx=batch.sku_idx[sel],
        rating=batch.rating[sel],
        title=[batch.title[i] for i in sel],
        body=[batch.body[i] for i in sel],
        created_at=batch.created_at[sel],
        created_at_ms=batch.created_at_ms[sel],
    )
