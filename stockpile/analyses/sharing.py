"""Cost-sharing rules for the joint-stockpile game, side by side, with core verdicts.

Cost game: v(C) = expected annual cost of coalition C pooling. An allocation x (USD/yr per
party, sum = v(N)) gives coalition C the excess e(C) = x(C) - v(C): what C pays beyond going
it alone. x is in the core when no e(C) > 0. Every single-valued rule here is efficient,
symmetric (players whose values are interchangeable pay the same) and anonymous (renaming
players renames their shares); docs/formulation.md, "The coalition game", gives the formulas.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from itertools import combinations
from math import factorial
from typing import Protocol

import highspy
import numpy as np

from ..io.data import ModelData
from .game import Coalition, Game

RULES = ("equal_saving", "consumption", "exposed_demand", "gdp", "standalone", "shapley", "nucleolus",
         "prenucleolus", "least_core", "optimised")
NEEDS_WORKBOOK = ("consumption", "exposed_demand", "gdp")
NEEDS_ALL = ("nucleolus", "prenucleolus", "least_core", "optimised")  # the core's LPs: every coalition's cost
TOL_REL = 1e-6  # above the QP's own feasibility tolerance (1e-7 of the largest value): no false proofs


class NoImputation(ValueError):
    """v(N) exceeds the sum of stand-alone costs: no split lets every party pay at most its own cost."""


def tolerance(game: Game) -> float:
    """Below this, two amounts of the game are the same number (LP precision, not solver gaps)."""
    return max(1e-6, TOL_REL * max(abs(v) for v in game.value.values()))


def equal_saving(game: Game) -> dict[str, float]:
    """Each party pays its stand-alone cost less an equal share of the total saving."""
    alone = {p: game.value[frozenset([p])] for p in game.players}
    saving = sum(alone.values()) - game.value[game.grand_coalition]
    return {p: alone[p] - saving / len(game.players) for p in game.players}


def proportional(game: Game, weights: dict[str, float]) -> dict[str, float]:
    """v(N) split in proportion to `weights` (consumption, exposed demand, GDP, stand-alone cost);
    callers skip a rule whose weights are all 0 (unusable_rules) rather than split equally."""
    total = sum(weights[p] for p in game.players)
    vn = game.value[game.grand_coalition]
    if total <= 0:
        raise ValueError("proportional rule with weights that sum to 0")
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
            total += sum(w * (v[frozenset(c) | {p}] - v[frozenset(c)]) for c in combinations(others, r))
        out[p] = total
    return out


# ---- small LPs and QPs in HiGHS --------------------------------------------------------------------------

def _highs(n: int, lower, upper, cost, tight: bool = True) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for opt in ("primal_feasibility_tolerance", "dual_feasibility_tolerance"):
        if tight:  # LPs: tighter than HiGHS's default (its QP solver fails at these tolerances)
            h.setOptionValue(opt, 1e-9)
    for j in range(n):
        h.addCol(float(cost[j]), float(lower[j]), float(upper[j]), 0, [], [])
    return h


def _add_rows(h: highspy.Highs, rows, lo, hi) -> None:
    for row, a, b in zip(rows, lo, hi, strict=True):
        idx = np.flatnonzero(row)
        h.addRow(float(a), float(b), len(idx), idx.astype(np.int32), np.asarray(row, float)[idx])


def _solve(h: highspy.Highs) -> np.ndarray:
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"sharing LP/QP: HiGHS says {h.getModelStatus().name}")
    return np.array(h.getSolution().col_value)


class ScaledGame:
    """The game in scaled units (largest |v| = 1) as matrices: rows of coalition indicators."""

    def __init__(self, game: Game, individually_rational: bool = False):
        self.game, self.players = game, game.players
        self.scale = max(1.0, max(abs(v) for v in game.value.values()))
        self.proper = game.coalitions(proper=True)
        self.rows = np.array([[1.0 if p in c else 0.0 for p in self.players] for c in self.proper])
        self.v = np.array([game.value[c] for c in self.proper]) / self.scale
        self.vn = game.value[game.grand_coalition] / self.scale
        n, inf = len(self.players), highspy.kHighsInf
        self.upper = np.full(n, inf)
        if individually_rational:  # a cost game's imputations: nobody pays more than alone
            self.upper = np.array([game.value[frozenset([p])] for p in self.players]) / self.scale
            if self.upper.sum() < self.vn - tolerance(game) / self.scale:
                raise NoImputation("pooling costs more than the sum of stand-alone costs: no imputation exists")
        self.lower = np.full(n, -inf)

    def stage(self, fixed: dict[int, float], free: list[int]) -> tuple[float, np.ndarray]:
        """min t s.t. e(C) <= t (C free), e(C) = fixed[C], x(N) = v(N): (t, x)."""
        n, inf = len(self.players), highspy.kHighsInf
        h = _highs(n + 1, [*self.lower, -inf], [*self.upper, inf], [0.0] * n + [1.0 if free else 0.0])
        _add_rows(h, [np.append(self.rows[i], -1.0) for i in free], [-inf] * len(free), [self.v[i] for i in free])
        eq = [np.append(np.ones(n), 0.0)] + [np.append(self.rows[i], 0.0) for i in fixed]
        rhs = [self.vn] + [self.v[i] + e for i, e in fixed.items()]
        _add_rows(h, eq, rhs, rhs)
        sol = _solve(h)
        return (sol[-1] if free else 0.0), sol[:n]

    def can_fall_below(self, i: int, t: float, fixed: dict[int, float], free: list[int]) -> bool:
        """Is there an optimum of this stage in which coalition i's excess is below t?"""
        n, inf = len(self.players), highspy.kHighsInf
        h = _highs(n, self.lower, self.upper, self.rows[i])
        _add_rows(h, [self.rows[j] for j in free], [-inf] * len(free), [self.v[j] + t for j in free])
        eq = [np.ones(n)] + [self.rows[j] for j in fixed]
        rhs = [self.vn] + [self.v[j] + e for j, e in fixed.items()]
        _add_rows(h, eq, rhs, rhs)
        return float(self.rows[i] @ _solve(h)) - self.v[i] < t - 1e-9


def _lexicographic_centre(game: Game, individually_rational: bool) -> dict[str, float]:
    """Sequential LPs (Maschler, Peleg and Shapley 1979): minimise the largest excess, fix the
    coalitions whose excess cannot fall below it in any optimum, repeat until x is unique."""
    g = ScaledGame(game, individually_rational)
    n = len(game.players)
    fixed: dict[int, float] = {}
    free = list(range(len(g.proper)))
    while True:
        t, x = g.stage(fixed, free)
        tight = [i for i in free if g.rows[i] @ x - g.v[i] >= t - 1e-9]  # only these can be stuck at t
        newly = [i for i in tight if not g.can_fall_below(i, t, fixed, free)] or tight[:1]
        for i in newly:
            fixed[i] = t
            free.remove(i)
        span = np.array([np.ones(n)] + [g.rows[i] for i in fixed])
        if not free or np.linalg.matrix_rank(span) >= n:  # the fixed excesses determine x
            x = g.stage(fixed, free)[1]
            return dict(zip(game.players, (x * g.scale).tolist(), strict=True))


def prenucleolus(game: Game) -> dict[str, float]:
    """The prenucleolus (Schmeidler 1969 over all efficient x): may charge a party more than alone."""
    return _lexicographic_centre(game, individually_rational=False)


def nucleolus(game: Game) -> dict[str, float]:
    """The nucleolus (Schmeidler 1969): the same over imputations, x_p <= v({p}) for every p."""
    return _lexicographic_centre(game, individually_rational=True)


def least_core_slack(game: Game, values: dict[Coalition, float] | None = None) -> float:
    """t* = min over efficient x of the largest excess; <= 0 iff the core is non-empty."""
    if values is not None:
        game = Game(game.players, values, {})
    g = ScaledGame(game)
    return g.stage({}, list(range(len(g.proper))))[0] * g.scale


def closest_in_core(game: Game, reference: dict[str, float], slack: float) -> dict[str, float]:
    """The allocation with every excess <= slack nearest `reference` in the Euclidean norm:
    argmin sum_p (x_p - r_p)^2 s.t. x(N) = v(N), x(C) - v(C) <= slack. A projection onto a convex
    set is unique, and symmetric and anonymous when the reference is. Solved by scipy's SLSQP; HiGHS's
    QP solver (which stalls on some near-degenerate least cores, seen on the bundled game) as fallback."""
    g = ScaledGame(game)
    n = len(game.players)
    r = np.array([reference[p] for p in game.players]) / g.scale
    slack_scaled = slack / g.scale + 1e-9  # room for t*'s own rounding, far below any amount shown
    try:
        x = _project_slsqp(g, r, slack_scaled)
    except RuntimeError:
        x = _project_highs(g, r, slack_scaled)
    x += (g.vn - x.sum()) / n  # exact efficiency: the solver's rounding, spread evenly (symmetry kept)
    return dict(zip(game.players, (x * g.scale).tolist(), strict=True))


def _project_highs(g: ScaledGame, r: np.ndarray, slack: float) -> np.ndarray:
    n, inf = len(g.players), highspy.kHighsInf
    h = _highs(n, g.lower, g.upper, -r, tight=False)
    hessian = highspy.HighsHessian()
    hessian.dim_, hessian.format_ = n, highspy.HessianFormat.kTriangular
    hessian.start_, hessian.index_, hessian.value_ = list(range(n + 1)), list(range(n)), [1.0] * n
    h.passHessian(hessian)
    _add_rows(h, g.rows, [-inf] * len(g.proper), g.v + slack)
    _add_rows(h, [np.ones(n)], [g.vn], [g.vn])
    h.setOptionValue("time_limit", 10.0)
    return _solve(h)


def _project_slsqp(g: ScaledGame, r: np.ndarray, slack: float) -> np.ndarray:
    """argmin 1/2 ||x - r||^2 s.t. x(N) = v(N), rows x <= v + slack, from the least-core LP's point."""

    from scipy.optimize import minimize  # here: 0.4 s of every command's start-up, for one rule of `share`

    x0 = g.stage({}, list(range(len(g.proper))))[1]
    cons = [{"type": "eq", "fun": lambda x: x.sum() - g.vn, "jac": lambda x: np.ones_like(x)},
            {"type": "ineq", "fun": lambda x: g.v + slack - g.rows @ x, "jac": lambda x: -g.rows}]
    res = minimize(lambda x: 0.5 * float((x - r) @ (x - r)), x0, jac=lambda x: x - r, constraints=cons,
                   method="SLSQP", options={"ftol": 1e-15, "maxiter": 1000})
    feasible = abs(res.x.sum() - g.vn) <= 1e-9 and (g.rows @ res.x - g.v - slack).max(initial=0.0) <= 1e-9
    if not (res.success and feasible):
        raise RuntimeError(f"sharing QP: SLSQP did not converge ({res.message})")
    return res.x


def least_core(game: Game) -> dict[str, float]:
    """The least-core point nearest equal_saving (Euclidean): single-valued, symmetric, anonymous."""
    lp = EnumeratedLPs(game)
    return lp.project(equal_saving(game), lp.slack())


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


class CoreLPs(Protocol):
    """The LPs over the coalitions that the nucleolus, least_core and optimised rules need."""

    def nucleolus(self) -> dict[str, float]: ...

    def prenucleolus(self) -> dict[str, float]: ...

    def slack(self) -> float: ...

    def project(self, reference: dict[str, float], slack: float) -> dict[str, float]: ...


class EnumeratedLPs:
    """The LPs over every coalition (nucleolus, least-core slack, the projection onto the least core), with every
    coalition as a row: game_scale.RowLPs does the same by row generation."""

    def __init__(self, game: Game):
        self.game = game

    def nucleolus(self) -> dict[str, float]:
        return nucleolus(self.game)

    def prenucleolus(self) -> dict[str, float]:
        return prenucleolus(self.game)

    def slack(self) -> float:
        return least_core_slack(self.game)

    def project(self, reference: dict[str, float], slack: float) -> dict[str, float]:
        return closest_in_core(self.game, reference, slack)


def allocate(game: Game, data: ModelData | None, rules=RULES, reference: str = "shapley",
             lps: CoreLPs | None = None) -> dict[str, dict]:
    """Cost per party (USD/yr) under each rule; `least_core` is the least-core point nearest equal_saving and
    `optimised` the core point (least-core point when the core is empty) nearest `reference` (any other rule).
    `lps`: how the LPs over the coalitions are solved (every coalition a row by default; core_verdicts.compare
    passes game_scale.RowLPs beyond 10 parties or for a sampled game)."""
    w = weights(data, game.players) if data is not None else {}
    lp: CoreLPs = lps or EnumeratedLPs(game)
    rule_of: dict[str, Callable[[], dict[str, float]]] = {
        "equal_saving": lambda: equal_saving(game),
        "standalone": lambda: proportional(game, {p: game.value[frozenset([p])] for p in game.players}),
        "shapley": lambda: game.sampled.value if game.sampled is not None else shapley(game),
        "nucleolus": lp.nucleolus,
        "prenucleolus": lp.prenucleolus,
        "least_core": lambda: lp.project(equal_saving(game), lp.slack()),
    }
    for r in NEEDS_WORKBOOK:  # one closure per weight
        rule_of[r] = functools.partial(proportional, game, w.get(r, {}))
    rule_of["optimised"] = lambda: lp.project(out.get(reference) or rule_of[reference](), max(0.0, lp.slack()))
    out: dict[str, dict[str, float]] = {}
    for rule in rules:
        if rule not in rule_of:
            raise ValueError(f"unknown rule '{rule}' (known: {', '.join(RULES)})")
        out[rule] = rule_of[rule]()
    return out


def unusable_rules(game: Game, data: ModelData | None, rules) -> dict[str, str]:
    """Rules that cannot be applied here, with why: a proportional rule whose weights are all 0 (it
    would quietly become an equal split), a rule that needs a workbook when there is none, and the
    nucleolus when no imputation exists."""
    out = {}
    w = weights(data, game.players) if data is not None else {}
    w["standalone"] = {p: game.value[frozenset([p])] for p in game.players}
    what = {"consumption": "consumption", "exposed_demand": "exposed demand (consumption x supplier shares)",
            "gdp": "gdp_usd_bn in the parties sheet", "standalone": "stand-alone costs"}
    for r in rules:
        if r in NEEDS_ALL and not game.core_lps:
            out[r] = (f"rule {r} skipped: it needs every coalition's cost, and the sampled game solved "
                      f"{len(game.value):,} of {2 ** len(game.players) - 1:,} (share --separation all finds the rest "
                      "by the membership separation, under cooperative allocation; or --method exact)")
        elif r in NEEDS_WORKBOOK and data is None:
            out[r] = f"rule {r} skipped: it needs the workbook's data (give the workbook with --game)"
        elif r in what and sum(w[r].values()) <= 0:
            out[r] = f"rule {r} skipped: every party's {what[r]} is 0, so it has nothing to split by"
        elif r == "nucleolus" and sum(w["standalone"].values()) < game.value[game.grand_coalition] - tolerance(game):
            out[r] = ("rule nucleolus skipped: pooling costs more than the sum of stand-alone costs, so no split "
                      "keeps every party at or below its own cost (see prenucleolus)")
    return out
