"""Sharing rules against published games (source of every expected number in a comment), and the
properties every single-valued rule must have: efficiency, symmetry, anonymity, individual
rationality of the nucleolus, core membership on convex games; three-valued core verdicts;
`share --game` on the file `share` writes."""

from __future__ import annotations

import random
from itertools import combinations, permutations

import pandas as pd
import pytest

from stockpile.analyses.core_verdicts import (
    BLOCKED,
    IN_CORE,
    UNDETERMINED,
    core_existence,
    excess_intervals,
    rule_verdict,
)
from stockpile.analyses.game import Game, coalition_name, game_from_values
from stockpile.analyses.sharing import (
    allocate,
    equal_saving,
    least_core,
    least_core_slack,
    nucleolus,
    prenucleolus,
    shapley,
    unusable_rules,
)
from stockpile.solver.facts import SolverFacts

from .helpers import run_cli, two_parties, write_xlsx

SINGLE_VALUED = ("equal_saving", "standalone", "shapley", "nucleolus", "prenucleolus", "least_core", "optimised")


def usable(game: Game) -> list[str]:
    """The single-valued rules that apply to this game (a proportional rule needs positive weights)."""
    return [r for r in SINGLE_VALUED if r not in unusable_rules(game, None, SINGLE_VALUED)]


def profit_game(values: dict[str, float]) -> Game:
    """A profit (savings) game as the cost game stockpile works with: c(S) = -v(S); shares flip sign."""
    return game_from_values({k: -v for k, v in values.items()})


def profits(x: dict[str, float]) -> dict[str, float]:
    return {p: -v for p, v in x.items()}


def every_coalition(players, value_of) -> dict[str, float]:
    return {"+".join(c): value_of(c) for r in range(1, len(players) + 1) for c in combinations(players, r)}


def test_peleg_sudholter_5_5_12_prenucleolus_and_nucleolus_differ():
    # Peleg & Sudholter (2007), Introduction to the Theory of Cooperative Games, Example 5.5.12 (p. 96):
    # v(12) = 10, v(123) = 2, all else 0. Published prenucleolus (3, 3, -4) (also CoopGame's prenucleolus docs).
    # The nucleolus keeps x >= 0 (imputations): e(12) = 10 - x1 - x2 = 8 + x3 is least at x3 = 0, and the
    # symmetric 1 and 2 split the remaining 2: (1, 1, 0) (by hand).
    game = profit_game({"1": 0, "2": 0, "3": 0, "1+2": 10, "1+3": 0, "2+3": 0, "1+2+3": 2})
    assert profits(prenucleolus(game)) == pytest.approx({"1": 3, "2": 3, "3": -4})
    assert profits(nucleolus(game)) == pytest.approx({"1": 1, "2": 1, "3": 0}, abs=1e-9)


@pytest.mark.parametrize("estate, talmud", [(100, [100 / 3] * 3), (200, [50, 75, 75]), (300, [50, 100, 150])])
def test_bankruptcy_nucleolus_is_the_talmud_rule(estate, talmud):
    # Aumann & Maschler (1985), "Game theoretic analysis of a bankruptcy problem from the Talmud", J. Econ.
    # Theory 36: claims 100, 200, 300; the nucleolus of v(S) = max(0, E - claims outside S) is the Talmud's
    # division: E = 100 -> 33 1/3 each; 200 -> 50, 75, 75; 300 -> 50, 100, 150.
    claims = {"a": 100, "b": 200, "c": 300}
    game = profit_game(every_coalition(list(claims), lambda s: max(0, estate - sum(
        d for p, d in claims.items() if p not in s))))
    assert [profits(nucleolus(game))[p] for p in claims] == pytest.approx(talmud)


def eec_1958() -> Game:
    # EEC Council of Ministers 1958: weights France, Germany, Italy 4, Belgium, Netherlands 2, Luxembourg 1;
    # quota 12 of 17 (a simple profit game: a winning coalition gets 1).
    weights = {"FR": 4, "DE": 4, "IT": 4, "BE": 2, "NL": 2, "LU": 1}
    return profit_game(every_coalition(list(weights), lambda s: 1.0 if sum(weights[p] for p in s) >= 12 else 0.0))


def test_eec_1958_shapley_and_symmetry_of_every_rule():
    # Shapley-Shubik index of the 1958 EEC Council (e.g. Felsenthal & Machover 1998, The Measurement of Voting
    # Power, Table 2.5): 14/60 for each large member, 9/60 for Belgium and the Netherlands, 0 for Luxembourg.
    game = eec_1958()
    phi = profits(shapley(game))
    assert [phi[p] for p in ("FR", "DE", "IT", "BE", "NL", "LU")] == pytest.approx([14 / 60] * 3 + [9 / 60] * 2 + [0],
                                                                                   abs=1e-12)
    for rule, x in allocate(game, None, usable(game)).items():
        assert x["BE"] == pytest.approx(x["NL"], abs=1e-7), rule  # v1 gave Belgium 0.75 and NL 1.00 (least core)
        assert x["FR"] == pytest.approx(x["DE"], abs=1e-7) == pytest.approx(x["IT"], abs=1e-7), rule


def test_airport_game():
    # Littlechild & Owen (1973): in an airport (cost) game v(S) = max_{i in S} c_i the Shapley value shares
    # each runway segment equally among those who use it. c = (1, 2, 3): 1/3; 1/3 + 1/2 = 5/6; 5/6 + 1 = 11/6.
    # Nucleolus by hand: excesses e1 = x1 - 1, e23 = -x1 balance at x1 = 1/2 (t = -1/2, the least possible since
    # e1 + e23 = -1); then e13 = -x2 and e12 = 1 - x3 = x2 - 3/2 balance at x2 = 3/4: x = (1/2, 3/4, 7/4).
    c = {"1": 1.0, "2": 2.0, "3": 3.0}
    game = game_from_values(every_coalition(list(c), lambda s: max(c[p] for p in s)))
    assert [shapley(game)[p] for p in "123"] == pytest.approx([1 / 3, 5 / 6, 11 / 6])
    assert [nucleolus(game)[p] for p in "123"] == pytest.approx([0.5, 0.75, 1.75])


def test_weighted_majority_with_a_veto_player():
    # [3; 2, 1, 1]: winning coalitions {1,2}, {1,3}, {1,2,3}. Shapley (2/3, 1/6, 1/6) (Maschler, Solan & Zamir
    # 2013, Game Theory, ch. 18 example). Core: x1 + x2 >= 1, x1 + x3 >= 1, sum 1, x >= 0 -> {(1, 0, 0)}: the
    # nucleolus, prenucleolus and least-core point are that one point.
    w = {"1": 2, "2": 1, "3": 1}
    game = profit_game(every_coalition(list(w), lambda s: 1.0 if sum(w[p] for p in s) >= 3 else 0.0))
    assert [profits(shapley(game))[p] for p in "123"] == pytest.approx([2 / 3, 1 / 6, 1 / 6])
    for rule in (nucleolus, prenucleolus, least_core):
        assert [profits(rule(game))[p] for p in "123"] == pytest.approx([1, 0, 0], abs=1e-7)


def test_majority_game_has_an_empty_core():
    # three-player majority game (v = 1 for two or more): any x has a pair with x_i + x_j <= 2/3, so the least
    # core needs t* = 1/3 (von Neumann & Morgenstern 1944); nucleolus (1/3, 1/3, 1/3).
    game = profit_game(every_coalition(["a", "b", "c"], lambda s: 1.0 if len(s) >= 2 else 0.0))
    assert least_core_slack(game) == pytest.approx(1 / 3)
    assert core_existence(game).status == "empty"
    assert list(profits(nucleolus(game)).values()) == pytest.approx([1 / 3] * 3)


def random_game(n: int, seed: int, convex: bool = False) -> Game:
    rng = random.Random(seed)
    players = [f"p{i}" for i in range(n)]
    w = {p: rng.uniform(1, 10) for p in players}
    if convex:  # a concave cost of total size: submodular, so the core is non-empty (Shapley 1971)
        return game_from_values(every_coalition(players, lambda s: 10 * sum(w[p] for p in s) ** 0.5))
    noise = {frozenset(c): rng.uniform(0, 3) for r in range(2, n + 1) for c in combinations(players, r)}
    return game_from_values(every_coalition(players, lambda s: sum(w[p] for p in s) - noise.get(frozenset(s), 0)))


@pytest.mark.parametrize("seed", range(6))
def test_properties_on_random_games(seed):
    game = random_game(4 + seed % 3, seed)
    vn = game.value[game.grand_coalition]
    allocations = allocate(game, None, usable(game))
    for rule, x in allocations.items():
        assert sum(x.values()) == pytest.approx(vn, abs=1e-7), rule  # efficiency
    nu = allocations["nucleolus"]
    assert all(nu[p] <= game.value[frozenset([p])] + 1e-7 for p in game.players)  # individual rationality
    # anonymity: rename the players (reversed order of names) and every share follows its player
    rename = dict(zip(game.players, reversed(game.players), strict=True))
    renamed = Game([rename[p] for p in game.players], {frozenset(rename[p] for p in c): v
                                                        for c, v in game.value.items()}, {})
    for rule, x in allocate(renamed, None, usable(renamed)).items():
        assert {p: x[rename[p]] for p in game.players} == pytest.approx(allocations[rule], abs=1e-6), rule


@pytest.mark.parametrize("seed", range(4))
def test_symmetric_players_pay_the_same(seed):
    # make players p0 and p1 interchangeable: v(S) depends on S only through {p0, p1} -> its count
    base = random_game(5, seed)
    swap = {"p0": "p1", "p1": "p0"}
    values = {}
    for c, v in base.value.items():
        twin = frozenset(swap.get(p, p) for p in c)
        values[c] = (v + base.value[twin]) / 2
    game = Game(base.players, values, {})
    for rule, x in allocate(game, None, usable(game)).items():
        assert x["p0"] == pytest.approx(x["p1"], abs=1e-7), rule


@pytest.mark.parametrize("seed", range(4))
def test_convex_games_shapley_and_nucleolus_in_the_core(seed):
    game = random_game(5, seed, convex=True)
    for rule in (shapley, nucleolus, least_core):
        x = rule(game)
        assert max(low for _, low, _ in excess_intervals(game, x)) <= 1e-7


def interval_game(values: dict[str, tuple[float, float]]) -> Game:
    """A game whose values are known within [bound, incumbent], as a MIP gap leaves them."""
    value = {frozenset(k.split("+")): hi for k, (lo, hi) in values.items()}
    facts = {frozenset(k.split("+")): SolverFacts("optimal", "", True, hi, lo, None, 1e-3, 60)
             for k, (lo, hi) in values.items()}
    return Game(sorted({p for c in value for p in c}), value, facts)


def test_three_valued_verdicts():
    # A alone costs between 9 and 10 (bound, incumbent); B exactly 10; together exactly 15.
    game = interval_game({"A": (9, 10), "B": (10, 10), "A+B": (15, 15)})
    # x_A = 10.5 > A's own plan (10): A is proved better off alone, by at least 0.5
    verdict, blocking, low, _ = rule_verdict(game, {"A": 10.5, "B": 4.5})
    assert verdict == BLOCKED and blocking == [(frozenset("A"), pytest.approx(0.5))] and low == pytest.approx(0.5)
    # x_A = 9.5: more than A's bound (9), less than its plan (10): cannot be told at this gap
    verdict, blocking, low, high = rule_verdict(game, {"A": 9.5, "B": 5.5})
    assert verdict == UNDETERMINED and not blocking and (low, high) == pytest.approx((-0.5, 0.5))
    assert rule_verdict(game, {"A": 8, "B": 7})[0] == IN_CORE  # 8 <= 9 and 7 <= 10: proved
    # the core: non-empty whatever the true values (slack at most max over v in the box <= 0)
    assert core_existence(game).status == "non-empty"
    tight = interval_game({"A": (7, 8), "B": (7, 8), "A+B": (15, 15.5)})  # empty only if A, B cost 7
    assert core_existence(tight).status == "undetermined"


def test_nucleolus_is_skipped_when_no_imputation_exists():
    # pooling costs more than going alone (as pro-rata obligations can make it): 12 > 5 + 5
    game = game_from_values({"A": 5, "B": 5, "A+B": 12})
    assert "rule nucleolus skipped" in unusable_rules(game, None, ["nucleolus"])["nucleolus"]
    assert sum(prenucleolus(game).values()) == pytest.approx(12)


def test_share_game_reruns_the_rules_on_the_file_share_wrote(tmp_path):
    path = tmp_path / "two.xlsx"
    write_xlsx(two_parties(), path)
    assert run_cli("share", path, "-o", tmp_path / "solved").exit_code == 0
    result = run_cli("share", "--game", tmp_path / "solved" / "coalitions.csv", "-o", tmp_path / "replayed")
    assert result.exit_code == 0, result.output
    solved = pd.read_csv(tmp_path / "solved" / "sharing.csv").set_index(["rule", "party"])
    replayed = pd.read_csv(tmp_path / "replayed" / "sharing.csv").set_index(["rule", "party"])
    common = replayed.index
    assert set(solved.index) - set(common) == {(r, p) for r in ("consumption", "exposed_demand", "gdp")
                                               for p in ("A", "B")}
    pd.testing.assert_series_equal(solved.loc[common, "cost_usd_per_yr"], replayed.cost_usd_per_yr, atol=1e-6)
    assert "rule gdp skipped: it needs the workbook's data" in result.output
    with_book = run_cli("share", path, "--game", tmp_path / "solved" / "coalitions.csv", "-o", tmp_path / "wb")
    assert with_book.exit_code == 0 and "gdp" in set(pd.read_csv(tmp_path / "wb" / "sharing.csv").rule)


def test_share_game_file_problems_are_named(tmp_path):
    bad = tmp_path / "game.csv"
    bad.write_text("coalition,cost_usd_per_yr,best_bound_usd_per_yr\nA,10,\nB,ten,\nA+B,15,16\nA,11,\nA+A,3,\n")
    result = run_cli("share", "--game", bad, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "Traceback" not in result.output
    for words in ("row 3, column 'cost_usd_per_yr': expected a number (USD/yr); found 'ten'",
                  "row 4, column 'best_bound_usd_per_yr': expected a number at most the cost (15)",
                  "row 5, column 'coalition': expected each coalition once; found 'A' again",
                  "row 6, column 'coalition': expected party ids joined by '+', each once"):
        assert words in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_coalition_names_follow_the_players_order():
    assert coalition_name(frozenset({"JP", "US"}), ["US", "JP", "KR"]) == "US+JP"
    assert [sorted(c) for c in permutations("ab")]  # smoke: permutations import used for readers
    assert equal_saving(game_from_values({"A": 10, "B": 10, "A+B": 16})) == {"A": 8.0, "B": 8.0}
