"""Feature: one canonical answer among equal-cost optima. Holding costs do not tell a tonne in the
pool from a tonne at home, nor one month's release from the next, so the solver would return an
arbitrary optimum (coverage jumping between near-identical runs). A tie-break far below any proved
gap chooses: stock goes into the pool only where pooling lowers the expected cost, and among equal
schedules stock is released as early as the gap allows. It is not a cost term: no table counts it."""

from __future__ import annotations

from pyomo.core.util import quicksum

from .core import Context

TIE_BREAK = 1e-9  # x the holding cost of a tonne a year: a billionth, far inside any gap HiGHS proves
FLOOR_USD = 1e-5  # per tonne a year at least: above HiGHS's absolute gap (1e-6), or it would not tell


def add(ctx: Context) -> None:
    m, data, sets = ctx.m, ctx.data, ctx.sets
    eps = {mi: max(TIE_BREAK * mineral.holding_usd_per_t_yr, FLOOR_USD) for mi, mineral in data.minerals.items()}
    later = {n.id: n.month / (10 * data.settings.horizon_months) for n in ctx.tree.nodes}  # < a pooled tonne's
    r = ctx.var["Release"]
    pool = quicksum(eps[mi] * m.JointStock[mi] for mi in sets.joint_minerals)
    timing = quicksum(eps[mi] * later[n] * r[n, p, mi] for n, p, mi in sets.gap_nodes)
    ctx.tie_breaks.append(pool + timing)
    # the most the tie-break can add: reported objectives and bounds leave it out (highs.without_tie_break)
    m.tie_break_max_usd = (sum(eps[mi] * max(sets.cap_joint_t[mi, k] for k in data.release_options)
                               for mi in sets.joint_minerals)
                           + sum(eps[mi] * later[n] * g for (n, _, mi), g in sets.gap_t.items()))
