"""Purchases over build years (formulation, "Build-up"): what each holding buys in each year and
the stock it holds while the purchases go on. Used by the national and joint holdings blocks."""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from .core import as_key, as_tuple


def add_purchases(m, prefix: str, index, stock, existing: dict, build_years: int):
    """{prefix}Bought[y, key] (t bought in build year y, y = 1..Y) and {prefix}_Bought_All (they add up
    to the new stock). Returns (bought, stock_at): dicts keyed (y, key); stock_at[0, key] is the full
    stock, stock_at[y, key] for 0 < y < Y what is held in build year y (bought at the year's start).
    With one build year nothing is declared: bought[1, key] is the new stock itself."""
    keys = list(index)
    years = range(1, build_years + 1)
    stock_at = {(0, k): stock[k] for k in keys}
    if build_years == 1:
        return {(1, k): stock[k] - existing.get(k, 0.0) for k in keys}, stock_at
    flat = [(y, *as_tuple(k)) for y in years for k in keys]
    var = pyo.Var(flat, domain=pyo.NonNegativeReals)
    m.add_component(f"{prefix}Bought", var)
    bought = {(y, k): var[(y, *as_tuple(k))] for y in years for k in keys}
    m.add_component(f"{prefix}_Bought_All".lstrip("_"), pyo.Constraint(
        keys, rule=lambda _, *k: quicksum(bought[y, as_key(k)] for y in years) == stock[as_key(k)]
        - existing.get(as_key(k), 0.0)))
    for k in keys:
        for y in range(1, build_years):
            stock_at[y, k] = existing.get(k, 0.0) + quicksum(bought[yy, k] for yy in range(1, y + 1))
    return bought, stock_at


def held(stock_at: dict, key, weights: dict[int, float]):
    """Stock held on average over the years, weighted as the years are (weights sum to 1)."""
    if len(weights) == 1:
        return stock_at[0, key]
    return quicksum(w * stock_at[y, key] for y, w in weights.items())
