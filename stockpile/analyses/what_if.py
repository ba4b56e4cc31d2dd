"""The what-if solves of a run (what each binding purchase cap costs, what pooling saves), side by side: each
analysis plans its subproblem solves as jobs, all of them go to one pool of `workers` HiGHS runs, longest
first, and each analysis reads its own answers back. One queue keeps both cores busy to the end, where one
analysis after another would leave a core idle behind each one's slowest solve."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from ..common.progress import advance, expect, step
from ..io.data import ModelData
from ..solver.facts import SolverFacts
from ..solver.results import Results, facts_of
from ..solver.threads import thread_map

Answer = Results | SolverFacts


@dataclass(frozen=True)
class Job:
    """One solve: `key` names it among the plan's answers; `work` orders the queue (larger first)."""

    key: Hashable
    work: float
    solve: Callable[[], Answer]


@dataclass(frozen=True)
class Plan:
    """An analysis as jobs and what to make of their answers (`finish(answers by key)`)."""

    name: str  # the analysis, as solver.json's `what_if_solves` names it
    jobs: Sequence[Job]
    finish: Callable[[dict[Hashable, Answer]], object]


def work_of(sub: ModelData) -> float:
    """How long a subproblem's solve takes, for ordering only: its pairs, twice over where a pool may hold
    stock (the pool's lots and draws double the model); measured order on the bundled workbook: the magnet
    group's re-solves first, then graphite, then the single minerals."""
    return float(len(sub.pairs) * (2 if sub.eligible_members() else 1))


def run_plans(plans: Sequence[Plan], workers: int, log: list[dict] | None = None) -> list[object]:
    """Every plan's jobs in one queue (longest first, `workers` at a time), then each plan's finish, in order.
    `log` gets a line per solve: analysis, solve, status, HiGHS seconds and the seconds of our own work."""
    jobs = sorted(((i, job) for i, plan in enumerate(plans) for job in plan.jobs), key=lambda ij: -ij[1].work)
    answers: list[dict[Hashable, Answer]] = [{} for _ in plans]
    eta = Estimate([job.work for _i, job in jobs])
    expect(sum(eta.work))  # the command's bar: the queue's work, in the unit subproblems use (their pairs)
    for k, ((i, job), answer) in enumerate(zip(jobs, thread_map(_solve, [(job,) for _i, job in jobs], workers),
                                               strict=True)):
        answers[i][job.key] = answer
        advance(eta.work[k])
        step(f"extra solves: {k + 1}/{len(jobs)} done ({plans[i].name}: {job.key}){eta.left(k)}")
        if log is not None:
            facts = facts_of(answer)
            highs = facts.seconds.get("highs", 0.0)
            ours = sum(v for k, v in facts.seconds.items() if k not in ("highs", "total", "read"))
            log.append({"analysis": plans[i].name, "solve": str(job.key), "status": facts.status,
                        "highs_s": round(highs, 3), "own_s": round(ours, 3)})
    return [plan.finish(answers[i]) for i, plan in enumerate(plans)]


class Estimate:
    """Time left in a queue of jobs of known relative work, at the pace so far per unit of work (a plain count
    would promise too little when the large jobs come first, or too much when they come last)."""

    def __init__(self, work: Sequence[float]):
        finite = [w for w in work if math.isfinite(w)]
        fallback = max(finite, default=1.0)
        self.work = [w if math.isfinite(w) else fallback for w in work]
        self.t0 = time.perf_counter()

    def left(self, done_index: int) -> str:
        """'; ~N s left at this pace' after job `done_index` (0-based) finished, or '' at the end."""
        done = sum(self.work[: done_index + 1])
        rest = sum(self.work[done_index + 1:])
        if rest <= 0 or done <= 0:
            return ""
        return f"; ~{(time.perf_counter() - self.t0) / done * rest:.0f} s left at this pace"


def _solve(job: Job) -> Answer:
    return job.solve()
