"""`stockpile template`: an empty, documented workbook with one example row per sheet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .schema import SETTINGS, SHEETS


def readme_frame() -> pd.DataFrame:
    rows = []
    for sheet in SHEETS.values():
        rows.append({"sheet": sheet.name, "column": "", "required": "", "unit": "", "default": "",
                     "meaning": sheet.doc})
        for c in sheet.columns:
            default = "" if c.required else ("none" if c.default is None else str(c.default))
            meaning = c.doc + (f" ({' | '.join(c.choices)})" if c.choices else "")
            rows.append({"sheet": sheet.name, "column": c.name, "required": "yes" if c.required else "no",
                         "unit": c.unit, "default": default, "meaning": meaning})
    for s in SETTINGS.values():
        choices = f" ({' | '.join(s.choices)})" if s.choices else ""
        rows.append({"sheet": "settings", "column": f"key = {s.key}", "required": "no", "unit": "",
                     "default": "none" if s.default is None else str(s.default), "meaning": s.doc + choices})
    return pd.DataFrame(rows)


def example_frames() -> dict[str, pd.DataFrame]:
    frames = {}
    for sheet in SHEETS.values():
        if sheet.name == "settings":
            frames[sheet.name] = pd.DataFrame(
                [{"key": k, "value": s.default} for k, s in SETTINGS.items() if s.default is not None])
            continue
        frames[sheet.name] = pd.DataFrame([{c.name: c.example for c in sheet.columns}])
    return frames


DROPDOWN_ROWS = 500  # rows below the header that get the drop-down lists of choice columns


def write_template(path: str | Path) -> None:
    """The workbook: README first, then one sheet per input with its example row, headers bold and frozen, and a
    drop-down list on every column with fixed choices (yes / no / optional, the settings' choices by key)."""
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        readme_frame().to_excel(xl, sheet_name="README", index=False)
        for name, frame in example_frames().items():
            frame.to_excel(xl, sheet_name=name, index=False)
            sheet = xl.sheets[name]
            sheet.freeze_panes = "A2"
            for j, column in enumerate(frame.columns, start=1):
                choices = SHEETS[name].column(column).choices
                if choices:
                    _dropdown(sheet, f"{get_column_letter(j)}2:{get_column_letter(j)}{DROPDOWN_ROWS + 1}", choices)
            if name == "settings":  # a setting's value: the choices of its key, row by row
                for i, key in enumerate(frame.key, start=2):
                    if SETTINGS[key].choices:
                        _dropdown(sheet, f"B{i}", SETTINGS[key].choices)
        xl.sheets["README"].freeze_panes = "A2"


def _dropdown(sheet, cells: str, choices: tuple[str, ...]) -> None:
    """A list validation on `cells` (Excel and LibreOffice show it as a drop-down)."""
    rule = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                          showErrorMessage=True, errorTitle="not one of the choices",
                          error="choose one of: " + ", ".join(choices))
    sheet.add_data_validation(rule)
    rule.add(cells)
