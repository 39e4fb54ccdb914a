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
        error = data.error.message.strip() if data and data.error else event.message or "failed"
        steps[event.step_key or "?"] = error[: cfg.max_error_chars]
    tags = run.tags
    partition = tags.get("dagster/partition") or (
        f"{tags['dagster/asset_partition_range_start']}..{tags['dagster/asset_partition_range_end']}"
        if "dagster/asset_partition_range_start" in tags
        else None
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
