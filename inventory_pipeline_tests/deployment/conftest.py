"""Fixtures for the production-storage tests: a real PostgreSQL server and MLflow server.

``pg`` (session): a throwaway PostgreSQL cluster started with initdb/pg_ctl from the installed
package (see :mod:`.servers`), or the server in ``$INVENTORY_TEST_PG_URL``. Without either the
tests that need it skip locally, and fail when ``$INVENTORY_REQUIRE_POSTGRES`` is set (CI sets it in
``.ci/run``, which installs the package first): in CI they can never pass by not running.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from inventory_pipeline_tests.deployment.servers import (
    PG_URL_ENV,
    REQUIRE_PG_ENV,
    MlflowServer,
    PgServer,
    postgres_bin_dir,
    postgres_cluster,
    server_from_url,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
POSTGRES_DAGSTER_YAML = REPO_ROOT / "deploy" / "postgres" / "dagster.yaml"


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_PG_ENV):
        pytest.fail(f"{REQUIRE_PG_ENV} is set but PostgreSQL is not available: {reason}")
    pytest.skip(
        f"PostgreSQL not available ({reason}); install the postgresql package or set {PG_URL_ENV}"
    )


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    url = os.environ.get(PG_URL_ENV)
    if url:
        server = server_from_url(url)
        try:
            server.connect().close()
        except Exception as err:  # noqa: BLE001 (reported as the reason)
            _unavailable(f"{PG_URL_ENV} does not answer: {err}")
        yield server
        server.drop_created()
        return
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        _unavailable("no initdb on PATH or in /usr/lib/postgresql/*/bin")
    with postgres_cluster(bin_dir) as server:
        yield server


def dagster_pg_env(pg: PgServer, db: str) -> dict[str, str]:
    """The variables deploy/postgres/dagster.yaml reads its connection from."""
    return {
        "DAGSTER_PG_USERNAME": pg.user,
        "DAGSTER_PG_PASSWORD": pg.password,
        "DAGSTER_PG_HOST": pg.host,
        "DAGSTER_PG_PORT": str(pg.port),
        "DAGSTER_PG_DB": db,
    }


@pytest.fixture(scope="module")
def mlflow_server(pg: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """``mlflow server`` on 127.0.0.1:<free port>, backend store in PostgreSQL, local artifacts."""
    folder = tmp_path_factory.mktemp("mlflow_server")
    db = pg.create_database("mlflow")
    server = MlflowServer(pg.url(db, "postgresql+psycopg2"), folder / "artifacts", folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
