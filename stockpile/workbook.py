"""Read a workbook (xlsx, or a folder of CSVs named after the sheets) into raw
tables of cells, and apply `SHEET.ROW.COLUMN=value` overrides to them.

Nothing here judges the cells: `validate.py` does, with the row numbers kept here.
"""

from __future__ import annotations

import hashlib
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .problems import InputError, Problem
from .schema import SHEETS

Cell = str | float | None


@dataclass
class RawSheet:
    name: str
    columns: list[str]
    # (row number as in Excel, cells by column name); blank rows are dropped
    rows: list[tuple[int, dict[str, Cell]]]


@dataclass
class RawBook:
    path: str
    sheets: dict[str, RawSheet]
    sha256: str
    problems: list[Problem] = field(default_factory=list)


def _cell(value: object) -> Cell:
    """One cell, normalised so that xlsx and CSV give the same thing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return None if math.isnan(value) else float(value)
    text = str(value).strip()
    return text or None


def _sheet_from_frame(name: str, frame: pd.DataFrame) -> RawSheet:
    columns = [str(c).strip() for c in frame.columns]
    rows = []
    for i, values in enumerate(frame.itertuples(index=False, name=None)):
        cells = {c: _cell(v) for c, v in zip(columns, values, strict=True)}
        if any(v is not None for v in cells.values()):
            rows.append((i + 2, cells))  # header is row 1
    return RawSheet(name, [c for c in columns if not c.startswith("Unnamed:")], rows)


def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for p in sorted(paths):
        digest.update(p.name.encode())
        digest.update(p.read_bytes())
    return digest.hexdigest()


def read_book(path: str | Path) -> RawBook:
    """Read every sheet as text/number cells. Raises InputError if the file
    cannot be read as a workbook at all."""
    path = Path(path)
    shown = str(path)
    if not path.exists():
        raise InputError([Problem(shown, None, None, None, "an existing .xlsx file or CSV folder", "no such file")])
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise InputError([Problem(shown, None, None, None, "a folder of CSV files named after the sheets",
                                      "no .csv files")])
        sheets = {}
        for f in files:
            frame = pd.read_csv(f, dtype=str, keep_default_na=False)
            sheets[f.stem] = _sheet_from_frame(f.stem, frame)
        return RawBook(shown, sheets, _hash_files(files))
    if not zipfile.is_zipfile(path):
        raise InputError([Problem(shown, None, None, None, "an .xlsx workbook (or a folder of CSV files)",
                                  "a file that is not an xlsx workbook")])
    try:
        frames = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise InputError([Problem(shown, None, None, None, "a readable .xlsx workbook",
                                  f"{type(exc).__name__}: {exc}")]) from None
    sheets = {name: _sheet_from_frame(name, frame) for name, frame in frames.items()}
    return RawBook(shown, sheets, _hash_files([path]))


# --- overrides: SHEET.ROW.COLUMN=value (run specifications and sweeps) -------------

def row_id(sheet: str, cells: dict[str, Cell]) -> str:
    """A row's id as users write it: key values joined by ':'."""
    key = SHEETS[sheet].key if sheet in SHEETS else ()
    if sheet == "events" or not key:
        return ""
    return ":".join(_fmt(cells.get(k)) for k in key)


def _fmt(v: Cell) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


def parse_path(path: str) -> tuple[str, str, str]:
    parts = path.split(".")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"'{path}' is not SHEET.ROW.COLUMN")
    return parts[0], parts[1], parts[2]


def matching_rows(book: RawBook, path: str) -> list[tuple[int, dict[str, Cell]]]:
    """The rows a path names, or a ValueError naming what is unknown."""
    sheet, row, column = parse_path(path)
    if sheet not in SHEETS or sheet not in book.sheets:
        raise ValueError(f"unknown sheet '{sheet}' in '{path}'")
    if column not in (c.name for c in SHEETS[sheet].columns):
        raise ValueError(f"unknown column '{column}' of sheet '{sheet}' in '{path}'")
    rows = book.sheets[sheet].rows
    if sheet == "events":
        # events have no id: ROW is the event's position (1-based) or *
        if row == "*":
            return rows
        if row.isdigit() and 1 <= int(row) <= len(rows):
            return [rows[int(row) - 1]]
        raise ValueError(f"unknown row '{row}' of sheet 'events' in '{path}' (use 1..{len(rows)} or *)")
    if row == "*":
        return rows
    wanted = row.split(":")  # a part may be * (e.g. shortage_costs.NdPr:*.usd_per_t: every tier of NdPr)
    hits = [r for r in rows if _id_matches(row_id(sheet, r[1]).split(":"), wanted)]
    if not hits:
        raise ValueError(f"unknown row '{row}' of sheet '{sheet}' in '{path}'")
    return hits


def _id_matches(parts: list[str], wanted: list[str]) -> bool:
    return len(parts) == len(wanted) and all(w in ("*", p) for p, w in zip(parts, wanted, strict=True))


def set_value(book: RawBook, path: str, value: Cell) -> None:
    """Set a cell in place. A settings key not yet in the sheet is added."""
    sheet, row, column = parse_path(path)
    if sheet == "settings" and sheet in book.sheets and column == "value" and row != "*":
        rows = book.sheets["settings"].rows
        if not any(r[1].get("key") == row for r in rows):
            rows.append((rows[-1][0] + 1 if rows else 2, {"key": row, "value": None}))
    for _, cells in matching_rows(book, path):
        cells[column] = _cell(value)
    if column not in book.sheets[sheet].columns:
        book.sheets[sheet].columns.append(column)


def book_from_frames(frames: dict[str, pd.DataFrame], path: str = "<memory>") -> RawBook:
    """A RawBook from DataFrames (tests, generated workbooks), read as an xlsx would be."""
    sheets = {name: _sheet_from_frame(name, frame.astype(object)) for name, frame in frames.items()}
    digest = hashlib.sha256(repr(sorted((n, f.to_csv(index=False)) for n, f in frames.items())).encode())
    return RawBook(path, sheets, digest.hexdigest())
