"""Dagster resources: where the landing zone and the warehouse are, and the shop's settings.

Each path field may be set explicitly (tests, deployments with run config); left empty it is
resolved at run time from the environment by :func:`inventory_pipeline.config.resolve_paths`.
"""

import json
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from inventory_pipeline.config import resolve_paths
from inventory_pipeline.settings import ShopSettings, load_settings
from inventory_pipeline.warehouse import Warehouse


class LandingZoneResource(dg.ConfigurableResource):
    """The shop's exports: ``<path>/<table>/date=YYYY-MM-DD/*.csv|*.parquet`` (read-only)."""

    path: str = ""  # empty: $INVENTORY_LANDING_DIR, else <data root>/landing

    def root(self) -> Path:
        root = Path(self.path).resolve() if self.path else resolve_paths().landing_dir
        if not root.is_dir():
            raise FileNotFoundError(
                f"landing zone {root} does not exist: set INVENTORY_LANDING_DIR (or "
                f"INVENTORY_DATA_DIR), or write a sample shop with `inventory-pipeline sample-shop`"
            )
        return root


class WarehouseResource(dg.ConfigurableResource):
    """The Parquet warehouse and its DuckDB catalog (see docs/warehouse.md)."""

    path: str = ""  # empty: $INVENTORY_WAREHOUSE_DIR, else <data root>/warehouse

    def warehouse(self) -> Warehouse:
        root = Path(self.path).resolve() if self.path else resolve_paths().warehouse_dir
        root.mkdir(parents=True, exist_ok=True)
        return Warehouse(root)


class MlflowResource(dg.ConfigurableResource):
    """MLflow tracking and model registry (SQLite + local artifacts by default, or a server)."""

    tracking_uri: str = ""  # empty: $MLFLOW_TRACKING_URI, else sqlite under <data root>/mlflow
    artifacts_dir: str = ""  # empty: <data root>/mlflow/artifacts (ignored for http servers)
    experiment: str = "inventory_pipeline"  # experiment of the retraining runs
    registered_model: str = "demand_model"  # the one registered model all versions belong to

    def configure(self) -> str:
        """Points MLflow at the store; returns the experiment id."""
        from inventory_pipeline import tracking

        paths = resolve_paths()
        uri = self.tracking_uri or paths.mlflow_tracking_uri
        artifacts = Path(self.artifacts_dir) if self.artifacts_dir else paths.mlflow_artifacts_dir
        return tracking.configure(uri, artifacts, self.experiment)


class ShopSettingsResource(dg.ConfigurableResource):
    """The shop's settings file (README, "Shop settings"), read once when a run starts.

    A bad file fails the run at its start with the key, the value and the fix; a missing one
    gives the generic defaults (no named events). Every asset reads the settings through this
    resource, so scheduled runs and backfills use the shop's values, not code defaults.
    """

    path: str = ""  # empty: $INVENTORY_SETTINGS, else <data root>/settings.yaml
    _settings: ShopSettings | None = PrivateAttr(default=None)

    def file(self) -> Path:
        return Path(self.path).resolve() if self.path else resolve_paths().settings_path

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._settings = load_settings(self.file())
        if context.log is not None:
            source = self._settings.source or f"{self.file()} (missing: the defaults)"
            summary = json.dumps(self._settings.summary(), default=str)
            context.log.info(f"shop settings from {source}: {summary}")

    def settings(self) -> ShopSettings:
        """The validated settings (loaded at run start; loaded now when used outside a run)."""
        if self._settings is None:
            self._settings = load_settings(self.file())
        return self._settings

    def metadata(self) -> dict[str, dg.MetadataValue]:
        """The resolved settings for a materialisation's metadata (visible in the UI)."""
        settings = self.settings()
        return {
            "shop_settings": dg.MetadataValue.json(settings.summary()),
            "shop_settings_file": dg.MetadataValue.path(str(self.file())),
        }
