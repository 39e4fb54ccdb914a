"""Backtest: the model against its baselines and (on a generated shop) the oracle.

The baselines are seasonal naive, AutoETS and the global LightGBM quantile peer
(:mod:`inventory_pipeline.peers`, with the promotions known on the origin); the gate's best
baseline is the lowest WQL among them (``TrainingConfig.baselines`` picks them). Every method
forecasts the same cells (SKU x backtest origin x horizon day) from what was known on the origin:
the model from its windows, the baselines from the feature set as known on each origin, the
oracle from the true demand distribution. :mod:`inventory_pipeline.scoring.accuracy` turns the
forecasts into metrics per segment and horizon and the share of the baseline-to-oracle gap the
model closes.

A second forecaster (the current champion, a text ablation) is scored on the same cells with
:func:`add_forecaster`, so a promotion gate compares like with like.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inventory_pipeline.baselines import baseline_forecast
from inventory_pipeline.features.as_of import FeatureSet, features_as_of, read_exports_for_range
from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.forecast_shape import level_index
from inventory_pipeline.model import DemandForecaster
from inventory_pipeline.peers import lightgbm_forecast
from inventory_pipeline.scoring.accuracy import (
    AUTO_ETS,
    BASELINES,
    LIGHTGBM,
    MODEL,
    ORACLE,
    SEASONAL_NAIVE,
    STATISTICAL_BASELINES,
    BacktestResult,
    build_result,
    gap_closed,
    gap_table,
    quantile_columns,
    score,
)
from inventory_pipeline.scoring.segments import (
    CELL_KEYS,
    Cells,
    evaluation_cells,
    read_launches,
    read_planned_promotions,
    read_promotion_days,
)
from inventory_pipeline.scoring.truth import Truth, nb_quantiles, read_truth
from inventory_pipeline.training.config import DEFAULT_TRAINING_CONFIG, TrainingConfig
from inventory_pipeline.training.history import check_history, history_rows
from inventory_pipeline.training.plan import TrainingPlan
from inventory_pipeline.training.windows_io import (
    OriginCallback,
    catalog_as_of,
    read_demand,
    sku_sample,
)
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import Windows

ProgressCallback = Callable[[str, int, int], None]  # (stage, i 1-based, n)

__all__ = [  # scoring names stay importable from here (the backtest's public home)
    "AUTO_ETS",
    "BASELINES",
    "LIGHTGBM",
    "MODEL",
    "ORACLE",
    "SEASONAL_NAIVE",
    "STATISTICAL_BASELINES",
    "BacktestInputs",
    "BacktestResult",
    "ProgressCallback",
    "add_forecaster",
    "backtest",
    "backtest_inputs",
    "baseline_forecasts",
    "build_result",
    "gap_closed",
    "gap_table",
    "model_forecasts",
    "oracle_forecasts",
    "score",
    "with_model",
]


@dataclass(frozen=True)
class BacktestInputs:
    """Everything the backtest reads from storage, gathered once (reused for the champion)."""

    latest: date  # latest export day
    demand: pl.DataFrame  # read_demand: observed actuals when there is no truth
    history: pl.DataFrame  # origin, sku, date, units, stockout, observed (training.history)
    launches: pl.DataFrame  # sku, launched_at
    promotion_days: pl.DataFrame  # sku, date (realised promotions in the backtest period)
    truth: Truth | None  # ground truth of a generated shop, else None
    planned_promotions: pl.DataFrame | None = None  # origin, sku, date announced by the origin
    lightgbm: pl.DataFrame | None = None  # method, origin, sku, horizon, p10, p50, p90 of the
    # LightGBM peer for every catalog SKU (None when TrainingConfig.baselines leaves it out)
    lightgbm_seconds: float = 0.0  # time spent fitting and forecasting the LightGBM peer


def backtest_inputs(
    warehouse: Warehouse,
    plan: TrainingPlan,
    cfg: TrainingConfig = DEFAULT_TRAINING_CONFIG,
    truth_dir: str | Path | None = None,
    demand: pl.DataFrame | None = None,
    on_origin: OriginCallback | None = None,
    feature_config: FeatureConfig | None = None,
) -> BacktestInputs:
    """Reads the backtest's inputs for ``plan.backtest_origins``.

    One feature set per origin, as known on it (``baseline_history_days`` long, the known future
    over the horizon), gives the statistical baselines their history and, when configured,
    trains and forecasts the LightGBM peer (its forecasts are inputs: a champion scored later
    reuses them). Above ``cfg.max_backtest_skus`` SKUs, only the seeded sample the backtest
    windows hold (:func:`~inventory_pipeline.training.windows_io.sku_sample`) is read, and the
    LightGBM peer learns from it and forecasts it. ``truth_dir`` may be None or missing.
    ``feature_config``: the shop's feature settings (its events reach the LightGBM peer's
    calendar); default: the defaults.
    """
    origins = plan.backtest_origins
    if not origins:
        raise ValueError("the plan has no backtest origins")
    first = min(origins)
    last = max(origins)
    with_lightgbm = LIGHTGBM in cfg.baselines
    levels = cfg.scored_levels
    histories, peers = [], []
    seconds = 0.0
    exports = read_exports_for_range(warehouse, last, feature_config or FeatureConfig())
    for i, origin in enumerate(origins, start=1):
        catalog = catalog_as_of(warehouse, origin)
        skus = sku_sample(catalog, cfg.max_backtest_skus, cfg.sample_seed)
        features = features_as_of(
            warehouse,
            origin,
            skus=skus if len(skus) < len(catalog) else None,
            history_days=cfg.baseline_history_days,
            horizon=plan.horizon_days,
            category_season=False,
            exports=exports,
            **({"config": feature_config} if feature_config else {}),
        )
        histories.append(history_rows(features))
        if with_lightgbm:
            started = time.perf_counter()
            peers.append(_lightgbm_origin(features, plan.horizon_days, levels, cfg))
            seconds += time.perf_counter() - started
        if on_origin is not None:
            on_origin(i, len(origins), origin)
    return BacktestInputs(
        latest=plan.latest_export,
        demand=read_demand(warehouse) if demand is None else demand,
        history=pl.concat(histories),
        launches=read_launches(warehouse),
        promotion_days=read_promotion_days(
            warehouse, first + timedelta(days=1), last + timedelta(days=plan.horizon_days)
        ),
        truth=read_truth(truth_dir),
        planned_promotions=read_planned_promotions(warehouse, origins, plan.horizon_days),
        lightgbm=pl.concat(peers) if with_lightgbm else None,
        lightgbm_seconds=seconds,
    )


def _lightgbm_origin(
    features: FeatureSet, horizon: int, levels: tuple[float, float, float], cfg: TrainingConfig
) -> pl.DataFrame:
    """The LightGBM peer's forecasts of every SKU of the feature set (the catalog known on its
    origin, or the backtest's SKU sample), learnt from them."""
    skus = features.static["sku"].to_list()
    frame = lightgbm_forecast(features, skus, horizon, levels, cfg.lightgbm)
    return frame.select(
        pl.lit(LIGHTGBM).alias("method"),
        pl.lit(features.as_of).alias("origin"),
        "sku",
        pl.col("horizon").cast(pl.Int32),
        *[pl.col(c).cast(pl.Float64) for c in quantile_columns(levels)],
    )


# ------------------------------------------------------------------------------------ forecasts


def model_forecasts(
    forecaster: DemandForecaster, windows: Windows, levels: Sequence[float], method: str = MODEL
) -> pl.DataFrame:
    """Long frame ``method, origin, sku, horizon, p10, p50, p90`` of a trained forecaster."""
    try:
        windows.samples.validate(forecaster.config)
    except ValueError as err:
        raise ValueError(
            f"the windows do not fit {method}'s model config ({err}); build windows for it with "
            f"build_windows(warehouse, plan.backtest_origins, forecaster.config, ...)"
        ) from err
    index = [level_index(forecaster.config.quantiles, q) for q in levels]
    daily = forecaster.predict(windows.samples).daily  # (N, H, Q)
    n, H, _ = daily.shape
    data: dict[str, Any] = {
        "method": [method] * (n * H),
        "origin": np.repeat(np.asarray(windows.origins, dtype="datetime64[D]"), H),
        "sku": np.repeat(np.asarray(windows.skus, dtype=object), H).tolist(),
        "horizon": np.tile(np.arange(1, H + 1, dtype=np.int32), n),
    }
    for name, i in zip(quantile_columns(levels), index, strict=True):
        data[name] = daily[:, :, i].reshape(-1).astype(np.float64)
    return pl.DataFrame(data).with_columns(pl.col("origin").cast(pl.Date))


def baseline_forecasts(
    windows: Windows,
    history: pl.DataFrame,
    cfg: TrainingConfig,
    horizon: int,
    methods: Sequence[str] = STATISTICAL_BASELINES,
    on_progress: ProgressCallback | None = None,
) -> pl.DataFrame:
    """Seasonal naive / AutoETS per origin, for the windows' SKUs, from the history known then.

    ``fallback`` names why a SKU's forecast is a simpler method's (baselines.py), else null.
    """
    check_history(history)
    bcfg = cfg.baseline_config(horizon)
    levels = cfg.scored_levels
    columns = quantile_columns(levels)
    origins = sorted(set(windows.origins))
    parts = []
    steps = len(origins) * len(methods)
    step = 0
    for method in methods:
        for origin in origins:
            skus = [s for s, o in zip(windows.skus, windows.origins, strict=True) if o == origin]
            rows = history.filter((pl.col("origin") == origin) & pl.col("sku").is_in(skus)).select(
                "sku", "date", "units"
            )
            forecast = baseline_forecast(rows, method, bcfg, origin, skus)  # type: ignore[arg-type]
            parts.append(
                forecast.filter(pl.col("sku").is_in(skus)).select(
                    pl.lit(method).alias("method"),
                    pl.col("forecast_date").alias("origin"),
                    "sku",
                    pl.col("horizon").cast(pl.Int32),
                    *[pl.col(c).cast(pl.Float64) for c in columns],
                    "fallback",
                )
            )
            step += 1
            if on_progress is not None:
                on_progress(method, step, steps)
    return pl.concat(parts)


def oracle_forecasts(cells: Cells, truth: Truth, levels: Sequence[float]) -> pl.DataFrame:
    """Quantiles of the true NB demand distribution of every cell (0 where not on sale)."""
    params = cells.frame.select(*CELL_KEYS, "target_date").join(
        truth.daily.select(
            "sku", pl.col("date").alias("target_date"), "expected_demand", "nb_dispersion"
        ),
        on=["sku", "target_date"],
        how="left",
        maintain_order="left",
    )
    values = nb_quantiles(
        params["expected_demand"].fill_null(0.0).to_numpy(),
        params["nb_dispersion"].fill_null(1.0).to_numpy(),
        tuple(levels),
    )
    return params.select(
        pl.lit(ORACLE).alias("method"),
        *CELL_KEYS,
        *[pl.Series(name, values[:, i]) for i, name in enumerate(quantile_columns(levels))],
    )


def backtest(
    forecaster: DemandForecaster | None,
    windows: Windows,
    inputs: BacktestInputs,
    cfg: TrainingConfig = DEFAULT_TRAINING_CONFIG,
    *,
    method: str = MODEL,
    horizon: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Forecast every backtest cell with the model, the baselines and (with truth) the oracle.

    Args:
        forecaster: the trained model, or None to score only the references.
        windows: the backtest block (``WindowSplits.backtest``), built for the forecaster.
        inputs: :func:`backtest_inputs` for the same plan.
        cfg: scored levels, baseline settings, segments.
        method: the name the forecaster is reported under.
        horizon: H; defaults to the forecaster's (required without a forecaster).
        on_progress: ``(stage, i, n)`` while the baselines run (the slow part).
    """
    if horizon is None:
        if forecaster is None:
            raise ValueError("backtest without a forecaster needs horizon=H")
        horizon = forecaster.config.horizon_days
    levels = tuple(cfg.scored_levels)
    cells = evaluation_cells(
        windows, horizon, inputs.latest, inputs.demand, inputs.history, inputs.launches,
        inputs.promotion_days, inputs.truth, cfg.segments, inputs.planned_promotions,
    )  # fmt: skip
    parts = []
    methods: list[str] = []
    learned: tuple[str, ...] = ()
    if forecaster is not None:
        parts.append(model_forecasts(forecaster, windows, levels, method))
        methods.append(method)
        learned = (method,)
    statistical = [b for b in STATISTICAL_BASELINES if b in cfg.baselines]
    if statistical:
        parts.append(
            baseline_forecasts(
                windows, inputs.history, cfg, horizon, statistical, on_progress=on_progress
            )
        )
    if LIGHTGBM in cfg.baselines:
        parts.append(lightgbm_forecasts(windows, inputs))
    methods += [b for b in BASELINES if b in cfg.baselines]
    if inputs.truth is not None:
        parts.append(oracle_forecasts(cells, inputs.truth, levels))
        methods.append(ORACLE)
    forecasts = pl.concat(parts, how="diagonal_relaxed")
    return build_result(cells, forecasts, levels, tuple(methods), learned, cfg.absurd_wql_ratio)


def with_model(
    references: BacktestResult,
    forecaster: DemandForecaster,
    windows: Windows,
    method: str = MODEL,
) -> BacktestResult:
    """``references`` (``backtest(None, ...)``: the baselines and the oracle) with the model
    scored on the same cells, first among the methods and the only learned one: the result
    ``backtest(forecaster, ...)`` gives, without forecasting the baselines again.

    ``windows`` must be the block the references were scored on, built for the forecaster.
    """
    if method in references.methods:
        raise ValueError(f"method {method!r} is already in the backtest ({references.methods})")
    extra = model_forecasts(forecaster, windows, references.levels, method)
    forecasts = pl.concat([extra, references.forecasts], how="diagonal_relaxed")
    return build_result(
        references.cells, forecasts, references.levels, (method, *references.methods),
        (method,), references.absurd_wql_ratio,
    )  # fmt: skip


def lightgbm_forecasts(windows: Windows, inputs: BacktestInputs) -> pl.DataFrame:
    """The LightGBM peer's forecasts of the windows' SKUs and origins (from the inputs)."""
    if inputs.lightgbm is None:
        raise ValueError(
            "the backtest inputs hold no LightGBM forecasts: read them with backtest_inputs(..., "
            "cfg) where cfg.baselines includes 'lightgbm', or leave it out of cfg.baselines"
        )
    keys = pl.DataFrame(
        {"origin": list(windows.origins), "sku": list(windows.skus)},
        schema={"origin": pl.Date, "sku": pl.String},
    ).unique()
    return inputs.lightgbm.join(keys, on=["origin", "sku"], how="semi")


def add_forecaster(
    result: BacktestResult,
    forecaster: DemandForecaster,
    windows: Windows,
    method: str,
    learned: bool = True,
) -> BacktestResult:
    """``result`` with one more method scored on exactly the same cells (e.g. "champion").

    ``windows`` must hold the same origins and SKUs, built for ``forecaster.config`` (a champion
    trained with another window layout needs its own windows over ``plan.backtest_origins``).
    """
    if method in result.methods:
        raise ValueError(f"method {method!r} is already in the backtest ({result.methods})")
    extra = model_forecasts(forecaster, windows, result.levels, method)
    forecasts = pl.concat([result.forecasts, extra], how="diagonal_relaxed")
    methods = (*result.methods, method)
    learned_methods = result.learned + ((method,) if learned else ())
    return build_result(
        result.cells, forecasts, result.levels, methods, learned_methods, result.absurd_wql_ratio
    )
