"""Command line: `stockpile solve | share | sweep | compare | backtest | evaluate | validate | template`.

Exit codes (README): 0 done (a time limit hit is a warning), 1 HiGHS stopped without a
feasible solution, 2 bad input, option, output location or cluster address (nothing
written), 3 infeasible model (the conflicting requirements are named), 70 internal error
(a bug), 130 interrupted by Ctrl-C, 143 stopped by SIGTERM. No traceback reaches the user.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from .analyses.game import CoalitionUnsolved
from .analyses.sharing import RULES
from .analyses.sweeps import SchedulerError, connect
from .api import backtest as backtest_data
from .api import check_history, check_share, check_window, plan_sweep, share_game
from .api import evaluate as evaluate_data
from .api import share as share_data
from .api import solve as solve_data
from .api import sweep as sweep_data
from .common.progress import close as close_progress
from .common.progress import enable, step
from .common.signals import Terminated, install
from .io.data import month_index, month_text
from .io.problems import InputError
from .io.runspec import load_run
from .io.template import write_template
from .reports import write_results, write_share, write_sweep
from .reports.backtest import write_backtest, write_evaluation
from .reports.common import solver_line
from .reports.compare import NotResults, read_folder, write_compare
from .reports.outdir import OutputError, check_output
from .reports.solve import rests_on_console
from .solver.exposure import exposure_warnings
from .solver.facts import gap_words
from .solver.pipeline import Infeasible, NoSolution

EXIT_NO_SOLUTION, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_INTERNAL = 1, 2, 3, 70
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
DEFAULT_WORKBOOK = Path(__file__).resolve().parents[1] / "inputs" / "trilateral_2025.xlsx"


class Stop(Exception):
    """A clean stop with a message for the user and an exit code."""

    def __init__(self, message: str, code: int = EXIT_INPUT):
        super().__init__(message)
        self.code = code


def guarded(command):
    """Every failure becomes a message and an exit code; tracebacks only with STOCKPILE_DEBUG=1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):

        try:
            return command(*args, **kwargs)
        except InputError as err:
            _exit(err.report(), EXIT_INPUT)
        except (OutputError, Stop) as err:
            _exit(f"error: {err}", getattr(err, "code", EXIT_INPUT))
        except OSError as err:
            _exit(_os_error(err), EXIT_INPUT)
        except Infeasible as err:
            _exit(err.report(), EXIT_INFEASIBLE)
        except NoSolution as err:
            _exit(f"error: {err}", EXIT_NO_SOLUTION)
        except Terminated:
            _exit("stopped by SIGTERM; no results folder was written", EXIT_TERMINATED)
        except KeyboardInterrupt:
            _exit("interrupted (Ctrl-C); no results folder was written", EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug: say so plainly, without a traceback
            if os.environ.get("STOCKPILE_DEBUG"):
                raise
            _exit(f"error: internal error ({type(exc).__name__}: {exc}). This is a bug in stockpile, not in your "
                  "input: please report it with the command and the workbook (STOCKPILE_DEBUG=1 shows the "
                  "traceback)", EXIT_INTERNAL)
        finally:
            close_progress()

    return wrapper


def _os_error(err: OSError) -> str:
    """A file that vanished, a full disk: the system's words, with the file. A closed pipe (`| head`)
    comes after the folder was written, and says so."""
    if isinstance(err, BrokenPipeError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (no second error when Python flushes at exit)
        return "error: the output was closed before it all was printed (broken pipe); files written stay written"
    return f"error: {err.strerror or err}{f': {err.filename}' if err.filename else ''}; nothing was written"


def _exit(message: str, code: int) -> None:
    close_progress()  # the bar goes before the message, so the message reads whole
    click.echo(message, err=True)
    sys.exit(code)


def _source(source: str | None) -> str:
    """The named workbook or run specification, or the bundled workbook."""
    if source is not None:
        return source
    if not DEFAULT_WORKBOOK.exists():
        raise Stop(f"the bundled workbook {DEFAULT_WORKBOOK} is missing; name a workbook "
                   "(install from a checkout with `pip install -e .`)")
    return str(DEFAULT_WORKBOOK)


def _load_run(source: str | None):
    """Workbook or run specification -> (RunSpec, ModelData), warnings printed; InputError on bad input."""

    spec, data = load_run(_source(source))
    for w in data.warnings:
        click.echo(w, err=True)
    return spec, data


def _output(out: str | None, default: Path, overwrite: bool) -> Path:
    """The results folder, checked before any work (OutputError if it may not or cannot be written)."""
    folder = Path(out) if out else default
    check_output(folder, overwrite)
    return folder


# ---- option checks (click turns BadParameter into a usage message and exit 2) ---------------------

def _rules_option(ctx, param, value: str) -> list[str]:
    wanted = [r.strip() for r in value.split(",") if r.strip()]
    if not wanted:
        raise click.BadParameter(f"expected at least one rule of {', '.join(RULES)}; found '{value}'")
    unknown = [r for r in wanted if r not in RULES]
    if unknown:
        raise click.BadParameter(f"unknown rule(s) {', '.join(unknown)}; known: {', '.join(RULES)}")
    return list(dict.fromkeys(wanted))


def _model_file_option(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    path = Path(value)
    if path.suffix.lower() not in (".mps", ".lp"):
        raise click.BadParameter(f"expected a file name ending in .mps or .lp (HiGHS writes by extension); "
                                 f"found '{value}'")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise click.BadParameter(f"the folder {folder} does not exist")
    if path.is_dir() or not os.access(folder, os.W_OK):
        raise click.BadParameter(f"cannot write {value} ({'a folder' if path.is_dir() else 'folder not writable'})")
    return value


_ADDRESS = re.compile(r"^((tcp|tls|ws|wss)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


@contextmanager
def _cluster(scheduler: str | None) -> Iterator:
    """The Dask client of --scheduler, reached before any work (else exit 2) and closed after it; None without."""
    try:
        client = connect(scheduler) if scheduler else None
    except SchedulerError as err:
        raise Stop(str(err)) from None
    try:
        yield client
    finally:
        if client is not None:
            client.close()


def _scheduler_option(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    match = _ADDRESS.match(value.strip())
    if not match or not 0 < int(match.group(4)) < 65536:
        raise click.BadParameter(f"expected a Dask scheduler address tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786); "
                                 f"found '{value}'")
    return value.strip()


EPILOG = """\b
Without WORKBOOK, solve, share and sweep use the bundled inputs/trilateral_2025.xlsx.
Results go to results/NAME[-share|-sweep]/ (-o to choose); report.html is the page to open first.
Progress goes to stderr, a line per step.
\b
Exit codes: 0 done; 1 no solution within the time limit; 2 bad input or options (every problem
listed); 3 infeasible (the conflicting requirements listed); 70 internal error (a bug: please
report it); 130 Ctrl-C; 143 SIGTERM. No results folder is written unless the work finished.
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}, epilog=EPILOG)
@click.version_option(package_name="stockpile")
def main() -> None:
    """Size strategic stockpiles of critical minerals (Pyomo + HiGHS)."""

    install()  # SIGTERM cleans up like Ctrl-C
    enable()  # long work says what it is doing, on stderr


def _print_coverage(res) -> None:
    pivot = res.coverage_table()
    cov = res.coverage
    rights = bool((cov.rights_t > 0).any()) if "rights_t" in cov else False
    what = "national stock + drawing rights on the pool" if rights else "national stock"
    shared = "" if rights or not (cov.joint_t > 0).any() else "; the pool is shared, not guaranteed"
    click.echo(f"Coverage, months guaranteed ({what}{shared}):")
    click.echo(pivot.to_string(float_format=lambda x: f"{x:8.2f}", na_rep="     n/a"))


OVERWRITE = click.option("--overwrite", is_flag=True,
                         help="write into an existing -o folder that holds other files (they are kept)")


@main.command()
@click.argument("sources", nargs=-1, metavar="[WORKBOOK|RUN.toml ...]")
@click.option("-o", "--out", type=click.Path(),
              help="results folder (default results/NAME); with several inputs, the comparison's folder "
                   "(default results/compare-A-B)")
@OVERWRITE
@click.option("--write-model", callback=_model_file_option, metavar="FILE.mps|FILE.lp",
              help="write the model handed to HiGHS (.mps/.lp); solves it as one model")
@click.option("--workers", type=click.IntRange(1, 512), default=None,
              help="HiGHS solves side by side, one subproblem (mineral) each; the answer does not depend on it  "
                   "[default: the number of cores]")
@guarded
def solve(sources: tuple[str, ...], out: str | None, overwrite: bool, write_model: str | None,
          workers: int | None) -> None:
    """Size national and joint stockpiles; write the results folder and print coverage. Several inputs: each is
    solved into results/NAME, then the folders are compared (`stockpile compare`)."""

    if len(sources) > 1:
        if write_model:
            raise Stop("--write-model writes one model: give one workbook or run specification")
        runs = [_load_run(source) for source in sources]  # every input checked before any work
        names = [spec.name for spec, _data in runs]
        if len(set(names)) < len(names):
            raise Stop(f"two inputs share the name {next(n for n in names if names.count(n) > 1)}, so their results "
                       "folders would be one: rename a run specification")
        folders = [_output(None, Path("results") / name, overwrite) for name in names]
        target = _output(out, Path("results") / ("compare-" + "-".join(names))[:120], overwrite)
        for (_spec, data), folder in zip(runs, folders, strict=True):
            _solve_one(data, folder, overwrite, None, workers, time.perf_counter())
        write_compare(target, folders, overwrite)
        click.echo(f"wrote {target}/ (the runs compared)")
        return
    t0 = time.perf_counter()
    spec, data = _load_run(sources[0] if sources else None)
    folder = _output(out, Path("results") / spec.name, overwrite)
    _solve_one(data, folder, overwrite, write_model, workers, t0)


def _solve_one(data, folder: Path, overwrite: bool, write_model: str | None, workers: int | None, t0: float) -> None:
    read_s = time.perf_counter() - t0
    res = solve_data(data, write_model=write_model, workers=workers or os.cpu_count() or 1)
    close_progress()  # the work is done: what is printed next reads without the bar
    res.facts.seconds.update(read=read_s, total=res.facts.seconds["total"] + read_s)
    for w in res.warnings:
        click.echo(f"warning: {w}", err=True)
    write_results(folder, data, res, overwrite)
    _print_coverage(res)
    for line in rests_on_console(res):
        click.echo(line)
    click.echo(solver_line(res.facts).replace("**", ""))
    if res.facts.status == "time_limit":
        click.echo(f"warning: time limit of {res.facts.time_limit_s:g} s hit; best solution found, "
                   f"{gap_words(res.facts)}: not proven optimal", err=True)
    if write_model:
        if not Path(write_model).is_file():
            raise Stop(f"HiGHS did not write {write_model}; the results folder {folder}/ was written")
        click.echo(f"wrote the model handed to HiGHS to {write_model}")
    click.echo(f"wrote {folder}/")


@main.command()
@click.argument("source", required=False, metavar="[WORKBOOK|RUN.toml]")
@click.option("-o", "--out", type=click.Path(), help="results folder (default results/NAME-share)")
@OVERWRITE
@click.option("--rules", default=",".join(RULES), show_default=False, callback=_rules_option,
              help="comma-separated rules to compare (default: all of " + ", ".join(RULES) + ")")
@click.option("--reference", default="shapley", show_default=True, type=click.Choice(RULES[:-1]),
              help="rule the 'optimised' shares stay closest to")
@click.option("--mip-rel-gap", type=click.FloatRange(0, 0.1), default=None,
              help="override the workbook's mip_rel_gap for the coalition solves, 0 to 0.1")
@click.option("--workers", type=click.IntRange(1, 512), default=None,
              help="local processes for the coalitions  [default: the number of cores]")
@click.option("--scheduler", metavar="tcp://HOST:PORT", callback=_scheduler_option,
              help="solve the coalitions on a Dask cluster instead of local processes")
@click.option("--game", "game_file", type=click.Path(dir_okay=False), metavar="COALITIONS.csv",
              help="compare the rules on coalition costs from this file (as share writes it) instead of solving; "
                   "give the workbook too for the consumption, exposed_demand and gdp rules")
@click.option("--method", type=click.Choice(["auto", "exact", "sampled"]), default="auto", show_default=True,
              help="exact: every coalition solved; sampled: only those a sampled Shapley value needs (with its 95% "
                   "interval); auto: exact up to 10 parties")
@click.option("--samples", type=click.IntRange(2, 1_000_000), default=200, show_default=True,
              help="orders of the parties the sampled Shapley value draws (in antithetic pairs)")
@click.option("--half-width", type=click.FloatRange(0, min_open=True), default=None, metavar="USD",
              help="sample orders until every party's 95% interval is within +- this, USD/yr (at most --samples)")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="the sampled orders' seed")
@click.option("--separation", type=click.Choice(["verdicts", "all", "none"]), default="all", show_default=True,
              help="a sampled game (cooperative allocation): each rule's core verdict by one membership MILP "
                   "(verdicts), also the nucleolus and least core by row generation (all), or none")
@click.option("--separation-time-limit", type=click.FloatRange(0, min_open=True), default=None, metavar="S",
              help="each separation MILP's time limit, seconds (default: the workbook's time_limit_s); one stopped "
                   "there gives what its bound proves, and the results say how much is left unproved")
@guarded
def share(source, out, overwrite, rules: list[str], reference: str, mip_rel_gap: float | None, workers: int | None,
          scheduler: str | None, game_file, method: str, samples: int, half_width: float | None, seed: int,
          separation: str, separation_time_limit: float | None) -> None:
    """Coalition game and cost-sharing comparison for the joint stockpile."""

    sampling = {"method": method, "samples": samples, "half_width": half_width, "seed": seed}
    if game_file:
        sharing, folder = _share_from_file(source, game_file, out, overwrite, rules, reference, sampling)
    else:
        sharing, folder = _share_by_solving(source, out, overwrite, rules, reference, mip_rel_gap,
                                            workers or os.cpu_count() or 1, scheduler,
                                            {**sampling, "separation": separation,
                                             "separation_time_limit_s": separation_time_limit})
    for note in write_share(folder, sharing, overwrite):
        click.echo(f"warning: {note}", err=True)
    pivot = sharing.tables["sharing"].pivot(index="rule", columns="party", values="cost_usd_per_yr") / 1e6
    click.echo("Cost per party under each rule, USD m/yr:")
    click.echo(pivot.reindex([r for r in rules if r in pivot.index]).to_string(float_format=lambda x: f"{x:10.3f}"))
    click.echo(f"wrote {folder}/")


def _share_from_file(source, game_file, out, overwrite, rules, reference, sampling):

    spec, data = _load_run(source) if source else (None, None)
    folder = _output(out, Path("results") / f"{Path(game_file).stem}-share", overwrite)
    try:
        return share_game(game_file, data, rules, reference, **sampling), folder
    except ValueError as err:
        raise Stop(str(err)) from None


def _share_by_solving(source, out, overwrite, rules, reference, mip_rel_gap, workers, scheduler, sampling):
    spec, data = _load_run(source)
    if mip_rel_gap is not None:
        data = data.with_settings(mip_rel_gap=mip_rel_gap)
    try:
        check_share(data, rules, reference)
    except ValueError as err:
        raise Stop(str(err)) from None
    folder = _output(out, Path("results") / f"{spec.name}-share", overwrite)
    with _cluster(scheduler) as client:
        try:
            return share_data(data, rules, reference, progress=_coalition_progress(), workers=workers,
                              client=client, **sampling), folder
        except CoalitionUnsolved as err:
            raise Stop(f"{err}; nothing was written", EXIT_NO_SOLUTION) from None


def _coalition_progress():
    """A line per coalition on stderr, with the time left in its batch at the pace so far. Every coalition of n
    parties (2^n - 1, smallest first): the pace per party solved, since a coalition's solve grows with its parties
    (a plain count promised half the time left); a batch of some coalitions (a sampled game, a separation's): the
    pace per coalition. The last of a batch says nothing of time left."""
    began = last = time.perf_counter()  # the batch's start; the last report's time
    parties = 0  # solved in this batch

    def report(done: int, total: int, name: str) -> None:
        nonlocal began, last, parties
        now = time.perf_counter()
        if done == 1:  # a new batch, begun when the last report was made
            began, parties = last, 0
        last = now
        size = name.count("+") + 1
        parties += size
        n = round(math.log2(total + 1))
        if done >= total:
            left = ""
        elif 2 ** n - 1 == total and size <= n:  # every coalition of n parties: their sizes sum to n 2^(n-1)
            left = f"; ~{(now - began) / parties * max(0, n * 2 ** (n - 1) - parties):.0f} s left at this pace"
        else:
            left = f"; ~{(now - began) / done * (total - done):.0f} s left at this pace"
        step(f"coalition {done}/{total} {name} solved{left}")
    return report


@main.command()
@click.argument("source", required=False, metavar="[WORKBOOK|RUN.toml]")
@click.option("--vary", "varies", multiple=True, metavar="SHEET.ROW.COLUMN=LO:HI:STEP",
              help="values to sweep: =LO:HI:STEP, =A,B,C (a list), or =xLO:HI:STEP (scales the current value); "
                   "ROW is a row id, ':'-joined for composite keys, or * (e.g. shortage_costs.NdPr:*.usd_per_t); "
                   "several --vary make a full grid (at most 100,000 points)")
@click.option("--tornado", metavar="LO:HI", help="one input at a time at these scale factors (e.g. 0.5:1.5)")
@click.option("-o", "--out", type=click.Path(), help="results folder (default results/NAME-sweep)")
@OVERWRITE
@click.option("--workers", type=click.IntRange(1, 512), default=None,
              help="local processes (default: number of cores)")
@click.option("--scheduler", metavar="tcp://HOST:PORT", callback=_scheduler_option,
              help="run on this Dask cluster instead")
@guarded
def sweep(source, varies, tornado, out, overwrite, workers, scheduler) -> None:
    """Sensitivity sweep over --vary values (full grid) or a --tornado, re-solving one model per worker."""
    try:
        plan = plan_sweep(_source(source), varies, tornado)
    except ValueError as err:
        raise Stop(str(err)) from None
    for w in plan.warnings:
        click.echo(w, err=True)
    folder = _output(out, Path("results") / f"{plan.name}-sweep", overwrite)
    with _cluster(scheduler) as client:
        workers = workers or os.cpu_count() or 1
        click.echo(f"{len(plan.points)} points" + (f" on {scheduler}" if scheduler else f", {workers} worker(s)"),
                   err=True)
        result = sweep_data(plan, workers=workers, scheduler=client, progress=True)
    run = result.run
    for note in write_sweep(folder, plan.name, result, overwrite):
        click.echo(f"warning: {note}", err=True)
    if run.partial:
        click.echo(f"warning: PARTIAL sweep: {run.done} of {run.total} points finished", err=True)
    unproven = {r["point"] for r in run.rows if r.get("status") != "optimal"}
    if unproven:
        click.echo(f"warning: {len(unproven)} of {run.done} points have no proven optimum (time limit, infeasible "
                   "or bad input): see their status in sweep.csv and summary.md", err=True)
    click.echo(f"{run.done} points in {run.seconds:.1f} s ({run.points_per_minute:.1f} points/min) on {run.backend}")
    click.echo(f"wrote {folder}/")
    if run.terminated:
        _exit("stopped by SIGTERM; the finished points were written, marked PARTIAL", EXIT_TERMINATED)


@main.command()
@click.argument("folders", nargs=-1, required=True, metavar="DIR_A DIR_B [...]")
@click.option("-o", "--out", type=click.Path(), help="comparison folder (default results/compare-A-B)")
@OVERWRITE
@guarded
def compare(folders: tuple[str, ...], out: str | None, overwrite: bool) -> None:
    """Results folders of `stockpile solve` side by side: stock, coverage, costs, facts and the inputs that differ."""

    if len(folders) < 2:
        raise Stop(f"expected two or more results folders to compare; found {len(folders)}")
    try:
        parsed = [read_folder(f) for f in folders]  # every folder checked before the output and the work
    except NotResults as err:
        raise Stop(str(err)) from None
    folder = _output(out, Path("results") / ("compare-" + "-".join(f.name for f in parsed))[:120], overwrite)
    write_compare(folder, list(folders), overwrite)
    click.echo(f"wrote {folder}/")


def _month_option(ctx, param, value: str | None) -> str | None:
    if value is not None and month_index(value) is None:
        raise click.BadParameter(f"expected a month as YYYY-MM (e.g. 2025-12); found '{value}'")
    return value


def _rule_line(tested) -> str:
    """What the operating rule rests on, and that it gives back the model on the tree."""
    rule = tested.rule
    return f"operating rule: {rule.state_count:,} states of the scenario tree (" + (
        "each met with one release" if not rule.ambiguous else
        f"{rule.ambiguous} met twice with different releases") + ")"


@main.command()
@click.argument("source", required=False, metavar="[WORKBOOK|RUN.toml]")
@click.option("-o", "--out", type=click.Path(), help="results folder (default results/NAME-backtest)")
@OVERWRITE
@click.option("--through", callback=_month_option, metavar="YYYY-MM",
              help="last month replayed (default: December of the latest year the history sheet names)")
@click.option("--workers", type=click.IntRange(1, 512), default=None,
              help="HiGHS solves side by side for the recommendation  [default: the number of cores]")
@guarded
def backtest(source, out, overwrite, through: str | None, workers: int | None) -> None:
    """Replay the recommended stock and its operating rule on the cuts that happened (the history sheet)."""

    spec, data = _load_run(source)
    check_history(data)
    try:
        check_window(data, through)
    except ValueError as err:
        raise Stop(str(err)) from None
    folder = _output(out, Path("results") / f"{spec.name}-backtest", overwrite)
    step("solving the recommendation (no what-if re-solves), then replaying the history month by month")
    tested = backtest_data(data, through, workers or os.cpu_count() or 1)
    close_progress()
    bt = tested.backtest
    assert bt is not None  # api.backtest always replays
    for w in write_backtest(folder, data, spec.name, bt, tested.rule, tested.results.facts, overwrite):
        click.echo(f"warning: {w}", err=True)
    t = bt.table
    gap, unmet = t.gap_t.sum(), t.unmet_with_stock_t.sum()
    click.echo(f"{len(bt.history)} cuts, {month_text(bt.first)} to {month_text(bt.last)}: {gap:,.1f} t of supply "
               f"lost, {gap - unmet:,.1f} t covered by the stock; shortage cost avoided "
               f"${t.shortage_cost_avoided_usd.sum() / 1e6:,.1f} m")
    click.echo(_rule_line(tested))
    click.echo(solver_line(tested.results.facts).replace("**", ""))
    click.echo(f"wrote {folder}/")


@main.command()
@click.argument("source", required=False, metavar="[WORKBOOK|RUN.toml]")
@click.option("-o", "--out", type=click.Path(), help="results folder (default results/NAME-evaluate)")
@OVERWRITE
@click.option("--samples", type=click.IntRange(2, 1_000_000), default=1000, show_default=True,
              help="sampled histories (two at least: one has no spread to state an interval by)")
@click.option("--years", type=click.IntRange(1, 1000), default=20, show_default=True, help="years per history")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="the samples' seed: the same seed gives the same samples on any number of workers")
@click.option("--workers", type=click.IntRange(1, 512), default=None,
              help="local processes for the samples  [default: the number of cores]")
@click.option("--scheduler", metavar="tcp://HOST:PORT", callback=_scheduler_option,
              help="run the samples on a Dask cluster instead of local processes")
@guarded
def evaluate(source, out, overwrite, samples: int, years: int, seed: int, workers: int | None,
             scheduler: str | None) -> None:
    """Run the recommended stock and its operating rule through sampled histories the tree leaves out."""

    spec, data = _load_run(source)
    folder = _output(out, Path("results") / f"{spec.name}-evaluate", overwrite)
    with _cluster(scheduler) as client:
        step("solving the recommendation (no what-if re-solves)")
        tested = evaluate_data(data, samples, years, seed, workers or os.cpu_count() or 1, client,
                               _sample_progress())
    close_progress()
    ev = tested.evaluation
    assert ev is not None  # api.evaluate always evaluates
    for w in write_evaluation(folder, data, spec.name, ev, tested.results.facts, overwrite):
        click.echo(f"warning: {w}", err=True)
    total = ev.total
    click.echo(f"expected shortage cost, USD m/yr: in sample (the tree) {ev.in_sample_usd_per_yr / 1e6:,.1f}; out of "
               f"sample {total['mean'] / 1e6:,.1f} (95% interval {total.ci95_low / 1e6:,.1f} to "
               f"{total.ci95_high / 1e6:,.1f}; {samples:,} histories of {years} years, seed {seed})")
    click.echo(_rule_line(tested))
    click.echo(f"wrote {folder}/")


def _sample_progress():
    """A line per tenth of the samples on stderr, with the time left at the pace so far."""
    t0 = [time.perf_counter()]
    shown = [0]

    def report(done: int, total: int) -> None:
        if done == 0:
            t0[0] = time.perf_counter()
            return
        if done * 10 // total > shown[0] or done == total:
            shown[0] = done * 10 // total
            pace = (time.perf_counter() - t0[0]) / done
            step(f"{done:,}/{total:,} sampled histories; ~{pace * (total - done):.0f} s left at this pace")
    return report


@main.command()
@click.argument("source", metavar="WORKBOOK|RUN.toml")
@guarded
def validate(source: str) -> None:
    """Check a workbook (xlsx or CSV folder) or run specification; list every problem at once."""

    _, data = _load_run(source)
    for w in exposure_warnings(data):
        click.echo(f"warning: {w}", err=True)
    events = len({(data.scenarios[e.scenario].scenario, e.supplier, e.minerals, e.targets, e.start_month, e.cut)
                  for e in data.events})
    click.echo(f"OK: {source}: {len(data.parties)} parties, {len(data.minerals)} minerals, "
               f"{data.scenarios_text()}, {events} events")


@main.command()
@click.argument("out", type=click.Path(dir_okay=False))
@guarded
def template(out: str) -> None:
    """Write an empty, documented workbook to OUT (.xlsx)."""

    path = Path(out)
    if path.exists():
        raise Stop(f"{out} already exists; stockpile does not overwrite a file it did not write. Choose a new name")
    if path.suffix.lower() != ".xlsx":
        raise Stop(f"expected a file name ending in .xlsx; found '{out}'")
    if not path.parent.is_dir() and str(path.parent):
        raise Stop(f"the folder {path.parent} does not exist")
    write_template(out)
    click.echo(f"wrote {out}")


def run() -> None:
    """The `stockpile` command: main(), then leave without tearing the interpreter down when nothing is
    left to wait for (freeing every module and model took ~0.4 s after the folder was written and
    closed). Any thread or worker process still alive gets the normal exit, which waits for it."""

    try:
        main()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if threading.active_count() > 1 or multiprocessing.active_children():
            raise
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    run()
