"""The model's input contract: samples in numpy, minibatches in torch.

One *sample* is one SKU at one forecast origin t (the last day of data the forecast may use).
Whoever builds training windows fills a :class:`ForecastSamples`; the model turns slices of it into
:class:`ForecastBatch` minibatches. Demand is given in raw units: the network derives the per-SKU
scale itself (see ``network.py``), so callers cannot scale history and targets inconsistently.

Shapes: N samples, L = ``config.history_days``, H = ``config.horizon_days``,
C_h / C_f / S = number of history covariates / future covariates / static features (names in the
config), B = minibatch size, T = ``config.max_tokens``, E = encoder hidden size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch

from inventory_pipeline.model.config import ModelConfig

TARGET_FIELDS: tuple[str, ...] = ("target_units", "target_censored")  # None at prediction time


@dataclass
class ForecastSamples:
    """N samples as numpy arrays.

    History day index 0 is origin - L + 1 (index L - 1 is the origin); future index 0 is origin + 1.

    Attributes:
        texts: (N,) product document per sample (title, category, brand, price tier, description,
            recent review snippets). Repeated texts are encoded once.
        history_units: (N, L) units sold per day, unscaled; censored (stockout) days hold what was
            sold, a lower bound of demand.
        history_stockout: (N, L) 1.0 where the day is stockout-censored, else 0.0.
        history_observed: (N, L) 1.0 where the SKU was on sale, 0.0 before launch (left padding).
        history_covariates: (N, L, C_h) per-day covariates in ``config.history_covariates`` order.
        future_covariates: (N, H, C_f) known-future covariates, ``config.future_covariates`` order.
        static: (N, S) static features in ``config.static_features`` order.
        target_units: (N, H) actual units for horizons 1..H; None at prediction time. Days before
            launch hold 0 (the model learns launches inside the horizon).
        target_censored: (N, H) 1.0 where the target must not be scored: stockout-censored, or no
            actual known yet. None means "all targets usable".
    """

    texts: Sequence[str]
    history_units: np.ndarray
    history_stockout: np.ndarray
    history_observed: np.ndarray
    history_covariates: np.ndarray
    future_covariates: np.ndarray
    static: np.ndarray
    target_units: np.ndarray | None = None
    target_censored: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def has_targets(self) -> bool:
        """True when the samples can be scored (training / validation / backtest)."""
        return self.target_units is not None

    def validate(self, config: ModelConfig) -> None:
        """Check every array against the config so a layout mismatch fails with a clear message."""
        n, L, H = len(self), config.history_days, config.horizon_days
        for name, shape in array_shapes(n, config).items():
            value = getattr(self, name)
            if value is None:
                if name in TARGET_FIELDS:
                    continue
                raise ValueError(
                    f"ForecastSamples.{name} is None; only the targets may be missing."
                )
            if value.shape != shape:
                raise ValueError(
                    f"ForecastSamples.{name} has shape {value.shape}, expected {shape} "
                    f"(N={n}, L=history_days={L}, H=horizon_days={H}; see ModelConfig channels)."
                )
            if not np.all(np.isfinite(value)):
                raise ValueError(f"ForecastSamples.{name} contains NaN or inf; fill gaps first.")
        if self.target_censored is not None and self.target_units is None:
            raise ValueError("target_censored is set but target_units is None.")
        if np.any(self.history_units < 0) or (
            self.target_units is not None and np.any(self.target_units < 0)
        ):
            raise ValueError("Demand units must be >= 0 (net of cancellations, per the contract).")

    def subset(self, index: np.ndarray) -> ForecastSamples:
        """Samples at the given integer positions (e.g. a split chosen by the caller)."""
        values = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                values[f.name] = None
            elif f.name == "texts":
                values[f.name] = [value[int(i)] for i in index]
            else:
                values[f.name] = value[index]
        return ForecastSamples(**values)


# The array fields of ForecastSamples in declaration order (every field but ``texts``): what
# windows are stacked, sliced and saved by, and what the served model's input frame carries.
ARRAY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ForecastSamples) if f.name != "texts")
INPUT_FIELDS: tuple[str, ...] = tuple(n for n in ARRAY_FIELDS if n not in TARGET_FIELDS)


def array_shapes(n: int, config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The shape of every array field of ``n`` samples in ``config``'s layout."""
    L, H = config.history_days, config.horizon_days
    return {
        "history_units": (n, L),
        "history_stockout": (n, L),
        "history_observed": (n, L),
        "history_covariates": (n, L, len(config.history_covariates)),
        "future_covariates": (n, H, len(config.future_covariates)),
        "static": (n, len(config.static_features)),
        "target_units": (n, H),
        "target_censored": (n, H),
    }


@dataclass
class TextInputs:
    """Text inputs for N samples, stored once per unique text.

    Attributes:
        row: (N,) int64 row of each sample in the per-unique-text tensors below.
        embedding: (U, E) float32 precomputed pooled embeddings ("frozen"), else None.
        input_ids: (U, T) int64 token ids (trainable encoder), else None.
        attention_mask: (U, T) int64 1 for real tokens, 0 for padding, else None.
    """

    row: torch.Tensor
    embedding: torch.Tensor | None = None
    input_ids: torch.Tensor | None = None
    attention_mask: torch.Tensor | None = None


@dataclass
class ForecastBatch:
    """One minibatch as float32 / int64 torch tensors (see :class:`ForecastSamples` for meaning).

    Attributes:
        history_units: (B, L) raw units.
        history_stockout: (B, L) 1 = censored.
        history_observed: (B, L) 1 = on sale.
        history_covariates: (B, L, C_h)
        future_covariates: (B, H, C_f)
        static: (B, S)
        text_embedding: (B, E) precomputed pooled embedding when the encoder is frozen, else None.
        input_ids: (B, T) token ids when the encoder is trained, else None.
        attention_mask: (B, T) token mask when the encoder is trained, else None.
        target_units: (B, H) raw units, or None.
        target_censored: (B, H) 1 = do not score, or None.
    """

    history_units: torch.Tensor
    history_stockout: torch.Tensor
    history_observed: torch.Tensor
    history_covariates: torch.Tensor
    future_covariates: torch.Tensor
    static: torch.Tensor
    text_embedding: torch.Tensor | None = None
    input_ids: torch.Tensor | None = None
    attention_mask: torch.Tensor | None = None
    target_units: torch.Tensor | None = None
    target_censored: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.history_units.shape[0])


def _float(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def make_batch(samples: ForecastSamples, text: TextInputs, index: np.ndarray) -> ForecastBatch:
    """Gather the samples at ``index`` into a :class:`ForecastBatch`."""
    rows = text.row[torch.from_numpy(np.asarray(index, dtype=np.int64))]
    target_units = target_censored = None
    if samples.target_units is not None:
        target_units = _float(samples.target_units[index])
        if samples.target_censored is not None:
            target_censored = _float(samples.target_censored[index])
        else:
            target_censored = torch.zeros_like(target_units)
    return ForecastBatch(
        history_units=_float(samples.history_units[index]),
        history_stockout=_float(samples.history_stockout[index]),
        history_observed=_float(samples.history_observed[index]),
        history_covariates=_float(samples.history_covariates[index]),
        future_covariates=_float(samples.future_covariates[index]),
        static=_float(samples.static[index]),
        text_embedding=None if text.embedding is None else text.embedding[rows],
        input_ids=None if text.input_ids is None else text.input_ids[rows],
        attention_mask=None if text.attention_mask is None else text.attention_mask[rows],
        target_units=target_units,
        target_censored=target_censored,
    )
