"""Core verdicts that survive solver noise. Each coalition value is known only within
[best bound, incumbent] (the solver's proof and its plan); a verdict is one of three:

- blocked by C (proved): x(C) exceeds C's own incumbent plan, which C can carry out alone;
- in the core (proved): x(C) is at most C's bound for every proper coalition C;
- undetermined at this gap: neither, with the interval of the largest excess.

The same for the core itself: non-empty (proved), empty (proved) or undetermined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .game import EXACT_PLAYERS, Coalition, Game, coalition_name
from .game_scale import RowLPs, core_verdict_by_rows, enumeration, values_of
from .sharing import RULES, allocate, least_core_slack, tolerance

IN_CORE, BLOCKED, UNDETERMINED = "in the core (proved)", "blocked (proved)", "undetermined at this gap"


@dataclass(frozen=True)
class CoreExistence:
    status: str  # "non-empty" | "empty" | "undetermined"
    slack_low: float  # least-core slack with coalitions at their incumbents and v(N) at its bound
    slack_high: float  # ... with coalitions at their bounds and v(N) at its incumbent


def core_existence(game: Game) -> CoreExistence:
    """Is the core empty? Proved either way only when every value in the solver's intervals agrees (a sampled
    game with a separation: the least-core slack by row generation, at the solved values)."""
    if game.oracle is not None and game.separate_all:
        lps = row_lps(game)
        slack, tol = lps.slack(), tolerance(game)
        # v(N) at its bound lowers the slack by at most its gap; a coalition not found may exceed the LP's slack by
        # what the separation left unproved (the coalition values' own gap)
        grand = game.grand_coalition
        low, high = slack - (game.value[grand] - game.bound(grand)), slack + lps.unproved_usd
        status = "non-empty" if high <= tol else "empty" if low > tol else "undetermined"
        return CoreExistence(status, low, high)
    grand, tol = game.grand_coalition, tolerance(game)
    optimistic = {c: (game.bound(c) if c == grand else game.value[c]) for c in game.coalitions()}
    pessimistic = {c: (game.value[c] if c == grand else game.bound(c)) for c in game.coalitions()}
    low, high = least_core_slack(game, optimistic), least_core_slack(game, pessimistic)
    if not game.complete:  # over the coalitions solved, the slack is a lower bound: emptiness only can be proved
        high = float("inf")
    status = "non-empty" if high <= tol else "empty" if low > tol else "undetermined"
    return CoreExistence(status, low, high)


def row_lps(game: Game) -> RowLPs:
    """The game's LPs by row generation over its separation, made once and kept on the game (each LP solved once
    however many rules and sentences ask)."""
    assert game.oracle is not None
    if game.row_lps is None:
        game.row_lps = RowLPs(*game.oracle)
    assert isinstance(game.row_lps, RowLPs)
    return game.row_lps


def uncertainty(game: Game) -> float:
    """Largest (incumbent - best bound) over the coalition values, USD/yr."""
    return max(game.value[c] - game.bound(c) for c in game.coalitions())


def excess_intervals(game: Game, x: dict[str, float]) -> list[tuple[Coalition, float, float]]:
    """(C, excess at least, excess at most) for every proper coalition: x(C) - incumbent, x(C) - bound."""
    return [(c, sum(x[p] for p in c) - game.value[c], sum(x[p] for p in c) - game.bound(c))
            for c in game.coalitions(proper=True)]


def rule_verdict(game: Game, x: dict[str, float]) -> tuple[str, list[tuple[Coalition, float]], float, float]:
    """(verdict, proved blocking coalitions with their proved excess, largest excess at least / at most)."""
    tol = tolerance(game)
    intervals = excess_intervals(game, x)
    blocking = [(c, low) for c, low, _ in intervals if low > tol]
    worst_low = max((low for _, low, _ in intervals), default=0.0)
    worst_high = max((high for _, _, high in intervals), default=0.0)
    verdict = BLOCKED if blocking else IN_CORE if worst_high <= tol and game.complete else UNDETERMINED
    if not game.complete and not blocking:  # the coalitions not solved may object: nothing proved either way
        worst_high = float("inf")
    return verdict, blocking, worst_low, worst_high


def _separated_verdict(game: Game, x: dict[str, float]) -> tuple[str, list[tuple[Coalition, float]], float, float]:
    """A sampled game's verdict by the separation: in the core when its bound proves no coalition objects, blocked
    when the coalition it finds objects by its own solved value, else undetermined with the bound."""
    assert game.oracle is not None
    values, sep = game.oracle
    inside, objector, excess = core_verdict_by_rows(values, x, sep)
    tol = tolerance(game)
    if inside:
        return IN_CORE, [], min(excess, 0.0), excess
    if objector is not None and sum(x[p] for p in objector) - game.value[objector] > tol:
        low = sum(x[p] for p in objector) - game.value[objector]
        return BLOCKED, [(objector, low)], low, excess
    return UNDETERMINED, [], 0.0, excess


def _shapley_interval(game: Game, rule: str, p: str, x_p: float) -> dict[str, float]:
    """The Shapley rows' 95% interval: the sampled estimate's, or the exact value twice (nothing to estimate)."""
    if rule != "shapley":
        return {"shapley_ci95_low_usd_per_yr": np.nan, "shapley_ci95_high_usd_per_yr": np.nan}
    est = game.sampled
    return {"shapley_ci95_low_usd_per_yr": est.low[p] if est is not None else x_p,
            "shapley_ci95_high_usd_per_yr": est.high[p] if est is not None else x_p}


def compare(game: Game, data, rules=None, reference: str = "shapley") -> dict[str, pd.DataFrame]:
    """sharing.csv (rule x party) and core_check.csv (rule x coalition); every rule by default."""

    lps: RowLPs | None = None
    if game.oracle is not None and game.separate_all:  # a sampled game: the LPs by row generation, separated
        lps = row_lps(game)
    elif len(game.players) > EXACT_PLAYERS and game.complete:  # beyond 1,023 coalitions: by rows of known values
        values = values_of(game)
        lps = RowLPs(values, enumeration(values))
    allocations = allocate(game, data, RULES if rules is None else rules, reference, lps)
    own = game.own_costs()
    rows, checks = [], []
    tol = tolerance(game)
    for rule, x in allocations.items():
        verdict, blocking, worst_low, worst_high = rule_verdict(game, x)
        if game.oracle is not None and verdict != BLOCKED:  # the separation proves (or finds) what the rest do
            verdict, blocking, worst_low, worst_high = _separated_verdict(game, x)
        for c, low, high in excess_intervals(game, x):
            checks.append({"rule": rule, "coalition": coalition_name(c, game.players),
                           "cost_under_rule_usd_per_yr": sum(x[p] for p in c),
                           "coalition_cost_found_usd_per_yr": game.value[c],
                           "coalition_cost_bound_usd_per_yr": game.bound(c),
                           "excess_at_least_usd_per_yr": low, "excess_at_most_usd_per_yr": high,
                           "blocks": "yes (proved)" if low > tol else "no (proved)" if high <= tol else "undetermined"})
        for p in game.players:
            rows.append({"rule": rule, "party": p, "cost_usd_per_yr": x[p],
                         "contribution_usd_per_yr": x[p] - own[p] if p in own else np.nan,
                         "saving_usd_per_yr": game.value[frozenset([p])] - x[p], "core_verdict": verdict,
                         "in_core_proved": verdict == IN_CORE, "blocked_proved": verdict == BLOCKED,
                         "largest_excess_at_least_usd_per_yr": worst_low,
                         "largest_excess_at_most_usd_per_yr": worst_high,
                         "proved_blocking_coalitions": ", ".join(
                             coalition_name(c, game.players) for c, _ in blocking if p in c),
                         **_shapley_interval(game, rule, p, x[p])})
    return {"sharing": pd.DataFrame(rows), "core_check": pd.DataFrame(checks)}
