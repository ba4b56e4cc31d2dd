"""HiGHS session through Pyomo's persistent interface: solve, and keep every solver
fact (status, termination, objective, bound, gap, times, model size) with the result."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import highspy
import numpy as np
import pyomo
import pyomo.environ as pyo
import scipy.sparse  # noqa: F401  imported here so a solve's hand-over time is not charged for it
from highspy import _core
from pyomo.common.tee import capture_output
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from ..io.data import ModelData

# HiGHS prints its banner when the process creates its first Highs: swallow it here, once, at import,
# because swapping sys.stdout later (capture_output) races with threads writing progress to stderr
with capture_output(capture_fd=True):
    highspy.Highs()


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
    reused_subproblems: int = 0  # subproblems answered by an identical one solved before (decompose.reusable)
    scenario_tree: dict = field(default_factory=dict)  # branches, nodes, nodes_in_month_1
    evpi_usd_per_yr: float | None = None  # expected value of perfect information (branched workbooks)
    evpi_precision_usd_per_yr: float | None = None
    vss_usd_per_yr: float | None = None  # value of the stochastic solution
    vss_precision_usd_per_yr: float | None = None
    pooling_saving_usd_per_yr: float | None = None  # national-only optimum minus this one
    pooling_saving_precision_usd_per_yr: float | None = None

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def gap_usd_per_yr(self) -> float:
        """incumbent - best bound: how far the true optimum may lie below the objective (0 without a bound)."""
        if self.objective_usd_per_yr is None or self.best_bound_usd_per_yr is None:
            return 0.0
        return abs(self.objective_usd_per_yr - self.best_bound_usd_per_yr)

    def to_dict(self) -> dict:
        return asdict(self)


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


# Pyomo is not thread-safe: threads that solve subproblems side by side take turns at building and
# reading models (this lock), and run HiGHS, which releases the GIL, outside it (decompose.py).
PYOMO_LOCK = threading.Lock()
_turn = threading.local()
_running: set = set()  # every HiGHS run in progress, so that Ctrl-C stops them all
_stopping = threading.Event()  # set by stop_all: no new run starts


@contextmanager
def pyomo_turn():
    """This thread's turn at Pyomo (see PYOMO_LOCK); HiGHS runs inside it give the turn up meanwhile."""
    if getattr(_turn, "held", False):  # already this thread's turn
        yield
        return
    with PYOMO_LOCK:
        _turn.held = True
        try:
            yield
        finally:
            _turn.held = False


def thread_map(fn, jobs: list[tuple], workers: int):
    """fn(*job) for every job, `workers` at a time in threads of this process, results in job order.
    Ctrl-C in the waiting thread stops every HiGHS run and cancels what has not started."""
    if workers <= 1 or len(jobs) <= 1:
        yield from (fn(*job) for job in jobs)
        return
    from concurrent.futures import ThreadPoolExecutor

    _stopping.clear()
    with ThreadPoolExecutor(min(workers, len(jobs)), thread_name_prefix="highs") as pool:
        futures = [pool.submit(fn, *job) for job in jobs]
        try:
            for future in futures:
                yield future.result()
        except BaseException:
            stop_all()
            for future in futures:
                future.cancel()
            raise


def stop_all() -> None:
    """Ctrl-C from the thread that waits on the others: every run stops at its next interrupt callback."""
    _stopping.set()
    for h in list(_running):
        h.cancelSolve()


def run_interruptibly(h: highspy.Highs) -> None:
    """h.run() in a thread of its own (HiGHS releases the GIL), waited for from this one, so that Ctrl-C
    (or SIGTERM, raised as KeyboardInterrupt by `signals`) stops HiGHS at its next interrupt callback
    instead of after the whole solve; other threads' runs go on side by side (highspy's own
    startSolve allows one run per process)."""
    if _stopping.is_set() and threading.current_thread() is not threading.main_thread():
        raise KeyboardInterrupt  # a worker thread of a map that Ctrl-C stopped: start nothing new
    h.HandleUserInterrupt = True  # highspy's interrupt callbacks watch cancelSolve()
    done = threading.Event()

    def target():
        try:
            _core._Highs.run(h)
            _core._Highs.resetThreadScheduler(False)  # as highspy does after each run in its own thread
        finally:
            done.set()

    held = getattr(_turn, "held", False)
    if held:
        PYOMO_LOCK.release()
    _running.add(h)
    try:
        threading.Thread(target=target, daemon=True).start()
        while not done.wait(0.2):  # a wait with a timeout lets the main thread take Ctrl-C
            pass
    except KeyboardInterrupt:
        stop_all()
        done.wait()  # HiGHS stops at its next interrupt callback, within a fraction of a second
        raise
    finally:
        _running.discard(h)
        if held:
            PYOMO_LOCK.acquire()


class InterruptibleHighs(Highs):
    """Pyomo's persistent HiGHS interface, with every run interruptible (see run_interruptibly)."""

    def set_instance(self, model):
        super().set_instance(model)
        h = self._solver_model
        h.run = lambda: run_interruptibly(h)


def make_solver(data: ModelData, threads: int | None = None) -> Highs:
    opt = InterruptibleHighs()
    opt.config.load_solutions = False
    opt.config.raise_exception_on_nonoptimal_result = False
    opt.config.time_limit = data.settings.time_limit_s
    opt.config.rel_gap = data.settings.mip_rel_gap
    if threads:
        opt.config.threads = threads
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
    tc = res.termination_condition
    has_solution = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    if tc == TerminationCondition.convergenceCriteriaSatisfied:
        status = "optimal"
    elif tc == TerminationCondition.maxTimeLimit:
        status = "time_limit"
    elif tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        status = "infeasible"
    elif tc == TerminationCondition.error:
        status = "error"
    else:
        status = "no_solution" if not has_solution else "stopped"
    t0 = time.perf_counter()
    if has_solution:
        res.solution_loader.load_vars()
    load_s = time.perf_counter() - t0

    objective = res.incumbent_objective if has_solution else None
    bound = res.objective_bound
    n_int = sum(1 for v in model.component_data_objects(pyo.Var, active=True) if v.is_integer() and not v.fixed)
    return SolverFacts(
        status=status, termination=str(tc.name), has_solution=has_solution, objective_usd_per_yr=objective,
        best_bound_usd_per_yr=bound, relative_gap=relative_gap(objective, bound),
        mip_rel_gap_setting=data.settings.mip_rel_gap, time_limit_s=data.settings.time_limit_s,
        seconds={"handover": handover, "highs": highs_s, "load": load_s},
        variables=opt._solver_model.getNumCol(), integer_variables=n_int, constraints=opt._solver_model.getNumRow(),
        highs_version=".".join(map(str, opt.version())), pyomo_version=pyomo.version.version,
        **_inputs(data))


_STATUS = {
    "kOptimal": "optimal", "kTimeLimit": "time_limit", "kInfeasible": "infeasible",
    "kUnboundedOrInfeasible": "infeasible", "kSolutionLimit": "stopped", "kIterationLimit": "stopped",
    "kInterrupt": "stopped", "kObjectiveBound": "stopped", "kObjectiveTarget": "stopped",
}


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
    h = highspy.Highs()  # silent: the process's first one, created below, took the banner
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    h.setOptionValue("time_limit", float(data.settings.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(data.settings.mip_rel_gap))
    if threads:
        h.setOptionValue("threads", int(threads))
    for key, value in (options or {}).items():  # e.g. a decomposed subproblem's gap budget
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
    if h.getInfo().primal_solution_status == 2 and lp.num_col_:
        load_solution(form, h.getSolution().col_value)
    return facts_from(h, lp, integer, data, {**seconds, "load": time.perf_counter() - t1})


def facts_from(h: highspy.Highs, lp: highspy.HighsLp, integer: np.ndarray, data: ModelData,
               seconds: dict) -> SolverFacts:
    """The SolverFacts of a finished HiGHS run on `lp`."""
    info = h.getInfo()
    status = _STATUS.get(h.getModelStatus().name, "error")
    has_solution = info.primal_solution_status == 2
    if lp.num_col_ == 0:  # nothing to decide (no exposure, no stock): HiGHS says kModelEmpty; the answer is 0
        status, has_solution = "optimal", True
    elif status == "stopped" and not has_solution:
        status = "no_solution"
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


def _highs_lp(form) -> tuple[highspy.HighsLp, np.ndarray]:
    """The standard form as a HighsLp (column-wise matrix), and which columns are integer."""
    cols = form.columns
    n_rows, n_cols = form.A.shape
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, n_rows
    lp.offset_ = float(form.c_offset[0]) if len(form.c_offset) else 0.0
    lp.col_cost_ = form.c.toarray()[0] if form.c.shape[0] else np.zeros(n_cols)
    lp.col_lower_ = np.array([-inf if v.lb is None else v.lb for v in cols], dtype=float)
    lp.col_upper_ = np.array([inf if v.ub is None else v.ub for v in cols], dtype=float)
    kind = np.array([r.bound_type for r in form.rows])  # 0: ==, 1: <=, -1: >=
    rhs = np.asarray(form.rhs, dtype=float)
    lp.row_lower_ = np.where(kind == 1, -inf, rhs)
    lp.row_upper_ = np.where(kind == -1, inf, rhs)
    a = form.A.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    integer = np.array([v.is_integer() for v in cols], dtype=bool)
    if integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in integer]
    return lp, integer


def _inputs(data: ModelData) -> dict[str, str]:
    """Provenance of a result: workbook and run specification, each with its sha256."""
    return {"inputs": data.source, "inputs_sha256": data.sha256, "run_spec": data.run_spec,
            "run_spec_sha256": data.run_spec_sha256}


def _timer_total(timer, name: str) -> float:
    try:
        return float(timer.get_total_time(name))
    except (KeyError, AttributeError):
        return 0.0
