"""Shop events as model inputs, on a tiny generated shop (real DuckDB, Parquet and encoder).

Each configured event is its own history and known-future channel; a model records the events it
was trained with and refuses a calendar that lacks one; a shop without events trains and forecasts.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from inventory_pipeline import contract
from inventory_pipeline.features.as_of import features_as_of
from inventory_pipeline.features.build import build_all
from inventory_pipeline.features.calendar import EventRule
from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.model import DemandForecaster, ModelConfig
from inventory_pipeline.model.config import event_channel
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.training import TrainingConfig, build_splits, plan_origins, read_demand
from inventory_pipeline.training.fit import fit
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import samples_from_features

# Two made-up events (nothing here is the sample shop's calendar): a fixed two-day fair and the
# first Monday of December.
FAIR = EventRule("autumn_fair", "fixed", month=10, day=20, length_days=2)
SALE = EventRule("winter_sale", "nth_weekday", month=12, weekday=0, nth=1)
GALA = EventRule("harvest_gala", "fixed", month=11, day=3)
CFG = TrainingConfig(
    backtest_days=14,
    backtest_stride=7,
    validation_origins=1,
    validation_stride=7,
    train_stride=7,
    min_history_days=14,
    baseline_history_days=30,
    model_overrides={
        "history_days": 14,
        "horizon_days": 7,
        "quantiles": (0.1, 0.5, 0.9),
        "max_tokens": 16,
        "d_model": 8,
        "max_epochs": 1,
        "launch_curve": False,
    },
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    root = tmp_path_factory.mktemp("events_shop")
    generate_shop(
        root / "landing", root / "truth", skus=8, days=80, start=date(2024, 10, 1), seed=5,
        progress=False,
    )  # fmt: skip
    wh = Warehouse(root / "warehouse")
    for table in contract.TABLES.values():  # products first: the others check SKUs against it
        ingest_days(root / "landing", wh, table, landing_dates(root / "landing", table.name))
    build_all(wh)
    return wh


def _channel(config: ModelConfig, kind: str, name: str) -> int:
    return getattr(config, f"{kind}_covariates").index(name)


def test_one_channel_per_configured_event_on_its_days(warehouse: Warehouse) -> None:
    config = CFG.model_config(events=(FAIR, SALE))
    assert config.event_names == ("autumn_fair", "winter_sale")
    origin = date(2024, 11, 28)  # history 11-15 .. 11-28, future 11-29 .. 12-05
    features = features_as_of(
        warehouse, origin, history_days=14, horizon=7,
        config=FeatureConfig(events=(FAIR, SALE)),
    )  # fmt: skip
    samples = samples_from_features(features, config).samples
    fut = samples.future_covariates  # (N, H, C_f)
    future_days = [origin + timedelta(days=h) for h in range(1, 8)]
    sale = fut[:, :, _channel(config, "future", event_channel("winter_sale"))]
    assert np.all(sale == [float(d == date(2024, 12, 2)) for d in future_days])
    assert not fut[:, :, _channel(config, "future", event_channel("autumn_fair"))].any()

    origin = date(2024, 10, 25)  # history 10-12 .. 10-25 holds the fair (10-20, 10-21)
    features = features_as_of(
        warehouse, origin, history_days=14, horizon=7,
        config=FeatureConfig(events=(FAIR, SALE)),
    )  # fmt: skip
    hist = samples_from_features(features, config).samples.history_covariates
    history_days = [origin - timedelta(days=13 - i) for i in range(14)]
    fair = hist[:, :, _channel(config, "history", event_channel("autumn_fair"))]
    expected = [float(d in (date(2024, 10, 20), date(2024, 10, 21))) for d in history_days]
    assert np.all(fair == expected)
    assert not hist[:, :, _channel(config, "history", event_channel("winter_sale"))].any()


def test_layout_follows_the_configured_events() -> None:
    two = CFG.model_config(events=(FAIR, SALE))
    none = CFG.model_config(events=())
    assert not any(c.startswith("event_") for c in none.future_covariates + none.history_covariates)
    assert len(two.future_covariates) == len(none.future_covariates) + 2
    assert len(two.history_covariates) == len(none.history_covariates) + 2
    assert ModelConfig.from_json(two.to_json()).event_names == ("autumn_fair", "winter_sale")
    with pytest.raises(ValueError, match="unique"):
        CFG.model_config(events=(FAIR, FAIR))


@pytest.fixture(scope="module")
def trained_two_events(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained with events A (fair) and B (sale), saved and its folder returned."""
    features = FeatureConfig(events=(FAIR, SALE))
    config = CFG.model_config(events=features.events)
    plan = plan_origins(warehouse, CFG, config.horizon_days)
    splits = build_splits(warehouse, plan, config, read_demand(warehouse), feature_config=features)
    forecaster, _ = fit(splits.train, splits.validation, config)
    return forecaster.save(tmp_path_factory.mktemp("model_two_events"))


def test_model_refuses_a_calendar_without_one_of_its_events(
    warehouse: Warehouse, trained_two_events: Path, caplog: pytest.LogCaptureFixture
) -> None:
    forecaster = DemandForecaster.load(trained_two_events)
    assert forecaster.config.event_names == ("autumn_fair", "winter_sale")
    origin = date(2024, 11, 28)
    without_sale = features_as_of(
        warehouse, origin, history_days=14, horizon=7, config=FeatureConfig(events=(FAIR,))
    )
    with pytest.raises(ValueError, match=r"\['winter_sale'\].*Retrain the model"):
        samples_from_features(without_sale, forecaster.config)

    # an event configured after training is not an input until the next retraining: a warning
    more = features_as_of(
        warehouse, origin, history_days=14, horizon=7,
        config=FeatureConfig(events=(GALA, SALE, FAIR)),
    )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="inventory_pipeline.windows"):
        samples = samples_from_features(more, forecaster.config).samples
    assert "harvest_gala" in caplog.text
    forecast = forecaster.predict(samples)
    assert np.isfinite(forecast.daily).all()


def test_legacy_single_flag_model_is_told_to_retrain(warehouse: Warehouse) -> None:
    base = CFG.model_config()
    legacy = ModelConfig.from_dict(
        {**base.to_dict(), "future_covariates": [*base.future_covariates, "event_flag"]}
    )
    features = features_as_of(
        warehouse, date(2024, 11, 28), history_days=14, horizon=7,
        config=FeatureConfig(events=(FAIR, SALE)),
    )  # fmt: skip
    with pytest.raises(ValueError, match="event_flag.*retrain"):
        samples_from_features(features, legacy)


def test_a_shop_without_events_trains_and_forecasts(warehouse: Warehouse) -> None:
    features = FeatureConfig(events=())
    config = CFG.model_config(events=features.events)
    assert config.event_names == ()
    plan = plan_origins(warehouse, CFG, config.horizon_days)
    splits = build_splits(warehouse, plan, config, read_demand(warehouse), feature_config=features)
    forecaster, history = fit(splits.train, splits.validation, config)
    assert history.best_val_loss is not None and np.isfinite(history.best_val_loss)
    forecast = forecaster.predict(splits.backtest.samples)
    assert forecast.daily.shape == (len(splits.backtest), 7, 3)
    assert np.isfinite(forecast.daily).all()
