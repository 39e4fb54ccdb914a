"""Are the quantiles the reorder policy reads calibrated? Coverage of demand over each SKU's cover.

The plan orders up to the 0.80–0.99 quantile of demand summed over lead time + review period, so
that is the forecast to check, not the per-day p10/p50/p90 the accuracy tables score. At every
origin and for every SKU whose cover window ends inside the evaluated range, each forecaster's
cover quantile at each decision level (read as the policy reads it, catalog lead time) is compared
with the demand that followed over exactly that window. The share of windows at or below the
quantile is its observed level: a calibrated forecaster's 95% quantile covers 95% of windows.
Windows with a day whose demand is unknown (a stockout day of a real shop) are left out.

Reported overall and per cover bucket (short covers, covers up to the horizon, covers beyond the
horizon, where the policy scales the horizon's quantile).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from inventory_pipeline.evaluation.forecasts import OriginForecasts
from inventory_pipeline.evaluation.shop import ShopDays
from inventory_pipeline.reorder import ReorderConfig, cover_quantile
from inventory_pipeline.scoring.calibration import (
    CALIBRATION_SCHEMA,
    cover_buckets,
    miscalibration,
)

__all__ = ["CALIBRATION_SCHEMA", "cover_buckets", "decision_calibration", "miscalibration"]


def decision_calibration(
    shop: ShopDays,
    forecasts: Sequence[OriginForecasts],
    methods: Sequence[str],
    levels: Sequence[float],
    policy: ReorderConfig,
    bucket_edges: Sequence[int] = (14,),
) -> pl.DataFrame:
    """(method, bucket, level, windows, observed) over every complete cover window."""
    fixed = ReorderConfig(review_period_days=policy.review_period_days)  # catalog lead time
    row_of = {sku: i for i, sku in enumerate(shop.skus)}
    days = shop.demand.shape[1]
    cum_demand = np.concatenate(
        [np.zeros((len(shop.skus), 1)), np.cumsum(shop.demand, axis=1)], axis=1
    )
    cum_unusable = np.concatenate(
        [np.zeros((len(shop.skus), 1)), np.cumsum(~shop.usable, axis=1)], axis=1
    )
    hits: dict[tuple[str, str, float], list[int]] = {}
    for block in forecasts:
        o = (block.origin - shop.start).days  # forecast day h is shop day o + h
        local = [k for k, sku in enumerate(block.skus) if sku in row_of]
        if not local:
            continue
        rows = np.array([row_of[block.skus[k]] for k in local], dtype=np.int64)
        lead = shop.lead_time_days[rows]
        cover = lead + policy.review_period_days
        last = o + cover  # the window: shop days o + 1 .. o + cover
        keep = np.flatnonzero((o + 1 >= 0) & (last < days))
        if not len(keep):
            continue
        r, lo, hi = rows[keep], o + 1, last[keep]
        realised = cum_demand[r, hi + 1] - cum_demand[r, lo]
        known = (cum_unusable[r, hi + 1] - cum_unusable[r, lo]) == 0
        for method in methods:
            forecast = block.methods.get(method)
            if forecast is None:
                continue
            cumulative = forecast.cumulative[np.asarray(local)[keep]]
            buckets = np.array(cover_buckets(cover[keep], bucket_edges, cumulative.shape[1]))
            for level in levels:
                q = cover_quantile(
                    forecast.cum_levels, cumulative, lead[keep], np.full(len(keep), level), fixed,
                    forecast.cover_recalibration,
                )  # fmt: skip
                covered = (realised <= q + 1e-9) & known
                for bucket in ("all", *sorted(set(buckets))):
                    mask = known if bucket == "all" else known & (buckets == bucket)
                    cell = hits.setdefault((method, bucket, float(level)), [0, 0])
                    cell[0] += int(covered[mask].sum())
                    cell[1] += int(mask.sum())
    rows_out = [
        (method, bucket, level, n, hit / n if n else float("nan"))
        for (method, bucket, level), (hit, n) in hits.items()
    ]
    return pl.DataFrame(rows_out, schema=CALIBRATION_SCHEMA, orient="row").sort(
        "method", "bucket", "level"
    )
