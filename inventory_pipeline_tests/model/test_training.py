"""Training: learns from text (cold start), reproducible, callbacks, save -> load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from inventory_pipeline.model import (
    DemandForecaster,
    ForecastSamples,
    ModelConfig,
    StepInfo,
    TrainingHistory,
    train,
)
from inventory_pipeline.model.forecaster import frozen_encoder_keys
from inventory_pipeline_tests.model.synthetic import LEVELS, make_samples, small_config


def test_training_reduces_loss_and_text_drives_cold_start(
    trained_frozen: tuple[DemandForecaster, TrainingHistory], frozen_config: ModelConfig
) -> None:
    forecaster, history = trained_frozen
    val_losses = [r.val_loss for r in history.epochs if r.val_loss is not None]
    first, best = val_losses[0], min(val_losses)
    assert best < 0.8 * first
    assert history.best_val_loss == pytest.approx(best)

    # Cold start: no history at all, only the word in the text tells the level apart.
    cold = make_samples(frozen_config, 64, seed=3, cold_start_share=1.0)
    median = forecaster.predict(cold).daily[:, :, 1].mean(axis=1)  # (N,) mean p50 per sample
    is_best = np.array(["bestseller" in text for text in cold.texts])
    ratio = median[is_best].mean() / median[~is_best].mean()
    true_ratio = LEVELS["bestseller"] / LEVELS["niche"]
    assert ratio > 0.5 * true_ratio


def test_same_seed_gives_identical_weights(
    trained_frozen: tuple[DemandForecaster, TrainingHistory],
    frozen_config: ModelConfig,
    frozen_samples: tuple[ForecastSamples, ForecastSamples],
) -> None:
    again, _ = train(frozen_config, *frozen_samples)
    first = trained_frozen[0].network.state_dict()
    second = again.network.state_dict()
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_save_load_reproduces_predictions_bit_for_bit(
    trained_frozen: tuple[DemandForecaster, TrainingHistory],
    frozen_samples: tuple[ForecastSamples, ForecastSamples],
    tmp_path: Path,
) -> None:
    forecaster, _ = trained_frozen
    samples = frozen_samples[1]
    before = forecaster.predict(samples)
    loaded = DemandForecaster.load(forecaster.save(tmp_path / "model"))
    after = loaded.predict(samples)
    assert np.array_equal(before.daily, after.daily)
    assert np.array_equal(before.cumulative, after.cumulative)
    assert loaded.config == forecaster.config


def test_lora_save_load_with_copied_encoder(tmp_path: Path) -> None:
    config = small_config(finetune="lora", max_epochs=1, lora_r=2)
    samples = make_samples(config, 16, seed=4)
    forecaster, _ = train(config, samples)
    before = forecaster.predict(samples)
    folder = forecaster.save(tmp_path / "lora", copy_encoder=True)
    assert (folder / "encoder" / "config.json").is_file()
    loaded = DemandForecaster.load(folder)
    assert frozen_encoder_keys(loaded.network)  # base weights came from the encoder copy
    after = loaded.predict(samples)
    assert np.array_equal(before.daily, after.daily)
    assert np.array_equal(before.cumulative, after.cumulative)


def test_load_rejects_a_different_encoder(
    trained_frozen: tuple[DemandForecaster, TrainingHistory], tmp_path: Path
) -> None:
    folder = trained_frozen[0].save(tmp_path / "model", copy_encoder=True)
    with (folder / "encoder" / "vocab.txt").open("a") as vocab:
        vocab.write("changed\n")
    with pytest.raises(ValueError, match="not the one this model was trained with"):
        DemandForecaster.load(folder)


def test_callbacks_report_progress_and_early_stopping_keeps_best() -> None:
    config = small_config(max_epochs=6, patience=1, learning_rate=3e-2)
    train_samples, val_samples = make_samples(config, 48, seed=1), make_samples(config, 16, seed=2)
    steps: list[StepInfo] = []
    epochs: list[tuple[int, float, float | None, float]] = []
    forecaster, history = train(
        config,
        train_samples,
        val_samples,
        on_step=steps.append,
        on_epoch_end=lambda e, tr, va, s: epochs.append((e, tr, va, s)),
    )
    assert [e[0] for e in epochs] == [r.epoch for r in history.epochs]
    assert len(steps) == len(epochs) * steps[0].steps_per_epoch
    assert steps[-1].global_step == len(steps) and steps[0].eta_seconds >= 0.0
    val_losses = [r.val_loss for r in history.epochs]
    assert history.best_val_loss == min(val_losses)  # type: ignore[type-var]
    assert history.stopped_early == (len(history.epochs) < config.max_epochs)
    from inventory_pipeline.model.train import evaluate_loss

    kept = evaluate_loss(
        forecaster.network, val_samples, forecaster.featurizer.prepare(val_samples.texts), config
    )
    assert kept == pytest.approx(history.best_val_loss)


def test_bad_sample_shapes_fail_with_a_clear_message() -> None:
    config = small_config()
    samples = make_samples(config, 8)
    samples.static = samples.static[:, :2]
    with pytest.raises(ValueError, match="static has shape"):
        train(config, samples)


def test_a_fresh_process_reproduces_saved_predictions(
    trained_frozen: tuple[DemandForecaster, TrainingHistory],
    frozen_config: ModelConfig,
    tmp_path: Path,
) -> None:
    """What an MLflow pyfunc will do: load the folder in another process and predict."""
    forecaster, _ = trained_frozen
    folder = forecaster.save(tmp_path / "model")
    samples = make_samples(frozen_config, 32, seed=21)
    expected = forecaster.predict(samples)
    script = (
        "import sys, numpy as np\n"
        "from inventory_pipeline.model import DemandForecaster\n"
        "from inventory_pipeline_tests.model.synthetic import make_samples\n"
        "model = DemandForecaster.load(sys.argv[1])\n"
        "forecast = model.predict(make_samples(model.config, 32, seed=21))\n"
        "np.save(sys.argv[2], np.stack([forecast.daily, forecast.cumulative]))\n"
    )
    out = tmp_path / "forecast.npy"
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-c", script, str(folder), str(out)], check=True, cwd=root, timeout=120
    )
    actual = np.load(out)
    assert np.array_equal(actual[0], expected.daily)
    assert np.array_equal(actual[1], expected.cumulative)
