"""The one place every tunable number of the demand model lives, with the pipeline's values.

Each field's default is the value the pipeline trains with (docs/model.md has the benchmarks
behind them); a run changes a field explicitly (``TrainingConfig.model_overrides``, run config).
A :class:`ModelConfig` is saved as JSON next to the weights, so a loaded model is rebuilt with
exactly the numbers it was trained with.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

from inventory_pipeline.forecast_shape import HORIZON_DAYS

FinetuneStrategy = Literal["frozen", "top_k", "lora", "full"]
FINETUNE_STRATEGIES: tuple[str, ...] = ("frozen", "top_k", "lora", "full")
TextPriorKind = Literal["none", "frozen", "lora", "auto"]
DocumentLayout = Literal["as_built", "reviews_first", "reviews_apart"]
DOCUMENT_LAYOUTS: tuple[str, ...] = ("as_built", "reviews_first", "reviews_apart")
TEXT_PRIOR_KINDS: tuple[str, ...] = ("none", "frozen", "lora", "auto")
CensoringMode = Literal["mask", "lower_bound"]
CENSORING_MODES: tuple[str, ...] = ("mask", "lower_bound")

# Recommended per-day covariate layouts. The model only relies on the *number* of channels, but the
# names travel with the saved config so whoever builds the windows can check they match. The shop's
# own events are not listed here: :func:`with_events` appends one channel per configured event.
DEFAULT_HISTORY_COVARIATES: tuple[str, ...] = (
    "discount_fraction",  # price reduction that day, 0..1
    "dow_sin",  # day of week on the unit circle
    "dow_cos",
    "doy_sin",  # day of year on the unit circle (season)
    "doy_cos",
    "review_rating_mean",  # rolling mean rating, 1..5 (0 when there are no reviews yet)
    "review_negative_share",  # rolling share of ratings <= 2, 0..1
    "review_count_log1p",  # log1p of the rolling review count
)
DEFAULT_FUTURE_COVARIATES: tuple[str, ...] = (
    "planned_discount_fraction",  # discount of promotions announced on or before the origin
    "after_discount_fraction",  # deepest discount of the post_promotion_days days before the day
    "days_after_discount_scaled",  # days since the last discounted day / post_promotion_days
    "dow_sin",
    "dow_cos",
    "doy_sin",
    "doy_cos",
    "is_launched",  # 0 before the launch date, 1 from it: covers launches inside the horizon
    "days_since_launch_log1p",  # log1p(max(days since launch, 0))
    "category_season_log",  # the category's change from now to that day, as seen a year ago
    "category_season_known",  # 1 when the shop has last year's data for it
)
# Optional channel, not in the default layouts (docs/model.md, "Events"): "any_event", 1 on a day
# of any configured event.
# The future channels of what a promotion that just ended leaves behind (windows.after_discount):
# with them the per-day decoder can learn the dip after a promotion (docs/whatif.md).
AFTER_DISCOUNT_CHANNELS: tuple[str, ...] = (
    "after_discount_fraction",
    "days_after_discount_scaled",
)
EVENT_CHANNEL_PREFIX = "event_"  # event_<name>: 1 on the days of the shop's event <name>, else 0
PROMOTION_CHANNEL = "on_promotion"  # 1 on a day with a promotion in force (history) or announced
# (future), whatever its type and discount: a free-shipping day has no discount to read
PROMO_TYPE_CHANNEL_PREFIX = "promo_type_"  # promo_type_<type>: 1 on the days of a promotion of
# that type (the promotions export's promo_type), else 0; see with_promotions
REVIEW_CHANGE_CHANNEL = "review_negative_change"  # optional history channel: the share of
# 1-2-star reviews over the last 28 days minus the product's share over all its reviews (0 without
# a review in 28 days): a product whose reviews just turned bad, not one always rated low
ANY_EVENT_CHANNEL = "any_event"  # 1 on a day of any configured event (one channel for all events)
RETIRED_LAUNCH_FIELDS = (  # the fixed-form launch curve's grid search; ignored when loading
    "launch_ramp_days_grid",
    "launch_prior_ratio_grid",
    "launch_prior_shape_grid",
    "launch_dispersion_grid",
    "launch_fit_draws",
)
ADDED_SWITCHED_OFF: dict[str, Any] = {  # fields added after the first saved models, with the
    # value that switches each off: a saved config without one was trained without it
    "zero_below": 0.0,
    "text_dropout": 0.0,
    "text_min_launch_age_days": 0.0,
    "prior_offset_feature": None,
    "prior_excluded_static": (),
    "launch_curve": False,
    "text_prior": "none",
    "document_layout": "as_built",
    "launch_day_effects": False,
    "launch_network_share": 0.0,
}
LAUNCH_AGE_FEATURE = "days_since_launch_log1p"  # static: log1p(days on sale before the origin)
LAUNCH_CURVE_INPUTS = {  # what the launch curve reads (model/launch.py), by input kind
    "future_covariates": (
        "is_launched",
        "days_since_launch_log1p",
        "category_season_log",
        "category_season_known",
    ),
    "static_features": (LAUNCH_AGE_FEATURE, "category_recent_log"),
}
DEFAULT_STATIC_FEATURES: tuple[str, ...] = (
    "list_price_log",  # log of the list price
    "lead_time_days",  # supplier lead time
    "days_since_launch_log1p",  # at the forecast origin; 0 for products not launched yet
    "history_length_log1p",  # days on sale before the origin (may exceed the window length)
    "category_recent_log",  # log units per product on sale of its category, recent weeks
)


@dataclass
class ModelConfig:
    """Hyper-parameters of the global SKU demand model, its text tower and its training loop."""

    # --- sample shapes -------------------------------------------------------------------------
    history_days: int = 56  # L: days of history the model sees before the forecast origin
    horizon_days: int = HORIZON_DAYS  # H: days forecast after the origin (horizons 1..H); the
    # pipeline trains with the shop's forecast.horizon_days
    quantiles: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99)  # Q levels,
    # strictly increasing in (0, 1): the published p10 / p50 / p90 (forecast_shape) plus the
    # upper tail the reorder policy interpolates for service levels 0.80 .. 0.99
    history_covariates: tuple[str, ...] = DEFAULT_HISTORY_COVARIATES  # per-day history channels
    future_covariates: tuple[str, ...] = DEFAULT_FUTURE_COVARIATES  # per-day known-future channels
    static_features: tuple[str, ...] = DEFAULT_STATIC_FEATURES  # per-sample static features

    # --- text tower ----------------------------------------------------------------------------
    use_text: bool = True  # False removes the text tower (ablation: history + covariates only)
    encoder_path: str | None = None  # local HF model folder; None = bundled all-MiniLM-L6-v2
    max_tokens: int = 64  # product documents are truncated / padded to this many tokens
    finetune: FinetuneStrategy = "frozen"  # frozen | top_k | lora | full; frozen: the text
    # prior comes from cached embeddings (docs/model.md)
    top_k_layers: int = 2  # "top_k": number of top transformer layers that are trained
    lora_r: int = 8  # "lora": adapter rank
    lora_alpha: int = 16  # "lora": adapter scaling numerator (scale = alpha / r)
    lora_dropout: float = 0.1  # "lora": dropout on the adapter input
    lora_target_modules: tuple[str, ...] = ("query", "value")  # "lora": module names adapted
    text_batch_size: int = 64  # texts per forward pass when precomputing frozen embeddings
    document_layout: DocumentLayout = "as_built"  # as_built: the document as product_docs
    # wrote it (the description before the review snippets); reviews_first: the review snippets
    # move before the description, so a max_tokens cut drops description lines, not reviews;
    # reviews_apart: the review snippets are embedded on their own (max_tokens each) beside the
    # rest of the document, so the text tower reads every product's recent reviews (frozen only)
    text_prior: TextPriorKind = "none"  # the young products' level prior from their
    # review-free document (model/text_prior.py): none | frozen (ridge on embeddings) | lora
    # (fine-tuned encoder) | auto (the lower cross-validated error over held-out products);
    # kept only if it beats the held-out mean and makes the launch curve better beyond noise on
    # the validation launches. Off by default: on six sample shops and a 1,500-product one its
    # validation gains were within the noise (docs/model.md, "Cold start, sixth round")
    text_prior_tokens: int = 96  # token budget of the prior's documents (no review snippets)
    text_prior_folds: int = 3  # folds over products: cross-validation and the cross-fitted
    # LoRA models (served as their mean)
    text_prior_alphas: tuple[float, ...] = (  # the ridge penalties cross-validation tries
        0.1,
        0.3,
        1.0,
        3.0,
        10.0,
        30.0,
        100.0,
        300.0,
        1000.0,
    )
    text_prior_epochs: int = 4  # "lora": epochs per fold model
    text_prior_lr: float = 1e-4  # "lora": AdamW learning rate of the adapters and the head
    text_prior_batch_size: int = 16  # "lora": documents per step
    text_prior_min_products: int = 30  # fewer established training products: no prior
    text_prior_noise_se: float = 1.0  # a text model is kept only if its CV MSE is below the
    # held-out mean's, and the launch curve's validation loss with it below the one without it,
    # by more than this many bootstrap SE of the difference (over products, over windows)

    # --- network -------------------------------------------------------------------------------
    d_model: int = 64  # width of every tower and of the fused representation
    history_layers: int = 1  # GRU layers over the L history days
    dropout: float = 0.1  # dropout in the fusion / head MLPs
    max_scaled_input: float = 20.0  # scaled history units are clipped here (outlier days)
    season_days: int = 7  # each future day also sees the mean of history days this far apart
    post_promotion_days: int = 14  # the after-discount channels look back this many days
    # (at most L)
    zero_below: float = 0.05  # predicted quantiles under this many units are reported as 0:
    # demand comes in whole units and the softplus head only approaches 0 (0.0 = off); p10 of
    # slow movers is then 0 units, not 0.003, and intervals cover zero days

    # --- per-SKU scale -------------------------------------------------------------------------
    scale_epsilon: float = 0.01  # units/day added to the history mean before the floor
    scale_floor: float = 0.25  # units/day; keeps scaled targets of slow movers bounded
    scale_prior_days: float = 7.0  # pseudo-days of the text prior when shrinking the history mean
    scale_loss_weight: float = 0.1  # weight of the log-scale regression that trains the prior
    text_dropout: float = 0.5  # training only: share of samples whose text vector is zeroed, so
    # the towers cannot lean on a product's unique document to learn its level by heart
    # (docs/model.md, "Cold start, second round")
    text_min_launch_age_days: float = 56.0  # products launched fewer days than this before the
    # origin, or not launched yet, are read without their text (training and serving): a new
    # product's document is unlike any the towers learned levels from; on three seeds cold start
    # WQL 0.615 against 0.633 (docs/model.md, "Cold start, third round"). Needs the static
    # feature "days_since_launch_log1p"; 0 reads every product's text
    prior_offset_feature: str | None = "category_recent_log"  # static feature in log units/day
    # the prior is relative to (the category's current level): prior = exp(feature + offset)
    prior_excluded_static: tuple[str, ...] = (  # static features the prior does not see: it
        # predicts the established level, and the launch ramp is left to the decoder
        "days_since_launch_log1p",
        "history_length_log1p",
    )

    # --- launch curve (model/launch.py) --------------------------------------------------------
    launch_curve: bool = True  # forecast young products with the fitted launch curve instead of
    # the network: products launched fewer than launch_max_age_days before the origin, or later,
    # if the curve learned from the shop's launches is not worse than the network on the
    # validation launches, daily and cumulative (docs/model.md, "Cold start, fifth round")
    launch_max_age_days: float = 56.0  # the launch curve's reach, days since launch at the origin
    launch_age_buckets: tuple[float, ...] = (  # first day (days since launch, launch day = 1)
        # of each bucket of the learned launch profile; the last bucket is open-ended. Daily at
        # first, where a launch spike or the start of a ramp changes fastest
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        10,
        12,
        15,
        18,
        22,
        29,
        36,
        43,
        50,
        57,
        71,
    )
    launch_profile_prior_days: float = 30.0  # pseudo launch-days of the flat profile (the mean of
    # all launch days) each bucket is shrunk towards: few launches give a flat profile
    launch_profile_smoothing: float = 10.0  # pseudo days on the profile's second differences
    # over the buckets: larger bends it less from bucket to bucket
    launch_prior_shape_range: tuple[float, float] = (0.2, 50.0)  # bounds of the moment estimate
    # of the level prior's gamma shape (smaller: launches differ more from each other)
    launch_dispersion_range: tuple[float, float] = (0.5, 100.0)  # bounds of the moment estimate
    # of the day-to-day noise's gamma shape (smaller: more overdispersed days)
    launch_min_validation_windows: int = 10  # fewer young validation windows with a scored day
    # on sale than this and the curve is not used (the network serves young products): too few
    # to judge it (the default sample shop has 16)
    launch_gate_noise_se: float = 1.0  # the curve counts as worse than the network on the
    # validation launches only if its loss is higher by more than this many standard errors of
    # the difference (paired bootstrap over windows); 0: by any amount
    launch_gate_bootstrap: int = 1000  # bootstrap resamples of the validation windows
    launch_draws: int = 1024  # Monte-Carlo paths per sample in the saved curve (forecasts)
    launch_day_effects: bool = True  # the curve's days carry the shop's own day effects: a
    # promotion's lift by discount depth, the dip on the days after one and each configured
    # event's effect beyond the category's seasonal index, learned from the established products
    # of the training windows (docs/model.md, "Cold start, seventh round"); False: every day of
    # a young product is a plain day
    launch_network_share: float = 0.0  # share of the network in the forecast of a young
    # product the curve serves: its quantiles are averaged with the curve's, level by level
    # (0: the curve alone); the validation gate judges the blend
    launch_discount_edges: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4)  # upper edges of the
    # discount-depth buckets a lift (and a dip after) is learned for; the last bucket is open
    launch_effect_prior_days: float = 30.0  # pseudo days at a multiplier of 1 each day effect is
    # shrunk towards: an effect seen on a handful of days stays near 1

    # --- loss ----------------------------------------------------------------------------------
    cumulative_loss_weight: float = 1.0  # weight of the cumulative-demand pinball loss
    cumulative_censoring: CensoringMode = "lower_bound"  # day-sums with a stockout: see losses.py

    # --- optimisation --------------------------------------------------------------------------
    batch_size: int = 64  # training samples per step
    eval_batch_size: int = 256  # samples per forward pass in validation and prediction
    max_epochs: int = 12  # upper bound on passes over the training samples; early stopping
    # usually ends earlier
    learning_rate: float = 2e-3  # peak AdamW learning rate of the non-encoder parameters
    encoder_learning_rate: float = 1e-4  # peak learning rate of trainable encoder parameters
    weight_decay: float = 0.01  # AdamW decoupled weight decay on matrices (not biases / norms)
    warmup_fraction: float = 0.05  # share of all steps spent in linear warm-up
    min_lr_fraction: float = 0.1  # cosine decay ends at this fraction of the peak rate
    grad_clip: float = 1.0  # max global gradient norm
    patience: int = 3  # epochs without validation improvement before stopping
    min_delta: float = 1e-4  # smallest validation-loss decrease that counts as improvement

    # --- runtime -------------------------------------------------------------------------------
    seed: int = 1337  # seeds python, numpy and torch; same seed -> identical weights
    num_threads: int = 1  # torch intra-op threads: the small towers gain nothing from a 2nd
    # thread, and on a busy 2-core machine 2 threads wait for each other and can run many times
    # slower than 1
    bf16_autocast: bool = True  # bf16 autocast for the encoder when the CPU supports it
    deterministic: bool = True  # torch.use_deterministic_algorithms in training and prediction

    def __post_init__(self) -> None:
        self.quantiles = tuple(float(q) for q in self.quantiles)
        self.history_covariates = tuple(self.history_covariates)
        self.future_covariates = tuple(self.future_covariates)
        self.static_features = tuple(self.static_features)
        self.lora_target_modules = tuple(self.lora_target_modules)
        self.prior_excluded_static = tuple(self.prior_excluded_static)
        for name in (
            "launch_age_buckets",
            "launch_prior_shape_range",
            "launch_dispersion_range",
            "launch_discount_edges",
            "text_prior_alphas",
        ):
            setattr(self, name, tuple(float(v) for v in getattr(self, name)))
        self.validate()

    def missing_launch_curve_inputs(self) -> list[str]:
        """The inputs of ``LAUNCH_CURVE_INPUTS`` this config's layout lacks."""
        return [
            name
            for kind, names in LAUNCH_CURVE_INPUTS.items()
            for name in names
            if name not in getattr(self, kind)
        ]

    def validate(self) -> None:
        """Fail early with a message naming the field, instead of deep inside a forward pass."""
        if self.document_layout not in DOCUMENT_LAYOUTS:
            raise ValueError(
                f"document_layout={self.document_layout!r} is not supported; use one of "
                f"{DOCUMENT_LAYOUTS}."
            )
        if self.document_layout == "reviews_apart" and self.finetune != "frozen":
            raise ValueError(
                "document_layout='reviews_apart' embeds the review snippets with the frozen "
                f"encoder beside the document; it needs finetune='frozen', got {self.finetune!r}."
            )
        if self.text_prior not in TEXT_PRIOR_KINDS:
            raise ValueError(
                f"text_prior={self.text_prior!r} is not supported; use one of {TEXT_PRIOR_KINDS}."
            )
        if self.text_prior_folds < 2:
            raise ValueError(f"text_prior_folds must be >= 2, got {self.text_prior_folds}.")
        if self.finetune not in FINETUNE_STRATEGIES:
            raise ValueError(
                f"finetune={self.finetune!r} is not supported; use one of {FINETUNE_STRATEGIES}."
            )
        if self.cumulative_censoring not in CENSORING_MODES:
            raise ValueError(
                f"cumulative_censoring={self.cumulative_censoring!r}; use one of {CENSORING_MODES}."
            )
        qs = self.quantiles
        if not qs or any(not 0.0 < q < 1.0 for q in qs) or any(a >= b for a, b in pairwise(qs)):
            raise ValueError(f"quantiles={qs} must be strictly increasing values inside (0, 1).")
        for name in (
            "history_days",
            "horizon_days",
            "max_tokens",
            "d_model",
            "batch_size",
            "season_days",
            "post_promotion_days",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}.")
        if self.finetune == "top_k" and self.top_k_layers < 1:
            raise ValueError("finetune='top_k' needs top_k_layers >= 1 (0 layers is 'frozen').")
        offset = self.prior_offset_feature
        if offset is not None and offset not in self.static_features:
            raise ValueError(f"prior_offset_feature {offset!r} is not in static_features.")
        if self.text_min_launch_age_days < 0:
            raise ValueError(
                f"text_min_launch_age_days must be >= 0 days, got {self.text_min_launch_age_days}."
            )
        if self.text_min_launch_age_days > 0 and LAUNCH_AGE_FEATURE not in self.static_features:
            raise ValueError(
                f"text_min_launch_age_days needs the static feature {LAUNCH_AGE_FEATURE!r}."
            )
        unknown = sorted(set(self.prior_excluded_static) - set(self.static_features))
        if unknown:
            raise ValueError(f"prior_excluded_static {unknown} are not in static_features.")
        if self.launch_curve:
            buckets = self.launch_age_buckets
            if not buckets or buckets[0] < 1 or any(b <= a for a, b in pairwise(buckets)):
                raise ValueError(
                    f"launch_age_buckets must be increasing days since launch >= 1 (launch day "
                    f"= 1), e.g. (1, 2, 4, 8, 15, 29, 57); got {buckets}."
                )
            for name in ("launch_prior_shape_range", "launch_dispersion_range"):
                low_high = getattr(self, name)
                if len(low_high) != 2 or not 0 < low_high[0] <= low_high[1]:
                    raise ValueError(
                        f"{name} must be (low, high) with 0 < low <= high; got {low_high}."
                    )
            if self.launch_profile_prior_days <= 0:
                raise ValueError(
                    f"launch_profile_prior_days must be > 0 days, got "
                    f"{self.launch_profile_prior_days}."
                )
            if self.launch_profile_smoothing < 0:
                raise ValueError(
                    f"launch_profile_smoothing must be >= 0 pseudo days, got "
                    f"{self.launch_profile_smoothing}."
                )
            if self.launch_min_validation_windows < 1:
                raise ValueError(
                    f"launch_min_validation_windows must be >= 1, got "
                    f"{self.launch_min_validation_windows}."
                )
            if self.launch_max_age_days <= 0:
                raise ValueError(
                    f"launch_max_age_days must be > 0 days, got {self.launch_max_age_days}."
                )
            if self.launch_gate_noise_se < 0 or self.launch_gate_bootstrap < 2:
                raise ValueError(
                    f"launch_gate_noise_se must be >= 0 and launch_gate_bootstrap >= 2; got "
                    f"{self.launch_gate_noise_se} and {self.launch_gate_bootstrap}."
                )
            edges = self.launch_discount_edges
            if any(not 0 < e < 1 for e in edges) or any(b <= a for a, b in pairwise(edges)):
                raise ValueError(
                    f"launch_discount_edges must be increasing discount fractions between 0 and "
                    f"1 (exclusive), e.g. (0.1, 0.2, 0.3, 0.4); got {edges}."
                )
            if not 0.0 <= self.launch_network_share < 1.0:
                raise ValueError(
                    f"launch_network_share must be in [0, 1) (0: the curve alone; the network "
                    f"alone is launch_curve: false), got {self.launch_network_share}."
                )
            if self.launch_effect_prior_days <= 0:
                raise ValueError(
                    f"launch_effect_prior_days must be > 0 days, got "
                    f"{self.launch_effect_prior_days}."
                )
            if self.launch_draws < 16:
                raise ValueError(f"launch_draws must be >= 16 paths, got {self.launch_draws}.")
            missing = self.missing_launch_curve_inputs()
            if missing:
                raise ValueError(f"launch_curve needs the model inputs {missing}.")
        if self.zero_below < 0:
            raise ValueError(f"zero_below must be >= 0 units, got {self.zero_below}.")
        if self.scale_floor <= 0:
            raise ValueError(f"scale_floor must be > 0 units/day, got {self.scale_floor}.")

    @property
    def event_names(self) -> tuple[str, ...]:
        """The shop events this model reads (one ``event_<name>`` channel each), in layout order."""
        return event_names(self.future_covariates + self.history_covariates)

    @property
    def n_quantiles(self) -> int:
        """Q, the number of quantile levels."""
        return len(self.quantiles)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        values = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}

    def to_json(self) -> str:
        """Stable, human-readable JSON for the saved model folder."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Rebuild a config; unknown keys are an error so a typo never silently uses a default."""
        known = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in data.items() if k not in RETIRED_LAUNCH_FIELDS}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"Unknown ModelConfig fields {unknown}; known fields: {sorted(known)}."
            )
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        """Inverse of :meth:`to_json`; a field the saved config predates reads as switched off
        (``ADDED_SWITCHED_OFF``), the way that model was trained, not as today's default."""
        return cls.from_dict({**ADDED_SWITCHED_OFF, **json.loads(text)})


def replace(config: ModelConfig, **changes: Any) -> ModelConfig:
    """A copy of ``config`` with some fields changed (validated again)."""
    return dataclasses.replace(config, **changes)


def event_channel(name: str) -> str:
    """The covariate channel of the shop event ``name`` (also its calendar column)."""
    return f"{EVENT_CHANNEL_PREFIX}{name}"


def promo_type_channel(promo_type: str) -> str:
    """The covariate channel of the promotion type ``promo_type``."""
    return f"{PROMO_TYPE_CHANNEL_PREFIX}{promo_type}"


def promo_type_names(channels: Sequence[str]) -> tuple[str, ...]:
    """Promotion types behind the ``promo_type_<type>`` channels of ``channels`` (in order)."""
    prefix = PROMO_TYPE_CHANNEL_PREFIX
    return tuple(dict.fromkeys(c[len(prefix) :] for c in channels if c.startswith(prefix)))


def with_promotions(config: ModelConfig, promo_types: Sequence[str] | None) -> ModelConfig:
    """``config`` reading promotions by kind: with ``promo_types`` (possibly empty), one history
    and one future channel saying a promotion is in force (``on_promotion``) and one per type
    (``promo_type_<type>``), appended in ``promo_types`` order; with None, none of them.

    Promotion channels already in the layout are dropped first, so the result depends only on the
    other channels and ``promo_types``. The discount channels are unchanged: these add what a
    discount does not say (a promotion without a discount, a flash sale against a plain one).
    """
    if promo_types is not None:
        promo_types = tuple(promo_types)
        duplicates = sorted({t for t in promo_types if promo_types.count(t) > 1})
        if duplicates or any(not t for t in promo_types):
            raise ValueError(
                f"promotion types must be unique and non-empty (each names a channel): "
                f"{duplicates or list(promo_types)}"
            )
    channels = (
        ()
        if promo_types is None
        else (PROMOTION_CHANNEL, *(promo_type_channel(t) for t in promo_types))
    )
    return _with_own_channels(
        config,
        lambda c: c == PROMOTION_CHANNEL or c.startswith(PROMO_TYPE_CHANNEL_PREFIX),
        channels,
    )


def _with_own_channels(
    config: ModelConfig, owned: Callable[[str], bool], channels: tuple[str, ...]
) -> ModelConfig:
    """``config`` with the ``owned`` channels of both layouts (history and known future) replaced
    by ``channels``, appended after the others: the result depends only on the other channels and
    ``channels``."""

    def layout(current: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(c for c in current if not owned(c)) + channels

    return replace(
        config,
        history_covariates=layout(config.history_covariates),
        future_covariates=layout(config.future_covariates),
    )


def event_names(channels: Sequence[str]) -> tuple[str, ...]:
    """Event names behind the ``event_<name>`` channels of ``channels`` (first occurrence order)."""
    names = [c[len(EVENT_CHANNEL_PREFIX) :] for c in channels if c.startswith(EVENT_CHANNEL_PREFIX)]
    return tuple(dict.fromkeys(names))


def with_events(config: ModelConfig, names: Sequence[str]) -> ModelConfig:
    """``config`` reading exactly the events ``names``: one history and one future channel each.

    Event channels already in the layout are dropped first, so the result depends only on the
    other channels and ``names``; each event's channel is appended in ``names`` order. Nothing
    about which events exist is fixed here: a shop with no configured events gets no event channel.
    """
    names = tuple(names)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"event names must be unique (each names a channel): {duplicates}")
    channels = tuple(event_channel(n) for n in names)
    return _with_own_channels(config, lambda c: c.startswith(EVENT_CHANNEL_PREFIX), channels)


__all__ = [
    "ANY_EVENT_CHANNEL",
    "CENSORING_MODES",
    "DEFAULT_FUTURE_COVARIATES",
    "DEFAULT_HISTORY_COVARIATES",
    "DEFAULT_STATIC_FEATURES",
    "EVENT_CHANNEL_PREFIX",
    "FINETUNE_STRATEGIES",
    "LAUNCH_AGE_FEATURE",
    "PROMOTION_CHANNEL",
    "PROMO_TYPE_CHANNEL_PREFIX",
    "CensoringMode",
    "FinetuneStrategy",
    "ModelConfig",
    "event_channel",
    "event_names",
    "promo_type_channel",
    "promo_type_names",
    "replace",
    "with_events",
    "with_promotions",
]
