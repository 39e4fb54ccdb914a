"""Where planners drop scenario files: ``<data root>/what_if`` unless configured."""

from pathlib import Path

import dagster as dg

from inventory_pipeline.config import resolve_paths

WHAT_IF_FOLDER = "what_if"


class ScenarioFolderResource(dg.ConfigurableResource):
    """The folder of promotion scenario files (YAML or CSV, one promotion per file)."""

    path: str = ""  # empty: <data root>/what_if

    def root(self) -> Path:
        return Path(self.path).resolve() if self.path else resolve_paths().data_dir / WHAT_IF_FOLDER
