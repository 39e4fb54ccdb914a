"""``launch.served_ui``: the UI a command starts for its runs (``demo --serve``) goes away with the
command, also when the command is interrupted or terminated rather than left running on its port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import dagster as dg
import psutil
import pytest

from inventory_pipeline.cli import UI_HOST, WORKSPACE_YAML
from inventory_pipeline.defs.launch import (
    REPEAT_MIN_CHARS,
    RunWatcher,
    code_location,
    held_code_location,
)

SCRIPT = """
import sys, time
import dagster as dg
from inventory_pipeline.cli import init_home, serve_command
from inventory_pipeline.defs.launch import LaunchConfig, served_ui

port = int(sys.argv[1])
home = init_home()
with dg.DagsterInstance.get() as instance:
    url = f"http://127.0.0.1:{port}"
    config = LaunchConfig(daemon_start_seconds=300)
    with served_ui(instance, serve_command(port), url, home / "dev.log", config) as ui:
        print("UI", ui.pid, flush=True)
        time.sleep(600)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((UI_HOST, 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((UI_HOST, port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_served_ui_stops_with_the_command(tmp_path: Path, signum: int) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "INVENTORY_DATA_DIR": str(tmp_path),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    # started the way a background job of a shell is: with SIGINT ignored
    command = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(port)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    try:
        assert command.stdout is not None
        line = ""
        while not line.startswith("UI "):
            line = command.stdout.readline()
            assert line or command.poll() is None, "the command ended before the UI was up"
        ui = psutil.Process(int(line.split()[1]))
        group = [ui, *ui.children(recursive=True)]  # the UI, its daemon and code servers
        assert not _port_free(port)  # the UI listens
        command.send_signal(signum)
        command.wait(timeout=120)
        gone, alive = psutil.wait_procs(group, timeout=60)
        assert not alive, [p.cmdline()[:4] for p in alive]
        assert _port_free(port)
    finally:
        if command.poll() is None:
            command.kill()


def test_the_command_line_prints_a_long_message_repeated_by_each_step_once() -> None:
    """Each step process logs the shop's settings as it starts (one long line); the command
    line's echo of the run prints it for the first step and a short reference after that."""
    long = "shop settings from here: " + "x" * REPEAT_MIN_CHARS

    @dg.asset
    def first(context) -> None:
        context.log.info(long)
        context.log.info("a short line, said twice")

    @dg.asset(deps=[first])
    def second(context) -> None:
        context.log.info(long)
        context.log.info("a short line, said twice")

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([first, second], instance=instance)
    lines: list[str] = []
    RunWatcher(instance, result.run_id, lines.append).poll()
    assert lines.count(f"  first {long}") == 1 and f"  second {long}" not in lines
    assert f"  second {long[:60]}… (as above)" in lines
    assert lines.count("  first a short line, said twice") == 1
    assert lines.count("  second a short line, said twice") == 1


def _code_servers() -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process().children(recursive=True)
        if "grpc" in " ".join(p.cmdline()) and p.is_running()
    ]


def test_submissions_inside_a_held_code_location_share_one_code_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo submits its four runs from one code server, not one started per submission."""
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    (tmp_path / "home").mkdir()
    before = {p.pid for p in _code_servers()}
    with dg.DagsterInstance.local_temp(str(tmp_path / "home")) as instance:
        with held_code_location(instance, WORKSPACE_YAML):
            with code_location(instance, WORKSPACE_YAML) as first:
                pass
            with code_location(instance, WORKSPACE_YAML) as second:
                started = [p for p in _code_servers() if p.pid not in before]
                assert len(started) == 1, [p.cmdline()[:6] for p in started]
            assert second[1] is first[1]
            assert second[2].get_full_job("retrain_job").name == "retrain_job"  # still serving
        psutil.wait_procs(started, timeout=60)
        assert not any(p.is_running() for p in started)  # gone with the block
        with code_location(instance, WORKSPACE_YAML) as alone:
            assert alone[1] is not first[1]
