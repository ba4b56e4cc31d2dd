"""Inputs that are legitimate but suspicious: each a warning (exit 0, printed and in the summary) naming
its sheet, row and column, so that a typo or a forgotten row is seen before the answer is trusted."""

from __future__ import annotations

from collections import defaultdict

from .data import Demand, Event, Mineral, Party, Scenario, Settings
from .workbook import row_id

TOL = 1e-9
ID_SHEETS = (("parties", "party"), ("minerals", "mineral"), ("scenarios", "scenario"), ("release_options", "option"))


def row_of(ck, sheet: str, ident: str) -> int | None:
    """The row (as Excel numbers it) whose id is `ident`, or None."""
    raw = ck.book.sheets.get(sheet)
    return next((n for n, cells in raw.rows if row_id(sheet, cells) == ident), None) if raw else None


def warn_suspicious(ck, settings: Settings, parties: dict[str, Party], minerals: dict[str, Mineral],
                    demand: dict[tuple[str, str], Demand], supply: dict, scenarios: dict[str, Scenario],
                    events: list[tuple[int, Event]]) -> None:
    """Every check below, each adding its warnings to `ck` (validate._Checker)."""
    _ids_differing_by_case(ck, supply)
    _entitlements(ck, parties)
    _minerals(ck, minerals, demand)
    _demand(ck, demand)
    _scenarios(ck, scenarios, events)
    _events(ck, settings, demand, supply, events)


def _ids_differing_by_case(ck, supply: dict) -> None:
    """'jp' beside 'JP': two ids that a reader takes for one (ids are case-sensitive)."""
    for sheet, column in ID_SHEETS:
        raw = ck.book.sheets.get(sheet)
        seen: dict[str, tuple[str, int]] = {}
        for number, cells in raw.rows if raw else ():
            ident = row_id(sheet, cells)
            first = seen.setdefault(ident.lower(), (ident, number))
            if first[0] != ident:
                ck.add(sheet, number, column, f"ids that differ by more than case (ids are case-sensitive: "
                       f"'{ident}' and '{first[0]}' are two different ids)",
                       f"'{ident}', and '{first[0]}' in row {first[1]}", "warning")
    suppliers: dict[str, str] = {}
    for s in dict.fromkeys(u for _p, _m, u in supply):  # each spelling once, however many rows use it
        other = suppliers.setdefault(s.lower(), s)
        if other != s:
            ck.add("supply", None, "supplier", "supplier ids that differ by more than case",
                   f"'{s}' and '{other}', two different suppliers", "warning")


def _entitlements(ck, parties: dict[str, Party]) -> None:
    members = {p for p, party in parties.items() if party.joint_member in ("yes", "optional")}
    for p, party in parties.items():
        if party.entitlement_share is not None and p not in members:
            ck.add("parties", row_of(ck, "parties", p), "entitlement_share",
                   "an entitlement only for a party that may join the pool (joint_member yes or optional)",
                   f"{party.entitlement_share:g} for {p}, whose joint_member is 'no': it is ignored", "warning")
    given = [share for p in members if (share := parties[p].entitlement_share) is not None]
    if members and len(given) == len(members) and sum(given) < 1 - 1e-6:
        ck.add("parties", None, "entitlement_share", "the members' entitlement shares summing to 1 (every "
               "member has one, so nothing is left to split by coverage basis)",
               f"a sum of {sum(given):.4g}: {1 - sum(given):.4g} of the pool is no member's", "warning")


def _minerals(ck, minerals: dict[str, Mineral], demand: dict) -> None:
    consumed = {m for _, m in demand}
    for mi, mineral in minerals.items():
        row = row_of(ck, "minerals", mi)
        if mi not in consumed:
            ck.add("minerals", row, "mineral", f"demand rows for mineral '{mi}'",
                   "none: no party consumes it, so it is never stocked", "warning")
        price, column = ((mineral.acquisition_price_usd_per_t, "acquisition_price_usd_per_t")
                         if mineral.acquisition_price_usd_per_t is not None else
                         (mineral.price_usd_per_t, "price_usd_per_t"))
        if price <= 0:
            ck.add("minerals", row, column, "a price above 0 USD/t",
                   "0: new stock costs nothing to buy or to tie up capital in", "warning")
        elif mineral.holding_usd_per_t_yr <= 0:
            ck.add("minerals", row, "holding_rate_per_yr", "a cost of holding stock above 0 (capital charge or "
                   "storage)", "0 and no storage cost: stock costs nothing to hold", "warning")
        if mineral.max_purchase_share_per_yr == 0:
            ck.add("minerals", row, "max_purchase_share_per_yr", "a share of world supply above 0",
                   "0: no new stock of it can be bought", "warning")


def _demand(ck, demand: dict[tuple[str, str], Demand]) -> None:
    for (p, m), d in demand.items():
        if d.consumption_t_per_yr <= 0:
            ck.add("demand", row_of(ck, "demand", f"{p}:{m}"), "consumption_t_per_yr", "a consumption above 0 t/yr",
                   f"0 for {p} x {m}: nothing to cover" + (", yet the row has a target" if d.target_months else ""),
                   "warning")


def _scenarios(ck, scenarios: dict[str, Scenario], events: list[tuple[int, Event]]) -> None:
    for s, sc in scenarios.items():
        if sc.probability_per_yr <= 0 and any(e.scenario == s for _, e in events):
            ck.add("scenarios", row_of(ck, "scenarios", s), "probability_per_yr", "a probability above 0",
                   f"0 for '{s}': it never happens, so nothing is stocked for it", "warning")


def _events(ck, settings: Settings, demand: dict, supply: dict, events: list[tuple[int, Event]]) -> None:
    exposed: dict[tuple[str, str, str], float] = defaultdict(float)  # (supplier, party, mineral) -> share
    for (p, m, s), share in supply.items():
        exposed[s, p, m] += share
    seen: dict[tuple, int] = {}
    for row, e in events:
        hit = [(p, m) for p in e.targets for m in e.minerals if exposed.get((e.supplier, p, m), 0) > TOL]
        if e.cut <= 0:
            ck.add("events", row, "cut", "a share of supply lost above 0", "0: the event cuts nothing", "warning")
        elif not hit:
            ck.add("events", row, "targets", f"a target party that buys one of its minerals ({', '.join(e.minerals)}) "
                   f"from {e.supplier}", "none does (see the supply sheet): the event cuts nothing", "warning")
        _durations(ck, settings, row, e)
        key = (e.scenario, e.supplier, e.minerals, e.targets, e.start_month)
        if key in seen:
            ck.add("events", row, "scenario", "each cut once per scenario (two rows cutting the same supply at the "
                   "same time add up)", f"the same supplier, minerals, targets and start as row {seen[key]}", "warning")
        seen.setdefault(key, row)


def _durations(ck, settings: Settings, row: int, e: Event) -> None:
    """Uncertain durations the horizon cannot tell apart: every cut still on when the horizon ends."""
    durations = [d for d, _ in e.duration_choices] or [e.duration_months]
    past = [d for d in durations if e.start_month + d - 1 > settings.horizon_months]
    if len(durations) > 1 and len(past) == len(durations):
        ck.add("events", row, "duration_months", f"durations the {settings.horizon_months}-month horizon can tell "
               f"apart (ending by month {settings.horizon_months})",
               f"{','.join(map(str, durations))} from month {e.start_month}: every one runs past the horizon, so "
               "the branches are the same within it", "warning")
    elif len(past) > 1:
        ck.add("events", row, "duration_months", f"durations the {settings.horizon_months}-month horizon can tell "
               "apart", f"{','.join(map(str, past))} from month {e.start_month} all run past it: within the horizon "
               "they are one branch", "warning")
    elif len(durations) == 1 and past:
        end = e.start_month + durations[0] - 1
        ck.add("events", row, "duration_months", f"a cut that ends within the {settings.horizon_months}-month horizon "
               "(or a longer horizon_months)", f"{durations[0]} months from month {e.start_month}, to month {end}: "
               + (f"month {end} is" if end == settings.horizon_months + 1 else
                  f"months {settings.horizon_months + 1}-{end} are") + " not modelled, so no stock is sized for it",
               "warning")


def warn_economics(ck, minerals: dict[str, Mineral], world_supply: dict, products: dict) -> None:
    """The optional economics sheets: suppliers none of whom sells to stockpiles, a world_supply sheet that disagrees
    with the mineral's world supply, a product whose lost output costs nothing."""
    for m, mineral in minerals.items():
        rows = {u: s for (mm, u), s in world_supply.items() if mm == m}
        if not rows:
            continue
        total = sum(s.t_per_yr for s in rows.values())
        if mineral.max_purchase_share_per_yr and not mineral.seller_supply_t_per_yr:
            ck.add("world_supply", None, "sells_to_stockpiles", f"a supplier of {m} that sells to stockpiles",
                   f"none of {', '.join(rows)}: the purchase cap lets no one buy any new {m}", "warning")
        world = mineral.world_supply_t_per_yr
        if world and total > 0 and abs(total - world) > 0.1 * world:
            ck.add("world_supply", None, "t_per_yr", f"suppliers of {m} adding up to about its world_supply_t_per_yr "
                   f"({world:,.6g} t/yr, within 10%)", f"{total:,.6g} t/yr", "warning")
    for (p, k), product in products.items():
        if product.lost_value_usd_per_month <= 0:
            ck.add("products", row_of(ck, "products", f"{p}:{k}"), "lost_value_usd_per_month",
                   "a value above 0 for a month without the product", f"0 for {p}'s {k}: its inputs, when short, cost "
                   "nothing", "warning")
