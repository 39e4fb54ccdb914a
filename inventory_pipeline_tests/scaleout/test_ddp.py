"""Data-parallel fine-tuning: a real 2-process torchrun on CPU (gloo) against single-process
training."""

import os
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import torch

from inventory_pipeline.model import ForecastSamples
from inventory_pipeline.training.fit import fit
from inventory_pipeline.training.windows_io import WindowSplits
from inventory_pipeline.windows import Windows
from inventory_pipeline_tests.model.synthetic import make_samples, small_config

# dropout 0: with dropout each worker draws its own masks, and only "identical on every rank" holds
CONFIG = small_config(dropout=0.0, max_epochs=2, batch_size=16, patience=5, deterministic=True)


def _windows(samples: ForecastSamples, first: int) -> Windows:
    n = len(samples)
    return Windows(
        samples=samples,
        skus=[f"SKU-{first + i:05d}" for i in range(n)],
        origins=[date(2025, 1, 1)] * n,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("ddp")
    # 45 training samples, batches of 16: the last global batch (13) splits 7/6 over two workers;
    # stockouts make the number of scored targets differ between workers
    splits = WindowSplits(
        train=_windows(make_samples(CONFIG, 45, seed=3, stockout_rate=0.2), 0),
        validation=_windows(make_samples(CONFIG, 12, seed=4), 100),
        backtest=_windows(make_samples(CONFIG, 4, seed=5), 200),
    )
    splits.save(root / "windows", CONFIG)
    (root / "config.json").write_text(CONFIG.to_json())
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
        "--master_addr=127.0.0.1",
        f"--master_port={_free_port()}", "-m", "inventory_pipeline.training.ddp",
        "--windows", str(root / "windows"), "--model-config", str(root / "config.json"),
        "--out", str(root / "model"), "--rank-state-dir", str(root / "ranks"),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MLFLOW_DISABLE_TELEMETRY": "true"}
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    single, history = fit(splits.train, splits.validation, CONFIG)
    return {
        "root": root,
        "stdout": done.stdout,
        "single": single.network.state_dict(),
        "history": history,
    }


def _state(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)


def test_every_rank_ends_with_identical_parameters(ddp_run: dict[str, object]) -> None:
    root = ddp_run["root"]
    assert isinstance(root, Path)
    rank0, rank1 = _state(root / "ranks" / "rank0.pt"), _state(root / "ranks" / "rank1.pt")
    assert rank0.keys() == rank1.keys()
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name
    assert (root / "model").is_dir() and any((root / "model").iterdir())  # rank 0 wrote the model
    assert '"world_size": 2' in str(ddp_run["stdout"])


def test_two_workers_train_like_one_process_on_the_same_global_batch(
    ddp_run: dict[str, object],
) -> None:
    root = ddp_run["root"]
    assert isinstance(root, Path)
    rank0 = _state(root / "ranks" / "rank0.pt")
    single = ddp_run["single"]
    assert isinstance(single, dict)
    assert rank0.keys() == single.keys()
    trained = 0
    for name, value in single.items():
        np.testing.assert_allclose(
            rank0[name].numpy(), value.numpy(), rtol=1e-4, atol=1e-5, err_msg=name
        )
        trained += not name.startswith("text_tower.encoder.")
    assert trained > 10
    # and training moved the weights: the comparison is not between two untouched initialisations
    from inventory_pipeline.model.forecaster import DemandForecaster
    from inventory_pipeline.model.runtime import seed_everything

    seed_everything(CONFIG.seed)
    initial = DemandForecaster.build(CONFIG).network.state_dict()
    assert not torch.allclose(initial["daily_head.weight"], single["daily_head.weight"], atol=1e-3)
