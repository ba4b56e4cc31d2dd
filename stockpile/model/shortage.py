"""Feature: shortages. In each tree node a party's gap is met by its releases, its draws on the
pool, or goes unmet in convex tiers of rising cost; expected cost = node probability x tier cost.

Equations (docs/formulation.md):

    Supply_Balance[n,p,m]: Release[n,p,m] + Draw[n,p,m] + sum_l Unmet[n,p,m,l] = g[n,p,m]
    0 <= Unmet[n,p,m,l] <= w[m,l] d[p,m]
    expected_shortage[p,m] = sum_n pi[n] sum_l c[m,l] Unmet[n,p,m,l]
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from .core import Context
from .scenario_tree import node_probability

NEEDS: tuple[str, ...] = ("release", "joint_pool")  # the blocks it reads from


def coefficients(data, sets, tree) -> dict[str, dict]:
    return {
        "ShortageCost": {(mi, l): t.usd_per_t for mi, tiers in data.tiers.items()
                         for l, t in enumerate(tiers, 1)},  # USD/t unmet
        "NodeProbability": node_probability(data, tree),  # 1/yr
    }


def tier_width(data, mineral: str, tier: int) -> float:
    """Share of monthly demand tier `tier` (1-based) covers."""
    tiers = data.tiers[mineral]
    lower = tiers[tier - 2].up_to_share if tier > 1 else 0.0
    return tiers[tier - 1].up_to_share - lower


def add(ctx: Context) -> None:
    m, data, sets = ctx.m, ctx.data, ctx.sets
    n_tiers = {mi: len(t) for mi, t in data.tiers.items()}
    gap_tiers = [(n, p, mi, l) for (n, p, mi) in sets.gap_nodes for l in range(1, n_tiers[mi] + 1)]
    m.GAP_TIERS = pyo.Set(initialize=gap_tiers, dimen=4, ordered=True)
    m.Unmet = pyo.Var(m.GAP_TIERS, domain=pyo.NonNegativeReals,
                      bounds=lambda _, n, p, mi, l: (0, tier_width(data, mi, l) * data.consumption_t_per_month(p, mi)))
    u, r, q = dict(m.Unmet.items()), ctx.var.release, ctx.var.draw

    def balance(_, n, p, mi):
        """r + q + sum_l u[l] = g: stock is released only against a gap."""
        unmet = quicksum(u[n, p, mi, l] for l in range(1, n_tiers[mi] + 1))
        return r[n, p, mi] + q.get((n, p, mi), 0) + unmet == sets.gap_t[n, p, mi]

    m.Supply_Balance = pyo.Constraint(m.GAP_NODES, rule=balance)
    prob, cost = ctx.coef["NodeProbability"], ctx.coef["ShortageCost"]
    ctx.add_cost("expected_shortage", "shortage", {
        (p, mi): quicksum(prob[n] * cost[mi, l] * u[n, p, mi, l] for n in nodes for l in range(1, n_tiers[mi] + 1))
        for (p, mi), nodes in sets.nodes_of(sets.gap_nodes).items()})
