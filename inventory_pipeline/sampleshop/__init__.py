"""Synthetic online shop: a landing zone per the data contract plus the ground truth behind it.

The generator simulates demand that a forecaster can learn (seasonality, events, promotions,
product text, quality, launches) and the messiness an ingest must survive (late and re-delivered
rows, mixed formats, bad rows and files), and records what the pipeline should conclude:

    generate_shop(out, truth_out, skus=300, days=745, start=date(2024, 1, 1), seed=7,
                  profile="default")

writes `<out>/<table>/date=YYYY-MM-DD/part-<chunk>-<k>.csv|.parquet` and, in `truth_out`,
`daily.parquet` (SKU x day on sale: the NB demand distribution, true demand, the sales the
pipeline must derive, stock and promotion state), `products.parquet` (latent attributes),
`faults.parquet` (every injected bad row / file with the rule it breaks) and `summary.json`,
and the shop's `settings.yaml` (its calendar) next to `out`. Schemas: `truth.py`; rule names:
`ROW_RULES` and `FILE_RULES`; the kinds of shop: `profiles.PROFILES`.
"""

from inventory_pipeline.sampleshop.config import CATEGORIES, CategorySpec, ShopConfig, ShopEvent
from inventory_pipeline.sampleshop.events import shopping_events
from inventory_pipeline.sampleshop.faults import FILE_RULES, ROW_RULES
from inventory_pipeline.sampleshop.generate import ShopSummary, generate_shop
from inventory_pipeline.sampleshop.profiles import PROFILES, ShopProfile, get_profile

__all__ = [
    "CATEGORIES",
    "FILE_RULES",
    "PROFILES",
    "ROW_RULES",
    "CategorySpec",
    "ShopConfig",
    "ShopEvent",
    "ShopProfile",
    "ShopSummary",
    "generate_shop",
    "get_profile",
    "shopping_events",
]
