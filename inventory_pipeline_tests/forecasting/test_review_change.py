"""The optional review_negative_change history channel, on the generated 12-SKU shop."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np

from inventory_pipeline.features.as_of import features_as_of
from inventory_pipeline.model.config import REVIEW_CHANGE_CHANNEL
from inventory_pipeline.windows import samples_from_features
from inventory_pipeline_tests.forecasting.conftest import START, Shop, tiny_config


def test_review_change_is_the_recent_bad_share_against_the_products_own(shop: Shop) -> None:
    base = tiny_config()
    config = replace(base, history_covariates=(*base.history_covariates, REVIEW_CHANGE_CHANNEL))
    features = features_as_of(
        shop.warehouse, START + timedelta(days=65), history_days=14, horizon=14
    )
    channels = samples_from_features(features, config).samples.history_covariates
    change = channels[..., config.history_covariates.index(REVIEW_CHANGE_CHANNEL)]  # (N, L)
    assert (change == change[:, :1]).all()  # known on the origin, the same on every history day

    reviews = features.reviews.sort("sku")
    recent = reviews["reviews_28d"].fill_null(0).to_numpy() > 0
    expected = np.where(
        recent,
        reviews["negative_share_28d"].fill_null(0.0).to_numpy()
        - reviews["negative_share_total"].fill_null(0.0).to_numpy(),
        0.0,
    )
    assert recent.any() and (~recent).any()  # products with and without a review in 28 days
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(change[:, 0], expected, rtol=1e-6, atol=1e-7)
