"""Feature: buyable stock. What all holders of a mineral buy in a build year stays within its cap
(max_purchase_share_per_yr x world_supply_t_per_yr); buying a share s of world supply raises that
year's price by price_uplift_per_share x s (a convex cost, in chords); annual budgets limit each
year's purchases, the pool's charged to its members by their claim shares (formulation, "Build-up").

Equations (docs/formulation.md):

    Purchase_Cap[y,m]:   sum_p Bought[y,p,m] + JointBought[y,m] <= max_purchase_share_per_yr[m] buyable[m]
    Uplift_Sum[y,m]:     sum_j Uplift[y,m,j] = the year's purchases of m
    Annual_Budget[y,p]:  sum_m a[m] (Bought[y,p,m] + claim[p,m] JointBought[y,m]) <= budget_usd_per_yr[p]
    Annual_Budget[y,*]:  all holders' purchases <= settings.budget_usd_per_yr
    purchase_uplift[MARKET,m] = sum_(y,j) (1 - delta) delta^(y-1) (u[m] a[m] / world[m]) (2j + 1) w[m] Uplift[y,m,j]
    capital_loss[h,m] = sum_y (1 - delta) delta^(y-1) max(0, a[m] - long_run_price[m]) Bought[y,h,m]
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from .core import JOINT, MARKET, TOTAL, Context
from .discount import payment_weights

UPLIFT_SEGMENTS = 10  # chords of the quadratic uplift: exact at 11 points, at most 1/400 of it too high between

NEEDS: tuple[str, ...] = ("national_stock", "joint_pool")  # the blocks it reads from


def coefficients(data, sets, tree) -> dict[str, dict]:
    mins = data.minerals
    budget = {p: data.parties[p].budget_usd_per_yr / 1e6 for p in annual_budget_parties(data)}
    if data.settings.budget_usd_per_yr is not None:
        budget[TOTAL] = data.settings.budget_usd_per_yr / 1e6
    return {
        "AcquisitionMusdPerT": {mi: mins[mi].acquisition_usd_per_t / 1e6 for mi in mins},  # USD m/t
        # uplift of q t bought in a year: a x u x q^2 / W (USD); this is a x u / W in USD/t^2
        "UpliftUsdPerT2": {mi: mins[mi].acquisition_usd_per_t * mins[mi].price_uplift_per_share
                           / mins[mi].market_t_per_yr for mi in uplift_minerals(data)},
        "AnnualBudgetMusd": budget,
        "CapitalLossUsdPerT": {mi: mins[mi].capital_loss_usd_per_t for mi in mins},  # USD/t, a - long-run price
    }


def uplift_minerals(data) -> list[str]:
    return [mi for mi, m in data.minerals.items() if m.price_uplift_per_share > 0 and m.market_t_per_yr]


def annual_budget_parties(data) -> list[str]:
    return [p for p, party in data.parties.items() if party.budget_usd_per_yr is not None]


def bought_by_mineral(ctx: Context) -> dict[tuple[int, str], list]:
    """(year, mineral) -> every holder's purchases that year (national and joint)."""
    out: dict[tuple[int, str], list] = {}
    for (y, key), expr in ctx.var.bought.items():
        out.setdefault((y, key[1]), []).append(expr)
    for (y, mi), expr in ctx.var.joint_bought.items():
        out.setdefault((y, mi), []).append(expr)
    return out


def add(ctx: Context) -> None:
    m, data = ctx.m, ctx.data
    m.BUILD_YEARS = pyo.Set(initialize=range(1, data.settings.build_years + 1), ordered=True)
    total = {k: quicksum(v) for k, v in bought_by_mineral(ctx).items()}
    capped = [(y, mi) for (y, mi) in total if data.minerals[mi].purchase_cap_t_per_yr is not None]
    m.CAPPED = pyo.Set(initialize=capped, dimen=2, ordered=True)
    m.Purchase_Cap = pyo.Constraint(
        m.CAPPED, rule=lambda _, y, mi: total[y, mi] <= data.minerals[mi].purchase_cap_t_per_yr)
    _uplift(ctx, total)
    _capital_loss(ctx)
    _annual_budgets(ctx)


def _uplift(ctx: Context, total: dict) -> None:
    """Uplift[y, m, j]: the year's purchases in chord j of the quadratic a u q^2 / W; chords fill in
    order because their slopes rise (the cost is convex), so no binaries."""
    m, data, sets = ctx.m, ctx.data, ctx.sets
    rate = ctx.coef["UpliftUsdPerT2"]
    width = {mi: _largest_purchase(data, sets, mi) / UPLIFT_SEGMENTS for mi in uplift_minerals(data)}
    keys = [(y, mi, j) for (y, mi) in total if mi in width and width[mi] > 0 for j in range(UPLIFT_SEGMENTS)]
    m.UPLIFT_SEGMENTS = pyo.Set(initialize=keys, dimen=3, ordered=True)
    m.Uplift = pyo.Var(m.UPLIFT_SEGMENTS, bounds=lambda _, y, mi, j: (0, width[mi]))
    pairs = sorted({(y, mi) for y, mi, _ in keys})
    m.Uplift_Sum = pyo.Constraint(
        pairs, rule=lambda _, y, mi: quicksum(m.Uplift[y, mi, j] for j in range(UPLIFT_SEGMENTS)) == total[y, mi])
    weight = payment_weights(data.settings.build_years, data.settings.discount_rate)
    entries: dict = {}
    for y, mi, j in keys:  # chord j's slope: a u (2j + 1) w / W, in USD/t
        slope = rate[mi] * (2 * j + 1) * width[mi]
        entries.setdefault((MARKET, mi), []).append(weight[y] * slope * m.Uplift[y, mi, j])
    if entries:
        ctx.add_cost("purchase_uplift", "holding", {k: quicksum(v) for k, v in entries.items()})


def _capital_loss(ctx: Context) -> None:
    """capital_loss[h,m]: a tonne bought in build year y at the acquisition price a loses a - long-run price if the
    price falls back; a one-off cost of the year it is bought, weighed as payments are (existing stock is sunk)."""
    data, loss = ctx.data, ctx.coef["CapitalLossUsdPerT"]
    weight = payment_weights(data.settings.build_years, data.settings.discount_rate)
    entries: dict = {}
    for (y, key), expr in ctx.var.bought.items():
        if data.minerals[key[1]].long_run_price_usd_per_t is not None:
            entries.setdefault(key, []).append(weight[y] * loss[key[1]] * expr)
    for (y, mi), expr in ctx.var.joint_bought.items():
        if data.minerals[mi].long_run_price_usd_per_t is not None:
            entries.setdefault((JOINT, mi), []).append(weight[y] * loss[mi] * expr)
    if entries:
        ctx.add_cost("capital_loss", "holding", {k: quicksum(v) for k, v in entries.items()})


def _largest_purchase(data, sets, mi: str) -> float:
    """Most of mineral mi any year could buy: the cap, else every holder's largest useful stock."""
    cap = data.minerals[mi].purchase_cap_t_per_yr
    if cap is not None:
        return cap
    lot = data.minerals[mi].lot_t
    national = sum(n * lot for (p, mm), n in sets.lots_max.items() if mm == mi)
    return national + sets.joint_lots_max.get(mi, 0) * lot


def _annual_budgets(ctx: Context) -> None:
    """Annual_Budget[y, p or *]: a year's purchases at the acquisition price, in USD million; a member
    pays its claim share (entitlement share, else coverage basis) of the pool's purchases."""
    m, data, sets = ctx.m, ctx.data, ctx.sets
    price, budget = ctx.coef["AcquisitionMusdPerT"], ctx.coef["AnnualBudgetMusd"]
    national, joint = ctx.var.bought, ctx.var.joint_bought

    def spend(y, p):
        own = [price[k[1]] * v for (yy, k), v in national.items() if yy == y and (p == TOTAL or k[0] == p)]
        share = {mi: 1.0 if p == TOTAL else sets.claim.get((p, mi), 0.0) for mi in sets.joint_minerals}
        pool = [share[mi] * price[mi] * v for (yy, mi), v in joint.items() if yy == y and share[mi] > 0]
        return own + pool

    holders = annual_budget_parties(data) + ([TOTAL] if data.settings.budget_usd_per_yr is not None else [])
    rows = [(y, h) for y in m.BUILD_YEARS for h in holders]
    m.ANNUAL_BUDGETS = pyo.Set(initialize=rows, dimen=2, ordered=True)
    m.Annual_Budget = pyo.Constraint(m.ANNUAL_BUDGETS, rule=lambda _, y, h: quicksum(
        spend(y, h)) <= budget[h] if spend(y, h) else pyo.Constraint.Skip)  # nothing to buy: no row
