"""Calibrated decision quantiles: the recalibration fitted on one block brings another block's
coverage to the nominal level, the plan reads it, the gate judges it."""

from datetime import date

import numpy as np
import polars as pl
import pytest

from inventory_pipeline import tracking
from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.recalibration import CoverRecalibration, identity
from inventory_pipeline.reorder import PlanInputs, ReorderConfig, cover_quantile, plan_orders
from inventory_pipeline.scoring.calibration import miscalibration
from inventory_pipeline.training.calibration import (
    RAW,
    RECALIBRATED,
    BacktestCalibration,
    CoverWindows,
    calibration_table,
    calibration_verdict,
    fit_recalibration,
)
from inventory_pipeline.training.retrain import calibration_gate

LEVELS = np.array(ModelConfig().quantiles)
NOMINAL = (0.8, 0.9, 0.95, 0.98, 0.99)
HORIZON = 28
EDGES = (14,)
Z = {0.05: -1.645, 0.1: -1.2816, 0.25: -0.6745, 0.5: 0.0, 0.75: 0.6745, 0.9: 1.2816,
     0.95: 1.6449, 0.98: 2.0537, 0.99: 2.3263}  # fmt: skip


def _block(spread: float, seed: int, n: int = 4000) -> CoverWindows:
    """Windows of Poisson demand whose quantile curves have ``spread`` times the true sd:
    < 1 under-covers, > 1 over-covers."""
    rng = np.random.default_rng(seed)
    cover = rng.integers(2, HORIZON + 1, n)
    mean = rng.uniform(0.5, 5.0, n) * cover
    z = np.array([Z[float(level)] for level in LEVELS])
    at_cover = np.maximum(mean[:, None] + spread * np.sqrt(mean)[:, None] * z[None, :], 0.0)
    return CoverWindows(LEVELS, at_cover, rng.poisson(mean).astype(float), cover)


def _observed(table: pl.DataFrame, method: str, bucket: str, level: float) -> float:
    row = table.filter(
        (pl.col("method") == method) & (pl.col("bucket") == bucket) & (pl.col("level") == level)
    )
    return float(row["observed"][0])


@pytest.mark.parametrize("spread", [0.8, 1.8])
def test_recalibration_fitted_on_one_block_brings_another_to_nominal(spread: float) -> None:
    fitted = fit_recalibration(_block(spread, 1), NOMINAL, EDGES, HORIZON, 50, 0.0)
    table = calibration_table(_block(spread, 2), NOMINAL, EDGES, HORIZON, fitted)
    for bucket in ("1-14 d", "15-28 d"):
        raw = _observed(table, RAW, bucket, 0.95)
        assert (raw < 0.93) if spread < 1 else (raw > 0.98)  # the block is miscalibrated
        assert abs(_observed(table, RECALIBRATED, bucket, 0.95) - 0.95) < 0.015
    reachable = table.filter(pl.col("level") <= 0.95)  # 0.98, 0.99: beyond the top level at 0.8
    assert miscalibration(reachable, RECALIBRATED) < 0.02 < miscalibration(reachable, RAW)
    assert miscalibration(table, RECALIBRATED) < miscalibration(table, RAW)
    # under-covering quantiles are read higher, over-covering ones lower; the median as is
    read = np.array(fitted.read[0])
    nominal = np.array(fitted.nominal)
    assert fitted.nominal[0] == 0.5 and read[0] == 0.5
    assert np.all(read[1:] > nominal[1:]) if spread < 1 else np.all(read[1:] < nominal[1:])


def test_few_windows_shrink_toward_the_nominal_level_and_too_few_read_it_as_is() -> None:
    cells = _block(0.8, 3, n=300)
    free = fit_recalibration(cells, NOMINAL, EDGES, HORIZON, 50, 0.0)
    shrunk = fit_recalibration(cells, NOMINAL, EDGES, HORIZON, 50, 300.0)
    j = shrunk.nominal.index(0.95)
    for b in range(2):
        gap = free.read[b][j] - 0.95
        assert shrunk.read[b][j] - 0.95 == pytest.approx(
            gap * shrunk.windows[b] / (shrunk.windows[b] + 300)
        )
    untouched = fit_recalibration(cells, NOMINAL, EDGES, HORIZON, 1000, 0.0)
    assert untouched.read == tuple(untouched.nominal for _ in untouched.read)


def test_the_policy_reads_the_recalibrated_level_and_without_one_exactly_the_old_value() -> None:
    rng = np.random.default_rng(0)
    cum = np.sort(rng.gamma(2.0, 3.0, (5, HORIZON, len(LEVELS))), axis=2).cumsum(axis=1)
    lead = np.array([3, 9, 20, 30, 40])  # beyond the horizon: the last bucket's map
    target = np.full(5, 0.95)
    policy = ReorderConfig()
    plain = cover_quantile(LEVELS, cum, lead, target, policy)
    assert np.array_equal(plain, cover_quantile(LEVELS, cum, lead, target, policy, None))
    higher = CoverRecalibration((14, 28), (0.5, 0.95), ((0.5, 0.97), (0.5, 0.99)), (100, 100))
    expected = cover_quantile(LEVELS, cum, lead, np.array([0.97, 0.97, 0.99, 0.99, 0.99]), policy)
    np.testing.assert_allclose(cover_quantile(LEVELS, cum, lead, target, policy, higher), expected)
    # the plan: a higher order-up-to level, its median untouched
    inputs = PlanInputs(
        skus=[f"S{i}" for i in range(5)], categories=[""] * 5, on_hand=np.zeros(5, int),
        on_order=np.zeros(5, int), lead_time_days=lead, moq=np.ones(5, int),
        pack_size=np.ones(5, int), list_price=np.full(5, 10.0), unit_cost=np.full(5, 5.0),
        discontinued=np.zeros(5, bool), launches_on=[None] * 5, cum_levels=LEVELS,
        cum_quantiles=cum, drivers=[[] for _ in range(5)],
    )  # fmt: skip
    before = plan_orders(date(2025, 1, 1), inputs, policy)
    after = plan_orders(
        date(2025, 1, 1), PlanInputs(**{**inputs.__dict__, "cover_recalibration": higher}), policy
    )
    np.testing.assert_allclose(after["order_up_to"].to_numpy(), expected)
    assert after["demand_p50_cover"].to_list() == before["demand_p50_cover"].to_list()
    assert (after["order_qty"] >= before["order_qty"]).all()
    assert (after["order_qty"] > before["order_qty"]).any()


def test_a_recalibration_survives_its_json_and_refuses_a_non_monotone_map() -> None:
    fitted = fit_recalibration(_block(0.8, 4), NOMINAL, EDGES, HORIZON, 50, 100.0)
    assert CoverRecalibration.from_json(fitted.to_json()) == fitted
    with pytest.raises(ValueError, match="non-decreasing"):
        CoverRecalibration((28,), (0.5, 0.9, 0.95), ((0.5, 0.97, 0.96),), (10,))
    same = identity(NOMINAL, (14, 28))
    target = np.array([0.8, 0.95, 0.99])
    np.testing.assert_array_equal(same.level(target, np.array([3, 20, 60])), target)


def test_the_gate_fails_a_miscalibrated_candidate_and_passes_a_calibrated_one() -> None:
    cells = _block(0.8, 5)
    honest = fit_recalibration(_block(0.8, 6), NOMINAL, EDGES, HORIZON, 50, 0.0)
    decision = tracking.decide(0.40, None, {"seasonal_naive": 0.50})
    assert decision.promote
    verdicts = {}
    for name, recal in (("raw", None), ("recalibrated", honest)):
        table = calibration_table(cells, NOMINAL, EDGES, HORIZON, recal)
        method = RAW if recal is None else RECALIBRATED
        verdict = calibration_verdict(table, method, 0.95, 0.05, 50)
        gated = calibration_gate(decision, BacktestCalibration(table, verdict, recal is not None))
        verdicts[name] = (verdict, gated)
    verdict, gated = verdicts["raw"]
    assert not verdict.passed and not gated.promote and verdict.error > 0.05
    assert "miscalibrated: the 95% cover quantile covers" in gated.reason
    verdict, gated = verdicts["recalibrated"]
    assert verdict.passed and gated.promote and verdict.error < 0.02
    assert verdict.judged_buckets == ("1-14 d", "15-28 d")
    # a tail too short even at the model's top level cannot be recalibrated: still failed
    short = _block(0.6, 8)
    capped = fit_recalibration(_block(0.6, 9), NOMINAL, EDGES, HORIZON, 50, 0.0)
    table = calibration_table(short, NOMINAL, EDGES, HORIZON, capped)
    assert not calibration_verdict(table, RECALIBRATED, 0.95, 0.05, 50).passed
    # a bucket with too few windows is not judged, and said so
    few = calibration_table(_block(0.6, 7, n=40), NOMINAL, EDGES, HORIZON, None)
    unjudged = calibration_verdict(few, RAW, 0.95, 0.05, 50)
    assert unjudged.passed and "not judged" in unjudged.reason
