"""The shape every forecast of the pipeline shares: its default horizon and its published levels.

The shop settings, the features, the model, the baselines and the forecasts table must agree on
both, so each reads them here. A leaf module (no imports of the package), so that the model and
the features can share it without depending on each other.
"""

from __future__ import annotations

from collections.abc import Sequence

HORIZON_DAYS = 28  # shortest horizon a model is trained with (horizons 1..H): four weeks of
# daily forecasts, whatever the lead times
MAX_COVERING_HORIZON_DAYS = 91  # the longest horizon chosen from the catalog (13 weeks); a shop
# whose lead times are longer states its own forecast.horizon_days, or its longest covers are
# scaled from the last day (and their reasons say so)

PUBLISHED_LEVELS: tuple[float, float, float] = (0.1, 0.5, 0.9)  # the forecasts table's p10, p50
# and p90 columns: every method is scored on exactly these levels, so every model predicts them

_TOLERANCE = 1e-9  # two levels closer than this are the same level (float noise)


def level_index(quantiles: Sequence[float], level: float) -> int:
    """Position of ``level`` in ``quantiles`` (exact up to float noise)."""
    for i, q in enumerate(quantiles):
        if abs(q - level) < _TOLERANCE:
            return i
    raise ValueError(
        f"quantile level {level} is not among the model's levels {tuple(quantiles)}; the "
        f"backtest and the forecasts table (p10, p50, p90) need it. Add it to "
        f"ModelConfig.quantiles and retrain."
    )


def check_levels(quantiles: Sequence[float], levels: Sequence[float] = PUBLISHED_LEVELS) -> None:
    """Raise, naming the first missing level, when any of ``levels`` is not in ``quantiles``."""
    for level in levels:
        level_index(quantiles, level)


def covering_horizon(longest_cover_days: float) -> int:
    """The horizon that covers a lead time + review period of ``longest_cover_days``: whole
    weeks (so every weekday is seen as often at every horizon), at least :data:`HORIZON_DAYS`
    and at most :data:`MAX_COVERING_HORIZON_DAYS`."""
    weeks = -(-max(float(longest_cover_days), 1.0) // 7)  # ceil
    return int(min(max(7 * weeks, HORIZON_DAYS), MAX_COVERING_HORIZON_DAYS))
