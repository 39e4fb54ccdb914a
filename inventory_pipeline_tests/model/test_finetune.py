"""Each fine-tuning strategy trains a step and changes only the parameters it should."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from inventory_pipeline.model import DemandForecaster, train
from inventory_pipeline.model.text import load_encoder, resolve_encoder_path, transformer_layers
from inventory_pipeline_tests.model.synthetic import make_samples, small_config

ENCODER_PREFIX = "text_tower.encoder."


@pytest.fixture(scope="module")
def pretrained() -> dict[str, torch.Tensor]:
    """The pretrained encoder weights, named as in a plain (un-wrapped) BertModel."""
    return {k: v.clone() for k, v in load_encoder(resolve_encoder_path(None)).state_dict().items()}


def _one_step(finetune: str, **changes: object) -> DemandForecaster:
    config = small_config(finetune=finetune, max_epochs=1, **changes)
    samples = make_samples(config, config.batch_size, seed=11)  # exactly one optimiser step
    forecaster, history = train(config, samples)
    assert len(history.epochs) == 1
    return forecaster


def _encoder_state(forecaster: DemandForecaster) -> dict[str, torch.Tensor]:
    encoder = forecaster.network.text_tower.encoder
    assert isinstance(encoder, nn.Module)
    return encoder.state_dict()


def test_frozen_keeps_the_encoder_out_of_training(pretrained: dict[str, torch.Tensor]) -> None:
    forecaster = _one_step("frozen")
    assert forecaster.network.text_tower.encoder is None
    assert not any(n.startswith(ENCODER_PREFIX) for n, _ in forecaster.network.named_parameters())
    frozen = forecaster.featurizer._frozen_encoder
    assert frozen is not None
    assert all(torch.equal(v, pretrained[k]) for k, v in frozen.state_dict().items())


def test_top_k_changes_only_the_top_layers(pretrained: dict[str, torch.Tensor]) -> None:
    k = 2
    forecaster = _one_step("top_k", top_k_layers=k)
    n_layers = len(transformer_layers(forecaster.network.text_tower.encoder))  # type: ignore
    top = {f"encoder.layer.{i}." for i in range(n_layers - k, n_layers)}
    changed_layers = set()
    for name, value in _encoder_state(forecaster).items():
        is_top = any(name.startswith(prefix) for prefix in top)
        if torch.equal(value, pretrained[name]):
            continue
        assert is_top, f"{name} changed but is below the top {k} layers"
        changed_layers.add(name.split(".")[2])
    assert changed_layers == {str(i) for i in range(n_layers - k, n_layers)}


def test_lora_changes_only_adapter_parameters(pretrained: dict[str, torch.Tensor]) -> None:
    forecaster = _one_step("lora", lora_r=4)
    adapters_changed = 0
    for name, value in _encoder_state(forecaster).items():
        if "lora_" in name:
            adapters_changed += int("lora_B" in name and bool(value.abs().sum() > 0))
            continue
        base = name.removeprefix("base_model.model.").replace(".base_layer", "")
        assert torch.equal(value, pretrained[base]), f"base weight {base} changed under LoRA"
    assert adapters_changed > 0  # lora_B starts at zero; one step moves it


def test_full_changes_every_layer_but_not_the_unused_pooler(
    pretrained: dict[str, torch.Tensor],
) -> None:
    forecaster = _one_step("full")
    state = _encoder_state(forecaster)
    changed = {name for name, value in state.items() if not torch.equal(value, pretrained[name])}
    n_layers = len(transformer_layers(forecaster.network.text_tower.encoder))  # type: ignore
    for i in range(n_layers):
        assert any(name.startswith(f"encoder.layer.{i}.") for name in changed)
    assert "embeddings.word_embeddings.weight" in changed
    assert not any(name.startswith("pooler.") for name in changed)


def test_fp32_top_k_step_trains_and_round_trips(tmp_path: Path) -> None:
    forecaster = _one_step("top_k", top_k_layers=1, bf16_autocast=False)
    assert forecaster.network.text_tower.use_bf16 is False
    samples = make_samples(forecaster.config, 8, seed=12)
    loaded = DemandForecaster.load(forecaster.save(tmp_path / "m"))
    assert torch.equal(
        torch.from_numpy(forecaster.predict(samples).daily),
        torch.from_numpy(loaded.predict(samples).daily),
    )
