"""Freshness of the published tables: "tonight's plan is missing" shows in the UI's asset health.

A cron freshness policy (Dagster's current freshness API, evaluated by the daemon when
``freshness: enabled`` is set in dagster.yaml) on ``sku_forecasts`` and ``reorder_plan``: each
morning's deadline expects a materialisation since the nightly run started. The policy looks at
the asset as a whole, so a backfill of old days inside that window also counts as fresh; the
nightly schedule's run for the day that just ended is what normally satisfies it.
"""

from dataclasses import dataclass
from datetime import timedelta

import dagster as dg


@dataclass(frozen=True)
class PublishingDeadline:
    """When the night's forecasts and plan must be published (the nightly run starts at 02:00)."""

    deadline_cron: str = "0 6 * * *"  # every day at 06:00 the night's tables must be there
    window_hours: int = 4  # ... materialised within this many hours before the deadline
    timezone: str = "UTC"

    def policy(self) -> dg.FreshnessPolicy:
        return dg.FreshnessPolicy.cron(
            deadline_cron=self.deadline_cron,
            lower_bound_delta=timedelta(hours=self.window_hours),
            timezone=self.timezone,
        )


DEFAULT_DEADLINE = PublishingDeadline()
