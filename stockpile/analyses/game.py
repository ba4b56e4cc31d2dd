"""The joint-stockpile coalition game (docs/formulation.md, "The coalition game"): v(C) for every
non-empty coalition of the parties eligible for the pool: C's own parties, every one of them in the
pool, solved by mineral (pipeline.run) on the scenario tree of every player."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path

import pandas as pd

from ..common.processes import process_pool
from ..io.data import ModelData
from ..io.problems import InputError, Problem
from ..io.validate import parse_number
from ..io.workbook import read_csv_sheet
from ..model.scenario_tree import build_tree
from ..solver.decompose import restrict_tree
from ..solver.facts import SolverFacts
from ..solver.pipeline import Infeasible, NoSolution, run
from ..solver.results import Results
from .sampling import ShapleyEstimate, Values, sampled_shapley

Coalition = frozenset[str]


class CoalitionUnsolved(Exception):
    """HiGHS stopped without any feasible solution for a coalition: the game has no value for it."""


def all_coalitions(players: list[str]) -> list[Coalition]:
    """Every non-empty coalition, smallest first (singletons, pairs, ..., the grand coalition)."""
    return [frozenset(c) for r in range(1, len(players) + 1) for c in combinations(players, r)]


def coalition_name(c: Coalition, order: list[str]) -> str:
    return "+".join(p for p in order if p in c)


@dataclass
class Game:
    players: list[str]
    value: dict[Coalition, float]  # v(C), USD/yr (expected annual cost)
    facts: dict[Coalition, SolverFacts]
    grand: Results | None = None  # the grand coalition's full results (who holds what)
    sampled: ShapleyEstimate | None = None  # when the Shapley value was sampled (--method sampled)
    oracle: tuple[Values, Callable] | None = None  # (values, a separation) when more coalitions can be found
    separate_all: bool = False  # with an oracle: the core's LPs too (nucleolus, least core), not only verdicts
    # with an oracle: its game_scale.RowLPs, made once (core_verdicts.row_lps; typed object: game_scale imports
    # this module, and the layers allow no import circle, not even for typing)
    row_lps: object | None = None

    @property
    def core_lps(self) -> bool:
        """Can the LPs over every coalition (nucleolus, least core) be solved: all known, or found by separation."""
        return self.complete or (self.oracle is not None and self.separate_all)

    @property
    def grand_coalition(self) -> Coalition:
        return frozenset(self.players)

    @property
    def complete(self) -> bool:
        """Every coalition's value is known (enumerated, or given); else only those the sampled Shapley used."""
        return len(self.value) >= 2 ** len(self.players) - 1

    def bound(self, c: Coalition) -> float:
        """The solver's proven lower bound on v(C): the true value lies in [bound, value]."""
        f = self.facts.get(c)
        best = None if f is None else f.best_bound_usd_per_yr
        return self.value[c] if best is None else min(best, self.value[c])  # a bound of 0 is a bound

    def own_costs(self) -> dict[str, float]:
        """Each player's own expected annual cost in the grand coalition's plan (party_costs.csv; {} without it):
        what it pays for its national stock and its shortages, before any share of the pool."""
        if self.grand is None:
            return {}
        return self.grand["party_costs"].set_index("holder").total_usd_per_yr.to_dict()

    def coalitions(self, proper: bool = False) -> list[Coalition]:
        """The coalitions whose values are known (all of them unless sampled), smallest first."""
        every = all_coalitions(self.players) if self.complete else sorted(
            self.value, key=lambda c: (len(c), sorted(self.players.index(p) for p in c)))
        return [c for c in every if not proper or c != self.grand_coalition]

    def table(self) -> pd.DataFrame:
        rows = []
        for c in self.coalitions():
            f = self.facts[c]
            rows.append({"coalition": coalition_name(c, self.players), "size": len(c),
                         "cost_usd_per_yr": self.value[c],
                         "standalone_sum_usd_per_yr": sum(self.value[frozenset([p])] for p in c),
                         "saving_usd_per_yr": sum(self.value[frozenset([p])] for p in c) - self.value[c],
                         "best_bound_usd_per_yr": f.best_bound_usd_per_yr, "relative_gap": f.relative_gap,
                         "status": f.status, "highs_s": f.seconds.get("highs", 0.0)})
        return pd.DataFrame(rows)


def game_from_values(values: dict[str, float]) -> Game:
    """A game given on paper: {"A": 10, "A+B": 15, ...} (tests, what-ifs)."""
    value = {frozenset(k.split("+")): float(v) for k, v in values.items()}
    players = sorted({p for c in value for p in c})
    facts = {c: SolverFacts("given", "given", True, v, v, 0.0, 0.0, 0.0) for c, v in value.items()}
    return Game(players, value, facts)


def check_players(data: ModelData) -> list[str]:
    """The game's players (the parties that may join the pool), or an InputError naming the parties sheet:
    a cost can be shared only among two or more."""

    players = data.eligible_members()
    if len(players) < 2:
        found = (f"only {players[0]} (yes or optional), so there is nothing to share: {players[0]} pays its own cost"
                 if players else "none (joint_member is 'no' for every party)")
        raise InputError([Problem(data.source, "parties", None, "joint_member",
                                  "at least two parties that may join the joint pool (joint_member yes or optional) "
                                  "for `stockpile share`", found)])
    return players


EXACT_PLAYERS = 10  # --method auto: every coalition solved up to this many players (1,023), sampled beyond


def method_of(method: str, players: int) -> str:
    """exact | sampled from --method exact | sampled | auto."""
    return ("exact" if players <= EXACT_PLAYERS else "sampled") if method == "auto" else method


def play(data: ModelData, threads: int | None = None, progress=None, workers: int = 1, client=None,
         method: str = "exact", samples: int = 200, half_width: float | None = None, seed: int = 0) -> Game:
    """v(C) for every coalition of the eligible parties (method exact), or only for those a sampled Shapley value
    needs (method sampled: `samples` orders of the players, fewer with `half_width`; game_scale.sampled_shapley):
    C's own parties, all of them pool members, solved by mineral (pipeline.run) on the scenario tree of every
    player (C still sees the others' disruptions). With workers > 1 the coalitions run in that many local
    processes; with a Dask `client`, on its cluster (the data and the tree sent once to every worker)."""
    players = check_players(data)
    grand = frozenset(players)
    if method_of(method, len(players)) == "exact":
        every = solve_coalitions(data, all_coalitions(players), progress, workers, client)
        return Game(players, {c: cost_of(r) for c, r in every.items()}, {c: r.facts for c, r in every.items()},
                    every[grand])
    game = Game(players, {}, {})
    values = solving(data, game, progress, workers, client)
    values.get([frozenset([p]) for p in players] + [grand])  # the grand coalition first: its plan is the pool's
    game.sampled = sampled_shapley(values, samples=samples, seed=seed, half_width=half_width)
    return game


def solving(data: ModelData, game: Game, progress=None, workers: int = 1, client=None) -> Values:
    """v(C) on demand for `game`: each coalition asked for is solved on its own and joins the game (its value, its
    facts, and for the grand coalition its plan), so its tables show every coalition a number rests on."""

    def compute(cs: list[Coalition]) -> dict[Coalition, float]:
        done = solve_coalitions(data, cs, progress, workers, client)
        game.facts.update({c: r.facts for c, r in done.items()})
        if game.grand_coalition in done:
            game.grand = done[game.grand_coalition]
        return {c: cost_of(r) for c, r in done.items()}

    return Values(game.players, compute, game.value)


def cost_of(result: Results) -> float:
    """A coalition's value: its objective (a coalition without a solution raised CoalitionUnsolved)."""
    assert result.facts.objective_usd_per_yr is not None
    return float(result.facts.objective_usd_per_yr)


def solve_coalitions(data: ModelData, order: list[Coalition], progress=None, workers: int = 1,
                     client=None) -> dict[Coalition, Results]:
    """Each coalition of `order` solved on its own (the grand coalition with its schedules)."""
    players = check_players(data)
    game_data = data.only_parties(players)
    tree = build_tree(game_data)
    grand = frozenset(players)
    jobs = [(game_data, tree, c, c == grand) for c in order]  # the grand coalition's schedules: borrowing, refills
    if not jobs:
        return {}
    if client is not None:
        return _collect(_on_cluster(client, game_data, tree, order, grand), order, players, progress)
    if workers > 1 and len(jobs) > 1:
        with process_pool(workers) as pool:
            return _collect(pool.map(_coalition, *zip(*jobs, strict=True)), order, players, progress)
    return _collect(map(_coalition, *zip(*jobs, strict=True)), order, players, progress)


def _on_cluster(client, game_data: ModelData, tree, order: list[Coalition], grand: Coalition):
    """The coalitions' answers from a Dask cluster, in `order` (pure=False: each is solved, never taken from a
    result Dask kept for another run)."""
    # hash=False: a batch's own keys; with the same content's key a batch's data was released while the next
    # batch's tasks needed it ('lost dependencies', dask/distributed#8576), seen with many sampled batches
    data_f, tree_f = client.scatter([game_data, tree], broadcast=True, hash=False)
    futures = [client.submit(_coalition, data_f, tree_f, c, c == grand, pure=False) for c in order]
    try:
        for future in futures:
            yield future.result()
    except BaseException:
        client.cancel(futures)
        raise


def _coalition(game_data: ModelData, tree, coalition: frozenset[str], detail: bool = False) -> Results:
    """One coalition's optimum: its parties only, every one in the pool, the full tree restricted to it (with
    `detail`, its schedules too: the grand coalition's say who borrows and owes refills)."""

    data = game_data.only_parties(sorted(coalition)).with_parties(**{p: {"joint_member": "yes"} for p in coalition})
    data = with_cap_shares(data, game_data, coalition)
    name = "+".join(sorted(coalition))
    try:
        return run(data, tree=restrict_tree(tree, data.pairs), warnings=False, detail=detail)
    except NoSolution as err:
        raise CoalitionUnsolved(f"coalition {name}: {err}") from None
    except Infeasible as err:  # the coalition on its own (with its share of each purchase cap) cannot meet them
        where = (f"coalition {name} on its own (with its consumption share of each purchase cap, "
                 "formulation \"The coalition game\")")
        raise Infeasible(err.facts, [f"{where}: {r}" for r in err.reasons] or
                         [f"{where}: HiGHS proved it infeasible"]) from None


def with_cap_shares(data: ModelData, game_data: ModelData, coalition) -> ModelData:
    """A coalition may buy its share of each purchase cap: the cap x its parties' share of all players'
    consumption of the mineral (the rest of the world's allowance is the other players'), so that going
    alone never gets the whole world's allowance to itself (formulation, "The coalition game")."""
    minerals = {}
    for mi, m in data.minerals.items():
        if m.max_purchase_share_per_yr is None:
            minerals[mi] = m
            continue
        total = sum(d.consumption_t_per_yr for (p, mm), d in game_data.demand.items() if mm == mi)
        own = sum(d.consumption_t_per_yr for (p, mm), d in game_data.demand.items() if mm == mi and p in coalition)
        share = own / total if total > 0 else 1.0
        minerals[mi] = replace(m, max_purchase_share_per_yr=m.max_purchase_share_per_yr * share)
    return replace(data, minerals=minerals)


def _collect(results, order, players, progress) -> dict:
    out = {}
    for i, (c, r) in enumerate(zip(order, results, strict=True)):
        out[c] = r
        if progress:
            progress(i + 1, len(order), coalition_name(c, players))
    return out


GAME_COLUMNS = ("coalition", "cost_usd_per_yr")  # required; best_bound_usd_per_yr and status are optional


def game_from_file(path, data: ModelData | None = None) -> Game:
    """Coalition costs from a CSV file (coalitions.csv as `stockpile share` writes it: `coalition` with
    members joined by '+', `cost_usd_per_yr`, optional `best_bound_usd_per_yr` and `status`); every
    problem at once as an InputError naming the row and column."""

    rows, problems = _game_rows(path)
    shown = str(path)
    if not rows:
        raise InputError([Problem(shown, None, None, "coalition", "one row per coalition (coalitions.csv as "
                                  "share writes it)", "a header and no rows")])
    value, bound, status, order = {}, {}, {}, []
    for row, cells in rows:
        c, err = _parse_game_row(cells)
        if err:
            problems.append(Problem(shown, None, row, err[0], err[1], err[2]))
            continue
        members, cost, best, st = c
        if members in value:
            problems.append(Problem(shown, None, row, "coalition", "each coalition once",
                                    f"'{cells['coalition']}' again"))
            continue
        value[members], bound[members], status[members] = cost, best, st
        order += [p for p in sorted(members, key=cells["coalition"].find) if p not in order]
    players = order
    problems += _completeness(shown, players, value, data)
    if problems:
        raise InputError(problems)
    facts = {c: SolverFacts(status[c], status[c], True, v, bound[c], None, 0.0, 0.0) for c, v in value.items()}
    return Game(players, value, facts)


def _game_rows(path):

    f = Path(path)
    if not f.is_file():
        raise InputError([Problem(str(f), None, None, None, "a CSV file of coalition costs", "no such file")])
    problems: list = []
    sheet = read_csv_sheet(f, problems)
    missing = [c for c in GAME_COLUMNS if sheet.readable and c not in sheet.columns]
    problems += [Problem(str(f), None, 1, c, f"a column '{c}' in the header row", "no such column") for c in missing]
    if problems:
        raise InputError(problems)
    return sheet.rows, []


def _parse_game_row(cells):
    """((members, cost, bound, status), None) or (None, (column, expected, found))."""

    text = str(cells.get("coalition") or "").strip()
    parts = [p.strip() for p in text.split("+")]
    if not text or not all(parts) or len(set(parts)) != len(parts):
        return None, ("coalition", "party ids joined by '+', each once (e.g. US+JP)", f"'{text}'")
    cost = parse_number(cells.get("cost_usd_per_yr"))
    if cost is None:
        return None, ("cost_usd_per_yr", "a number (USD/yr)", f"'{cells.get('cost_usd_per_yr')}'")
    raw = cells.get("best_bound_usd_per_yr")
    best = cost if raw in (None, "") else parse_number(raw)
    if best is None or best > cost + max(1e-6, 1e-9 * abs(cost)):
        return None, ("best_bound_usd_per_yr", f"a number at most the cost ({cost:g})", f"'{raw}'")
    return (frozenset(parts), cost, best, str(cells.get("status") or "given")), None


def _completeness(shown: str, players: list[str], value: dict, data: ModelData | None) -> list:

    out = []
    if not value:  # no usable row: each bad row is reported already
        return []
    if len(players) < 2:
        return [Problem(shown, None, None, "coalition", "coalitions of at least two parties (a cost to share)",
                        f"only {', '.join(players)}")]
    if len(players) > 16:
        return [Problem(shown, None, None, "coalition", "at most 16 parties", f"{len(players)}")]
    missing = [c for c in all_coalitions(players) if c not in value]
    if missing:
        names = ", ".join(coalition_name(c, players) for c in missing[:8]) + (" ..." if len(missing) > 8 else "")
        out.append(Problem(shown, None, None, "coalition", f"every one of the {2 ** len(players) - 1} coalitions of "
                           f"{', '.join(players)}", f"{len(missing)} missing: {names}"))
    if data is not None:
        unknown = [p for p in players if p not in data.parties]
        if unknown:
            out.append(Problem(shown, None, None, "coalition", "parties of the workbook",
                               f"unknown {', '.join(unknown)}"))
    return out
