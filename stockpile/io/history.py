"""The optional history sheet (README, "Inputs"): supply cuts that happened, for `stockpile backtest`. Every problem
is added to the checker with its sheet, row and column, as validate.py does; none of it reaches the model."""

from __future__ import annotations

from collections.abc import Callable

from .data import HistoryEvent, Mineral, Party, month_index

Rows = Callable[[str], list[tuple[int, dict]]]  # validate._rows for one sheet
Expand = Callable[..., tuple[str, ...]]  # validate._expand


def history(ck, rows: Rows, expand: Expand, parties: dict[str, Party], minerals: dict[str, Mineral],
            suppliers: set[str]) -> tuple[HistoryEvent, ...]:
    """The history sheet's events: minerals, targets and supplier known, months as YYYY-MM, an end not before its
    start."""
    out = []
    for row, v in rows("history"):
        ok = True
        if v["supplier"] not in suppliers:
            ck.add("history", row, "supplier", "a supplier named in the supply sheet", f"unknown supplier "
                   f"'{v['supplier']}'")
            ok = False
        named_minerals = (v["minerals"] or "").strip()
        ms = expand(ck, "history", row, "minerals", named_minerals, minerals, "mineral", "minerals")
        ts = expand(ck, "history", row, "targets", (v["targets"] or "").strip(), parties, "party", "parties")
        if len(ms) < len([t for t in named_minerals.split(",") if t.strip()]) and named_minerals != "*":
            ok = False
        start = month_index(v["start"]) if v["start"] is not None else None
        if start is None:
            ck.add("history", row, "start", "a month as YYYY-MM (e.g. 2023-08)", f"'{v['start']}'")
            ok = False
        end = None
        if v["end"] not in (None, ""):
            end = month_index(v["end"])
            if end is None:
                ck.add("history", row, "end", "a month as YYYY-MM (e.g. 2023-09), or blank while still in force",
                       f"'{v['end']}'")
                ok = False
            elif start is not None and end < start:
                ck.add("history", row, "end", f"a month from its start ({v['start']}) on", f"'{v['end']}', before it")
                ok = False
        if not 0 < v["cut"] <= 1:
            ck.add("history", row, "cut", "a share of supply lost, above 0 and at most 1", f"{v['cut']:g}")
            ok = False
        if ok and start is not None:
            out.append(HistoryEvent(v["event"], v["supplier"], ms, ts, start, end, v["cut"], v["source"] or ""))
    return tuple(out)
