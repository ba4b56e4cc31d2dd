"""The Shapley value by sampling (docs/formulation.md, "The coalition game at scale") over values computed on demand,
each coalition once. Apart from game.py, which plays a sampled game with it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

Coalition = frozenset[str]

Z95 = 1.959963984540054


@dataclass
class Values:
    """v(C) on demand: `compute` solves a batch of coalitions at once (side by side where it can); each is solved
    once and kept."""

    players: list[str]
    compute: Callable[[list[Coalition]], dict[Coalition, float]]
    known: dict[Coalition, float] = field(default_factory=dict)
    solved: int = 0

    def get(self, coalitions: Iterable[Coalition]) -> dict[Coalition, float]:
        wanted = [c for c in dict.fromkeys(coalitions) if c and c not in self.known]
        if wanted:
            self.known.update(self.compute(wanted))
            self.solved += len(wanted)
        return self.known

    def value(self, c: Coalition) -> float:
        return 0.0 if not c else self.get([c])[c]


# ---- Shapley value by sampling --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShapleyEstimate:
    value: dict[str, float]
    low: dict[str, float]  # 95% interval
    high: dict[str, float]
    permutations: int
    coalitions: int  # distinct coalitions whose values it used


def sampled_shapley(values: Values, samples: int = 1000, seed: int = 0, half_width: float | None = None,
                    batch: int = 100) -> ShapleyEstimate:
    """Marginal contributions along random orders of the players, each drawn with its reverse (antithetic pairs:
    a player early in one is late in the other, which cancels much of the spread; Castro, Gomez and Tejada 2009;
    Mitchell et al. 2022). The estimate is the mean over orders, efficient by construction (each order's
    contributions sum to v(N)); its interval the mean +- 1.96 x the spread of the pairs' means / sqrt(pairs).
    `samples` orders (rounded up to pairs, at least two), or with `half_width` (USD/yr) as many as bring every
    party's interval within it (at most `samples`). Values are solved a batch of orders at a time, each coalition
    once."""
    players = values.players
    n = len(players)
    rng = np.random.default_rng(seed)
    pairs: list[np.ndarray] = []  # per antithetic pair: the players' mean marginal contribution
    wanted_pairs = max(2, math.ceil(samples / 2))  # two pairs at least: one has no spread to state an interval by
    while len(pairs) < wanted_pairs:
        orders = [rng.permutation(n) for _ in range(min(batch, wanted_pairs - len(pairs)))]
        both = [o for order in orders for o in (order, order[::-1])]
        prefixes = [frozenset(players[j] for j in o[:k]) for o in both for k in range(1, n + 1)]
        known = values.get(prefixes)
        for a in range(0, len(both), 2):
            contribution = np.zeros(n)
            for o in both[a:a + 2]:
                before = 0.0
                for k in range(n):
                    now = known[frozenset(players[j] for j in o[:k + 1])]
                    contribution[o[k]] += (now - before) / 2
                    before = now
            pairs.append(contribution)
        if half_width is not None and len(pairs) >= 2:
            spread = np.array(pairs).std(axis=0, ddof=1) / math.sqrt(len(pairs))
            if (Z95 * spread).max() <= half_width:
                break
    arr = np.array(pairs)
    mean = arr.mean(axis=0)
    half = Z95 * arr.std(axis=0, ddof=1) / math.sqrt(len(arr)) if len(arr) > 1 else np.full(n, np.inf)
    return ShapleyEstimate(dict(zip(players, mean.tolist(), strict=True)),
                           dict(zip(players, (mean - half).tolist(), strict=True)),
                           dict(zip(players, (mean + half).tolist(), strict=True)), 2 * len(arr), len(values.known))
