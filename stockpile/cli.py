"""Command line: `stockpile solve | share | validate | template`.

Exit codes: 0 done (a time limit hit is a warning), 1 no solution found in time,
2 bad input, 3 infeasible model (the conflicting requirements are named).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .problems import InputError

EXIT_NO_SOLUTION, EXIT_INPUT, EXIT_INFEASIBLE = 1, 2, 3
DEFAULT_WORKBOOK = Path(__file__).resolve().parents[1] / "inputs" / "trilateral_2025.xlsx"


def _fail_input(err: InputError) -> None:
    click.echo(err.report(), err=True)
    sys.exit(EXIT_INPUT)


def _load_run(source: str | None, overrides: tuple[str, ...] = ()):
    """Workbook or run specification -> (RunSpec, ModelData); exits 2 on bad input."""
    from .runspec import load_run

    if source is None:
        if not DEFAULT_WORKBOOK.exists():
            click.echo(f"error: the bundled workbook {DEFAULT_WORKBOOK} is missing; name a workbook "
                       "(install from a checkout with `pip install -e .`)", err=True)
            sys.exit(EXIT_INPUT)
        source = str(DEFAULT_WORKBOOK)
    try:
        return load_run(source, overrides)
    except InputError as err:
        _fail_input(err)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="stockpile")
def main() -> None:
    """Size strategic stockpiles of critical minerals (Pyomo + HiGHS)."""


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
