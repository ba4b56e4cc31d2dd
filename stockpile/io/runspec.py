"""Run specifications (models/NAME.toml): a workbook plus overrides.

    workbook = "../inputs/trilateral_2025.xlsx"   # relative to the TOML file
    [settings]                                     # settings sheet overrides
    joint_allocation = "pro_rata"
    [set]                                          # any cell: SHEET.ROW.COLUMN = value
    "parties.*.joint_member" = "yes"
    [sweep]                                        # used by `stockpile sweep RUN.toml` without --vary
    vary = ["scenarios.s1.probability_per_yr=0.01,0.02"]

Strict: an unknown table or key (a misspelled `[setings]`) is an error naming its line, never ignored.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..common.paths import resolved, why_missing
from .data import ModelData
from .problems import InputError, Problem
from .schema import SETTINGS
from .validate import _closest, build_model_data
from .workbook import RawBook, matching_rows, parse_path, read_book, with_changes

TABLES = {"settings": "settings sheet overrides", "set": "cell overrides SHEET.ROW.COLUMN = value",
          "sweep": "vary = [...] for `stockpile sweep`"}
SCALAR = (str, int, float, bool)


@dataclass
class RunSpec:
    name: str
    workbook: str
    overrides: dict[str, object] = field(default_factory=dict)  # SHEET.ROW.COLUMN -> value
    options: dict[str, object] = field(default_factory=dict)  # other tables: [sweep]
    path: str = ""  # the TOML file ("" when the source is a workbook)
    sha256: str = ""
    warnings: list[Problem] = field(default_factory=list)  # legitimate but suspicious (a cell set twice)


def _line(text: str, key: str, table: str | None = None) -> int | None:
    """Line number of `key = ...` (inside [table]) or of the header [key]: for messages."""
    lines = text.splitlines()
    start = 0
    if table is not None:
        header = re.compile(rf"^\s*\[\s*\"?{re.escape(table)}\"?\s*\]")
        start = next((i + 1 for i, ln in enumerate(lines) if header.match(ln)), 0)
    pattern = re.compile(rf"^\s*(\[\s*)?[\"']?{re.escape(key)}[\"']?\s*(=|\])")
    for i in range(start, len(lines)):
        if pattern.match(lines[i]):
            return i + 1
    return None


class _Spec:
    """Collects every problem of one run specification."""

    def __init__(self, path: Path, text: str):
        self.path, self.text = path, text
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, key: str, table: str | None, expected: str, found: str) -> None:
        self.problems.append(Problem(str(self.path), None, None, None, expected, found,
                                     line=_line(self.text, key, table)))


def read_spec(path: str | Path) -> RunSpec:
    path = Path(path)
    if not path.exists():
        raise InputError([Problem(str(path), None, None, None, "a readable TOML run specification (UTF-8)",
                                  why_missing(path))])
    try:
        raw = path.read_bytes()
        spec = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        problem = Problem(str(path), None, None, None, "a readable TOML run specification (UTF-8)", str(exc))
        raise InputError([problem]) from None
    ck = _Spec(path, raw.decode("utf-8"))
    workbook = spec.get("workbook")
    if not isinstance(workbook, str) or not workbook.strip():
        ck.add("workbook", None, "a key 'workbook' naming the input workbook as a string (\"...\")",
               "none" if workbook is None else f"{type(workbook).__name__} {workbook!r}")
    for key, value in spec.items():
        if key == "workbook":
            continue
        if key not in TABLES:
            ck.add(key, None, "workbook = \"...\" and the tables " + ", ".join(f"[{t}]" for t in TABLES),
                   f"unknown {'table' if isinstance(value, dict) else 'key'} '{key}'" + _closest(key, TABLES))
        elif not isinstance(value, dict):
            ck.add(key, None, f"a table [{key}] ({TABLES[key]})", f"a {type(value).__name__}")
    overrides = _settings_overrides(ck, spec.get("settings"))
    for key, value in _cell_overrides(ck, spec.get("set")).items():
        if key in overrides:  # [settings] k = ... and [set] "settings.k.value" = ...
            ck.warnings.append(Problem(str(path), "settings", None, "value", "each cell set once in a run "
                                       "specification", f"'{key}' in [set] sets it again after [settings]: the "
                                       "later value wins", severity="warning", line=_line(ck.text, key, "set")))
        overrides[key] = value
    _check_sweep(ck, spec.get("sweep"))
    if ck.problems:
        raise InputError(ck.problems)
    options = {k: v for k, v in spec.items() if k == "sweep"}
    book_path = path.parent / str(workbook)
    return RunSpec(path.stem, str(resolved(book_path) or book_path), overrides, options, str(path),
                   hashlib.sha256(raw).hexdigest(), ck.warnings)


def _scalar_problem(value) -> str | None:
    if isinstance(value, SCALAR) and not (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (datetime.date, datetime.time)):
        return f"a date or time ({value})"
    return f"a {type(value).__name__} ({value!r})"


def _settings_overrides(ck: _Spec, table) -> dict[str, object]:
    if not isinstance(table, dict):
        return {}
    out = {}
    for key, value in table.items():
        if key not in SETTINGS:
            ck.add(key, "settings", "a setting: " + ", ".join(SETTINGS), f"unknown setting '{key}'"
                   + _closest(key, SETTINGS))
        elif (bad := _scalar_problem(value)) is not None:
            ck.add(key, "settings", f"a single value for {key}", bad)
        else:
            out[f"settings.{key}.value"] = value
    return out


def _cell_overrides(ck: _Spec, table) -> dict[str, object]:
    if not isinstance(table, dict):
        return {}
    out = {}
    for key, value in table.items():
        if isinstance(value, dict):  # an unquoted dotted key: sheet.row.column = v parses as nested tables
            ck.add(key, "set", "a quoted cell path, e.g. \"demand.US:Ga.target_months\" = 3",
                   f"an unquoted key '{key}...' (TOML reads the dots as tables)")
        elif (bad := _scalar_problem(value)) is not None:
            ck.add(key, "set", f"a single value for cell {key}", bad)
        else:
            out[key] = value
    return out


def _check_sweep(ck: _Spec, table) -> None:
    if not isinstance(table, dict):
        return
    for key, value in table.items():
        if key != "vary":
            ck.add(key, "sweep", "only vary = [\"SHEET.ROW.COLUMN=VALUES\", ...]", f"unknown key '{key}'")
        elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            ck.add(key, "sweep", "vary = a list of strings \"SHEET.ROW.COLUMN=VALUES\"", repr(value))


def apply_overrides(book: RawBook, overrides: dict[str, object], origin: str) -> RawBook:
    """The book with a run specification's overrides; every unknown cell path is a problem."""
    problems = []
    text = Path(origin).read_text() if Path(origin).is_file() else ""
    set_by: dict[tuple[str, int, str], str] = {}  # cell -> the override that set it
    for cell_path, value in overrides.items():
        line = _override_line(text, cell_path)
        try:
            book = with_changes(book, [(cell_path, value, False)])
        except ValueError as exc:
            problems.append(Problem(origin, None, None, None, "SHEET.ROW.COLUMN naming an existing cell", str(exc),
                                    line=line))
            continue
        sheet, _, column = parse_path(cell_path)
        for number, _cells in matching_rows(book, cell_path):
            cell = (sheet, number, column)
            if cell in set_by:
                first = book.overridden[cell][1]
                problems.append(Problem(origin, sheet, number, column, "each cell set once in a run specification",
                                        f"'{cell_path}' sets it again after '{set_by[cell]}'"
                                        + (f" (line {first})" if first else "") + ": the later value wins",
                                        severity="warning", line=line))
            set_by[cell] = cell_path
            book.overridden[cell] = (origin, line)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    book.problems.extend(problems)
    return book


def _override_line(text: str, cell_path: str) -> int | None:
    """The line of a [set] key, or of a [settings] key (stored as settings.KEY.value)."""
    if cell_path.startswith("settings.") and cell_path.endswith(".value"):
        key = cell_path[len("settings."):-len(".value")]
        return _line(text, key, "settings") or _line(text, cell_path, "set")
    return _line(text, cell_path, "set")


def load_book(source: str) -> tuple[RunSpec, RawBook]:
    """A workbook path or a .toml run specification -> the raw workbook with the overrides applied."""
    is_spec = source.lower().endswith(".toml")
    spec = read_spec(source) if is_spec else RunSpec(Path(source).stem, source)
    try:
        book = read_book(spec.workbook)
    except InputError as err:
        if not is_spec:
            raise
        line = _line(Path(source).read_text(errors="replace"), "workbook")
        raise InputError([replace(p, found=f"{p.found} (named by {source}, line {line})") for p in err.problems]
                         ) from None
    if is_spec:
        book.problems.extend(spec.warnings)
        book = apply_overrides(book, spec.overrides, source)
        book.run_spec, book.run_spec_sha256 = str(resolved(Path(source)) or source), spec.sha256
    return spec, book


def load_run(source: str) -> tuple[RunSpec, ModelData]:
    """A workbook path or a .toml run specification -> validated ModelData."""
    spec, book = load_book(source)
    return spec, build_model_data(book)
