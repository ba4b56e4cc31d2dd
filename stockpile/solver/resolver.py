"""One re-solver for everything that solves many variants of one model that does not separate by
mineral (sweep points of such models; models that do are solved by mineral, pipeline.run): build
once, change mutable coefficients, re-solve, read results. It rebuilds only when the data's
structure key changes (model.structure_key, derived from the schema's column roles)."""

from __future__ import annotations

import time

from pyomo.common.gc_manager import PauseGC

from ..io.data import ModelData
from ..model import build_model, structure_key, update_coefficients
from .facts import SolverFacts
from .highs import configure, make_solver, solve_model
from .results import Results, extract


class Resolver:
    def __init__(self, threads: int | None = None):
        # HiGHS fixes its thread count per OS thread at first use (HiGHS #3141): set it only in fresh workers
        self.threads = threads
        self.model = None
        self._opt = None
        self._key: str | None = None
        self.builds = 0
        self.rebuilt = False  # did the last solve build the model?
        self.build_s = 0.0

    def solve(self, data: ModelData) -> SolverFacts:
        """Solve `data`, re-using the built model when its structure is the same."""
        key = structure_key(data)
        self.rebuilt = key != self._key
        if self.rebuilt:
            t0 = time.perf_counter()
            with PauseGC():  # millions of small objects, no cycles worth collecting mid-build
                self.model = build_model(data, mutable=True)
            self._opt, self._key = make_solver(data, self.threads), key
            self.builds += 1
            self.build_s = time.perf_counter() - t0
        else:
            update_coefficients(self.model, data)
            configure(self._opt, data, self.threads)
        facts = solve_model(self.model, data, opt=self._opt)
        if self.rebuilt:
            facts.seconds["build"] = self.build_s
        return facts

    def results(self, data: ModelData, facts: SolverFacts) -> Results:
        """The tables of the last solve."""
        with PauseGC():
            return extract(self.model, data, facts)
