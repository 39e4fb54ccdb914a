"""Where the pipeline's data lives, resolved from the environment at run time (never at import).

One data root (``INVENTORY_DATA_DIR``, default ``./data``) holds everything by default; each part
can be moved on its own with the variables below. Dagster resources call :func:`resolve_paths`
when a run starts, so a changed variable takes effect on the next run without reloading code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "INVENTORY_DATA_DIR"
LANDING_DIR_ENV = "INVENTORY_LANDING_DIR"
WAREHOUSE_DIR_ENV = "INVENTORY_WAREHOUSE_DIR"
SETTINGS_ENV = "INVENTORY_SETTINGS"
MLFLOW_TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
DAGSTER_HOME_ENV = "DAGSTER_HOME"
DEFAULT_DATA_DIR = "data"


@dataclass(frozen=True)
class Paths:
    """Resolved, absolute locations of the pipeline's inputs and outputs."""

    data_dir: Path
    landing_dir: Path
    warehouse_dir: Path
    ground_truth_dir: Path
    settings_path: Path  # the shop's settings.yaml (inventory_pipeline.settings)
    mlflow_tracking_uri: str
    mlflow_artifacts_dir: Path
    dagster_home: Path


def _path(value: str) -> Path:
    return Path(value).expanduser().resolve()


def resolve_paths(env: Mapping[str, str] | None = None) -> Paths:
    """Paths from the environment (or ``env``), with defaults under the data root."""
    env = os.environ if env is None else env
    data_dir = _path(env.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)
    mlflow_dir = data_dir / "mlflow"
    return Paths(
        data_dir=data_dir,
        landing_dir=_path(env.get(LANDING_DIR_ENV) or str(data_dir / "landing")),
        warehouse_dir=_path(env.get(WAREHOUSE_DIR_ENV) or str(data_dir / "warehouse")),
        ground_truth_dir=data_dir / "ground_truth",
        settings_path=_path(env.get(SETTINGS_ENV) or str(data_dir / "settings.yaml")),
        mlflow_tracking_uri=env.get(MLFLOW_TRACKING_URI_ENV)
        or f"sqlite:///{mlflow_dir / 'mlflow.db'}",
        mlflow_artifacts_dir=mlflow_dir / "artifacts",
        dagster_home=_path(env.get(DAGSTER_HOME_ENV) or str(data_dir / "dagster_home")),
    )


def ground_truth_folder(truth_dir: str = "") -> Path | None:
    """The ground truth of a generated shop: ``truth_dir``, else ``<data root>/ground_truth``;
    None when the folder holds no ``daily.parquet`` (a real shop)."""
    folder = Path(truth_dir) if truth_dir else resolve_paths().ground_truth_dir
    return folder if (folder / "daily.parquet").exists() else None
