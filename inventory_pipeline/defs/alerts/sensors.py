"""The run-failure alert: every failed run of the code location raises one (log + webhook)."""

import dagster as dg

from inventory_pipeline import alerts


def failure_alert(context: dg.RunFailureSensorContext) -> alerts.RunFailureAlert:
    """The alert for the failed run of ``context`` (its steps' errors, its partition)."""
    cfg = alerts.DEFAULT_ALERTS
    run = context.dagster_run
    steps: dict[str, str] = {}
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        error = data.error if data else None
        while error is not None and error.cause is not None:  # the user's error, not the wrapper
            error = error.cause
        text = error.message.strip() if error is not None else event.message or "failed"
        steps[event.step_key or "?"] = text[: cfg.max_error_chars]
    tags = run.tags
    start, end = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
    partition = tags.get("dagster/partition") or (
        f"{tags[start]}..{tags[end]}" if start in tags else None
    )
    return alerts.RunFailureAlert(
        job=run.job_name,
        run_id=run.run_id,
        message=(context.failure_event.message or "the run failed")[: cfg.max_error_chars],
        failed_steps=steps,
        partition=partition,
    )


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Writes an alert for every failed run (log line); also POSTs it as JSON to the URL in "
        f"${alerts.ALERT_WEBHOOK_ENV} when set."
    ),
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext) -> None:
    alert = failure_alert(context)
    context.log.error(alert.text())
    status = alerts.send(alert)
    if status is not None:
        context.log.info(f"alert posted to ${alerts.ALERT_WEBHOOK_ENV}: HTTP {status}")
