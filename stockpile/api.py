"""The public Python API (`import stockpile`): what the CLI does, for notebooks and scripts.

    import stockpile
    data = stockpile.load("inputs/trilateral_2025.xlsx")      # or a CSV folder, or a RUN.toml
    res = stockpile.solve(data)
    res.coverage                                                # pandas DataFrames
    sharing = stockpile.share(data, rules=["shapley", "nucleolus"])
    sweep = stockpile.sweep("models/sweep_embargo.toml")

Bad input raises stockpile.InputError (`.problems`, `.report()`); an infeasible model
stockpile.Infeasible (`.reasons`); no solution in time stockpile.NoSolution.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from .analyses.assumptions import assumption_plan
from .analyses.backtest import Backtest, run_backtest
from .analyses.core_verdicts import compare, core_existence, uncertainty
from .analyses.evaluate import Evaluation
from .analyses.evaluate import evaluate as run_evaluation
from .analyses.game import Game, check_players, game_from_file, play, solving
from .analyses.game_scale import values_of
from .analyses.information import has_branches, value_of_information
from .analyses.operating_rule import OperatingRule, ShortageCost, derive
from .analyses.pooling import pooling_plan
from .analyses.purchase_caps import cap_plan
from .analyses.sampling import sampled_shapley
from .analyses.separation import MembershipSeparation
from .analyses.sharing import RULES, tolerance, unusable_rules, weights
from .analyses.sweeps import Point, SweepRun, plan_points, point_table, run_sweep, sweep_table, tornado_table
from .analyses.treaty import funded_rules, funding, participation, treaty_rule
from .analyses.what_if import run_plans
from .common.progress import enable, is_on
from .io.data import ModelData, month_index, month_text
from .io.problems import InputError, Problem
from .io.runspec import load_book, load_run
from .io.validate import build_model_data
from .io.workbook import RawBook, with_changes
from .model.scenario_tree import build_tree, tree_size
from .reports.common import provenance
from .reports.solve import write_results
from .solver.pipeline import run
from .solver.results import Results

Source = str | Path | ModelData


def load(source: str | Path, set: dict[str, object] | None = None) -> ModelData:
    """A workbook (.xlsx or a folder of CSVs) or a run specification (.toml) -> validated ModelData. `set` overrides
    cells as a run specification's [set] does: {"demand.KR:Dy.target_months": 3.3, "settings.build_years.value": 3}
    (an unknown cell or a bad value is an InputError naming it)."""
    if not set:
        return load_run(str(source))[1]
    _spec, book = load_book(str(source))
    problems = []
    for path, value in set.items():
        try:
            book = with_changes(book, [(path, value, False)])
        except ValueError as exc:
            problems.append(Problem("set=", None, None, None, "SHEET.ROW.COLUMN naming an existing cell", str(exc)))
    if problems:
        raise InputError(problems)
    return build_model_data(book)


def _data(source: Source) -> ModelData:
    return source if isinstance(source, ModelData) else load(source)


def solve(source: Source, write_model: str | None = None, workers: int = 1, progress: bool = False) -> Results:
    """Size national and joint stocks: tables (coverage, stock, costs, ...) with the solver's facts.
    `workers`: HiGHS runs side by side (threads; the answer does not depend on it). `progress=True`: a line per
    step on stderr, as the CLI prints (a notebook shows them under the cell)."""
    turn_on = progress and not is_on()  # the CLI has it on already, with its own clock
    if turn_on:
        enable(True)
    try:
        return _solve(source, write_model, workers)
    finally:
        if turn_on:
            enable(False)


def _solve(source: Source, write_model: str | None, workers: int) -> Results:
    t0 = time.perf_counter()
    data = _data(source)
    res = run(data, write_model=write_model, read_s=time.perf_counter() - t0, workers=workers)
    stages = res.facts.stage_seconds
    stages["optimum"] = time.perf_counter() - t0
    res.facts.scenario_tree = tree_size(data, build_tree(data))
    if "scenario_outcomes" in res.tables:  # the rule an operator follows (formulation, "Operating rule")
        res.tables["operating_rule"] = derive(data, res).table()
    # one queue of subproblem solves, side by side: what each binding cap costs (re-solves without it), what
    # pooling saves (every party on its own) and what the answer rests on (assumption groups, break-evens)
    with _stage(stages, "purchase cap costs, pooling saving and assumptions"):
        caps, pooling, rests_on = run_plans([cap_plan(data, res), pooling_plan(data, res),
                                             assumption_plan(data, res)], workers, res.facts.what_if_solves)
    res.tables["purchase_caps"] = caps
    assert rests_on is None or isinstance(rests_on, dict)  # assumption_plan's finish
    res.tables.update(rests_on or {})
    assert pooling is None or isinstance(pooling, dict)  # pooling_plan's finish
    for key, value in (pooling or {}).items():
        setattr(res.facts, key, value)
    if has_branches(data) and data.settings.value_of_information == "yes":
        with _stage(stages, "value of information"):  # three more solves
            for key, value in value_of_information(data, res, workers).items():
                setattr(res.facts, key, value)
    res.writer = partial(_write, data, res)  # res.write(DIR): the folder the CLI writes
    return res


def _write(data: ModelData, res: Results, out: str | Path, overwrite: bool = False) -> Path:
    return write_results(out, data, res, overwrite)


@contextmanager
def _stage(stages: dict[str, float], name: str) -> Iterator[None]:
    """Wall seconds of one stage of a run, kept in solver.json (`stage_seconds`)."""
    t0 = time.perf_counter()
    yield
    stages[name] = time.perf_counter() - t0


@dataclass
class Sharing:
    """The coalition game and each rule's split of its cost (`stockpile share`)."""

    data: ModelData | None  # None for a game read from a file without a workbook
    game: Game
    tables: dict[str, pd.DataFrame]  # coalitions, sharing, core_check
    notes: list[str] = field(default_factory=list)  # rules skipped, coalitions not proven optimal
    game_file: str = ""  # the coalitions file the values came from (share --game)
    game_file_sha256: str = ""
    reference: str = "shapley"  # the rule `optimised`, funding and the saving floor start from
    floor: dict[str, float] | None = None  # treaty.saving_floor's split, where the pool's cash is known

    @property
    def source_name(self) -> str:
        return Path(self.game_file).name if self.game_file or self.data is None else Path(self.data.source).name

    @property
    def provenance(self) -> list[str]:

        lines = provenance(self.data) if self.data is not None else []
        if self.game_file:
            lines.append(f"Coalition values from `{self.game_file}`, sha256 `{self.game_file_sha256}`.")
        return lines

    @property
    def core(self):
        """core_verdicts.CoreExistence: non-empty / empty (each proved) or undetermined, with the slack interval."""
        return core_existence(self.game)

    @property
    def core_status(self) -> str:
        return self.core.status

    @property
    def uncertainty(self) -> float:
        return uncertainty(self.game)


def share_game(path: str | Path, data: ModelData | None = None, rules=RULES, reference: str = "shapley",
               method: str = "auto", samples: int = 200, half_width: float | None = None, seed: int = 0) -> Sharing:
    """The rules on coalition costs from a file (the coalitions.csv `share` writes, or external values); every
    value is known, so the Shapley value is exact unless `method` is sampled."""

    game = game_from_file(path, data)
    if method == "sampled":
        game.sampled = sampled_shapley(values_of(game), samples=samples, seed=seed, half_width=half_width)
    out = sharing_of(data, game, list(rules), reference)
    out.game_file, out.game_file_sha256 = str(path), hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return out


def share(source: Source, rules=RULES, reference: str = "shapley", mip_rel_gap: float | None = None,
          progress=None, workers: int = 1, client=None, method: str = "auto", samples: int = 200,
          half_width: float | None = None, seed: int = 0, separation: str = "all",
          separation_time_limit_s: float | None = None) -> Sharing:
    """v(C) for every coalition of the parties that may join the pool (method exact; auto: up to 10 parties), or
    for those a sampled Shapley value needs (sampled: `samples` orders, fewer with `half_width` USD/yr), and the
    rules side by side. A sampled game under cooperative allocation has the membership separation (separation.py):
    `separation` verdicts (each rule's core verdict by one MILP), all (the nucleolus and least core by row
    generation too) or none, each MILP stopped at `separation_time_limit_s` (default: the workbook's time_limit_s)
    with what its bound proves. InputError when fewer than two parties may join; ValueError when
    `reference` has nothing to split by."""
    data = _data(source)
    if mip_rel_gap is not None:
        data = data.with_settings(mip_rel_gap=mip_rel_gap)
    check_share(data, list(rules), reference)
    game = play(data, progress=progress, workers=workers, client=client, method=method, samples=samples,
                half_width=half_width, seed=seed)  # client: a Dask cluster's
    if not game.complete and data.settings.joint_allocation == "cooperative" and separation != "none":
        game.oracle = membership_oracle(data, game, progress, workers, client, separation_time_limit_s)
        game.separate_all = separation == "all"
    return sharing_of(data, game, list(rules), reference)


def membership_oracle(data: ModelData, game: Game, progress=None, workers: int = 1, client=None,
                      time_limit_s: float | None = None):
    """(Values, MembershipSeparation) for a sampled game: what the separation finds is solved on its own and joins
    the game (game.solving), so the coalitions table shows every coalition a verdict rests on."""
    values = solving(data, game, progress, workers, client)
    return values, MembershipSeparation(data, values, abs_gap_usd=tolerance(game), time_limit_s=time_limit_s)


def check_share(data: ModelData, rules: list[str], reference: str) -> None:
    """Before the work: two or more players, and a reference for `optimised` with something to split by."""
    check_players(data)
    w = weights(data, data.eligible_members())
    if "optimised" in rules and reference in w and sum(w[reference].values()) <= 0:
        raise ValueError(f"--reference {reference}: every eligible party's {reference} weight is 0, so the rule has "
                         "nothing to split by; choose another reference")


def sharing_of(data: ModelData | None, game: Game, rules: list[str], reference: str) -> Sharing:
    """The rules applied to a game; a rule that cannot apply (nothing to split by, no workbook) is skipped."""
    skipped = unusable_rules(game, data, [*rules, reference])
    if reference in skipped and "optimised" in rules:
        raise ValueError(f"--reference {reference}: {skipped[reference]}; choose another reference")
    notes = [why for r, why in skipped.items() if r in rules]
    compared = compare(game, data, [r for r in rules if r not in skipped], reference)
    table = game.table()  # after the rules: a separation may have solved more coalitions
    notes += [f"coalition {name}: HiGHS stopped at its time limit; its value is the best found, not a proven "
              "optimum" for name, status in zip(table.coalition, table.status, strict=True)
              if status not in ("optimal", "given")]
    tables = {"coalitions": table, **compared}
    floor = None
    if data is not None and game.grand is not None:  # the grand coalition's plan says what the pool pays
        tables["funding"] = funding(data, game.grand, tables["sharing"], funded_rules(tables["sharing"], reference))
        shown = treaty_rule(tables["sharing"], reference)  # the floor starts from the rule the report shows
        tables["participation"], floor = participation(game, tables["sharing"], tables["funding"], shown)
        tables.update({name: game.grand[name] for name in ("drawing_rights", "borrowing") if name in game.grand.tables})
    return Sharing(data, game, tables, notes, reference=reference, floor=floor)


@dataclass
class Sweep:
    """A sensitivity sweep's points and tables (`stockpile sweep`)."""

    run: SweepRun
    labels: list[str]
    tornado: bool
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # sweep, sweep_points (and tornado)


@dataclass
class SweepPlan:
    """What a sweep will solve, checked before any work: the workbook after overrides, the points, their labels."""

    name: str  # the run specification's or workbook's name (results/NAME-sweep)
    book: RawBook
    points: list[Point]
    labels: list[str]
    tornado: bool
    warnings: tuple[str, ...]  # the base case's warnings


def plan_sweep(source: str | Path | RawBook, vary=(), tornado: str | None = None) -> SweepPlan:
    """The points of the --vary grid (or a tornado); vary paths default to a RUN.toml's [sweep]. InputError when
    the base case is bad (it must be valid before any point is tried), ValueError for a bad --vary or --tornado."""
    if isinstance(source, RawBook):
        name, book = "sweep", source
    else:
        spec, book = load_book(str(source))
        sweep_table = spec.options.get("sweep", {})
        name, vary = spec.name, vary or tuple(sweep_table.get("vary", ()) if isinstance(sweep_table, dict) else ())
    base = build_model_data(book)
    if not vary and not tornado:
        raise ValueError("give at least one --vary SHEET.ROW.COLUMN=VALUES or --tornado LO:HI")
    points, labels = plan_points(book, vary, tornado)
    return SweepPlan(name, book, points, labels, bool(tornado), base.warnings)


def sweep(source: str | Path | RawBook | SweepPlan, vary=(), tornado: str | None = None, workers: int = 1,
          scheduler=None, progress: bool = False) -> Sweep:
    """Every point of the --vary grid (or a tornado), on local processes or a Dask cluster
    (`scheduler`: an address or a distributed.Client). Vary paths default to a RUN.toml's [sweep]."""
    plan = source if isinstance(source, SweepPlan) else plan_sweep(source, vary, tornado)
    client = scheduler if scheduler is not None and not isinstance(scheduler, str) else None
    run = run_sweep(plan.book, plan.points, workers=workers, scheduler=scheduler if client is None else None,
                    client=client, progress=progress)
    return sweep_of(run, plan.labels, plan.tornado)


def sweep_of(run: SweepRun, labels: list[str], tornado: bool) -> Sweep:
    table = sweep_table(run, labels)
    tables = {"sweep": table, "sweep_points": point_table(table, labels)}
    if tornado:
        tables["tornado"] = tornado_table(table)
    return Sweep(run, labels, tornado, tables)


__all__ = ["Point", "Results", "Sharing", "Sweep", "SweepPlan", "check_share", "load", "plan_sweep", "share",
           "share_game", "solve", "sweep"]


@dataclass
class Tested:
    """What `backtest` and `evaluate` return: the replay or the evaluation, the rule and the solve behind it."""

    data: ModelData
    results: Results
    rule: OperatingRule
    backtest: Backtest | None = None
    evaluation: Evaluation | None = None


def operating_rule(source: Source, workers: int = 1) -> tuple[ModelData, Results, OperatingRule]:
    """The recommendation (one solve, without the what-if re-solves) and its operating rule."""
    data = _data(source)
    res = run(data, workers=workers)
    return data, res, derive(data, res)


def check_history(data: ModelData) -> None:
    """Before the work: a back-test needs the history sheet."""
    if not data.history:
        raise InputError([Problem(data.source, "history", None, None, "a history sheet with at least one cut (event, "
                                  "supplier, minerals, targets, start, end, cut, source) to back-test against",
                                  "none")])


def check_window(data: ModelData, through: str | None) -> int | None:
    """Before the work: `through` as a month index (None: the default window), a YYYY-MM at or after the history's
    first cut; ValueError otherwise."""
    if through is None:
        return None
    last = month_index(through)
    if last is None:
        raise ValueError(f"--through: expected a month as YYYY-MM (e.g. 2025-12); found '{through}'")
    first = min(e.start for e in data.history)
    if last < first:
        raise ValueError(f"--through {through} is before the history's first cut ({month_text(first)}): nothing to "
                         "replay")
    return last


def backtest(source: Source, through: str | None = None, workers: int = 1) -> Tested:
    """The recommended stock and its operating rule replayed on the history sheet's cuts (through YYYY-MM, else to
    December of the latest year the sheet names)."""
    data = _data(source)
    check_history(data)
    last = check_window(data, through)
    data, res, rule = operating_rule(data, workers)
    return Tested(data, res, rule, backtest=run_backtest(rule, ShortageCost(data), last))


def evaluate(source: Source, samples: int = 1000, years: int = 20, seed: int = 0, workers: int = 1, client=None,
             progress=None) -> Tested:
    """`samples` sampled histories of `years` years through the recommended stock and its operating rule."""
    data, res, rule = operating_rule(source, workers)
    ev = run_evaluation(rule, samples, years, seed, workers, client, progress)
    return Tested(data, res, rule, evaluation=ev)
