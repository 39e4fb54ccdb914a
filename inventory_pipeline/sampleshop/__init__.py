"""Synthetic online shop: a landing zone per DATA_CONTRACT.md plus the ground truth behind it.

The generator simulates demand that a forecaster can learn (seasonality, events, promotions,
product text, quality, launches) and the messiness an ingest must survive (late and re-delivered
rows, mixed formats, bad rows and files), and records what the pipeline should conclude.
"""

from inventory_pipeline.sampleshop.config import CATEGORIES, CategorySpec, ShopConfig
from inventory_pipeline.sampleshop.events import shopping_events
from inventory_pipeline.sampleshop.faults import FILE_RULES, ROW_RULES
from inventory_pipeline.sampleshop.generate import ShopSummary, generate_shop

__all__ = [
    "CATEGORIES",
    "FILE_RULES",
    "ROW_RULES",
    "CategorySpec",
    "ShopConfig",
    "ShopSummary",
    "generate_shop",
    "shopping_events",
]
