"""The text level prior: learned from established products' documents, read by the launch curve.

Real encoder (the bundled all-MiniLM-L6-v2), real ridge and LoRA fits, on small catalogs whose
product type decides how much a product sells.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inventory_pipeline.model import DemandForecaster, ForecastSamples, ModelConfig
from inventory_pipeline.model.config import replace
from inventory_pipeline.model.launch import LaunchInputs, fit_launch_curve
from inventory_pipeline.model.text import TextFeaturizer, resolve_encoder_path
from inventory_pipeline.model.text_prior import (
    PSEUDO_DAYS,
    TEXT_PRIOR_FILE,
    TEXT_PRIOR_WEIGHTS,
    TextPrior,
    check_on_validation,
    fit_text_prior,
    level_document,
    level_targets,
    training_ratios,
    young_ratios,
)
from inventory_pipeline_tests.model.synthetic import small_config

TYPES = {"Frying Pan": 4.0, "Skillet": 2.0, "Wok": 1.0, "Stockpot": 0.5}  # level per type
CATEGORY_LEVEL = 1.5  # units per product and day of the category
BRANDS = ("Kuchwerk", "Potline", "Chefista", "Forgeware", "Siebware", "Cuivrista")


def document(kind: str, brand: str, review: str = "") -> str:
    text = (
        f"Title: {brand} {kind}, 24 cm\nCategory: home > kitchen > cookware\nBrand: {brand}\n"
        f"Price tier: mid\nDescription: Solid quality for daily use. Made from stainless steel."
    )
    return text + (f"\nRecent reviews:\n- 4/5 Good: {review}" if review else "")


def prior_config(**changes: object) -> ModelConfig:
    values: dict[str, object] = {
        "history_days": 14,
        "horizon_days": 7,
        "launch_curve": True,
        "launch_max_age_days": 14.0,
        "launch_draws": 128,
        "text_prior_min_products": 8,
    }
    values.update(changes)
    return small_config(**values)


def catalog_samples(
    config: ModelConfig,
    products: list[tuple[str, str]],
    age: float,
    seed: int = 0,
    types: dict[str, float] = TYPES,
) -> ForecastSamples:
    """One window per (type, brand) product launched ``age`` days before the origin, selling
    Poisson(type level x category level) on every history and target day."""
    rng = np.random.default_rng(seed)
    n, L, H = len(products), config.history_days, config.horizon_days
    level = np.array([types[kind] * CATEGORY_LEVEL for kind, _ in products])
    observed = np.ones((n, L), dtype=np.float32)
    if age < L:
        observed[:, : L - max(int(age), 0)] = 0.0
    since_fut = age + np.arange(1, H + 1)[None, :].repeat(n, 0)
    future = np.zeros((n, H, len(config.future_covariates)), dtype=np.float32)
    future[..., config.future_covariates.index("is_launched")] = (since_fut >= 0).astype(float)
    future[..., config.future_covariates.index("days_since_launch_log1p")] = np.log1p(
        np.maximum(since_fut, 0)
    )
    future[..., config.future_covariates.index("category_season_known")] = 1.0
    static = np.zeros((n, len(config.static_features)), dtype=np.float32)
    static[:, config.static_features.index("days_since_launch_log1p")] = np.log1p(max(age, 0))
    static[:, config.static_features.index("category_recent_log")] = np.log(CATEGORY_LEVEL)
    reviews = ("Works well.", "Great pan, heats evenly.", "Arrived quickly.")
    return ForecastSamples(
        texts=[document(k, b, reviews[i % 3]) for i, (k, b) in enumerate(products)],
        history_units=(rng.poisson(level[:, None], (n, L)) * observed).astype(np.float32),
        history_stockout=np.zeros((n, L), dtype=np.float32),
        history_observed=observed,
        history_covariates=np.zeros((n, L, len(config.history_covariates)), dtype=np.float32),
        future_covariates=future,
        static=static,
        target_units=rng.poisson(level[:, None], (n, H)).astype(np.float32),
        target_censored=np.zeros((n, H), dtype=np.float32),
    )


def established(config: ModelConfig) -> ForecastSamples:
    products = [(kind, brand) for kind in TYPES for brand in BRANDS]
    return catalog_samples(config, products, age=400.0)


@pytest.fixture(scope="module")
def featurizer() -> TextFeaturizer:
    return TextFeaturizer(prior_config(), resolve_encoder_path(None))


def test_review_snippets_are_not_read() -> None:
    assert level_document(document("Wok", "Potline", "Great!")) == document("Wok", "Potline")
    config = prior_config()
    samples = established(config)
    targets = level_targets(samples, config)
    assert len(targets.documents) == len(TYPES) * len(BRANDS)
    assert not any("Recent reviews" in d for d in targets.documents)
    by_type = {
        kind: np.mean([y for d, y in zip(targets.documents, targets.log_ratio) if kind in d])
        for kind in TYPES
    }
    # the target is the level over the category's (4 for frying pans, 0.5 for stockpots), shrunk
    # towards 1 by PSEUDO_DAYS days at the category's level

    def shrunk(ratio: float) -> float:
        days = config.history_days
        return float(np.log((days * ratio + PSEUDO_DAYS) / (days + PSEUDO_DAYS)))

    assert by_type["Frying Pan"] == pytest.approx(shrunk(4.0), abs=0.15)
    assert by_type["Stockpot"] == pytest.approx(shrunk(0.5), abs=0.15)


def test_young_products_are_not_targets() -> None:
    config = prior_config()
    young = catalog_samples(config, [("Wok", b) for b in BRANDS], age=5.0)
    assert level_targets(young, config).documents == []


def test_frozen_prior_learns_what_a_product_type_sells(featurizer: TextFeaturizer) -> None:
    config = prior_config(text_prior="frozen")
    prior, out_of_fold = fit_text_prior(established(config), config, featurizer)
    assert prior.kind == "frozen", prior.reason
    assert prior.cv_mse["frozen"] < 0.5 * prior.cv_mse["constant"]
    assert len(out_of_fold) == len(TYPES) * len(BRANDS)  # every product held out once
    # new products of a brand the prior never saw
    new = [document(kind, "Brandneu") for kind in TYPES]
    predicted = dict(zip(TYPES, prior.predict(new, featurizer)))
    assert predicted["Frying Pan"] > predicted["Wok"] > predicted["Stockpot"]


def test_no_prior_below_the_minimum_of_products(featurizer: TextFeaturizer) -> None:
    config = prior_config(text_prior="auto", text_prior_min_products=100)
    prior, out_of_fold = fit_text_prior(established(config), config, featurizer)
    assert prior.kind == "none"
    assert "fewer than text_prior_min_products=100" in prior.reason
    assert out_of_fold == {}


def test_the_launch_curve_starts_a_new_product_from_its_prior(
    featurizer: TextFeaturizer,
) -> None:
    config = prior_config(text_prior="frozen")
    train = established(config)
    prior, out_of_fold = fit_text_prior(train, config, featurizer)
    launches = catalog_samples(
        config, [(k, b) for k in TYPES for b in BRANDS for _ in range(3)], age=3.0, seed=1
    )
    both = joined(train, launches)
    ratios = training_ratios(both, prior, out_of_fold, featurizer)
    curve = fit_launch_curve([both], config, [ratios])
    assert curve is not None
    new = catalog_samples(config, [("Frying Pan", "Brandneu"), ("Stockpot", "Brandneu")], -2.0)
    without = LaunchInputs.from_samples(new, config, curve.max_age_days)
    served = young_ratios(new, without.young, prior, featurizer)
    assert served is not None and served[0] > 2.0 * served[1]
    with_prior = LaunchInputs.from_samples(new, config, curve.max_age_days, served)
    daily, cumulative = curve.predict(with_prior, config.quantiles)
    flat_daily, flat_cumulative = curve.predict(without, config.quantiles)
    median = config.quantiles.index(0.5)
    # the frying pan's lead-time demand is above the category-only forecast, the stockpot's below
    assert cumulative[0, -1, median] > flat_cumulative[0, -1, median]
    assert cumulative[1, -1, median] < flat_cumulative[1, -1, median]


def joined(a: ForecastSamples, b: ForecastSamples) -> ForecastSamples:
    return ForecastSamples(
        **{
            name: (list(x) + list(y)) if name == "texts" else np.concatenate([x, y])
            for name, x, y in ((f, getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
        }
    )


@pytest.mark.parametrize("validation_types", ["same", "reversed"])
def test_the_prior_is_kept_only_if_the_launches_are_better_with_it(
    featurizer: TextFeaturizer, validation_types: str
) -> None:
    config = prior_config(text_prior="frozen")
    launches = [(k, b) for k in TYPES for b in BRANDS]
    train = joined(established(config), catalog_samples(config, launches * 2, age=2.0, seed=1))
    prior, out_of_fold = fit_text_prior(train, config, featurizer)
    ratios = training_ratios(train, prior, out_of_fold, featurizer)
    with_prior = fit_launch_curve([train], config, [ratios])
    without = fit_launch_curve([train], config)
    # validation launches of new brands whose types sell as in training, or the other way round
    types = TYPES if validation_types == "same" else dict(zip(TYPES, reversed(TYPES.values())))
    new = [(k, b) for k in TYPES for b in ("Brandneu", "Neumarke", "Frischware")]
    validation = catalog_samples(config, new * 3, age=1.0, seed=2, types=types)
    kept, curve = check_on_validation(prior, with_prior, without, validation, config, featurizer)
    assert prior.kind == "frozen"
    if validation_types == "same":
        assert kept.kind == "frozen" and curve is with_prior
        assert "better on the validation launches" in kept.reason
    else:
        assert kept.kind == "none" and curve is without
        assert kept.reason.startswith("frozen prior left out: worse on the daily")
    assert kept.validation["daily_with_prior"] != kept.validation["daily_without"]


def test_lora_prior_is_cross_fitted_and_saved_with_the_model(
    tmp_path: Path, featurizer: TextFeaturizer
) -> None:
    config = prior_config(text_prior="lora", text_prior_epochs=2, text_prior_folds=2)
    prior, out_of_fold = fit_text_prior(established(config), config, featurizer)
    assert set(prior.cv_mse) == {"constant", "lora"}
    assert prior.kind == "lora", prior.reason  # it starts from the ridge, which passes easily
    assert len(out_of_fold) == len(TYPES) * len(BRANDS)
    assert len(prior.lora_states) == 2  # one model per fold, served as their mean
    new = [document(kind, "Brandneu") for kind in TYPES]
    before = prior.predict(new, featurizer)
    forecaster = DemandForecaster.build(config)
    forecaster.text_prior = prior
    forecaster.save(tmp_path / "model")
    assert (tmp_path / "model" / TEXT_PRIOR_FILE).is_file()
    assert (tmp_path / "model" / TEXT_PRIOR_WEIGHTS).is_file()
    loaded = DemandForecaster.load(tmp_path / "model")
    assert loaded.text_prior is not None and loaded.text_prior.kind == "lora"
    np.testing.assert_array_equal(loaded.text_prior.predict(new, loaded.featurizer), before)
    forecaster.text_prior = None
    forecaster.save(tmp_path / "model")
    assert not (tmp_path / "model" / TEXT_PRIOR_WEIGHTS).exists()
    assert DemandForecaster.load(tmp_path / "model").text_prior is None


def test_frozen_prior_round_trips(tmp_path: Path, featurizer: TextFeaturizer) -> None:
    config = prior_config(text_prior="frozen")
    prior, _ = fit_text_prior(established(config), config, featurizer)
    prior.save(tmp_path)
    loaded = TextPrior.load(tmp_path)
    assert loaded is not None and loaded.summary() == prior.summary()
    new = [document(kind, "Brandneu") for kind in TYPES]
    np.testing.assert_array_equal(loaded.predict(new, featurizer), prior.predict(new, featurizer))


def test_unknown_prior_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="text_prior='bert'"):
        replace(prior_config(), text_prior="bert")


def test_a_products_lora_prior_does_not_depend_on_the_other_documents(
    featurizer: TextFeaturizer,
) -> None:
    config = prior_config(text_prior="lora", text_prior_epochs=1, text_prior_folds=2)
    prior, _ = fit_text_prior(established(config), config, featurizer)
    assert prior.kind == "lora", prior.reason
    alone = prior.predict([document("Wok", "Brandneu")], featurizer)
    among = prior.predict([document(k, b) for k in TYPES for b in BRANDS][:70], featurizer)
    mixed = prior.predict(
        [document(k, b) for k in TYPES for b in BRANDS][:70] + [document("Wok", "Brandneu")],
        featurizer,
    )
    assert mixed[-1] == alone[0]
    np.testing.assert_array_equal(mixed[:-1], among)
