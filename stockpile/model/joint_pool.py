"""Feature: the joint pool. One stock per mineral, held like a national one, that members draw
on against their gaps; membership is yes, no or optional (the optimiser decides). How a short
pool is shared among members hit at once is settings.joint_allocation.

Equations (docs/formulation.md):

    Joint_By_Option[m], Joint_Option_Capacity[m,k], Joint_One_Option[m]: as national stock, for the pool
    Draw_Rate[n,m]:             sum_p Draw[n,p,m] <= sum_k rate[k] JointByOption[m,k]
    Draw_Within_Pool[leaf,m]:   sum over the leaf's nodes and members of Draw <= S_pool[y(leaf),m]
    Draw_Members[leaf,p,m]:     sum over the leaf's nodes of Draw[n,p,m] <= (sum of g[n,p,m] there) Member[p]
    Pro_Rata_Upper/Lower: settings.joint_allocation = pro_rata (docs/formulation.md, "Constraints")
    Drawing rights (joint_allocation = entitlement; docs/formulation.md, "Drawing rights"), Borrow[n,p,m] >= 0:
      Borrow_Within_Draw[n,p,m]:  Borrow <= Draw
      Rights_Rate[n,p,m]:         Draw - Borrow <= e[p,m] sum_k rate[k] JointByOption[m,k]
      Rights_Stock[leaf,p,m]:     sum over the leaf's nodes of (Draw - Borrow)[n,p,m] <= e[p,m] S_pool[y(leaf),m]
      Lend_Rate[n,m]:             sum_p Borrow[n,p,m] <= (sum of e[q,m] over members q without a gap at n) x rate
      Lend_Stock[leaf,m]:         sum over the leaf's nodes and members of Borrow
                                  <= (sum of e[q,m] over members q without a gap on the leaf's path) S_pool
    joint_holding[JOINT,m] = h[m] sum_y W[y] S_pool[y,m];  joint_fixed[JOINT,m] = Fj[m] JointOpen[m]
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from .buildup import add_purchases, held
from .core import JOINT, Context
from .holdings import add_holdings, fix_first_stage, release_capacity

NEEDS: tuple[str, ...] = ("national_stock",)  # the blocks it reads from


def coefficients(data, sets, tree) -> dict[str, dict]:
    return {"JointFixedCost": {mi: data.minerals[mi].joint_fixed_usd_per_yr for mi in sets.joint_minerals},
            # added once to a total, never to a subproblem's objective (merge.with_pool_fixed): here so that a
            # re-solve knows the number changed
            "PoolFixedCost": {"pool": pool_fixed_cost(data)}}


def add(ctx: Context) -> None:
    m, data, sets = ctx.m, ctx.data, ctx.sets
    m.JOINT_MINERALS = pyo.Set(initialize=sets.joint_minerals, ordered=True)
    lots, is_open, by_option = add_holdings(
        m, "Joint", m.JOINT_MINERALS, sets.joint_lots_max, sets.cap_joint_t,
        lot={mi: data.minerals[mi].lot_t for mi in sets.joint_minerals}, existing={})
    fix_first_stage(m, "Joint", {mi: v for (h, mi), v in data.fixed_stock.items() if h == JOINT},
                    sets.joint_minerals, {mi: data.minerals[mi].lot_t for mi in sets.joint_minerals}, {})
    m.MEMBERS = pyo.Set(initialize=sets.members, ordered=True)
    m.Member = pyo.Var(m.MEMBERS, domain=pyo.Binary)
    for p in sets.members:
        if data.parties[p].joint_member == "yes":
            m.Member[p].fix(1)
    m.DRAWS = pyo.Set(initialize=sets.draws, dimen=3, ordered=True)
    m.Draw = pyo.Var(m.DRAWS, domain=pyo.NonNegativeReals)
    bought, stock_at = add_purchases(m, "Joint", sets.joint_minerals, m.JointStock, {}, data.settings.build_years)
    ctx.var.joint_lots, ctx.var.joint_by_option, ctx.var.joint_bought = lots, by_option, bought
    ctx.var.joint_stock_at, ctx.var.draw = stock_at, dict(m.Draw.items())
    capacity = release_capacity(m, by_option, sets.joint_minerals, data.release_options)
    _draw_limits(ctx, capacity)
    _allocation(ctx, capacity)
    holding, fixed = ctx.coef["HoldingCost"], ctx.coef["JointFixedCost"]
    ctx.add_cost("joint_holding", "holding", {
        (JOINT, mi): holding[mi] * held(stock_at, mi, ctx.tree.year_weight) for mi in sets.joint_minerals})
    ctx.add_cost("joint_fixed", "fixed", {(JOINT, mi): fixed[mi] * is_open[mi] for mi in sets.joint_minerals})


def pool_fixed_cost(data) -> float:
    """settings.pool_fixed_usd_per_yr, paid by a pool that two or more parties may join (a pool of one is national
    stock under another name, and a game's singletons go alone): a commitment of signing, whatever the pool holds,
    so not a decision of the model; it enters every total once (solver/merge.py: with_pool_fixed)."""
    return data.settings.pool_fixed_usd_per_yr if len(data.eligible_members()) >= 2 else 0.0


def draws_at(sets) -> dict[tuple[str, str], list[str]]:
    """(node, mineral) -> the members that may draw there."""
    out: dict[tuple[str, str], list[str]] = {}
    for n, p, mi in sets.draws:
        out.setdefault((n, mi), []).append(p)
    return out


def _draw_limits(ctx: Context, capacity: dict) -> None:
    """Draw_Rate (the pool's release capacity), Draw_Within_Pool (its stock on any path) and
    Draw_Members (only members draw)."""
    m, data, sets, q = ctx.m, ctx.data, ctx.sets, ctx.var.draw
    stock_at, year = ctx.var.joint_stock_at, ctx.tree.year_of_leaf
    at = draws_at(sets)
    m.DRAW_NODES = pyo.Set(initialize=sorted(at), dimen=2, ordered=True)
    m.Draw_Rate = pyo.Constraint(
        m.DRAW_NODES, rule=lambda _, n, mi: quicksum(q[n, p, mi] for p in at[n, mi]) <= capacity[mi])
    m.LEAF_MINERALS = pyo.Set(initialize=list(sets.leaf_draw), dimen=2, ordered=True)
    m.Draw_Within_Pool = pyo.Constraint(
        m.LEAF_MINERALS, rule=lambda _, li, mi: quicksum(q[n, p, mi] for n, p in sets.leaf_draw[li, mi])
        <= stock_at[year(li), mi])
    # per leaf path, sum of p's draws <= (sum of p's gaps) x Member[p]: one row per path, not per
    # node (draws are >= 0, so Member = 0 still stops them all)
    optional = [key for key in sets.leaf_draw_party if data.parties[key[1]].joint_member == "optional"]
    m.OPTIONAL_DRAW_PATHS = pyo.Set(initialize=optional, dimen=3, ordered=True)
    z = dict(m.Member.items())
    m.Draw_Members = pyo.Constraint(
        m.OPTIONAL_DRAW_PATHS,
        rule=lambda _, li, p, mi: quicksum(q[n, p, mi] for n in sets.leaf_draw_party[li, p, mi])
        <= sum(sets.gap_t[n, p, mi] for n in sets.leaf_draw_party[li, p, mi]) * z[p])


def _allocation(ctx: Context, capacity: dict) -> None:
    """How members hit at once share the pool (settings.joint_allocation; cooperative: no rule)."""
    m, sets, q = ctx.m, ctx.sets, ctx.var.draw
    mode = ctx.data.settings.joint_allocation
    if mode == "pro_rata":
        # every member hit gets the same share of its gap: q = phi g (big-M with g when optional)
        m.DrawShare = pyo.Var(m.DRAW_NODES, bounds=(0, 1))
        m.Pro_Rata_Upper = pyo.Constraint(
            m.DRAWS, rule=lambda _, n, p, mi: q[n, p, mi] <= m.DrawShare[n, mi] * sets.gap_t[n, p, mi])
        m.Pro_Rata_Lower = pyo.Constraint(
            m.DRAWS, rule=lambda _, n, p, mi: q[n, p, mi] >= m.DrawShare[n, mi] * sets.gap_t[n, p, mi]
            - sets.gap_t[n, p, mi] * (1 - m.Member[p]))
    elif mode == "entitlement":
        _drawing_rights(ctx, capacity)


def _drawing_rights(ctx: Context, capacity: dict) -> None:
    """The treaty mode: a member draws on its rights (its claim e[p,m] of the pool's monthly release capacity and
    of the pool's stock over an event); beyond them it borrows, only out of the rights of members that are not
    short (of that month's capacity; of the stock, members not short anywhere on the path, so a lender's rights
    stay whole for a cut that reaches it later), and owes the pool a refill (replenishment.py: refill_duty)."""
    m, sets, q = ctx.m, ctx.sets, ctx.var.draw
    stock_at, year, claim = ctx.var.joint_stock_at, ctx.tree.year_of_leaf, sets.claim
    m.Borrow = pyo.Var(m.DRAWS, domain=pyo.NonNegativeReals)
    b = ctx.var.borrow = dict(m.Borrow.items())
    m.Borrow_Within_Draw = pyo.Constraint(m.DRAWS, rule=lambda _, n, p, mi: b[n, p, mi] <= q[n, p, mi])
    m.Rights_Rate = pyo.Constraint(
        m.DRAWS, rule=lambda _, n, p, mi: q[n, p, mi] - b[n, p, mi] <= claim[p, mi] * capacity[mi])
    m.LEAF_PARTY_MINERALS = pyo.Set(initialize=list(sets.leaf_draw_party), dimen=3, ordered=True)
    m.Rights_Stock = pyo.Constraint(
        m.LEAF_PARTY_MINERALS,
        rule=lambda _, li, p, mi: quicksum(q[n, p, mi] - b[n, p, mi] for n in sets.leaf_draw_party[li, p, mi])
        <= claim[p, mi] * stock_at[year(li), mi])
    at = draws_at(sets)
    idle = {(n, mi): sum(claim[p, mi] for p in sets.members if p not in hit) for (n, mi), hit in at.items()}
    m.Lend_Rate = pyo.Constraint(
        m.DRAW_NODES, rule=lambda _, n, mi: quicksum(b[n, p, mi] for p in at[n, mi]) <= idle[n, mi] * capacity[mi])
    hit_on_path = {key: {p for _n, p in nodes} for key, nodes in sets.leaf_draw.items()}
    m.Lend_Stock = pyo.Constraint(
        m.LEAF_MINERALS, rule=lambda _, li, mi: quicksum(b[n, p, mi] for n, p in sets.leaf_draw[li, mi])
        <= sum(claim[p, mi] for p in sets.members if p not in hit_on_path[li, mi]) * stock_at[year(li), mi])
