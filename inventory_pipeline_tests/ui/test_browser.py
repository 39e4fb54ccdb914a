"""A planner's morning in the Dagster UI, in a real (headless) Chromium.

The shop's exports end yesterday; the CLI launched yesterday's nightly plans as a backfill
through the instance. The UI must show the plan's order table for yesterday, the CLI's run
under its job, and the backfill under Backfills; the day before, submitted as one ranged run
without a backfill record (`backfill --as-run`, as the demo does), materialised its partition.
Screenshots land in the test artefacts.
"""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

import dagster as dg
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_START_TAG, BACKFILL_ID_TAG

from inventory_pipeline_tests.ui.conftest import PLAN_DAYS, ServedShop, artifacts_dir

LOAD_MS = 120_000  # a first page load compiles the UI's queries on a busy machine


@pytest.fixture
def page(browser: object, served_shop: ServedShop):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(LOAD_MS)
    yield page
    context.close()


def _open(page, served_shop: ServedShop, path: str) -> None:
    page.goto(served_shop.url + path)
    from playwright.sync_api import TimeoutError as NotShown

    # the UI's newsletter dialog, shown once per browser profile (or not at all)
    with contextlib.suppress(NotShown):
        page.get_by_role("button", name="Skip").click(timeout=10_000)


def _run_id(served_shop: ServedShop) -> str:
    found = re.findall(r"run ([0-9a-f-]{36}) succeeded", served_shop.backfill_output)
    assert found, served_shop.backfill_output[-2000:]
    return found[-1]


def test_the_plan_shows_every_order_of_yesterday_in_a_table(page, served_shop: ServedShop) -> None:
    _open(page, served_shop, "/assets/reorder_plan?view=events")  # the latest materialisation
    # the orders table itself (innermost), not the metadata table around it
    table = page.locator("table:not(:has(table))", has_text="stockout_risk").first
    table.wait_for()
    assert page.get_by_text(served_shop.yesterday.isoformat()).first.is_visible()
    rows = table.locator("tbody tr")
    assert rows.count() >= 1
    first = rows.first.inner_text()
    assert re.search(r"Order \d+", first), first  # the reason of the largest order
    header = table.locator("thead").inner_text()
    for column in ("title", "qty", "packs", "value_EUR", "arrives", "cover_days", "reason"):
        assert column in header
    page.screenshot(path=str(artifacts_dir() / "reorder_plan_orders.png"))


def test_the_cli_run_is_listed_under_its_job(page, served_shop: ServedShop) -> None:
    run_id = _run_id(served_shop)
    _open(page, served_shop, "/locations/inventory_pipeline/jobs/nightly_forecast_job/runs")
    page.get_by_text(run_id[:8]).first.wait_for()
    assert page.get_by_text("inventory_pipeline/launched_by: cli").first.is_visible()
    page.screenshot(path=str(artifacts_dir() / "job_runs.png"))


def test_a_range_submitted_as_a_run_materialises_its_partitions(
    page, served_shop: ServedShop
) -> None:
    found = re.findall(r"run ([0-9a-f-]{36}) succeeded", served_shop.as_run_output)
    assert found, served_shop.as_run_output[-2000:]
    before = served_shop.yesterday - timedelta(days=PLAN_DAYS)
    with dg.DagsterInstance.from_config(str(served_shop.root / "dagster_home")) as instance:
        run = instance.get_run_by_id(found[-1])
        assert run is not None and BACKFILL_ID_TAG not in run.tags
        assert run.tags[ASSET_PARTITION_RANGE_START_TAG] == before.isoformat()
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=dg.AssetKey("reorder_plan"), asset_partitions=[before.isoformat()]
            ),
            limit=5,
        ).records
        assert [r.run_id for r in records] == [run.run_id]
    _open(page, served_shop, "/locations/inventory_pipeline/jobs/nightly_forecast_job/runs")
    page.get_by_text(run.run_id[:8]).first.wait_for()


def test_the_cli_range_is_a_backfill_with_its_partitions(page, served_shop: ServedShop) -> None:
    found = re.findall(r"backfill (\w+) requested", served_shop.backfill_output)
    assert found, served_shop.backfill_output[-2000:]
    _open(page, served_shop, "/runs?tab=backfills")
    page.get_by_text(found[-1]).first.wait_for()
    assert page.get_by_text("2 partitions").first.is_visible()
    page.screenshot(path=str(artifacts_dir() / "backfills.png"))
    _open(page, served_shop, f"/runs/b/{found[-1]}")
    page.get_by_text("100% completed").first.wait_for()
    page.screenshot(path=str(artifacts_dir() / "backfill.png"))
