"""Steps that start at once may be the first to open a new MLflow store (the retraining's fit
and refit do): each configures the same new SQLite store in its own process, and all succeed
with one experiment. Real MLflow, real processes."""

import multiprocessing
from pathlib import Path

from mlflow.tracking import MlflowClient

from inventory_pipeline import tracking

PROCESSES = 4


def _configure(root: str, queue: "multiprocessing.Queue[str]") -> None:
    try:
        uri = f"sqlite:///{Path(root) / 'mlflow' / 'mlflow.db'}"
        experiment = tracking.configure(uri, Path(root) / "artifacts", "at-once")
        queue.put(f"ok {experiment}")
    except Exception as err:  # noqa: BLE001  # reported to the test, which names it
        queue.put(f"failed {type(err).__name__}: {err}")


def test_processes_opening_a_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [
        context.Process(target=_configure, args=(str(tmp_path), queue)) for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    outcomes = [queue.get(timeout=10) for _ in workers]
    assert all(o.startswith("ok ") for o in outcomes), outcomes
    assert len(set(outcomes)) == 1  # one experiment, the same id everywhere
    tracking.configure(
        f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}", tmp_path / "artifacts", "at-once"
    )
    assert [e.name for e in MlflowClient().search_experiments()].count("at-once") == 1
