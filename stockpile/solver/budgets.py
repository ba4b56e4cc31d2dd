"""What each budget is charged, read off a solved plan: the one place that says how the pool's purchases are
charged to its members (their claim shares, model.sets.claim_shares), for the check that a decomposed answer
keeps within every budget and for the lines that say which budgets bind (formulation, "Annual_Budget")."""

from __future__ import annotations

import pandas as pd

from ..io.data import ModelData
from ..model.core import JOINT, TOTAL
from ..model.sets import claim_shares

TOL = 1e-6  # relative: a purchase this close to its budget reaches it


def annual_spend(data: ModelData, acquisition: pd.DataFrame) -> dict[tuple[str, int], float]:
    """(party or TOTAL, build year) -> USD of purchases charged to it that year (the pool's by claim share)."""
    members = data.eligible_members()
    claim = claim_shares(data, members, list(data.minerals))
    out: dict[tuple[str, int], float] = {}
    for row in acquisition.itertuples():
        out[TOTAL, row.year] = out.get((TOTAL, row.year), 0.0) + row.usd
        charged = {p: claim.get((p, row.mineral), 0.0) for p in members} if row.holder == JOINT else {row.holder: 1.0}
        for p, share in charged.items():
            out[p, row.year] = out.get((p, row.year), 0.0) + share * row.usd
    return out


def one_off_spend(data: ModelData, stock: pd.DataFrame) -> dict[str, float]:
    """party or TOTAL -> USD of new stock charged to its one-off budget: a party's own purchases and its claim share
    of the pool's (the rule of the annual budgets too)."""
    members = data.eligible_members()
    claim = claim_shares(data, members, list(data.minerals))
    out = {TOTAL: float(stock.acquisition_usd.sum()), **{p: 0.0 for p in data.parties}}
    for row in stock.itertuples():
        charged = {p: claim.get((p, row.mineral), 0.0) for p in members} if row.holder == JOINT else {row.holder: 1.0}
        for p, share in charged.items():
            out[p] = out.get(p, 0.0) + share * row.acquisition_usd
    return out


def _one_off_budget(data: ModelData, holder: str) -> float | None:
    return data.settings.budget_usd if holder == TOTAL else data.parties[holder].budget_usd


def _annual_budget(data: ModelData, holder: str) -> float | None:
    return data.settings.budget_usd_per_yr if holder == TOTAL else data.parties[holder].budget_usd_per_yr


def budgets_hold(data: ModelData, stock: pd.DataFrame, acquisition: pd.DataFrame | None = None) -> bool:
    """Do the purchases of the decomposed optimum keep within every budget, one-off and annual? (If so it
    is optimal for the coupled model too: it is the optimum of a relaxation and feasible.)"""
    for holder, usd in one_off_spend(data, stock).items():
        cap = _one_off_budget(data, holder)
        if cap is not None and usd > cap * (1 + TOL):
            return False
    if acquisition is None:
        return True
    return all(usd <= cap * (1 + TOL) + TOL for (holder, _year), usd in annual_spend(data, acquisition).items()
               if (cap := _annual_budget(data, holder)) is not None)


def binding_budgets(data: ModelData, stock: pd.DataFrame, acquisition: pd.DataFrame) -> list[str]:
    """One line per budget that the purchases reach (one-off and annual)."""
    out = []
    for holder, usd in one_off_spend(data, stock).items():
        cap = _one_off_budget(data, holder)
        if cap is not None and usd >= cap * (1 - TOL):
            out.append(f"the total one-off budget (settings budget_usd, ${cap:,.0f})" if holder == TOTAL else
                       f"{holder}'s one-off budget (budget_usd, ${cap:,.0f})")
    for (holder, year), usd in annual_spend(data, acquisition).items():
        cap = _annual_budget(data, holder)
        if cap is not None and usd >= cap * (1 - TOL):
            who = "all holders'" if holder == TOTAL else f"{holder}'s"
            out.append(f"{who} annual budget in build year {year} (${cap:,.0f}/yr)")
    return out
