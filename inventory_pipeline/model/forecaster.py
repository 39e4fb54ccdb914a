"""The fitted model object: build, predict, save to a folder, load from it.

Saved folder layout (everything an MLflow pyfunc wrapper needs)::

    config.json          ModelConfig
    weights.safetensors  every tensor that is not a frozen pretrained encoder weight: the towers,
                         heads, feature scalers, and the trained encoder part (top layers, LoRA
                         adapters, or the whole encoder for "full")
    model_meta.json      format version and the text-encoder reference (source + fingerprint)
    encoder/             optional copy of the encoder folder (``save(..., copy_encoder=True)``)
    launch_curve.json    the fitted launch curve (``model/launch.py``), when the config uses one
    text_prior.json      the launch curve's text level prior (``model/text_prior.py``), when the
                         retraining run chose one (+ text_prior.safetensors: its LoRA models)
    cover_recalibration.json  the levels the reorder plan reads (``recalibration.py``), when the
                         retraining run fitted one; without it every level is read as is

Frozen encoder weights are not duplicated: they are reloaded from the referenced encoder folder,
whose content fingerprint must match the one recorded at save time. That is what makes a loaded
model reproduce the saved model's predictions bit for bit.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.data import ForecastSamples, TextInputs
from inventory_pipeline.model.embedding_cache import EmbeddingCache
from inventory_pipeline.model.launch import LAUNCH_CURVE_FILE, LaunchCurve, LaunchInputs, blend
from inventory_pipeline.model.network import DemandNetwork
from inventory_pipeline.model.predict import QuantileForecast, predict_quantiles
from inventory_pipeline.model.runtime import torch_runtime
from inventory_pipeline.model.text import (
    TextFeaturizer,
    TextTower,
    apply_finetune_strategy,
    cpu_bf16_supported,
    encoder_fingerprint,
    load_encoder,
    resolve_encoder_path,
    text_parts,
)
from inventory_pipeline.model.text_prior import TextPrior, remove_text_prior, young_ratios
from inventory_pipeline.recalibration import RECALIBRATION_FILE, CoverRecalibration

FORMAT_NAME = "inventory_pipeline.demand_model"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
META_FILE = "model_meta.json"
ENCODER_COPY_DIR = "encoder"


def build_network(config: ModelConfig, encoder_path: Path) -> DemandNetwork:
    """An untrained network; seed torch first for reproducible initial weights."""
    import transformers

    encoder_config = transformers.AutoConfig.from_pretrained(
        str(encoder_path), local_files_only=True
    )
    text_dim = int(encoder_config.hidden_size) * text_parts(config)
    encoder = None
    if config.use_text and config.finetune != "frozen":
        encoder = apply_finetune_strategy(load_encoder(encoder_path), config)
    use_bf16 = config.bf16_autocast and cpu_bf16_supported()
    return DemandNetwork(config, TextTower(encoder, use_bf16), text_dim)


def frozen_encoder_keys(network: DemandNetwork) -> set[str]:
    """State-dict keys of pretrained encoder weights that training does not change."""
    return {
        name
        for name, parameter in network.named_parameters(remove_duplicate=False)
        if name.startswith("text_tower.encoder.") and not parameter.requires_grad
    }


def save_weights(network: DemandNetwork, path: Path) -> set[str]:
    """Write every tensor of ``network`` but the frozen pretrained encoder weights to ``path``
    (safetensors); returns the keys left out (they are reloaded from the encoder folder)."""
    omitted = frozen_encoder_keys(network)
    state = {
        key: value.detach().contiguous()
        for key, value in network.state_dict().items()
        if key not in omitted
    }
    save_file(state, str(path))
    return omitted


def load_weights(network: DemandNetwork, path: Path) -> None:
    """Load weights written by :func:`save_weights` into ``network`` (eval mode after); refuses
    a file that does not fit it, naming the keys."""
    result = network.load_state_dict(load_file(str(path)), strict=False)
    expected_missing = frozen_encoder_keys(network)
    if set(result.missing_keys) != expected_missing or result.unexpected_keys:
        unexpected_missing = sorted(set(result.missing_keys) - expected_missing)
        raise ValueError(
            f"{path} does not fit the network built from its config: missing "
            f"{unexpected_missing[:5]}, unexpected {sorted(result.unexpected_keys)[:5]}."
        )
    network.eval()


class DemandForecaster:
    """Config + network + text featurizer (+ launch curve): everything needed to forecast.

    With ``config.launch_curve`` and a fitted ``launch_curve``, the rows of young products
    (launched fewer than ``launch_max_age_days`` days before the origin, or not yet) are forecast
    by the launch curve, all others by the network.
    """

    def __init__(
        self,
        config: ModelConfig,
        network: DemandNetwork,
        featurizer: TextFeaturizer,
        launch_curve: LaunchCurve | None = None,
        cover_recalibration: CoverRecalibration | None = None,
        text_prior: TextPrior | None = None,
    ) -> None:
        self.config = config
        self.network = network
        self.featurizer = featurizer
        self.launch_curve = launch_curve
        self.cover_recalibration = cover_recalibration  # the plan's levels (None: as is)
        self.text_prior = text_prior  # the launch curve's level prior (None: the category's)

    @classmethod
    def build(
        cls,
        config: ModelConfig,
        embedding_cache: EmbeddingCache | None = None,
        encoder_path: str | Path | None = None,
    ) -> DemandForecaster:
        """An untrained forecaster (the training loop fills it).

        Args:
            config: model config.
            embedding_cache: shared cache of frozen embeddings; None = in-memory only.
            encoder_path: overrides ``config.encoder_path`` (used when loading a copied encoder).
        """
        path = resolve_encoder_path(config.encoder_path if encoder_path is None else encoder_path)
        network = build_network(config, path)
        return cls(config, network, TextFeaturizer(config, path, embedding_cache))

    def predict(self, samples: ForecastSamples, batch_size: int | None = None) -> QuantileForecast:
        """Per-day and cumulative quantiles in units for every sample (targets are ignored)."""
        with torch_runtime(self.config):
            if len(samples) == 0:
                text = TextInputs(row=torch.zeros(0, dtype=torch.int64))
            else:
                text = self.featurizer.prepare(samples.texts)
            forecast = predict_quantiles(
                self.network, samples, text, batch_size or self.config.eval_batch_size
            )
        if self.config.launch_curve and self.launch_curve is not None and len(samples):
            inputs = LaunchInputs.from_samples(samples, self.config, self.launch_curve.max_age_days)
            inputs.text_ratio = young_ratios(
                samples, inputs.young, self.text_prior, self.featurizer
            )
            rows = np.flatnonzero(inputs.young)
            daily, cumulative = self.launch_curve.predict(inputs, self.config.quantiles, rows)
            share = self.config.launch_network_share
            forecast.daily[rows] = blend(daily, forecast.daily[rows], share)
            forecast.cumulative[rows] = blend(cumulative, forecast.cumulative[rows], share)
        return forecast

    def save(self, folder: str | Path, copy_encoder: bool = False) -> Path:
        """Write the model folder (see module docstring); returns its path.

        Args:
            folder: target folder, created if missing; existing model files are replaced.
            copy_encoder: also copy the encoder folder inside, for a self-contained artifact
                (needed when the encoder is not the bundled one and the target machine lacks it).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        omitted = save_weights(self.network, folder / WEIGHTS_FILE)
        (folder / CONFIG_FILE).write_text(self.config.to_json())
        curve_file = folder / LAUNCH_CURVE_FILE
        if self.launch_curve is not None:
            curve_file.write_text(self.launch_curve.to_json())
        elif curve_file.exists():
            curve_file.unlink()
        if self.text_prior is not None:
            self.text_prior.save(folder)
        else:
            remove_text_prior(folder)
        recalibration_file = folder / RECALIBRATION_FILE
        if self.cover_recalibration is not None:
            recalibration_file.write_text(self.cover_recalibration.to_json())
        elif recalibration_file.exists():
            recalibration_file.unlink()
        if copy_encoder:
            target = folder / ENCODER_COPY_DIR
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(self.featurizer.encoder_path, target)
        meta: dict[str, Any] = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "encoder": {
                "config_encoder_path": self.config.encoder_path,
                "copied_to": ENCODER_COPY_DIR if copy_encoder else None,
                "fingerprint": self.featurizer.fingerprint,
                "hidden_size": self.network.text_dim,
            },
            "omitted_frozen_encoder_tensors": len(omitted),
            "torch_version": torch.__version__,
        }
        (folder / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
        return folder

    @classmethod
    def load(
        cls, folder: str | Path, embedding_cache: EmbeddingCache | None = None
    ) -> DemandForecaster:
        """Rebuild a saved forecaster; refuses an encoder other than the one it was trained with."""
        folder = Path(folder)
        for name in (CONFIG_FILE, WEIGHTS_FILE, META_FILE):
            if not (folder / name).is_file():
                raise FileNotFoundError(
                    f"{folder / name} is missing; expected a folder from DemandForecaster.save."
                )
        meta = json.loads((folder / META_FILE).read_text())
        if meta.get("format") != FORMAT_NAME or meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{folder} holds format {meta.get('format')!r} v{meta.get('format_version')}; "
                f"this code reads {FORMAT_NAME!r} v{FORMAT_VERSION}. Retrain, or load it with "
                "the code version that wrote it."
            )
        config = ModelConfig.from_json((folder / CONFIG_FILE).read_text())
        copied = meta["encoder"]["copied_to"]
        encoder_path = resolve_encoder_path(folder / copied if copied else config.encoder_path)
        found = encoder_fingerprint(encoder_path)
        if found != meta["encoder"]["fingerprint"]:
            raise ValueError(
                f"The encoder at {encoder_path} (fingerprint {found[:12]}) is not the one this "
                f"model was trained with ({meta['encoder']['fingerprint'][:12]}). Install the "
                "same encoder version, or save the model with copy_encoder=True to carry it along."
            )
        forecaster = cls.build(config, embedding_cache, encoder_path)
        load_weights(forecaster.network, folder / WEIGHTS_FILE)
        curve_file = folder / LAUNCH_CURVE_FILE
        if curve_file.is_file():
            forecaster.launch_curve = LaunchCurve.from_json(curve_file.read_text())
        forecaster.text_prior = TextPrior.load(folder)  # a model saved before has none
        recalibration_file = folder / RECALIBRATION_FILE  # a model saved before has none
        if recalibration_file.is_file():
            forecaster.cover_recalibration = CoverRecalibration.from_json(
                recalibration_file.read_text()
            )
        return forecaster
