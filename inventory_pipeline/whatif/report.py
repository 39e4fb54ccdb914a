"""The answer as text: for the command line (the discounts ranked, then each SKU's figures) and
as the Markdown ranking the what-if asset shows in the UI."""

from __future__ import annotations

import polars as pl

from inventory_pipeline.whatif.answer import ScenarioAnswer


def answer_text(answer: ScenarioAnswer, currency: str = "") -> str:
    """A plain-text report: ranking by incremental margin, then per discount and SKU."""
    s = answer.scenario
    model = f"{answer.rows['model_name'][0]} v{answer.rows['model_version'][0]}"
    title = f"what-if {s.name}: {s.describe()}, {s.start} to {s.end} ({s.days} days)"
    header = (
        f"{'rank':>4} {'discount':>8} {'uplift':>9} {'uplift%':>8} {'dip':>8} "
        f"{'incr.revenue':>13} {'incr.margin':>12} {'order now':>10} {'(without)':>10}"
    )
    lines = [f"{title}, as of {answer.as_of}, model {model}", "", header]
    for r in answer.ranking.iter_rows(named=True):
        share = "n/a" if r["uplift_share"] is None else f"{r['uplift_share']:+.0%}"
        lines.append(
            f"{r['margin_rank']:>4} {r['discount_pct']:>7g}% {r['uplift_units']:>9.1f} "
            f"{share:>8} {r['dip_units']:>8.1f} {r['incremental_revenue']:>13.2f} "
            f"{r['incremental_margin']:>12.2f} {r['order_qty_with']:>10} "
            f"{r['order_qty_without']:>10}"
        )
    per_sku = (
        answer.rows.group_by("discount_pct", "sku", maintain_order=True)
        .agg(
            pl.col("incremental_units").filter(pl.col("phase") == "promotion")
            .sum()
            .alias("uplift"),
            pl.col("incremental_units").filter(pl.col("phase") == "after").sum().alias("dip"),
            pl.col("incremental_margin").sum().alias("margin"),
            pl.col("order_qty_with").first(), pl.col("order_qty_without").first(),
            pl.col("order_by").first(), pl.col("days_late").first(),
        )
        .sort("discount_pct", "sku")
    )  # fmt: skip
    sku_header = (
        f"{'discount':>8} {'sku':<14} {'uplift':>8} {'dip':>7} {'incr.margin':>12} "
        f"{'order now':>10} {'order by':>11}"
    )
    lines += ["", sku_header]
    for r in per_sku.iter_rows(named=True):
        late = f" (late by {r['days_late']} d: lead time)" if r["days_late"] else ""
        lines.append(
            f"{r['discount_pct']:>7g}% {r['sku']:<14} {r['uplift']:>8.1f} {r['dip']:>7.1f} "
            f"{r['margin']:>12.2f} {r['order_qty_with']:>10} {r['order_by'].isoformat():>11}{late}"
        )
    if currency:
        lines.append(f"\namounts in {currency}; units are expected units")
    return "\n".join(lines)


def ranking_markdown(ranking: pl.DataFrame, currency: str = "") -> str:
    """The discounts ranked by expected incremental margin, as a Markdown table."""
    lines = [
        "| rank | discount | uplift units | uplift | dip units | incr. margin | order now |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in ranking.iter_rows(named=True):
        share = r["uplift_share"]
        lines.append(
            f"| {r['margin_rank']} | {r['discount_pct']:g}% | {r['uplift_units']:.1f} | "
            f"{'n/a' if share is None else f'{share:+.0%}'} | {r['dip_units']:.1f} | "
            f"{r['incremental_margin']:.2f}{currency} | {r['order_qty_with']} "
            f"(without: {r['order_qty_without']}) |"
        )
    return "\n".join(lines)
