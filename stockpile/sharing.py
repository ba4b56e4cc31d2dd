"""Cost-sharing rules for the joint-stockpile game, side by side, with core checks.

Cost game: v(C) = expected annual cost of coalition C pooling. An allocation x
(USD/yr per party, sum = v(N)) gives coalition C the excess e(C) = x(C) - v(C):
what C pays beyond going it alone. x is in the core when no e(C) > 0.
"""

from __future__ import annotations

from itertools import combinations
from math import factorial

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.contrib.solver.solvers.highs import Highs

from .data import ModelData
from .game import Coalition, Game, coalition_name

RULES = ("equal_saving", "consumption", "exposed_demand", "gdp", "standalone", "shapley", "nucleolus",
         "least_core", "optimised")
TOL_REL = 1e-9


def _tol(game: Game) -> float:
    return max(1e-6, TOL_REL * abs(game.value[game.grand_coalition]))


def equal_saving(game: Game) -> dict[str, float]:
    """Each party pays its stand-alone cost less an equal share of the total saving."""
    alone = {p: game.value[frozenset([p])] for p in game.players}
    saving = sum(alone.values()) - game.value[game.grand_coalition]
    return {p: alone[p] - saving / len(game.players) for p in game.players}


def proportional(game: Game, weights: dict[str, float]) -> dict[str, float]:
    """v(N) split in proportion to `weights` (consumption, exposed demand, GDP, stand-alone cost)."""
    total = sum(weights[p] for p in game.players)
    vn = game.value[game.grand_coalition]
    if total <= 0:
        return {p: vn / len(game.players) for p in game.players}
    return {p: vn * weights[p] / total for p in game.players}


def shapley(game: Game) -> dict[str, float]:
    """phi_p = sum over C not containing p of |C|! (n-|C|-1)! / n! x (v(C + p) - v(C)), v({}) = 0."""
    n = len(game.players)
    v = dict(game.value)
    v[frozenset()] = 0.0
    out = {}
    for p in game.players:
        others = [q for q in game.players if q != p]
        total = 0.0
        for r in range(n):
            w = factorial(r) * factorial(n - r - 1) / factorial(n)
            for c in combinations(others, r):
                c = frozenset(c)
                total += w * (v[c | {p}] - v[c])
        out[p] = total
    return out


def _lp(c, a_ub, b_ub, a_eq, b_eq) -> tuple[bool, np.ndarray, float]:
    """min c.x s.t. a_ub x <= b_ub, a_eq x = b_eq, x free: a small dense LP in HiGHS."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    n = len(c)
    for j in range(n):
        h.addCol(float(c[j]), -inf, inf, 0, [], [])
    for rows, rhs, equal in ((a_ub, b_ub, False), (a_eq, b_eq, True)):
        for row, b in zip(rows, rhs, strict=True):
            idx = np.flatnonzero(row)
            h.addRow(float(b) if equal else -inf, float(b), len(idx), idx.astype(np.int32),
                     np.asarray(row, float)[idx])
    h.run()
    ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return ok, np.array(h.getSolution().col_value), h.getInfo().objective_function_value


def _indicator(game: Game, c: Coalition) -> np.ndarray:
    return np.array([1.0 if p in c else 0.0 for p in game.players])


def least_core_slack(game: Game) -> float:
    """t* = min over allocations of the largest excess; <= 0 iff the core is non-empty."""
    return _nucleolus_stage(game, {}, game.coalitions(proper=True))[0]


def _nucleolus_stage(game: Game, fixed: dict[Coalition, float], free: list[Coalition]):
    """min t s.t. x(C) - v(C) <= t (C free), x(C) - v(C) = fixed[C], x(N) = v(N). Variables (x, t)."""
    scale = max(1.0, max(abs(v) for v in game.value.values()))  # work in units of the largest value
    n = len(game.players)
    c = np.zeros(n + 1)
    c[-1] = 1.0 if free else 0.0  # with every coalition fixed only x is left to find
    a_ub = [np.append(_indicator(game, C), -1.0) for C in free]
    b_ub = [game.value[C] / scale for C in free]
    a_eq = [np.append(np.ones(n), 0.0)] + [np.append(_indicator(game, C), 0.0) for C in fixed]
    b_eq = [game.value[game.grand_coalition] / scale] + [(game.value[C] + e) / scale for C, e in fixed.items()]
    ok, sol, t = _lp(c, a_ub, b_ub, a_eq, b_eq)
    if not ok:
        raise RuntimeError("nucleolus LP failed")
    return t * scale, sol[:n] * scale, (a_ub, b_ub, a_eq, b_eq, scale)


def nucleolus(game: Game) -> dict[str, float]:
    """Exact nucleolus by sequential LPs: minimise the largest excess, fix the coalitions whose
    excess cannot go below it in any optimum, repeat until the allocation is unique."""
    n = len(game.players)
    fixed: dict[Coalition, float] = {}
    free = game.coalitions(proper=True)
    x = None
    while True:
        t, x, (a_ub, b_ub, a_eq, b_eq, scale) = _nucleolus_stage(game, fixed, free)
        if not free:
            break
        newly = []
        ub = [np.append(r[:-1], 0.0) for r in a_ub]  # every free coalition's excess <= t
        bub = [b + t / scale for b in b_ub]
        for C in free:
            # can C's excess fall below t? if not, it is t in every optimum: fix it
            ok, _, val = _lp(np.append(_indicator(game, C), 0.0), ub, bub, a_eq, b_eq)
            if ok and val * scale - game.value[C] >= t - _tol(game):
                newly.append(C)
        if not newly:  # numerical safety: fix the tightest one
            newly = [min(free, key=lambda C: abs(float(_indicator(game, C) @ x) - game.value[C] - t))]
        for C in newly:
            fixed[C] = t
            free.remove(C)
        rows = np.array([np.ones(n)] + [_indicator(game, C) for C in fixed])
        if np.linalg.matrix_rank(rows) >= n:
            t, x, _ = _nucleolus_stage(game, fixed, free)
            break
    return dict(zip(game.players, x.tolist(), strict=True))


def closest_in_core(game: Game, reference: dict[str, float], slack: float) -> dict[str, float]:
    """Pyomo + HiGHS: the allocation with every excess <= slack that is closest (min max
    deviation) to `reference`. With slack = max(0, t*) it lies in the core when the core is
    non-empty, and in the least core otherwise."""
    scale = max(1.0, abs(game.value[game.grand_coalition]))
    m = pyo.ConcreteModel()
    m.PLAYERS = pyo.Set(initialize=game.players, ordered=True)
    m.Share = pyo.Var(m.PLAYERS)  # USD/yr / scale
    m.Deviation = pyo.Var(domain=pyo.NonNegativeReals)
    m.Efficiency = pyo.Constraint(expr=sum(m.Share[p] for p in game.players)
                                  == game.value[game.grand_coalition] / scale)
    proper = game.coalitions(proper=True)
    m.Excess_Limit = pyo.Constraint(
        range(len(proper)),
        rule=lambda _, i: sum(m.Share[p] for p in proper[i]) - game.value[proper[i]] / scale <= slack / scale)
    m.Above = pyo.Constraint(m.PLAYERS, rule=lambda _, p: m.Share[p] - reference[p] / scale <= m.Deviation)
    m.Below = pyo.Constraint(m.PLAYERS, rule=lambda _, p: reference[p] / scale - m.Share[p] <= m.Deviation)
    m.Max_Deviation = pyo.Objective(expr=m.Deviation)
    opt = Highs()
    opt.config.load_solutions = True
    opt.solve(m)
    return {p: m.Share[p].value * scale for p in game.players}


def weights(data: ModelData, players: list[str]) -> dict[str, dict[str, float]]:
    """Attributes for the proportional rules: value of consumption and of exposed demand, GDP."""
    consumption = {p: 0.0 for p in players}
    exposed = {p: 0.0 for p in players}
    for (p, m), dem in data.demand.items():
        if p in consumption:
            value = dem.consumption_t_per_yr * data.minerals[m].price_usd_per_t
            consumption[p] += value
            exposed[p] += value * sum(s for (pp, mm, _), s in data.supply.items() if (pp, mm) == (p, m))
    return {"consumption": consumption, "exposed_demand": exposed,
            "gdp": {p: data.parties[p].gdp_usd_bn for p in players}}


def allocate(game: Game, data: ModelData, rules=RULES, reference: str = "shapley") -> dict[str, dict[str, float]]:
    """Cost per party (USD/yr) under each rule; `optimised` stays closest to `reference` (any other rule)."""
    w = weights(data, game.players)
    t_star = least_core_slack(game)
    rule_of = {
        "equal_saving": lambda: equal_saving(game),
        "consumption": lambda: proportional(game, w["consumption"]),
        "exposed_demand": lambda: proportional(game, w["exposed_demand"]),
        "gdp": lambda: proportional(game, w["gdp"]),
        "standalone": lambda: proportional(game, {p: game.value[frozenset([p])] for p in game.players}),
        "shapley": lambda: shapley(game),
        "nucleolus": lambda: nucleolus(game),
        "least_core": lambda: closest_in_core(game, equal_saving(game), t_star),
    }
    rule_of["optimised"] = lambda: closest_in_core(game, out.get(reference) or rule_of[reference](), max(0.0, t_star))
    out: dict[str, dict[str, float]] = {}
    for rule in rules:
        if rule not in rule_of:
            raise ValueError(f"unknown rule '{rule}' (known: {', '.join(RULES)})")
        out[rule] = rule_of[rule]()
    return out


def unusable_rules(game: Game, data: ModelData | None, rules) -> dict[str, str]:
    """Proportional rules whose weights are all 0 (they would quietly become an equal split): rule -> why."""
    w = weights(data, game.players)
    w["standalone"] = {p: game.value[frozenset([p])] for p in game.players}
    what = {"consumption": "consumption", "exposed_demand": "exposed demand (consumption x supplier shares)",
            "gdp": "gdp_usd_bn in the parties sheet", "standalone": "stand-alone costs"}
    return {r: f"rule {r} skipped: every party's {what[r]} is 0, so it has nothing to split by"
            for r in rules if r in what and sum(w[r].values()) <= 0}


def uncertainty(game: Game) -> float:
    """Largest (incumbent - best bound) over the coalition values, USD/yr: how far any v(C) may be
    above the true optimum. An excess smaller than this (plus the grand coalition's own) is noise."""
    return max((f.objective_usd_per_yr or 0.0) - (f.best_bound_usd_per_yr or f.objective_usd_per_yr or 0.0)
               for f in game.facts.values())


def core_status(game: Game, t_star: float) -> str:
    """'non-empty', 'empty', or 'undetermined' when the least-core slack is within solver uncertainty."""
    if t_star <= _tol(game):
        return "non-empty"
    return "empty" if t_star > 2 * uncertainty(game) + _tol(game) else "undetermined"


def core_check(game: Game, x: dict[str, float]) -> list[tuple[Coalition, float]]:
    """Excess of every proper coalition: (C, x(C) - v(C)); positive = C would do better alone."""
    return [(C, sum(x[p] for p in C) - game.value[C]) for C in game.coalitions(proper=True)]


def compare(game: Game, data: ModelData, rules=RULES, reference: str = "shapley") -> dict[str, pd.DataFrame]:
    """sharing.csv (rule x party) and core_check.csv (rule x coalition)."""
    allocations = allocate(game, data, rules, reference)
    # a coalition "would leave" only when its excess is beyond what the MIP gaps can explain:
    # v(C) and v(N) may each sit above their true optimum by up to `uncertainty`
    tol = _tol(game) + 2 * uncertainty(game)
    own = {}
    if game.grand is not None:
        own = game.grand["party_costs"].set_index("holder").total_usd_per_yr.to_dict()
    rows, checks = [], []
    for rule, x in allocations.items():
        excess = core_check(game, x)
        blocking = [(C, e) for C, e in excess if e > tol]
        for C, e in excess:
            checks.append({"rule": rule, "coalition": coalition_name(C, game.players),
                           "cost_under_rule_usd_per_yr": sum(x[p] for p in C), "alone_usd_per_yr": game.value[C],
                           "excess_usd_per_yr": e, "would_leave": e > tol, "solver_uncertainty_usd_per_yr": tol})
        for p in game.players:
            alone = game.value[frozenset([p])]
            mine = [e for C, e in excess if p in C]
            rows.append({"rule": rule, "party": p, "cost_usd_per_yr": x[p],
                         "contribution_usd_per_yr": x[p] - own[p] if p in own else np.nan,
                         "saving_usd_per_yr": alone - x[p], "in_core": not blocking,
                         "max_coalition_excess_usd_per_yr": max(mine) if mine else 0.0,
                         "blocking_coalitions": ", ".join(coalition_name(C, game.players) for C, e in blocking
                                                          if p in C)})
    return {"sharing": pd.DataFrame(rows), "core_check": pd.DataFrame(checks)}
