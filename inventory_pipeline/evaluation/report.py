"""The report folder: a Markdown summary, CSV tables, PNG plots and a JSON headline.

    summary.md                   the answer, in tables and pictures
    policy.csv                   simulation metrics: method x service level x segment
    frontier.csv                 average inventory needed to reach each fill rate, per method
    same_fill_rate.csv           each peer point vs the model's stock at the same fill rate
    policy_by_sku.csv            per SKU at the headline target (to see where a policy loses)
    accuracy.csv                 WQL / WAPE / coverage / bias: method x segment
    accuracy_by_horizon.csv      the same per horizon day
    gap_closed.csv               share of the best-baseline-to-oracle WQL gap (ground truth only)
    plots/accuracy_by_horizon.png, plots/tradeoff.png, plots/sku_timelines.png
    evaluation.json              range, origins, notes, config and the flat headline metrics

The verdict sentences are computed from the tables, never written by hand: where the model does
not win, the summary says so.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inventory_pipeline.evaluation.config import CHAMPION
from inventory_pipeline.evaluation.plots import (
    accuracy_by_horizon_png,
    calibration_png,
    pick_timeline_skus,
    sku_timelines_png,
    tradeoff_png,
)
from inventory_pipeline.evaluation.replay import RECORDED
from inventory_pipeline.evaluation.result import EvaluationResult
from inventory_pipeline.scoring.accuracy import ORACLE
from inventory_pipeline.scoring.segments import ACTUALS_TRUE

POLICY_COLUMNS: tuple[tuple[str, str, str], ...] = (  # (column, header, format)
    ("fill_rate", "fill rate", "{:.3f}"),
    ("cycle_service_level", "cycle service level", "{:.3f}"),
    ("avg_on_hand_units", "avg on hand (units)", "{:,.0f}"),
    ("avg_on_hand_value", "avg on hand (value)", "{:,.0f}"),
    ("lost_units", "lost units", "{:,.0f}"),
    ("stockout_days", "stockout days", "{:,.0f}"),
    ("orders", "orders", "{:,.0f}"),
    ("total_cost", "holding + lost margin", "{:,.0f}"),
)


def _fmt(value: Any, pattern: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return pattern.format(value)


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _label(method: str, result: EvaluationResult) -> str:
    if method == CHAMPION and result.model_version:
        return f"**champion** (v{result.model_version})"
    if method == RECORDED:
        return "shop's own policy (recorded)"
    return method


def policy_markdown(result: EvaluationResult, segment: str = "all") -> str:
    """The headline table: every forecaster's policy at the headline target."""
    table = result.policy_table(segment=segment)
    rows = []
    for row in table.iter_rows(named=True):
        rows.append(
            [_label(row["method"], result)] + [_fmt(row[c], f) for c, _, f in POLICY_COLUMNS]
        )
    return _md_table(["forecaster"] + [h for _, h, _ in POLICY_COLUMNS], rows)


def frontier_markdown(result: EvaluationResult) -> str:
    """Average inventory value each forecaster needs for each fill rate."""
    frontier = result.replay.frontier
    targets = sorted(set(frontier["fill_rate_target"].to_list()))
    rows = []
    for method in frontier["method"].unique(maintain_order=True).to_list():
        part = frontier.filter(pl.col("method") == method)
        cells = []
        for target in targets:
            row = part.filter(pl.col("fill_rate_target") == target).row(0, named=True)
            if row["note"] == "not reached":
                cells.append("not reached")
            elif row["note"] == "interpolated":
                cells.append(_fmt(row["avg_on_hand_value"], "{:,.0f}"))
            else:
                cells.append("≤ " + _fmt(row["avg_on_hand_value"], "{:,.0f}"))
        rows.append([_label(method, result)] + cells)
    return _md_table(["forecaster"] + [f"fill rate {t:.0%}" for t in targets], rows)


def _skus(mask: np.ndarray) -> int:
    return int(mask.any(axis=1).sum())


def verdict(result: EvaluationResult) -> list[str]:
    """Plain sentences comparing the model-driven policy with every peer-driven one."""
    if CHAMPION not in result.methods:
        return ["No model was evaluated: the tables compare the peers only."]
    level = result.config.headline_service_level
    table = {r["method"]: r for r in result.policy_table().iter_rows(named=True)}
    model = table[CHAMPION]
    peers = [m for m in result.peers if m in table]
    out = [
        (
            f"**Same target ({level:.0%}).** The model-driven policy fills "
            f"{model['fill_rate']:.1%} of demand (cycle service level "
            f"{model['cycle_service_level']:.3f}) with {model['avg_on_hand_value']:,.0f} of "
            f"average stock and {model['lost_units']:,.0f} lost units."
        ),
        "",
    ]
    for p in peers:
        row = table[p]
        stock = row["avg_on_hand_value"] / model["avg_on_hand_value"] - 1.0
        if model["lost_units"] > 0:
            lost = row["lost_units"] / model["lost_units"] - 1.0
            lost_text = f"{lost:+.0%} lost units"
        else:
            lost = math.inf if row["lost_units"] > 0 else 0.0
            lost_text = f"{row['lost_units']:,.0f} lost units (the model: 0)"
        versus = (
            "as many lost sales as"
            if lost == 0
            else f"{'more' if lost > 0 else 'fewer'} lost sales than"
        )
        out.append(
            f"- {p}: fills {row['fill_rate']:.1%} with {stock:+.0%} stock and {lost_text}: "
            f"{'less' if stock < 0 else 'more'} stock, {versus} the model."
        )
    out.append("")
    lean = [p for p in peers if table[p]["avg_on_hand_value"] < model["avg_on_hand_value"]]
    if lean:
        emptier = all(table[p]["fill_rate"] < model["fill_rate"] for p in lean)
        one = len(lean) == 1
        out.append(
            f"So at the same target {', '.join(lean)} hold{'s' if one else ''} less stock than "
            "the model"
            + (
                f" but fill{'s' if one else ''} less: compare at the same fill rate."
                if emptier
                else "."
            )
        )
    else:
        out.append("At the same target the model holds less stock than every peer.")
    if model["fill_rate"] < level:
        out.append(
            f"The model-driven policy fills less than {level:.0%} of demand at the {level:.0%} "
            "cycle-service target (see the horizon note below)."
        )
    out += ["", "**Same fill rate** (each peer point against the model's curve):"]
    same = result.replay.same_fill
    for p in peers:
        part = same.filter((pl.col("method") == p) & pl.col("stock_change").is_not_null())
        outside = same.filter((pl.col("method") == p) & pl.col("stock_change").is_null()).height
        if part.is_empty():
            out.append(f"- {p}: no point of its curve is inside the model's fill-rate range.")
            continue
        lo, hi = part["stock_change"].min(), part["stock_change"].max()
        fills = part["fill_rate"]

        def span(a: float, b: float, pattern: str) -> str:
            return (
                pattern.format(a)
                if pattern.format(a) == pattern.format(b)
                else (f"{pattern.format(a)} to {pattern.format(b)}")
            )

        change = f"{span(-hi, -lo, '{:.0%}')} less" if hi < 0 else span(lo, hi, "{:+.0%}")
        text = (
            f"- {p}: at the fill rates it reaches inside the model's range "
            f"({span(fills.min(), fills.max(), '{:.1%}')}) the model needs {change} stock"
        )
        if outside:
            text += f" ({outside} of its points lie outside the model's curve)"
        out.append(text + ".")
    masks = result.replay.segments
    if "cover_beyond_horizon" in masks and masks["cover_beyond_horizon"].any():
        seg = {
            (r["method"], r["segment"]): r
            for r in result.replay.inventory.filter(
                (pl.col("service_level") - level).abs() < 1e-9
            ).iter_rows(named=True)
        }
        beyond, within = "cover_beyond_horizon", "cover_within_horizon"
        H = result.horizon_days
        text = (
            f"**Horizon.** {_skus(masks[beyond])} SKUs have a lead time + review longer than the "
            f"{H}-day forecast horizon; the plan scales the day-{H} quantile to their cover "
            f"(reorder.plan_orders), blind to demand after day {H}. There the model fills "
            f"{seg[(CHAMPION, beyond)]['fill_rate']:.1%}"
        )
        if (ORACLE, beyond) in seg:
            text += f" and the oracle {seg[(ORACLE, beyond)]['fill_rate']:.1%}"
        text += (
            f"; for the {_skus(masks[within])} SKUs whose cover fits the horizon the model fills "
            f"{seg[(CHAMPION, within)]['fill_rate']:.1%}"
        )
        if (ORACLE, within) in seg:
            text += f" (oracle {seg[(ORACLE, within)]['fill_rate']:.1%})"
        out += ["", text + "."]
    return out


def same_fill_markdown(result: EvaluationResult) -> str:
    """Each peer point next to the model's stock at the same fill rate."""
    same = result.replay.same_fill
    mine = f"{CHAMPION}_avg_on_hand_value"
    if CHAMPION not in result.methods or same.is_empty():
        return ""
    rows = [
        [_label(r["method"], result), f"{r['service_level']:.0%}", f"{r['fill_rate']:.3f}",
         _fmt(r["avg_on_hand_value"], "{:,.0f}"), _fmt(r[mine], "{:,.0f}"),
         "outside the model's curve" if r["stock_change"] is None else f"{r['stock_change']:+.0%}"]
        for r in same.filter(pl.col("method") != ORACLE).iter_rows(named=True)
    ]  # fmt: skip
    return _md_table(
        ["peer", "peer target", "peer fill rate", "peer stock", "model stock, same fill rate",
         "model vs peer"], rows,
    )  # fmt: skip


def accuracy_markdown(result: EvaluationResult) -> str:
    """WQL / WAPE / coverage / bias per segment and method."""
    metrics = result.accuracy.metrics
    rows = []
    for segment in result.accuracy.cells.segments:
        part = metrics.filter(pl.col("segment") == segment)
        for i, method in enumerate(result.methods):
            r = part.filter(pl.col("method") == method).row(0, named=True)
            rows.append(
                [segment if i == 0 else "", str(r["cells"]) if i == 0 else "", method,
                 _fmt(r["wql"], "{:.3f}"), _fmt(r["wape"], "{:.3f}"),
                 _fmt(r["coverage"], "{:.3f}"), _fmt(r["bias"], "{:+.3f}")]
            )  # fmt: skip
    return _md_table(["segment", "cells", "method", "WQL", "WAPE", "cov80", "bias"], rows)


def segment_markdown(result: EvaluationResult) -> str:
    """The headline target's fill rate / inventory / lost units by segment."""
    inv = result.replay.inventory
    level = result.config.headline_service_level
    at = inv.filter(
        ((pl.col("service_level") - level).abs() < 1e-9) | (pl.col("method") == RECORDED)
    )
    rows = []
    for segment in at["segment"].unique(maintain_order=True).to_list():
        part = at.filter(pl.col("segment") == segment)
        for i, r in enumerate(part.iter_rows(named=True)):
            rows.append(
                [segment if i == 0 else "", _label(r["method"], result),
                 _fmt(r["sku_days"], "{:,.0f}"),
                 _fmt(r["fill_rate"], "{:.3f}"), _fmt(r["avg_on_hand_value"], "{:,.0f}"),
                 _fmt(r["lost_units"], "{:,.0f}")]
            )  # fmt: skip
    return _md_table(
        ["segment", "forecaster", "SKU-days", "fill rate", "avg on hand (value)", "lost units"],
        rows,
    )


def per_sku(result: EvaluationResult) -> pl.DataFrame:
    """Per SKU at the headline target: demand, sold, lost, mean stock, orders (scored days)."""
    shop, replay = result.shop, result.replay
    scored = replay.scored
    days = np.maximum(scored.sum(axis=1), 1)
    frames = []
    for method, path in replay.paths.items():
        frames.append(
            pl.DataFrame(
                {
                    "method": [method] * len(shop.skus),
                    "sku": shop.skus,
                    "category": shop.categories,
                    "lead_time_days": shop.lead_time_days,
                    "scored_days": scored.sum(axis=1),
                    "demand": (shop.demand * scored).sum(axis=1),
                    "sold": (path.sold * scored).sum(axis=1),
                    "lost": (path.lost * scored).sum(axis=1),
                    "avg_on_hand_units": (path.on_hand * scored).sum(axis=1) / days,
                    "avg_on_hand_value": (path.on_hand * scored).sum(axis=1)
                    / days
                    * shop.unit_cost,
                    "orders": (path.ordered > 0).sum(axis=1),
                }
            )
        )
    return pl.concat(frames)


def calibration_markdown(result: EvaluationResult) -> str:
    """Observed level of each method's cover quantiles, per decision level (all covers)."""
    table = result.calibration.filter(pl.col("bucket") == "all")
    if table.is_empty():
        return "No cover window ends inside the evaluated range."
    levels = sorted(table["level"].unique().to_list())
    rows = []
    for method in result.methods:
        part = table.filter(pl.col("method") == method)
        if part.is_empty():
            continue
        got = dict(zip(part["level"].to_list(), part["observed"].to_list()))
        rows.append(
            [_label(method, result)] + [_fmt(got.get(q), "{:.3f}") for q in levels]
            + [str(int(part["windows"].max()))]
        )  # fmt: skip
    return _md_table(["forecaster"] + [f"q{q:.2f}" for q in levels] + ["windows"], rows)


def summary_markdown(result: EvaluationResult, images: dict[str, str]) -> str:
    """The whole summary page."""
    cfg = result.config
    shop = result.shop
    actuals = (
        "the true demand of the generated shop's ground truth (before stockout censoring)"
        if result.actuals == ACTUALS_TRUE
        else "the observed units; **stockout days are excluded from every score** (their sales "
        "understate demand)"
    )
    model = (
        f"the champion model (registry version {result.model_version})"
        if result.model_version else "no model (peers only)"
    )  # fmt: skip
    oracle = ", and the oracle (the true demand distribution)." if ORACLE in result.methods else "."
    lines = [
        f"# Decision-quality evaluation, {result.start} .. {result.end}",
        "",
        (
            f"{len(shop.skus)} SKUs over {len(shop.days)} days; {len(result.origins)} forecast "
            f"origins every {cfg.origin_stride_days} days (horizon {result.horizon_days} days); "
            f"forecasters: {model} and {', '.join(result.peers)}{oracle}"
        ),
        "",
        f"Actuals: {actuals}.",
        "",
        *[f"> {note}" for note in result.notes],
        "",
        f"## The policy each forecaster drives, at a {cfg.headline_service_level:.0%} "
        "cycle-service target",
        "",
        (
            "Lost-sales simulation of the pipeline's order-up-to policy (nightly review, catalog "
            "lead times, MOQ and pack sizes, the same start stock and demand for every "
            "forecaster); metrics over the SKU-days after each SKU's first possible delivery. "
            f"Costs: holding {cfg.reorder.holding_cost_rate:.0%} of unit cost a year, lost "
            "margin = list price - unit cost."
        ),
        "",
        policy_markdown(result),
        "",
        *verdict(result),
        "",
        f"![fill rate vs inventory]({images['tradeoff']})",
        "",
        "### The same fill rate: stock of each peer point vs the model's curve",
        "",
        same_fill_markdown(result),
        "",
        "### Average inventory value needed to reach a fill rate (along each trade-off curve)",
        "",
        frontier_markdown(result),
        "",
        "### By segment",
        "",
        segment_markdown(result),
        "",
        f"## Forecast accuracy ({result.accuracy.actuals})",
        "",
        accuracy_markdown(result),
        "",
        f"![accuracy by horizon]({images['accuracy_by_horizon']})",
        "",
        "## Calibration of the quantiles the policy reads",
        "",
        (
            "Share of cover windows (lead time + review after an origin, ending inside the range) "
            "whose demand stayed at or below the forecaster's quantile of demand over that "
            "window; calibrated = the nominal level. Per cover bucket: calibration.csv and the "
            "plot."
        ),
        "",
        calibration_markdown(result),
        "",
        *([f"![calibration]({images['calibration']})", ""] if "calibration" in images else []),
    ]
    if "sku_timelines" in images:
        lines += ["## SKU timelines", "", f"![SKU timelines]({images['sku_timelines']})", ""]
    lines += [
        "## How this was computed",
        "",
        (
            "See docs/evaluation.md. Forecasts are re-made at every origin from the data as known "
            "on it and drive the reviews until the next origin. Peers' lead-time demand: "
            f"independent days, {cfg.lead_time_distribution} distribution matched to the summed "
            "means and variances; the model reads its own cumulative quantiles. Supplier delay "
            f"jitter: {cfg.lead_time_jitter:.0%} of the lead time. Run time: "
            f"{result.seconds:.0f} s."
        ),
        "",
    ]
    return "\n".join(lines)


def write_report(result: EvaluationResult) -> dict[str, Path]:
    """Write every file of the report folder; returns the paths by name."""
    out = result.out_dir
    plots = out / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    dpi = result.config.plot_dpi
    files: dict[str, Path] = {}

    def write(name: str, path: Path, data: bytes | str) -> None:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        files[name] = path

    tables = {
        "policy": result.replay.inventory,
        "frontier": result.replay.frontier,
        "same_fill_rate": result.replay.same_fill,
        "policy_by_sku": per_sku(result),
        "accuracy": result.accuracy.metrics,
        "accuracy_by_horizon": result.accuracy.by_horizon,
        "gap_closed": result.accuracy.gap,
        "calibration": result.calibration,
    }
    for name, frame in tables.items():
        frame.write_csv(out / f"{name}.csv")
        files[name] = out / f"{name}.csv"

    images = {
        "accuracy_by_horizon": accuracy_by_horizon_png(result.accuracy, dpi=dpi),
        "tradeoff": tradeoff_png(
            result.replay.inventory, result.config.headline_service_level,
            f"Fill rate vs inventory, {result.start} .. {result.end} "
            f"(targets {result.config.service_levels[0]:.0%}.."
            f"{result.config.service_levels[-1]:.0%})",
            dpi=dpi,
        ),
    }  # fmt: skip
    if not result.calibration.is_empty():
        images["calibration"] = calibration_png(
            result.calibration,
            f"Cover quantiles: observed vs nominal level, {result.start} .. {result.end}",
            dpi=dpi,
        )
    picks = pick_timeline_skus(result.shop, result.replay, result.config.timeline_skus)
    if picks:
        shown = [m for m in (CHAMPION, best_peer(result)) if m in result.replay.paths]
        images["sku_timelines"] = sku_timelines_png(
            result.shop, result.replay, result.accuracy, result.origins, shown, picks, dpi=dpi
        )
    relative = {}
    for name, png in images.items():
        write(f"plot_{name}", plots / f"{name}.png", png)
        relative[name] = f"plots/{name}.png"

    write("summary", out / "summary.md", summary_markdown(result, relative))
    meta = {
        "start": result.start.isoformat(),
        "end": result.end.isoformat(),
        "origins": [o.isoformat() for o in result.origins],
        "horizon_days": result.horizon_days,
        "model_version": result.model_version,
        "methods": list(result.methods),
        "actuals": result.actuals,
        "skus": len(result.shop.skus),
        "notes": list(result.notes),
        "timeline_skus": picks,
        "config": result.config.to_dict(),
        "metrics": result.headline(),
    }
    write("evaluation", out / "evaluation.json", json.dumps(meta, indent=2, default=str))
    return files


def best_peer(result: EvaluationResult) -> str | None:
    """The peer with the lowest holding + lost-margin cost at the headline target."""
    table = result.policy_table().filter(pl.col("method").is_in(list(result.peers)))
    if table.is_empty():
        return None
    return str(table.sort("total_cost")["method"][0])
