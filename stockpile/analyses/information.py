"""What knowing the future is worth (formulation, "Uncertain durations"): the expected value of
perfect information (EVPI) and the value of the stochastic solution (VSS), each from extra solves."""

from __future__ import annotations

from dataclasses import replace

from ..common.progress import step
from ..io.data import ModelData, Scenario
from ..model.scenario_tree import build_tree
from ..solver.pipeline import run
from ..solver.results import Results


def has_branches(data: ModelData) -> bool:
    return any(s.parent for s in data.scenarios.values())


def value_of_information(data: ModelData, res: Results, workers: int = 1) -> dict[str, float]:
    """evpi = RP - PI: the non-anticipative optimum minus the optimum whose releases know each branch's
    future from month 1 (same stock for all branches); vss = EEV - RP: the plan made for each scenario's
    expected duration, run under the real uncertainty, minus the stochastic optimum. Precisions: the
    solves' gaps summed."""

    rp = res.facts
    step("value of information 1/3: releases that know each branch's future (EVPI)")
    pi = run(data, tree=build_tree(data, perfect_information=True), warnings=False, detail=False,
             workers=workers).facts
    step("value of information 2/3: the plan for each scenario's expected length (VSS)")
    ev = run(expected_value_data(data), warnings=False, detail=False, workers=workers)
    plan = {(r.holder, r.mineral): (float(r.stock_t), r.release_option) for r in ev["stock"].itertuples()}
    step("value of information 3/3: that plan under the real uncertainty")
    eev = run(replace(data, fixed_stock=plan), warnings=False, detail=False, workers=workers).facts
    return {"evpi_usd_per_yr": rp.value - pi.value,
            "evpi_precision_usd_per_yr": rp.gap_usd_per_yr + pi.gap_usd_per_yr,
            "vss_usd_per_yr": eev.value - rp.value,
            "vss_precision_usd_per_yr": rp.gap_usd_per_yr + eev.gap_usd_per_yr}


def expected_value_data(data: ModelData) -> ModelData:
    """Each branched scenario back as one scenario whose uncertain durations are their expected value
    (rounded to a whole month, at least 1), with the scenario's probability."""
    scenarios: dict[str, Scenario] = {}
    events = []
    for sid, sc in data.scenarios.items():
        parent = sc.scenario
        if not sc.parent:
            scenarios[sid] = sc
            events += [e for e in data.events if e.scenario == sid]
        elif parent not in scenarios:
            total = sum(b.probability_per_yr for b in data.scenarios.values() if b.scenario == parent)
            scenarios[parent] = Scenario(parent, total, sc.description)
            events += [replace(e, scenario=parent, duration_months=_expected(e.duration_choices, e.duration_months),
                               duration_choices=()) for e in data.events if e.scenario == sid]
    return replace(data, scenarios=scenarios, events=tuple(events))


def _expected(choices, duration: int) -> int:
    return max(1, round(sum(d * q for d, q in choices))) if choices else duration
