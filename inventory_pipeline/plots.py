"""Plots people would rather look at than read: PNG bytes for MLflow and the Dagster UI."""

from __future__ import annotations

import base64
import io
from datetime import date

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure


def png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes, trimmed to its content; closes it (pyplot keeps figures alive)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def markdown_image(png: bytes, alt: str) -> str:
    """A PNG inlined in Markdown (what the Dagster UI renders in asset metadata)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"


def fan_chart(
    history: pl.DataFrame,
    forecasts: pl.DataFrame,
    skus: list[str],
    title: str,
    labels: dict[str, str] | None = None,
    arrivals: dict[str, date] | None = None,
) -> bytes:
    """Recent daily units and the p10–p90 band with the median, one panel per SKU.

    ``history``: sku, date, units, stockout; ``forecasts``: sku, target_date, p10, p50, p90.
    ``labels``: panel titles per SKU (default the SKU); ``arrivals``: a dashed line on the day an
    order arrives. The legend sits below the panels, never over the data.
    """
    fig, axes = plt.subplots(len(skus), 1, figsize=(9, 2.4 * len(skus)), squeeze=False)
    for ax, sku in zip(axes[:, 0], skus):
        h = history.filter(pl.col("sku") == sku).sort("date")
        f = forecasts.filter(pl.col("sku") == sku).sort("target_date")
        ax.plot(h["date"].to_list(), h["units"].to_list(), color="black", lw=1, label="units sold")
        censored = h.filter(pl.col("stockout"))
        ax.scatter(
            censored["date"].to_list(),
            censored["units"].to_list(),
            color="red",
            s=10,
            label="stockout (censored)",
            zorder=3,
        )
        ax.fill_between(
            f["target_date"].to_list(),
            f["p10"].to_list(),
            f["p90"].to_list(),
            color="tab:blue",
            alpha=0.25,
            label="p10–p90",
        )
        ax.plot(
            f["target_date"].to_list(), f["p50"].to_list(), color="tab:blue", lw=1.5, label="p50"
        )
        if arrivals and sku in arrivals:
            ax.axvline(arrivals[sku], color="tab:green", ls="--", lw=1, label="order arrives")
        ax.set_title((labels or {}).get(sku, sku), fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
    handles: dict[str, object] = {}
    for ax in axes[:, 0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="upper center",
        ncol=len(handles),
        fontsize=8,
        bbox_to_anchor=(0.5, 0.0),
        frameon=False,
    )
    return png_bytes(fig)
