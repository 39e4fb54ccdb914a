"""Scoring backtest forecasts: metrics per method x segment and horizon, gap closed, headline.

Every method is scored on the same cells, actuals and quantile levels (the published p10 / p50 /
p90):

    WQL       weighted quantile loss over p10 / p50 / p90 (the gate metric)
    WAPE      of p50
    coverage  share of actuals inside p10 .. p90 (calibrated: 0.8)
    bias      of p50, relative to total demand (> 0: over-forecasting)

"Gap closed" per segment = (WQL_best_baseline - WQL_model) / (WQL_best_baseline - WQL_oracle):
0 is no better than the best baseline, 1 is as good as knowing the true demand distribution.
The best baseline is the lowest WQL of seasonal naive, AutoETS and the LightGBM peer.

Absurd baselines: a baseline whose WQL on a segment is non-finite or more than
``absurd_wql_ratio`` times the reference (the lower of the seasonal naive's WQL and the WQL of
forecasting zero on the same cells) is *flagged* (:func:`flag_baselines`): it is left out of the
best baseline, the gap closed and the gate, and the result lists it in :attr:`BacktestResult.flags`
and :meth:`BacktestResult.warnings`, so a numerical blow-up is never compared against silently.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from inventory_pipeline import metrics
from inventory_pipeline.model.predict import quantile_column_name
from inventory_pipeline.scoring.segments import CELL_KEYS, Cells

MODEL = "model"
SEASONAL_NAIVE = "seasonal_naive"
AUTO_ETS = "auto_ets"
LIGHTGBM = "lightgbm"
ORACLE = "oracle"
BASELINES: tuple[str, ...] = (SEASONAL_NAIVE, AUTO_ETS, LIGHTGBM)
STATISTICAL_BASELINES: tuple[str, ...] = (SEASONAL_NAIVE, AUTO_ETS)  # statsforecast's
DEFAULT_ABSURD_WQL_RATIO = 10.0  # TrainingConfig.absurd_wql_ratio's default
FALLBACK_COLUMNS: dict[str, type[pl.DataType]] = {
    "method": pl.String, "fallback": pl.String, "series": pl.Int64,
}  # fmt: skip
FLAG_COLUMNS: dict[str, type[pl.DataType]] = {
    "method": pl.String, "segment": pl.String, "wql": pl.Float64,
    "reference_wql": pl.Float64, "reason": pl.String,
}  # fmt: skip


def quantile_columns(levels: Sequence[float]) -> list[str]:
    """["p10", "p50", "p90"] for the scored levels."""
    return [quantile_column_name(q) for q in levels]


def gap_closed(best_baseline_wql: float, model_wql: float, oracle_wql: float) -> float:
    """Share of the WQL gap between the best baseline and the oracle that a model closes.

    NaN when the oracle is not better than the baseline (the gap is undefined).
    """
    gap = best_baseline_wql - oracle_wql
    if not np.isfinite(gap) or gap <= 0 or not np.isfinite(model_wql):
        return float("nan")
    return float((best_baseline_wql - model_wql) / gap)


def _aligned(cells: Cells, forecasts: pl.DataFrame, method: str, columns: list[str]) -> np.ndarray:
    """(cells, 3) forecasts of ``method`` in cell order; raises when a cell has none."""
    rows = forecasts.filter(pl.col("method") == method).select(*CELL_KEYS, *columns)
    joined = cells.frame.select(CELL_KEYS).join(
        rows, on=list(CELL_KEYS), how="left", maintain_order="left"
    )
    values = joined.select(columns).to_numpy().astype(np.float64)
    missing = ~np.isfinite(values).all(axis=1)
    if missing.any():
        example = joined.filter(pl.Series(missing)).row(0)
        raise ValueError(
            f"{method} has no forecast for {int(missing.sum())} backtest cells (e.g. origin, "
            f"sku, horizon = {example[:3]}); every method must cover the same SKUs and origins"
        )
    return values


def _metrics(
    actual: np.ndarray, values: np.ndarray, mask: np.ndarray, levels: Sequence[float]
) -> dict[str, float]:
    lo, mid, hi = values[:, 0], values[:, 1], values[:, 2]
    return {
        "wql": metrics.weighted_quantile_loss(actual, values, list(levels), mask),
        "wape": metrics.wape(actual, mid, mask),
        "coverage": metrics.interval_coverage(actual, lo, hi, mask),
        "bias": metrics.bias(actual, mid, mask),
    }


def score(
    cells: Cells, forecasts: pl.DataFrame, levels: Sequence[float], methods: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(metrics per method x segment, metrics per method x segment x horizon)."""
    columns = quantile_columns(levels)
    actual = cells.frame["actual"].to_numpy().astype(np.float64)
    scored = cells.frame["scored"].to_numpy()
    horizon = cells.frame["horizon"].to_numpy()
    horizons = np.unique(horizon)
    rows, by_h = [], []
    for method in methods:
        values = _aligned(cells, forecasts, method, columns)
        for segment in cells.segments:
            mask = scored & cells.frame[segment].to_numpy()
            rows.append(
                {
                    "method": method,
                    "segment": segment,
                    "cells": int(mask.sum()),
                    "actual_units": float(actual[mask].sum()),
                    **_metrics(actual, values, mask.astype(np.float64), levels),
                }
            )
            for h in horizons:
                at = horizon == h
                part = mask[at]
                by_h.append(
                    {
                        "method": method,
                        "segment": segment,
                        "horizon": int(h),
                        "cells": int(part.sum()),
                        **_metrics(actual[at], values[at], part.astype(np.float64), levels),
                    }
                )
    return pl.DataFrame(rows), pl.DataFrame(by_h)


def zero_forecast_wql(cells: Cells, levels: Sequence[float]) -> dict[str, float]:
    """WQL of forecasting 0 units everywhere, per segment (1.0 wherever demand is positive)."""
    actual = cells.frame["actual"].to_numpy().astype(np.float64)
    zeros = np.zeros((len(actual), len(levels)))
    scored = cells.frame["scored"].to_numpy()
    return {
        segment: metrics.weighted_quantile_loss(
            actual, zeros, list(levels), (scored & cells.frame[segment].to_numpy()).astype(float)
        )
        for segment in cells.segments
    }


def flag_baselines(
    table: pl.DataFrame, zero_wql: dict[str, float], ratio: float = DEFAULT_ABSURD_WQL_RATIO
) -> pl.DataFrame:
    """Baselines whose WQL is absurd, per segment (``method, segment, wql, reference_wql, reason``).

    Reference per segment: the lower of the seasonal naive's and the zero forecast's WQL (both
    finite and positive; the zero forecast alone judges the seasonal naive). A baseline is flagged
    when its WQL is non-finite or above ``ratio`` x the reference. Segments without scored demand
    (zero-forecast WQL not finite) flag nothing.
    """
    if ratio <= 1.0:
        raise ValueError(f"absurd_wql_ratio={ratio} must be > 1 (a multiple of the reference)")
    wql = {(r["method"], r["segment"]): r["wql"] for r in table.iter_rows(named=True)}
    rows = []
    for (method, segment), value in wql.items():
        if method not in BASELINES:
            continue
        zero = zero_wql.get(segment, float("nan"))
        if not (np.isfinite(zero) and zero > 0):
            continue
        naive = wql.get((SEASONAL_NAIVE, segment), float("nan"))
        usable_naive = method != SEASONAL_NAIVE and np.isfinite(naive) and naive > 0
        reference = min(zero, naive) if usable_naive else zero
        if not np.isfinite(value):
            reason = f"WQL is {value}"
        elif value > ratio * reference:
            reason = f"WQL {value:.4g} is more than {ratio:g} x the reference {reference:.4g}"
        else:
            continue
        rows.append(
            {"method": method, "segment": segment, "wql": float(value),
             "reference_wql": float(reference), "reason": reason}
        )  # fmt: skip
    return pl.DataFrame(rows, schema=FLAG_COLUMNS)


def fallback_counts(forecasts: pl.DataFrame) -> pl.DataFrame:
    """``method, fallback, series``: forecasts (SKU x origin) a baseline replaced, by reason."""
    if "fallback" not in forecasts.columns:
        return pl.DataFrame(schema=FALLBACK_COLUMNS)
    return (
        forecasts.filter(pl.col("fallback").is_not_null())
        .group_by("method", "fallback")
        .agg(pl.struct("origin", "sku").n_unique().cast(pl.Int64).alias("series"))
        .sort("method", "fallback")
    )


GAP_SCHEMA: dict[str, type[pl.DataType]] = {
    "method": pl.String, "segment": pl.String, "best_baseline": pl.String,
    "wql_best_baseline": pl.Float64, "wql_method": pl.Float64,
    "wql_oracle": pl.Float64, "gap_closed": pl.Float64,
}  # fmt: skip


def gap_table(
    table: pl.DataFrame,
    learned: Sequence[str],
    flags: pl.DataFrame | None = None,
    baselines: Sequence[str] = BASELINES,
) -> pl.DataFrame:
    """Gap closed per learned method and segment (empty without the oracle).

    The best baseline per segment is the lowest WQL among ``baselines`` that were scored, are
    not the learned method itself and are not in ``flags``.
    """
    methods = set(table["method"].to_list())
    baselines = [b for b in baselines if b in methods]
    flagged = set() if flags is None else set(flags.select("method", "segment").iter_rows())
    if ORACLE not in methods or not baselines:
        return pl.DataFrame(schema=GAP_SCHEMA)
    wql = {(r["method"], r["segment"]): r["wql"] for r in table.iter_rows(named=True)}
    segments = table["segment"].unique(maintain_order=True).to_list()
    rows = []
    for method in learned:
        for segment in segments:
            valid = [
                b for b in baselines
                if b != method and np.isfinite(wql[(b, segment)]) and (b, segment) not in flagged
            ]  # fmt: skip
            if not valid:
                continue
            best = min(valid, key=lambda b: wql[(b, segment)])
            rows.append(
                {
                    "method": method,
                    "segment": segment,
                    "best_baseline": best,
                    "wql_best_baseline": wql[(best, segment)],
                    "wql_method": wql[(method, segment)],
                    "wql_oracle": wql[(ORACLE, segment)],
                    "gap_closed": gap_closed(
                        wql[(best, segment)], wql[(method, segment)], wql[(ORACLE, segment)]
                    ),
                }
            )
    return pl.DataFrame(rows, schema=GAP_SCHEMA)


@dataclass(frozen=True)
class BacktestResult:
    """Forecasts, scores and gap closed of one backtest."""

    cells: Cells
    forecasts: pl.DataFrame  # method, origin, sku, horizon, p10, p50, p90
    metrics: pl.DataFrame  # method, segment, cells, actual_units, wql, wape, coverage, bias
    by_horizon: pl.DataFrame  # method, segment, horizon, cells, wql, wape, coverage, bias
    gap: pl.DataFrame  # method, segment, best_baseline, wql_*, gap_closed
    levels: tuple[float, ...]  # scored quantile levels (lo, mid, hi)
    methods: tuple[str, ...]  # in report order
    learned: tuple[str, ...] = field(default=(MODEL,))  # methods that get a gap-closed figure
    flags: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=FLAG_COLUMNS))
    # absurd baselines per segment (flag_baselines), left out of the gate and the gap closed
    fallbacks: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=FALLBACK_COLUMNS)
    )  # method, fallback, series: baseline forecasts replaced by a simpler one (fallback_counts)
    absurd_wql_ratio: float = DEFAULT_ABSURD_WQL_RATIO

    @property
    def actuals(self) -> str:
        """What the actuals are: "true_demand" (ground truth) or "observed_units"."""
        return self.cells.actuals

    def wql(self, method: str, segment: str = "all") -> float:
        """One WQL figure (NaN when the segment has no scored cell)."""
        found = self.metrics.filter((pl.col("method") == method) & (pl.col("segment") == segment))
        if found.is_empty():
            raise KeyError(f"no {method!r} x {segment!r} in the backtest; methods: {self.methods}")
        return float(found["wql"][0])

    def baseline_wql(self, segment: str = "all") -> dict[str, float]:
        """WQL of each baseline not flagged on ``segment`` (the gate's reference)."""
        flagged = self.flagged(segment)
        return {
            b: self.wql(b, segment) for b in BASELINES if b in self.methods and b not in flagged
        }

    def flagged(self, segment: str = "all") -> dict[str, str]:
        """Baselines flagged as absurd on ``segment``: name -> reason."""
        part = self.flags.filter(pl.col("segment") == segment)
        return dict(zip(part["method"].to_list(), part["reason"].to_list(), strict=True))

    def warnings(self) -> list[str]:
        """One sentence per flagged baseline x segment and per baseline fallback reason."""
        out = [
            f"baseline {r['method']} is left out of the comparison on segment {r['segment']}: "
            f"{r['reason']} (a numerical blow-up or broken input; see its forecasts)"
            for r in self.flags.iter_rows(named=True)
        ]
        out += [
            f"baseline {r['method']}: {r['series']} SKU x origin forecasts fell back to a "
            f"simpler method ({r['fallback']})"
            for r in self.fallbacks.iter_rows(named=True)
        ]
        return out

    def flag_params(self) -> dict[str, str]:
        """Run parameters naming the flagged baselines and fallback counts (empty when none)."""
        out = {
            f"baseline_flag.{r['method']}.{r['segment']}": r["reason"][:250]
            for r in self.flags.iter_rows(named=True)
        }
        out.update(
            {
                f"baseline_fallback.{r['method']}.{r['fallback']}": str(r["series"])
                for r in self.fallbacks.iter_rows(named=True)
            }
        )
        return out

    def headline(self) -> dict[str, float]:
        """Flat metric names for MLflow (non-finite values are left out).

        ``<metric>_<segment>_<method>`` (e.g. ``wql_all_model``, ``wql_cold_start_auto_ets``),
        ``gap_closed_<segment>`` for the model, ``gap_closed_<segment>_<method>`` for other
        learned methods, ``cells_<segment>`` scored cells per segment.
        """
        out: dict[str, float] = {}
        for row in self.metrics.iter_rows(named=True):
            for metric in ("wql", "wape", "coverage", "bias"):
                out[f"{metric}_{row['segment']}_{row['method']}"] = float(row[metric])
            out[f"cells_{row['segment']}"] = float(row["cells"])
        for row in self.gap.iter_rows(named=True):
            suffix = "" if row["method"] == MODEL else f"_{row['method']}"
            out[f"gap_closed_{row['segment']}{suffix}"] = float(row["gap_closed"])
        return {k: v for k, v in out.items() if np.isfinite(v)}

    def table(self) -> str:
        """The per-segment report as aligned text (WQL / WAPE / coverage, and gap closed)."""
        lines = [f"actuals: {self.actuals}"]
        lines.append(
            f"{'segment':<15}{'cells':>7}  {'method':<16}"
            f"{'WQL':>8}{'WAPE':>8}{'cov80':>8}{'bias':>8}"
        )
        for segment in self.cells.segments:
            part = self.metrics.filter(pl.col("segment") == segment)
            if part.is_empty() or part["cells"].max() == 0:  # e.g. no incident in the block
                lines.append(f"{segment:<15}{0:>7}  (no cells in this block)")
                continue
            for i, method in enumerate(self.methods):
                row = part.filter(pl.col("method") == method).row(0, named=True)
                label = f"{segment:<15}{row['cells']:>7}" if i == 0 else " " * 22
                lines.append(
                    f"{label}  {method:<16}{row['wql']:>8.3f}{row['wape']:>8.3f}"
                    f"{row['coverage']:>8.3f}{row['bias']:>+8.3f}"
                )
        for warning in self.warnings():
            lines.append(f"warning: {warning}")
        if not self.gap.is_empty():
            lines.append("")
            lines.append(f"{'gap closed':<15}{'method':<16}{'best baseline':<16}{'share':>8}")
            for row in self.gap.iter_rows(named=True):
                lines.append(
                    f"{row['segment']:<15}{row['method']:<16}{row['best_baseline']:<16}"
                    f"{row['gap_closed']:>8.3f}"
                )
        return "\n".join(lines)

    def save(self, folder: str | Path) -> dict[str, Path]:
        """Write the frames as Parquet and the headline as JSON; returns the paths by name."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {
            "cells": folder / "cells.parquet",
            "forecasts": folder / "forecasts.parquet",
            "metrics": folder / "metrics.parquet",
            "by_horizon": folder / "by_horizon.parquet",
            "gap_closed": folder / "gap_closed.parquet",
            "baseline_flags": folder / "baseline_flags.parquet",
            "headline": folder / "headline.json",
        }
        self.flags.write_parquet(paths["baseline_flags"])
        self.cells.frame.write_parquet(paths["cells"])
        self.forecasts.write_parquet(paths["forecasts"])
        self.metrics.write_parquet(paths["metrics"])
        self.by_horizon.write_parquet(paths["by_horizon"])
        self.gap.write_parquet(paths["gap_closed"])
        paths["headline"].write_text(
            json.dumps(
                {
                    "actuals": self.actuals,
                    "levels": list(self.levels),
                    "metrics": self.headline(),
                    "warnings": self.warnings(),
                },
                indent=2,
                sort_keys=True,
            )
        )
        return paths


def build_result(
    cells: Cells,
    forecasts: pl.DataFrame,
    levels: tuple[float, ...],
    methods: tuple[str, ...],
    learned: tuple[str, ...],
    absurd_wql_ratio: float = DEFAULT_ABSURD_WQL_RATIO,
) -> BacktestResult:
    """Score ``forecasts`` of ``methods`` on ``cells`` into a :class:`BacktestResult`."""
    table, by_horizon = score(cells, forecasts, levels, methods)
    flags = flag_baselines(table, zero_forecast_wql(cells, levels), absurd_wql_ratio)
    return BacktestResult(
        cells=cells,
        forecasts=forecasts,
        metrics=table,
        by_horizon=by_horizon,
        gap=gap_table(table, learned, flags),
        levels=levels,
        methods=methods,
        learned=learned,
        flags=flags,
        fallbacks=fallback_counts(forecasts),
        absurd_wql_ratio=absurd_wql_ratio,
    )
