"""`stockpile compare DIR_A DIR_B ...`: results folders of `stockpile solve` side by side (stock, coverage, costs,
what the answer rests on, the solver's facts) with the input cells that differ, read from the provenance each
folder records (solver.json: the workbook and the run specification). The first folder is the base: every
`change_*` column is a folder's value minus the base's."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..common.units import usd as _usd
from ..io.problems import InputError
from ..io.runspec import load_book
from ..io.workbook import RawBook, row_id
from .common import _md, run_line, write_tables
from .html import write_report
from .outdir import MARKER, results_folder

# table -> (its key columns, the value compared); only tables a folder has are compared
COMPARED = {"stock": (["holder", "mineral"], "stock_t"), "coverage": (["party", "mineral"], "coverage_months"),
            "costs": (["term"], "usd_per_yr"), "party_costs": (["holder"], "total_usd_per_yr"),
            "assumptions": (["group", "side"], "acquisitions_usd")}
FACTS = ("status", "objective_usd_per_yr", "best_bound_usd_per_yr", "relative_gap", "pooling_saving_usd_per_yr",
         "decomposition", "inputs", "inputs_sha256", "run_spec", "run_spec_sha256")


class NotResults(ValueError):
    """A folder that is not a results folder of `stockpile solve`."""


@dataclass
class Folder:
    path: Path
    name: str
    facts: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def read_folder(path: str | Path) -> Folder:
    """A results folder of `stockpile solve`: its solver.json and the tables compared; NotResults otherwise."""
    folder = Path(path)
    facts_file = folder / "solver.json"
    if not (folder / MARKER).is_file() or not facts_file.is_file():
        found = ("no such folder" if not folder.is_dir() else "no solver.json" if not facts_file.is_file()
                 else f"no {MARKER}")
        raise NotResults(f"{folder}: expected a results folder of `stockpile solve` ({MARKER} and solver.json); "
                         f"found {found}")
    try:
        facts = json.loads(facts_file.read_text())
    except (OSError, ValueError) as err:
        raise NotResults(f"{facts_file}: expected the JSON `stockpile solve` writes; found {type(err).__name__}: {err}"
                         ) from None
    tables = {name: pd.read_csv(folder / f"{name}.csv") for name in COMPARED if (folder / f"{name}.csv").is_file()}
    return Folder(folder, folder.name, facts, tables)


def names(folders: list[Folder]) -> list[str]:
    """A column name per folder: its name, with its parent's where two share one."""
    plain = [f.path.name for f in folders]
    out = [f"{f.path.parent.name}/{f.path.name}" if plain.count(f.path.name) > 1 else f.path.name for f in folders]
    return [f"{n} ({i + 1})" if out.count(n) > 1 else n for i, n in enumerate(out)]


def compare_tables(folders: list[Folder]) -> dict[str, pd.DataFrame]:
    """Each compared table with a column per folder and, for every folder after the first, its change."""
    labels = names(folders)
    out: dict[str, pd.DataFrame] = {}
    for table, (keys, value) in COMPARED.items():
        frames = [f.tables[table].set_index(keys)[value].rename(label)
                  for f, label in zip(folders, labels, strict=True) if table in f.tables]
        if len(frames) < 2:
            continue
        wide = pd.concat(frames, axis=1)
        base = labels[0]
        if base in wide:
            for label in labels[1:]:
                if label in wide:
                    wide[f"change_{label}"] = wide[label] - wide[base]
        out[f"{table}_compared"] = wide.reset_index()
    out["facts_compared"] = pd.DataFrame(
        [{"item": k, **{label: f.facts.get(k) for f, label in zip(folders, labels, strict=True)}} for k in FACTS])
    out["inputs_compared"] = inputs_compared(folders, labels)
    return out


def inputs_compared(folders: list[Folder], labels: list[str]) -> pd.DataFrame:
    """The input cells that differ between the folders' workbooks after their run specifications' overrides
    (sheet, row id or Excel row, column, a value per folder); a row `note` where a folder's inputs cannot be read."""
    books: dict[str, RawBook | str] = {}
    for f, label in zip(folders, labels, strict=True):
        source = f.facts.get("run_spec") or f.facts.get("inputs") or ""
        try:
            books[label] = load_book(str(source))[1]
        except (InputError, OSError, ValueError) as err:
            books[label] = f"its inputs ({source}) cannot be read now: {str(err).splitlines()[0]}"
    cells: dict[tuple[str, str, str], dict[str, object]] = {}
    for label, book in books.items():
        if isinstance(book, str):
            continue
        for name, sheet in book.sheets.items():
            for number, row in sheet.rows:
                rid = row_id(name, row) or f"row {number}"
                for column, value in row.items():
                    cells.setdefault((name, rid, column), {})[label] = value
    readable = [label for label, book in books.items() if not isinstance(book, str)]
    rows = [{"sheet": s, "row": r, "column": c, **{label: seen.get(label) for label in readable}}
            for (s, r, c), seen in cells.items()
            if len({repr(seen.get(label)) for label in readable}) > 1]
    rows += [{"sheet": "", "row": "", "column": "note", label: why} for label, why in books.items()
             if isinstance(why, str)]
    return pd.DataFrame(rows, columns=["sheet", "row", "column", *labels])


def compare_summary(folders: list[Folder], tables: dict[str, pd.DataFrame]) -> str:
    labels = names(folders)
    out = [f"# Results compared: {', '.join(labels)}", "",
           f"The base is {labels[0]}; every change is a folder's value minus the base's.", ""]
    facts = tables["facts_compared"].set_index("item")
    rows = []
    for label in labels:
        status = facts.loc["status", label]
        objective = facts.loc["objective_usd_per_yr", label]
        gap = facts.loc["relative_gap", label]
        rows.append({"run": label, "status": status if status is not None else "n/a",
                     "expected annual cost": _usd(objective) if objective is not None else "n/a",
                     "gap": f"{gap:.3%}" if isinstance(gap, int | float) else "n/a"})
    out += ["## Solver", "", _md(pd.DataFrame(rows)), ""]
    stock = tables.get("stock_compared")
    if stock is not None:
        by_mineral = stock.groupby("mineral", sort=False)[labels].sum(min_count=1)
        out += ["## Stock by mineral, all holders (t)", "", _md(by_mineral.reset_index(), ",.0f"), ""]
    costs = tables.get("costs_compared")
    if costs is not None:
        out += ["## Cost terms (USD m/yr)", "",
                _md(costs.assign(**{label: costs[label] / 1e6 for label in labels if label in costs})[
                    ["term", *[label for label in labels if label in costs]]], ",.2f"), ""]
    cov = tables.get("coverage_compared")
    if cov is not None:
        out += ["## Guaranteed coverage, months", "", _md(cov[["party", "mineral", *[
            label for label in labels if label in cov]]], ",.2f"), ""]
    inputs = tables["inputs_compared"]
    out += ["## Inputs that differ", ""]
    out += [_md(inputs.astype(object).where(inputs.notna(), "blank"))] if len(inputs) else \
        ["The folders were solved from the same cells."]
    out += ["", run_line(), ""]
    return "\n".join(out)


def write_compare(out: str | Path, paths: Sequence[str | Path], overwrite: bool = False) -> Path:
    """The comparison folder: comparison tables as CSV and results.xlsx, summary.md and report.html."""
    folders = [read_folder(p) for p in paths]  # every folder checked before any work
    tables = compare_tables(folders)
    with results_folder(out, overwrite, "compare") as tmp:
        write_tables(tmp, tables, [("compared", ", ".join(str(f.path) for f in folders)), ("run", run_line())])
        text = compare_summary(folders, tables)
        (tmp / "summary.md").write_text(text)
        write_report(tmp, text, "stockpile compare")
    return Path(out)
