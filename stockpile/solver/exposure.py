"""Warnings for inputs and answers that are legitimate but suspicious: nothing exposed to any
disruption, and the one-line reason behind every coverage of 0."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io.data import ModelData
from ..model.scenario_tree import scenario_gaps

TOL_T = 1e-6


def exposure_warnings(data: ModelData, gaps: dict[str, np.ndarray] | None = None) -> list[str]:
    """'No exposure anywhere' when no scenario cuts any party's supply: every stock would be 0."""
    gaps = scenario_gaps(data) if gaps is None else gaps
    if any(g.sum() > TOL_T for g in gaps.values()):
        return []
    return ["no scenario cuts any party's supply (check the supply shares, and the events' suppliers, minerals "
            "and targets): the recommendation is no stock at all"]


def _marginal_tier_cost(data: ModelData, mineral: str, short_share: float) -> float:
    """USD/t of the costliest tier a shortfall of `short_share` of demand reaches (tiers fill cheapest first)."""
    tiers = data.tiers[mineral]
    for t in tiers:
        if short_share <= t.up_to_share + 1e-9:
            return t.usd_per_t
    return tiers[-1].usd_per_t


def most_a_tonne_saves(data: ModelData, gaps: dict[str, np.ndarray], p: str, m: str) -> float:
    """Upper bound on what the first tonne of stock of (p, m) saves a year, USD/yr: in each scenario
    it replaces one tonne at the costliest shortfall of the horizon, less the refill premium."""
    i = data.pairs.index((p, m))
    d = data.consumption_t_per_month(p, m)
    refill = data.settings.replenish_premium * data.minerals[m].price_usd_per_t
    total = 0.0
    for s, g in gaps.items():
        worst = g[i].max()
        if worst > TOL_T and d > 0:
            gain = _marginal_tier_cost(data, m, worst / d) - refill
            total += data.scenarios[s].probability_per_yr * max(0.0, gain)
    return total


def zero_coverage_reasons(data: ModelData, coverage: pd.DataFrame,
                          gaps: dict[str, np.ndarray] | None = None) -> list[str]:
    """One line per party and mineral left with no stock at all, national or a claim on the pool, saying why (a pair
    the pool covers without a guarantee has coverage 0 too, but it is not left without stock)."""
    gaps = scenario_gaps(data) if gaps is None else gaps
    out = []
    for r in coverage.itertuples():
        held = r.national_t + (r.joint_t if hasattr(r, "joint_t") else 0.0)
        if not (held <= TOL_T and r.basis_t_per_month > 0):
            continue
        out.append(f"{r.party} {r.mineral}: coverage 0 — {_reason(data, gaps, r.party, r.mineral)}")
    return out


def _reason(data: ModelData, gaps: dict[str, np.ndarray], p: str, m: str) -> str:
    i = data.pairs.index((p, m))
    if not any(g[i].max() > TOL_T for g in gaps.values()):
        return f"no scenario cuts {p}'s supply of {m}, so stock would never be used"
    mineral = data.minerals[m]
    hold = mineral.holding_usd_per_t_yr + min(o.usd_per_t_yr for o in data.release_options.values())
    saves = most_a_tonne_saves(data, gaps, p, m)
    if hold >= saves:
        return (f"holding {m} costs ${hold:,.0f}/t/yr; the most a tonne saves is ${saves:,.0f}/yr "
                "(each scenario's probability x the shortage cost of the costliest tonne it replaces)")
    fixed = data.demand[p, m].programme_fixed_usd_per_yr
    if fixed > 0:
        return (f"a tonne would save up to ${saves:,.0f}/yr against ${hold:,.0f}/yr to hold, but too few tonnes "
                f"pay off to cover the programme's fixed cost of ${fixed:,.0f}/yr")
    if mineral.lot_t > 1:
        return (f"a tonne would save up to ${saves:,.0f}/yr against ${hold:,.0f}/yr to hold, but stock comes in "
                f"lots of {mineral.lot_t:g} t and a whole lot does not pay for itself")
    return (f"a tonne would save up to ${saves:,.0f}/yr against ${hold:,.0f}/yr to hold, yet the optimum holds "
            "none: the bound assumes the release could be timed with hindsight, which the release rules cannot")
