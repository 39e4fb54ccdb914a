"""The scenario's plot: uplift and margin against the discount, and fan charts with and without."""

from __future__ import annotations

from datetime import timedelta

import matplotlib.dates as mdates
import polars as pl

from inventory_pipeline.plots import plt, png_bytes
from inventory_pipeline.whatif.answer import ScenarioAnswer


def scenario_png(answer: ScenarioAnswer, fan_skus: int = 2, history_days: int = 28) -> bytes:
    """Top: uplift units and incremental margin per discount. Below: the SKUs with the largest
    uplift at the deepest discount, p10-p90 band and median with and without the promotion."""
    ranking = answer.ranking.sort("discount_pct")
    best = float(ranking["discount_pct"][-1])
    rows = answer.rows.filter(pl.col("discount_pct") == best)
    top = (
        rows.filter(pl.col("phase") == "promotion")
        .group_by("sku").agg(pl.col("incremental_units").sum())
        .sort("incremental_units", "sku", descending=[True, False])
        .head(fan_skus)["sku"].to_list()
    )  # fmt: skip
    fig, axes = plt.subplots(
        1 + len(top), 1, figsize=(9, 2.8 * (1 + len(top))), squeeze=False, layout="constrained"
    )
    ax = axes[0, 0]
    x = ranking["discount_pct"].to_list()
    ax.bar(
        [str(int(v)) if v == int(v) else str(v) for v in x],
        ranking["uplift_units"].to_list(),
        color="tab:blue",
        alpha=0.6,
        label="uplift (units, promotion days)",
    )
    ax.set_xlabel("discount %")
    ax.set_ylabel("units")
    twin = ax.twinx()
    twin.plot(
        range(len(x)),
        ranking["incremental_margin"].to_list(),
        "o-",
        color="tab:green",
        label="incremental margin",
    )
    twin.axhline(0, color="grey", lw=0.5)
    twin.set_ylabel("margin")
    ax.set_title(
        f"{answer.scenario.name}: {answer.scenario.start} to {answer.scenario.end}, "
        f"{answer.scenario.describe()} (as of {answer.as_of})"
    )
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="upper left")
    history = answer.features.history.filter(
        pl.col("date") > answer.as_of - timedelta(days=history_days)
    )
    for ax, sku in zip(axes[1:, 0], top):
        h = history.filter(pl.col("sku") == sku).sort("date")
        f = rows.filter(pl.col("sku") == sku).sort("date")
        ax.plot(h["date"].to_list(), h["units"].to_list(), color="black", lw=1, label="units sold")
        for arm, color in (("without", "tab:grey"), ("with", "tab:orange")):
            days = f["date"].to_list()
            ax.fill_between(
                days, f[f"p10_{arm}"].to_list(), f[f"p90_{arm}"].to_list(), color=color, alpha=0.25
            )
            ax.plot(
                days,
                f[f"p50_{arm}"].to_list(),
                color=color,
                lw=1.5,
                label=f"{arm} promotion (p50, p10-p90)"
                if arm == "without"
                else f"with {best:g}% off (p50, p10-p90)",
            )
        ax.axvspan(answer.scenario.start, answer.scenario.end, color="tab:orange", alpha=0.08)
        ax.set_title(sku, fontsize=9)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        ax.legend(fontsize=7, loc="upper left")
    return png_bytes(fig)
