"""The checks of every ingest asset, evaluated by the asset's own step on the days it loaded."""

import json

import dagster as dg

from inventory_pipeline import contract as c
from inventory_pipeline.ingest.load import RangeStats

SCHEMA_CHECK = "matches_contract_schema"
DUPLICATE_CHECK = "no_duplicate_keys"
REJECT_RATE_CHECK = "reject_rate_below_threshold"
_LISTED_DAYS = 20  # days named in a check's metadata at most


def ingest_check_specs(contract: c.TableContract, key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    """Schema, duplicate keys and reject rate of one landing table's raw partitions."""
    return [
        dg.AssetCheckSpec(
            SCHEMA_CHECK, asset=key, description="Raw Parquet schema equals the contract."
        ),
        dg.AssetCheckSpec(
            DUPLICATE_CHECK, asset=key, description=f"{list(contract.key)} unique within a day."
        ),
        dg.AssetCheckSpec(
            REJECT_RATE_CHECK, asset=key, description="Share of rejected rows below the threshold."
        ),
    ]


def ingest_check_results(
    key: dg.AssetKey, stats: RangeStats, bad_schema: list[str], reject_rate_warn: float
) -> list[dg.AssetCheckResult]:
    """The checks' outcomes for the days of ``stats`` (``bad_schema``: days with another schema)."""
    assert stats.worst_day is not None
    return [
        dg.AssetCheckResult(
            check_name=SCHEMA_CHECK,
            asset_key=key,
            passed=not bad_schema,
            metadata={"days_with_wrong_schema": json.dumps(bad_schema[:_LISTED_DAYS])},
        ),
        dg.AssetCheckResult(
            check_name=DUPLICATE_CHECK,
            asset_key=key,
            passed=not stats.duplicate_keys,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "duplicate_rows": sum(stats.duplicate_keys.values()),
                "days": json.dumps(dict(list(stats.duplicate_keys.items())[:_LISTED_DAYS])),
                "resolution": "latest export wins, see sql/current/",
            },
        ),
        dg.AssetCheckResult(
            check_name=REJECT_RATE_CHECK,
            asset_key=key,
            passed=stats.worst_reject_rate <= reject_rate_warn,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "worst_reject_rate": dg.MetadataValue.float(stats.worst_reject_rate),
                "worst_day": stats.worst_day.isoformat(),
                "threshold": dg.MetadataValue.float(reject_rate_warn),
            },
        ),
    ]
