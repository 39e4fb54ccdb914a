"""Entry point: generate a sample shop's landing zone and its ground truth.

SKUs are simulated in chunks over the whole period (memory ~ chunk size x days); each chunk then
writes its own file(s) into every day folder and appends its rows to the ground-truth Parquet
files, so peak memory does not grow with the number of SKUs.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np
from tqdm import tqdm

from inventory_pipeline.sampleshop.catalog import (
    ChunkCatalog,
    catalog_rows_for_day,
    make_attribute_effects,
    make_brands,
)
from inventory_pipeline.sampleshop.chunk import (
    STREAM_FAULTS,
    STREAM_LAYOUT,
    STREAM_ORDERS,
    STREAM_REVIEWS,
    CalendarEffects,
    ChunkSimulation,
    chunk_rng,
    simulate_chunk,
)
from inventory_pipeline.sampleshop.config import TABLES, ShopConfig
from inventory_pipeline.sampleshop.events import (
    event_lift_matrix,
    event_names_by_day,
    season_matrix,
    weekly_matrix,
)
from inventory_pipeline.sampleshop.faults import FAULT_KINDS, FaultMaker, FaultRow, garbage_bytes
from inventory_pipeline.sampleshop.orders import LineBatch, make_day_orders
from inventory_pipeline.sampleshop.outbox import Outbox
from inventory_pipeline.sampleshop.profiles import ShopProfile, get_profile
from inventory_pipeline.sampleshop.rand import pick
from inventory_pipeline.sampleshop.reviews import ReviewBatch, ReviewMaker
from inventory_pipeline.sampleshop.schema import COLUMNS
from inventory_pipeline.sampleshop.settings_file import SETTINGS_FILE, event_entry, write_settings
from inventory_pipeline.sampleshop.truth import (
    FAULTS_SCHEMA,
    daily_tables,
    faults_table,
    products_table,
)
from inventory_pipeline.sampleshop.writer import (
    FileLayout,
    Rows,
    TruthWriter,
    choose_layout,
    write_file,
)

# global random streams: np.random.default_rng([seed, GLOBAL_STREAMS, stream])
GLOBAL_STREAMS = 0
STREAM_BRANDS, STREAM_BAD_FILES, STREAM_FIXUP, STREAM_ATTRIBUTES = 1, 2, 3, 4
GARBAGE_FILE_BYTES = 600
TRUTH_FILES = ("daily.parquet", "products.parquet", "faults.parquet", "summary.json")

FaultRecord = tuple[str, date, str, int | None, str, str | None]


@dataclass
class ShopSummary:
    """What a run wrote: rows and files per table, faults per rule, and headline truth counts."""

    skus: int
    days: int
    start: date
    seed: int
    profile: str = "default"
    rows: dict[str, int] = field(default_factory=dict)  # data rows per table, bad rows included
    files: dict[str, int] = field(default_factory=dict)  # files per table, bad files included
    faults: dict[str, int] = field(default_factory=dict)  # injected faults per rule
    faults_by_table: dict[str, dict[str, int]] = field(default_factory=dict)
    order_lines: int = 0  # distinct valid (order_id, line_no)
    orders: int = 0
    units_sold: int = 0  # truth sales: final placed units
    true_demand: int = 0
    sku_days: int = 0  # truth rows (SKU x day on sale)
    stockout_days: int = 0
    promotions: int = 0  # final promotion plans
    reviews: int = 0  # distinct reviews
    new_skus: int = 0  # launched during the period
    discontinued_skus: int = 0
    incident_skus: int = 0
    segments: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        out = asdict(self)
        out["start"] = self.start.isoformat()
        return out


class _Run:
    """State of one generation run: output roots, counters and the fault records of a chunk."""

    def __init__(
        self, out: Path, truth_out: Path, config: ShopConfig, summary: ShopSummary
    ) -> None:
        self.out = out
        self.config = config
        self.summary = summary
        self.truth = TruthWriter(truth_out)
        self.rows: Counter[str] = Counter()
        self.files: Counter[str] = Counter()
        self.fault_counts: Counter[tuple[str, str]] = Counter()
        self.kind_counts: Counter[int] = Counter()
        self.segments: Counter[str] = Counter()
        self.fault_records: list[FaultRecord] = []

    def record_faults(
        self,
        table: str,
        export_date: date,
        path: str,
        faults: list[FaultRow],
        records: list[tuple[int, str, str]],
    ) -> None:
        for f, (row_number, rule, key) in zip(faults, records, strict=True):
            self.fault_records.append((table, export_date, path, row_number, rule, key))
            self.fault_counts[(table, rule)] += 1
            self.kind_counts[f.kind_index] += 1

    def flush_faults(self) -> None:
        if self.fault_records:
            self.truth.append("faults", faults_table(self.fault_records))
            self.fault_records = []

    def write_day(
        self,
        rows: Rows,
        day: int,
        day_date: date,
        chunk: int,
        faults: FaultMaker,
        layout_rng: np.random.Generator,
        fault_rng: np.random.Generator,
    ) -> None:
        """Write one table's rows of one export day: one or two files, with bad rows mixed in."""
        n = len(rows)
        if n == 0:
            return
        parts = [(0, n)]
        if n >= 2 and layout_rng.random() < self.config.split_share:
            cut = int(layout_rng.integers(1, n))
            parts = [(0, cut), (cut, n)]
        for k, (lo, hi) in enumerate(parts):
            layout = choose_layout(rows.table, self.config, layout_rng)
            bad = faults.for_file(rows.table, hi - lo, layout.parquet, day, fault_rng)
            ext = "parquet" if layout.parquet else "csv"
            rel = f"{rows.table}/date={day_date.isoformat()}/part-{chunk:04d}-{k}.{ext}"
            written = write_file(self.out, rel, rows.slice(lo, hi), bad, layout, layout_rng)
            self.rows[rows.table] += written.rows
            self.files[rows.table] += 1
            self.record_faults(rows.table, day_date, rel, bad, written.faults)


def _order_rows(batches: list[LineBatch], skus: np.ndarray) -> Rows:
    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(b, name) for b in batches])

    return Rows(
        "orders",
        {
            "order_id": cat("order_id"),
            "line_no": cat("line_no"),
            "sku": skus[cat("sku_idx")],
            "quantity": cat("quantity"),
            "unit_price": cat("unit_price"),
            "ordered_at": cat("ordered_at_ms"),
            "status": cat("status"),
            "customer_id": cat("customer_id"),
        },
        {"ordered_at": cat("ordered_at")},
    )


def _review_rows(batches: list[ReviewBatch], skus: np.ndarray) -> Rows:
    return Rows(
        "reviews",
        {
            "review_id": [i for b in batches for i in b.review_id],
            "sku": skus[np.concatenate([b.sku_idx for b in batches])],
            "rating": np.concatenate([b.rating for b in batches]),
            "title": [t for b in batches for t in b.title],
            "body": [t for b in batches for t in b.body],
            "created_at": np.concatenate([b.created_at_ms for b in batches]),
        },
        {"created_at": np.concatenate([b.created_at for b in batches])},
    )


def _inventory_rows(sim: ChunkSimulation, days_: list[int], start: date, skus: np.ndarray) -> Rows:
    cols: dict[str, list[np.ndarray]] = {
        "snapshot_date": [],
        "sku": [],
        "on_hand": [],
        "on_order": [],
    }
    for d in days_:
        idx = np.flatnonzero(sim.demand.on_sale[:, d])
        cols["snapshot_date"].append(np.full(len(idx), start + timedelta(days=d), dtype=object))
        cols["sku"].append(skus[idx])
        cols["on_hand"].append(sim.stock.on_hand[idx, d])
        cols["on_order"].append(sim.stock.on_order[idx, d])
    return Rows("inventory", {k: np.concatenate(v) for k, v in cols.items()})


def _write_chunk(
    run: _Run,
    sim: ChunkSimulation,
    seed: int,
    skus_total: int,
    start: date,
    days: int,
    event_by_day: list[str | None],
    bar: tqdm,
) -> None:
    """Write every day folder's files of one chunk, then its ground truth."""
    config, cat, dm = run.config, sim.catalog, sim.demand
    names = [c.name for c in config.categories]
    skus = np.array(cat.sku, dtype=object)
    last = days - 1
    orders_rng = chunk_rng(seed, sim.index, STREAM_ORDERS)
    reviews_rng = chunk_rng(seed, sim.index, STREAM_REVIEWS)
    layout_rng = chunk_rng(seed, sim.index, STREAM_LAYOUT)
    fault_rng = chunk_rng(seed, sim.index, STREAM_FAULTS)
    faults = FaultMaker(config, cat, sim.index, start, names)
    reviewer = ReviewMaker(config, cat, sim.index, last)
    order_box: Outbox[LineBatch] = Outbox()
    review_box: Outbox[ReviewBatch] = Outbox()
    late_inventory: set[int] = set()
    sales = np.zeros_like(dm.demand)
    epoch = np.datetime64(start, "ms")
    paid = np.round(dm.list_price * (1.0 - dm.discount_pct / 100.0), 2)

    for d in range(days):
        day_date = start + timedelta(days=d)
        emit = partial(
            run.write_day,
            day=d,
            day_date=day_date,
            chunk=sim.index,
            faults=faults,
            layout_rng=layout_rng,
            fault_rng=fault_rng,
        )

        products = catalog_rows_for_day(cat, d, start, config.full_catalog_every_days, names)
        if products["sku"]:
            emit(Rows("products", products))
        promos = sim.plan.deliveries_on(d)
        if promos["promo_id"]:
            emit(Rows("promotions", promos))

        day = make_day_orders(
            config,
            sim.index,
            skus_total,
            d,
            day_date,
            sim.stock.sold[:, d],
            paid[:, d],
            last,
            order_box,
            orders_rng,
        )
        sales[:, d] = day.sales
        run.summary.order_lines += day.lines
        run.summary.orders += day.orders
        run.summary.reviews += reviewer.make(
            d, epoch, day.review_sku, day.review_ordered_ms, review_box, reviews_rng
        )
        batches = order_box.take(d)
        if batches:
            emit(_order_rows(batches, skus))
        rbatches = review_box.take(d)
        if rbatches:
            emit(_review_rows(rbatches, skus))

        inv_days = sorted(late_inventory)
        late_inventory.clear()
        if d < last and layout_rng.random() < config.inventory_late_share:
            late_inventory.add(d)
        else:
            inv_days.append(d)
        if inv_days:
            emit(_inventory_rows(sim, inv_days, start, skus))
        bar.update(1)

    for daily in daily_tables(sim, sales, start, event_by_day, config.truth_skus_per_row_group):
        run.truth.append("daily", daily)
        run.summary.sku_days += daily.num_rows
    products_truth = products_table(config, sim, start, days)
    run.truth.append("products", products_truth)
    run.segments.update(products_truth.column("segment").to_pylist())
    run.flush_faults()
    s = run.summary
    s.units_sold += int(sales.sum())
    s.true_demand += int(dm.demand[dm.on_sale].sum())
    s.stockout_days += int((sim.stock.on_hand[dm.on_sale] == 0).sum())
    s.promotions += len(sim.plan.sku_idx)
    s.new_skus += int((cat.launch_day > 0).sum())
    s.discontinued_skus += int((cat.disc_day < days).sum())
    s.incident_skus += int((cat.incident_day >= 0).sum())


def _bad_files(run: _Run, seed: int, start: date, days: int) -> None:
    """Whole-file faults: empty files and files that are not CSV/Parquet at all."""
    rng = np.random.default_rng([seed, GLOBAL_STREAMS, STREAM_BAD_FILES])
    plan = [("empty_file", k) for k in range(run.config.empty_files)]
    plan += [("unreadable_file", k) for k in range(run.config.unreadable_files)]
    for rule, k in plan:
        table = TABLES[int(rng.integers(0, len(TABLES)))]
        day_date = start + timedelta(days=int(rng.integers(0, days)))
        ext = "parquet" if k % 2 else "csv"
        rel = f"{table}/date={day_date.isoformat()}/export-retry-{rule.split('_')[0]}-{k}.{ext}"
        path = run.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        content = b"" if rule == "empty_file" else garbage_bytes(rng, GARBAGE_FILE_BYTES)
        if rule == "unreadable_file" and ext == "parquet":
            content = b"PAR1" + content  # a Parquet magic, but no footer
        path.write_bytes(content)
        run.files[table] += 1
        run.fault_records.append((table, day_date, rel, None, rule, None))
        run.fault_counts[(table, rule)] += 1


def _top_up_faults(
    run: _Run, first: ChunkCatalog, seed: int, n_chunks: int, start: date, days: int
) -> None:
    """Guarantee every bad-row kind appears (tiny shops draw too few): one extra CSV per table."""
    config = run.config
    rng = np.random.default_rng([seed, GLOBAL_STREAMS, STREAM_FIXUP])
    last = days - 1
    maker = FaultMaker(config, first, n_chunks, start, [c.name for c in config.categories])
    known = np.flatnonzero(first.catalog_day <= last)
    for table in TABLES:
        bad: list[FaultRow] = []
        for k, kind in enumerate(FAULT_KINDS):
            if kind.table != table:
                continue
            want = config.min_faults_per_kind
            if kind.rule == "bad_encoding":
                want = max(want, config.bad_encoding_rows)
            for _ in range(max(0, want - run.kind_counts[k])):
                bad.append(maker.make(table, k, last, int(pick(rng, known)), rng))
        if not bad:
            continue
        day_date = start + timedelta(days=last)
        rel = f"{table}/date={day_date.isoformat()}/part-{n_chunks:04d}-extra.csv"
        empty = Rows(table, {c: [] for c in _columns(table)})
        layout = FileLayout(parquet=False, columns=_columns(table), extra=None)
        written = write_file(run.out, rel, empty, bad, layout, rng)
        run.rows[table] += written.rows
        run.files[table] += 1
        run.record_faults(table, day_date, rel, bad, written.faults)


def _columns(table: str) -> list[str]:
    return list(COLUMNS[table])


def _prepare(out: Path, truth_out: Path, settings_out: Path, overwrite: bool) -> None:
    o, t = out.resolve(), truth_out.resolve()
    if o == t or o in t.parents or t in o.parents:
        raise ValueError(
            f"truth_out ({truth_out}) must be a separate folder, not inside the landing root "
            f"({out}) or vice versa"
        )
    for root, names in ((out, TABLES), (truth_out, TRUTH_FILES)):
        existing = [root / n for n in names if (root / n).exists()]
        if existing and not overwrite:
            raise FileExistsError(
                f"{root} already holds generated data ({existing[0].name}); "
                "pass overwrite=True or use an empty folder"
            )
        for p in existing:
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
        root.mkdir(parents=True, exist_ok=True)
    if settings_out.exists() and not overwrite:
        raise FileExistsError(
            f"{settings_out} already exists; pass overwrite=True (--overwrite) to replace it, "
            "or write the generated shop's settings elsewhere (settings_out / --settings-out)"
        )


def generate_shop(
    out: Path,
    truth_out: Path,
    *,
    skus: int = 300,
    days: int = 745,
    start: date = date(2024, 1, 1),
    seed: int = 7,
    progress: bool = True,
    config: ShopConfig | None = None,
    overwrite: bool = False,
    profile: str | ShopProfile = "default",
    settings_out: Path | None = None,
) -> ShopSummary:
    """Write a landing zone (docs/warehouse.md) under `out` and its ground truth under `truth_out`.

    `profile` picks the kind of shop (`profiles.PROFILES`); `config`, when given, replaces the
    profile's config (to tweak single knobs: `dataclasses.replace(profile.config, ...)`). The
    shop's settings file (its calendar and first export day) goes to `settings_out`, by default
    `<out>/../settings.yaml`. Same arguments give byte-identical files. `overwrite=True` replaces
    the table folders, truth files and settings file of an earlier run; otherwise existing
    generated data is an error.
    """
    if skus < 1 or days < 1:
        raise ValueError(f"skus and days must be >= 1, got skus={skus}, days={days}")
    shop_profile = get_profile(profile) if isinstance(profile, str) else profile
    config = config or shop_profile.config
    out, truth_out = Path(out), Path(truth_out)
    settings_out = Path(settings_out) if settings_out else out.parent / SETTINGS_FILE
    _prepare(out, truth_out, settings_out, overwrite)

    calendar = CalendarEffects(
        season=season_matrix(config.categories, start, days),
        weekly=weekly_matrix(config.categories, start, days),
        events=event_lift_matrix(config.categories, start, days, config.events),
    )
    event_by_day = event_names_by_day(start, days, config.events)
    brands = make_brands(config, np.random.default_rng([seed, GLOBAL_STREAMS, STREAM_BRANDS]))
    effects = make_attribute_effects(
        config, np.random.default_rng([seed, GLOBAL_STREAMS, STREAM_ATTRIBUTES])
    )
    summary = ShopSummary(skus=skus, days=days, start=start, seed=seed, profile=shop_profile.name)
    run = _Run(out, truth_out, config, summary)
    n_chunks = -(-skus // config.chunk_size)
    first: ChunkCatalog | None = None
    try:
        with tqdm(
            total=n_chunks * days, disable=not progress, desc="sample shop", unit="day"
        ) as bar:
            for c in range(n_chunks):
                lo = c * config.chunk_size
                n = min(config.chunk_size, skus - lo)
                bar.set_postfix_str(f"chunk {c + 1}/{n_chunks}")
                sim = simulate_chunk(config, brands, calendar, seed, c, lo, n, start, days, effects)
                _write_chunk(run, sim, seed, skus, start, days, event_by_day, bar)
                if first is None:
                    first = sim.catalog  # its SKUs exist on the last day: used for top-up faults
                del sim
        assert first is not None
        _bad_files(run, seed, start, days)
        _top_up_faults(run, first, seed, n_chunks, start, days)
        run.flush_faults()
        run.truth.ensure("faults", FAULTS_SCHEMA)
    finally:
        run.truth.close()

    summary.rows = {t: run.rows[t] for t in TABLES}
    summary.files = {t: run.files[t] for t in TABLES}
    by_rule: Counter[str] = Counter()
    by_table: dict[str, dict[str, int]] = {}
    for (table, rule), count in sorted(run.fault_counts.items()):
        by_rule[rule] += count
        by_table.setdefault(table, {})[rule] = count
    summary.faults = dict(sorted(by_rule.items()))
    summary.faults_by_table = by_table
    summary.segments = dict(sorted(run.segments.items()))
    write_settings(settings_out, shop_profile.shop_name, shop_profile.name, config, start)
    _write_summary(truth_out / "summary.json", summary, config)
    return summary


def _write_summary(path: Path, summary: ShopSummary, config: ShopConfig) -> None:
    scalars = {
        f.name: getattr(config, f.name)
        for f in fields(config)
        if isinstance(getattr(config, f.name), (int, float, str, bool, tuple, dict))
        and f.name not in ("categories", "events")
    }
    doc = {
        "arguments": {
            "skus": summary.skus,
            "days": summary.days,
            "start": summary.start.isoformat(),
            "seed": summary.seed,
            "profile": summary.profile,
        },
        "events": [event_entry(e, tuple(c.name for c in config.categories)) for e in config.events],
        "config": scalars,
        "categories": [c.name for c in config.categories],
        "summary": summary.to_json(),
    }
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
