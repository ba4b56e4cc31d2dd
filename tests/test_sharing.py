"""The coalition game and the sharing rules, against games solved on paper."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from stockpile.analyses.core_verdicts import compare, core_existence, excess_intervals
from stockpile.analyses.game import game_from_values, play
from stockpile.analyses.sharing import RULES, equal_saving, least_core_slack, nucleolus, shapley
from stockpile.cli import main

from .helpers import data_of, two_parties, write_xlsx

# "Glove" cost game: stand-alone 10 each; 1 saves 1 with 2 or with 3, 2 and 3 save nothing together.
GLOVE = {"1": 10, "2": 10, "3": 10, "1+2": 19, "1+3": 19, "2+3": 20, "1+2+3": 29}


def test_shapley_of_glove_game():
    # savings marginal contributions over the 6 orders: player 1 adds 1 in 4 of them -> 2/3;
    # players 2 and 3 add 1 only when joining 1 alone first -> 1/6 each.
    phi = shapley(game_from_values(GLOVE))
    assert phi["1"] == pytest.approx(10 - 2 / 3)
    assert phi["2"] == pytest.approx(10 - 1 / 6)
    assert phi["3"] == pytest.approx(10 - 1 / 6)


def test_nucleolus_of_glove_game_is_its_one_point_core():
    # x1 + x2 <= 19, x1 + x3 <= 19, sum = 29  =>  x3 >= 10 and x2 >= 10, with xi <= 10: core = {(9, 10, 10)}
    game = game_from_values(GLOVE)
    nu = nucleolus(game)
    assert [nu[p] for p in "123"] == pytest.approx([9, 10, 10])
    assert least_core_slack(game) == pytest.approx(0.0, abs=1e-9)
    # Shapley is outside the core: coalition 1+2 pays 9.333 + 9.833 = 19.167 > 19
    excess = {c: low for c, low, _high in excess_intervals(game, shapley(game))}  # x(C) - v(C) at the incumbents
    assert excess[frozenset({"1", "2"})] == pytest.approx(1 / 6)


def test_empty_core_is_reported_not_raised():
    # every pair saves 1, all three together also save only 1: pairs need y_i + y_j >= 1, so
    # sum y >= 1.5 > 1: empty. Symmetric split 29/3 each; a pair pays 58/3 - 19 = 1/3 more than alone.
    game = game_from_values({"a": 10, "b": 10, "c": 10, "a+b": 19, "a+c": 19, "b+c": 19, "a+b+c": 29})
    assert least_core_slack(game) == pytest.approx(1 / 3)
    assert core_existence(game).status == "empty"
    nu = nucleolus(game)
    assert list(nu.values()) == pytest.approx([29 / 3] * 3)


def test_nucleolus_of_one_big_and_three_small_parties():
    # B alone 40, each small alone 10; smalls save nothing together; each saves 3 with B:
    # v(B + k smalls) = 40 + 7k, v(N) = 61. By symmetry smalls pay s, B pays 61 - 3s. Excesses:
    # {small} s - 10; {B} 21 - 3s; {B + 1 small} 14 - 2s; {B + 2 smalls} 7 - s.
    # The largest is min-maxed where s - 10 = 7 - s: s = 8.5 (all others lower: -4.5, -3).
    # Nucleolus: smalls 8.5, B 61 - 25.5 = 35.5.
    values = {"B": 40.0}
    smalls = ["s1", "s2", "s3"]
    from itertools import combinations

    for k in range(1, 4):
        for c in combinations(smalls, k):
            values["+".join(c)] = 10.0 * k
            values["+".join(("B", *c))] = 40 + 7.0 * k
    game = game_from_values(values)
    nu = nucleolus(game)
    assert [nu[p] for p in smalls] == pytest.approx([8.5] * 3)
    assert nu["B"] == pytest.approx(35.5)
    # Shapley: a small adds 7 when B is already in (half the orders), else 10: (7 + 10) / 2 = 8.5
    phi = shapley(game)
    assert phi["s1"] == pytest.approx(8.5)


def test_properties_efficiency_symmetry_dummy():
    # 4 players: a and b symmetric; d is a dummy (never saves anything with anyone)
    base = {"a": 10, "b": 10, "c": 12, "d": 5}
    saving = {frozenset("ab"): 3, frozenset("ac"): 2, frozenset("bc"): 2, frozenset("abc"): 6}
    values = {}
    from itertools import combinations

    for r in range(1, 5):
        for c in combinations("abcd", r):
            core = frozenset(c) - {"d"}
            values["+".join(c)] = sum(base[p] for p in c) - saving.get(core, 0)
    game = game_from_values(values)
    vn = values["a+b+c+d"]
    for rule in (shapley, nucleolus, equal_saving):
        x = rule(game)
        assert sum(x.values()) == pytest.approx(vn)  # efficiency
        assert x["a"] == pytest.approx(x["b"])  # symmetry
    assert shapley(game)["d"] == pytest.approx(5)  # dummy pays its stand-alone cost
    assert nucleolus(game)["d"] == pytest.approx(5)


def test_workbook_game_two_parties_hit_apart():
    # A and B are each hit alone (s_a, s_b): alone each holds 3 t = $30/yr; pooled, 3 t serve both: $30.
    # saving 30 + 30 - 30 = $30/yr; Shapley = nucleolus = equal saving = $15 each; gdp 100:300 -> 7.5 / 22.5.
    data = data_of(two_parties())
    game = play(data)
    assert game.value[frozenset("A")] == pytest.approx(30)
    assert game.value[frozenset("B")] == pytest.approx(30)
    assert game.value[frozenset("AB")] == pytest.approx(30)
    tables = compare(game, data)
    sharing = tables["sharing"].set_index(["rule", "party"])
    for rule in ("shapley", "nucleolus", "equal_saving", "least_core", "optimised"):
        assert sharing.loc[(rule, "A"), "cost_usd_per_yr"] == pytest.approx(15)
        assert sharing.loc[(rule, "B"), "saving_usd_per_yr"] == pytest.approx(15)
    assert sharing.loc[("gdp", "A"), "cost_usd_per_yr"] == pytest.approx(7.5)
    assert sharing.loc[("gdp", "B"), "cost_usd_per_yr"] == pytest.approx(22.5)
    # the pooled optimum holds nothing nationally and leaves nothing unmet: all of A's cost is pool contribution
    assert sharing.loc[("shapley", "A"), "contribution_usd_per_yr"] == pytest.approx(15)
    assert sharing.xs("shapley").in_core_proved.all()
    for rule in RULES:  # efficiency, through the whole pipeline
        assert sharing.xs(rule).cost_usd_per_yr.sum() == pytest.approx(30)


def test_share_cli_writes_the_comparison(tmp_path):
    path = tmp_path / "two.xlsx"
    write_xlsx(two_parties(), path)
    out = tmp_path / "share"
    result = CliRunner().invoke(main, ["share", str(path), "-o", str(out), "--reference", "gdp"])
    assert result.exit_code == 0, result.output
    assert {"coalitions.csv", "sharing.csv", "core_check.csv", "results.xlsx", "summary.md", "sharing.png"} <= {
        p.name for p in out.iterdir()}
    coalitions = pd.read_csv(out / "coalitions.csv")
    assert list(coalitions.coalition) == ["A", "B", "A+B"]
    summary = (out / "summary.md").read_text()
    assert "saving of **$30/yr**" in summary and "The core is not empty" in summary
    # optimised stays in the core, as close to gdp (7.5 / 22.5) as the core allows: the core is
    # x_A, x_B <= 30 with x_A + x_B = 30, so gdp itself is in it and optimised equals it
    sharing = pd.read_csv(out / "sharing.csv").set_index(["rule", "party"])
    assert sharing.loc[("optimised", "A"), "cost_usd_per_yr"] == pytest.approx(7.5)


def test_share_cli_rejects_unknown_rule(tmp_path):
    path = tmp_path / "two.xlsx"
    write_xlsx(two_parties(), path)
    result = CliRunner().invoke(main, ["share", str(path), "--rules", "shapley,fairest"])
    assert result.exit_code == 2
    assert "unknown rule(s) fairest" in result.output


def test_optimised_can_take_any_rule_as_reference():
    # two parties hit apart (v = 30, 30, 30): the core is x_A + x_B = 30 with each <= 30; least_core is the
    # least-core point closest to equal saving (15, 15), and optimised referenced on it is the same point
    data = data_of(two_parties())
    game = play(data)
    from stockpile.analyses.sharing import allocate

    x = allocate(game, data, rules=("optimised",), reference="least_core")["optimised"]
    assert x["A"] == pytest.approx(15) and x["B"] == pytest.approx(15)
