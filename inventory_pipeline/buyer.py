"""The day's orders as a buyer reads them: one row per order with what it buys and what it risks.

The reorder plan says how much to order; a buyer also wants to know what arrives when, how long
it lasts and how likely the shelf runs empty before it comes. These follow from the same
cumulative-demand quantiles the policy reads (never a sum of per-day quantiles). The sheet is
written to the outbox folder as CSV (and XLSX) for people who work in a spreadsheet.

Plain polars/numpy: the Dagster asset attaches the sheet as metadata and writes the files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

OUTBOX_DIR_ENV = "INVENTORY_OUTBOX_DIR"


@dataclass(frozen=True)
class BuyerSheetConfig:
    """Every tunable number of the buyer's view of a plan."""

    fan_chart_skus: int = 4  # the SKUs with the largest orders (by value) get a fan chart
    fan_history_days: int = 56  # days of sales shown before the forecast in a fan chart
    table_rows: int = 1000  # orders shown in the UI table (the files hold every order)


def outbox_dir(warehouse_root: Path) -> Path:
    """``$INVENTORY_OUTBOX_DIR``, else ``outbox/`` next to the warehouse (``<data>/outbox``)."""
    configured = os.environ.get(OUTBOX_DIR_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    return warehouse_root.parent / "outbox"


def stockout_risk(levels: np.ndarray, cum_at_lead: np.ndarray, position: np.ndarray) -> np.ndarray:
    """P(demand until arrival > stock position) per row, from the quantiles of that demand.

    ``levels``: (Q,); ``cum_at_lead``: (N, Q) quantiles of demand summed over the lead time;
    ``position``: (N,). The CDF is linear between quantiles and clamped to the outer levels, so
    the risk is never claimed to be below 1 − the top level nor above 1 − the bottom one.
    """
    cdf = np.array([np.interp(p, row, levels) for p, row in zip(position, cum_at_lead)])
    return 1.0 - cdf


def order_sheet(
    plan: pl.DataFrame,
    titles: dict[str, str],
    levels: tuple[float, ...],
    cumulative: np.ndarray,
    skus: list[str],
    currency: str,
) -> pl.DataFrame:
    """The day's orders (order_qty > 0), largest value first, with arrival, cover and risk.

    ``cumulative``: (N, H, Q) cumulative-demand quantiles of ``skus`` (the plan's forecast).
    Days of cover after arrival = (median stock left at arrival + the order) / median daily
    demand after arrival; null when no demand is expected after arrival.
    """
    orders = plan.filter(pl.col("order_qty") > 0).sort(
        ["order_value", "sku"], descending=[True, False]
    )
    if orders.is_empty():
        return pl.DataFrame(schema=_schema())
    index = {sku: i for i, sku in enumerate(skus)}
    rows = np.array([index[s] for s in orders["sku"]])
    horizon = cumulative.shape[1]
    level_arr = np.asarray(levels, dtype=float)
    median = int(np.argmin(np.abs(level_arr - 0.5)))
    lead = orders["lead_time_days"].to_numpy().astype(np.int64)
    at_lead = cumulative[rows, np.clip(lead, 1, horizon) - 1, :]  # (M, Q)
    at_lead = at_lead * np.maximum(lead / horizon, 1.0)[:, None]  # beyond the horizon: scaled
    position = (orders["on_hand"] + orders["on_order"]).to_numpy().astype(float)
    risk = stockout_risk(level_arr, at_lead, position)
    left_at_arrival = np.maximum(position - at_lead[:, median], 0.0)
    cum_median = cumulative[rows, :, median]  # (M, H)
    after = np.where(
        lead < horizon,
        (cum_median[:, -1] - cum_median[np.arange(len(rows)), np.clip(lead, 1, horizon) - 1])
        / np.maximum(horizon - lead, 1),
        cum_median[:, -1] / horizon,
    )  # median units a day after arrival
    qty = orders["order_qty"].to_numpy().astype(float)
    cover = np.where(after > 1e-9, (left_at_arrival + qty) / np.maximum(after, 1e-9), np.nan)
    plan_date = orders["plan_date"][0]
    return pl.DataFrame(
        {
            "sku": orders["sku"],
            "title": [titles.get(s, "") for s in orders["sku"]],
            "order_qty": orders["order_qty"].cast(pl.Int64),
            "packs": (orders["order_qty"] // orders["pack_size"].clip(lower_bound=1)).cast(
                pl.Int64
            ),
            "pack_size": orders["pack_size"].cast(pl.Int64),
            "order_value": orders["order_value"].round(2),
            "currency": [currency] * orders.height,
            "expected_arrival": [plan_date + timedelta(days=int(d)) for d in lead],
            "days_of_cover_after_arrival": pl.Series(np.round(cover, 1)).fill_nan(None),
            "stockout_risk_before_arrival": np.round(risk, 3),
            "reason": orders["reason"],
        },
        schema=_schema(),
    )


def _schema() -> dict[str, pl.DataType]:
    return {
        "sku": pl.String(), "title": pl.String(), "order_qty": pl.Int64(), "packs": pl.Int64(),
        "pack_size": pl.Int64(), "order_value": pl.Float64(), "currency": pl.String(),
        "expected_arrival": pl.Date(), "days_of_cover_after_arrival": pl.Float64(),
        "stockout_risk_before_arrival": pl.Float64(), "reason": pl.String(),
    }  # fmt: skip


def write_sheets(sheet: pl.DataFrame, folder: Path, plan_date: date) -> list[Path]:
    """``reorder_plan_<date>.csv`` and ``.xlsx`` in ``folder``, each written atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"reorder_plan_{plan_date.isoformat()}"
    written = []
    for suffix, write in ((".csv", sheet.write_csv), (".xlsx", _write_xlsx(sheet))):
        target = stem.with_suffix(suffix)
        tmp = target.with_name(f".{target.name}.tmp")
        write(tmp)
        tmp.replace(target)
        written.append(target)
    return written


def _write_xlsx(sheet: pl.DataFrame):
    def write(path: Path) -> None:
        sheet.write_excel(
            path, worksheet="orders", autofit=True,
            float_precision=2, column_formats={"stockout_risk_before_arrival": "0.0%"},
        )  # fmt: skip

    return write
