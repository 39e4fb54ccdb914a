"""Headline figures of a generated shop, read from its ground truth: does a profile do what it says?

    python -m inventory_pipeline.sampleshop.stats <truth folder>

Launches and launch curve, supplier lead times, promotion lift and the dip after, each event's
lift (or drop) against the days around it, intermittency. All from `daily.parquet` and
`products.parquet`; expected demand (the simulated mean) is used where noise would blur a ratio.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

LAUNCH_AGES: tuple[int, ...] = (1, 7, 14, 28, 56)  # days on sale (1 = launch day)
SETTLED_AGES: tuple[int, int] = (85, 112)  # the launch curve is relative to these ages' mean
EVENT_NEIGHBOURHOOD_DAYS = 14  # an event is compared with the event-free days this close
DIP_DAYS = 7  # days after a promotion counted as its dip


def _launch_curve(daily: pl.DataFrame, products: pl.DataFrame) -> dict[str, float]:
    first_day = daily["date"].min()
    new = products.filter(pl.col("launched_at") > first_day).select("sku", "launched_at")
    aged = daily.join(new, on="sku").with_columns(
        age=(pl.col("date") - pl.col("launched_at")).dt.total_days() + 1
    )
    settled = (
        aged.filter(pl.col("age").is_between(*SETTLED_AGES))
        .group_by("sku")
        .agg(settled=pl.col("expected_demand").mean())
        .filter(pl.col("settled") > 0)
    )
    rel = aged.join(settled, on="sku").with_columns(
        rel=pl.col("expected_demand") / pl.col("settled")
    )
    out = {}
    for age in LAUNCH_AGES:
        values = rel.filter(pl.col("age") == age)["rel"]
        if len(values):
            out[f"day_{age}"] = round(_num(values.median()), 3)
    return out


def _promotions(daily: pl.DataFrame) -> dict[str, float]:
    d = daily.sort("sku", "date").with_columns(
        last_promo=pl.when(pl.col("on_promo")).then(pl.col("date")).forward_fill().over("sku")
    )
    d = d.with_columns(since=(pl.col("date") - pl.col("last_promo")).dt.total_days())
    normal = (pl.col("since").is_null() | (pl.col("since") > 3 * DIP_DAYS)) & pl.col(
        "event"
    ).is_null()
    per_sku = d.group_by("sku").agg(
        normal=pl.col("expected_demand").filter(normal).mean(),
        promo=pl.col("expected_demand").filter(pl.col("on_promo")).mean(),
        dip=pl.col("expected_demand").filter(pl.col("since").is_between(1, DIP_DAYS)).mean(),
    )
    per_sku = per_sku.filter(pl.col("normal") > 0)
    lift = per_sku["promo"] / per_sku["normal"]
    dip = per_sku["dip"] / per_sku["normal"]
    promo_days = daily.filter(pl.col("on_promo"))
    discount = promo_days["discount_pct"]
    return {
        "promo_day_share": round(promo_days.height / max(daily.height, 1), 4),
        "discount_max_pct": _num(discount.max()),
        "discount_mean_pct": round(_num(discount.mean()), 1),
        "lift_median": round(_num(lift.median()), 2),
        "lift_p90": round(_num(lift.quantile(0.9)), 2),
        "after_dip_median": round(_num(dip.median()), 2),
    }


def _num(value: object) -> float:
    """A polars scalar as a float (NaN when there was nothing to aggregate)."""
    return float(value) if value is not None else float("nan")  # type: ignore[arg-type]


def _events(daily: pl.DataFrame) -> dict[str, float]:
    per_day = daily.group_by("date").agg(
        total=pl.col("expected_demand").sum(), event=pl.col("event").first()
    )
    per_day = per_day.sort("date")
    plain = per_day.filter(pl.col("event").is_null())
    span = EVENT_NEIGHBOURHOOD_DAYS
    out = {}
    for name in sorted(per_day["event"].drop_nulls().unique().to_list()):
        days = per_day.filter(pl.col("event") == name)
        near = set()
        for d in days["date"]:
            near.update(d + timedelta(days=k) for k in range(-span, span + 1))
        around = plain.filter(pl.col("date").is_in(sorted(near)))
        if around.height:
            out[name] = round(_num(days["total"].mean()) / _num(around["total"].mean()), 2)
    return out


def shop_stats(truth: Path) -> dict[str, Any]:
    """Figures of the shop whose ground truth is in `truth` (see the module docstring)."""
    daily = pl.read_parquet(truth / "daily.parquet")
    products = pl.read_parquet(truth / "products.parquet")
    summary = json.loads((truth / "summary.json").read_text(encoding="utf-8"))
    first_day = daily["date"].min()
    lead = products["lead_time_days"]
    return {
        "profile": summary["arguments"].get("profile", "default"),
        "skus": products.height,
        "launch_share": round(
            products.filter(pl.col("launched_at") > first_day).height / products.height, 3
        ),
        "launch_curve": _launch_curve(daily, products),
        "lead_time_days": {"min": lead.min(), "median": lead.median(), "max": lead.max()},
        "promotions": _promotions(daily),
        "event_lift": _events(daily),
        "zero_sales_day_share": round(_num((daily["sales"] == 0).mean()), 3),
        "segments": dict(sorted(summary["summary"]["segments"].items())),
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m inventory_pipeline.sampleshop.stats <truth folder>")
    print(json.dumps(shop_stats(Path(sys.argv[1])), indent=2, default=str))
