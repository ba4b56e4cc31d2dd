"""The HiGHS adapter: the options every solve gets (one place), the vectorised hand-over of a Pyomo model to
HiGHS and its answer back, and Pyomo's persistent interface for models re-solved after their coefficients
change. Every solve's facts (facts.py) come back with it."""

from __future__ import annotations

import time
from typing import Any

import highspy
import numpy as np
import pyomo
import pyomo.environ as pyo
import scipy.sparse  # noqa: F401  imported here so a solve's hand-over time is not charged for it
from pyomo.common.tee import capture_output
from pyomo.contrib.solver.common.results import SolutionStatus
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from ..io.data import ModelData
from .facts import SolverFacts, relative_gap, status_of
from .starts import start_of
from .threads import run_interruptibly

# HiGHS prints its banner when the process creates its first Highs: swallow it here, once, at import,
# because swapping sys.stdout later (capture_output) races with threads writing progress to stderr
with capture_output(capture_fd=True):
    highspy.Highs()


class InterruptibleHighs(Highs):
    """Pyomo's persistent HiGHS interface, with every run interruptible (see run_interruptibly)."""

    def set_instance(self, model):
        super().set_instance(model)
        h = self._solver_model
        h.run = lambda: run_interruptibly(h)


# The options of every decomposed subproblem (aggregate lots, decompose.py), chosen by bench/highs_options.py on
# the bundled workbook's subproblems (README, "HiGHS options"): HiGHS seconds summed over a default solve's 31
# subproblem solves, median of 3 seeds, 83.5 s with HiGHS's defaults -> 41.2 s. The RINS and RENS sub-MIPs took
# half of each root's time, and twice as long under one seed as another, for incumbents stage B of aggregate lots
# finds anyway; strong branching (pseudo-costs trusted after 0 observations, not 8) spent more LP iterations on
# these few-integer models than the branching it guided saved.
# One thread each: subproblems run side by side (`--workers`, default the number of cores), and the answer must
# not depend on how many run at once (HiGHS's choice among equal optima depends on its thread count). Two runs of
# the magnet group at 1e-4 at once take 4.7 s with one thread each, 6.2 s with HiGHS's default.
SUBPROBLEM_OPTIONS: dict = {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False,
                            "mip_pscost_minreliable": 0, "threads": 1}


def highs_options(data: ModelData, options: dict | None = None, threads: int | None = None) -> dict:
    """The HiGHS options of a solve, the one place they are decided: the data's time limit and gap, the thread
    count where one is asked for (HiGHS's own default otherwise), then `options` on top (e.g. a decomposed
    subproblem's share of the gap)."""
    chosen: dict = {"time_limit": float(data.settings.time_limit_s), "mip_rel_gap": float(data.settings.mip_rel_gap)}
    if threads:
        chosen["threads"] = int(threads)
    return {**chosen, **(options or {})}


def make_solver(data: ModelData, threads: int | None = None) -> Highs:
    """A persistent interface with the data's options (configure)."""
    opt = InterruptibleHighs()
    opt.config.load_solutions = False
    opt.config.raise_exception_on_nonoptimal_result = False
    return configure(opt, data, threads)


def configure(opt: Highs, data: ModelData, threads: int | None = None) -> Highs:
    """Set (or reset, for a re-solve with other settings) a persistent interface's HiGHS options."""
    opt.config.solver_options = highs_options(data, threads=threads)
    return opt


def solve_model(model: pyo.ConcreteModel, data: ModelData, opt: Highs | None = None,
                threads: int | None = None) -> SolverFacts:
    """Persistent interface: hand the model to HiGHS, or re-solve one already handed over after its
    mutable Params changed (sweeps, the coalition game), and load the solution."""
    opt = opt or make_solver(data, threads)
    # HiGHS's run time is cumulative over a persistent object's runs: keep this run's share
    before = opt._solver_model.getRunTime() if opt._solver_model is not None else 0.0
    res = opt.solve(model)
    timer = res.timing_info.timer
    handover = _timer_total(timer, "set_instance") + _timer_total(timer, "update")
    highs_s = float(res.timing_info.highs_time or 0.0) - before
    has_solution = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    termination = opt._solver_model.getModelStatus().name
    status = status_of(termination, has_solution)
    t0 = time.perf_counter()
    if has_solution:
        res.solution_loader.load_vars()
    load_s = time.perf_counter() - t0

    objective = res.incumbent_objective if has_solution else None
    bound = res.objective_bound
    n_int = sum(1 for v in model.component_data_objects(pyo.Var, active=True) if v.is_integer() and not v.fixed)
    return SolverFacts(
        status=status, termination=termination, has_solution=has_solution, objective_usd_per_yr=objective,
        best_bound_usd_per_yr=bound, relative_gap=relative_gap(objective, bound),
        mip_rel_gap_setting=data.settings.mip_rel_gap, time_limit_s=data.settings.time_limit_s,
        seconds={"handover": handover, "highs": highs_s, "load": load_s},
        variables=opt._solver_model.getNumCol(), integer_variables=n_int, constraints=opt._solver_model.getNumRow(),
        highs_version=".".join(map(str, opt.version())), pyomo_version=pyomo.version.version,
        **_inputs(data))


def solve_direct(model: pyo.ConcreteModel, data: ModelData, write_model: str | None = None,
                 threads: int | None = None, options: dict | None = None) -> SolverFacts:
    """One-off solve with a vectorised hand-over: Pyomo's standard-form compiler turns the model
    into sparse matrices, passed to HiGHS in one call; the solution goes back into the Pyomo
    variables. Much faster than the persistent interface's row-by-row set-up on large models;
    use solve_model when the model will be changed and re-solved."""
    t0 = time.perf_counter()
    form, lp, integer = compile_model(model)
    h = new_highs(lp, data, options, threads)
    seconds = {"handover": time.perf_counter() - t0, "write_model": 0.0}
    if write_model:
        t2 = time.perf_counter()
        h.writeModel(str(write_model))
        seconds["write_model"] = time.perf_counter() - t2
    run_interruptibly(h)
    return loaded(h, form, lp, integer, data, {**seconds, "highs": h.getRunTime()})


def compile_model(model: pyo.ConcreteModel) -> tuple:
    """(Pyomo's standard form, the HighsLp, which columns are integer)."""
    form = LinearStandardFormCompiler().write(model, mixed_form=True)  # pauses GC itself
    lp, integer = _highs_lp(form)
    return form, lp, integer


def new_highs(lp: highspy.HighsLp, data: ModelData, options: dict | None = None,
              threads: int | None = None) -> highspy.Highs:
    """A quiet HiGHS holding `lp`, with the data's time limit and gap, then `options` on top."""
    h = highspy.Highs()  # silent: the process's first one, created at import, took the banner
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    for key, value in highs_options(data, options, threads).items():
        h.setOptionValue(key, value)
    return h


def load_solution(form, values) -> None:
    """HiGHS's column values into the Pyomo variables they came from (columns HiGHS was given on top of
    the compiled model, such as lots.py's totals, are left out)."""
    for v, x in zip(form.columns, values[: len(form.columns)], strict=True):
        v.set_value(x, skip_validation=True)


def loaded(h: highspy.Highs, form, lp: highspy.HighsLp, integer: np.ndarray, data: ModelData,
           seconds: dict) -> SolverFacts:
    """A finished run's answer, if it has one, in the Pyomo variables; its facts, load time included."""
    t1 = time.perf_counter()
    start = None
    if h.getInfo().primal_solution_status == 2 and lp.num_col_:
        values = h.getSolution().col_value
        load_solution(form, values)
        start = start_of(integer, values)  # for a re-solve of the same model with other numbers (starts.py)
    facts = facts_from(h, lp, integer, data, {**seconds, "load": time.perf_counter() - t1})
    facts.start = start
    return facts


def facts_from(h: highspy.Highs, lp: highspy.HighsLp, integer: np.ndarray, data: ModelData,
               seconds: dict) -> SolverFacts:
    """The SolverFacts of a finished HiGHS run on `lp`."""
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2
    status = status_of(h.getModelStatus().name, has_solution)
    if lp.num_col_ == 0:  # nothing to decide (no exposure, no stock): HiGHS says kModelEmpty; the answer is 0
        status, has_solution = "optimal", True
    objective = None if not has_solution else info.objective_function_value if lp.num_col_ else lp.offset_
    bound = info.mip_dual_bound if integer.any() else objective
    if bound is not None and not np.isfinite(bound):  # stopped before any bound (e.g. at once at a time limit)
        bound = None
    return SolverFacts(
        status=status, termination=h.getModelStatus().name, has_solution=has_solution,
        objective_usd_per_yr=objective, best_bound_usd_per_yr=bound, relative_gap=relative_gap(objective, bound),
        mip_rel_gap_setting=data.settings.mip_rel_gap, time_limit_s=data.settings.time_limit_s, seconds=seconds,
        variables=lp.num_col_, integer_variables=int(integer.sum()), constraints=lp.num_row_,
        highs_version=f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}",
        pyomo_version=pyomo.version.version, **_inputs(data))


def highs_lp(cost: np.ndarray, col_lower: np.ndarray, col_upper: np.ndarray, row_lower: np.ndarray,
             row_upper: np.ndarray, matrix, offset: float = 0.0) -> highspy.HighsLp:
    """An LP as HiGHS takes it: costs, bounds, and the constraint matrix (any scipy sparse) column-wise."""
    a = matrix.tocsc()
    lp = highspy.HighsLp()
    lp.num_row_, lp.num_col_ = a.shape
    lp.offset_ = offset
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, col_lower, col_upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    return lp


def _highs_lp(form) -> tuple[highspy.HighsLp, np.ndarray]:
    """The standard form as a HighsLp (column-wise matrix), and which columns are integer."""
    cols = form.columns
    n_cols = form.A.shape[1]
    inf = highspy.kHighsInf
    kind = np.array([r.bound_type for r in form.rows])  # 0: ==, 1: <=, -1: >=
    rhs = np.asarray(form.rhs, dtype=float)
    lp = highs_lp(cost=form.c.toarray()[0] if form.c.shape[0] else np.zeros(n_cols),
                  col_lower=np.array([-inf if v.lb is None else v.lb for v in cols], dtype=float),
                  col_upper=np.array([inf if v.ub is None else v.ub for v in cols], dtype=float),
                  row_lower=np.where(kind == 1, -inf, rhs), row_upper=np.where(kind == -1, inf, rhs),
                  matrix=form.A, offset=float(form.c_offset[0]) if len(form.c_offset) else 0.0)
    integer = np.array([v.is_integer() for v in cols], dtype=bool)
    if integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in integer]
    return lp, integer


def _inputs(data: ModelData) -> dict[str, Any]:
    """Provenance of a result: workbook and run specification, each with its sha256."""
    return {"inputs": data.source, "inputs_sha256": data.sha256, "run_spec": data.run_spec,
            "run_spec_sha256": data.run_spec_sha256}


def _timer_total(timer, name: str) -> float:
    try:
        return float(timer.get_total_time(name))
    except (KeyError, AttributeError):
        return 0.0
