"""The joint-stockpile coalition game (docs/formulation.md, "The coalition game"): v(C) for every non-empty coalition
of the parties eligible for the pool, from ONE built model re-solved by HiGHS.

Membership is data: `PartyWeight[p]` is 1 for p in C and 0 outside (so v(C) counts
only C's costs) and `Member[p]` is fixed to 1 inside C and 0 outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import pandas as pd
from .data import ModelData
from .resolver import Resolver
from .results import Results
from .highs import SolverFacts

Coalition = frozenset[str]


class CoalitionUnsolved(Exception):
    """HiGHS stopped without any feasible solution for a coalition: the game has no value for it."""


def all_coalitions(players: list[str]) -> list[Coalition]:
    """Every non-empty coalition, smallest first (singletons, pairs, ..., the grand coalition)."""
    return [frozenset(c) for r in range(1, len(players) + 1) for c in combinations(players, r)]


def coalition_name(c: Coalition, order: list[str]) -> str:
    return "+".join(p for p in order if p in c)


@dataclass
class Game:
    players: list[str]
    value: dict[Coalition, float]  # v(C), USD/yr (expected annual cost)
    facts: dict[Coalition, SolverFacts]
    grand: Results | None = None  # the grand coalition's full results (who holds what)

    @property
    def grand_coalition(self) -> Coalition:
        return frozenset(self.players)

    def coalitions(self, proper: bool = False) -> list[Coalition]:
        return [c for c in all_coalitions(self.players) if not proper or c != self.grand_coalition]

    def table(self) -> pd.DataFrame:
        rows = []
        for c in self.coalitions():
            f = self.facts[c]
            rows.append({"coalition": coalition_name(c, self.players), "size": len(c),
                         "cost_usd_per_yr": self.value[c],
                         "standalone_sum_usd_per_yr": sum(self.value[frozenset([p])] for p in c),
                         "saving_usd_per_yr": sum(self.value[frozenset([p])] for p in c) - self.value[c],
                         "best_bound_usd_per_yr": f.best_bound_usd_per_yr, "relative_gap": f.relative_gap,
                         "status": f.status, "highs_s": f.seconds.get("highs", 0.0)})
        return pd.DataFrame(rows)


def game_from_values(values: dict[str, float]) -> Game:
    """A game given on paper: {"A": 10, "A+B": 15, ...} (tests, what-ifs)."""
    value = {frozenset(k.split("+")): float(v) for k, v in values.items()}
    players = sorted({p for c in value for p in c})
    facts = {c: SolverFacts("given", "given", True, v, v, 0.0, 0.0, 0.0) for c, v in value.items()}
    return Game(players, value, facts)


def play(data: ModelData, threads: int | None = None, progress=None) -> Game:
    """Solve v(C) for all 2^n - 1 coalitions of eligible parties on one re-solved model."""
    players = data.eligible_members()
    if not players:
        raise ValueError("no party may join the joint pool (joint_member is 'no' for all)")
    # the game is among eligible parties only; membership is then fixed per coalition
    data = data.only_parties(players).with_parties(**{p: {"joint_member": "optional"} for p in players})
    solver = Resolver(threads)
    value, facts, grand_results = {}, {}, None
    order = all_coalitions(players)
    for i, c in enumerate(order):
        f = solver.solve(data, coalition=c)
        if not f.has_solution:
            from .pipeline import advice

            raise CoalitionUnsolved(f"coalition {coalition_name(c, players)}: HiGHS stopped ({f.termination}) "
                                    f"without a feasible solution; {advice(f)}")
        value[c], facts[c] = f.objective_usd_per_yr, f
        if c == frozenset(players):  # all weights are 1 here: the full results of the pooled optimum
            grand_results = solver.results(data, f)
        if progress:
            progress(i + 1, len(order), coalition_name(c, players))
    return Game(players, value, facts, grand_results)
