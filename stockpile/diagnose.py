"""Name the requirements that conflict when HiGHS proves the model infeasible.

Only first-stage requirements can conflict (the second stage always has unmet
demand to fall back on): coverage targets (lower bounds on stock), max_stock_t
(upper bounds) and acquisition budgets (party and total). Each target's cheapest
purchase is fixed (whole lots on top of existing stock), so the checks are exact.
"""

from __future__ import annotations

import math

from .data import ModelData


def _needed(data: ModelData, p: str, m: str) -> tuple[float, float, float]:
    """(stock needed t, tonnes to buy in whole lots, acquisition USD) for p's target in m."""
    dem = data.demand[p, m]
    need = dem.target_months * data.basis_t_per_month(p, m)
    lot = data.minerals[m].lot_t
    buy = lot * max(0, math.ceil((need - dem.existing_stock_t) / lot - 1e-9))
    return need, buy, buy * data.minerals[m].price_usd_per_t


def conflicts(data: ModelData) -> list[str]:
    out = []
    targets = [(p, m) for (p, m), d in data.demand.items() if d.target_months]
    cost: dict[str, float] = {}
    for p, m in targets:
        need, buy, usd = _needed(data, p, m)
        dem = data.demand[p, m]
        cost[p] = cost.get(p, 0.0) + usd
        if dem.max_stock_t is not None and dem.existing_stock_t + buy > dem.max_stock_t + 1e-9:
            out.append(f"target {dem.target_months:g} months of {m} for {p} needs {need:,.1f} t "
                       f"({dem.existing_stock_t + buy:,.1f} t in whole lots of {data.minerals[m].lot_t:g} t); "
                       f"max_stock_t allows {dem.max_stock_t:,.1f} t")
    for p, usd in cost.items():
        budget = data.parties[p].budget_usd
        if budget is not None and usd > budget + 1e-6:
            parts = " + ".join(_target_text(data, pp, m) for pp, m in targets if pp == p)
            out.append(f"{parts} = ${usd:,.0f} of purchases; {p}'s budget_usd allows ${budget:,.0f}")
    total = sum(cost.values())
    if data.settings.budget_usd is not None and total > data.settings.budget_usd + 1e-6:
        parts = " + ".join(_target_text(data, p, m) for p, m in targets)
        out.append(f"{parts} = ${total:,.0f} of purchases; the total budget_usd (settings) allows "
                   f"${data.settings.budget_usd:,.0f}")
    return out


def _target_text(data: ModelData, p: str, m: str) -> str:
    need, buy, usd = _needed(data, p, m)
    return (f"target {data.demand[p, m].target_months:g} months of {m} for {p} needs {need:,.1f} t "
            f"(buying {buy:,.1f} t for ${usd:,.0f})")
