"""What the joint pool saves: the optimum with every party on its own minus the optimum with the pool, with the
precision of that difference (both solves' gaps). By mineral where the national-only model separates: each
mineral's solve a job of its own (what_if.py), proved to mip_rel_gap on its own, so that the total is too."""

from __future__ import annotations

from collections.abc import Hashable
from functools import partial

from ..common.progress import step
from ..io.data import ModelData
from ..model.scenario_tree import build_tree
from ..solver.decompose import reusable, subproblems, why_not_separable
from ..solver.facts import SolverFacts
from ..solver.pipeline import assemble, run, run_as_one_model
from ..solver.results import Results, facts_of
from .what_if import Answer, Job, Plan, run_plans, work_of

NAME = "pooling saving"
WHOLE = "national only"  # the key of the one job when the national-only model does not separate


def pooling_saving(data: ModelData, res: Results, workers: int = 1) -> dict[str, float] | None:
    """What the joint pool saves (see pooling_plan), its jobs `workers` at a time."""
    return run_plans([pooling_plan(data, res)], workers)[0]  # type: ignore[return-value]


def pooling_plan(data: ModelData, res: Results) -> Plan:
    """The national-only solves, and from their answers {"pooling_saving_usd_per_yr": the optimum with every
    party on its own (joint_member no) minus this one, "pooling_saving_precision_usd_per_yr": both gaps};
    None when no party may join the pool."""
    if not data.eligible_members():
        return Plan(NAME, [], lambda _answers: None)
    national = data.with_parties(**{p: {"joint_member": "no"} for p in data.parties})
    if why_not_separable(national) is not None:
        return Plan(NAME, [Job(WHOLE, float("inf"), partial(_whole, national))],
                    lambda answers: _saving(res, facts_of(answers[WHOLE])))
    subs = subproblems(national, build_tree(national))
    options = {"mip_rel_gap": data.settings.mip_rel_gap}
    jobs = [Job(name, work_of(sub), partial(_part, name, sub, sub_tree, options))
            for name, (sub, sub_tree) in subs.items()]
    return Plan(NAME, jobs, partial(_finish, national, res, list(subs)))


def _whole(national: ModelData) -> SolverFacts:
    step("what pooling saves: solving with national stocks only")
    return run(national, warnings=False, detail=False).facts


def _part(name: str, sub: ModelData, tree, options: dict) -> Answer:
    step(f"what pooling saves: {name} with national stocks only")
    return reusable(sub, tree, options, detail=False)  # no warm start: without the pool's columns none would fit


def _finish(national: ModelData, res: Results, names: list[str], answers: dict[Hashable, Answer]) -> dict[str, float]:
    merged = assemble(national, national, [answers[name] for name in names])
    if merged is None:  # a budget binds across minerals: only the one model says what the parties do alone
        merged = run_as_one_model(national, "a budget binds across minerals", detail=False)
    return _saving(res, merged.facts)


def _saving(res: Results, alone: SolverFacts) -> dict[str, float]:
    return {"pooling_saving_usd_per_yr": alone.value - res.facts.value,
            "pooling_saving_precision_usd_per_yr": alone.gap_usd_per_yr + res.facts.gap_usd_per_yr}
