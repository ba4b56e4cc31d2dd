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
from .sharing import NoImputation, _add_rows, _highs, _solve, closest_in_core, least_core_slack, tolerance


def values_of(game: Game) -> Values:
    """A game whose every value is known (a file, a closed form, an enumerated game)."""
    return Values(list(game.players), lambda cs: {c: game.value[c] for c in cs}, dict(game.value))


# ---- separation -------------------------------------------------------------------------------------------------

# (x USD/yr, coalitions excluded, a threshold USD/yr or None) -> (the coalition of largest excess found or None, its
# excess, a bound on every excess not excluded); with a threshold it may return the first coalition that beats it
Separation = Callable[[np.ndarray, set[Coalition], float | None], tuple[Coalition | None, float, float]]


def noise_of(separate: Separation) -> float:
    """USD/yr: how far the oracle's excesses may lie above those of the values it was given (its `noise_usd`): a
    MILP over the stockpile model finds each coalition's optimum, the coalitions' own solves an incumbent within
    their gap; 0 for an oracle over known values."""
    noise = getattr(separate, "noise_usd", None)
    return float(noise()) if callable(noise) else 0.0


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


class Restage(Exception):
    """A row found while fixing a stage's coalitions leaves no point with every excess at the stage's t."""


# ---- LPs over the coalitions found so far ---------------------------------------------------------------------

@dataclass
class RowGame:
    """The coalitions found so far, in scaled units (largest |v| seen = 1), and the LPs of the nucleolus over them."""

    values: Values
    separate: Separation
    individually_rational: bool = False
    rows: dict[Coalition, float] = field(default_factory=dict)  # coalition -> v(C), scaled
    separations: int = 0  # calls of the oracle
    # scaled: the most by which a coalition not found may still exceed a stage's t (0 when the oracle is exact, the
    # values' own gap for a MILP's, more where a MILP stopped at its time limit short of a proof)
    unproved: float = 0.0
    _grew_since_stage: bool = field(default=False, repr=False)  # rows added after the last stage's t was found
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
        for a game of solved values, is called only when none of them objects, to find one or prove none does.
        The oracle is asked to beat t by more than its values' own gap (noise_of): below that, the coalition it
        finds objects only because its MILP found a better plan than the coalition's own solve, and no row of
        the LP would change; what it leaves unproved is kept in `unproved`."""
        beyond = t + 1e-9 * max(1.0, abs(t))
        c = self._known_violation(x, beyond, fixed)
        if c is not None:
            self.add(c)
            return True
        self.separations += 1
        threshold = beyond + noise_of(self.separate) / self.scale
        c, _excess, bound = self.separate(x * self.scale, set(fixed) | set(self.rows) | {self.grand},
                                          threshold * self.scale)
        if c is None or bound / self.scale <= threshold or c in self.rows or not self._objects(c, x, beyond):
            # none objects beyond the values' gap, or the one found is a row already or does not object by its own
            # value (a loose bound, not a new row): how far past t a coalition not found may be is all we know
            self.unproved = max(self.unproved, bound / self.scale - t)
            return False
        self.add(c)
        return True

    def _objects(self, c: Coalition, x: np.ndarray, beyond: float) -> bool:
        """Does c's excess at x beat `beyond` by its own solved value (scaled)?"""
        return float(self.vector(c) @ x) - self.values.value(c) / self.scale > beyond

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
                self._grew_since_stage = False
                return t, x

    def can_fall_below(self, c: Coalition, t: float, fixed: dict[Coalition, float]) -> bool:
        """Is there a point of the stage's optimal face (every free excess <= t) where e(C) < t? (rows added until
        the minimising point violates no coalition). Raises Restage when a row added here leaves no point with
        every excess <= t: the stage's t was the least over the rows then known, within the values' gap, and a
        coalition found since needs more."""
        while True:
            try:
                _, x = self._lp(self.vector(c), fixed, t)
            except RuntimeError:
                if self._grew_since_stage:
                    raise Restage from None
                raise
            if not self._violated(x, t, fixed):
                return float(self.vector(c) @ x) - self.rows[c] < t - 1e-9
            self._grew_since_stage = True


def least_core_by_rows(values: Values, separate: Separation | None = None) -> tuple[float, dict[str, float], int]:
    """t* (USD/yr: <= 0 iff the core is non-empty), a least-core point, and the coalitions the LP needed."""
    return least_core_of(RowGame(values, separate or enumeration(values)))


def least_core_of(g: RowGame) -> tuple[float, dict[str, float], int]:
    """least_core_by_rows on a RowGame made for it (its `unproved` then says how surely)."""
    t, x = g.stage({})
    return t * g.scale, dict(zip(g.players, (x * g.scale).tolist(), strict=True)), len(g.rows)


def nucleolus_by_rows(values: Values, separate: Separation | None = None,
                      individually_rational: bool = True) -> tuple[dict[str, float], int, int]:
    """The nucleolus (over imputations; the prenucleolus with `individually_rational=False`) by the sequential LPs
    of sharing._lexicographic_centre, each by row generation; with the coalitions and separations it took."""
    return nucleolus_of(RowGame(values, separate or enumeration(values), individually_rational))


def nucleolus_of(g: RowGame) -> tuple[dict[str, float], int, int]:
    """nucleolus_by_rows on a RowGame made for it (its `unproved` then says how surely)."""
    n = g.n
    fixed: dict[Coalition, float] = {}
    while True:
        t, x = g.stage(fixed)
        free = [c for c in g.rows if c not in fixed]
        tight = [c for c in free if g.vector(c) @ x - g.rows[c] >= t - 1e-9]
        try:
            newly = [c for c in tight if not g.can_fall_below(c, t, fixed)] or tight[:1]
        except Restage:  # a coalition found within the values' gap raises this stage's t: solve it again
            continue
        for c in newly:
            fixed[c] = t
        span = np.array([np.ones(n)] + [g.vector(c) for c in fixed])
        if not newly or np.linalg.matrix_rank(span) >= n:
            x = g.stage(fixed)[1]
            return dict(zip(g.players, (x * g.scale).tolist(), strict=True)), len(g.rows), g.separations


def closest_in_core_by_rows(values: Values, separate: Separation, reference: dict[str, float],
                            slack: float) -> tuple[dict[str, float], float]:
    """sharing.closest_in_core over the coalitions found so far, adding the one that objects most beyond `slack`
    at the projection (a known coalition first, else the separation's) until the separation proves none does by
    more than its values' gap; with how far past `slack` a coalition not found may still be, USD/yr."""
    players = values.players
    rows = {c: values.value(c) for c in [*(frozenset([p]) for p in players), frozenset(players)]}
    while True:
        held = Game(players, dict(rows), {})
        # the least core over these rows may lie above `slack` (found within the values' gap) by a row found since
        x = closest_in_core(held, reference, max(slack, least_core_slack(held)))
        vec = np.array([x[p] for p in players])
        tol = tolerance(held)
        known = [(sum(x[p] for p in c) - v, c) for c, v in values.known.items() if c and c not in rows]
        worst = max(known, key=lambda e: e[0], default=None)
        if worst is not None and worst[0] > slack + tol:
            rows[worst[1]] = values.known[worst[1]]
            continue
        threshold = slack + tol + noise_of(separate)
        c, _excess, bound = separate(vec, set(rows), threshold)
        if c is None or bound <= threshold or c in rows or sum(x[p] for p in c) - values.value(c) <= slack + tol:
            return x, max(0.0, bound - slack)
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
    """sharing.EnumeratedLPs by row generation over `separate`: what sharing.allocate asks of the core's LPs, each
    solved once (the least core's slack is asked for by several rules and by the core's existence)."""

    values: Values
    separate: Separation
    unproved_usd: float = 0.0  # the most any of its LPs left unproved (RowGame.unproved), USD/yr
    _slack: float | None = field(default=None, repr=False)
    _nucleoli: dict[bool, dict[str, float]] = field(default_factory=dict, repr=False)
    _projected: bool = field(default=False, repr=False)  # a projection onto the least core (least_core, optimised)

    def _game(self, individually_rational: bool = False) -> RowGame:
        return RowGame(self.values, self.separate, individually_rational)

    def _note(self, g: RowGame) -> None:
        self.unproved_usd = max(self.unproved_usd, g.unproved * g.scale)

    def _nucleolus(self, individually_rational: bool) -> dict[str, float]:
        if individually_rational not in self._nucleoli:
            g = self._game(individually_rational)
            self._nucleoli[individually_rational] = nucleolus_of(g)[0]
            self._note(g)
        return self._nucleoli[individually_rational]

    def nucleolus(self) -> dict[str, float]:
        return self._nucleolus(True)

    def prenucleolus(self) -> dict[str, float]:
        return self._nucleolus(False)

    def slack(self) -> float:
        if self._slack is None:
            g = self._game()
            self._slack = least_core_of(g)[0]
            self._note(g)
        return self._slack

    def solved(self) -> list[str]:
        """The LPs solved so far, as the summary names them."""
        return [name for name, done in (("the least core", self._slack is not None or self._projected),
                                        ("the nucleolus", True in self._nucleoli),
                                        ("the prenucleolus", False in self._nucleoli)) if done]

    def project(self, reference: dict[str, float], slack: float) -> dict[str, float]:
        x, unproved = closest_in_core_by_rows(self.values, self.separate, reference, slack)
        self.unproved_usd, self._projected = max(self.unproved_usd, unproved), True
        return x
