"""The global LightGBM peer (mlforecast): lags, calendar and known future discounts.

Scored next to the statistical baselines by the retraining backtest (its best-baseline reference)
and by the decision-quality evaluation.

The strongest simple peer practitioners reach for after the statistical baselines: one gradient
boosted model over all SKUs, refitted at every origin on the history as known on it
(``features_as_of``, the same window the statistical baselines get), with

- lags of daily units (1..7, 14, 21, 28), rolling means ending yesterday, and the mean of the same
  weekday over the last weeks;
- calendar: day of week, month, every shopping-event flag of the feature calendar;
- the promotion discount in force (history) and *planned* as known on the origin (future), with
  the promotion's type (a categorical feature; with ``promotion_types``) and whether one is in
  force at all (a free-shipping day has no discount), and whether the product is on sale
  (launches and discontinuations inside the horizon);
- static: category and log list price.

Stockout days are censored demand: they stay in the lags (that is what was sold) but get weight 0
in the loss, like the model's masked loss. Days before the data starts get weight 0 too.

Quantiles without compounding errors: a point model (Tweedie, for counts) is rolled forward
recursively by mlforecast; one LightGBM quantile model per scored level (p10 / p50 / p90) is
trained on the same feature rows and evaluated on the feature rows of that recursive path (fed
its own quantiles, a p90 model would drift upwards day after day).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import polars as pl

from inventory_pipeline.features.as_of import FeatureSet
from inventory_pipeline.features.season import season_key

if TYPE_CHECKING:
    from lightgbm import LGBMRegressor


@dataclass(frozen=True)
class LightGBMConfig:
    """The global LightGBM peer (mlforecast): features and boosting settings."""

    lags: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 14, 21, 28)  # daily lags of units
    rolling_windows: tuple[int, ...] = (7, 28)  # rolling means of units ending yesterday
    seasonal_weeks: int = 4  # mean of the same weekday over this many past weeks
    date_features: tuple[str, ...] = ("dayofweek", "month")  # pandas date attributes
    n_estimators: int = 200  # boosting rounds per model
    learning_rate: float = 0.08
    num_leaves: int = 31
    min_child_samples: int = 50  # leaves need this many rows: smooths slow movers
    subsample: float = 0.5  # row bagging share (each round); also halves the fitting time
    colsample_bytree: float = 0.8  # feature share per tree
    max_bin: int = 63  # histogram bins per feature (units and lags are small integers)
    mean_objective: str = "tweedie"  # the point model that drives the recursion (count data)
    threads: int = 1  # LightGBM threads (1 on a shared 2-core machine)
    promotion_types: bool = True  # read the promotion's type and whether one is in force (the
    # model's promotion channels read the same, model.config.with_promotions); False: discounts
    seed: int = 7

    def __post_init__(self) -> None:
        if not self.lags or min(self.lags) < 1:
            raise ValueError(f"LightGBMConfig.lags must be positive, got {self.lags}")
        if self.n_estimators < 1 or self.min_child_samples < 1 or self.threads < 1:
            raise ValueError("LightGBMConfig n_estimators, min_child_samples, threads must be >= 1")


DEFAULT_LIGHTGBM_CONFIG = LightGBMConfig()  # the peer's defaults (immutable)

MEAN = "mean"
_ID, _TIME, _TARGET, _WEIGHT = "unique_id", "ds", "y", "weight"
_STATIC = ("category", "log_price")


def _calendar_columns(features: FeatureSet) -> list[str]:
    return ["is_event"] + [c for c in features.calendar.columns if c.startswith("event_")]


PROMO_TYPE = "promo_type"
NO_PROMOTION = "none"  # the promo_type category of a day without a promotion


def _promotion_columns(cfg: LightGBMConfig) -> list[pl.Expr]:
    if not cfg.promotion_types:
        return []
    return [
        (pl.col(PROMO_TYPE).is_not_null() | (pl.col("discount_pct").fill_null(0.0) > 0))
        .cast(pl.Float32)
        .alias("on_promotion"),
        pl.col(PROMO_TYPE).fill_null(NO_PROMOTION).alias(PROMO_TYPE),
    ]


def _frames(
    features: FeatureSet, cfg: LightGBMConfig = DEFAULT_LIGHTGBM_CONFIG
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training frame, future exogenous frame) in mlforecast's long format."""
    calendar_cols = _calendar_columns(features)
    calendar = features.calendar.select(
        "date", *[pl.col(c).cast(pl.Float32) for c in calendar_cols]
    )
    static = features.static.select(
        "sku",
        season_key().alias("category"),  # no category: one shop-wide level
        pl.col("list_price").cast(pl.Float64).log().alias("log_price"),
    )
    history = (
        features.history.select(
            "sku",
            "date",
            pl.col("units").cast(pl.Float64).alias(_TARGET),
            pl.col("observed").cast(pl.Float64).alias(_WEIGHT),
            (pl.col("discount_pct").fill_null(0.0) / 100.0).alias("discount"),
            *_promotion_columns(cfg),
            pl.col("on_sale").cast(pl.Float32),
        )
        .join(calendar, on="date", how="left")
        .join(static, on="sku", how="left")
    )
    future = features.future.select(
        "sku",
        "date",
        (pl.col("discount_pct").fill_null(0.0) / 100.0).alias("discount"),
        *_promotion_columns(cfg),
        pl.col("on_sale").cast(pl.Float32),
    ).join(calendar, on="date", how="left")
    categories = sorted(static["category"].unique().to_list())
    promo_types = (
        sorted(set(history[PROMO_TYPE].unique().to_list()) | set(future[PROMO_TYPE].unique()))
        if cfg.promotion_types
        else []
    )

    def pandas(frame: pl.DataFrame) -> pd.DataFrame:
        out = (
            frame.rename({"sku": _ID, "date": _TIME})
            .with_columns(pl.col(_TIME).cast(pl.Datetime("ns")))
            .sort(_ID, _TIME)
            .to_pandas()
        )
        if "category" in out:
            out["category"] = pd.Categorical(out["category"], categories=categories)
        if PROMO_TYPE in out:
            out[PROMO_TYPE] = pd.Categorical(out[PROMO_TYPE], categories=promo_types)
        return out

    return pandas(history), pandas(future)


def _lgbm(cfg: LightGBMConfig, objective: str, alpha: float | None = None) -> LGBMRegressor:
    import lightgbm as lgb

    extra = {} if alpha is None else {"alpha": alpha}
    return lgb.LGBMRegressor(
        objective=objective,
        n_estimators=cfg.n_estimators,
        learning_rate=cfg.learning_rate,
        num_leaves=cfg.num_leaves,
        min_child_samples=cfg.min_child_samples,
        subsample=cfg.subsample,
        subsample_freq=1,
        colsample_bytree=cfg.colsample_bytree,
        max_bin=cfg.max_bin,
        n_jobs=cfg.threads,
        random_state=cfg.seed,
        verbose=-1,
        **extra,
    )


def lightgbm_forecast(
    features: FeatureSet,
    skus: Sequence[str],
    horizon: int,
    levels: tuple[float, float, float],
    cfg: LightGBMConfig = DEFAULT_LIGHTGBM_CONFIG,
) -> pl.DataFrame:
    """Per-day forecasts of ``skus`` for horizons 1..H from the feature set as of an origin.

    Args:
        features: ``features_as_of(origin, history_days=..., horizon=H)``; its history is the
            training data (every catalog SKU, dense days), its future the known exogenous values.
        skus: the SKUs to return (SKUs without any history row get zeros).
        horizon: H.
        levels: the scored quantile levels (lo, mid, hi).
        cfg: features and boosting settings.

    Returns:
        ``sku, horizon, mean, p<lo>, p<mid>, p<hi>`` (H rows per SKU, sorted), non-negative,
        quantiles ordered, 0 on days the product is not on sale as known on the origin.
    """
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean, SeasonalRollingMean

    if features.future["horizon"].max() != horizon:
        raise ValueError(
            f"the feature set's future has {features.future['horizon'].max()} days, expected "
            f"H={horizon}: read it with features_as_of(..., horizon={horizon})"
        )
    train, future = _frames(features, cfg)
    lag_transforms = {
        1: [RollingMean(window_size=w) for w in cfg.rolling_windows],
        7: [SeasonalRollingMean(season_length=7, window_size=cfg.seasonal_weeks)],
    }
    engine = MLForecast(
        models={MEAN: _lgbm(cfg, cfg.mean_objective)},
        freq="D",
        lags=list(cfg.lags),
        lag_transforms=lag_transforms,
        date_features=list(cfg.date_features),
        num_threads=1,
    )
    prepared = engine.preprocess(
        train, static_features=list(_STATIC), weight_col=_WEIGHT, dropna=True
    )
    feature_names = list(engine.ts.features_order_)
    usable = prepared[prepared[_WEIGHT] > 0]  # weight-0 rows only cost time (they stay in lags)
    if usable.empty:
        raise ValueError(
            f"no usable (observed, not stockout) history day before {features.as_of}: the "
            "LightGBM peer has nothing to learn from; start the evaluation later"
        )
    X, y, w = usable[feature_names], usable[_TARGET].to_numpy(), usable[_WEIGHT].to_numpy()
    engine.fit_models(usable[feature_names + [_WEIGHT]], y)
    quantile_models = [_lgbm(cfg, "quantile", alpha=q).fit(X, y, sample_weight=w) for q in levels]

    steps: list[pd.DataFrame] = []

    def capture(step_features: pd.DataFrame) -> pd.DataFrame:
        steps.append(step_features.copy())
        return step_features

    with warnings.catch_warnings():
        # Young series have too few days for the longest lags: LightGBM treats the missing
        # lags as missing values (what they are), mlforecast warns about each step.
        warnings.filterwarnings("ignore", message="Found null values", category=UserWarning)
        mean_path = engine.predict(h=horizon, X_df=future, before_predict_callback=capture)
    uids = list(engine.ts.uids)
    n = len(uids)
    mean = mean_path[MEAN].to_numpy().reshape(n, horizon)
    quantiles = np.stack(
        [np.stack([m.predict(x) for x in steps], axis=1) for m in quantile_models], axis=-1
    )  # (N, H, 3)
    quantiles = np.sort(np.maximum(quantiles, 0.0), axis=-1)
    on_sale = future["on_sale"].to_numpy().reshape(n, horizon)
    mean = np.maximum(mean, 0.0) * on_sale
    quantiles = quantiles * on_sale[:, :, None]

    names = [f"p{round(q * 100, 6):g}" for q in levels]
    frame = pl.DataFrame(
        {
            "sku": np.repeat(np.asarray(uids, dtype=object), horizon).tolist(),
            "horizon": np.tile(np.arange(1, horizon + 1, dtype=np.int32), n),
            MEAN: mean.reshape(-1),
            **{name: quantiles[:, :, i].reshape(-1) for i, name in enumerate(names)},
        }
    )
    missing = sorted(set(skus) - set(uids))
    if missing:
        zeros = pl.DataFrame(
            {
                "sku": np.repeat(np.asarray(missing, dtype=object), horizon).tolist(),
                "horizon": np.tile(np.arange(1, horizon + 1, dtype=np.int32), len(missing)),
            }
        ).with_columns([pl.lit(0.0).alias(c) for c in (MEAN, *names)])
        frame = pl.concat([frame, zeros])
    wanted = pl.DataFrame({"sku": list(skus)})
    result = wanted.join(frame, on="sku", how="left").sort("sku", "horizon")
    if result.select(pl.col(MEAN).is_null().any()).item() or not all(
        math.isfinite(v) for v in result[MEAN].to_list()
    ):
        raise ValueError("the LightGBM peer produced missing or non-finite forecasts")
    return result
