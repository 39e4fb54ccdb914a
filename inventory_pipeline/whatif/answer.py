"""A scenario's answer: each SKU forecast with and without the promotion, and what that implies.

The hypothetical promotion enters where a planned one does: the known-future discount of the
feature set as of today (``future.discount_pct``), never the history. Both arms override the
scenario's SKU-days, with the discount and with none, so "without" means "without this promotion"
even where the shop has already planned one on those days. The same champion reads both arms, so
the difference is what the model has learned a discount does, including the dip after it.

Units are expected units (the mean, integrated from the model's quantiles), so uplift, revenue and
margin add up over days and SKUs; the order needed reads the model's *cumulative* quantiles at the
service level, never a sum of daily quantiles.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from inventory_pipeline.features.as_of import FeatureSet, features_as_of
from inventory_pipeline.features.config import DEFAULT_CONFIG, FeatureConfig
from inventory_pipeline.forecast_shape import PUBLISHED_LEVELS
from inventory_pipeline.forecasting import ModelRef
from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.reorder import ReorderConfig, quantile_at, round_order, service_levels
from inventory_pipeline.warehouse import Warehouse, read_sql, sql_literal_path
from inventory_pipeline.whatif.scenario import Scenario, ScenarioError
from inventory_pipeline.windows import samples_from_features

PROMOTION_SCENARIOS = "promotion_scenarios"
RANKING_SQL = "whatif/scenario_ranking"


@dataclass(frozen=True)
class Arm:
    """Forecasts of the scenario's SKUs under one discount (0: without the promotion)."""

    discount_pct: float
    daily: np.ndarray  # (N, H, Q) daily quantiles, 0 off sale
    cumulative: np.ndarray  # (N, H, Q) quantiles of demand summed over days 1..h
    mean: np.ndarray  # (N, H) expected daily units


@dataclass(frozen=True)
class ScenarioAnswer:
    """The published rows (per discount, SKU and day) and the discounts ranked by margin."""

    scenario: Scenario
    as_of: date
    rows: pl.DataFrame
    ranking: pl.DataFrame
    features: FeatureSet
    arms: tuple[Arm, ...]  # arms[0] is without the promotion


def mean_weights(levels: tuple[float, ...]) -> np.ndarray:
    """Weights that turn quantiles at ``levels`` into the mean (midpoint rule over the levels).

    Each quantile stands for the probability mass halfway to its neighbours (the end levels for
    the tails), so the weights sum to 1; the tail beyond the top level is read as that level.
    """
    lv = np.asarray(levels, dtype=float)
    edges = np.concatenate([[0.0], (lv[1:] + lv[:-1]) / 2, [1.0]])
    return np.diff(edges)


def _restrict(features: FeatureSet, skus: list[str]) -> FeatureSet:
    keep = pl.col("sku").is_in(skus)
    return dataclasses.replace(
        features,
        history=features.history.filter(keep),
        future=features.future.filter(keep),
        static=features.static.filter(keep),
        reviews=features.reviews.filter(keep),
        docs=features.docs.filter(keep),
    )


def select_skus(static: pl.DataFrame, scenario: Scenario, as_of: date) -> list[str]:
    """The scenario's SKUs on sale (or launching) and not discontinued, by the as-of catalog."""
    live = static.filter(~pl.col("discontinued"))
    if scenario.skus:
        gone = sorted(set(scenario.skus) - set(live["sku"].to_list()))
        if gone:
            raise ScenarioError(
                f"scenario {scenario.key}: SKU(s) {gone[:5]} are discontinued as of {as_of}; "
                "remove them from the scenario"
            )
        return sorted(scenario.skus)
    chosen = live
    if scenario.category:
        chosen = chosen.filter(pl.col("category").fill_null("").str.starts_with(scenario.category))
    if scenario.brand:
        chosen = chosen.filter(pl.col("brand").fill_null("") == scenario.brand)
    if chosen.is_empty():
        raise ScenarioError(
            f"scenario {scenario.key}: no product on sale as of {as_of} matches "
            f"{scenario.describe()}; "
            "check the category prefix (e.g. home/kitchen) and the brand's spelling"
        )
    return sorted(chosen["sku"].to_list())


def check_window(scenario: Scenario, as_of: date, horizon: int) -> None:
    """The promotion must lie inside the model's horizon after today."""
    last = as_of + timedelta(days=horizon)
    if scenario.start <= as_of:
        raise ScenarioError(
            f"scenario {scenario.key}: start {scenario.start} is not after today ({as_of}, the "
            "latest export); a what-if plans a future promotion: move the start later"
        )
    if scenario.end > last:
        raise ScenarioError(
            f"scenario {scenario.key}: end {scenario.end} is after {last}, the last day the model "
            f"forecasts ({horizon} days after {as_of}); shorten the promotion or ask again closer "
            "to its start"
        )


def _with_promotion(
    future: pl.DataFrame, scenario: Scenario, skus: list[str], pct: float
) -> pl.DataFrame:
    """``future`` with the scenario's SKU-days at ``pct`` percent off (0: no promotion)."""
    hit = pl.col("sku").is_in(skus) & pl.col("date").is_between(scenario.start, scenario.end)
    return future.with_columns(
        discount_pct=pl.when(hit).then(pl.lit(pct)).otherwise(pl.col("discount_pct")),
        promo_type=pl.when(hit).then(pl.lit(scenario.promo_type if pct > 0 else None, pl.String))
        .otherwise(pl.col("promo_type")),
    )  # fmt: skip


def forecast_arm(forecaster: DemandForecaster, features: FeatureSet, pct: float) -> Arm:
    """Quantiles of every SKU of ``features``; days off sale are 0 and cumulative demand holds."""
    config = forecaster.config
    windows = samples_from_features(features, config)
    forecast = forecaster.predict(windows.samples)
    H = config.horizon_days
    on_sale = (
        features.future.sort("sku", "date")["on_sale"].to_numpy().reshape(len(windows.skus), H)
    )
    daily = forecast.daily * on_sale[:, :, None]
    last_on = np.where(on_sale.any(axis=1), H - 1 - np.argmax(on_sale[:, ::-1], axis=1), H - 1)
    held = np.minimum(np.arange(H)[None, :], last_on[:, None])
    cumulative = np.take_along_axis(forecast.cumulative, held[:, :, None], axis=1)
    mean = daily @ mean_weights(config.quantiles)
    return Arm(pct, daily, cumulative, mean)


def forecast_arms(
    forecaster: DemandForecaster, features: FeatureSet, scenario: Scenario, skus: list[str]
) -> tuple[Arm, ...]:
    """Without the promotion, then one arm per discount of the scenario."""
    arms = []
    for pct in (0.0, *scenario.discounts):
        future = _with_promotion(features.future, scenario, skus, pct)
        arms.append(forecast_arm(forecaster, dataclasses.replace(features, future=future), pct))
    return tuple(arms)


def _order_needed(
    arm: Arm,
    levels: np.ndarray,
    service: np.ndarray,
    end_index: int,
    position: np.ndarray,
    moq: np.ndarray,
    pack: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(cover, order): the service-level quantile of demand from tomorrow to the promotion's
    end, and the units to order now so the inventory position covers it."""
    cover = quantile_at(levels, arm.cumulative[:, end_index, :], service)
    return cover, round_order(cover - position, moq, pack)


def answer_scenario(
    forecaster: DemandForecaster,
    features: FeatureSet,
    scenario: Scenario,
    model: ModelRef,
    reorder: ReorderConfig | None = None,
) -> ScenarioAnswer:
    """The scenario answered from ``features`` as of today (read with the model's L and H)."""
    config = forecaster.config
    as_of, H = features.as_of, config.horizon_days
    check_window(scenario, as_of, H)
    skus = select_skus(features.static, scenario, as_of)
    features = _restrict(features, skus)
    arms = forecast_arms(forecaster, features, scenario, skus)
    static = features.static.sort("sku")
    reorder = reorder or ReorderConfig()
    n = len(skus)
    levels = np.asarray(config.quantiles)
    list_price = static["list_price"].to_numpy().astype(float)
    unit_cost = static["unit_cost"].to_numpy().astype(float)
    lead = static["lead_time_days"].to_numpy().astype(np.int64)
    position = (static["on_hand"].fill_null(0) + static["on_order"].fill_null(0)).to_numpy()
    moq = static["moq"].to_numpy().astype(np.int64)
    pack = static["pack_size"].to_numpy().astype(np.int64)
    end_index = (scenario.end - as_of).days - 1
    service = service_levels(
        reorder, static["category"].fill_null("").to_list(), list_price, unit_cost
    )
    known = features.future.sort("sku", "date")["discount_pct"].to_numpy().reshape(n, H)
    dates = [as_of + timedelta(days=h) for h in range(1, H + 1)]
    in_promo = np.array([scenario.start <= d <= scenario.end for d in dates])
    phase = np.where(
        in_promo, "promotion", np.where(np.array(dates) > scenario.end, "after", "before")
    )
    base = arms[0]
    price_without = list_price[:, None] * (1 - known / 100.0)
    cover_without, order_without = _order_needed(
        base, levels, service, end_index, position, moq, pack
    )
    order_by = [scenario.start - timedelta(days=int(x)) for x in lead]
    late = np.array([max((as_of - d).days, 0) for d in order_by], dtype=np.int64)
    idx = {q: int(np.argmin(np.abs(levels - q))) for q in PUBLISHED_LEVELS}
    frames = []
    for arm in arms[1:]:
        disc = np.where(in_promo[None, :], arm.discount_pct, known)
        price_with = list_price[:, None] * (1 - disc / 100.0)
        cover_with, order_with = _order_needed(arm, levels, service, end_index, position, moq, pack)
        data: dict[str, object] = {
            "scenario": pl.repeat(scenario.key, n * H, dtype=pl.String, eager=True),
            "as_of": pl.repeat(as_of, n * H, dtype=pl.Date, eager=True),
            "discount_pct": np.full(n * H, arm.discount_pct),
            "sku": pl.Series(skus, dtype=pl.String).gather(np.repeat(np.arange(n), H)),
            "date": pl.Series(dates * n, dtype=pl.Date),
            "horizon": np.tile(np.arange(1, H + 1, dtype=np.int32), n),
            "phase": np.tile(phase, n),
        }
        for q, j in idx.items():
            name = f"p{round(q * 100)}"
            data[f"{name}_without"] = base.daily[:, :, j].reshape(-1)
            data[f"{name}_with"] = arm.daily[:, :, j].reshape(-1)
        units_without, units_with = base.mean.reshape(-1), arm.mean.reshape(-1)
        revenue_without = (base.mean * price_without).reshape(-1)
        revenue_with = (arm.mean * price_with).reshape(-1)
        cost_without = (base.mean * unit_cost[:, None]).reshape(-1)
        cost_with = (arm.mean * unit_cost[:, None]).reshape(-1)
        per_sku = {
            "list_price": list_price, "unit_cost": unit_cost, "lead_time_days": lead,
            "service_level": service, "inventory_position": position.astype(np.int64),
            "cover_without": cover_without, "cover_with": cover_with,
            "order_qty_without": order_without, "order_qty_with": order_with,
            "days_late": late,
        }  # fmt: skip
        data.update(
            units_without=units_without,
            units_with=units_with,
            incremental_units=units_with - units_without,
            price_with=price_with.reshape(-1),
            revenue_without=revenue_without,
            revenue_with=revenue_with,
            incremental_revenue=revenue_with - revenue_without,
            margin_without=revenue_without - cost_without,
            margin_with=revenue_with - cost_with,
            incremental_margin=(revenue_with - cost_with) - (revenue_without - cost_without),
            **{k: np.repeat(v, H) for k, v in per_sku.items()},
            order_by=pl.Series(order_by, dtype=pl.Date).gather(np.repeat(np.arange(n), H)),
            model_name=pl.repeat(model.name, n * H, dtype=pl.String, eager=True),
            model_version=pl.repeat(model.version, n * H, dtype=pl.String, eager=True),
        )
        frames.append(pl.DataFrame(data))
    rows = pl.concat(frames).sort("discount_pct", "sku", "date")
    return ScenarioAnswer(scenario, as_of, rows, rank_discounts(rows), features, arms)


def rank_discounts(rows: pl.DataFrame) -> pl.DataFrame:
    """Per discount: uplift, dip, incremental units, revenue, margin, order; best margin first."""
    con = duckdb.connect()
    try:
        con.register("scenario_rows", rows.to_arrow())
        return con.sql(read_sql(RANKING_SQL)).pl()
    finally:
        con.close()


def read_features(
    warehouse: Warehouse,
    as_of: date,
    forecaster: DemandForecaster,
    scenario: Scenario,
    feature_config: FeatureConfig = DEFAULT_CONFIG,
) -> FeatureSet:
    """The feature set as of ``as_of`` that :func:`answer_scenario` reads (the model's L and H)."""
    features = features_as_of(
        warehouse, as_of, skus=list(scenario.skus) or None,
        history_days=forecaster.config.history_days, horizon=forecaster.config.horizon_days,
        config=feature_config,
    )  # fmt: skip
    if features.unknown_skus:
        raise ScenarioError(
            f"scenario {scenario.key}: SKU(s) {list(features.unknown_skus[:5])} are not in the "
            f"catalog as of {as_of}; check the spelling against the products table"
        )
    return features


def publish_answer(warehouse: Warehouse, key: str, answer: ScenarioAnswer) -> None:
    """Writes the answer to ``promotion_scenarios/scenario=<key>/`` (replacing an earlier one)
    and points the catalog view at every answered scenario."""
    warehouse.write_partition(PROMOTION_SCENARIOS, {"scenario": key}, answer.rows.to_arrow())
    glob = sql_literal_path(warehouse.glob(PROMOTION_SCENARIOS, 1))
    warehouse.publish_views(
        {PROMOTION_SCENARIOS: f"SELECT * FROM read_parquet({glob}, hive_partitioning=false)"}
    )
