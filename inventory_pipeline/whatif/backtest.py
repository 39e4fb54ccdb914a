"""How well the what-if predicts a promotion's uplift, measured on promotions that happened.

Each promotion that started in a block (validation or backtest) is asked as a what-if from an
origin before its announcement (the day before; when the promotion would end past the horizon
from there, the latest origin that still covers it, counted as ``after_announcement``): its SKU
and days, at its discount, with and without, from the features as known on that origin. The
predicted uplift (expected extra units on the promotion days) is compared with the true one,
from the sample shop's ground truth (the expected demand with the promotion's lift divided out),
as WAPE over promotions, next to a simple peer: the average past uplift at that discount (the
SKU's past promotions within ``discount_band`` points, else its category's, else the shop's),
times the SKU's recent level, times the days.

Plain Python; ``benchmarks/whatif.py`` runs it on a trained model.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inventory_pipeline.features.as_of import features_as_of
from inventory_pipeline.features.config import DEFAULT_CONFIG, FeatureConfig
from inventory_pipeline.forecast_shape import PUBLISHED_LEVELS
from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.whatif.answer import forecast_arm

PROMO_TYPES = ("discount", "flash_sale", "bundle", "free_shipping")  # the sample shop's order


@dataclass(frozen=True)
class UpliftBacktestConfig:
    """Every number of the backtest."""

    baseline_days: int = 28  # the SKU's recent level: mean units of this many days before
    discount_band: float = 5.0  # past promotions within this many points count as "that discount"
    interval: tuple[float, float] = (PUBLISHED_LEVELS[0], PUBLISHED_LEVELS[-1])  # the uplift
    # interval whose coverage is reported: the published p10..p90
    dip_days: int = 14  # the dip is measured over this many days after the end (inside the horizon)


def promotions_as_known(warehouse: Warehouse) -> pl.DataFrame:
    """Every promotion's final version and the day it was first announced (exported)."""
    raw = pl.read_parquet(
        str(warehouse.table_dir("raw/promotions") / "*" / "data.parquet"), hive_partitioning=True
    )
    raw = raw.with_columns(pl.col("export_date").cast(pl.Date))
    first = raw.group_by("promo_id").agg(pl.col("export_date").min().alias("announced_on"))
    final = raw.sort("export_date", "_row_number").group_by("promo_id").last()
    return final.join(first, on="promo_id").select(
        "promo_id", "sku", "start_date", "end_date", "discount_pct", "promo_type", "announced_on",
        pl.col("export_date").alias("final_on"),
    ).sort("start_date", "promo_id")  # fmt: skip


def _lift(truth_dir: Path) -> tuple[dict[str, Any], pl.Expr, pl.DataFrame]:
    """The sample shop's config, its promotion lift as an expression, and SKU elasticities."""
    config = json.loads((truth_dir / "summary.json").read_text())["config"]
    boost = dict(zip(PROMO_TYPES, config["promo_type_boost"], strict=True))
    products = pl.read_parquet(truth_dir / "products.parquet").select("sku", "elasticity")
    lift = (1 - pl.col("discount_pct") / 100).pow(-pl.col("elasticity")) * pl.col(
        "promo_type"
    ).replace_strict(boost, return_dtype=pl.Float64)
    return config, lift, products


def true_dip(truth_dir: Path, frame: pl.DataFrame) -> pl.DataFrame:
    """Per promotion: the true expected change of demand on the days after it up to
    ``dip_last`` (negative: demand pulled forward), from the ground truth's dip curve."""
    config, lift, products = _lift(truth_dir)
    dip_max, dip_scale = float(config["dip_max"]), float(config["dip_scale"])
    dip_tau = float(config["dip_tau_days"])
    daily = pl.read_parquet(truth_dir / "daily.parquet", columns=["sku", "date", "expected_demand"])
    days = (
        frame.filter(pl.col("dip_last") > pl.col("end_date"))
        .select("promo_id", "sku", "end_date", "discount_pct", "promo_type",
                pl.date_ranges(pl.col("end_date") + pl.duration(days=1), "dip_last").alias("date"))
        .explode("date")
        .join(daily, on=["sku", "date"], how="inner")
        .join(products, on="sku", how="left")
        .with_columns(lift=lift, after=(pl.col("date") - pl.col("end_date")).dt.total_days())
        .filter(pl.col("after") <= int(config["dip_days"]))
        .with_columns(
            dip=1 - pl.min_horizontal(
                pl.lit(dip_max), dip_scale * (1 - 1 / pl.col("lift"))
            ) * ((1 - pl.col("after")) / dip_tau).exp()
        )
    )  # fmt: skip
    dips = days.group_by("promo_id").agg(
        (pl.col("expected_demand") * (1 - 1 / pl.col("dip"))).sum().alias("true_dip")
    )
    return frame.select("promo_id").join(dips, on="promo_id", how="left").fill_null(0.0)


def true_uplift(truth_dir: Path, promos: pl.DataFrame) -> pl.DataFrame:
    """Per promotion: the true expected uplift on its days and the realised demand, from the
    sample shop's ground truth (expected demand with the lift of its discount and type)."""
    _, lift, products = _lift(truth_dir)
    daily = pl.read_parquet(
        truth_dir / "daily.parquet", columns=["sku", "date", "expected_demand", "true_demand"]
    ).filter(pl.col("sku").is_in(promos["sku"].unique().to_list()))
    days = (
        promos.select("promo_id", "sku", "discount_pct", "promo_type",
                      pl.date_ranges("start_date", "end_date").alias("date"))
        .explode("date")
        .join(daily, on=["sku", "date"], how="inner")
        .join(products, on="sku", how="left")
        .with_columns(lift=lift)
    )  # fmt: skip
    return days.group_by("promo_id").agg(
        (pl.col("expected_demand") * (1 - 1 / pl.col("lift"))).sum().alias("true_uplift"),
        pl.col("true_demand").sum().alias("realised_units"),
        pl.len().alias("truth_days"),
    )


def _origin(promo: dict[str, object], horizon: int) -> tuple[date, bool]:
    start, end, announced = promo["start_date"], promo["end_date"], promo["announced_on"]
    assert isinstance(start, date) and isinstance(end, date) and isinstance(announced, date)
    origin = min(announced, start) - timedelta(days=1)
    if (end - origin).days <= horizon:
        return origin, False
    return end - timedelta(days=horizon), True


def model_uplift(
    warehouse: Warehouse,
    forecaster: DemandForecaster,
    promos: pl.DataFrame,
    feature_config: FeatureConfig = DEFAULT_CONFIG,
    config: UpliftBacktestConfig = UpliftBacktestConfig(),
) -> pl.DataFrame:
    """Per promotion: the model's predicted uplift, its interval and the promotion-day demand
    interval with it, asked as a what-if from an origin before the announcement."""
    L, H = forecaster.config.history_days, forecaster.config.horizon_days
    levels = np.asarray(forecaster.config.quantiles)
    lo, hi = (int(np.argmin(np.abs(levels - q))) for q in config.interval)
    mid = int(np.argmin(np.abs(levels - 0.5)))
    rows = []
    origins: dict[date, list[tuple[dict[str, object], bool]]] = {}
    for promo in promos.iter_rows(named=True):
        origin, after = _origin(promo, H)
        origins.setdefault(origin, []).append((promo, after))
    for origin, group in sorted(origins.items()):
        skus = sorted({str(p["sku"]) for p, _ in group})
        features = features_as_of(
            warehouse, origin, skus=skus, history_days=L, horizon=H, config=feature_config
        )
        override = pl.concat([
            pl.DataFrame({"sku": str(p["sku"]), "date": pl.date_range(
                p["start_date"], p["end_date"], eager=True), "pct": float(p["discount_pct"])})
            for p, _ in group
        ]).unique(["sku", "date"], keep="first")  # fmt: skip
        arms = {}
        for arm in ("without", "with"):
            future = (
                features.future.join(override, on=["sku", "date"], how="left")
                .with_columns(discount_pct=pl.when(pl.col("pct").is_null()).then("discount_pct")
                              .otherwise(pl.col("pct") if arm == "with" else pl.lit(0.0)))
                .drop("pct")
            )  # fmt: skip
            arms[arm] = forecast_arm(forecaster, dataclasses.replace(features, future=future), 0.0)
        order = features.static.sort("sku")["sku"].to_list()
        for promo, after in group:
            i = order.index(str(promo["sku"]))
            s = (promo["start_date"] - origin).days - 1  # type: ignore[operator]
            e = (promo["end_date"] - origin).days - 1  # type: ignore[operator]
            w, wo = arms["with"], arms["without"]
            uplift = float(w.mean[i, s : e + 1].sum() - wo.mean[i, s : e + 1].sum())
            before = w.cumulative[i, s - 1, mid] if s > 0 else 0.0
            window = w.cumulative[i, e, :] - before  # promotion-day demand, with the promotion
            base = float(wo.mean[i, s : e + 1].sum())
            last = min(e + config.dip_days, H - 1)
            dip = float(w.mean[i, e + 1 : last + 1].sum() - wo.mean[i, e + 1 : last + 1].sum())
            rows.append({
                "promo_id": promo["promo_id"], "origin": origin, "after_announcement": after,
                "model_uplift": uplift, "model_without": base,
                "window_lo": float(window[lo]), "window_hi": float(window[hi]),
                "uplift_lo": float(window[lo]) - base, "uplift_hi": float(window[hi]) - base,
                "model_dip": dip, "dip_last": origin + timedelta(days=last + 1),
            })  # fmt: skip
    return pl.DataFrame(rows)


def _level(demand: pl.DataFrame, on_promo: pl.DataFrame, sku: str, end: date, days: int) -> float:
    """Mean units per usable day (no stockout, no promotion) in the ``days`` days up to ``end``."""
    window = demand.filter(
        (pl.col("sku") == sku) & pl.col("date").is_between(end - timedelta(days=days - 1), end)
        & ~pl.col("stockout")
    ).join(on_promo, on=["sku", "date"], how="anti")  # fmt: skip
    return float(window["units"].mean()) if window.height else 0.0


def peer_uplift(
    warehouse: Warehouse,
    promos: pl.DataFrame,
    known: pl.DataFrame,
    config: UpliftBacktestConfig = UpliftBacktestConfig(),
) -> pl.DataFrame:
    """Per promotion: the average past uplift at its discount times the SKU's recent level.

    ``known``: every promotion (``promotions_as_known``); only those finished before the origin
    and exported by then are used. Uplift of a past promotion = its mean units per usable day
    over the SKU's level in the ``baseline_days`` before it; pooled as a ratio of sums.
    """
    demand = pl.read_parquet(
        str(warehouse.table_dir("features/daily_sku_demand") / "*" / "data.parquet"),
        hive_partitioning=True, columns=["sku", "date", "units", "stockout"],
    )  # fmt: skip
    products = pl.read_parquet(
        str(warehouse.table_dir("raw/products") / "*" / "data.parquet"), columns=["sku", "category"]
    ).unique("sku", keep="last")
    category = dict(products.iter_rows())
    on_promo = (
        known.filter(pl.col("discount_pct") > 0)
        .select("sku", pl.date_ranges("start_date", "end_date").alias("date"))
        .explode("date").unique()
    )  # fmt: skip
    past = []
    for p in known.filter(pl.col("discount_pct") > 0).iter_rows(named=True):
        level = _level(demand, on_promo, p["sku"], p["start_date"] - timedelta(days=1),
                       config.baseline_days)  # fmt: skip
        inside = demand.filter(
            (pl.col("sku") == p["sku"]) & pl.col("date").is_between(p["start_date"], p["end_date"])
            & ~pl.col("stockout")
        )  # fmt: skip
        if level > 0 and inside.height:
            past.append({**p, "category": category.get(p["sku"], ""), "level": level,
                         "promo_mean": float(inside["units"].mean())})  # fmt: skip
    history = pl.DataFrame(past)
    rows = []
    for p in promos.iter_rows(named=True):
        origin, _ = _origin(p, 10**6)  # the day before the announcement
        seen = history.filter(
            (pl.col("end_date") < origin) & (pl.col("final_on") <= origin)
            & ((pl.col("discount_pct") - p["discount_pct"]).abs() <= config.discount_band)
        )  # fmt: skip
        pool, source = seen.filter(pl.col("sku") == p["sku"]), "sku"
        if pool.is_empty():
            pool, source = seen.filter(pl.col("category") == category.get(p["sku"], "")), "category"
        if pool.is_empty():
            pool, source = seen, "shop"
        share = float(pool["promo_mean"].sum() / pool["level"].sum() - 1) if pool.height else 0.0
        level = _level(demand, on_promo, p["sku"], origin, config.baseline_days)
        days = (p["end_date"] - p["start_date"]).days + 1
        rows.append({"promo_id": p["promo_id"], "peer_uplift": share * level * days,
                     "peer_source": source})  # fmt: skip
    return pl.DataFrame(rows)


def uplift_scores(frame: pl.DataFrame) -> dict[str, float]:
    """WAPE of the model's and the peer's uplift against the true one, bias and coverage."""
    truth = frame["true_uplift"].to_numpy()
    denom = float(np.abs(truth).sum())
    model, peer = frame["model_uplift"].to_numpy(), frame["peer_uplift"].to_numpy()
    realised = frame["realised_units"].to_numpy()
    inside = (realised >= frame["window_lo"].to_numpy()) & (
        realised <= frame["window_hi"].to_numpy()
    )
    dip = frame["true_dip"].to_numpy()
    return {
        "promotions": frame.height,
        "after_announcement": int(frame["after_announcement"].sum()),
        "true_uplift_units": float(truth.sum()),
        "model_wape": float(np.abs(model - truth).sum() / denom),
        "peer_wape": float(np.abs(peer - truth).sum() / denom),
        "model_bias": float((model - truth).sum() / denom),
        "peer_bias": float((peer - truth).sum() / denom),
        "interval_coverage": float(inside.mean()),
        "true_dip_units": float(dip.sum()),
        "model_dip_units": float(frame["model_dip"].sum()),
        "model_dip_wape": float(
            np.abs(frame["model_dip"].to_numpy() - dip).sum() / np.abs(dip).sum()
        ),
    }
