"""Assumption groups: which workbook cells stand or fall together (the `sources` sheet's `group`, `low` and `high`
columns), and the workbook with one group at its low or high multipliers, kept valid.

A `sources` row names cells as SHEET, ROW (the row's id as overrides write it, `*` parts allowed; an event as
SCENARIO#K, its K-th phase) and COLUMN (several joined by commas). Rows with a `group` form that group; rows marked
`assumed` without one form one group per sheet and column. Blank `low` / `high` mean 0.5 and 2. Cells that never
reach the model (names, GDP for sharing, solver settings) and cells that are not numbers are left out, with a note.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

from . import schema
from .schema import SETTINGS, SHEETS
from .workbook import Cell, RawBook, matching_rows, parse_number, row_id

DEFAULT_LOW, DEFAULT_HIGH = 0.5, 2.0
SIDES = ("low", "high")
SOURCES = "sources"

# Columns whose cells must sum to at most 1 within rows sharing these keys: a group scaled up keeps them valid.
SUM_TO_ONE = {("scenarios", "probability_per_yr"): (), ("parties", "entitlement_share"): (),
              ("supply", "share"): ("party", "mineral"), ("product_inputs", "share_of_demand"): ("party", "mineral")}


@dataclass(frozen=True)
class CellRef:
    sheet: str
    row: int  # the row's number in its sheet, as Excel shows it
    column: str
    label: str  # SHEET.ROW_ID.COLUMN, as an override names it


@dataclass(frozen=True)
class Assumption:
    """One group: its cells with their low and high multipliers, and what was named but left out."""

    name: str
    cells: tuple[tuple[CellRef, float, float], ...]
    left_out: tuple[str, ...] = ()

    def multiplier(self, side: str) -> float | None:
        """The group's multiplier at `side` when every cell shares it, else None (see the cells)."""
        values = {lo if side == "low" else hi for _c, lo, hi in self.cells}
        return values.pop() if len(values) == 1 else None

    @property
    def cells_text(self) -> str:
        """The cells in a few words: 'shortage_costs.usd_per_t (28 cells)'."""
        by_column: dict[str, int] = {}
        for c, _lo, _hi in self.cells:
            by_column[f"{c.sheet}.{c.column}"] = by_column.get(f"{c.sheet}.{c.column}", 0) + 1
        return "; ".join(f"{k} ({n} cell{'s' if n > 1 else ''})" for k, n in by_column.items())


Add = Callable[..., None]  # _Checker.add(sheet, row, column, expected, found, severity="error")


def assumption_groups(book: RawBook, add: Add) -> tuple[Assumption, ...]:
    """The workbook's assumption groups; bad `group`/`low`/`high` cells and cells an explicit group names that do
    not exist are problems (add), an `assumed` row without a group that names no cell is left out with a note."""
    sheet = book.sheets.get(SOURCES)
    if sheet is None or not sheet.readable:
        return ()
    groups: dict[str, dict[tuple[str, int, str], tuple[CellRef, float, float]]] = {}
    left_out: dict[str, list[str]] = {}
    for number, cells in sheet.rows:
        explicit = _text(cells.get("group"))
        status = (_text(cells.get("status")) or "").lower()
        name = explicit or (f"{_text(cells.get('sheet'))}.{_text(cells.get('column'))} (assumed)"
                            if status == "assumed" else None)
        low = _multiplier(add, number, cells, "low", DEFAULT_LOW)
        high = _multiplier(add, number, cells, "high", DEFAULT_HIGH)
        if low is not None and high is not None and low > high:
            add(SOURCES, number, "high", f"a high multiplier at least the low one ({low:g})", f"{high:g}")
        if name is None or low is None or high is None:
            continue
        found, skipped, error = resolve(book, cells)
        if error is not None:
            if explicit:
                add(SOURCES, number, error[0], error[1], error[2])
            else:
                left_out.setdefault(name, []).append(f"sources row {number}: {error[2]}")
            continue
        groups.setdefault(name, {})
        left_out.setdefault(name, []).extend(f"sources row {number}: {why}" for why in skipped)
        for ref in found:
            kept = groups[name].setdefault((ref.sheet, ref.row, ref.column), (ref, low, high))  # each cell once
            if kept[1:] != (low, high):
                add(SOURCES, number, "low", f"the multipliers this group gives {ref.label} on an earlier row "
                    f"({kept[1]:g} and {kept[2]:g})", f"{low:g} and {high:g}")
    names = list(dict.fromkeys([*groups, *left_out]))
    return tuple(Assumption(n, tuple(groups.get(n, {}).values()), tuple(left_out.get(n, ()))) for n in names)


def _text(raw: Cell) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip() or None


def _multiplier(add: Add, number: int, cells: dict, column: str, default: float) -> float | None:
    raw = cells.get(column)
    if raw is None:
        return default
    value = parse_number(raw)
    if value is None or value < 0:
        add(SOURCES, number, column, f"a multiplier >= 0 of each cell's value (blank: {default:g})", f"'{raw}'")
        return None
    return value


def resolve(book: RawBook, cells: dict) -> tuple[list[CellRef], list[str], tuple[str, str, str] | None]:
    """The cells a sources row names: (numbers to vary, why others are left out, or (column, expected, found)
    when the row names no cell of the workbook)."""
    sheet, row, columns = _text(cells.get("sheet")), _text(cells.get("row")), _text(cells.get("column"))
    if sheet not in SHEETS:
        return [], [], ("sheet", "a sheet the model reads (" + ", ".join(SHEETS) + ")", f"'{sheet}'")
    if sheet not in book.sheets:
        return [], [], ("sheet", f"a sheet '{sheet}' in the workbook", "no such sheet")
    if row is None or columns is None:
        return [], [], ("row" if row is None else "column", "the row and column of a cell", "a blank cell")
    found, skipped = [], []
    for column in (c.strip() for c in columns.split(",") if c.strip()):
        try:
            rows = _rows_named(book, sheet, row, column)
        except ValueError as exc:
            return [], [], ("row", "a row and column of the workbook", str(exc))
        for number, values in rows:
            label = f"{sheet}.{row_id(sheet, values) or row}.{column}"
            why = _left_out_because(sheet, values, column)
            if why:
                skipped.append(f"{label} {why}")
            else:
                found.append(CellRef(sheet, number, column, label))
    return found, skipped, None


def _rows_named(book: RawBook, sheet: str, row: str, column: str) -> list[tuple[int, dict]]:
    if sheet == "events" and "#" in row:  # SCENARIO#K: the K-th phase of the scenario
        scenario, _, k = row.rpartition("#")
        phases = [r for r in book.sheets["events"].rows if _text(r[1].get("scenario")) == scenario]
        if not k.isdigit() or not 1 <= int(k) <= len(phases):
            raise ValueError(f"no phase {k} of scenario '{scenario}' in sheet 'events' ({len(phases)} phases)")
        if column not in (c.name for c in SHEETS["events"].columns):
            raise ValueError(f"unknown column '{column}' of sheet 'events'")
        return [phases[int(k) - 1]]
    return matching_rows(book, f"{sheet}.{row}.{column}")


def _left_out_because(sheet: str, values: dict, column: str) -> str:
    """Why a cell is not varied ('' when it is)."""
    kind, role = _kind_role(sheet, values, column)
    if role == schema.INFO:
        return "never reaches the model (names, GDP for sharing, solver settings): not varied"
    if kind is None:
        return "is not a number that can be scaled: not varied"
    raw = values.get(column)
    if kind == schema.NUMBER_LIST and column == "duration_months" and raw is not None:
        return ""
    if parse_number(raw) is None:
        return f"holds {'a blank cell' if raw is None else repr(raw)}, not a number: not varied"
    return ""


def _kind_role(sheet: str, values: dict, column: str) -> tuple[str | None, str]:
    if sheet == "settings":
        setting = SETTINGS.get(str(values.get("key")))
        if setting is None or column != "value":
            return None, schema.INFO
        return ({"int": schema.INTEGER, "number": schema.NUMBER, "optional_number": schema.NUMBER}.get(setting.kind),
                setting.role)
    col = SHEETS[sheet].column(column)
    if col.kind in (schema.ID, schema.TEXT, schema.ID_LIST) or col.choices:
        return None, col.role
    return col.kind, col.role


# ---- a variant: the workbook with one group at one side --------------------------------------------------------

def variant(book: RawBook, group: Assumption, side: str) -> tuple[RawBook, list[str]]:
    """A copy of the book with each of the group's cells times its `side` multiplier, clipped to its range, sums
    of probabilities and shares kept at most 1, shortage tiers kept convex; notes say what was adjusted."""
    out = copy.deepcopy(book)
    rows = {(name, number): cells for name, sheet in out.sheets.items() for number, cells in sheet.rows}
    notes: list[str] = []
    adjusted: dict[str, list[str]] = {"clipped to their range": [], "rounded to whole numbers": []}
    merged: list[str] = []
    for ref, low, high in group.cells:
        cells = rows[ref.sheet, ref.row]
        new, how = _scaled(ref.sheet, cells, ref.column, low if side == "low" else high)
        cells[ref.column] = new
        if how:
            adjusted[how].append(ref.label)
        if ref.column == "duration_months" and _merge_equal_durations(cells):
            merged.append(ref.label)
    notes += [f"{len(labels)} cell(s) {how} ({_few(labels)})" for how, labels in adjusted.items() if labels]
    if merged:
        notes.append(f"durations that rounding made equal merged, their probabilities added ({_few(merged)})")
    varied = {(r.sheet, r.row, r.column) for r, _lo, _hi in group.cells}
    notes += _keep_sums(out, varied) + _keep_tiers_convex(out, varied)
    return out, notes


def _merge_equal_durations(cells: dict) -> bool:
    """A scaled duration list whose rounding made two durations equal (9,11,12,24 x 0.5 -> 4,6,6,12): one duration,
    the probabilities of the equal ones added (blank probabilities: equal shares). False when none were equal."""
    durations = [int(float(t)) for t in str(cells.get("duration_months")).replace(";", ",").split(",") if t.strip()]
    if len(set(durations)) == len(durations):
        return False
    raw = cells.get("duration_probabilities")
    probs = ([parse_number(t) or 0.0 for t in str(raw).replace(";", ",").split(",")] if raw not in (None, "")
             else [1.0 / len(durations)] * len(durations))
    if len(probs) != len(durations):
        return False  # the workbook's own error, reported by validation as it stands
    summed: dict[int, float] = {}
    for d, q in zip(durations, probs, strict=True):
        summed[d] = summed.get(d, 0.0) + q
    one = len(summed) == 1
    cells["duration_months"] = float(next(iter(summed))) if one else ",".join(map(str, summed))
    cells["duration_probabilities"] = None if one else ",".join(repr(round(q, 12)) for q in summed.values())
    return True


def _few(labels: list[str], n: int = 3) -> str:
    return ", ".join(labels[:n]) + (f" and {len(labels) - n} more" if len(labels) > n else "")


def _scaled(sheet: str, cells: dict, column: str, mult: float) -> tuple[Cell, str]:
    """The cell times mult, within the range its kind allows, and how it was adjusted ('' when it was not)."""
    kind, _role = _kind_role(sheet, cells, column)
    raw = cells.get(column)
    if kind == schema.NUMBER_LIST:  # a duration list: each duration scaled, in whole months of at least 1
        items = [parse_number(t) for t in str(raw).replace(";", ",").split(",")]
        scaled = [max(1, round(x * mult)) for x in items if x is not None]
        exact = all(x is not None and abs(x * mult - s) < 1e-9 for x, s in zip(items, scaled, strict=False))
        return (float(scaled[0]) if len(scaled) == 1 else ",".join(map(str, scaled))), \
            "" if exact else "rounded to whole numbers"
    value = parse_number(raw)
    assert value is not None  # _left_out_because let only numbers through
    target = value * mult
    lo, hi, whole = _range_of(sheet, cells, column, kind)
    within = min(max(target, lo), hi)
    new = float(max(math.ceil(lo), min(math.floor(hi), round(within)))) if whole else within
    if not _same(within, target):
        return new, "clipped to their range"
    return new, "" if _same(new, target) else "rounded to whole numbers"


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def _range_of(sheet: str, cells: dict, column: str, kind: str | None) -> tuple[float, float, bool]:
    """(lowest, highest, whole number?) a cell may hold."""
    if sheet == "settings":
        s = SETTINGS[str(cells.get("key"))]
        return s.minimum, s.maximum, s.kind == "int"
    col = SHEETS[sheet].column(column)
    hi = 1.0 if kind in (schema.SHARE, schema.RATE) else math.inf
    if col.maximum is not None:
        hi = min(hi, col.maximum)
    return 0.0, hi, kind == schema.INTEGER


def _keep_sums(book: RawBook, varied: set) -> list[str]:
    """Where a group's cells push a sum that must stay at most 1 above it, they are scaled back to make it 1."""
    notes = []
    for (sheet, column), keys in SUM_TO_ONE.items():
        if sheet not in book.sheets or not any(v[0] == sheet and v[2] == column for v in varied):
            continue
        families: dict[tuple, list[tuple[int, dict]]] = {}
        for number, cells in book.sheets[sheet].rows:
            families.setdefault(tuple(cells.get(k) for k in keys), []).append((number, cells))
        for family, members in families.items():
            mine = [(n, c) for n, c in members if (sheet, n, column) in varied]
            total = sum(parse_number(c.get(column)) or 0.0 for _n, c in members)
            if not mine or total <= 1 + 1e-12:
                continue
            fixed = total - sum(parse_number(c.get(column)) or 0.0 for _n, c in mine)
            room = max(0.0, 1.0 - fixed)
            factor = room / (total - fixed)
            for _n, c in mine:
                c[column] = (parse_number(c.get(column)) or 0.0) * factor
            where = f" of {':'.join(map(str, family))}" if keys else ""
            notes.append(f"{sheet}.{column}{where} kept summing to at most 1: the group's cells scaled back by "
                         f"x{factor:.3g}")
    return notes


def _keep_tiers_convex(book: RawBook, varied: set) -> list[str]:
    """A tier's cost below the previous tier's is raised to it (the shortage cost must stay convex)."""
    if "shortage_costs" not in book.sheets or not any(v[0] == "shortage_costs" for v in varied):
        return []
    by_mineral: dict[str, list[tuple[float, int, dict]]] = {}
    for number, cells in book.sheets["shortage_costs"].rows:
        tier = parse_number(cells.get("tier"))
        by_mineral.setdefault(str(cells.get("mineral")), []).append((tier or 0.0, number, cells))
    raised = []
    for mineral, rows in by_mineral.items():
        prev = -math.inf
        for tier, _number, cells in sorted(rows, key=lambda r: r[0]):
            cost = parse_number(cells.get("usd_per_t"))
            if cost is None:
                continue
            if cost < prev:
                cells["usd_per_t"] = prev
                raised.append(f"{mineral}:{tier:g}")
            prev = max(prev, cost)
    return [f"shortage tiers kept convex: {_few(raised)} raised to the previous tier's cost"] if raised else []
