"""Feature: national release rules. In each tree node a party releases national stock against
its gap, at most its release capacity a month, and in total at most its stock on any path.

Equations (docs/formulation.md):

    Release_Rate[n,p,m]:           Release[n,p,m] <= sum_k rate[k] StockByOption[p,m,k]
    Release_Within_Stock[leaf,p,m]: sum over the leaf's nodes of Release[n,p,m] <= S[y(leaf),p,m]
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from .core import Context

NEEDS: tuple[str, ...] = ("national_stock",)  # the blocks it reads from


def coefficients(data, sets, tree) -> dict[str, dict]:
    return {}  # nothing a re-solve changes


def add(ctx: Context) -> None:
    m, sets = ctx.m, ctx.sets
    m.GAP_NODES = pyo.Set(initialize=sets.gap_nodes, dimen=3, ordered=True)
    m.Release = pyo.Var(m.GAP_NODES, domain=pyo.NonNegativeReals)
    r = ctx.var.release = dict(m.Release.items())
    capacity = ctx.var.capacity  # every pair with a gap may hold stock (sets.stock_pairs)
    m.Release_Rate = pyo.Constraint(m.GAP_NODES, rule=lambda _, n, p, mi: r[n, p, mi] <= capacity[p, mi])
    m.LEAF_PAIRS = pyo.Set(initialize=list(sets.leaf_release), dimen=3, ordered=True)
    stock_at, year = ctx.var.stock_at, ctx.tree.year_of_leaf  # a build year's leaf meets that year's stock
    m.Release_Within_Stock = pyo.Constraint(
        m.LEAF_PAIRS, rule=lambda _, li, p, mi: quicksum(r[n, p, mi] for n in sets.leaf_release[li, p, mi])
        <= stock_at[year(li), (p, mi)])
