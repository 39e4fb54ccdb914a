"""Training windows: build them for many origins, persist them, read them back.

:func:`build_windows` reads the feature set as known on each origin (``features_as_of``), turns
it into model inputs (``samples_from_features``) and adds the targets as known after the latest
export (``attach_targets``). The same code builds the nightly forecast's inputs, so what the model
is trained on and what it is served cannot drift apart.

On disk a :class:`~inventory_pipeline.windows.Windows` is two files: ``<name>.npz`` (the arrays,
texts as indices into a list of distinct documents) and ``<name>.json`` (SKUs, origins, distinct
texts, the model config the layout belongs to).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inventory_pipeline.features.as_of import features_as_of, read_exports_for_range
from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.features.sources import KnownExports, Scope, connect, register_sources
from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.data import ARRAY_FIELDS, ForecastSamples
from inventory_pipeline.training.config import DEFAULT_TRAINING_CONFIG, TrainingConfig
from inventory_pipeline.training.plan import TrainingPlan
from inventory_pipeline.warehouse import Warehouse, memory_connection, sql_literal_path
from inventory_pipeline.windows import (
    Windows,
    attach_targets,
    concat,
    samples_from_features,
    select,
)

OriginCallback = Callable[[int, int, date], None]  # (i 1-based, n, origin) after each origin
WINDOWS_FORMAT = "inventory_pipeline.training_windows"
WINDOWS_FORMAT_VERSION = 1
SPLITS: tuple[str, ...] = ("train", "validation", "backtest")
LAYOUT_FIELDS: tuple[str, ...] = (  # ModelConfig fields that fix the window arrays
    "history_days",
    "horizon_days",
    "history_covariates",
    "future_covariates",
    "static_features",
)


DEMAND_COLUMNS: tuple[str, ...] = ("sku", "date", "units", "stockout", "on_sale")


def read_demand(warehouse: Warehouse, extra_columns: Sequence[str] = ()) -> pl.DataFrame:
    """The daily_sku_demand table (as known after the latest export): the targets' source.

    ``extra_columns``: more columns of the table to read (e.g. ``on_hand``, ``on_order``).
    """
    folder = warehouse.table_dir("features/daily_sku_demand")
    if not any(folder.glob("*/data.parquet")):
        raise FileNotFoundError(
            f"no daily_sku_demand partitions under {folder}: build the feature tables first "
            "(inventory_pipeline.features.build.build_all, or the daily_data_job)"
        )
    glob = sql_literal_path(folder / "*" / "data.parquet")
    columns = ", ".join(f'"{c}"' for c in (*DEMAND_COLUMNS, *extra_columns))
    con = memory_connection()
    try:
        return con.sql(
            f"SELECT {columns} FROM read_parquet({glob}, hive_partitioning = true) "
            "ORDER BY sku, date"
        ).pl()
    finally:
        con.close()


OriginSample = Callable[[date, list[str]], np.ndarray]  # (origin, sorted SKUs) -> kept rows


def train_sample(max_windows: int, origins: int, seed: int) -> OriginSample:
    """At most ``max_windows // origins`` SKUs per training origin, drawn with a generator seeded
    by ``seed`` and the origin (same seed, same windows; an origin below the cap keeps all).

    Different origins keep different SKUs, so over the run every SKU is seen; an epoch then costs
    the same for 10,000 SKUs as for the cap's worth.
    """
    per_origin = max(1, max_windows // max(1, origins))

    def rows(origin: date, skus: list[str]) -> np.ndarray:
        if len(skus) <= per_origin:
            return np.arange(len(skus))
        rng = np.random.default_rng([seed, origin.toordinal()])
        return np.sort(rng.choice(len(skus), size=per_origin, replace=False))

    return rows


def sku_sample(skus: Sequence[str], max_skus: int, seed: int) -> list[str]:
    """The ``max_skus`` SKUs of ``skus`` with the lowest seeded hash, in their given order (all
    of them when there are no more than ``max_skus``).

    A hash rather than a draw: a SKU's rank does not depend on the others, so consecutive
    backtest origins (whose catalogs differ by a few launches) score nearly the same SKUs, and
    the backtest inputs pick the same sample as the windows without being handed it.
    """
    if len(skus) <= max_skus:
        return list(skus)
    salt = seed.to_bytes(8, "little", signed=True)

    def rank(sku: str) -> bytes:
        return hashlib.blake2b(sku.encode("utf-8"), digest_size=8, salt=salt).digest()

    kept = set(sorted(skus, key=rank)[:max_skus])
    return [s for s in skus if s in kept]


def backtest_sample(max_skus: int, seed: int) -> OriginSample:
    """:func:`sku_sample` as an :data:`OriginSample` (row indices of the kept SKUs)."""

    def rows(origin: date, skus: list[str]) -> np.ndarray:
        kept = set(sku_sample(skus, max_skus, seed))
        return np.array([i for i, s in enumerate(skus) if s in kept], dtype=np.int64)

    return rows


def catalog_as_of(warehouse: Warehouse, day: date) -> list[str]:
    """The sorted SKUs of the catalog as known on ``day`` (the SKUs ``features_as_of`` reads by
    default), from the products exports alone."""
    con = connect(None)
    try:
        register_sources(con, warehouse, Scope(known_on=day), tables=("products",))
        rows = con.sql("SELECT sku FROM sku_scope ORDER BY sku").fetchall()
    finally:
        con.close()
    return [str(r[0]) for r in rows]


def build_windows(
    warehouse: Warehouse,
    origins: Sequence[date],
    model_config: ModelConfig,
    demand: pl.DataFrame,
    latest: date,
    on_origin: OriginCallback | None = None,
    feature_config: FeatureConfig | None = None,
    sample: OriginSample | None = None,
    exports: KnownExports | None = None,
) -> Windows:
    """Samples with targets for every catalog SKU at every origin, stacked in origin order.

    Args:
        warehouse: the warehouse holding raw exports and feature tables.
        origins: forecast origins (e.g. ``plan.train_origins``).
        model_config: fixes the window layout (L, H, channels).
        demand: :func:`read_demand`; targets after ``latest`` are marked censored.
        latest: the latest export day.
        on_origin: progress, called as ``(i, n, origin)`` after each origin.
        feature_config: the shop's feature settings (its events); default: the defaults.
        sample: keeps these rows of each origin's catalog (:func:`train_sample`,
            :func:`backtest_sample`); default: every SKU. Only the kept SKUs' features are read
            (a SKU's features do not depend on the others read with it; category levels are
            catalog-wide either way), so a sampled origin costs what its sample costs.
        exports: the small exports read up to the last origin or later
            (:func:`read_exports_for_range`); default: read here.
    """
    if not origins:
        raise ValueError("build_windows needs at least one origin")
    parts = []
    # The small exports (products, promotions, reviews) read once for every origin: each origin's
    # features take their rows from memory (the same features as reading the files each time).
    if exports is None:
        exports = read_exports_for_range(warehouse, max(origins), feature_config or FeatureConfig())
    for i, origin in enumerate(origins, start=1):
        skus = None
        if sample is not None:
            catalog = catalog_as_of(warehouse, origin)
            rows = sample(origin, catalog)
            skus = [catalog[i] for i in rows] if len(rows) < len(catalog) else None
        features = features_as_of(
            warehouse,
            origin,
            skus=skus,
            history_days=model_config.history_days,
            horizon=model_config.horizon_days,
            exports=exports,
            **({"config": feature_config} if feature_config else {}),
        )
        windows = samples_from_features(features, model_config)
        del features
        parts.append(attach_targets(windows, demand, model_config.horizon_days, latest))
        if on_origin is not None:
            on_origin(i, len(origins), origin)
    return concat(parts)


def at_origins(windows: Windows, origins: Sequence[date]) -> Windows:
    """The rows whose origin is one of ``origins``."""
    wanted = set(origins)
    return select(windows, np.array([o in wanted for o in windows.origins], dtype=bool))


@dataclass
class WindowSplits:
    """The windows of one plan: fit on ``train``, early-stop on ``validation``, score
    ``backtest``."""

    train: Windows
    validation: Windows | None
    backtest: Windows

    def save(self, folder: str | Path, model_config: ModelConfig) -> Path:
        """``<folder>/{train,validation,backtest}.{npz,json}``; returns the folder."""
        folder = Path(folder)
        for name in SPLITS:
            windows = getattr(self, name)
            if windows is not None:
                save_windows(windows, folder / name, model_config)
        return folder

    @classmethod
    def load(cls, folder: str | Path, model_config: ModelConfig | None = None) -> WindowSplits:
        """Inverse of :meth:`save`; ``model_config`` (optional) must match the saved layout."""
        folder = Path(folder)
        validation = folder / "validation.npz"
        return cls(
            train=load_windows(folder / "train", model_config),
            validation=load_windows(folder / "validation", model_config)
            if validation.exists()
            else None,
            backtest=load_windows(folder / "backtest", model_config),
        )

    def summary(self) -> dict[str, int]:
        """Sample counts per split (asset metadata)."""
        return {
            name: 0 if getattr(self, name) is None else len(getattr(self, name)) for name in SPLITS
        }


def build_splits(
    warehouse: Warehouse,
    plan: TrainingPlan,
    model_config: ModelConfig,
    demand: pl.DataFrame,
    on_origin: OriginCallback | None = None,
    feature_config: FeatureConfig | None = None,
    cfg: TrainingConfig = DEFAULT_TRAINING_CONFIG,
) -> WindowSplits:
    """Windows for every origin of ``plan``, split into its three blocks.

    Above ``cfg.max_train_windows`` the training origins keep a seeded SKU sample each
    (:func:`train_sample`); above ``cfg.max_backtest_skus`` the backtest origins keep a seeded
    SKU sample (:func:`backtest_sample`, the one :func:`backtest_inputs` reads too). Validation
    keeps every SKU. Each block is built on its own, so only kept windows are ever held.
    """
    n = len(plan.origins)
    done = 0
    exports = (  # read once for the three blocks
        read_exports_for_range(warehouse, max(plan.origins), feature_config or FeatureConfig())
        if plan.origins
        else None
    )

    def progress(offset: int) -> OriginCallback | None:
        if on_origin is None:
            return None
        callback = on_origin
        return lambda i, _n, origin: callback(offset + i, n, origin)

    def block(
        origins: tuple[date, ...], sample: OriginSample | None, latest: date | None = None
    ) -> Windows | None:
        nonlocal done
        if not origins:
            return None
        windows = build_windows(
            warehouse, origins, model_config, demand, latest or plan.latest_export,
            progress(done), feature_config, sample, exports,
        )  # fmt: skip
        done += len(origins)
        return windows

    train = block(
        plan.train_origins,
        train_sample(cfg.max_train_windows, len(plan.train_origins), cfg.sample_seed),
        plan.train_targets_until,  # the days the validation block scores stay unseen
    )
    validation = block(plan.validation_origins, None)
    backtest = block(plan.backtest_origins, backtest_sample(cfg.max_backtest_skus, cfg.sample_seed))
    if train is None or backtest is None:
        raise ValueError(
            f"the plan has {len(plan.train_origins)} training and {len(plan.backtest_origins)} "
            "backtest origins; both blocks need at least one (a longer data window or a "
            "shorter TrainingConfig.backtest_days)"
        )
    return WindowSplits(train=train, validation=validation, backtest=backtest)


def _atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_windows(
    windows: Windows, path: str | Path, model_config: ModelConfig | None = None
) -> tuple[Path, Path]:
    """Write ``<path>.npz`` and ``<path>.json`` (each atomically); returns both paths.

    ``model_config`` is stored so that loading can refuse a layout the model does not expect.
    """
    base = Path(path).with_suffix("")
    distinct: dict[str, int] = {}
    text_index = np.array(
        [distinct.setdefault(t, len(distinct)) for t in windows.samples.texts], dtype=np.int32
    )
    arrays = {
        name: getattr(windows.samples, name)
        for name in ARRAY_FIELDS
        if getattr(windows.samples, name) is not None
    }
    arrays["text_index"] = text_index
    meta = {
        "format": WINDOWS_FORMAT,
        "format_version": WINDOWS_FORMAT_VERSION,
        "count": len(windows),
        "skus": windows.skus,
        "origins": [o.isoformat() for o in windows.origins],
        "texts": list(distinct),
        "model_config": None if model_config is None else model_config.to_dict(),
    }
    npz, js = base.with_suffix(".npz"), base.with_suffix(".json")
    _atomic_write(npz, lambda out: np.savez(out, **arrays))
    _atomic_write(js, lambda out: out.write(json.dumps(meta).encode("utf-8")))
    return npz, js


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def load_windows(path: str | Path, model_config: ModelConfig | None = None) -> Windows:
    """Read what :func:`save_windows` wrote; with ``model_config``, check the layout fits it."""
    base = Path(path).with_suffix("")
    npz, js = base.with_suffix(".npz"), base.with_suffix(".json")
    for file in (npz, js):
        if not file.is_file():
            raise FileNotFoundError(f"{file} is missing; expected files written by save_windows")
    meta = json.loads(js.read_text(encoding="utf-8"))
    if meta.get("format") != WINDOWS_FORMAT or meta.get("format_version") != WINDOWS_FORMAT_VERSION:
        raise ValueError(
            f"{js} holds {meta.get('format')!r} v{meta.get('format_version')}; this code reads "
            f"{WINDOWS_FORMAT!r} v{WINDOWS_FORMAT_VERSION}: rebuild the windows"
        )
    with np.load(npz, allow_pickle=False) as data:
        arrays = {name: data.get(name) for name in ARRAY_FIELDS}
        text_index = data["text_index"]
    texts = meta["texts"]
    samples = ForecastSamples(texts=[texts[i] for i in text_index], **arrays)
    windows = Windows(
        samples=samples,
        skus=list(meta["skus"]),
        origins=[date.fromisoformat(o) for o in meta["origins"]],
    )
    if model_config is not None:
        saved = meta.get("model_config")
        if saved is not None:
            for name in LAYOUT_FIELDS:
                if _as_list(saved[name]) != _as_list(getattr(model_config, name)):
                    raise ValueError(
                        f"windows at {base} were built with {name}={saved[name]}, the model config "
                        f"has {getattr(model_config, name)}; rebuild them with build_windows"
                    )
        try:
            samples.validate(model_config)
        except ValueError as err:
            raise ValueError(
                f"windows at {base} do not fit the model config ({err}); rebuild them with "
                "build_windows for this config"
            ) from err
    return windows
