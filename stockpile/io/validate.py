"""Check every sheet, column and cell of a RawBook; build ModelData or raise one
InputError listing every problem (file, sheet, row, column, expected, found)."""

from __future__ import annotations

import difflib
import functools
import itertools
import math
from collections import defaultdict
from dataclasses import replace

from . import economics, history, schema
from .assumptions import assumption_groups
from .data import Benchmark, Demand, Event, Mineral, ModelData, Party, ReleaseOption, Scenario, Settings, Tier
from .problems import InputError, Problem
from .schema import SETTINGS, SHEETS, Column
from .suspicious import row_of, warn_economics, warn_suspicious
from .workbook import Cell, RawBook, parse_number, read_book

TOL = 1e-9
MAX_MAGNITUDE = 1e12  # no tonnage, price or cost is larger; a larger cell is a typo (or units of the wrong size)


class _Checker:
    """Collects problems while converting cells; every method returns a usable
    value (the default) even when the cell is wrong, so checking goes on."""

    def __init__(self, book: RawBook):
        self.book = book
        self.problems: list[Problem] = list(book.problems)

    def add(self, sheet, row, column, expected, found, severity="error"):
        origin = self.book.overridden.get((sheet, row, column))
        if origin is None and row is None:  # a whole column's problem (a sum) that overrides took part in
            lines = sorted({o for (sh, _r, c), o in self.book.overridden.items() if (sh, c) == (sheet, column)},
                           key=lambda o: o[1] or 0)
            if lines:
                numbers = ", ".join(str(line) for _f, line in lines if line is not None)
                found = f"{found} (with cells set by {lines[0][0]}" + (f", line {numbers})" if numbers else ")")
        if origin is not None:  # the run specification set this cell: name its line, and the workbook's cell
            spec, line = origin
            self.problems.append(Problem(spec, sheet, row, column, expected,
                                         f"{found} (set by the run specification over {self.book.path})", severity,
                                         line=line))
            return
        self.problems.append(Problem(self.book.path, sheet, row, column, expected, found, severity))

    def value(self, sheet: str, row: int, cells: dict[str, Cell], col: Column):
        raw = cells.get(col.name)
        if raw is None:
            if col.required:
                self.add(sheet, row, col.name, f"a value ({_describe(col)})", "a blank cell")
                return _fallback(col)
            return col.default
        if col.choices:
            text = _text(raw).lower()
            if text not in col.choices:
                self.add(sheet, row, col.name, "one of " + ", ".join(col.choices), f"'{_text(raw)}'")
                return _fallback(col)
            return text
        if col.kind == schema.NUMBER_LIST:
            return self.number_list(sheet, row, col, raw)
        if col.kind in (schema.ID, schema.TEXT, schema.ID_LIST):
            text = _text(raw)
            if col.kind == schema.ID and ("," in text or text == "*" and sheet != "shortage_costs"):
                self.add(sheet, row, col.name, "a single id (no commas, not *)", f"'{text}'")
            return text
        number = parse_number(raw)
        if number is None:
            self.add(sheet, row, col.name, _describe(col), f"'{raw}'" + _hint(raw, col))
            return _fallback(col)
        if col.maximum is not None and number > col.maximum:
            self.add(sheet, row, col.name, f"{_describe(col)}, at most {col.maximum:g}", _show(number))
            return col.maximum
        return self.check_number(sheet, row, col.name, number, col.kind, _describe(col))

    def number_list(self, sheet: str, row: int, col: Column, raw: Cell) -> tuple[float, ...]:
        """'1,3' or 6 -> (1.0, 3.0) or (6.0,); every item a number >= 0 (callers check more)."""
        items = [t.strip() for t in str(_text(raw)).replace(";", ",").split(",")]
        numbers = [parse_number(t) for t in items]
        if not items or any(t == "" for t in items) or any(n is None or n < 0 for n in numbers):
            self.add(sheet, row, col.name, "one number >= 0, or several separated by commas (e.g. 1,3)",
                     f"'{_text(raw)}'")
            return (1.0,) if col.required else ()
        return tuple(float(n) for n in numbers if n is not None)

    def check_number(self, sheet, row, column, number, kind, described):
        if kind == schema.SHARE and not (0 <= number <= 1):
            self.add(sheet, row, column, described, _show(number))
        elif kind == schema.RATE and not (0 < number <= 1):
            self.add(sheet, row, column, described, _show(number) + (
                " (stock that can never be released protects nothing)" if number == 0 else ""))
            return 1.0
        elif abs(number) > MAX_MAGNITUDE:
            self.add(sheet, row, column, f"{described}, at most {MAX_MAGNITUDE:.0e} (check the units)",
                     _show(number))
            return 0.0
        elif kind == schema.POSITIVE and not number > 0:
            self.add(sheet, row, column, described, _show(number))
        elif kind == schema.INTEGER and (number < 0 or not float(number).is_integer()):
            self.add(sheet, row, column, described, _show(number))
            return max(0, int(number))
        elif number < 0:
            self.add(sheet, row, column, described, _show(number))
        return int(number) if kind == schema.INTEGER else number


def _fallback(col: Column):
    """What a wrong cell stands for while checking goes on: never None where a value is required,
    so later checks (sums, comparisons) never meet a hole. The InputError is raised anyway."""
    if col.default is not None or not col.required:
        return col.default
    if col.choices:
        return col.choices[0]
    if col.kind in (schema.ID, schema.TEXT, schema.ID_LIST):
        return ""
    if col.kind == schema.NUMBER_LIST:
        return (1.0,)
    return 1 if col.kind in (schema.POSITIVE, schema.RATE) else 0


def _hint(raw: Cell, col: Column) -> str:
    text = str(raw).strip()
    if len(text) >= 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        return " (a date: the cell is formatted as a date in the workbook; type the number)"
    if text.endswith("%") and (percent := parse_number(text[:-1])) is not None:
        return f" (write {percent / 100:g}, not a percentage)"
    if col.unit and col.unit not in ("share", "1/yr", "1/month") and parse_number(text.split(" ")[0]) is not None:
        return f" (a plain number in {col.unit}, without units)"
    return ""


def _closest(name: str, known) -> str:
    """' (did you mean 'x'?)' for a near miss, else ''."""

    match = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    if not match:
        match = [k for k in map(str, known) if k.lower() == str(name).lower()]
    return f" (did you mean '{match[0]}'?)" if match else ""


def _text(raw: Cell) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _show(x: float) -> str:
    return f"{x:g}"


def _describe(col: Column) -> str:
    unit = f" {col.unit}" if col.unit and col.unit != "share" else ""
    return {
        schema.NUMBER: f"a number >= 0{unit}",
        schema.SHARE: "a share between 0 and 1",
        schema.RATE: "a share above 0 and at most 1",
        schema.POSITIVE: f"a number > 0{unit}",
        schema.INTEGER: f"a whole number >= 0{unit}",
    }.get(col.kind, "text")


def _rows(ck: _Checker, sheet_name: str) -> list[tuple[int, dict]]:
    """Rows of a sheet, converted column by column; checks sheet and header."""
    spec = SHEETS[sheet_name]
    sheet = ck.book.sheets.get(sheet_name)
    if sheet is None:
        if not spec.optional:
            ck.add(sheet_name, None, None, f"a sheet named '{sheet_name}'", "no such sheet" + _closest(
                sheet_name, ck.book.sheets))
        return []
    if not sheet.readable:
        return []
    missing = [c.name for c in spec.columns if c.required and c.name not in sheet.columns]
    for name in missing:
        ck.add(sheet_name, 1, name, f"a column '{name}' in the header row", "no such column")
    known = {c.name for c in spec.columns}
    for name in sheet.columns:
        if name not in known:
            ck.add(sheet_name, 1, name, "one of the documented columns " + ", ".join(sorted(known)),
                   f"unknown column '{name}' (ignored)" + _closest(name, known), "warning")
    if missing:
        return []
    out = []
    seen: dict[tuple, int] = {}
    for row, cells in sheet.rows:
        values = {c.name: ck.value(sheet_name, row, cells, c) for c in spec.columns}
        if spec.key:
            key = tuple(values[k] for k in spec.key)
            if key in seen:
                ck.add(sheet_name, row, spec.key[-1], "each " + " x ".join(spec.key) + " once",
                       f"a duplicate of row {seen[key]} ({':'.join(map(str, key))})")
                continue
            seen[key] = row
        out.append((row, values))
    return out


def _settings(ck: _Checker) -> Settings:
    values = {}
    for row, v in _rows(ck, "settings"):
        key = v["key"]
        spec = SETTINGS.get(key)
        if spec is None:
            ck.add("settings", row, "key", "one of " + ", ".join(SETTINGS), f"unknown key '{key}'"
                   + _closest(key, SETTINGS))
            continue
        raw = v["value"]
        if raw is None or raw == "":
            continue  # blank = default
        if spec.kind == "choice":
            if raw.lower() not in spec.choices:
                ck.add("settings", row, "value", f"{key} one of " + ", ".join(spec.choices), f"'{raw}'")
                continue
            values[key] = raw.lower()
            continue
        number = parse_number(raw)
        if raw.lower() == "none" and spec.kind == "optional_number":
            values[key] = None
            continue
        if number is None or _out_of_range(number, spec):
            kind = "a whole number" if spec.kind == "int" else "a number"
            upper = f" and <= {spec.maximum:g}" if spec.maximum < float("inf") else ""
            ck.add("settings", row, "value", f"{key} {kind} >= {spec.minimum:g}{upper}", f"'{raw}'")
            continue
        values[key] = int(number) if spec.kind == "int" else number
    return Settings(**values)


def _out_of_range(number: float, spec) -> bool:
    """Below the setting's minimum (or not above 0 when the minimum is), above its maximum, or not whole."""
    low = number < spec.minimum or (spec.minimum > 0 and number <= 0)
    return low or number > spec.maximum or (spec.kind == "int" and not float(number).is_integer())


def _expand(ck, sheet, row, column, text: str, known: dict, what: str, defined_in: str) -> tuple[str, ...]:
    if text.strip() == "*":
        return tuple(known)
    ids = tuple(t.strip() for t in text.split(",") if t.strip())
    if not ids and text.strip():
        ck.add(sheet, row, column, f"{what} ids separated by commas (or *)", f"'{text}', which names none")
    for i in ids:
        if i not in known:
            ck.add(sheet, row, column, f"{what} ids defined in the {defined_in} sheet (or *)", f"unknown {what} '{i}'")
    return tuple(i for i in ids if i in known)


def build_model_data(book: RawBook) -> ModelData:
    """Validate the whole book and return ModelData, or raise InputError with every problem."""
    ck = _Checker(book)
    for name in book.sheets:
        if name not in SHEETS and name not in schema.DOC_SHEETS:
            ck.add(name, None, None, "one of the documented sheets " + ", ".join(SHEETS),
                   f"unknown sheet '{name}' (ignored)" + _closest(name, SHEETS), "warning")
    settings = _settings(ck)
    parties = _parties(ck)
    minerals = {v["mineral"]: Mineral(v["mineral"], v["name"] or v["mineral"], v["form"], v["price_usd_per_t"],
                                      v["holding_rate_per_yr"], v["storage_usd_per_t_yr"], v["lot_t"],
                                      v["joint_fixed_usd_per_yr"], v["world_supply_t_per_yr"],
                                      v["max_purchase_share_per_yr"], v["acquisition_price_usd_per_t"],
                                      v["price_uplift_per_share"], v["long_run_price_usd_per_t"])
                for _row, v in _minerals(ck)}
    rows = functools.partial(_rows, ck)  # the optional economics sheets, checked as every sheet is
    world, minerals = economics.sellers(ck, rows, minerals)
    _need_a_supply(ck, minerals)
    demand = _demand(ck, parties, minerals)
    products, inputs = economics.products(ck, rows, parties, minerals, demand)
    supply, supply_rows = _supply(ck, parties, minerals, demand)
    tiers = _tiers(ck, minerals)
    options = {v["option"]: ReleaseOption(v["option"], v["max_release_share_per_month"], v["usd_per_t_yr"])
               for _row, v in _rows(ck, "release_options")}
    scenarios = _scenarios(ck)
    event_rows = _events(ck, settings, scenarios, {u for (_, _, u) in supply}, minerals, parties)
    events = [e for _, e in event_rows]
    for sheet, found in (("parties", parties), ("minerals", minerals), ("demand", demand),
                         ("release_options", options), ("scenarios", scenarios)):
        if sheet in book.sheets and book.sheets[sheet].readable and not found and book.sheets[sheet].rows == []:
            ck.add(sheet, None, None, f"at least one row in the {sheet} sheet", "none")
    _warn_undisrupted(ck, supply_rows, events)
    _warn_idle_parties(ck, parties, demand)
    warn_suspicious(ck, settings, parties, minerals, demand, supply, scenarios, event_rows)
    warn_economics(ck, minerals, world, products)

    benchmarks = _benchmarks(ck, parties)
    past = history.history(ck, rows, _expand, parties, minerals, {u for (_, _, u) in supply})
    assumptions = assumption_groups(book, ck.add)
    errors = [p for p in ck.problems if p.severity == "error"]
    if errors:
        raise InputError(ck.problems)
    branched, all_events = branches(scenarios, events)
    return ModelData(settings, parties, minerals, demand, supply, tiers, options, branched, all_events,
                     source=book.path, sha256=book.sha256, run_spec=book.run_spec,
                     run_spec_sha256=book.run_spec_sha256, warnings=tuple(str(p) for p in ck.problems),
                     products=products, product_inputs=inputs, world_supply=world, assumptions=assumptions,
                     benchmarks=benchmarks, history=past, book=book)


def _benchmarks(ck: _Checker, parties: dict) -> tuple[Benchmark, ...]:
    """The benchmarks sheet: a name, days and the parties each applies to ('*' or blank: all)."""
    out = []
    for row, v in _rows(ck, "benchmarks"):
        text = (v["parties"] or "*").strip()
        named = () if text == "*" else _expand(ck, "benchmarks", row, "parties", text, parties, "party", "parties")
        out.append(Benchmark(v["benchmark"], v["days"], named))
    return tuple(out)


def _minerals(ck: _Checker) -> list[tuple[int, dict]]:
    return _rows(ck, "minerals")


def _need_a_supply(ck: _Checker, minerals: dict[str, Mineral]) -> None:
    """A purchase cap or a price uplift needs the supply it is a share of: world_supply_t_per_yr or world_supply
    rows."""
    for m, mineral in minerals.items():
        for col, used in (("max_purchase_share_per_yr", mineral.max_purchase_share_per_yr is not None),
                          ("price_uplift_per_share", mineral.price_uplift_per_share > 0)):
            if used and mineral.buyable_supply_t_per_yr is None:
                ck.add("minerals", row_of(ck, "minerals", m), "world_supply_t_per_yr",
                       f"a world supply in t/yr (the {col} of this row is a share of it)",
                       "a blank cell, and no world_supply rows for this mineral")


def _parties(ck: _Checker) -> dict[str, Party]:
    parties = {}
    for _row, v in _rows(ck, "parties"):
        parties[v["party"]] = Party(v["party"], v["name"] or v["party"], v["gdp_usd_bn"], v["joint_member"],
                                    v["budget_usd"], v["entitlement_share"], v["budget_usd_per_yr"])
    ent = [(p.id, p.entitlement_share) for p in parties.values() if p.entitlement_share is not None]
    if sum(s for _, s in ent) > 1 + TOL:
        ck.add("parties", None, "entitlement_share", "entitlement shares summing to at most 1",
               f"a sum of {sum(s for _, s in ent):.4g}")
    return parties


def _demand(ck: _Checker, parties: dict, minerals: dict) -> dict[tuple[str, str], Demand]:
    demand = {}
    for row, v in _rows(ck, "demand"):
        ok = _known(ck, "demand", row, v, parties=parties, minerals=minerals)
        d = Demand(v["consumption_t_per_yr"], v["net_import_reliance"], v["existing_stock_t"],
                   v["programme_fixed_usd_per_yr"], v["max_stock_t"], v["target_months"])
        if d.max_stock_t is not None and d.max_stock_t < d.existing_stock_t:
            ck.add("demand", row, "max_stock_t", f"at least the existing stock ({d.existing_stock_t:g} t)",
                   f"{d.max_stock_t:g} t")
        if ok:
            demand[v["party"], v["mineral"]] = d
    return demand


def _supply(ck: _Checker, parties: dict, minerals: dict, demand: dict):
    """Supplier shares per party and mineral (summing to at most 1), and the rows naming each supplier."""
    supply, share_rows, supplier_rows = {}, defaultdict(list), defaultdict(list)
    for row, v in _rows(ck, "supply"):
        ok = _known(ck, "supply", row, v, parties=parties, minerals=minerals)
        if ok and (v["party"], v["mineral"]) not in demand:
            ck.add("supply", row, "mineral", f"a demand row for {v['party']} x {v['mineral']}",
                   "none (supply of a mineral the party does not consume)")
            ok = False
        if ok:
            supply[v["party"], v["mineral"], v["supplier"]] = v["share"]
            share_rows[v["party"], v["mineral"]].append(row)
            supplier_rows[v["supplier"]].append(row)
    for (p, m), rows in share_rows.items():
        total = sum(s for (pp, mm, _), s in supply.items() if (pp, mm) == (p, m))
        if total > 1 + TOL:
            ck.add("supply", rows[-1], "share", f"supplier shares of {p} x {m} summing to at most 1",
                   f"a sum of {total:.4g} (rows {', '.join(map(str, rows))})")
    return supply, supplier_rows


def _scenarios(ck: _Checker) -> dict[str, Scenario]:
    scenarios = {v["scenario"]: Scenario(v["scenario"], v["probability_per_yr"], v["description"])
                 for _row, v in _rows(ck, "scenarios")}
    total_p = sum(s.probability_per_yr for s in scenarios.values())
    if total_p > 1 + TOL:
        ck.add("scenarios", None, "probability_per_yr", "annual probabilities summing to at most 1",
               f"a sum of {total_p:.4g}")
    return scenarios


def _events(ck: _Checker, settings: Settings, scenarios: dict, suppliers: set, minerals: dict,
            parties: dict) -> list[tuple[int, Event]]:
    """The events with their rows."""
    events = []
    for row, v in _rows(ck, "events"):
        ok = True
        if v["scenario"] not in scenarios:
            ck.add("events", row, "scenario", "a scenario defined in the scenarios sheet",
                   f"unknown scenario '{v['scenario']}'" + _closest(v["scenario"], scenarios))
            ok = False
        if v["supplier"] not in suppliers:
            ck.add("events", row, "supplier", "a supplier named in the supply sheet",
                   f"unknown supplier '{v['supplier']}'" + _closest(v["supplier"], suppliers))
            ok = False
        ms = _expand(ck, "events", row, "minerals", v["minerals"] or "", minerals, "mineral", "minerals")
        ts = _expand(ck, "events", row, "targets", v["targets"] or "", parties, "party", "parties")
        if v["start_month"] < 1:
            ck.add("events", row, "start_month", "a month from 1", _show(v["start_month"]))
        elif v["start_month"] > settings.horizon_months:
            ck.add("events", row, "start_month", f"a month within the horizon (1..{settings.horizon_months})",
                   _show(v["start_month"]))
            ok = False
        choices = _durations(ck, row, v["duration_months"], v["duration_probabilities"])
        if ok:
            events.append((row, Event(v["scenario"], v["supplier"], ms, ts, v["start_month"], choices[0][0],
                                      v["cut"], v["recovery_months"], v["recovery_share"],
                                      choices if len(choices) > 1 else ())))
    for s in scenarios:
        if not any(e.scenario == s for _, e in events) and "events" in ck.book.sheets:
            ck.add("scenarios", row_of(ck, "scenarios", s), "scenario", f"events for scenario '{s}'",
                   "none: it disrupts nothing and only dilutes the others", "warning")
    return events


def _durations(ck: _Checker, row: int, months: tuple, probabilities: tuple | None) -> tuple[tuple[int, float], ...]:
    """((duration, probability), ...) of one event: whole numbers >= 1, probabilities in [0, 1] summing
    to 1 and as many as the durations (one duration needs none)."""
    bad = [m for m in months if m < 1 or not float(m).is_integer()]
    if bad:
        ck.add("events", row, "duration_months", "whole numbers of months, each at least 1",
               ", ".join(_show(m) for m in bad))
    durations = [max(1, int(m)) for m in months] or [1]
    probs = list(probabilities or ())
    if len(durations) == 1 and not probs:
        return ((durations[0], 1.0),)
    if len(probs) != len(durations):
        ck.add("events", row, "duration_probabilities", f"{len(durations)} probabilities, one per duration "
               f"({','.join(map(str, durations))})", f"{len(probs)}" + (f" ({','.join(map(_show, probs))})"
                                                                        if probs else ": a blank cell"))
        return tuple((d, 1.0 / len(durations)) for d in durations)
    if any(p > 1 for p in probs) or abs(sum(probs) - 1.0) > 1e-6:
        ck.add("events", row, "duration_probabilities", "probabilities between 0 and 1 summing to 1",
               f"{','.join(map(_show, probs))} (sum {sum(probs):.4g})")
    if len(set(durations)) != len(durations):
        ck.add("events", row, "duration_months", "each duration once", ",".join(map(str, durations)))
    return tuple(zip(durations, probs, strict=True))


def branches(scenarios: dict[str, Scenario], events: list[Event]) -> tuple[dict[str, Scenario], tuple[Event, ...]]:
    """A scenario whose events have uncertain durations becomes one branch per combination of them,
    with probability = scenario probability x the chosen durations' probabilities (formulation,
    "Uncertain durations"); the others stay as they are."""
    out_s: dict[str, Scenario] = {}
    out_e: list[Event] = []
    for sid, sc in scenarios.items():
        mine = [e for e in events if e.scenario == sid]
        uncertain = [i for i, e in enumerate(mine) if e.duration_choices]
        if not uncertain:
            out_s[sid] = sc
            out_e.extend(mine)
            continue
        for combo in itertools.product(*(mine[i].duration_choices for i in uncertain)):
            chosen = dict(zip(uncertain, combo, strict=True))
            bid = f"{sid}:" + "/".join(str(d) for d, _ in combo) + "m"
            p = sc.probability_per_yr * math.prod(q for _, q in combo)
            out_s[bid] = Scenario(bid, p, sc.description, parent=sid)
            out_e.extend(replace(e, scenario=bid, duration_months=chosen[i][0]) if i in chosen else
                         replace(e, scenario=bid) for i, e in enumerate(mine))
    return out_s, tuple(out_e)


def _warn_undisrupted(ck: _Checker, supplier_rows: dict, events: list[Event]) -> None:
    """A supplier no event cuts is never disrupted: often a typo (Cn for CN)."""
    cut = {e.supplier for e in events}
    for supplier, rows in supplier_rows.items():
        if supplier not in cut and cut:
            ck.add("supply", rows[0], "supplier", "a supplier that some event in the events sheet cuts",
                   f"'{supplier}', which no event names, so this supply is never disrupted"
                   + _closest(supplier, cut), "warning")


def _warn_idle_parties(ck: _Checker, parties: dict, demand: dict) -> None:
    with_demand = {p for p, _ in demand}
    for p in parties:
        if p not in with_demand and demand:
            ck.add("parties", row_of(ck, "parties", p), "party", f"demand rows for party '{p}'",
                   "none: it consumes nothing, so it needs no stock and brings nothing to the pool", "warning")


def _known(ck, sheet, row, v, parties: dict, minerals: dict) -> bool:
    """Are the row's party and mineral defined? Each unknown one is a problem."""
    ok = True
    for column, known, defined_in in (("party", parties, "parties"), ("mineral", minerals, "minerals")):
        if v[column] is not None and v[column] not in known:
            ck.add(sheet, row, column, f"a {column} defined in the {defined_in} sheet",
                   f"unknown {column} '{v[column]}'")
            ok = False
    return ok


def _tiers(ck: _Checker, minerals: dict) -> dict[str, tuple[Tier, ...]]:
    """Per mineral, its own tiers or else the '*' tiers; cumulative, ending at 1.0, convex."""
    by_mineral: dict[str, list[tuple[int, int, Tier]]] = defaultdict(list)
    for row, v in _rows(ck, "shortage_costs"):
        m = v["mineral"]
        if m != "*" and m not in minerals:
            ck.add("shortage_costs", row, "mineral", "a mineral defined in the minerals sheet (or *)",
                   f"unknown mineral '{m}'")
            continue
        by_mineral[m].append((v["tier"], row, Tier(v["up_to_share_of_demand"], v["usd_per_t"])))
    out = {}
    for m, rows in by_mineral.items():
        rows.sort(key=lambda r: r[0])
        prev_share, prev_cost = 0.0, 0.0
        for _tier, row, t in rows:
            if t.up_to_share <= prev_share + TOL:
                ck.add("shortage_costs", row, "up_to_share_of_demand",
                       f"a cumulative share above the previous tier's {prev_share:g}", _show(t.up_to_share))
            if t.usd_per_t < prev_cost - TOL:
                ck.add("shortage_costs", row, "usd_per_t",
                       f"a cost at least the previous tier's {prev_cost:g} USD/t (costs must not fall with "
                       "the tier, or the shortage cost is not convex)", _show(t.usd_per_t))
            prev_share, prev_cost = max(prev_share, t.up_to_share), max(prev_cost, t.usd_per_t)
        last_tier, last_row, last = rows[-1]
        if abs(last.up_to_share - 1.0) > TOL:
            ck.add("shortage_costs", last_row, "up_to_share_of_demand", f"the last tier ({m}) to end at 1.0",
                   _show(last.up_to_share))
        out[m] = tuple(t for _, _, t in rows)
    for m in minerals:
        if m not in out:
            if "*" in out:
                out[m] = out["*"]
            elif "shortage_costs" in ck.book.sheets:
                ck.add("shortage_costs", None, "mineral", f"tiers for mineral '{m}' (or a '*' row)", "none")
    out.pop("*", None)
    return {m: out[m] for m in minerals if m in out}


def load(path) -> ModelData:
    """Read and validate a workbook: the one entry point for the rest of the package."""
    return build_model_data(read_book(path))
