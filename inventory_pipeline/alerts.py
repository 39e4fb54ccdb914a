"""Alerts for failed runs: a clear log line and, when configured, a JSON POST to a webhook.

Plain Python (stdlib ``urllib``), so any receiver that takes JSON works (a chat incoming webhook,
an alert manager, a small relay). The webhook URL comes from the environment when the alert is
sent, never at import, so changing it takes effect without reloading code.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field

ALERT_WEBHOOK_ENV = "INVENTORY_ALERT_WEBHOOK"

logger = logging.getLogger("inventory_pipeline.alerts")


@dataclass(frozen=True)
class AlertConfig:
    """How alerts are delivered."""

    timeout_seconds: float = 10.0  # a webhook that does not answer within this is reported
    max_error_chars: int = 1000  # each step's error message is cut to this length


DEFAULT_ALERTS = AlertConfig()


@dataclass(frozen=True)
class RunFailureAlert:
    """What failed: enough for a person to find the run and start fixing it."""

    job: str
    run_id: str
    message: str  # the run's failure message
    failed_steps: dict[str, str] = field(default_factory=dict)  # step -> its error
    partition: str | None = None  # the partition (or range) the run was for
    kind: str = "run_failure"

    def text(self) -> str:
        """One line for logs and chat."""
        where = f" (partition {self.partition})" if self.partition else ""
        steps = "; ".join(f"{step}: {error}" for step, error in self.failed_steps.items())
        return f"ALERT: run {self.run_id} of {self.job}{where} failed: {self.message}" + (
            f" | failed steps: {steps}" if steps else ""
        )

    def payload(self) -> dict[str, object]:
        """The JSON body posted to the webhook (``text`` for chat tools, the fields for others)."""
        return {"text": self.text(), **asdict(self)}


def webhook_url() -> str | None:
    """The webhook configured in the environment, or None when alerts are log-only."""
    url = os.environ.get(ALERT_WEBHOOK_ENV, "").strip()
    if url and not url.startswith(("http://", "https://")):
        raise ValueError(
            f"{ALERT_WEBHOOK_ENV}={url!r} is not an http(s) URL: set it to the webhook's URL "
            f"(e.g. https://hooks.example.com/...) or unset it for log-only alerts"
        )
    return url or None


def post_json(url: str, body: dict[str, object], cfg: AlertConfig = DEFAULT_ALERTS) -> int:
    """POSTs ``body`` as JSON; returns the HTTP status, raises with the URL on failure."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body, default=str).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=cfg.timeout_seconds) as response:
            return int(response.status)
    except (urllib.error.URLError, TimeoutError) as err:
        raise RuntimeError(
            f"the alert webhook {url} ({ALERT_WEBHOOK_ENV}) did not accept the alert: {err}"
        ) from err


def send(alert: RunFailureAlert, cfg: AlertConfig = DEFAULT_ALERTS) -> int | None:
    """Logs the alert; posts it to the webhook when one is configured (returns its status)."""
    logger.error(alert.text())
    url = webhook_url()
    if url is None:
        return None
    return post_json(url, alert.payload(), cfg)
