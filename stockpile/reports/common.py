"""What every report shares: tables as CSV and results.xlsx, plots that cannot sink a run,
number formats, the warnings section and the provenance lines."""

from __future__ import annotations

import math
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import highspy
import matplotlib
import xlsxwriter

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ..common.units import usd as _usd  # noqa: E402
from ..common.version import VERSION  # noqa: E402
from ..io.data import ModelData  # noqa: E402

COLOURS = plt.get_cmap("tab20").colors  # type: ignore[attr-defined]  # 20 distinct colours (a 10-colour cycle gave Co and W the same)
MARKERS = "osD^v<>ph*"
EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384  # an Excel sheet's limits, header row included


def write_tables(folder: Path, tables: dict[str, pd.DataFrame], about: Sequence[tuple[str, object]] = (),
                 first: dict[str, pd.DataFrame] | None = None, last: dict[str, pd.DataFrame] | None = None,
                 order: Sequence[str] = ()) -> list[str]:
    """Every table as CSV, and in results.xlsx where it fits an Excel sheet (formatted for people: `first`'s
    sheets (e.g. the briefing's numbers), then 'about' with `about`'s rows, the tables named in `order`, the rest,
    `last`'s sheets (e.g. the inputs echoed) and a column dictionary; bold frozen headers, autofilters, number
    formats by unit, widths); `first` and `last` are in results.xlsx only. Returns what did not fit."""

    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    too_big = [name for name, frame in tables.items()
               if len(frame) + 1 > EXCEL_MAX_ROWS or len(frame.columns) > EXCEL_MAX_COLUMNS]
    notes = [f"table {name} has {len(tables[name]):,} rows, more than an Excel sheet holds: it is in {name}.csv "
             "only, not in results.xlsx" for name in too_big]
    # the about sheet keeps numbers as numbers (a planner sums and compares them), every other value as text
    sheets = dict(first or {})
    if about:
        sheets["about"] = pd.DataFrame([(k, v if isinstance(v, int | float) and not isinstance(v, bool) else
                                         "n/a" if v is None else str(v)) for k, v in about], columns=["item", "value"])
    ranked = [n for n in order if n in tables] + [n for n in tables if n not in order]  # money before schedules
    sheets.update({name[:31]: tables[name] for name in ranked if name not in too_big})
    if notes:
        sheets["notes"] = pd.DataFrame({"note": notes})
    sheets.update({name[:31]: frame for name, frame in (last or {}).items()})
    sheets["columns"] = column_dictionary({n: f for n, f in sheets.items() if n not in ("about", "notes")})
    book = xlsxwriter.Workbook(str(folder / "results.xlsx"), {"strings_to_numbers": False, "nan_inf_to_errors": True,
                                                             "strings_to_formulas": False, "strings_to_urls": False})
    try:
        for name, frame in sheets.items():
            _write_sheet(book, name, frame)
    finally:
        book.close()
    return notes


def unit_of(column: str) -> str:
    """A column's unit, read from its name's suffix (the names carry their units: docs/formulation.md)."""
    rules = (("_usd_per_yr", "USD a year (expected annual cost)"), ("_usd_m_per_yr", "USD million a year"),
             ("_usd_per_t_yr", "USD a tonne a year"), ("_usd_per_t", "USD a tonne"), ("_usd_m", "USD million"),
             ("_usd", "USD"), ("_t_per_month", "tonnes a month"), ("_t_per_yr", "tonnes a year"), ("_t", "tonnes"),
             ("_months", "months"), ("_days", "days"), ("_pct", "percent"), ("_share", "share (0 to 1)"),
             ("share_", "share (0 to 1)"), ("_s", "seconds"))
    for suffix, unit in rules:
        if column.endswith(suffix) or (suffix.endswith("_") and column.startswith(suffix)):
            return unit
    return {"usd": "USD", "usd_per_yr": "USD a year", "month": "month of a cut (1 = first)", "year": "build year",
            "probability_per_yr": "per year"}.get(column, "")


def column_dictionary(sheets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every column of every sheet with its unit (a sheet a planner can look a column up in)."""
    rows = [{"sheet": name, "column": str(c), "unit": unit_of(str(c))} for name, frame in sheets.items()
            for c in frame.columns]
    return pd.DataFrame(rows, columns=["sheet", "column", "unit"])


def number_format(column: str) -> str | None:
    """Excel number format from a column's unit suffix (the CSV keeps full precision)."""
    if column.endswith(("_usd", "_usd_per_yr", "usd_per_yr")) or column in ("usd", "usd_per_yr"):
        return "#,##0"
    if "share" in column or column.endswith("_share"):
        return "0.0%"
    if column.endswith(("_t", "_t_per_yr", "_t_per_month")) or column == "bought_t":
        return "#,##0.0"
    if "months" in column or column.endswith("_days"):
        return "0.0"
    return None


def _write_sheet(book, name: str, frame: pd.DataFrame) -> None:
    """One sheet: bold frozen header, each column in its unit's number format, a width to read it by."""
    sheet = book.add_worksheet(name)
    sheet.freeze_panes(1, 0)
    bold = book.add_format({"bold": True})
    for j, column in enumerate(frame.columns):
        width = (28 if j == 0 else 100) if name == "about" else max(10, min(60, len(str(column)) + 2))
        fmt = number_format(str(column))
        cell = book.add_format({"num_format": fmt}) if fmt else None
        sheet.set_column(j, j, width)
        sheet.write(0, j, str(column), bold)
        values = frame[column]
        values = values.astype(object).where(values.notna(), None).tolist()
        sheet.write_column(1, j, values, cell)
    if name != "about" and len(frame.columns):
        sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)  # sort and filter in Excel at once


def draw(notes: list[str], plot, *args) -> None:
    """A plot that fails costs its picture, never the run: the failure is a note in summary.md."""
    try:
        plot(*args)
    except Exception as exc:
        where = next((a for a in reversed(args) if isinstance(a, Path)), Path("a plot"))  # the file it was to be
        notes.append(f"{where.name} could not be drawn ({type(exc).__name__}: {exc}); the tables are complete")
    finally:
        plt.close("all")

def _md(frame: pd.DataFrame, floatfmt: str = ",.1f") -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        # a missing number is "n/a" (e.g. coverage of a mineral a party does not use), never "nan"
        cells = ["n/a" if _missing(v) else format(v, floatfmt) if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def solver_line(facts) -> str:
    gap = "n/a (no bound)" if facts.relative_gap is None or facts.relative_gap == float("inf") else \
        f"{facts.relative_gap:.3%}"
    bound = "n/a" if facts.best_bound_usd_per_yr is None else _usd(facts.best_bound_usd_per_yr)
    obj = "n/a" if facts.objective_usd_per_yr is None else _usd(facts.objective_usd_per_yr)
    # only the times this solve recorded (a coalition re-solve has no build or total of its own); a decomposed
    # solve's build and HiGHS seconds are sums over subproblems that ran side by side, so they can exceed the wall
    parts = len(facts.subproblems)
    summed = f" summed over {parts} subproblems" if parts > 1 else ""
    seconds = ", ".join(f"{label} {facts.seconds[key]:.2f}" for key, label in
                        (("build", f"build{summed}"), ("highs", f"HiGHS{summed}"), ("total", "wall time in all"))
                        if key in facts.seconds)
    return (f"HiGHS {facts.highs_version}: status **{facts.status}** ({facts.termination}); objective {obj}/yr, "
            f"best bound {bound}/yr, gap {gap} (stop at {facts.mip_rel_gap_setting:g}); "
            f"{facts.variables:,} variables ({facts.integer_variables:,} integer), {facts.constraints:,} constraints; "
            f"seconds: {seconds}.")

def warnings_section(warnings: list[str]) -> list[str]:
    if not warnings:
        return []
    return ["## Warnings", "", *[f"- {w.removeprefix('warning: ')}" for w in warnings], ""]


def provenance(data: ModelData) -> list[str]:
    """Which inputs produced these numbers: the workbook and, when one was used, the run specification."""
    lines = [f"Workbook `{data.source}`, sha256 `{data.sha256}`."]
    if data.run_spec:
        lines.append(f"Run specification `{data.run_spec}`, sha256 `{data.run_spec_sha256}`.")
    return [*lines, run_line()]


def run_line() -> str:
    """When and with what these numbers were made: the date (UTC) and the versions of stockpile and HiGHS."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"Run {now} with stockpile {VERSION}, HiGHS {highs_version()}, Python {platform.python_version()}."


def highs_version() -> str:
    return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"

def finish(fig, path: Path | str | None, **savefig):
    """Save a plot where asked (the results folder), close it so no figure piles up, and return it: a notebook
    shows the returned figure (plot_coverage(res.coverage) without a path)."""
    if path is not None:
        fig.savefig(path, dpi=110, **savefig)
    plt.close(fig)
    return fig


def _bar_chart(pivot: pd.DataFrame, path: Path | None, ylabel: str, title: str, lines=(), ncol: int = 6):
    """Grouped bars (index on the x axis, one bar per column) with optional horizontal reference lines."""
    fig, ax = plt.subplots(figsize=(11, 4.5))
    pivot.plot.bar(ax=ax, width=0.8)
    for y, style, label in lines:
        ax.axhline(y, lw=1, label=label, **style)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(ncol=ncol, fontsize=8)
    fig.tight_layout()
    return finish(fig, path)
