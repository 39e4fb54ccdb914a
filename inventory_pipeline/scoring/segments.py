"""Backtest cells (one per SKU, origin and target day) with their actuals and segments.

Actuals: the true demand from the ground truth when there is one (a generated shop), otherwise
the observed units with stockout days left out (sales on those days understate demand). Only days
on which the SKU is on sale are scored.

Segments (a cell can be in several):
    all           every scored cell
    cold_start    target day within ``cold_start_days`` of the SKU's launch, including SKUs that
                  launch inside the horizon (launch dates from the catalog as finally exported)
    promo         a promotion was in force on the target day (as realised, from promo_calendar)
    promo_planned the subset of those announced by the origin: the promotions a forecaster could
                  know about (on the sample shop about half are announced later)
    incident      target day within ``incident_window_days`` from the start of a quality incident
                  (ground truth only: a real shop does not know its incidents)
    incident_early  the subset of those whose origin lies within ``incident_early_days`` of the
                  incident's start: forecast while the first reviews of a bad batch may tell what
                  the sales history does not show yet (the early warning)
    fast_mover    among the top ``fast_mover_share`` SKUs by mean daily units over the last
                  ``activity_days`` usable days as known on the origin
    intermittent  sold on at most ``intermittent_max_selling_share`` of those days
The mover classes use only what was known on the origin, so they are the classes a planner would
have assigned at the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa

from inventory_pipeline.features.sources import Scope, connect, register_sources
from inventory_pipeline.scoring.truth import Truth
from inventory_pipeline.warehouse import Warehouse, memory_connection, sql_literal_path
from inventory_pipeline.windows import Windows

SEGMENTS: tuple[str, ...] = (
    "all", "cold_start", "promo", "promo_planned", "incident", "incident_early", "fast_mover",
    "intermittent",
)  # fmt: skip
CELL_KEYS: tuple[str, ...] = ("origin", "sku", "horizon")
ACTUALS_TRUE = "true_demand"  # scored against the ground truth's demand before censoring
ACTUALS_OBSERVED = "observed_units"  # scored against sales, stockout days excluded


@dataclass(frozen=True)
class SegmentConfig:
    """How backtest cells are assigned to segments (a cell is one SKU, origin and target day)."""

    cold_start_days: int = 56  # a target day within this many days of the launch is cold start
    incident_window_days: int = 365  # days from a quality incident's start counted "after it"
    # (the demand loss it causes is lasting, so the window is long)
    incident_early_days: int = 28  # origins within this many days of an incident's start
    activity_days: int = 56  # history days (as known on the origin) that define mover classes
    min_activity_days: int = 28  # fewer usable history days: neither fast mover nor intermittent
    fast_mover_share: float = 0.1  # top share of SKUs by mean daily units at each origin
    intermittent_max_selling_share: float = 0.3  # sells on at most this share of usable days


@dataclass(frozen=True)
class Cells:
    """The scored grid of a backtest."""

    frame: pl.DataFrame  # origin, sku, horizon, target_date, actual, scored, <segment> bools
    actuals: str  # ACTUALS_TRUE or ACTUALS_OBSERVED
    segments: tuple[str, ...]  # the segment columns present, in report order


def read_launches(warehouse: Warehouse) -> pl.DataFrame:
    """(sku, launched_at) from the catalog as known after the latest export."""
    con = connect(None)
    try:
        register_sources(con, warehouse, Scope(), tables=("products",))
        return con.sql("SELECT sku, launched_at FROM products_current ORDER BY sku").pl()
    finally:
        con.close()


def read_promotion_days(warehouse: Warehouse, first: date, last: date) -> pl.DataFrame:
    """(sku, date) with a promotion in force, as realised, for dates ``first .. last``."""
    folder = warehouse.table_dir("features/promo_calendar")
    if not any(folder.glob("*/data.parquet")):
        return pl.DataFrame(schema={"sku": pl.String, "date": pl.Date})
    glob = sql_literal_path(folder / "*" / "data.parquet")
    con = memory_connection()
    try:
        return con.sql(
            f"SELECT DISTINCT sku, date FROM read_parquet({glob}, hive_partitioning = true) "
            "WHERE known_on = date AND date BETWEEN $first AND $last ORDER BY sku, date",
            params={"first": first, "last": last},
        ).pl()
    finally:
        con.close()


def read_planned_promotions(
    warehouse: Warehouse, origins: Sequence[date], horizon: int
) -> pl.DataFrame:
    """(origin, sku, date): promotions for days origin+1 .. origin+H as announced by the origin."""
    folder = warehouse.table_dir("features/promo_calendar")
    empty = pl.DataFrame(schema={"origin": pl.Date, "sku": pl.String, "date": pl.Date})
    if not origins or not any(folder.glob("*/data.parquet")):
        return empty
    glob = sql_literal_path(folder / "*" / "data.parquet")
    con = memory_connection()
    try:
        con.from_arrow(
            pa.table({"origin": pa.array(sorted(set(origins)), pa.date32())})
        ).create_view("origins")
        return con.sql(
            f"SELECT DISTINCT p.known_on AS origin, p.sku, p.date "
            f"FROM read_parquet({glob}, hive_partitioning = true) p JOIN origins o "
            "ON p.known_on = o.origin "
            "WHERE p.date > p.known_on AND p.date <= p.known_on + $horizon::INTEGER "
            "ORDER BY origin, sku, date",
            params={"horizon": horizon},
        ).pl()
    finally:
        con.close()


def activity_classes(history: pl.DataFrame, cfg: SegmentConfig) -> pl.DataFrame:
    """(origin, sku, fast_mover, intermittent) from the history as known on each origin."""
    recent = history.filter(pl.col("date") > pl.col("origin") - pl.duration(days=cfg.activity_days))
    stats = (
        recent.group_by("origin", "sku")
        .agg(
            pl.col("observed").sum().alias("usable_days"),
            (pl.col("units") * pl.col("observed")).sum().alias("usable_units"),
            ((pl.col("units") > 0) & pl.col("observed")).sum().alias("selling_days"),
        )
        .with_columns(eligible=pl.col("usable_days") >= cfg.min_activity_days)
        .with_columns(
            mean_units=pl.col("usable_units") / pl.col("usable_days").clip(lower_bound=1),
            selling_share=pl.col("selling_days") / pl.col("usable_days").clip(lower_bound=1),
        )
    )
    eligible = stats.filter(pl.col("eligible"))
    counts = eligible.group_by("origin").agg(pl.len().alias("n_eligible"))
    ranked = (
        eligible.join(counts, on="origin")
        .with_columns(
            rank=pl.col("mean_units").rank("ordinal", descending=True).over("origin"),
            cutoff=(pl.col("n_eligible") * cfg.fast_mover_share - 1e-9).ceil().clip(1),
        )
        .select(
            "origin",
            "sku",
            (pl.col("rank") <= pl.col("cutoff")).alias("fast_mover"),
            (pl.col("selling_share") <= cfg.intermittent_max_selling_share).alias("intermittent"),
        )
    )
    return ranked


def evaluation_cells(
    windows: Windows,
    horizon: int,
    latest: date,
    demand: pl.DataFrame,
    history: pl.DataFrame,
    launches: pl.DataFrame,
    promotion_days: pl.DataFrame,
    truth: Truth | None,
    cfg: SegmentConfig,
    planned_promotions: pl.DataFrame | None = None,
) -> Cells:
    """One row per window row and horizon day, with the actual, scored flag and segments.

    ``planned_promotions`` (:func:`read_planned_promotions`) adds the ``promo_planned`` segment.
    """
    n = len(windows)
    origins = np.repeat(np.asarray(windows.origins, dtype="datetime64[D]"), horizon)
    horizons = np.tile(np.arange(1, horizon + 1, dtype=np.int32), n)
    frame = pl.DataFrame(
        {
            "origin": origins,
            "sku": np.repeat(np.asarray(windows.skus, dtype=object), horizon).tolist(),
            "horizon": horizons,
        }
    ).with_columns(
        pl.col("origin").cast(pl.Date),
        target_date=(pl.col("origin").cast(pl.Date) + pl.duration(days=pl.col("horizon"))).cast(
            pl.Date
        ),
    )
    if frame.select(CELL_KEYS).is_duplicated().any():
        raise ValueError("windows hold the same (origin, sku) twice; build each origin once")

    if truth is not None:
        actual = truth.daily.select(
            "sku", pl.col("date").alias("target_date"), pl.col("true_demand").alias("actual")
        )
        frame = frame.join(actual, on=["sku", "target_date"], how="left", maintain_order="left")
        scored = pl.col("actual").is_not_null()
        actuals = ACTUALS_TRUE
    else:
        observed = demand.select(
            "sku",
            pl.col("date").alias("target_date"),
            pl.col("units").alias("actual"),
            (pl.col("on_sale") & ~pl.col("stockout")).alias("usable"),
        )
        frame = frame.join(observed, on=["sku", "target_date"], how="left", maintain_order="left")
        scored = pl.col("usable").fill_null(False)
        actuals = ACTUALS_OBSERVED
    frame = frame.with_columns(
        scored=scored & (pl.col("target_date") <= latest),
        actual=pl.col("actual").fill_null(0).cast(pl.Float64),
    ).drop("usable", strict=False)

    segments = ["all"]
    frame = frame.with_columns(pl.lit(True).alias("all"))

    since_launch = (pl.col("target_date") - pl.col("launched_at")).dt.total_days()
    frame = (
        frame.join(
            launches.select("sku", "launched_at"), on="sku", how="left", maintain_order="left"
        )
        .with_columns(
            cold_start=((since_launch >= 0) & (since_launch < cfg.cold_start_days)).fill_null(False)
        )
        .drop("launched_at")
    )
    segments.append("cold_start")

    promo = promotion_days.select("sku", pl.col("date").alias("target_date")).unique()
    frame = frame.join(
        promo.with_columns(promo=pl.lit(True)), on=["sku", "target_date"], how="left",
        maintain_order="left",
    ).with_columns(pl.col("promo").fill_null(False))  # fmt: skip
    segments.append("promo")

    if planned_promotions is not None:
        planned = planned_promotions.select(
            "origin", "sku", pl.col("date").alias("target_date"), planned=pl.lit(True)
        ).unique()
        frame = frame.join(
            planned, on=["origin", "sku", "target_date"], how="left", maintain_order="left"
        ).with_columns(promo_planned=pl.col("promo") & pl.col("planned").fill_null(False))
        frame = frame.drop("planned")
        segments.append("promo_planned")

    if truth is not None:
        since_incident = (pl.col("target_date") - pl.col("incident_start")).dt.total_days()
        origin_since = (pl.col("origin") - pl.col("incident_start")).dt.total_days()
        frame = (
            frame.join(
                truth.products.select("sku", "incident_start"),
                on="sku",
                how="left",
                maintain_order="left",
            )
            .with_columns(
                incident=(
                    (since_incident >= 0) & (since_incident < cfg.incident_window_days)
                ).fill_null(False)
            )
            .with_columns(
                incident_early=(
                    pl.col("incident")
                    & (origin_since >= 0)
                    & (origin_since < cfg.incident_early_days)
                ).fill_null(False)
            )
            .drop("incident_start")
        )
        segments += ["incident", "incident_early"]

    classes = activity_classes(history, cfg)
    frame = frame.join(
        classes, on=["origin", "sku"], how="left", maintain_order="left"
    ).with_columns(pl.col("fast_mover", "intermittent").fill_null(False))
    segments += ["fast_mover", "intermittent"]

    ordered = ["origin", "sku", "horizon", "target_date", "actual", "scored", *segments]
    return Cells(frame=frame.select(ordered), actuals=actuals, segments=tuple(segments))
