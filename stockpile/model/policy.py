"""Feature: budgets and coverage targets. Acquisitions (new lots, national and joint) within the
total budget and each party's own; national stock at least each party's target in months.

Equations (docs/formulation.md):

    Acquisition_Budget:   sum a[m] lot[m] Lots[p,m] + sum a[m] JointStock[m] <= settings.budget_usd
    Party_Budget[p]:      sum_m a[m] (lot[m] Lots[p,m] + claim[p,m] JointStock[m]) <= budget_usd[p]
    Coverage_Target[p,m]: Stock[p,m] >= target_months[p,m] b[p,m]
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from .core import TOTAL, Context

NEEDS: tuple[str, ...] = ("national_stock", "joint_pool")  # the blocks it reads from


def budget_parties(data, sets) -> list[str]:
    """Parties with a one-off budget that something can be charged to: their own stock or a claim on the pool."""
    charged = {p for p, _ in sets.stock_pairs} | ({p for p, _m in sets.claim} if sets.joint_minerals else set())
    return [p for p, party in data.parties.items() if party.budget_usd is not None and p in charged]


def coefficients(data, sets, tree) -> dict[str, dict]:
    # budget rows in USD million: keeps HiGHS's row bounds within a sane range
    budget = {p: data.parties[p].budget_usd / 1e6 for p in budget_parties(data, sets)}
    if data.settings.budget_usd is not None:
        budget[TOTAL] = data.settings.budget_usd / 1e6
    mins = data.minerals
    return {"LotCostMusd": {mi: mins[mi].acquisition_usd_per_t * mins[mi].lot_t / 1e6 for mi in mins},  # USD m/lot
            "BudgetMusd": budget}


def add(ctx: Context) -> None:
    m, data, sets = ctx.m, ctx.data, ctx.sets
    lot_musd, budget_musd = ctx.coef["LotCostMusd"], ctx.coef["BudgetMusd"]
    n_, nj = ctx.var.lots, ctx.var.joint_lots

    def acquisition_musd(p=None):
        """All purchases (p None), or p's: its own and its claim share of the pool's (model.sets.claim_shares),
        the same rule as the annual budgets."""
        national = quicksum(lot_musd[mi] * n_[pp, mi] for pp, mi in sets.stock_pairs if p is None or pp == p)
        share = {mi: 1.0 if p is None else sets.claim.get((p, mi), 0.0) for mi in sets.joint_minerals}
        return national + quicksum(share[mi] * lot_musd[mi] * nj[mi] for mi in sets.joint_minerals if share[mi] > 0)

    if data.settings.budget_usd is not None and (sets.stock_pairs or sets.joint_minerals):  # else nothing to buy
        m.Acquisition_Budget = pyo.Constraint(expr=acquisition_musd() <= budget_musd[TOTAL])
    def party_budget(_, p):
        spend = acquisition_musd(p)
        return pyo.Constraint.Skip if isinstance(spend, int | float) else spend <= budget_musd[p]  # nothing to buy

    m.Party_Budget = pyo.Constraint(budget_parties(data, sets), rule=party_budget)
    dem = data.demand
    m.TARGET_PAIRS = pyo.Set(initialize=[(p, mi) for p, mi in sets.stock_pairs if dem[p, mi].target_months],
                             dimen=2, ordered=True)
    m.Coverage_Target = pyo.Constraint(
        m.TARGET_PAIRS,
        rule=lambda _, p, mi: m.Stock[p, mi] >= (dem[p, mi].target_months or 0.0) * data.basis_t_per_month(p, mi))
