"""Command line: `stockpile solve | share | sweep | validate | template`.

Exit codes: 0 done (a time limit hit is a warning), 1 no solution found in time,
2 bad input, 3 infeasible model (the conflicting requirements are named).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .problems import InputError
from .sharing import RULES

EXIT_NO_SOLUTION, EXIT_INPUT, EXIT_INFEASIBLE = 1, 2, 3
DEFAULT_WORKBOOK = Path(__file__).resolve().parents[1] / "inputs" / "trilateral_2025.xlsx"


def _fail_input(err: InputError) -> None:
    click.echo(err.report(), err=True)
    sys.exit(EXIT_INPUT)


def _source(source: str | None) -> str:
    """The named workbook or run specification, or the bundled workbook."""
    if source is not None:
        return source
    if not DEFAULT_WORKBOOK.exists():
        click.echo(f"error: the bundled workbook {DEFAULT_WORKBOOK} is missing; name a workbook "
                   "(install from a checkout with `pip install -e .`)", err=True)
        sys.exit(EXIT_INPUT)
    return str(DEFAULT_WORKBOOK)


def _load_run(source: str | None):
    """Workbook or run specification -> (RunSpec, ModelData); exits 2 on bad input."""
    from .runspec import load_run

    try:
        return load_run(_source(source))
    except InputError as err:
        _fail_input(err)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="stockpile")
def main() -> None:
    """Size strategic stockpiles of critical minerals (Pyomo + HiGHS)."""


def _print_coverage(res) -> None:
    cov = res["coverage"]
    pivot = cov.pivot(index="mineral", columns="party", values="coverage_months")
    pivot = pivot.reindex(list(dict.fromkeys(cov.mineral)))[list(dict.fromkeys(cov.party))]
    click.echo("Coverage, months (national stock + claim on the joint pool):")
    click.echo(pivot.to_string(float_format=lambda x: f"{x:8.2f}", na_rep="     n/a"))


def _solve_or_exit(data, write_model=None, read_s=0.0):
    from .pipeline import Infeasible, NoSolution, run

    try:
        return run(data, write_model=write_model, read_s=read_s)
    except Infeasible as err:
        click.echo(err.report(), err=True)
        sys.exit(EXIT_INFEASIBLE)
    except NoSolution as err:
        click.echo(f"error: {err}; raise time_limit_s in the settings sheet", err=True)
        sys.exit(EXIT_NO_SOLUTION)


@main.command()
@click.argument("source", required=False, metavar="[WORKBOOK|RUN.toml]")
@click.option("-o", "--out", type=click.Path(file_okay=False), help="results folder (default results/NAME)")
@click.option("--write-model", type=click.Path(dir_okay=False), help="write the model handed to HiGHS (.mps/.lp)")
def solve(source: str | None, out: str | None, write_model: str | None) -> None:
    """Size national and joint stockpiles; write the results folder and print coverage."""
    import time

    from .report import solver_line, write_results

    t0 = time.perf_counter()
    spec, data = _load_run(source)
    for w in data.warnings:
        click.echo(w, err=True)
    res = _solve_or_exit(data, write_model, read_s=time.perf_counter() - t0)
    folder = write_results(out or Path("results") / spec.name, data, res)
    _print_coverage(res)
    click.echo(solver_line(res.facts).replace("**", ""))
    if res.facts.status == "time_limit":
        click.echo(f"warning: time limit of {res.facts.time_limit_s:g} s hit; best solution found, gap "
                   f"{res.facts.relative_gap:.2%}: not proven optimal", err=True)
    if write_model:
        click.echo(f"wrote the model handed to HiGHS to {write_model}")
    click.echo(f"wrote {folder}/")


@main.command()
@click.argument("source", required=False, metavar="[WORKBOOK|RUN.toml]")
@click.option("-o", "--out", type=click.Path(file_okay=False), help="results folder (default results/NAME-share)")
@click.option("--rules", default=",".join(RULES), show_default=True, help="comma-separated rules to compare")
@click.option("--reference", default="shapley", show_default=True, type=click.Choice(RULES[:-1]),
              help="rule the 'optimised' shares stay closest to")
@click.option("--mip-rel-gap", type=float, default=None,
              help="override the workbook's mip_rel_gap for the coalition solves (savings are small next to costs)")
def share(source: str | None, out: str | None, rules: str, reference: str, mip_rel_gap: float | None) -> None:
    """Coalition game and cost-sharing comparison for the joint stockpile."""
    from .game import play
    from .report import atomic_folder, plot_sharing, share_summary, write_tables
    from .sharing import compare, core_status, least_core_slack, uncertainty

    wanted = [r.strip() for r in rules.split(",") if r.strip()]
    unknown = [r for r in wanted if r not in RULES]
    if unknown:
        click.echo(f"error: unknown rule(s) {', '.join(unknown)}; known: {', '.join(RULES)}", err=True)
        sys.exit(EXIT_INPUT)
    spec, data = _load_run(source)
    if mip_rel_gap is not None:
        data = data.with_settings(mip_rel_gap=mip_rel_gap)
    if not data.eligible_members():
        click.echo("error: no party may join the joint pool: set joint_member to yes or optional in the "
                   "parties sheet", err=True)
        sys.exit(EXIT_INPUT)
    with click.progressbar(length=2 ** len(data.eligible_members()) - 1, label="coalitions") as bar:
        game = play(data, progress=lambda done, total, name: bar.update(1))
    tables = {"coalitions": game.table(), **compare(game, data, wanted, reference)}
    t_star = least_core_slack(game)
    folder = Path(out or Path("results") / f"{spec.name}-share")
    with atomic_folder(folder) as tmp:
        write_tables(tmp, tables)
        grand_facts = game.facts[game.grand_coalition]
        status = core_status(game, t_star)
        (tmp / "summary.md").write_text(share_summary(data, tables["coalitions"], tables["sharing"], t_star,
                                                      status, uncertainty(game), grand_facts))
        plot_sharing(tables["sharing"], tmp / "sharing.png")
    pivot = tables["sharing"].pivot(index="rule", columns="party", values="cost_usd_per_yr") / 1e6
    click.echo("Cost per party under each rule, USD m/yr:")
    click.echo(pivot.reindex(wanted).to_string(float_format=lambda x: f"{x:10.3f}"))
    click.echo(f"wrote {folder}/")


@main.command()
@click.argument("source", required=False, metavar="[WORKBOOK|RUN.toml]")
@click.option("--vary", "varies", multiple=True, metavar="SHEET.ROW.COLUMN=LO:HI:STEP",
              help="values to sweep (=A,B,C; =xLO:HI:STEP scales the current value); several make a grid")
@click.option("--tornado", metavar="LO:HI", help="one input at a time at these scale factors (e.g. 0.5:1.5)")
@click.option("-o", "--out", type=click.Path(file_okay=False), help="results folder (default results/NAME-sweep)")
@click.option("--workers", type=int, default=None, help="local processes (default: number of cores)")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask cluster instead")
def sweep(source, varies, tornado, out, workers, scheduler) -> None:
    """Sensitivity sweep over --vary values (full grid) or a --tornado, re-solving one model per worker."""
    import os

    from .report import atomic_folder, plot_sweep, plot_tornado, sweep_summary, write_tables
    from .runspec import load_book
    from .sweep import (
        default_tornado_inputs,
        grid_points,
        parse_tornado,
        parse_vary,
        point_table,
        run_sweep,
        sweep_table,
        tornado_points,
        tornado_table,
    )
    from .validate import build_model_data

    try:
        spec, book = load_book(_source(source))
        build_model_data(book)  # the base case must be valid before any point is tried
    except InputError as err:
        _fail_input(err)
    name = spec.name
    varies = varies or tuple(spec.options.get("sweep", {}).get("vary", ()))
    if not varies and not tornado:
        click.echo("error: give at least one --vary SHEET.ROW.COLUMN=VALUES or --tornado LO:HI", err=True)
        sys.exit(EXIT_INPUT)
    try:
        parsed = [parse_vary(v, book) for v in varies]
        if tornado:
            lo, hi = parse_tornado(tornado)
            paths = [v.path for v in parsed] or default_tornado_inputs(book)
            points, labels = tornado_points(paths, lo, hi), ["input", "multiplier"]
        else:
            points, labels = grid_points(parsed), [v.label for v in parsed]
    except ValueError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_INPUT)
    workers = workers or os.cpu_count() or 1
    click.echo(f"{len(points)} points" + (f" on {scheduler}" if scheduler else f", {workers} worker(s)"), err=True)
    run = run_sweep(book, points, workers=workers, scheduler=scheduler)
    table = sweep_table(run, labels)
    per_point = point_table(table, labels)
    tables = {"sweep": table, "sweep_points": per_point}
    torn = tornado_table(table) if tornado else None
    if torn is not None:
        tables["tornado"] = torn
    folder = Path(out or Path("results") / f"{name}-sweep")
    with atomic_folder(folder) as tmp:
        write_tables(tmp, tables)
        (tmp / "summary.md").write_text(sweep_summary(name, run, per_point, labels if not tornado else [], torn))
        if torn is not None and len(torn):
            plot_tornado(torn, tmp / "tornado.png")
        elif not tornado:
            plot_sweep(per_point, labels, table, tmp / "sweep.png")
        (tmp / "sweep.json").write_text(json.dumps(
            {"points_done": run.done, "points_total": run.total, "partial": run.partial, "backend": run.backend,
             "seconds": run.seconds, "points_per_minute": run.points_per_minute}, indent=2))
    if run.partial:
        click.echo(f"warning: PARTIAL sweep: {run.done} of {run.total} points finished", err=True)
    click.echo(f"{run.done} points in {run.seconds:.1f} s ({run.points_per_minute:.1f} points/min) on {run.backend}")
    click.echo(f"wrote {folder}/")


@main.command()
@click.argument("workbook", type=click.Path())
def validate(workbook: str) -> None:
    """Check WORKBOOK (xlsx or CSV folder); list every problem at once."""
    from .validate import load

    try:
        data = load(workbook)
    except InputError as err:
        _fail_input(err)
    for w in data.warnings:
        click.echo(w, err=True)
    click.echo(f"OK: {workbook}: {len(data.parties)} parties, {len(data.minerals)} minerals, "
               f"{len(data.scenarios)} scenarios, {len(data.events)} events")


@main.command()
@click.argument("out", type=click.Path(dir_okay=False))
def template(out: str) -> None:
    """Write an empty, documented workbook to OUT (.xlsx)."""
    from .template import write_template

    write_template(out)
    click.echo(f"wrote {out}")


if __name__ == "__main__":
    main()
