"""Feature: the cost of release capacity. Stock held under a faster release option costs that
option's usd_per_t_yr a year on top of holding it (national and joint alike), a term of its own.

Equations (docs/formulation.md):

    release_capacity[p,m]     = sum_k hk[k] StockByOption[p,m,k]
    release_capacity[JOINT,m] = sum_k hk[k] JointByOption[m,k]
"""

from __future__ import annotations

from pyomo.core.util import quicksum

from .core import JOINT, Context

NEEDS: tuple[str, ...] = ("national_stock", "joint_pool")  # the blocks it reads from


def coefficients(data, sets, tree) -> dict[str, dict]:
    return {"CapacityCost": {k: o.usd_per_t_yr for k, o in data.release_options.items()}}  # USD/t/yr


def add(ctx: Context) -> None:
    sets, cost, options = ctx.sets, ctx.coef["CapacityCost"], ctx.data.release_options
    national, joint = ctx.var.stock_by_option, ctx.var.joint_by_option
    entries = {(p, mi): quicksum(cost[k] * national[p, mi, k] for k in options) for p, mi in sets.stock_pairs}
    entries.update({(JOINT, mi): quicksum(cost[k] * joint[mi, k] for k in options) for mi in sets.joint_minerals})
    ctx.add_cost("release_capacity", "holding", entries)
