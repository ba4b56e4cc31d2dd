"""Feature: shortages. In each tree node a party's gap is met by its releases, its draws on the
pool, or goes unmet: in the products the mineral goes into (products sheet), whose output falls to the
share of their scarcest input (Leontief), or, for the rest of its demand, in convex tiers of rising cost;
expected cost = node probability x (tier cost + lost output). The optimiser rations a short mineral to its
most valuable uses.

Equations (docs/formulation.md):

    Supply_Balance[n,p,m]: Release + Draw + sum_l Unmet[n,p,m,l] + sum_k ProductUnmet[n,p,k,m] = g[n,p,m]
    0 <= Unmet[n,p,m,l] <= w[m,l] (1 - s[p,m]) d[p,m]       s[p,m]: the share of demand that goes into products
    0 <= ProductUnmet[n,p,k,m] <= s[p,k,m] d[p,m]
    Lost_Share[n,p,k,m]:   LostShare[n,p,k] s[p,k,m] d[p,m] >= ProductUnmet[n,p,k,m],  0 <= LostShare <= 1
    expected_shortage[p,m] = sum_n pi[n] sum_l c[m,l] Unmet[n,p,m,l]
    expected_lost_output[p,k] = sum_n pi[n] V[p,k] LostShare[n,p,k]
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
        "LostOutputUsdPerMonth": {k: v.lost_value_usd_per_month for k, v in data.products.items()},  # V[p,k]
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
    tiered = {(p, mi): 1.0 - data.product_share(p, mi) for p, mi in data.pairs}  # the rest of the demand
    m.Unmet = pyo.Var(m.GAP_TIERS, domain=pyo.NonNegativeReals, bounds=lambda _, n, p, mi, l: (
        0, tier_width(data, mi, l) * tiered[p, mi] * data.consumption_t_per_month(p, mi)))
    u, r, q = dict(m.Unmet.items()), ctx.var.release, ctx.var.draw
    in_products = _products(ctx)

    def balance(_, n, p, mi):
        """r + q + sum_l u[l] + sum_k u_k = g: stock is released only against a gap."""
        unmet = quicksum(u[n, p, mi, l] for l in range(1, n_tiers[mi] + 1))
        return r[n, p, mi] + q.get((n, p, mi), 0) + unmet + in_products.get((n, p, mi), 0) == sets.gap_t[n, p, mi]

    m.Supply_Balance = pyo.Constraint(m.GAP_NODES, rule=balance)
    prob, cost = ctx.coef["NodeProbability"], ctx.coef["ShortageCost"]
    ctx.add_cost("expected_shortage", "shortage", {
        (p, mi): quicksum(prob[n] * cost[mi, l] * u[n, p, mi, l] for n in nodes for l in range(1, n_tiers[mi] + 1))
        for (p, mi), nodes in sets.nodes_of(sets.gap_nodes).items()})


def _products(ctx: Context) -> dict:
    """ProductUnmet, LostShare, Lost_Share and the cost of lost output; returns (node, party, mineral) -> the unmet
    demand of its products there (for the balance)."""
    m, data, sets = ctx.m, ctx.data, ctx.sets
    inputs = data.product_inputs
    keys = [(n, p, k, mi) for (n, p, mi) in sets.gap_nodes for (pp, k, mm) in inputs if (pp, mm) == (p, mi)]
    m.PRODUCT_INPUT_NODES = pyo.Set(initialize=keys, dimen=4, ordered=True)
    width = {(p, k, mi): i.share_of_demand * data.consumption_t_per_month(p, mi) for (p, k, mi), i in inputs.items()}
    m.ProductUnmet = pyo.Var(m.PRODUCT_INPUT_NODES, bounds=lambda _, n, p, k, mi: (0, width[p, k, mi]))
    lost = sorted({(n, p, k) for n, p, k, _mi in keys})
    m.PRODUCT_NODES = pyo.Set(initialize=lost, dimen=3, ordered=True)
    m.LostShare = pyo.Var(m.PRODUCT_NODES, bounds=(0, 1))
    m.Lost_Share = pyo.Constraint(m.PRODUCT_INPUT_NODES, rule=lambda _, n, p, k, mi: (
        m.LostShare[n, p, k] * width[p, k, mi] >= m.ProductUnmet[n, p, k, mi]) if width[p, k, mi] > 0
        else pyo.Constraint.Skip)
    out: dict = {}
    for n, p, k, mi in keys:
        out.setdefault((n, p, mi), []).append(m.ProductUnmet[n, p, k, mi])
    prob, value = ctx.coef["NodeProbability"], ctx.coef["LostOutputUsdPerMonth"]
    entries: dict = {}
    for n, p, k in lost:
        entries.setdefault((p, k), []).append(prob[n] * value[p, k] * m.LostShare[n, p, k])
    if entries:
        ctx.add_cost("expected_lost_output", "shortage", {key: quicksum(v) for key, v in entries.items()})
    return {key: quicksum(v) for key, v in out.items()}
