"""Every forecaster at every rolling origin, from the same data as known on the origin.

At each origin t the cells are the catalog SKUs known on t and not discontinued (what the nightly
job forecasts). Every method forecasts exactly those SKUs for horizons 1..H:

    champion        ``forecasting.forecast_day``: the nightly code path (features as of t,
                    off-sale days 0, cumulative flat after a discontinuation)
    seasonal_naive  statsforecast, history as known on t (``TrainingConfig.baseline_history_days``)
    auto_ets        idem
    lightgbm        :mod:`.peers`, refitted on the same history
    oracle          the true NB distribution (a generated shop's ground truth only)

and gives two things: per-day p10 / p50 / p90 (scored for accuracy) and quantiles of demand
summed over days 1..h (what the reorder policy reads; :mod:`.leadtime`). The peers' per-day
forecasts are set to 0 on days the product is not on sale as known on t, as the nightly job does
for the model, so no method is penalised for forecasting a discontinued product.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from inventory_pipeline.baselines import quantile_columns
from inventory_pipeline.evaluation.config import CHAMPION, EvaluationConfig
from inventory_pipeline.evaluation.leadtime import (
    daily_sd_from_interval,
    independent_cumulative,
    oracle_cumulative,
)
from inventory_pipeline.evaluation.peers import MEAN, lightgbm_forecast
from inventory_pipeline.features.as_of import FeatureSet, features_as_of
from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.forecast_shape import level_index
from inventory_pipeline.forecasting import ModelRef, forecast_day
from inventory_pipeline.model import DemandForecaster
from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.predict import quantile_column_name
from inventory_pipeline.recalibration import CoverRecalibration
from inventory_pipeline.scoring.accuracy import AUTO_ETS, LIGHTGBM, ORACLE, SEASONAL_NAIVE
from inventory_pipeline.scoring.truth import Truth, nb_quantiles
from inventory_pipeline.training import baseline_forecasts, history_rows
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import Windows, samples_from_features, select

ProgressCallback = Callable[[str, int, int], None]  # (stage, i 1-based, n)


@dataclass(frozen=True)
class MethodForecast:
    """One method at one origin, rows aligned with :attr:`OriginForecasts.skus`."""

    daily: np.ndarray  # (N, H, 3) per-day quantiles at the scored levels (lo, mid, hi)
    cum_levels: np.ndarray  # (Q,) levels of ``cumulative``, increasing
    cumulative: np.ndarray  # (N, H, Q) quantiles of demand summed over days 1..h
    cover_recalibration: CoverRecalibration | None = None  # the model's plan levels (None: as is)


@dataclass(frozen=True)
class OriginForecasts:
    """Every method's forecast at one origin."""

    origin: date
    skus: list[str]  # catalog SKUs known on the origin and not discontinued, sorted
    windows: Windows  # the cells' identity (skus, origin), for the backtest's cell builder
    history: pl.DataFrame  # origin, sku, date, units, stockout, observed (training.history)
    methods: dict[str, MethodForecast]

    def long_frame(self, levels: Sequence[float]) -> pl.DataFrame:
        """``method, origin, sku, horizon, p10, p50, p90`` rows, as the backtest scores them."""
        names = [quantile_column_name(q) for q in levels]
        parts = []
        for method, forecast in self.methods.items():
            n, horizon, _ = forecast.daily.shape
            parts.append(
                pl.DataFrame(
                    {
                        "method": [method] * (n * horizon),
                        "origin": [self.origin] * (n * horizon),
                        "sku": np.repeat(np.asarray(self.skus, dtype=object), horizon).tolist(),
                        "horizon": np.tile(np.arange(1, horizon + 1, dtype=np.int32), n),
                        **{
                            name: forecast.daily[:, :, i].reshape(-1).astype(np.float64)
                            for i, name in enumerate(names)
                        },
                    }
                )
            )
        return pl.concat(parts)


def evaluation_origins(start: date, end: date, stride_days: int) -> tuple[date, ...]:
    """start, start + stride, ... up to end: a forecast drives the reviews until the next one."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    count = (end - start).days // stride_days + 1
    return tuple(start + timedelta(days=stride_days * i) for i in range(count))


def cumulative_levels(cfg: EvaluationConfig) -> np.ndarray:
    """Levels at which the peers' and the oracle's lead-time quantiles are computed."""
    return np.array(sorted(set(ModelConfig.quantiles) | set(cfg.service_levels) | {0.5}))


def _grid(frame: pl.DataFrame, skus: list[str], horizon: int, columns: Sequence[str]) -> np.ndarray:
    """(N, H, C) values of ``columns`` from a ``sku, horizon, ...`` frame; missing rows raise."""
    keys = pl.DataFrame(
        {
            "sku": np.repeat(np.asarray(skus, dtype=object), horizon).tolist(),
            "horizon": np.tile(np.arange(1, horizon + 1, dtype=np.int32), len(skus)),
        }
    )
    joined = keys.join(
        frame.select("sku", pl.col("horizon").cast(pl.Int32), *columns),
        on=["sku", "horizon"],
        how="left",
        maintain_order="left",
    )
    values = joined.select(columns).to_numpy().astype(np.float64)
    if not np.isfinite(values).all():
        missing = joined.filter(~pl.all_horizontal(pl.col(list(columns)).is_not_null())).row(0)
        raise ValueError(
            f"a forecast lacks (sku, horizon) = {missing[:2]}: every method must cover every cell"
        )
    return values.reshape(len(skus), horizon, len(columns))


def _on_sale(features: FeatureSet, skus: list[str], horizon: int) -> np.ndarray:
    frame = features.future.select("sku", "horizon", pl.col("on_sale").cast(pl.Float64))
    return _grid(frame, skus, horizon, ["on_sale"])[:, :, 0]


def _peer(
    mean: np.ndarray,
    daily: np.ndarray,
    on_sale: np.ndarray,
    hi_level: float,
    levels: np.ndarray,
    cfg: EvaluationConfig,
) -> MethodForecast:
    """A per-day peer forecast with its lead-time distribution (independent days)."""
    daily = daily * on_sale[:, :, None]
    mean = mean * on_sale
    sd = daily_sd_from_interval(daily[:, :, 1], daily[:, :, 2], hi_level)
    cumulative = independent_cumulative(mean, sd, levels, cfg.lead_time_distribution)
    return MethodForecast(daily=daily, cum_levels=levels, cumulative=cumulative)


def _oracle(
    truth: Truth,
    origin: date,
    skus: list[str],
    horizon: int,
    scored: tuple[float, float, float],
    levels: np.ndarray,
    cfg: EvaluationConfig,
    rng: np.random.Generator,
) -> MethodForecast:
    days = pl.DataFrame({"horizon": np.arange(1, horizon + 1, dtype=np.int32)}).with_columns(
        date=pl.lit(origin) + pl.duration(days=pl.col("horizon"))
    )
    frame = (
        pl.DataFrame({"sku": skus})
        .join(days, how="cross")
        .join(
            truth.daily.select("sku", "date", "expected_demand", "nb_dispersion"),
            on=["sku", "date"],
            how="left",
        )
        .with_columns(
            pl.col("expected_demand").fill_null(0.0), pl.col("nb_dispersion").fill_null(1.0)
        )
    )
    params = _grid(frame, skus, horizon, ["expected_demand", "nb_dispersion"])
    mean, size = params[:, :, 0], params[:, :, 1]
    daily = nb_quantiles(mean.reshape(-1), size.reshape(-1), scored).reshape(len(skus), horizon, 3)
    cumulative = oracle_cumulative(mean, size, levels, cfg.oracle_samples, rng)
    return MethodForecast(daily=daily, cum_levels=levels, cumulative=cumulative)


def _model_windows(
    warehouse: Warehouse,
    origin: date,
    forecaster: DemandForecaster | None,
    model_version: str,
    features: FeatureSet,
    horizon: int,
    scored: Sequence[float],
    feature_config: FeatureConfig | None = None,
) -> tuple[list[str], Windows, MethodForecast | None]:
    """The origin's SKUs and cells, and the champion's forecast when there is one (read with the
    shop's ``feature_config``: the champion's event channels come from its events)."""
    if forecaster is None:
        # cells only: a window layout matching the feature set already read
        layout = dataclasses.replace(
            ModelConfig(), history_days=features.history["date"].n_unique(), horizon_days=horizon
        )
        windows = samples_from_features(features, layout)
        keep = ~features.static.sort("sku")["discontinued"].to_numpy()
        windows = select(windows, keep)
        return windows.skus, windows, None
    day = forecast_day(
        warehouse, forecaster, origin, ModelRef(CHAMPION, model_version),
        feature_config=feature_config, features=features,
    )  # fmt: skip
    windows = samples_from_features(day.features, forecaster.config)
    windows = select(windows, np.isin(np.asarray(windows.skus), day.skus))
    if windows.skus != day.skus:
        raise AssertionError("the forecast's SKUs and the windows are not aligned")
    levels = forecaster.config.quantiles
    rows = day.rows.sort("sku", "horizon")
    names = [quantile_column_name(levels[level_index(levels, q)]) for q in scored]
    daily = rows.select(names).to_numpy().reshape(len(day.skus), horizon, 3)
    forecast = MethodForecast(
        daily=daily.astype(np.float64),
        cum_levels=np.asarray(day.levels, dtype=np.float64),
        cumulative=day.cumulative.astype(np.float64),
        cover_recalibration=day.cover_recalibration,
    )
    return day.skus, windows, forecast


def origin_forecasts(
    warehouse: Warehouse,
    origin: date,
    horizon: int,
    cfg: EvaluationConfig,
    forecaster: DemandForecaster | None,
    model_version: str,
    truth: Truth | None,
    rng: np.random.Generator,
    on_progress: ProgressCallback | None = None,
    feature_config: FeatureConfig | None = None,
) -> OriginForecasts:
    """Every configured method at ``origin`` (see the module docstring).

    ``on_progress(method, 1, 1)`` after each peer (the slow part); ``feature_config``: the shop's
    feature settings (its events), default: the defaults.
    """
    scored = cfg.training.scored_levels
    features = features_as_of(
        warehouse, origin, history_days=cfg.training.baseline_history_days, horizon=horizon,
        **({"config": feature_config} if feature_config else {}),
    )  # fmt: skip
    skus, windows, champion = _model_windows(
        warehouse, origin, forecaster, model_version, features, horizon, scored, feature_config
    )
    methods: dict[str, MethodForecast] = {}
    if champion is not None:
        methods[CHAMPION] = champion
    history = history_rows(features)
    on_sale = _on_sale(features, skus, horizon)
    levels = cumulative_levels(cfg)
    columns = [quantile_column_name(q) for q in scored]
    if columns != list(quantile_columns(cfg.training.baseline_config(horizon).level)):
        raise AssertionError(f"baseline columns do not match the scored levels {scored}")
    baselines = [m for m in cfg.peers if m in (SEASONAL_NAIVE, AUTO_ETS)]
    if baselines:
        frame = baseline_forecasts(windows, history, cfg.training, horizon, methods=baselines)
        for method in baselines:
            daily = _grid(frame.filter(pl.col("method") == method), skus, horizon, columns)
            methods[method] = _peer(daily[:, :, 1], daily, on_sale, scored[2], levels, cfg)
            if on_progress is not None:
                on_progress(method, 1, 1)
    if LIGHTGBM in cfg.peers:
        frame = lightgbm_forecast(features, skus, horizon, scored, cfg.lightgbm)
        values = _grid(frame, skus, horizon, [MEAN, *columns])
        methods[LIGHTGBM] = _peer(
            values[:, :, 0], values[:, :, 1:], on_sale, scored[2], levels, cfg
        )
        if on_progress is not None:
            on_progress(LIGHTGBM, 1, 1)
    if truth is not None:
        methods[ORACLE] = _oracle(truth, origin, skus, horizon, scored, levels, cfg, rng)
    return OriginForecasts(origin, skus, windows, history, methods)
