"""`stockpile template`: an empty, documented workbook with one example row per sheet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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


def write_template(path: str | Path) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        readme_frame().to_excel(xl, sheet_name="README", index=False)
        for name, frame in example_frames().items():
            frame.to_excel(xl, sheet_name=name, index=False)
