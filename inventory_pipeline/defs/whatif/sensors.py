"""``what_if_sensor``: a scenario file dropped in ``what_if/`` is answered without a restart.

Each tick lists the folder; a new file adds its partition and requests a run, a changed file
(newer modification time) requests a run again. The cursor holds each file's modification time,
and the run key repeats it, so a tick never answers the same version of a file twice. A file that
does not parse is reported in the tick (with the fix) and retried when it changes.
"""

import json

import dagster as dg

from inventory_pipeline.defs.partitions import scenario_partitions
from inventory_pipeline.defs.whatif.jobs import what_if_job
from inventory_pipeline.defs.whatif.resources import ScenarioFolderResource
from inventory_pipeline.whatif import ScenarioError, read_scenario, scenario_files

SENSOR_INTERVAL_SECONDS = 30


@dg.sensor(
    job=what_if_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Answers each new or changed scenario file in the what_if folder.",
)
def what_if_sensor(
    context: dg.SensorEvaluationContext, what_if: ScenarioFolderResource
) -> dg.SensorResult:
    seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    known = set(context.instance.get_dynamic_partitions(scenario_partitions.name or ""))
    folder = what_if.root()
    requests, new_keys, errors = [], [], []
    for path in scenario_files(folder):
        stamp = path.stat().st_mtime_ns
        if seen.get(path.name) == stamp:
            continue
        seen[path.name] = stamp
        try:
            scenario = read_scenario(path)
        except ScenarioError as err:
            errors.append(str(err))
            context.log.warning(f"scenario file not answered: {err}")
            continue
        if scenario.key not in known and scenario.key not in new_keys:
            new_keys.append(scenario.key)
        requests.append(
            dg.RunRequest(
                run_key=f"{scenario.key}@{stamp}",
                partition_key=scenario.key,
                tags={"what_if/file": path.name},
            )
        )
    skip = None
    if not requests:
        skip = "; ".join(errors) if errors else f"no new or changed scenario file in {folder}"
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[scenario_partitions.build_add_request(new_keys)]
        if new_keys
        else [],
        cursor=json.dumps(seen, sort_keys=True),
        skip_reason=skip,
    )
