"""Asset checks of the forecasting assets: the blocking invariants and the accuracy drift warning.

A bad night never publishes: each day's forecasts and plan are checked against the invariants of
:mod:`inventory_pipeline.invariants` before the atomic write. A day that breaks one is not written
(the partition published before stays as it was), and the asset's blocking check fails, so
nothing downstream (the reorder plan, accuracy) runs on it.
"""

from datetime import date

import dagster as dg

FORECAST_CHECK = "forecast_invariants"
PLAN_CHECK = "plan_invariants"
ACCURACY_CHECK = "accuracy_within_drift_threshold"


def forecast_check_spec(asset: str, description: str | None = None) -> dg.AssetCheckSpec:
    """The blocking forecast invariants of ``asset`` (sku_forecasts or its sharded assembly)."""
    return dg.AssetCheckSpec(
        FORECAST_CHECK,
        asset=asset,
        blocking=True,
        description=description
        or (
            "Every on-sale SKU forecast, none discontinued, H rows each, finite non-negative "
            "quantiles monotone across levels and over the horizon; a day that fails is not "
            "published and the plan does not run."
        ),
    )


def plan_check_spec(asset: str, description: str | None = None) -> dg.AssetCheckSpec:
    """The blocking plan invariants of ``asset`` (reorder_plan or its sharded assembly)."""
    return dg.AssetCheckSpec(
        PLAN_CHECK,
        asset=asset,
        blocking=True,
        description=description
        or (
            "One row per forecast SKU; every order a multiple of the pack size and at least the "
            "MOQ; no order for a discontinued SKU. A day that fails is not published."
        ),
    )


def accuracy_check_spec() -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        ACCURACY_CHECK,
        asset="forecast_accuracy",
        description="Weighted quantile loss within drift_factor of its trailing median.",
    )


def invariant_check(
    name: str, days: list[date], rejected: dict[str, list[str]]
) -> dg.AssetCheckResult:
    """The run's blocking check: failed when any day broke an invariant (and was not written)."""
    return dg.AssetCheckResult(
        check_name=name,
        passed=not rejected,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"all {len(days)} day(s) hold every invariant"
            if not rejected
            else f"{len(rejected)} of {len(days)} day(s) break an invariant and were not published"
        ),
        metadata={
            "days_checked": len(days),
            "unpublished_days": dg.MetadataValue.json(sorted(rejected)),
            "problems": dg.MetadataValue.json(rejected),
        },
    )


def accuracy_check(
    today: dict[str, float] | None, trailing: float | None, drift_factor: float
) -> dg.AssetCheckResult:
    """Warns when today's WQL exceeds ``drift_factor`` × the trailing median."""
    drifting = today is not None and trailing is not None and today["wql"] > drift_factor * trailing
    return dg.AssetCheckResult(
        check_name=ACCURACY_CHECK,
        passed=not drifting,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "wql": today["wql"] if today else -1.0,
            "trailing_median": trailing or -1.0,
        },
    )
