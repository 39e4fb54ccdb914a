"""The evaluation config of one shop: its reorder policy, horizon, service level and lead times.

The evaluation asset and the lead-time benchmark build the config here, so both score what the
shop's nightly plan would order.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from inventory_pipeline.evaluation.config import EvaluationConfig
from inventory_pipeline.leadtimes import LeadTimeEstimate, estimate_lead_times
from inventory_pipeline.settings import ShopSettings
from inventory_pipeline.warehouse import Warehouse


def evaluation_config(
    stride_days: int,
    settings: ShopSettings | None = None,
    known: LeadTimeEstimate | None = None,
    realised: LeadTimeEstimate | None = None,
    longest_lead_time_days: int | None = None,
) -> EvaluationConfig:
    """The evaluation defaults with the shop's reorder policy and horizon (and a stride).

    Without a lead-time range in the settings, the policy reads the snapshots' estimate as
    ``known`` at the first evaluated day, and the replay's suppliers are as late as ``realised``
    (the estimate at the last day) says they were.
    """
    base = EvaluationConfig()
    if settings is not None:
        level = settings.service_level
        stated = settings.lead_time_range
        policy_range = stated or (known.lead_time_range if known else None) or (1.0, 1.0)
        late = stated or (realised.lead_time_range if realised else None) or (1.0, 1.0)
        base = dataclasses.replace(
            base,
            reorder=settings.reorder_config(base.reorder),
            horizon_days=settings.horizon(longest_lead_time_days),  # peers only; a model
            # is scored over its own horizon
            # the headline is the shop's own target (the trade-off curve gains it if missing)
            service_levels=tuple(sorted({*base.service_levels, level})),
            headline_service_level=level,
            # the replay's suppliers are as late as the shop's suppliers are
            lead_time_jitter=max(late[1] - 1.0, base.lead_time_jitter),
        )
        base = dataclasses.replace(
            base, reorder=dataclasses.replace(base.reorder, lead_time_range=policy_range)
        )
    return dataclasses.replace(base, origin_stride_days=stride_days) if stride_days else base


def lead_time_estimates(
    wh: Warehouse, settings: ShopSettings, start: date, end: date
) -> tuple[LeadTimeEstimate | None, LeadTimeEstimate | None]:
    """The snapshots' lead-time estimates at the first and last evaluated day, read only when
    the shop's settings state no range (a stated range wins in ``evaluation_config``)."""
    if settings.lead_time_range is not None:
        return None, None
    return estimate_lead_times(wh, start), estimate_lead_times(wh, end)
