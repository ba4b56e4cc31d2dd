"""Feature: replenishment. Released or drawn stock is bought back at a premium over the price
(settings.replenish_premium), weighed by the node's probability.

Equations (docs/formulation.md):

    expected_replenishment[p,m]     = sum_n pi[n] premium price[m] Release[n,p,m]
    expected_replenishment[JOINT,m] = sum_(n,p) pi[n] premium price[m] (Draw - Borrow)[n,p,m]
    refill_duty[p,m]                = sum_n pi[n] premium price[m] Borrow[n,p,m]  (entitlement: the borrower
                                      refills what it drew beyond its rights; the total is the same)
"""

from __future__ import annotations

from pyomo.core.util import quicksum

from .core import JOINT, Context

NEEDS: tuple[str, ...] = ("release", "joint_pool", "shortage")  # the blocks it reads from


def coefficients(data, sets, tree) -> dict[str, dict]:
    premium = data.settings.replenish_premium
    return {"ReplenishCost": {mi: premium * m.price_usd_per_t for mi, m in data.minerals.items()}}  # USD/t


def add(ctx: Context) -> None:
    sets, prob, refill = ctx.sets, ctx.coef["NodeProbability"], ctx.coef["ReplenishCost"]
    r, q = ctx.var.release, ctx.var.draw
    entries = {(p, mi): quicksum(prob[n] * refill[mi] * r[n, p, mi] for n in nodes)
               for (p, mi), nodes in sets.nodes_of(sets.gap_nodes).items()}
    b = ctx.var.borrow  # empty unless drawing rights: then the borrower refills the pool, not the members
    pool: dict[str, list] = {}
    duty: dict[tuple[str, str], list] = {}
    for n, p, mi in sets.draws:
        own = q[n, p, mi] - b[n, p, mi] if b else q[n, p, mi]
        pool.setdefault(mi, []).append(prob[n] * refill[mi] * own)
        if b:
            duty.setdefault((p, mi), []).append(prob[n] * refill[mi] * b[n, p, mi])
    entries.update({(JOINT, mi): quicksum(terms) for mi, terms in pool.items()})
    ctx.add_cost("expected_replenishment", "replenishment", entries)
    if b:
        ctx.add_cost("refill_duty", "replenishment", {k: quicksum(terms) for k, terms in duty.items()})
