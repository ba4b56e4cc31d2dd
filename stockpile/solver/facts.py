"""What a solve found and how: status, objective, bound, gap, times and model size, kept with every result
(solver.json), and the one mapping from HiGHS's model status to stockpile's statuses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .starts import Start

SECONDS_ARE = ("seconds: each step summed over the solves of the optimum, which run side by side (CPU seconds, "
               "not wall), but seconds.total, which is wall; stage_seconds: wall; what_if_solves: each solve's own")


@dataclass
class SolverFacts:
    status: str  # optimal | time_limit | infeasible | no_solution | error
    termination: str
    has_solution: bool
    objective_usd_per_yr: float | None
    best_bound_usd_per_yr: float | None
    relative_gap: float | None
    mip_rel_gap_setting: float
    time_limit_s: float
    seconds: dict[str, float] = field(default_factory=dict)  # read, build, handover, highs, load, extract, total
    # wall seconds of each stage of `stockpile solve`: optimum, purchase cap costs, pooling saving and assumptions,
    # value of information (the `seconds` above sum over subproblems run side by side, so they can exceed the wall)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # each what-if solve (analyses/what_if.py): analysis, solve, status, HiGHS seconds, our own seconds
    what_if_solves: list = field(default_factory=list)
    variables: int = 0
    integer_variables: int = 0
    constraints: int = 0
    highs_version: str = ""
    pyomo_version: str = ""
    inputs_sha256: str = ""
    inputs: str = ""
    run_spec: str = ""  # the run specification (TOML) that named the workbook and its overrides, if any
    run_spec_sha256: str = ""
    decomposition: str = ""  # how the model was solved: monolithic, or by mineral (and why not, if not)
    subproblems: list = field(default_factory=list)  # per subproblem: name, status, objective, bound, seconds
    proof: str = ""  # how optimality was proved: branch and bound, or aggregate lots (lots.py)
    reused_subproblems: int = 0  # subproblems answered by an identical one solved before (solver.reuse)
    scenario_tree: dict = field(default_factory=dict)  # branches, nodes, nodes_in_month_1
    evpi_usd_per_yr: float | None = None  # expected value of perfect information (branched workbooks)
    evpi_precision_usd_per_yr: float | None = None
    vss_usd_per_yr: float | None = None  # value of the stochastic solution
    vss_precision_usd_per_yr: float | None = None
    pooling_saving_usd_per_yr: float | None = None  # national-only optimum minus this one
    pooling_saving_precision_usd_per_yr: float | None = None
    # the answer as HiGHS's columns, for re-solves to start from (starts.py); a merged answer keeps each
    # subproblem's by name. Neither goes to solver.json.
    start: Start | None = field(default=None, repr=False, compare=False)
    starts: dict[str, Start] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict:
        """Pickled (to another process, or a cluster) without the starts: they serve re-solves in this process."""
        return {**self.__dict__, "start": None, "starts": {}}

    def start_of(self, name: str) -> Start | None:
        """Subproblem `name`'s answer to start a re-solve from: kept by name where subproblems were merged, else
        this answer's own (one model; starts.fits tells whether it fits the re-solve)."""
        return self.starts.get(name, self.start)

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def value(self) -> float:
        """The objective of a solve that found a solution (USD/yr); a solve without one has no value."""
        if self.objective_usd_per_yr is None:
            raise ValueError(f"a solve that stopped {self.status} ({self.termination}) has no objective value")
        return self.objective_usd_per_yr

    @property
    def gap_usd_per_yr(self) -> float:
        """incumbent - best bound: how far the true optimum may lie below the objective (0 without a bound)."""
        if self.objective_usd_per_yr is None or self.best_bound_usd_per_yr is None:
            return 0.0
        return abs(self.objective_usd_per_yr - self.best_bound_usd_per_yr)

    def to_dict(self) -> dict:
        """solver.json: the facts, with what their seconds are (a reader cannot tell summed from wall)."""
        facts = asdict(replace(self, start=None, starts={}))  # the starts are not copied only to be dropped
        del facts["start"], facts["starts"]
        return {"seconds_are": SECONDS_ARE, **facts}


def gap_words(facts: SolverFacts) -> str:
    """'gap 0.12%', or that there is no bound to measure a gap against."""
    if facts.relative_gap is None or not np.isfinite(facts.relative_gap):
        return "no lower bound yet, so the gap is unknown"
    return f"gap {facts.relative_gap:.2%}"


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """HiGHS's definition: |objective - bound| / |objective| (0 when both are 0)."""
    if objective is None or bound is None:
        return None
    diff = abs(objective - bound)
    if diff <= 1e-9:
        return 0.0
    return diff / abs(objective) if abs(objective) > 1e-9 else float("inf")


HIGHS_STATUS = {  # HiGHS's model status -> stockpile's (README, exit codes)
    "kOptimal": "optimal", "kTimeLimit": "time_limit", "kInfeasible": "infeasible",
    "kUnboundedOrInfeasible": "infeasible", "kSolutionLimit": "stopped", "kIterationLimit": "stopped",
    "kInterrupt": "stopped", "kObjectiveBound": "stopped", "kObjectiveTarget": "stopped",
}


def status_of(model_status: str, has_solution: bool) -> str:
    """stockpile's status for a HiGHS model status name (kOptimal, kTimeLimit, ...): a stop without a solution
    is 'no_solution'; anything unknown is 'error'."""
    status = HIGHS_STATUS.get(model_status, "error")
    return "no_solution" if status == "stopped" and not has_solution else status
