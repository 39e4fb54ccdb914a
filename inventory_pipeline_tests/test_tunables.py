"""Each tunable has one home: the defaults, the published levels and the run configs derive from it.

The run-config checks use the pipeline's real definitions: Dagster validates a run config
against the schema it built from the derived classes, the way the launchpad does.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import dagster as dg
import pytest

from inventory_pipeline import overrides
from inventory_pipeline.baselines import BaselineConfig
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.forecasting.assets import ReorderPlanConfig
from inventory_pipeline.defs.training.assets import TrainingRunConfig
from inventory_pipeline.evaluation.config import EvaluationConfig
from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.forecast_shape import (
    HORIZON_DAYS,
    PUBLISHED_LEVELS,
    check_levels,
    level_index,
)
from inventory_pipeline.model.config import ADDED_SWITCHED_OFF, ModelConfig
from inventory_pipeline.reorder import ReorderConfig
from inventory_pipeline.settings import ShopSettings, parse_text
from inventory_pipeline.training.config import TrainingConfig

defs = build_definitions(date(2024, 1, 1))


def test_the_pipeline_trains_with_the_model_configs_declared_defaults() -> None:
    assert TrainingConfig().model_overrides == {}
    assert TrainingConfig().model_config() == ModelConfig()
    model = ModelConfig()
    check_levels(model.quantiles)  # the forecasts table's levels are among the defaults
    assert model.launch_curve and model.finetune == "frozen"


def test_every_horizon_default_is_the_one_constant() -> None:
    horizons = {
        "settings, no catalog yet": ShopSettings().horizon(None),
        "settings, short lead times": ShopSettings().horizon(5),
        "features": FeatureConfig().horizon_days,
        "model": ModelConfig().horizon_days,
        "baselines": BaselineConfig().horizon_days,
        "evaluation": EvaluationConfig().horizon_days,
    }
    assert horizons == dict.fromkeys(horizons, HORIZON_DAYS)
    # the shop's setting is the one a run uses
    settings = parse_text("forecast: {horizon_days: 21}\n")
    assert settings.feature_config().horizon_days == 21
    assert TrainingRunConfig().training_config(settings).model_config().horizon_days == 21
    # auto: the horizon the run's windows were built with
    auto = ShopSettings(horizon_days=None)
    assert TrainingRunConfig().training_config(auto, 63).model_config().horizon_days == 63


def test_one_check_of_the_published_levels() -> None:
    assert TrainingConfig().scored_levels == PUBLISHED_LEVELS
    assert BaselineConfig().level == 80  # the p10..p90 interval
    assert level_index((0.05, 0.1, 0.5, 0.9), 0.9) == 3
    with pytest.raises(ValueError, match=r"0\.1 is not among the model's levels .*retrain"):
        check_levels((0.25, 0.5, 0.9))
    with pytest.raises(ValueError, match=r"0\.9 is not among"):
        TrainingConfig().model_config(quantiles=(0.1, 0.5, 0.75))


def test_a_saved_config_without_a_newer_field_loads_it_switched_off() -> None:
    saved = ModelConfig().to_dict()
    old = {k: v for k, v in saved.items() if k not in ADDED_SWITCHED_OFF}
    loaded = ModelConfig.from_json(json.dumps(old))
    assert not loaded.launch_curve and loaded.text_min_launch_age_days == 0.0
    assert loaded.prior_offset_feature is None and loaded.prior_excluded_static == ()
    assert ModelConfig.from_json(ModelConfig().to_json()) == ModelConfig()  # all present: as saved


def test_shop_settings_take_the_policys_defaults() -> None:
    policy, settings = ReorderConfig(), ShopSettings()
    shared = ("service_level", "review_period_days", "holding_cost_rate", "max_snapshot_age_days")
    assert {n: getattr(settings, n) for n in shared} == {n: getattr(policy, n) for n in shared}
    assert EvaluationConfig().headline_service_level == policy.service_level


def test_the_reorder_plan_run_config_has_every_policy_field_described() -> None:
    fields = ReorderPlanConfig.model_fields
    assert list(fields) == [f.name for f in dataclasses.fields(ReorderConfig)]
    undescribed = [name for name, field in fields.items() if not field.description]
    assert undescribed == []
    assert "critical fractile" in (fields["use_cost_ratio"].description or "")
    # empty: the shop's settings; set: this run's value, as the policy holds it
    settings = parse_text("reorder: {service_level: 0.9, review_period_days: 7}\n")
    assert ReorderPlanConfig().policy(settings) == settings.reorder_config()
    policy = ReorderPlanConfig(
        service_level=0.97, lead_time_range=[1.0, 1.5], category_service_levels={"toys": 0.8}
    ).policy(settings)
    assert (policy.service_level, policy.review_period_days) == (0.97, 7)
    assert policy.lead_time_range == (1.0, 1.5) and policy.category_service_levels == {"toys": 0.8}


def test_dagster_checks_run_configs_built_from_the_dataclasses() -> None:
    nightly = defs.resolve_job_def("nightly_forecast_job")
    ops = {"reorder_plan": {"config": {"lead_time_points": 9, "lead_time_range": [1.0, 1.2]}}}
    assert dg.validate_run_config(nightly, {"ops": ops})
    with pytest.raises(dg.DagsterInvalidConfigError, match="lead_time_points"):
        dg.validate_run_config(
            nightly, {"ops": {"reorder_plan": {"config": {"lead_time_points": "x"}}}}
        )
    retrain = defs.resolve_job_def("retrain_job")
    good = {"ops": {"training_windows": {"config": {"baselines": ["auto_ets"], "seed": 3}}}}
    assert dg.validate_run_config(retrain, good)


def test_the_training_run_config_derives_its_fields() -> None:
    fields = TrainingRunConfig.model_fields
    assert [name for name, field in fields.items() if not field.description] == []
    model_fields = {f.name for f in dataclasses.fields(ModelConfig)}
    training_fields = {f.name for f in dataclasses.fields(TrainingConfig)}
    assert set(fields) - model_fields - training_fields == {"truth_dir", "until"}
    run = TrainingRunConfig(finetune="lora", max_epochs=3, baselines=["auto_ets"], backtest_days=60)
    cfg = run.training_config()
    assert cfg.baselines == ("auto_ets",) and cfg.backtest_days == 60
    model = cfg.model_config()
    assert (model.finetune, model.max_epochs) == ("lora", 3)
    assert dataclasses.replace(model, finetune="frozen", max_epochs=12) == ModelConfig()


def test_field_comments_read_the_declared_comment() -> None:
    comments = overrides.field_comments(ReorderConfig)
    assert comments["max_snapshot_age_days"].startswith("an older latest snapshot")
    assert "longest matching prefix" in comments["category_service_levels"]  # continued line
    with pytest.raises(ValueError, match="no fields .*'nope'"):
        overrides.optional_fields(ReorderConfig, ["service_level", "nope"])
