"""``run_evaluation``: rolling backtest against the peers, inventory replay, report, MLflow.

Plain Python over a warehouse; the CLI command and the Dagster asset are thin glue around
:func:`run_evaluation` and :func:`log_to_mlflow`.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inventory_pipeline.evaluation.calibration import decision_calibration
from inventory_pipeline.evaluation.config import (
    CHAMPION,
    DEFAULT_EVALUATION_CONFIG,
    EvaluationConfig,
)
from inventory_pipeline.evaluation.forecasts import (
    OriginForecasts,
    evaluation_origins,
    origin_forecasts,
)
from inventory_pipeline.evaluation.replay import replay
from inventory_pipeline.evaluation.report import write_report
from inventory_pipeline.evaluation.result import EvaluationResult
from inventory_pipeline.evaluation.shop import read_demand_with_stock, read_shop_days
from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.features.sources import first_export, latest_export
from inventory_pipeline.model import DemandForecaster
from inventory_pipeline.scoring.accuracy import (
    AUTO_ETS,
    LIGHTGBM,
    ORACLE,
    SEASONAL_NAIVE,
    BacktestResult,
    gap_table,
    score,
)
from inventory_pipeline.scoring.segments import (
    evaluation_cells,
    read_launches,
    read_planned_promotions,
    read_promotion_days,
)
from inventory_pipeline.scoring.truth import read_truth
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import concat

ProgressCallback = Callable[[str, int, int], None]  # (stage, i 1-based, n)


def _check_range(warehouse: Warehouse, start: date, end: date) -> None:
    first, latest = first_export(warehouse), latest_export(warehouse)
    if end > latest:
        raise ValueError(
            f"--end {end} is after the latest export {latest}: the days to replay must be "
            f"observed; pass --end {latest} or earlier, or ingest the missing days"
        )
    if start <= first + timedelta(days=14):
        raise ValueError(
            f"--start {start} leaves no history before it (exports begin {first}); start at "
            f"least two weeks after, ideally a year after for the seasonal peers"
        )
    if (end - start).days < 1:
        raise ValueError(f"--start {start} .. --end {end} is empty: evaluate at least two days")


def run_evaluation(
    warehouse: Warehouse,
    start: date,
    end: date,
    out_dir: str | Path,
    forecaster: DemandForecaster | None = None,
    model_version: str | None = None,
    truth_dir: str | Path | None = None,
    cfg: EvaluationConfig = DEFAULT_EVALUATION_CONFIG,
    on_progress: ProgressCallback | None = None,
    feature_config: FeatureConfig | None = None,
) -> EvaluationResult:
    """Score the model and its peers over rolling origins in ``start .. end`` and replay the
    reorder policy each drives; write the report into ``out_dir``.

    Args:
        warehouse: raw exports and feature tables (ingested up to at least ``end``).
        start: first origin and first replayed day.
        end: last replayed day (forecast targets after it are not scored).
        out_dir: report folder (created; files are overwritten).
        forecaster: the model (e.g. ``tracking.load_champion``); None scores the peers only.
        model_version: the registry version of ``forecaster`` (shown in the report).
        truth_dir: ground truth of a generated shop; None or a missing folder = a real shop
            (observed units, stockout days excluded from scoring).
        cfg: every number of the run.
        on_progress: ``(stage, i, n)`` after each origin, peer fit and simulation.
        feature_config: the shop's feature settings (its events); default: the defaults.
    """
    started = time.perf_counter()
    horizon = forecaster.config.horizon_days if forecaster is not None else cfg.horizon_days
    _check_range(warehouse, start, end)
    truth = read_truth(truth_dir)
    notes: list[str] = []
    if truth is None:
        where = f" ({truth_dir} does not exist)" if truth_dir is not None else ""
        notes.append(
            f"No ground truth{where}: demand is the observed units; stockout days (sales below "
            "demand) are excluded from every score, and the simulation estimates their demand "
            f"from the trailing {cfg.impute_window_days} usable days for the stock physics only."
        )
    origins = evaluation_origins(start, end, cfg.origin_stride_days)
    rng = np.random.default_rng(cfg.seed)
    version = model_version or "unregistered"
    forecasts: list[OriginForecasts] = []
    for i, origin in enumerate(origins, start=1):

        def per_method(stage: str, _: int, __: int, i: int = i) -> None:
            if on_progress is not None:
                on_progress(stage, i, len(origins))

        forecasts.append(
            origin_forecasts(
                warehouse,
                origin,
                horizon,
                cfg,
                forecaster,
                version,
                truth,
                rng,
                per_method,
                feature_config,
            )
        )
        if on_progress is not None:
            on_progress("forecasts", i, len(origins))
    methods = tuple(forecasts[0].methods)
    order = [CHAMPION, LIGHTGBM, "auto_ets", "seasonal_naive", ORACLE]
    methods = tuple(sorted(methods, key=lambda m: order.index(m) if m in order else len(order)))

    demand = read_demand_with_stock(warehouse)
    promotion_days = read_promotion_days(warehouse, start, end + timedelta(days=horizon))
    accuracy = _accuracy(
        forecasts, horizon, end, demand, warehouse, promotion_days, truth, cfg, methods
    )
    if on_progress is not None:
        on_progress("accuracy", 1, 1)
    shop = read_shop_days(warehouse, start, end, demand, truth, cfg.impute_window_days)
    if truth is None and shop.imputed_sku_days:
        notes.append(
            f"{shop.imputed_sku_days} on-sale SKU-days were stockouts; their demand was estimated."
        )
    replayed = replay(shop, forecasts, methods, promotion_days, truth, cfg, rng, on_progress)
    calibration = decision_calibration(
        shop, forecasts, methods, cfg.decision_levels, cfg.reorder, cfg.cover_bucket_edges
    )
    result = EvaluationResult(
        out_dir=Path(out_dir),
        start=start,
        end=end,
        origins=origins,
        horizon_days=horizon,
        model_version=model_version if forecaster is not None else None,
        methods=methods,
        accuracy=accuracy,
        replay=replayed,
        shop=shop,
        config=cfg,
        notes=tuple(notes),
        seconds=time.perf_counter() - started,
        calibration=calibration,
    )
    files = write_report(result)
    if on_progress is not None:
        on_progress("report", 1, 1)
    return dataclasses.replace(result, files=files, seconds=time.perf_counter() - started)


STATISTICAL = (SEASONAL_NAIVE, AUTO_ETS)  # the evaluation's gap closed is against these two


def _accuracy(
    forecasts: list[OriginForecasts],
    horizon: int,
    end: date,
    demand: pl.DataFrame,
    warehouse: Warehouse,
    promotion_days: pl.DataFrame,
    truth: Any,
    cfg: EvaluationConfig,
    methods: tuple[str, ...],
) -> BacktestResult:
    """Every method scored on the same cells, by segment and horizon (the backtest's scorer)."""
    windows = concat([f.windows for f in forecasts])
    history = pl.concat([f.history for f in forecasts])
    origins = [f.origin for f in forecasts]
    planned = read_planned_promotions(warehouse, origins, horizon)  # the promo_planned segment
    cells = evaluation_cells(
        windows, horizon, end, demand, history, read_launches(warehouse), promotion_days, truth,
        cfg.training.segments, planned,
    )  # fmt: skip
    levels = tuple(cfg.training.scored_levels)
    frame = pl.concat([f.long_frame(levels) for f in forecasts])
    table, by_horizon = score(cells, frame, levels, methods)
    learned = tuple(m for m in methods if m in (CHAMPION, LIGHTGBM))
    return BacktestResult(
        cells=cells, forecasts=frame, metrics=table, by_horizon=by_horizon,
        gap=gap_table(table, learned, baselines=STATISTICAL), levels=levels, methods=methods,
        learned=learned,
    )  # fmt: skip


def log_to_mlflow(
    result: EvaluationResult, run_name: str | None = None, tags: dict[str, str] | None = None
) -> str:
    """Log the evaluation as one MLflow run (params, headline metrics, the report folder).

    MLflow must be configured (``tracking.configure`` or ``MlflowResource.configure``) first.
    Returns the run id.
    """
    import mlflow

    from inventory_pipeline.tracking import RUN_DESCRIPTION_TAG, rounded

    cfg = result.config
    name = run_name or f"evaluation {result.start}..{result.end}"
    with mlflow.start_run(run_name=name) as run:
        description = (
            f"Champion vs peers over {result.start}..{result.end}: accuracy and an inventory "
            f"replay against {result.actuals} actuals"
        )
        mlflow.set_tags(
            {"kind": "evaluation", "actuals": result.actuals, RUN_DESCRIPTION_TAG: description,
             **(tags or {})}
        )  # fmt: skip
        mlflow.log_params(
            {
                "start": result.start.isoformat(),
                "end": result.end.isoformat(),
                "origins": len(result.origins),
                "origin_stride_days": cfg.origin_stride_days,
                "horizon_days": result.horizon_days,
                "model_version": result.model_version or "none",
                "methods": ",".join(result.methods),
                "skus": len(result.shop.skus),
                "actuals": result.actuals,
                "service_levels": ",".join(f"{q:g}" for q in cfg.service_levels),
                "lead_time_distribution": cfg.lead_time_distribution,
                "lead_time_jitter": cfg.lead_time_jitter,
            }
        )
        mlflow.log_metrics(rounded(result.headline()))
        mlflow.log_dict(_json_ready(cfg.to_dict()), "evaluation/config.json")
        if result.out_dir.is_dir():
            mlflow.log_artifacts(str(result.out_dir), "evaluation")
        return run.info.run_id


def _json_ready(value: Any) -> Any:
    """Dataclass dicts with tuples and dates, as plain JSON values."""
    return json.loads(json.dumps(value, default=str))
