"""Read a workbook (xlsx, or a folder of CSVs named after the sheets) into raw
tables of cells, and apply `SHEET.ROW.COLUMN=value` overrides to them.

Nothing here judges the cells: `validate.py` does, with the row numbers kept here.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd

from ..common.paths import why_missing
from .problems import InputError, Problem
from .schema import SHEETS

Cell = str | float | None


@dataclass
class RawSheet:
    name: str
    columns: list[str]
    # (row number as in Excel, cells by column name); blank rows are dropped
    rows: list[tuple[int, dict[str, Cell]]]
    readable: bool = True  # False: the file could not be read (its problem is already reported)


@dataclass
class RawBook:
    path: str
    sheets: dict[str, RawSheet]
    sha256: str  # of the file(s) as read; overrides do not change it (see content_sha256)
    problems: list[Problem] = field(default_factory=list)
    run_spec: str = ""  # the run specification whose overrides were applied, if any
    run_spec_sha256: str = ""
    # (sheet, row, column) -> (file, line) of the run specification that set the cell: its problems name that line
    overridden: dict[tuple[str, int, str], tuple[str, int | None]] = field(default_factory=dict)

    def content_sha256(self) -> str:
        """sha256 of every cell after overrides: the key for anything cached per workbook."""
        digest = hashlib.sha256()
        for name in sorted(self.sheets):
            sheet = self.sheets[name]
            digest.update(repr((name, sheet.columns, sheet.rows, sheet.readable)).encode())
        return digest.hexdigest()


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


def parse_number(raw: Cell) -> float | None:
    """A cell as a finite number, or None (text, blank, inf, nan)."""
    if isinstance(raw, float):
        return raw
    try:
        value = float(str(raw).replace("_", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _sheet_from_frame(name: str, frame: pd.DataFrame) -> RawSheet:
    # header is row 1, so the first data row is row 2
    return _sheet(name, list(frame.columns), enumerate(frame.itertuples(index=False, name=None), start=2))


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
        raise InputError([Problem(shown, None, None, None, "an existing .xlsx file or CSV folder", why_missing(path))])
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise InputError([Problem(shown, None, None, None, "a folder of CSV files named after the sheets",
                                      "no .csv files")])
        problems: list[Problem] = []
        sheets = {f.stem: read_csv_sheet(f, problems) for f in files}
        return RawBook(shown, sheets, _hash_files(files), problems)
    if not zipfile.is_zipfile(path):
        raise InputError([Problem(shown, None, None, None, "an .xlsx workbook (or a folder of CSV files)",
                                  "a file that is not an xlsx workbook")])
    try:
        sheets, problems = _read_xlsx(path)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise InputError([Problem(shown, None, None, None, "a readable .xlsx workbook",
                                  f"{type(exc).__name__}: {exc}")]) from None
    return RawBook(shown, sheets, _hash_files([path]), problems)


def _sheet(name: str, header: list, body) -> RawSheet:
    """A sheet from its header cells and (row number, cells) pairs; blank rows and unnamed columns dropped."""
    columns = [_text_header(h) for h in header]
    rows = []
    for number, values in body:
        cells = {c: _cell(v) for c, v in zip(columns, values, strict=False) if c}
        if any(v is not None for v in cells.values()):
            rows.append((number, cells))
    return RawSheet(name, [c for c in columns if c], rows)


def _text_header(h) -> str:
    text = "" if h is None else str(h).strip()
    return "" if text.startswith("Unnamed:") else text


def read_csv_sheet(f: Path, problems: list[Problem]) -> RawSheet:
    """One CSV file (UTF-8, with or without a byte-order mark); row numbers are line numbers."""
    raw = f.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        problems.append(Problem(str(f), f.stem, line, None, "UTF-8 text (in Excel: Save As 'CSV UTF-8')",
                                f"byte 0x{raw[exc.start]:02x} that is not UTF-8 (another encoding, e.g. Latin-1)"))
        return RawSheet(f.stem, [], [], readable=False)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            problems.append(Problem(str(f), f.stem, 1, None, "a header row naming the columns",
                                    "an empty file" if header is None else "a blank first line"))
            return RawSheet(f.stem, [], [], readable=False)
        body = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        problems.append(Problem(str(f), f.stem, reader.line_num, None, "comma-separated values", str(exc)))
        return RawSheet(f.stem, [], [], readable=False)
    for number, row in body:
        if len(row) > len(header) and any(v.strip() for v in row[len(header):]):
            problems.append(Problem(str(f), f.stem, number, None, f"at most {len(header)} values (the header's)",
                                    f"{len(row)} values"))
    return _sheet(f.stem, header, body)


def _read_xlsx(path: Path) -> tuple[dict[str, RawSheet], list[Problem]]:
    """Cached values of every sheet; a formula whose result was never saved is a problem, not a blank."""

    values = openpyxl.load_workbook(path, data_only=True, read_only=True)
    formulas = openpyxl.load_workbook(path, data_only=False, read_only=True)
    sheets, problems = {}, []
    try:
        for ws in values.worksheets:
            rows = list(ws.iter_rows(min_row=1, values_only=True))
            header, body = (list(rows[0]) if rows else []), []
            fs = formulas[ws.title].iter_rows(min_row=2, values_only=True)
            for number, (vals, forms) in enumerate(zip(rows[1:], fs, strict=False), start=2):
                for col, v, f in zip(header, vals, forms, strict=False):
                    if v is None and _is_formula(f):
                        problems.append(Problem(str(path), ws.title, number, _text_header(col) or None,
                                                "a value (or a formula whose result Excel has saved)",
                                                f"a formula with no saved result ({_formula_text(f)}): open and "
                                                "save the workbook in Excel or LibreOffice, or type the value"))
                body.append((number, list(vals)))
            sheets[ws.title] = _sheet(ws.title, header, body)
    finally:
        values.close()
        formulas.close()
    return sheets, problems


def _is_formula(f) -> bool:
    return (isinstance(f, str) and f.startswith("=")) or hasattr(f, "text")  # text: openpyxl's ArrayFormula


def _formula_text(f) -> str:
    return f if isinstance(f, str) else str(getattr(f, "text", f))


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
        raise ValueError(f"unknown row '{row}' of sheet '{sheet}' in '{path}'" + _row_id_hint(book, sheet, wanted))
    return hits


def _row_id_hint(book: RawBook, sheet: str, wanted: list[str]) -> str:
    """How the sheet's rows are named (PARTY:MINERAL ...), with an example and the near misses."""
    key = SHEETS[sheet].key
    ids = [row_id(sheet, cells) for _, cells in book.sheets[sheet].rows]
    example = f", e.g. '{ids[0]}'" if ids else ""
    form = ":".join(k.upper() for k in key)
    if len(wanted) != len(key):
        return (f": rows of sheet '{sheet}' are named {form} ({len(key)} part{'s' if len(key) > 1 else ''} "
                f"joined by ':', each may be *){example}")
    close = [i for i in ids if i.lower() == ":".join(wanted).lower()]
    return f" (did you mean '{close[0]}'?)" if close else f"; rows are named {form}{example}"



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


def scale_value(book: RawBook, path: str, factor: float) -> None:
    """Multiply the number in every cell a path names (a sweep's =xLO:HI:STEP)."""
    column = parse_path(path)[2]
    for number, cells in matching_rows(book, path):
        value = parse_number(cells.get(column))
        if value is None:
            raise ValueError(f"cannot scale '{path}': row {number} has no number in column '{column}'")
        cells[column] = value * factor


def with_changes(book: RawBook, changes) -> RawBook:
    """A copy of the book with (path, value, scale) changes applied: the one place cells are overridden
    (run specifications and sweep points alike). ValueError names an unknown sheet, row or column, or a
    column that is the row's id (an override changes a row's values, never which row it is)."""
    book = copy.deepcopy(book)
    for path, value, scale in changes:
        sheet, _, column = parse_path(path)
        if sheet in SHEETS and column in SHEETS[sheet].key:
            raise ValueError(f"'{path}' would change the id column '{column}' of sheet '{sheet}'; an override sets "
                             "a row's values, not which row it is (edit the workbook to rename a row)")
        if scale:
            scale_value(book, path, value)
        else:
            set_value(book, path, value)
    return book


def book_from_frames(frames: dict[str, pd.DataFrame], path: str = "<memory>") -> RawBook:
    """A RawBook from DataFrames (tests, generated workbooks), read as an xlsx would be."""
    sheets = {name: _sheet_from_frame(name, frame.astype(object)) for name, frame in frames.items()}
    digest = hashlib.sha256(repr(sorted((n, f.to_csv(index=False)) for n, f in frames.items())).encode())
    return RawBook(path, sheets, digest.hexdigest())
