"""The text level prior: what a product's document says about how much it will sell.

A product without sales history has only its document. This module learns, from the established
products of the training windows, to predict a product's level relative to its category's level
per product (log units per day on usable days over the category's units per product and day,
``category_recent_log``) from its document, and the launch curve uses the prediction as each
young product's level prior (``model/launch.py``): a new frying pan starts from what frying pans
of its brand and tier sell, not from the category's average product.

The document is read without its review snippets (:func:`level_document`): a product that has not
launched yet has none, and review snippets of established products would tell the model which
products already sell. What is left is title, category, brand, price tier and description.

Predictors (``ModelConfig.text_prior``):

    none: no prior; every young product of a category starts from the category's level.
    frozen: ridge regression on the frozen encoder's mean-pooled embeddings, the penalty chosen
        by cross-validation over products (``text_prior_alphas``).
    lora: the encoder fine-tuned with LoRA adapters (``peft``) and a linear head on the same
        target, weighted mean squared error, ``text_prior_epochs`` epochs; served as the mean of
        the ``text_prior_folds`` fold models (cross-fitting: every training product also gets a
        prediction from models that never saw it, which is what the launch curve is fitted on).
    auto: fit frozen and lora, keep whichever has the lower cross-validated error over held-out
        products, and none when neither beats predicting the mean.

A fitted prior is then checked where it is used (:func:`check_on_validation`): the launch curve
fitted with it must not be worse than the curve fitted without it on the validation block's young
products, daily and cumulative, and better beyond noise on one of them; otherwise the model goes
on without it and says why.

Folds are by product (its review-free document), seeded by ``ModelConfig.seed``, so a product's
prediction for the launch curve's fit never comes from a model trained on that product.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from inventory_pipeline.metrics import paired_difference_se
from inventory_pipeline.model.config import LAUNCH_AGE_FEATURE, ModelConfig
from inventory_pipeline.model.data import ForecastSamples
from inventory_pipeline.model.launch import LaunchCurve, LaunchInputs, launch_losses
from inventory_pipeline.model.text import (
    REVIEWS_MARKER,
    TextFeaturizer,
    apply_finetune_strategy,
    autocast,
    load_encoder,
    mean_pool,
)

TEXT_PRIOR_FILE = "text_prior.json"
TEXT_PRIOR_WEIGHTS = "text_prior.safetensors"
CATEGORY_LEVEL_FEATURE = "category_recent_log"
MSE_BOOTSTRAP = 1000  # bootstrap resamples of the products for the CV errors' difference
PSEUDO_DAYS = 7.0  # days at the category's level added to each product's target (shrinkage)


def level_document(text: str) -> str:
    """The part of a product document the prior reads: everything before its review snippets."""
    return text.split(REVIEWS_MARKER, 1)[0]


@dataclass(frozen=True)
class LevelTargets:
    """One row per established product of the training windows."""

    documents: list[str]  # review-free documents (the product's identity here)
    log_ratio: np.ndarray  # (P,) log of its level over the category's level per product
    weight: np.ndarray  # (P,) days / (days + 28): products seen briefly count less
    days: np.ndarray  # (P,) usable history days summed over its windows


def level_targets(samples: ForecastSamples, config: ModelConfig) -> LevelTargets:
    """Established products of ``samples`` (launched at least ``launch_max_age_days`` +
    ``history_days`` days before a window's origin, so its whole history is past the launch) and
    their level relative to the category: units on usable history days over the category's
    level per product on those days, with ``PSEUDO_DAYS`` days at the category's level added."""
    static = {n: samples.static[:, i] for i, n in enumerate(config.static_features)}
    if LAUNCH_AGE_FEATURE not in static or CATEGORY_LEVEL_FEATURE not in static:
        raise ValueError(
            f"the text prior needs the static features {LAUNCH_AGE_FEATURE!r} and "
            f"{CATEGORY_LEVEL_FEATURE!r}"
        )
    age = np.expm1(static[LAUNCH_AGE_FEATURE].astype(np.float64))
    usable = (samples.history_observed > 0.5) & (samples.history_stockout < 0.5)
    units = (samples.history_units * usable).sum(1).astype(np.float64)
    days = usable.sum(1).astype(np.float64)
    exposure = days * np.exp(static[CATEGORY_LEVEL_FEATURE].astype(np.float64))
    rows = np.flatnonzero(age >= config.launch_max_age_days + config.history_days)
    sums: dict[str, list[float]] = {}
    for i in rows:
        entry = sums.setdefault(level_document(samples.texts[int(i)]), [0.0, 0.0, 0.0])
        entry[0] += units[i]
        entry[1] += exposure[i]
        entry[2] += days[i]
    documents = sorted(k for k, v in sums.items() if v[2] > 0)  # with a usable day
    u, e, d = (np.array([sums[k][j] for k in documents]) for j in range(3))
    per_day = e / np.maximum(d, 1.0)  # the category's level per product on this product's days
    log_ratio = np.log((u + PSEUDO_DAYS * per_day) / (e + PSEUDO_DAYS * per_day))
    return LevelTargets(documents, log_ratio, d / (d + 28.0), d)


def product_key(document: str) -> str:
    """What identifies a product across its documents: the first line (its title). A product
    whose price tier or description changed has two documents but stays in one fold."""
    return document.split("\n", 1)[0]


def product_folds(documents: Sequence[str], folds: int, seed: int) -> np.ndarray:
    """Fold of each document, by a seeded hash of its product (stable whatever the order)."""
    salt = str(seed).encode("utf-8")
    return np.array(
        [
            int.from_bytes(
                hashlib.blake2b(product_key(d).encode("utf-8"), digest_size=8, key=salt).digest()
            )
            % folds
            for d in documents
        ],
        dtype=np.int64,
    )


def _weighted_mse(actual: np.ndarray, predicted: np.ndarray, weight: np.ndarray) -> float:
    return float(np.average((actual - predicted) ** 2, weights=weight))


def _difference_se(
    actual: np.ndarray, ours: np.ndarray, theirs: np.ndarray, weight: np.ndarray, seed: int
) -> float:
    """Standard error of (our weighted MSE - theirs) by a paired bootstrap over products: how
    far apart the two errors land by which products the catalog happens to hold."""
    gap = weight * ((actual - ours) ** 2 - (actual - theirs) ** 2)
    return paired_difference_se(gap, weight, MSE_BOOTSTRAP, seed)


@dataclass
class _Ridge:
    mean: np.ndarray  # (E,)
    coef: np.ndarray  # (E,)
    intercept: float

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float) -> _Ridge:
        w = w / w.mean()
        mean = np.average(x, axis=0, weights=w)
        intercept = float(np.average(y, weights=w))
        xc = x - mean
        gram = xc.T @ (xc * w[:, None]) + alpha * np.eye(x.shape[1])
        coef = np.linalg.solve(gram, xc.T @ (w * (y - intercept)))
        return cls(mean, coef, intercept)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + (x - self.mean) @ self.coef


class _LevelHead(nn.Module):
    """Encoder (with LoRA adapters) -> mean pool -> linear: one log ratio per document."""

    def __init__(self, encoder: nn.Module, hidden: int, use_bf16: bool) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(hidden, 1)
        self.use_bf16 = use_bf16

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        with autocast(self.use_bf16):
            output = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        pooled = mean_pool(output.last_hidden_state.float(), attention_mask)
        return self.head(pooled).squeeze(-1)


@dataclass
class TextPrior:
    """A fitted text level prior (see the module docstring); ``kind`` none predicts 0."""

    kind: str  # "none", "frozen" or "lora"
    reason: str
    products: int = 0
    target_variance: float = float("nan")  # weighted variance of the targets
    cv_mse: dict[str, float] = field(default_factory=dict)  # per candidate, held-out products
    validation: dict[str, float] = field(default_factory=dict)  # the launch curve with / without
    alpha: float | None = None  # frozen: the ridge penalty
    fit_seconds: float = 0.0
    ridge: _Ridge | None = None
    lora_states: list[dict[str, torch.Tensor]] = field(default_factory=list)  # one per fold

    def summary(self) -> dict[str, Any]:
        """What the run logs: the choice, why, and the cross-validated errors."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "reason": self.reason,
            "products": self.products,
            "target_variance": self.target_variance,
            "fit_seconds": round(self.fit_seconds, 1),
        }
        out.update({f"cv_mse_{k}": v for k, v in self.cv_mse.items()})
        out.update({f"validation_{k}": v for k, v in self.validation.items()})
        if self.alpha is not None:
            out["alpha"] = self.alpha
        return out

    def predict(self, texts: Sequence[str], featurizer: TextFeaturizer) -> np.ndarray:
        """(N,) log ratio of each document's level to its category's (0 for kind none)."""
        if self.kind == "none" or len(texts) == 0:
            return np.zeros(len(texts))
        featurizer = prior_featurizer(featurizer)
        documents = [level_document(t) for t in texts]
        unique: dict[str, int] = {}
        rows = np.array([unique.setdefault(d, len(unique)) for d in documents], dtype=np.int64)
        distinct = list(unique)
        config = featurizer.config
        if self.kind == "frozen":
            assert self.ridge is not None
            values = self.ridge(_embed(distinct, featurizer))
        else:
            values = np.mean(
                [_lora_predict(state, distinct, featurizer, config) for state in self.lora_states],
                axis=0,
            )
        return np.asarray(values, dtype=np.float64)[rows]

    def save(self, folder: Path) -> None:
        """``text_prior.json`` (+ ``text_prior.safetensors`` for lora) in the model folder."""
        from safetensors.torch import save_file

        data = asdict(self)
        data.pop("lora_states")
        data["ridge"] = (
            None
            if self.ridge is None
            else {
                "mean": self.ridge.mean.tolist(),
                "coef": self.ridge.coef.tolist(),
                "intercept": self.ridge.intercept,
            }
        )
        data["lora_folds"] = len(self.lora_states)
        (folder / TEXT_PRIOR_FILE).write_text(json.dumps(data, indent=2, sort_keys=True))
        weights = folder / TEXT_PRIOR_WEIGHTS
        if self.lora_states:
            tensors = {
                f"fold{i}.{k}": v.contiguous()
                for i, state in enumerate(self.lora_states)
                for k, v in state.items()
            }
            save_file(tensors, str(weights))
        elif weights.exists():
            weights.unlink()

    @classmethod
    def load(cls, folder: Path) -> TextPrior | None:
        """The saved prior, or None when the folder has none (a model saved before)."""
        path = folder / TEXT_PRIOR_FILE
        if not path.is_file():
            return None
        from safetensors.torch import load_file

        data = json.loads(path.read_text())
        ridge = data.pop("ridge")
        folds = data.pop("lora_folds", 0)
        prior = cls(**data)
        if ridge is not None:
            prior.ridge = _Ridge(
                np.asarray(ridge["mean"]), np.asarray(ridge["coef"]), float(ridge["intercept"])
            )
        if folds:
            tensors = load_file(str(folder / TEXT_PRIOR_WEIGHTS))
            prior.lora_states = [
                {
                    k.split(".", 1)[1]: v
                    for k, v in tensors.items()
                    if k.split(".", 1)[0] == f"fold{i}"
                }
                for i in range(folds)
            ]
        return prior


def remove_text_prior(folder: Path) -> None:
    """Delete a saved prior's files from a model folder (a model saved without one)."""
    for name in (TEXT_PRIOR_FILE, TEXT_PRIOR_WEIGHTS):
        (folder / name).unlink(missing_ok=True)


def prior_featurizer(featurizer: TextFeaturizer) -> TextFeaturizer:
    """A featurizer over the same encoder and cache with the prior's token budget."""
    if featurizer.config.max_tokens == featurizer.config.text_prior_tokens:
        return featurizer
    config = replace(
        featurizer.config, max_tokens=featurizer.config.text_prior_tokens, finetune="frozen"
    )
    return TextFeaturizer(config, featurizer.encoder_path, featurizer.cache)


def _embed(documents: list[str], featurizer: TextFeaturizer) -> np.ndarray:
    return featurizer.embed(documents).numpy().astype(np.float64)


def _lora_model(config: ModelConfig, featurizer: TextFeaturizer) -> _LevelHead:
    lora_config = replace(config, finetune="lora")
    encoder = apply_finetune_strategy(load_encoder(featurizer.encoder_path), lora_config)
    hidden = int(encoder.config.hidden_size)
    return _LevelHead(encoder, hidden, featurizer.use_bf16)


def _trainable_state(model: _LevelHead) -> dict[str, torch.Tensor]:
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    return {k: v.detach().clone() for k, v in model.state_dict().items() if k in trainable}


def _lora_predict(
    state: dict[str, torch.Tensor],
    documents: list[str],
    featurizer: TextFeaturizer,
    config: ModelConfig,
) -> np.ndarray:
    model = _lora_model(config, featurizer)
    model.load_state_dict(state, strict=False)
    model.eval()
    out = []
    step = config.text_batch_size
    with torch.no_grad():
        for start in range(0, len(documents), step):
            batch = documents[start : start + step]
            # every forward pass has the same shape, as in TextFeaturizer.embed: under bf16 the
            # kernels (and so the rounding) depend on the batch size, and a product's prior must
            # not depend on which other documents were read with it
            ids, mask = featurizer.tokenize(batch + [batch[-1]] * (step - len(batch)))
            out.append(model(ids, mask).numpy()[: len(batch)])
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def _lora_fit(
    documents: list[str],
    y: np.ndarray,
    w: np.ndarray,
    featurizer: TextFeaturizer,
    config: ModelConfig,
    seed: int,
    start: _Ridge,
) -> dict[str, torch.Tensor]:
    """LoRA adapters and head fitted from ``start``, the ridge on the frozen embeddings of the
    same documents (linear probing, then fine-tuning: the adapters start at zero, so the first
    step predicts what the ridge does, and the encoder moves only where that lowers the loss)."""
    torch.manual_seed(seed)
    model = _lora_model(config, featurizer)
    with torch.no_grad():
        model.head.weight.copy_(torch.tensor(start.coef, dtype=torch.float32)[None, :])
        model.head.bias.fill_(float(start.intercept - start.mean @ start.coef))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.text_prior_lr, weight_decay=0.01)
    ids, mask = featurizer.tokenize(documents)
    target = torch.tensor(y, dtype=torch.float32)
    weight = torch.tensor(w / w.mean(), dtype=torch.float32)
    generator = torch.Generator().manual_seed(seed)
    batch = config.text_prior_batch_size
    epochs = config.text_prior_epochs
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(documents), generator=generator)
        for start in range(0, len(order), batch):
            index = order[start : start + batch]
            predicted = model(ids[index], mask[index])
            loss = (weight[index] * (predicted - target[index]) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return _trainable_state(model)


def fit_text_prior(
    samples: ForecastSamples,
    config: ModelConfig,
    featurizer: TextFeaturizer,
    log: Callable[[str], None] | None = None,
) -> tuple[TextPrior, dict[str, float]]:
    """The prior ``config.text_prior`` asks for, fitted on the established products of
    ``samples`` (the training windows), and the out-of-fold prediction of every training
    product's review-free document (what the launch curve is fitted with: no product's own
    level leaks into its prior)."""
    say = log or (lambda message: None)
    start = time.perf_counter()
    wanted = config.text_prior
    if wanted == "none" or not config.use_text:
        return TextPrior("none", "text_prior: none in the model config"), {}
    targets = level_targets(samples, config)
    n = len(targets.documents)
    if n < config.text_prior_min_products:
        reason = (
            f"{n} established products in the training windows, fewer than "
            f"text_prior_min_products={config.text_prior_min_products}"
        )
        say(f"text prior: none ({reason})")
        return TextPrior("none", reason, products=n), {}
    y, w = targets.log_ratio, targets.weight
    center = float(np.average(y, weights=w))
    variance = _weighted_mse(y, np.full_like(y, center), w)
    folds = product_folds(targets.documents, config.text_prior_folds, config.seed)
    # predicting each held-out fold by the other folds' mean: the bar every text model must pass
    constant = np.zeros_like(y)
    for f in range(config.text_prior_folds):
        held = folds == f
        constant[held] = np.average(y[~held], weights=w[~held]) if (~held).any() else center
    cv = {"constant": _weighted_mse(y, constant, w)}
    oof: dict[str, np.ndarray] = {}
    fitted: dict[str, TextPrior] = {}
    featurizer = prior_featurizer(featurizer)
    x = _embed(targets.documents, featurizer)
    # the ridge on frozen embeddings: a candidate, and where every LoRA model starts from
    best: tuple[float, float, np.ndarray] | None = None
    for alpha in config.text_prior_alphas:
        predicted = np.zeros_like(y)
        for f in range(config.text_prior_folds):
            held = folds == f
            predicted[held] = _Ridge.fit(x[~held], y[~held], w[~held], alpha)(x[held])
        mse = _weighted_mse(y, predicted, w)
        if best is None or mse < best[0]:
            best = (mse, alpha, predicted)
    assert best is not None
    alpha = best[1]
    if wanted in ("frozen", "auto"):
        cv["frozen"], oof["frozen"] = best[0], best[2]
        fitted["frozen"] = TextPrior("frozen", "", alpha=alpha, ridge=_Ridge.fit(x, y, w, alpha))
        say(f"text prior: frozen embeddings + ridge (alpha {alpha:g}) CV MSE {cv['frozen']:.4f}")
    if wanted in ("lora", "auto"):
        predicted = np.zeros_like(y)
        states = []
        for f in range(config.text_prior_folds):
            held = folds == f
            fold_start = time.perf_counter()
            state = _lora_fit(
                [d for d, h in zip(targets.documents, held) if not h],
                y[~held],
                w[~held],
                featurizer,
                config,
                config.seed + f,
                _Ridge.fit(x[~held], y[~held], w[~held], alpha),
            )
            states.append(state)
            predicted[held] = _lora_predict(
                state, [d for d, h in zip(targets.documents, held) if h], featurizer, config
            )
            say(
                f"text prior: LoRA fold {f + 1}/{config.text_prior_folds} fitted in "
                f"{time.perf_counter() - fold_start:.0f} s"
            )
        cv["lora"] = _weighted_mse(y, predicted, w)
        oof["lora"] = predicted
        fitted["lora"] = TextPrior("lora", "", alpha=alpha, lora_states=states)
        say(f"text prior: LoRA fine-tuned encoder CV MSE {cv['lora']:.4f}")
    figures = ", ".join(f"{k} {v:.4f}" for k, v in cv.items())
    margin = {
        k: config.text_prior_noise_se * _difference_se(y, oof[k], constant, w, config.seed)
        for k in fitted
    }
    candidates = [k for k in fitted if cv[k] < cv["constant"] - margin[k]]
    figures += "; better only beyond " + ", ".join(f"{k} {v:.4f}" for k, v in margin.items())
    if not candidates:
        reason = (
            f"no text model predicts held-out products better than their mean by more than "
            f"{config.text_prior_noise_se:g} bootstrap SE (CV MSE {figures}; target variance "
            f"{variance:.4f})"
        )
        prior = TextPrior("none", reason)
        chosen: dict[str, float] = {}
    else:
        kind = min(candidates, key=lambda k: cv[k])
        reason = f"lowest CV MSE over held-out products ({figures}; target variance {variance:.4f})"
        prior = fitted[kind]
        prior.reason = reason
        chosen = dict(zip(targets.documents, oof[kind].tolist()))
    prior.products = n
    prior.target_variance = variance
    prior.cv_mse = cv
    prior.fit_seconds = time.perf_counter() - start
    say(f"text prior: {prior.kind} ({reason})")
    return prior, chosen


def training_ratios(
    samples: ForecastSamples,
    prior: TextPrior,
    out_of_fold: dict[str, float],
    featurizer: TextFeaturizer,
) -> np.ndarray:
    """(N,) text level ratio for the training windows: a product's out-of-fold prediction where
    it is one of the prior's training products, the fitted prior's otherwise."""
    if prior.kind == "none":
        return np.ones(len(samples))
    predicted = prior.predict(samples.texts, featurizer)
    documents = [level_document(t) for t in samples.texts]
    values = np.array(
        [out_of_fold.get(d, p) for d, p in zip(documents, predicted)], dtype=np.float64
    )
    return np.exp(values)


def check_on_validation(
    prior: TextPrior,
    with_prior: LaunchCurve | None,
    without: LaunchCurve | None,
    samples: ForecastSamples | None,
    config: ModelConfig,
    featurizer: TextFeaturizer,
) -> tuple[TextPrior, LaunchCurve | None]:
    """The prior and the launch curve to go on with: the curve fitted with the prior only if, on
    the validation block's young products, it is not worse than the curve fitted without it on
    the daily nor on the cumulative quantiles, and better on at least one of them by more than
    ``text_prior_noise_se`` bootstrap standard errors of the difference (paired over windows);
    otherwise no prior (kind none, the reason says why) and the curve without. A prior that
    predicts held-out products well but does not make the launch forecasts measurably better is
    left out: it would only add a model to serve."""
    if prior.kind == "none" or with_prior is None or without is None or samples is None:
        return prior, with_prior if prior.kind != "none" else without
    shape = (len(samples), config.horizon_days, len(config.quantiles))
    baseline = np.zeros(shape), np.zeros(shape)  # the curve without the prior, on young rows
    inputs = LaunchInputs.from_samples(samples, config, without.max_age_days)
    rows = np.flatnonzero(inputs.young)
    baseline[0][rows], baseline[1][rows] = without.predict(inputs, config.quantiles, rows)
    ratios = young_ratios(samples, inputs.young, prior, featurizer)
    n, losses = launch_losses(with_prior, samples, config, baseline, text_ratio=ratios)
    if n == 0:
        return prior, with_prior
    kinds = ("daily", "cumulative")
    ours = {k: losses[k] for k in kinds}
    theirs = {k: losses[f"network_{k}"] for k in kinds}
    margin = {k: config.text_prior_noise_se * losses[f"{k}_difference_se"] for k in kinds}
    figures = (
        f"launch curve on {n} young validation windows: daily WQL {ours['daily']:.4f} with the "
        f"prior vs {theirs['daily']:.4f} without, cumulative {ours['cumulative']:.4f} vs "
        f"{theirs['cumulative']:.4f}; better only beyond {margin['daily']:.4f} / "
        f"{margin['cumulative']:.4f} = {config.text_prior_noise_se:g} bootstrap SE"
    )
    prior.validation = {
        "windows": float(n),
        **{f"{k}_with_prior": v for k, v in ours.items()},
        **{f"{k}_without": v for k, v in theirs.items()},
        **{f"{k}_margin": v for k, v in margin.items()},
    }
    worse = [k for k in kinds if not ours[k] <= theirs[k]]
    better = [k for k in kinds if ours[k] < theirs[k] - margin[k]]
    if worse or not better:
        verdict = (
            f"worse on the {' and '.join(worse)} quantiles"
            if worse
            else "not better beyond the launches' noise"
        )
        dropped = replace(
            prior,
            kind="none",
            reason=f"{prior.kind} prior left out: {verdict} ({figures}); {prior.reason}",
            ridge=None,
            lora_states=[],
        )
        return dropped, without
    prior.reason = (
        f"{prior.reason}; better on the validation launches ({', '.join(better)}; {figures})"
    )
    return prior, with_prior


def young_ratios(
    samples: ForecastSamples,
    young: np.ndarray,
    prior: TextPrior | None,
    featurizer: TextFeaturizer,
) -> np.ndarray | None:
    """(N,) text level ratio for the launch curve's rows of ``samples``, ``young``
    (``LaunchInputs.young``; 1 elsewhere, where the curve does not serve), or None without a
    prior."""
    if prior is None or prior.kind == "none":
        return None
    ratios = np.ones(len(samples))
    rows = np.flatnonzero(young)
    if len(rows):
        ratios[rows] = np.exp(prior.predict([samples.texts[int(i)] for i in rows], featurizer))
    return ratios


__all__ = [
    "check_on_validation",
    "TEXT_PRIOR_FILE",
    "LevelTargets",
    "TextPrior",
    "fit_text_prior",
    "level_document",
    "level_targets",
    "remove_text_prior",
    "training_ratios",
    "young_ratios",
]
