"""Name the requirements that conflict when HiGHS proves the model infeasible.

Only first-stage requirements can conflict (the second stage always has unmet demand to fall back
on): coverage targets (lower bounds on national stock), max_stock_t (upper bounds), one-off budgets
(party and total), annual budgets over the build years (party and total) and purchase caps over the
build years. Each target's cheapest purchase is fixed (whole lots on top of existing stock), at the
model's own acquisition price (model.purchases.coefficients), so each check is exact:

- a target against max_stock_t: the target's whole lots exceed the limit;
- targets against a one-off budget: their purchases cost more than it allows;
- targets against an annual budget: Y build years at the budget buy less than their purchases (spread
  evenly over the years, purchases meet every annual budget and cap as soon as their totals do);
- targets against a purchase cap: all holders together may buy cap x Y t of the mineral.
Pool purchases are never required, so the cheapest plan buys nothing for the pool.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..io.data import ModelData
from ..model import purchases

TOL_USD, TOL_T = 1e-6, 1e-9


@dataclass(frozen=True)
class TargetNeed:
    """What one coverage target requires: stock, tonnes to buy in whole lots, and their cost."""

    party: str
    mineral: str
    months: float
    need_t: float
    buy_t: float
    usd: float

    def text(self) -> str:
        return (f"target {self.months:g} months of {self.mineral} for {self.party} needs {self.need_t:,.1f} t "
                f"(buying {self.buy_t:,.1f} t for ${self.usd:,.0f})")


def target_needs(data: ModelData) -> list[TargetNeed]:
    """Every coverage target's cheapest purchase, in workbook order."""
    price = purchases.coefficients(data, None, None)["AcquisitionMusdPerT"]  # USD m/t, as the model charges
    out = []
    for (p, m), dem in data.demand.items():
        if not dem.target_months:
            continue
        need = dem.target_months * data.basis_t_per_month(p, m)
        lot = data.minerals[m].lot_t
        buy = lot * max(0, math.ceil((need - dem.existing_stock_t) / lot - 1e-9))
        out.append(TargetNeed(p, m, dem.target_months, need, buy, buy * price[m] * 1e6))
    return out


def conflicts(data: ModelData) -> list[str]:
    """One sentence per requirement that the coverage targets break."""
    needs = target_needs(data)
    return [*_stock_limits(data, needs), *_one_off_budgets(data, needs), *_annual_budgets(data, needs),
            *_purchase_caps(data, needs)]


def _stock_limits(data: ModelData, needs: list[TargetNeed]) -> list[str]:
    out = []
    for n in needs:
        dem = data.demand[n.party, n.mineral]
        if dem.max_stock_t is not None and dem.existing_stock_t + n.buy_t > dem.max_stock_t + TOL_T:
            out.append(f"target {n.months:g} months of {n.mineral} for {n.party} needs {n.need_t:,.1f} t "
                       f"({dem.existing_stock_t + n.buy_t:,.1f} t in whole lots of {data.minerals[n.mineral].lot_t:g}"
                       f" t); max_stock_t allows {dem.max_stock_t:,.1f} t")
    return out


def _sum_text(needs: list[TargetNeed]) -> tuple[str, float]:
    return " + ".join(n.text() for n in needs), sum(n.usd for n in needs)


def _one_off_budgets(data: ModelData, needs: list[TargetNeed]) -> list[str]:
    out = []
    for p, party in data.parties.items():
        mine = [n for n in needs if n.party == p]
        text, usd = _sum_text(mine)
        if party.budget_usd is not None and mine and usd > party.budget_usd + TOL_USD:
            out.append(f"{text} = ${usd:,.0f} of purchases; {p}'s budget_usd allows ${party.budget_usd:,.0f}")
    text, usd = _sum_text(needs)
    if data.settings.budget_usd is not None and needs and usd > data.settings.budget_usd + TOL_USD:
        out.append(f"{text} = ${usd:,.0f} of purchases; the total budget_usd (settings) allows "
                   f"${data.settings.budget_usd:,.0f}")
    return out


def _annual_budgets(data: ModelData, needs: list[TargetNeed]) -> list[str]:
    years = data.settings.build_years
    over = f"over {years} build year{'s' if years > 1 else ''}"
    out = []
    for p, party in data.parties.items():
        mine = [n for n in needs if n.party == p]
        text, usd = _sum_text(mine)
        per_yr = party.budget_usd_per_yr
        if per_yr is not None and mine and usd > per_yr * years + TOL_USD:
            out.append(f"{text} = ${usd:,.0f} of purchases; {p}'s budget_usd_per_yr of ${per_yr:,.0f} allows "
                       f"${per_yr * years:,.0f} {over}")
    text, usd = _sum_text(needs)
    per_yr = data.settings.budget_usd_per_yr
    if per_yr is not None and needs and usd > per_yr * years + TOL_USD:
        out.append(f"{text} = ${usd:,.0f} of purchases; the total budget_usd_per_yr (settings) of ${per_yr:,.0f} "
                   f"allows ${per_yr * years:,.0f} {over}")
    return out


def _purchase_caps(data: ModelData, needs: list[TargetNeed]) -> list[str]:
    years = data.settings.build_years
    out = []
    for mi, mineral in data.minerals.items():
        cap = mineral.purchase_cap_t_per_yr
        mine = [n for n in needs if n.mineral == mi]
        bought = sum(n.buy_t for n in mine)
        if cap is None or not mine or bought <= cap * years + max(TOL_T, 1e-9 * bought):
            continue
        parts = " + ".join(f"target {n.months:g} months of {mi} for {n.party} needs {n.buy_t:,.1f} t bought"
                           for n in mine)
        sellers = mineral.seller_supply_t_per_yr
        supply = (f"world_supply_t_per_yr {mineral.world_supply_t_per_yr:,.6g}" if sellers is None
                  else f"the {sellers:,.6g} t/yr of its suppliers that sell to stockpiles (world_supply sheet)")
        out.append(f"{parts} = {bought:,.1f} t; the purchase cap on {mi} (max_purchase_share_per_yr "
                   f"{mineral.max_purchase_share_per_yr:g} x {supply} = {cap:,.6g} t/yr, all holders together) allows "
                   f"{cap * years:,.6g} t over {years} build year{'s' if years > 1 else ''}")
    return out
