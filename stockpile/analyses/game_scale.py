"""The coalition game at scale (docs/formulation.md, "The coalition game at scale"): the least core, core verdicts
and nucleolus by row generation, and the Shapley value by sampling, over a game whose values v(C) are computed on
demand (each once) rather than for all 2^n - 1 coalitions.

Row generation: the LPs of sharing.py hold only the coalitions found so far (the singletons to start); a separation
oracle returns the coalition of largest excess x(C) - v(C) at the LP's point and a bound on every other's; a
coalition whose excess beats the LP's is added and the LP re-solved, until the bound proves none does. The oracle
here enumerates excesses from known values (vectorised: 32,767 coalitions of 15 parties in one product); a
membership MILP (one binary per party) is the oracle a game of solved values needs beyond that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

import highspy
import numpy as np

from .game import Coalition, Game
from .sampling import Values
from .sharing import NoImputation, _add_rows, _highs, _solve, closest_in_core, tolerance


def values_of(game: Game) -> Values:
    """A game whose every value is known (a file, a closed form, an enumerated game)."""
    return Values(list(game.players), lambda cs: {c: game.value[c] for c in cs}, dict(game.value))


# ---- separation -------------------------------------------------------------------------------------------------

# (x USD/yr, coalitions excluded, a threshold USD/yr or None) -> (the coalition of largest excess found or None, its
# excess, a bound on every excess not excluded); with a threshold it may return the first coalition that beats it
Separation = Callable[[np.ndarray, set[Coalition], float | None], tuple[Coalition | None, float, float]]


def enumeration(values: Values) -> Separation:
    """The oracle of a game whose values can all be had: every proper coalition's excess at x, the largest not
    excluded, and (exact) that excess as the bound on all of them."""
    players = values.players
    proper = [frozenset(c) for r in range(1, len(players)) for c in combinations(players, r)]
    known = values.get(proper)
    rows = np.array([[p in c for p in players] for c in proper], dtype=float)
    v = np.array([known[c] for c in proper])

    def separate(x: np.ndarray, excluded: set[Coalition], threshold: float | None = None,
                 ) -> tuple[Coalition | None, float, float]:
        excess = rows @ x - v
        if excluded:
            excess[[i for i, c in enumerate(proper) if c in excluded]] = -np.inf
        i = int(np.argmax(excess))
        return (proper[i], float(excess[i]), float(excess[i])) if np.isfinite(excess[i]) else (None, -np.inf, -np.inf)

    return separate


# ---- LPs over the coalitions found so far ---------------------------------------------------------------------

@dataclass
class RowGame:
    """The coalitions found so far, in scaled units (largest |v| seen = 1), and the LPs of the nucleolus over them."""

    values: Values
    separate: Separation
    individually_rational: bool = False
    rows: dict[Coalition, float] = field(default_factory=dict)  # coalition -> v(C), scaled
    separations: int = 0  # calls of the oracle
    # the known coalitions as rows (membership, scaled value), rebuilt when values.known has grown past `_seen`
    _seen: int = field(default=-1, repr=False)
    _known: list[Coalition] = field(default_factory=list, repr=False)
    _known_rows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    _known_v: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def __post_init__(self) -> None:
        self.players = self.values.players
        self.n = len(self.players)
        self.grand = frozenset(self.players)
        singles = [frozenset([p]) for p in self.players]
        known = self.values.get([*singles, self.grand])
        self.scale = max(1.0, max(abs(known[c]) for c in [*singles, self.grand]))
        self.vn = known[self.grand] / self.scale
        inf = highspy.kHighsInf
        self.upper = np.full(self.n, inf)
        if self.individually_rational:
            self.upper = np.array([known[c] for c in singles]) / self.scale
            if self.upper.sum() < self.vn - 1e-9:
                raise NoImputation("pooling costs more than the sum of stand-alone costs: no imputation exists")
        self.lower = np.full(self.n, -inf)
        if self.n > 1:
            for c in singles:
                self.add(c)

    def add(self, c: Coalition) -> None:
        self.rows[c] = self.values.value(c) / self.scale

    def vector(self, c: Coalition) -> np.ndarray:
        return np.array([1.0 if p in c else 0.0 for p in self.players])

    def _lp(self, objective: np.ndarray | None, fixed: dict[Coalition, float], t: float = 0.0):
        """min t (objective None) or min objective.x, s.t. e(C) <= t for free rows (t a variable when None),
        e(C) = fixed[C], x(N) = v(N)."""
        n, inf = self.n, highspy.kHighsInf
        free = [c for c in self.rows if c not in fixed]
        if objective is None:
            h = _highs(n + 1, [*self.lower, -inf], [*self.upper, inf], [0.0] * n + [1.0 if free else 0.0])
            _add_rows(h, [np.append(self.vector(c), -1.0) for c in free], [-inf] * len(free),
                      [self.rows[c] for c in free])
            pad = [0.0]
        else:
            h = _highs(n, self.lower, self.upper, objective)
            _add_rows(h, [self.vector(c) for c in free], [-inf] * len(free), [self.rows[c] + t for c in free])
            pad = []
        eq = [np.append(np.ones(n), pad)] + [np.append(self.vector(c), pad) for c in fixed]
        rhs = [self.vn] + [self.rows[c] + e for c, e in fixed.items()]
        _add_rows(h, eq, rhs, rhs)
        sol = _solve(h)
        return (sol[-1] if objective is None and free else 0.0), sol[:n]

    def _violated(self, x: np.ndarray, t: float, fixed: dict[Coalition, float]) -> bool:
        """Separate at x (scaled): add the coalition of largest excess when it beats t; True if one was added.
        Coalitions whose values are already known are looked at first (one product over them): the oracle, a MILP
        for a game of solved values, is called only when none of them objects, to find one or prove none does."""
        beyond = t + 1e-9 * max(1.0, abs(t))
        c = self._known_violation(x, beyond, fixed)
        if c is not None:
            self.add(c)
            return True
        self.separations += 1
        c, _excess, bound = self.separate(x * self.scale, set(fixed) | set(self.rows) | {self.grand},
                                          beyond * self.scale)
        if c is None or bound / self.scale <= beyond or c in self.rows:
            return False  # none objects (or the one that does is a row already: a loose bound, not a new row)
        self.add(c)
        return True

    def _known_violation(self, x: np.ndarray, beyond: float, fixed: dict[Coalition, float]) -> Coalition | None:
        """The known coalition (not yet a row, not fixed, not the grand coalition) of largest excess at x when it
        exceeds `beyond` (scaled), else None."""
        if self._seen != len(self.values.known):  # values learnt since (the oracle solves each it returns)
            self._seen = len(self.values.known)
            self._known = [c for c in self.values.known if c and c != self.grand]
            self._known_rows = np.array([self.vector(c) for c in self._known]).reshape(len(self._known), self.n)
            self._known_v = np.array([self.values.known[c] for c in self._known]) / self.scale
        excess = self._known_rows @ x - self._known_v
        for i in np.argsort(-excess):
            if excess[i] <= beyond:
                break
            c = self._known[int(i)]
            if c not in self.rows and c not in fixed:
                return c
        return None

    def stage(self, fixed: dict[Coalition, float]) -> tuple[float, np.ndarray]:
        """min t over all coalitions not fixed, by adding rows until none objects."""
        while True:
            t, x = self._lp(None, fixed)
            if not self._violated(x, t, fixed):
                return t, x

    def can_fall_below(self, c: Coalition, t: float, fixed: dict[Coalition, float]) -> bool:
        """Is there a point of the stage's optimal face (every free excess <= t) where e(C) < t? (rows added until
        the minimising point violates no coalition)."""
        while True:
            _, x = self._lp(self.vector(c), fixed, t)
            if not self._violated(x, t, fixed):
                return float(self.vector(c) @ x) - self.rows[c] < t - 1e-9


def least_core_by_rows(values: Values, separate: Separation | None = None) -> tuple[float, dict[str, float], int]:
    """t* (USD/yr: <= 0 iff the core is non-empty), a least-core point, and the coalitions the LP needed."""
    g = RowGame(values, separate or enumeration(values))
    t, x = g.stage({})
    return t * g.scale, dict(zip(g.players, (x * g.scale).tolist(), strict=True)), len(g.rows)


def nucleolus_by_rows(values: Values, separate: Separation | None = None,
                      individually_rational: bool = True) -> tuple[dict[str, float], int, int]:
    """The nucleolus (over imputations; the prenucleolus with `individually_rational=False`) by the sequential LPs
    of sharing._lexicographic_centre, each by row generation; with the coalitions and separations it took."""
    g = RowGame(values, separate or enumeration(values), individually_rational)
    n = g.n
    fixed: dict[Coalition, float] = {}
    while True:
        t, x = g.stage(fixed)
        free = [c for c in g.rows if c not in fixed]
        tight = [c for c in free if g.vector(c) @ x - g.rows[c] >= t - 1e-9]
        newly = [c for c in tight if not g.can_fall_below(c, t, fixed)] or tight[:1]
        for c in newly:
            fixed[c] = t
        span = np.array([np.ones(n)] + [g.vector(c) for c in fixed])
        if not newly or np.linalg.matrix_rank(span) >= n:
            x = g.stage(fixed)[1]
            return dict(zip(g.players, (x * g.scale).tolist(), strict=True)), len(g.rows), g.separations


def closest_in_core_by_rows(values: Values, separate: Separation, reference: dict[str, float],
                            slack: float) -> dict[str, float]:
    """sharing.closest_in_core over the coalitions found so far, adding the one that objects most beyond `slack`
    at the projection until the separation proves none does."""
    players = values.players
    rows = {c: values.value(c) for c in [*(frozenset([p]) for p in players), frozenset(players)]}
    while True:
        x = closest_in_core(Game(players, dict(rows), {}), reference, slack)
        vec = np.array([x[p] for p in players])
        tol = tolerance(Game(players, dict(rows), {}))
        c, _excess, bound = separate(vec, set(rows), slack + tol)
        if c is None or bound <= slack + tol or c in rows:
            return x
        rows[c] = values.value(c)


def core_verdict_by_rows(values: Values, x: dict[str, float], separate: Separation | None = None,
                         ) -> tuple[bool, Coalition | None, float]:
    """Is x in the core? (True, None, largest excess) when the oracle's bound proves no coalition objects, else
    (False, the coalition that objects most, its excess). A tolerance of the game's size absorbs LP rounding."""
    sep = separate or enumeration(values)
    vec = np.array([x[p] for p in values.players])
    game_tol = tolerance(Game(values.players, dict(values.known), {}))
    c, excess, bound = sep(vec, {frozenset(values.players)}, game_tol)
    if c is None or bound <= game_tol:
        return True, None, bound
    return False, c, excess


@dataclass
class RowLPs:
    """sharing.EnumeratedLPs by row generation over `separate`: what sharing.allocate asks of the core's LPs."""

    values: Values
    separate: Separation

    def nucleolus(self) -> dict[str, float]:
        return nucleolus_by_rows(self.values, self.separate)[0]

    def prenucleolus(self) -> dict[str, float]:
        return nucleolus_by_rows(self.values, self.separate, individually_rational=False)[0]

    def slack(self) -> float:
        return least_core_by_rows(self.values, self.separate)[0]

    def project(self, reference: dict[str, float], slack: float) -> dict[str, float]:
        return closest_in_core_by_rows(self.values, self.separate, reference, slack)
