"""The run-failure alert on a real failed run: a log line, and a JSON POST to a local webhook."""

import json
import logging
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import dagster as dg
import pytest

from inventory_pipeline import alerts
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.alerts.sensors import run_failure_alert_sensor
from inventory_pipeline.defs.resources import (
    MlflowResource,
    ShopSettingsResource,
    WarehouseResource,
)

START = date(2024, 1, 1)
defs = build_definitions(START)


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received.append(
            {
                "content_type": self.headers["Content-Type"],
                "body": json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass  # keep the test output clean


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict]]]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Receiver.received
    server.shutdown()
    server.server_close()


def _failed_run(tmp_path: Path, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """The nightly forecasts of one day with an empty model registry: no champion to load."""
    job = defs.resolve_job_def("nightly_forecast_job").get_subset(
        asset_selection={dg.AssetKey("sku_forecasts")}
    )
    return job.execute_in_process(
        instance=instance,
        partition_key="2024-02-01",
        resources={
            "warehouse": WarehouseResource(path=str(tmp_path / "warehouse")),
            "mlflow_registry": MlflowResource(
                tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
                artifacts_dir=str(tmp_path / "artifacts"),
            ),
            "shop": ShopSettingsResource(path=str(tmp_path / "settings.yaml")),
        },
        raise_on_error=False,
    )


def _sensor_context(instance: dg.DagsterInstance, run_id: str) -> dg.RunFailureSensorContext:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    [failure] = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.RUN_FAILURE
    ).records
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=failure.event_log_entry.dagster_event,
    ).for_run_failure()


def test_a_failed_run_posts_a_clear_alert(
    tmp_path: Path,
    webhook: tuple[str, list[dict]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, received = webhook
    monkeypatch.setenv(alerts.ALERT_WEBHOOK_ENV, url)
    with dg.DagsterInstance.ephemeral() as instance:
        result = _failed_run(tmp_path, instance)
        assert not result.success
        with caplog.at_level(logging.ERROR, logger="inventory_pipeline.alerts"):
            run_failure_alert_sensor(_sensor_context(instance, result.run_id))
    [post] = received
    assert post["content_type"] == "application/json"
    body = post["body"]
    assert body["job"] == "nightly_forecast_job" and body["run_id"] == result.run_id
    assert body["partition"] == "2024-02-01" and body["kind"] == "run_failure"
    assert (
        "no version of registered model 'demand_model' has the alias 'champion'"
        in body["failed_steps"]["sku_forecasts"]
    )
    assert body["text"].startswith(
        f"ALERT: run {result.run_id} of nightly_forecast_job (partition 2024-02-01) failed"
    )
    assert body["text"] in caplog.text  # the same line in the log


def test_without_a_webhook_the_alert_is_a_log_line_and_a_bad_url_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(alerts.ALERT_WEBHOOK_ENV, raising=False)
    with dg.DagsterInstance.ephemeral() as instance:
        result = _failed_run(tmp_path, instance)
        context = _sensor_context(instance, result.run_id)
        with caplog.at_level(logging.ERROR, logger="inventory_pipeline.alerts"):
            run_failure_alert_sensor(context)
        assert f"ALERT: run {result.run_id} of nightly_forecast_job" in caplog.text
        monkeypatch.setenv(alerts.ALERT_WEBHOOK_ENV, "hooks.example.com/x")
        with pytest.raises(
            ValueError, match="INVENTORY_ALERT_WEBHOOK='hooks.example.com/x' is not an http"
        ):
            run_failure_alert_sensor(context)


def test_an_unreachable_webhook_fails_loudly_with_its_url(tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    url = f"http://127.0.0.1:{server.server_port}/hook"
    server.server_close()  # nothing listens there any more
    with pytest.raises(RuntimeError, match=f"the alert webhook {url}"):
        alerts.post_json(url, {"text": "x"})
