"""Real servers for the deployment tests: a throwaway PostgreSQL cluster and an MLflow server.

PostgreSQL: :func:`start_postgres` runs ``initdb`` and ``pg_ctl`` from the Debian/Ubuntu package
(``/usr/lib/postgresql/<version>/bin``, or ``initdb`` on PATH) into a fresh temporary folder. The
server listens on 127.0.0.1 only (a free port, the Unix socket inside the cluster folder), and TCP
connections need a password (scram-sha-256). As root (CI), the cluster runs as the ``postgres``
system user that the package creates, since PostgreSQL refuses to run as root.

Instead, ``INVENTORY_TEST_PG_URL=postgresql://user:password@host:port/db`` points the tests at an
existing server (the role must be allowed to create databases).
"""

import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg2
from psycopg2 import sql

PG_URL_ENV = "INVENTORY_TEST_PG_URL"
# Set by .ci/run: the PostgreSQL tests fail instead of skipping when no server can be had.
REQUIRE_PG_ENV = "INVENTORY_REQUIRE_POSTGRES"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    """Connection settings of a PostgreSQL server reachable on loopback with a password."""

    host: str
    port: int
    user: str
    password: str
    admin_db: str = "postgres"
    created: list[str] = field(default_factory=list)

    def url(self, db: str, driver: str = "postgresql") -> str:
        return f"{driver}://{quote(self.user)}:{quote(self.password)}@{self.host}:{self.port}/{db}"

    def connect(self, db: str | None = None) -> "psycopg2.extensions.connection":
        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password,
            dbname=db or self.admin_db, connect_timeout=5,
        )  # fmt: skip

    def create_database(self, prefix: str) -> str:
        """A new, empty database (unique name) owned by the test role."""
        name = f"{prefix}_{secrets.token_hex(4)}"
        con = self.connect()
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            con.close()
        self.created.append(name)
        return name

    def drop_created(self) -> None:
        con = self.connect()
        con.autocommit = True
        try:
            with con.cursor() as cur:
                for name in self.created:
                    cur.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )
        finally:
            con.close()
        self.created.clear()


def postgres_bin_dir() -> Path | None:
    """The folder holding initdb/pg_ctl/postgres: PATH first, then the newest Debian package."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(candidates[-1]).parent if candidates else None


def _as_cluster_user() -> str | None:
    """PostgreSQL will not run as root: as root, run the cluster as the package's ``postgres``
    user."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError as err:
        raise RuntimeError(
            "running as root and there is no 'postgres' system user to run the test cluster as "
            "(install the Debian package: apt-get install -y postgresql)"
        ) from err
    return "postgres"


@contextmanager
def postgres_cluster(bin_dir: Path) -> Iterator[PgServer]:
    """initdb + pg_ctl start on 127.0.0.1:<free port>; stopped and deleted on exit."""
    user = _as_cluster_user()
    folder = Path(tempfile.mkdtemp(prefix="inventory-pg-"))
    data = folder / "data"
    password = secrets.token_urlsafe(16)
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n")
    if user is not None:
        shutil.chown(folder, user)
        shutil.chown(pwfile, user)
    run = {"user": user, "cwd": folder, "capture_output": True, "text": True}
    try:
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "inventory_test",
             "--pwfile", str(pwfile),
             "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8",
             "--locale=C", "--no-sync"],
            check=True, **run,
        )  # fmt: skip
        port = free_port()
        options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off"
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"),
             "-o", options, "-w", "-t", "60", "start"],
            check=True, **run,
        )  # fmt: skip
    except subprocess.CalledProcessError as err:
        log = folder / "server.log"
        detail = log.read_text()[-2000:] if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"{err.cmd[0]} failed: {err.stderr}\n{detail}") from err
    try:
        yield PgServer("127.0.0.1", port, "inventory_test", password)
    finally:
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            user=user, cwd=folder, capture_output=True, check=False,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def server_from_url(url: str) -> PgServer:
    parts = urlsplit(url)
    return PgServer(
        host=parts.hostname or "127.0.0.1", port=parts.port or 5432, user=parts.username or "",
        password=parts.password or "", admin_db=parts.path.lstrip("/") or "postgres",
    )  # fmt: skip


# ------------------------------------------------------------------------------------ processes


def start_group(
    cmd: list[str], log: Path, env: dict[str, str], cwd: Path | None = None
) -> subprocess.Popen:
    """Starts ``cmd`` in its own process group (so the whole tree can be stopped), output to
    ``log``."""
    out = open(log, "ab")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
    )


def stop_group(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM to the process group, SIGKILL if it is still there after ``timeout``."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    """Polls ``url`` until it answers 200; fails early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout}s:\n{log.read_text()[-3000:]}")


def base_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MLFLOW_DISABLE_TELEMETRY="true", DAGSTER_DISABLE_TELEMETRY="true",
        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
    )  # fmt: skip
    env.update(extra)
    return env


@dataclass
class MlflowServer:
    """``mlflow server`` with a SQL backend store and a local artifact store, on 127.0.0.1."""

    backend_uri: str
    artifacts: Path
    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        mlflow = str(Path(sys.executable).parent / "mlflow")
        return [
            mlflow, "server",
            "--backend-store-uri", self.backend_uri,
            "--artifacts-destination", str(self.artifacts),
            "--serve-artifacts",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", "1",
        ]  # fmt: skip

    def start(self) -> None:
        log = self.folder / "mlflow-server.log"
        # The job runner serves MLflow GenAI jobs, which the pipeline does not use.
        env = base_env(MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
        self.proc = start_group(self.command(), log, env, cwd=self.folder)
        wait_http(f"{self.url}/health", self.proc, log)

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)
            self.proc = None
