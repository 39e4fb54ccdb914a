"""Lost-sales inventory simulation of the order-up-to policy, vectorised over SKUs.

What a buyer cares about is what the orders do, so every forecaster drives the same policy
(:mod:`inventory_pipeline.reorder`: order up to S, rounded by
:func:`~inventory_pipeline.reorder.round_order` to packs and the MOQ) against the same demand,
from the same start stock. Day ``d`` (0-based):

1. receive what arrives that morning;
2. sell ``min(demand, on_hand)``; the rest is lost (lost sales: no backorders);
3. review at night: position = on_hand + on_order; order
   ``round_order(S[d] - position, moq, pack)`` (0 where ordering is not allowed); it arrives on the
   morning of day ``d + lead_time + 1 + delay`` (the night of day ``d + lead_time``).

With that timing an order must cover demand over lead time + one review day, exactly the cover
``lead_time + review_period`` the policy reads its quantile over, so a perfect deterministic
forecast ends every day with 0 on hand and never loses a sale (see the tests). Orders that arrive
after the last day stay on order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inventory_pipeline.reorder import round_order


@dataclass(frozen=True)
class SimulationInputs:
    """N SKUs over D days; every array is aligned on SKUs (rows) and days (columns)."""

    demand: np.ndarray  # (N, D) units demanded each day (true demand; 0 when not on sale)
    order_up_to: np.ndarray  # (N, D) the policy's level S at each night's review
    can_order: np.ndarray  # (N, D) bool: the policy may order that night (known, not discontinued)
    lead_time_days: np.ndarray  # (N,) int
    moq: np.ndarray  # (N,) int
    pack_size: np.ndarray  # (N,) int
    on_hand: np.ndarray  # (N,) int, the morning of day 0
    open_orders: np.ndarray  # (N, A) int: units ordered before day 0 arriving the morning of day a
    delay_days: np.ndarray | None = None  # (N, D) int extra delay of an order placed that night

    def check(self) -> None:
        """Raise, naming the array, when shapes do not line up or a value is impossible."""
        n, d = self.demand.shape
        for name in ("order_up_to", "can_order"):
            if getattr(self, name).shape != (n, d):
                raise ValueError(f"{name} has shape {getattr(self, name).shape}, expected {(n, d)}")
        for name in ("lead_time_days", "moq", "pack_size", "on_hand"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} has shape {getattr(self, name).shape}, expected {(n,)}")
        if self.open_orders.ndim != 2 or self.open_orders.shape[0] != n:
            raise ValueError(f"open_orders has shape {self.open_orders.shape}, expected ({n}, A)")
        if self.delay_days is not None and self.delay_days.shape != (n, d):
            raise ValueError(f"delay_days has shape {self.delay_days.shape}, expected {(n, d)}")
        if np.any(self.demand < 0) or np.any(self.on_hand < 0) or np.any(self.open_orders < 0):
            raise ValueError("demand, on_hand and open_orders must be >= 0")
        if np.any(self.lead_time_days < 0):
            raise ValueError("lead_time_days must be >= 0")


@dataclass(frozen=True)
class SimulationPath:
    """What happened, per SKU and day (all int64, (N, D))."""

    received: np.ndarray  # units received that morning
    sold: np.ndarray  # units sold
    lost: np.ndarray  # demand not served (lost sales)
    on_hand: np.ndarray  # stock at the end of the day
    on_order: np.ndarray  # units ordered and not yet received, after the night's review
    ordered: np.ndarray  # units ordered at the night's review


def simulate(inputs: SimulationInputs) -> SimulationPath:
    """Run the policy day by day (loop over days, numpy over SKUs)."""
    inputs.check()
    n, days = inputs.demand.shape
    lead = inputs.lead_time_days.astype(np.int64)
    delay = (
        np.zeros((n, days), dtype=np.int64)
        if inputs.delay_days is None
        else inputs.delay_days.astype(np.int64)
    )
    reach = int(lead.max(initial=0) + delay.max(initial=0)) + 2
    arrivals = np.zeros((n, max(days + reach, inputs.open_orders.shape[1])), dtype=np.int64)
    arrivals[:, : inputs.open_orders.shape[1]] += inputs.open_orders.astype(np.int64)
    demand = inputs.demand.astype(np.int64)
    on_hand = inputs.on_hand.astype(np.int64).copy()
    on_order = inputs.open_orders.sum(axis=1).astype(np.int64)
    rows = np.arange(n)
    out = {k: np.zeros((n, days), dtype=np.int64) for k in SimulationPath.__dataclass_fields__}
    for d in range(days):
        received = arrivals[:, d]
        on_hand += received
        on_order -= received
        sold = np.minimum(demand[:, d], on_hand)
        on_hand -= sold
        need = inputs.order_up_to[:, d] - (on_hand + on_order)
        qty = np.where(
            inputs.can_order[:, d], round_order(need, inputs.moq, inputs.pack_size), 0
        ).astype(np.int64)
        arrivals[rows, d + lead + 1 + delay[:, d]] += qty
        on_order += qty
        out["received"][:, d] = received
        out["sold"][:, d] = sold
        out["lost"][:, d] = demand[:, d] - sold
        out["on_hand"][:, d] = on_hand
        out["on_order"][:, d] = on_order
        out["ordered"][:, d] = qty
    return SimulationPath(**out)


@dataclass(frozen=True)
class CostInputs:
    """Per-SKU money figures (N,)."""

    unit_cost: np.ndarray  # what a unit in stock ties up
    unit_margin: np.ndarray  # what a lost sale costs (list price - unit cost)
    holding_cost_rate: float  # yearly holding cost as a share of unit cost


def policy_metrics(
    path: SimulationPath, demand: np.ndarray, scored: np.ndarray, costs: CostInputs
) -> dict[str, float]:
    """Service and cost figures of one simulated policy over the ``scored`` SKU-days.

    fill_rate           units sold / units demanded
    cycle_service_level share of SKU-days without a lost sale (the nightly review cycle met demand)
    stockout_days       SKU-days ending with 0 on hand (what the shop's snapshot calls a stockout)
    lost_units          demand not served
    avg_on_hand_units   sum over SKUs of each SKU's mean end-of-day stock (the shop's average stock)
    avg_on_hand_value   the same at unit cost
    orders, order_units orders placed over all simulated days (they shape the scored days)
    holding_cost        holding_cost_rate / 365 x unit cost x end-of-day stock, summed
    lost_margin         lost units x unit margin
    total_cost          holding_cost + lost_margin
    """
    scored = np.asarray(scored, dtype=bool)
    demanded = float(demand[scored].sum())
    days_per_sku = scored.sum(axis=1)
    live = days_per_sku > 0
    stock = np.where(scored, path.on_hand, 0)
    mean_stock = np.where(live, stock.sum(axis=1) / np.maximum(days_per_sku, 1), 0.0)
    holding = float((stock * costs.unit_cost[:, None]).sum() * costs.holding_cost_rate / 365.0)
    lost = np.where(scored, path.lost, 0)
    lost_margin = float((lost * costs.unit_margin[:, None]).sum())
    return {
        "sku_days": float(scored.sum()),
        "demand_units": demanded,
        "fill_rate": float(np.where(scored, path.sold, 0).sum() / demanded)
        if demanded > 0
        else float("nan"),
        "cycle_service_level": float(((path.lost == 0) & scored).sum() / scored.sum())
        if scored.any()
        else float("nan"),
        "stockout_days": float(((path.on_hand == 0) & scored).sum()),
        "lost_units": float(lost.sum()),
        "avg_on_hand_units": float(mean_stock.sum()),
        "avg_on_hand_value": float((mean_stock * costs.unit_cost).sum()),
        "orders": float((path.ordered > 0).sum()),
        "order_units": float(path.ordered.sum()),
        "holding_cost": holding,
        "lost_margin": lost_margin,
        "total_cost": holding + lost_margin,
    }
