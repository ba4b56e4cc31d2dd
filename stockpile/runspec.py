"""Run specifications (models/NAME.toml): a workbook plus overrides.

    workbook = "../inputs/trilateral_2025.xlsx"   # relative to the TOML file
    [settings]                                     # settings sheet overrides
    joint_allocation = "pro_rata"
    [set]                                          # any cell: SHEET.ROW.COLUMN = value
    "parties.*.joint_member" = "yes"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .data import ModelData
from .problems import InputError, Problem
from .validate import build_model_data
from .workbook import RawBook, read_book, set_value


@dataclass
class RunSpec:
    name: str
    workbook: str
    overrides: dict[str, object] = field(default_factory=dict)  # SHEET.ROW.COLUMN -> value
    options: dict[str, object] = field(default_factory=dict)  # other tables, e.g. [share]


def read_spec(path: str | Path) -> RunSpec:
    path = Path(path)
    try:
        spec = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problem = Problem(str(path), None, None, None, "a readable TOML run specification", str(exc))
        raise InputError([problem]) from None
    if "workbook" not in spec:
        raise InputError([Problem(str(path), None, None, "workbook", "a key 'workbook' naming the input", "none")])
    overrides = {f"settings.{k}.value": v for k, v in spec.get("settings", {}).items()}
    overrides.update(spec.get("set", {}))
    options = {k: v for k, v in spec.items() if k not in ("workbook", "settings", "set")}
    return RunSpec(path.stem, str((path.parent / spec["workbook"]).resolve()), overrides, options)


def apply_overrides(book: RawBook, overrides: dict[str, object], origin: str) -> None:
    problems = []
    for cell_path, value in overrides.items():
        try:
            set_value(book, cell_path, value)
        except ValueError as exc:
            problems.append(Problem(origin, None, None, None, "SHEET.ROW.COLUMN naming an existing cell", str(exc)))
    if problems:
        raise InputError(problems)


def load_book(source: str) -> tuple[RunSpec, RawBook]:
    """A workbook path or a .toml run specification -> the raw workbook with the overrides applied."""
    spec = read_spec(source) if source.endswith(".toml") else RunSpec(Path(source).stem, source)
    book = read_book(spec.workbook)
    apply_overrides(book, spec.overrides, source)
    return spec, book


def load_run(source: str) -> tuple[RunSpec, ModelData]:
    """A workbook path or a .toml run specification -> validated ModelData."""
    spec, book = load_book(source)
    return spec, build_model_data(book)
