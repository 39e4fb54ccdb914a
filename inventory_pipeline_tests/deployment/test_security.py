"""Security defaults: the UI on loopback, secrets only from the environment, bound SQL parameters.

Path traversal (partition values and table names that would leave the warehouse root) is tested in
inventory_pipeline_tests/test_warehouse.py. The UI's listening socket is checked on a running
webserver in test_daemon_restart.py; the PostgreSQL password's absence from the instance file in
test_dagster_postgres.py.
"""

import json
import re
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import yaml

from inventory_pipeline import cli
from inventory_pipeline import contract as c
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.resources import MlflowResource
from inventory_pipeline.features.as_of import features_as_of
from inventory_pipeline.features.build import build_all
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.conftest import (
    ORDERS_HEADER,
    PRODUCTS_HEADER,
    WriteFile,
    order_row,
    product_row,
)
from inventory_pipeline_tests.deployment.conftest import REPO_ROOT

# the pipeline's definitions (partitions from the environment's shop)
defs = build_definitions()

SECRET_NAME = re.compile(r"pass(word)?|secret|token|credential|api_?key", re.IGNORECASE)
EVIL_SKU = "x'; DROP TABLE raw_orders; --"


def _shown_config(resource: dg.ConfigurableResource) -> dict:
    """The resource config as the code location publishes it (what the UI's Resources page
    shows)."""
    return json.loads(resource.get_resource_definition().config_schema.default_value_as_json_str)


def test_ui_binds_to_loopback_by_default() -> None:
    cmd = cli.serve_command()
    assert cmd[cmd.index("-h") + 1] == "127.0.0.1"
    assert "0.0.0.0" not in cmd and "::" not in cmd
    assert cmd[cmd.index("-p") + 1] == str(cli.UI_PORT)


def test_instance_files_take_connection_secrets_from_the_environment() -> None:
    files = sorted((REPO_ROOT / "deploy").rglob("dagster.yaml"))
    assert REPO_ROOT / "deploy" / "postgres" / "dagster.yaml" in files
    for path in files:
        config = yaml.safe_load(path.read_text())
        for kind in ("storage", "run_storage", "event_log_storage", "schedule_storage"):
            postgres = (config.get(kind) or {}).get("postgres") or {}
            db = postgres.get("postgres_db")
            if db is None:
                assert "postgres_url" not in postgres, f"{path}: a URL would hold the password"
                continue
            for field in ("username", "password", "hostname", "db_name", "port"):
                assert isinstance(db[field], dict) and set(db[field]) == {"env"}, f"{path}: {field}"

        _assert_secret_keys_from_env(config, f"{path}:")


def _assert_secret_keys_from_env(node: object, where: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if SECRET_NAME.search(str(key)):
                assert isinstance(value, dict) and set(value) == {"env"}, f"{where}.{key}"
            _assert_secret_keys_from_env(value, f"{where}.{key}")


def test_resources_hold_no_secret_and_publish_env_vars_by_name(monkeypatch) -> None:
    for name, resource in defs.resources.items():
        for key, value in _shown_config(resource).items():
            if isinstance(value, str):
                assert not re.search(r"://[^/\s]*:[^/\s]*@", value), (
                    f"{name}.{key} holds credentials"
                )
                if SECRET_NAME.search(key):
                    assert value == "", f"{name}.{key} has a hard-coded default"
    # A deployment passes a URI with a password as dg.EnvVar: the code location (and so the UI)
    # shows the variable's name, never the value; a plain string would be shown as it is.
    secret = "postgresql+psycopg2://mlflow:s3cr3t-pw@db.internal:5432/mlflow"
    monkeypatch.setenv("INVENTORY_MLFLOW_URI", secret)
    via_env = MlflowResource(tracking_uri=dg.EnvVar("INVENTORY_MLFLOW_URI"))
    assert _shown_config(via_env)["tracking_uri"] == {"env": "INVENTORY_MLFLOW_URI"}
    assert "s3cr3t-pw" not in json.dumps(_shown_config(via_env))
    assert "s3cr3t-pw" in json.dumps(_shown_config(MlflowResource(tracking_uri=secret)))


def test_sql_injection_in_values_and_paths_is_treated_as_data(
    write_file: WriteFile, landing: Path, tmp_path: Path
) -> None:
    """A SKU and a warehouse path full of SQL flow through ingest, the feature SQL and the
    catalog."""
    write_file("products", "2024-01-01", "p.csv",
               "\n".join([PRODUCTS_HEADER, product_row("A1"), product_row(EVIL_SKU)])
               + "\n")  # fmt: skip
    for day in ("2024-01-01", "2024-01-02"):
        write_file("orders", day, "o.csv", "\n".join([
            ORDERS_HEADER,
            order_row(f"o-{day}", "A1", ordered_at=f"{day}T10:00:00Z"),
            order_row(f"e-{day}", EVIL_SKU, quantity="3", ordered_at=f"{day}T11:00:00Z"),
        ]) + "\n")  # fmt: skip
    warehouse = Warehouse(tmp_path / "wh'); DROP TABLE daily_sku_demand; --")
    for contract in c.TABLES.values():
        days = landing_dates(landing, contract.name)
        if days:
            ingest_days(landing, warehouse, contract, days)
    build_all(warehouse)

    con = duckdb.connect(str(warehouse.catalog_path), read_only=True)
    tables = set(con.sql("SHOW TABLES").pl()["name"])
    assert {"raw_orders", "orders_current", "daily_sku_demand", "product_docs"} <= tables
    units = dict(con.sql("SELECT sku, sum(units) FROM daily_sku_demand GROUP BY sku").fetchall())
    assert units == {"A1": 4, EVIL_SKU: 6}
    assert (
        con.sql(
            "SELECT count(*) FROM raw_orders WHERE sku = $s", params={"s": EVIL_SKU}
        ).fetchall()[0][0]
        == 2
    )
    con.close()

    features = features_as_of(warehouse, date(2024, 1, 2), skus=[EVIL_SKU, "nope' OR '1'='1"])
    assert features.skus == [EVIL_SKU]
    assert features.unknown_skus == ("nope' OR '1'='1",)
    assert set(features.history["sku"].unique()) == {EVIL_SKU}
