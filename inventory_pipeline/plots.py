"""Plots people would rather look at than read: PNG bytes for MLflow and the Dagster UI."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
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


def calibration_png(
    table: pl.DataFrame,
    title: str,
    dpi: int = 100,
    style: Callable[[str], dict[str, object]] | None = None,
    reference_label: str = "nominal",
) -> bytes:
    """Observed vs nominal level of the plan's cover quantiles, one panel per cover bucket, one
    line per method of ``table`` (columns bucket, level, method, observed, windows), in the
    table's order; ``style`` gives a method's line style (default: matplotlib's cycle)."""
    buckets = ["all", *sorted(b for b in table["bucket"].unique().to_list() if b != "all")]
    figure, axes = plt.subplots(1, len(buckets), figsize=(4.2 * len(buckets), 4.0), squeeze=False)
    for axis, bucket in zip(axes[0], buckets):
        part = table.filter((pl.col("bucket") == bucket) & (pl.col("windows") > 0))
        levels = sorted(part["level"].unique().to_list()) or [0.8, 0.99]
        axis.plot(levels, levels, color="grey", linestyle=":", label=reference_label)
        for method in part["method"].unique(maintain_order=True).to_list():
            rows = part.filter(pl.col("method") == method).sort("level")
            extra = style(method) if style is not None else {}
            axis.plot(rows["level"], rows["observed"], marker="o", label=method, **extra)
        windows = int(part["windows"].max()) if part.height else 0
        axis.set(
            xlabel="nominal level of the cover quantile",
            ylabel="share of windows covered",
            title=f"cover {bucket} ({windows} windows)",
        )
        axis.grid(alpha=0.3)
    axes[0][0].legend(loc="upper left", fontsize="small")
    figure.suptitle(title)
    figure.tight_layout()
    return png_bytes(figure, dpi)
