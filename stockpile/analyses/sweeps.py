"""Sensitivity sweeps: a grid of `--vary` values, or a one-at-a-time tornado, solved
serially, on local processes, or on a Dask cluster.

Workers receive data (the raw workbook and points), never Pyomo models. Each worker
keeps one mutable model and re-solves it while a point's structure_key matches;
it rebuilds only when the structure changes.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections import Counter
from concurrent.futures import as_completed
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..common.processes import process_pool
from ..common.progress import step
from ..common.signals import Terminated
from ..io.problems import InputError
from ..io.validate import build_model_data
from ..io.workbook import RawBook, matching_rows, parse_number, parse_path, row_id, with_changes
from ..solver.conflicts import conflicts
from ..solver.decompose import why_not_separable
from ..solver.pipeline import Infeasible, NoSolution, run
from ..solver.resolver import Resolver

# ---- grammar: SHEET.ROW.COLUMN=LO:HI:STEP | =A,B,C | =xLO:HI:STEP | =xA,B ------------------------

@dataclass(frozen=True)
class Vary:
    path: str
    values: tuple  # absolute values, or multipliers when scale
    scale: bool

    @property
    def label(self) -> str:
        return f"{self.path} (x)" if self.scale else self.path


MAX_POINTS = 100_000  # at ~15 points a minute on 2 cores, more would run for days: a typo, not a plan


def _range(text: str) -> list[float]:
    try:
        lo, hi, step = (float(x) for x in text.split(":"))
    except ValueError:
        raise ValueError(f"'{text}' is not LO:HI:STEP with three numbers (e.g. 0.01:0.05:0.01)") from None
    if not (step > 0 and hi >= lo and np.isfinite([lo, hi, step]).all()):
        raise ValueError(f"'{text}' needs LO <= HI and STEP > 0")
    n = int(np.floor((hi - lo) / step + 1e-9))
    if n + 1 > MAX_POINTS:
        raise ValueError(f"'{text}' makes {n + 1:,} values; at most {MAX_POINTS:,} points (use a larger STEP)")
    return [round(lo + i * step, 12) for i in range(n + 1)]


def _value(text: str):
    try:
        return float(text)
    except ValueError:
        return text.strip()


def parse_vary(spec: str, book: RawBook) -> Vary:
    """One --vary option; raises ValueError naming what is wrong or unknown."""
    if "=" not in spec:
        raise ValueError(f"--vary '{spec}' is not SHEET.ROW.COLUMN=VALUES")
    path, values = (t.strip() for t in spec.split("=", 1))
    matching_rows(book, path)  # unknown sheet, row or column -> ValueError
    scale = values.startswith("x")
    body = values[1:] if scale else values
    if ":" in body:
        vals = _range(body)
    else:
        vals = [_value(v) for v in body.split(",") if v.strip()]
    if not vals:
        raise ValueError(f"--vary '{spec}' has no values")
    if scale and not all(isinstance(v, float) for v in vals):
        raise ValueError(f"--vary '{spec}': scale factors must be numbers")
    if scale:
        sheet, _, column = parse_path(path)
        bad = [(number, cells.get(column)) for number, cells in matching_rows(book, path)
               if parse_number(cells.get(column)) is None]
        if bad:
            rows = ", ".join(f"row {n} ({row_id(sheet, c) or 'event'}: {'a blank cell' if v is None else repr(v)})"
                             for n, v in bad[:5] for c in [_cells_of(book, sheet, n)])
            rows += " ..." if len(bad) > 5 else ""
            raise ValueError(f"--vary '{spec}': cannot scale {book.path}, sheet '{sheet}', column '{column}': expected "
                             f"a number to multiply; found {rows} (give the values instead, =A,B,C)")
    return Vary(path, tuple(vals), scale)


def _cells_of(book: RawBook, sheet: str, number: int) -> dict:
    return next(cells for n, cells in book.sheets[sheet].rows if n == number)


def parse_tornado(spec: str) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in spec.split(":"))
    except ValueError:
        raise ValueError(f"--tornado '{spec}' is not LO:HI (scale factors, e.g. 0.5:1.5)") from None
    if not (0 <= lo < hi and np.isfinite(hi)):
        raise ValueError(f"--tornado '{spec}' needs 0 <= LO < HI, both finite")
    return lo, hi


def default_tornado_inputs(book: RawBook) -> list[str]:
    """Prices, probabilities, shortage costs and holding rates, one row (or mineral) at a time."""
    paths = []
    minerals = [row_id("minerals", c) for _, c in book.sheets["minerals"].rows]
    paths += [f"minerals.{m}.price_usd_per_t" for m in minerals]
    paths += [f"minerals.{m}.holding_rate_per_yr" for m in minerals]
    paths += [f"scenarios.{row_id('scenarios', c)}.probability_per_yr" for _, c in book.sheets["scenarios"].rows]
    tier_minerals = dict.fromkeys(str(c.get("mineral")) for _, c in book.sheets["shortage_costs"].rows)
    paths += [f"shortage_costs.{m}:*.usd_per_t" for m in tier_minerals]
    return paths


@dataclass
class Point:
    id: int
    settings: dict[str, object]  # label -> value shown in sweep.csv
    changes: tuple[tuple[str, object, bool], ...]  # (path, value, scale)


def grid_points(varies: list[Vary]) -> list[Point]:
    points = []
    for i, combo in enumerate(itertools.product(*(v.values for v in varies)), 1):
        points.append(Point(i, {v.label: x for v, x in zip(varies, combo, strict=True)},
                            tuple((v.path, x, v.scale) for v, x in zip(varies, combo, strict=True))))
    return points


def tornado_points(paths: list[str], lo: float, hi: float) -> list[Point]:
    points = [Point(1, {"input": "base", "multiplier": 1.0}, ())]
    for path in paths:
        for mult in (lo, hi):
            points.append(Point(len(points) + 1, {"input": path, "multiplier": mult}, ((path, mult, True),)))
    return points


def _no_cell_twice(book: RawBook, parsed: list[Vary]) -> None:
    """Two --vary naming the same cell would label each point with a value the other overwrote."""
    seen: dict[tuple, str] = {}
    for v in parsed:
        sheet, _, column = parse_path(v.path)
        for number, _cells in matching_rows(book, v.path):
            cell = (sheet, number, column)
            if cell in seen:
                same = "the same path" if seen[cell] == v.path else f"'{seen[cell]}' and '{v.path}'"
                raise ValueError(f"--vary names {book.path}, sheet '{sheet}', row {number}, column '{column}' twice "
                                 f"({same}): give each "
                                 "cell once, with all its values in one --vary")
            seen[cell] = v.path


def plan_points(book: RawBook, varies, tornado: str | None) -> tuple[list[Point], list[str]]:
    """The points of a grid (--vary) or a tornado, and the columns that label them; ValueError if bad."""
    parsed = [parse_vary(v, book) for v in varies]
    if tornado:
        twice = [p for p, n in Counter(v.path for v in parsed).items() if n > 1]
        if twice:
            raise ValueError(f"--vary names {twice[0]} twice; a tornado varies each input once")
        lo, hi = parse_tornado(tornado)
        paths = [v.path for v in parsed] or default_tornado_inputs(book)
        return tornado_points(paths, lo, hi), ["input", "multiplier"]
    _no_cell_twice(book, parsed)
    size = int(np.prod([len(v.values) for v in parsed]))
    if size > MAX_POINTS:
        raise ValueError(f"the grid has {size:,} points; at most {MAX_POINTS:,} (fewer values, or --tornado)")
    return grid_points(parsed), [v.label for v in parsed]


def apply_point(book: RawBook, point: Point) -> RawBook:
    return with_changes(book, point.changes)


# ---- one worker: a persistent model, re-solved while the structure stays the same ------------------------

class PointSolver:
    """One worker's sweep points on one Resolver (re-solve while the structure stays the same)."""

    def __init__(self, base: RawBook, threads: int | None = None):
        self.base = base
        self.resolver = Resolver(threads)

    @property
    def rebuilds(self) -> int:
        return self.resolver.builds

    def solve(self, point: Point) -> list[dict]:
        t0 = time.perf_counter()
        head = {"point": point.id, **point.settings}
        try:
            data = build_model_data(apply_point(self.base, point))
        except InputError as err:
            msg = "; ".join(str(p) for p in err.problems if p.severity == "error")
            return [{**head, "status": "bad_input", "message": msg}]
        res, facts, rebuilt = self._solve(data)
        head.update(status=facts.status, objective_usd_per_yr=facts.objective_usd_per_yr,
                    relative_gap=facts.relative_gap, highs_s=facts.seconds.get("highs"), rebuilt=rebuilt)
        if res is None:
            return [{**head, "message": _unsolved_message(data, facts), "seconds": time.perf_counter() - t0}]
        party = res["party_costs"]
        stock_cost = float(party.holding_usd_per_yr.sum() + party.programme_fixed_usd_per_yr.sum())
        head.update(stock_cost_usd_per_yr=stock_cost, seconds=time.perf_counter() - t0)
        return [{**head, "party": r.party, "mineral": r.mineral, "coverage_months": r.coverage_months,
                 "stock_t": r.national_t + r.joint_t, "national_t": r.national_t, "joint_t": r.joint_t}
                for r in res["coverage"].itertuples()]

    def _solve(self, data):
        """(Results or None, facts, built anew?): by mineral where the model separates (pipeline.run, exact
        and fast; every point builds its small models), else one model re-solved while its structure
        stays the same (Resolver)."""

        if why_not_separable(data) is None:
            try:
                # each mineral on its own, so the minerals a point does not change are re-used
                res = run(data, warnings=False, detail=False, independent=True)
                return res, res.facts, res.facts.reused_subproblems < len(res.facts.subproblems)
            except (Infeasible, NoSolution) as err:
                return None, err.facts, True
        facts = self.resolver.solve(data)
        return (self.resolver.results(data, facts) if facts.has_solution else None), facts, self.resolver.rebuilt


def _unsolved_message(data, facts) -> str:
    """Why a point has no answer: the conflicting requirements when it is infeasible, else HiGHS's word."""

    if facts.status == "infeasible":
        reasons = conflicts(data)
        return "; ".join(reasons) if reasons else "HiGHS proved the point infeasible (no conflict among targets, " \
            "stock limits, budgets and purchase caps was found)"
    return facts.termination


_LOCAL = threading.local()  # one PointSolver per worker thread (process pools and Dask workers alike)


def solve_chunk(base: RawBook, points: list[Point], threads: int | None = None) -> list[dict]:
    """Task run by a worker: re-uses this thread's PointSolver while the workbook is the same, cell for
    cell after overrides (two run specifications on one workbook file must never share a model)."""
    key = base.content_sha256()
    solver = getattr(_LOCAL, "solver", None)
    if solver is None or getattr(_LOCAL, "key", None) != key:
        solver = _LOCAL.solver = PointSolver(base, threads)
        _LOCAL.key = key
    rows: list[dict] = []
    for p in points:
        rows.extend(solver.solve(p))
    return rows


def _chunks(points: list[Point], workers: int) -> list[list[Point]]:
    """A few consecutive points per task: workers keep their model across tasks anyway, so small
    chunks cost little and keep the progress bar live."""
    size = max(1, min(4, len(points) // max(1, 4 * workers)))
    return [points[i:i + size] for i in range(0, len(points), size)]


@dataclass
class SweepRun:
    rows: list[dict] = field(default_factory=list)
    done: int = 0
    total: int = 0
    partial: bool = False
    seconds: float = 0.0
    backend: str = ""
    terminated: bool = False  # stopped by SIGTERM (Ctrl-C leaves it False)

    @property
    def points_per_minute(self) -> float:
        return 60.0 * self.done / self.seconds if self.seconds > 0 else 0.0


class SchedulerError(Exception):
    """The Dask scheduler cannot be reached: said before any work starts."""


def connect(address: str, timeout_s: float = 10.0):
    """A Dask client for `address`, or SchedulerError saying what to do."""
    from distributed import Client  # distributed is heavy (~1 s to import): only when a cluster is asked for

    try:
        return Client(address, timeout=f"{timeout_s:g}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(
            f"could not connect to the Dask scheduler at {address} within {timeout_s:g} s "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no answer'}); start one with "
            "`dask scheduler` and its workers with `dask worker ADDRESS`, or leave out --scheduler to run on "
            "local processes") from None


def run_sweep(base: RawBook, points: list[Point], workers: int = 1, scheduler: str | None = None,
              progress: bool = True, client=None) -> SweepRun:
    """Solve every point; Ctrl-C stops cleanly and returns the finished points marked partial."""

    out = SweepRun(total=len(points))
    t0 = time.perf_counter()
    # a live bar on a terminal; in a log, a plain line per chunk of points instead of carriage-return frames
    bar = tqdm(total=len(points), unit="point", disable=not (progress and sys.stderr.isatty()), desc="sweep")
    chunks = _chunks(points, workers)

    def take(rows):
        out.rows.extend(rows)
        n = len({r["point"] for r in rows})
        out.done += n
        bar.update(n)
        if progress and not sys.stderr.isatty():
            rate = out.done / max(time.perf_counter() - t0, 1e-9) * 60
            step(f"sweep: {out.done}/{out.total} points ({rate:.1f} points/min)")

    own_client = client is None and scheduler is not None
    try:
        if client is not None or scheduler is not None:
            client = client or connect(str(scheduler))
            out.backend = f"dask {client.scheduler.address}"
            _run_dask(base, chunks, client, take)
        elif workers <= 1:
            out.backend = "serial"
            for chunk in chunks:
                take(solve_chunk(base, chunk))
        else:
            out.backend = f"{workers} local processes"
            _run_processes(base, chunks, workers, take)
    except KeyboardInterrupt as stop:
        out.partial = True
        out.terminated = isinstance(stop, Terminated)
    finally:
        bar.close()
        out.seconds = time.perf_counter() - t0
        if own_client and client is not None:
            client.close()
    out.partial = out.partial or out.done < out.total
    return out


def _run_processes(base, chunks, workers, take) -> None:
    with process_pool(workers) as pool:
        futures = [pool.submit(solve_chunk, base, chunk, 1) for chunk in chunks]  # one HiGHS thread per worker
        for fut in as_completed(futures):
            take(fut.result())


def _run_dask(base, chunks, client, take) -> None:
    from distributed import as_completed as dask_completed  # distributed is heavy: imported only for Dask

    shared = client.scatter(base, broadcast=True, hash=False)  # the workbook travels once per worker
    futures = [client.submit(solve_chunk, shared, chunk, 1, pure=False) for chunk in chunks]
    try:
        for fut in dask_completed(futures):
            take(fut.result())
    except BaseException:
        client.cancel(futures)
        raise


# ---- tables ------------------------------------------------------------------------------------------

def sweep_table(run: SweepRun, labels: list[str]) -> pd.DataFrame:
    cols = ["point", *labels, "status", "objective_usd_per_yr", "relative_gap", "stock_cost_usd_per_yr", "party",
            "mineral", "coverage_months", "stock_t", "national_t", "joint_t", "highs_s", "seconds", "rebuilt",
            "message"]
    frame = pd.DataFrame(run.rows)
    for c in cols:
        if c not in frame:
            frame[c] = np.nan
    return frame[cols].sort_values(["point", "party", "mineral"], na_position="first", ignore_index=True)


def point_table(sweep: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """One row per point: inputs, status, objective, stock cost, total stock, and why a point has no answer."""
    return (sweep.groupby("point", sort=True)
            .agg({**{lb: "first" for lb in labels}, "status": "first", "objective_usd_per_yr": "first",
                  "stock_cost_usd_per_yr": "first", "stock_t": "sum", "message": "first"})
            .reset_index())


def tornado_table(sweep: pd.DataFrame) -> pd.DataFrame:
    """Swing (high - low) of total stock cost and of mean coverage per mineral, per input."""
    ok = sweep[sweep.objective_usd_per_yr.notna()]
    stock_cost = ok.groupby(["input", "multiplier"]).stock_cost_usd_per_yr.first()
    coverage = ok.groupby(["input", "multiplier", "mineral"]).coverage_months.mean()
    base = stock_cost.get(("base", 1.0), np.nan)  # every bar of the tornado starts at the base run's value
    rows = []
    for inp in dict.fromkeys(sweep.input):
        if inp == "base":
            continue
        mults = sorted(m for (i, m) in stock_cost.index if i == inp)
        if len(mults) < 2:
            rows.append({"input": inp, "measure": "stock_cost_usd_per_yr", "status": "not solved at both ends"})
            continue
        lo, hi = mults[0], mults[-1]
        rows.append({"input": inp, "measure": "stock_cost_usd_per_yr", "low_multiplier": lo, "high_multiplier": hi,
                     "at_low": stock_cost[inp, lo], "at_high": stock_cost[inp, hi], "at_base": base,
                     "swing": stock_cost[inp, hi] - stock_cost[inp, lo]})
        for mineral in dict.fromkeys(ok.mineral.dropna()):
            a, b = coverage.get((inp, lo, mineral)), coverage.get((inp, hi, mineral))
            if a is not None and b is not None:
                rows.append({"input": inp, "measure": f"coverage_months:{mineral}", "low_multiplier": lo,
                             "high_multiplier": hi, "at_low": a, "at_high": b, "swing": b - a})
    frame = pd.DataFrame(rows, columns=["input", "measure", "status", "low_multiplier", "high_multiplier", "at_low",
                                        "at_high", "at_base", "swing"])
    frame["abs_swing"] = frame.swing.abs()
    return frame
