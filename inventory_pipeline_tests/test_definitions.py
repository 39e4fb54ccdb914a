"""The code location loads and every job and schedule resolves."""

import dagster as dg

from inventory_pipeline.definitions import build_definitions

# the pipeline's definitions (partitions from the environment's shop)
defs = build_definitions()


def test_definitions_load_and_jobs_resolve() -> None:
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    for job in repo.get_all_jobs():
        assert job.name
    for schedule in defs.schedules or []:
        assert isinstance(schedule, dg.ScheduleDefinition)
        assert defs.resolve_job_def(schedule.job_name)
    assert {"ingest_job"} <= {job.name for job in repo.get_all_jobs()}


def test_every_asset_has_group_and_description() -> None:
    for spec in defs.resolve_all_asset_specs():
        assert spec.group_name and spec.group_name != "default", spec.key
        assert spec.description, spec.key
