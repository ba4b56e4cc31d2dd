"""A holding of stock in whole lots, held under exactly one release option when open: the same
components for a party's national stock and for the joint pool (formulation: "Holdings")."""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from .core import as_key, as_tuple


def add_holdings(m, prefix: str, index, lots_max: dict, cap: dict, lot: dict, existing: dict):
    """National (prefix ""): Lots, Open, StockByOption, Option, Stock, Stock_By_Option,
    Option_Capacity, One_Option; the pool (prefix "Joint"): JointLots, ..., Joint_One_Option.
    Returns the Lots, Open and ByOption variables as plain dicts."""
    def key(k, *rest):  # index tuples: (p, m) for parties, m for the pool
        return (*as_tuple(k), *rest)

    options = list(m.OPTIONS)
    by, sep = prefix or "Stock", f"{prefix}_" if prefix else ""
    lots = pyo.Var(index, domain=pyo.NonNegativeIntegers, bounds=lambda _, *k: (0, lots_max[as_key(k)]))
    m.add_component(f"{prefix}Lots", lots)
    m.add_component(f"{prefix}Open", pyo.Var(index, domain=pyo.Binary))
    m.add_component(f"{by}ByOption", pyo.Var(index, m.OPTIONS, domain=pyo.NonNegativeReals))
    m.add_component(f"{prefix}Option", pyo.Var(index, m.OPTIONS, domain=pyo.Binary))
    n_ = dict(lots.items())
    is_open = dict(m.component(f"{prefix}Open").items())
    x_k = dict(m.component(f"{by}ByOption").items())
    b = dict(m.component(f"{prefix}Option").items())
    stock = pyo.Expression(index, rule=lambda _, *k: existing.get(as_key(k), 0.0) + lot[as_key(k)] * n_[as_key(k)])
    m.add_component(f"{prefix}Stock", stock)  # x = x0 + lot * n
    m.add_component(f"{by}_By_Option", pyo.Constraint(
        index, rule=lambda _, *k: quicksum(x_k[key(as_key(k), o)] for o in options) == stock[as_key(k)]))
    m.add_component(f"{sep}Option_Capacity", pyo.Constraint(
        index, m.OPTIONS, rule=lambda _, *k: x_k[key(*k)] <= cap[key(*k)] * b[key(*k)]))
    m.add_component(f"{sep}One_Option", pyo.Constraint(
        index, rule=lambda _, *k: quicksum(b[key(as_key(k), o)] for o in options) == is_open[as_key(k)]))
    return n_, is_open, x_k


def fix_first_stage(m, prefix: str, fixed: dict, keys, lot: dict, existing: dict) -> None:
    """Fix the lots, programme and release option of each holding in `fixed` ({key: (stock t, option)})."""
    lots, is_open, option = (m.component(f"{prefix}{n}") for n in ("Lots", "Open", "Option"))
    for k in keys:
        if k not in fixed:
            continue
        stock_t, chosen = fixed[k]
        n = max(0, round((stock_t - existing.get(k, 0.0)) / lot[k]))
        lots[k].fix(min(n, lots[k].ub))
        is_open[k].fix(1 if stock_t > 0 else 0)
        for o in m.OPTIONS:
            option[(*as_tuple(k), o)].fix(1 if (o == chosen and stock_t > 0) else 0)


def release_capacity(m, x_k: dict, keys, options: dict) -> dict:
    """sum_k rate_k x_k per holder: one expression, shared by all the rows of its nodes."""
    rate = {k: o.max_release_share_per_month for k, o in options.items()}
    return {key: quicksum(rate[k] * x_k[(*as_tuple(key), k)] for k in options)
            for key in keys}
