"""The coalition game at scale (docs/formulation.md, "The coalition game at scale"): row generation gives what the
enumerated LPs give, on games whose solutions are known on paper; the sampled Shapley value's interval holds the
exact value at about its stated rate."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from stockpile.analyses import game_scale
from stockpile.analyses.game import Game, game_from_values
from stockpile.analyses.game_scale import core_verdict_by_rows, least_core_by_rows, nucleolus_by_rows, values_of
from stockpile.analyses.sampling import sampled_shapley
from stockpile.analyses.sharing import least_core_slack, nucleolus, prenucleolus, shapley


def airport(costs: list[float]) -> Game:
    """Littlechild and Owen (1973): a runway long enough for the largest plane of C costs v(C) = max c_i."""
    players = [f"p{i:02d}" for i in range(len(costs))]
    value = {frozenset(c): max(costs[players.index(p)] for p in c)
             for r in range(1, len(players) + 1) for c in combinations(players, r)}
    return Game(players, value, {})


def airport_shapley(costs: list[float]) -> list[float]:
    """phi_i = sum_{j <= i} (c_j - c_{j-1}) / (n - j + 1), costs ascending (Littlechild and Owen 1973)."""
    out, n = [], len(costs)
    for i in range(n):
        out.append(sum((costs[j] - (costs[j - 1] if j else 0.0)) / (n - j) for j in range(i + 1)))
    return out


COSTS = [1.0, 2.0, 2.0, 3.5, 4.0, 5.0, 6.5, 7.0, 9.0, 10.0]


def test_nucleolus_by_rows_is_the_enumerated_one_on_an_airport_game():
    game = airport(COSTS)
    enumerated = nucleolus(game)
    by_rows, rows, _separations = nucleolus_by_rows(values_of(game))
    assert by_rows == pytest.approx(enumerated, abs=1e-6)
    assert rows < 2 ** len(COSTS) - 1  # the LPs never held every coalition
    pre, _rows, _ = nucleolus_by_rows(values_of(game), individually_rational=False)
    assert pre == pytest.approx(prenucleolus(game), abs=1e-6)


def test_airport_shapley_closed_form_is_the_enumerated_one():
    game = airport(COSTS)
    exact = shapley(game)
    assert [exact[p] for p in game.players] == pytest.approx(airport_shapley(COSTS), abs=1e-9)


def test_sampled_shapley_interval_holds_the_exact_value_at_its_rate():
    """15 players (32,767 coalitions), 40 seeds x 15 parties = 600 intervals of a stated 95%."""
    costs = sorted([1.0, 1.5, 2.0, 3.0, 3.0, 4.0, 5.5, 6.0, 7.0, 8.0, 8.5, 9.0, 11.0, 12.0, 15.0])
    game = airport(costs)
    exact = dict(zip(game.players, airport_shapley(costs), strict=True))
    hits, total = 0, 0
    for seed in range(40):
        est = sampled_shapley(values_of(game), samples=200, seed=seed)
        assert sum(est.value.values()) == pytest.approx(game.value[game.grand_coalition])  # efficient
        hits += sum(est.low[p] <= exact[p] <= est.high[p] for p in game.players)
        total += len(game.players)
    assert 0.88 <= hits / total <= 0.995


def test_sampled_shapley_stops_at_a_target_half_width():
    game = airport(COSTS)
    est = sampled_shapley(values_of(game), samples=100_000, seed=1, half_width=0.05)
    assert max(est.high[p] - est.low[p] for p in game.players) <= 0.1 + 1e-12
    assert est.permutations < 100_000


def test_an_empty_core_is_found_by_separation():
    """v(C) = |C| for every proper coalition, v(N) = n + 1 = 11: the core asks x(N) <= n, so it is empty. The least
    core is symmetric, x_i = 11/10, and its largest excess is a coalition of 9: 9 x 1.1 - 9 = 0.9."""
    n = 10
    players = [f"q{i}" for i in range(n)]
    value = {frozenset(c): float(len(c)) for r in range(1, n) for c in combinations(players, r)}
    value[frozenset(players)] = n + 1.0
    game = Game(players, value, {})
    t, x, rows = least_core_by_rows(values_of(game))
    assert t == pytest.approx(0.9, abs=1e-7) == pytest.approx(least_core_slack(game), abs=1e-7)
    assert rows < 2 ** n - 1
    inside, objector, excess = core_verdict_by_rows(values_of(game), {p: 1.1 for p in players})
    assert not inside and len(objector) == 9 and excess == pytest.approx(0.9)


def test_a_core_allocation_is_proved_by_separation():
    """Airport games are concave: the Shapley value is in the core (Shapley 1971)."""
    game = airport(COSTS)
    inside, objector, largest = core_verdict_by_rows(values_of(game), shapley(game))
    assert inside and objector is None and largest <= 1e-9
    file_game = game_from_values({"+".join(sorted(c)): v for c, v in game.value.items()})
    assert nucleolus_by_rows(values_of(file_game))[0] == pytest.approx(nucleolus(game), abs=1e-6)
    assert np.isfinite(list(shapley(game).values())).all()


def test_share_sampled_solves_only_the_coalitions_it_needs(tmp_path):
    """Five parties, two antithetic pairs of orders (the fewest that state an interval): each order adds at most
    its 3 prefixes of 2 to 4 parties to the singletons and the grand coalition, so at most 6 + 4 x 3 = 18 of 31;
    the rules that need every coalition are skipped and say why; no verdict claims the core; the Shapley estimate's
    interval is in sharing.csv."""
    import sys
    from pathlib import Path

    import pandas as pd

    from .helpers import run_cli, write_xlsx

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from synthetic import synthetic

    path = tmp_path / "five.xlsx"
    write_xlsx(synthetic(5, 1, 2, 4, seed=2), path)
    out = tmp_path / "share"
    result = run_cli("share", path, "-o", out, "--method", "sampled", "--samples", 2, "--workers", 1,
                     "--separation", "none")
    assert result.exit_code == 0, result.output
    coalitions = pd.read_csv(out / "coalitions.csv")
    assert 6 < len(coalitions) <= 18
    sharing = pd.read_csv(out / "sharing.csv")
    assert {"nucleolus", "least_core", "optimised", "prenucleolus"}.isdisjoint(set(sharing.rule))
    assert "in the core (proved)" not in set(sharing.core_verdict)
    shap = sharing[sharing.rule == "shapley"]
    assert shap.cost_usd_per_yr.sum() == pytest.approx(coalitions.cost_usd_per_yr.iloc[-1], rel=1e-9)
    assert (shap.shapley_ci95_low_usd_per_yr <= shap.cost_usd_per_yr).all()
    assert (shap.cost_usd_per_yr <= shap.shapley_ci95_high_usd_per_yr).all()
    summary = (out / "summary.md").read_text()
    assert "Method: sampled: 4 orders of the 5 parties" in summary
    assert "rule nucleolus skipped: it needs every coalition's cost" in summary
    assert "nan" not in summary and "inf" not in summary.replace("information", "")


def _synthetic_data(parties: int, seed: int):
    import sys
    from pathlib import Path

    from .helpers import data_of

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from synthetic import synthetic

    frames = synthetic(parties, 2, 3, 6, seed=seed)
    frames["settings"] = frames["settings"].assign(value=[6, 1e-6, 600, 0.1])
    return data_of(frames)


def test_membership_separation_gives_the_enumerated_verdicts_and_nucleolus():
    """Four synthetic parties: the MILP over who is in costs each coalition what its own solve does (so its verdicts
    and the nucleolus by row generation are the enumerated ones), starting from the singletons and the grand
    coalition only."""
    from stockpile.analyses.core_verdicts import rule_verdict
    from stockpile.analyses.game import play
    from stockpile.analyses.sampling import Values
    from stockpile.analyses.separation import MembershipSeparation
    from stockpile.analyses.sharing import equal_saving, proportional

    data = _synthetic_data(4, 3)
    game = play(data, method="exact")
    start = {c: v for c, v in game.value.items() if len(c) in (1, 4)}
    values = Values(game.players, lambda cs: {c: game.value[c] for c in cs}, dict(start))
    sep = MembershipSeparation(data, values, abs_gap_usd=1.0)
    alone = {p: game.value[frozenset([p])] for p in game.players}
    for x in (shapley(game), equal_saving(game), proportional(game, alone),
              {p: game.value[game.grand_coalition] / 4 for p in game.players}):
        inside, objector, _excess = core_verdict_by_rows(values, x, sep)
        verdict = rule_verdict(game, x)[0]
        assert inside == (verdict == "in the core (proved)")
        if not inside:
            assert sum(x[p] for p in objector) > game.value[objector]  # it does object
    nu, rows, _separations = nucleolus_by_rows(values, sep)
    assert nu == pytest.approx(nucleolus(game), rel=1e-6)
    assert rows < 15  # its LPs never held every coalition
    t, _x, _rows = least_core_by_rows(values, sep)
    assert t == pytest.approx(least_core_slack(game), rel=1e-6, abs=1e-3)


def _five_sampled_and_exact(tmp_path, rules: str, mip_rel_gap: float | None = None):
    """Five synthetic parties (bench/synthetic.py) shared by two sampled orders (folder s) and exactly (folder e):
    each folder's sharing.csv indexed by rule and party."""
    import sys
    from pathlib import Path

    import pandas as pd

    from .helpers import run_cli, write_xlsx

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from synthetic import synthetic

    frames = synthetic(5, 1, 2, 4, seed=2)
    if mip_rel_gap is not None:
        frames["settings"] = frames["settings"].assign(value=[4, mip_rel_gap, 600, 0.1])
    path = tmp_path / "five.xlsx"
    write_xlsx(frames, path)
    sampled = run_cli("share", path, "-o", tmp_path / "s", "--method", "sampled", "--samples", 2, "--workers", 1,
                      "--rules", rules)
    exact = run_cli("share", path, "-o", tmp_path / "e", "--method", "exact", "--workers", 1, "--rules", rules)
    assert sampled.exit_code == 0 and exact.exit_code == 0, sampled.output + exact.output
    assert len(pd.read_csv(tmp_path / "s" / "coalitions.csv")) < 31  # most coalitions never solved
    return tuple(pd.read_csv(tmp_path / f / "sharing.csv").set_index(["rule", "party"]) for f in "se")


def test_share_sampled_verdicts_come_from_the_separation(tmp_path):
    """The same five parties and orders with the membership separation (the default): equal_saving and standalone
    split only the grand coalition's cost by the singletons', so their splits are the exact game's, and so must
    their verdicts be, proved by the MILP though most coalitions were never solved."""
    s, e = _five_sampled_and_exact(tmp_path, "equal_saving,standalone,shapley")
    for rule in ("equal_saving", "standalone"):
        assert s.loc[rule].cost_usd_per_yr.to_numpy() == pytest.approx(e.loc[rule].cost_usd_per_yr.to_numpy())
        assert s.loc[rule].core_verdict.iloc[0] == e.loc[rule].core_verdict.iloc[0]
    assert "The membership separation (one MILP over who is in" in (tmp_path / "s" / "summary.md").read_text()


def test_share_sampled_nucleolus_and_least_core_by_separation_are_the_exact_ones(tmp_path):
    """Five synthetic parties at mip_rel_gap 1e-6, a sampled game of two orders (most coalitions never solved): with
    the separation (`--separation all`, the default) its nucleolus and least core are the exact game's, within
    what the coalition values' gap allows (1e-6 of the largest value, about $50/yr on ~$50 m/yr, so 1e-5 of each
    party's cost holds it), and the core's status is the exact game's."""
    import re

    s, e = _five_sampled_and_exact(tmp_path, "nucleolus,least_core", mip_rel_gap=1e-6)
    for rule in ("nucleolus", "least_core"):
        assert s.loc[rule].cost_usd_per_yr.to_numpy() == pytest.approx(e.loc[rule].cost_usd_per_yr.to_numpy(),
                                                                       rel=1e-5)
    summary = (tmp_path / "s" / "summary.md").read_text()
    assert re.search(r"no other coalition exceeds their excesses by more than \$[\d,]+/yr \(proved\)", summary)
    core = re.compile(r"The core is (not empty|empty) \(proved\)")
    assert core.search(summary) and core.search(summary).group(1) == core.search(
        (tmp_path / "e" / "summary.md").read_text()).group(1)


class NoisyOracle:
    """An oracle over a game's optima v* for a game whose solved values are incumbents v^ = v* (1 + g u), u in
    [0, 1): what the membership MILP is to the coalitions' own solves at mip_rel_gap g (given a threshold it proves
    that none beats it and says no more, as HiGHS under objective_bound)."""

    def __init__(self, optima: Game, gap: float):
        self.exact = game_scale.enumeration(values_of(optima))
        self.gap, self.largest = gap, max(optima.value.values()) * (1 + gap)

    def noise_usd(self) -> float:
        return self.gap * self.largest

    def __call__(self, x, excluded, threshold=None):
        c, excess, bound = self.exact(x, excluded, threshold)
        if threshold is not None and bound <= threshold:  # as the MILP under objective_bound: proved, no better
            return None, -np.inf, threshold
        return c, excess, bound


def test_row_generation_stops_at_the_values_gap_and_says_so():
    """12 airport players whose solved values lie up to 1% above their optima: an oracle over the optima finds
    coalitions that object only because its optimum beats the solve's incumbent. Row generation asks it for more
    than the values' gap (g x the largest value = 0.01 x 10.1 = 0.101), so it stops, and the least core over the
    incumbents lies in [t by rows, t by rows + unproved]: t(v^) <= t_rows + unproved, as every coalition not found
    has x(C) - v^(C) <= x(C) - v*(C) <= the oracle's bound; t(v^) >= t_rows, as the rows are some of v^'s."""
    from stockpile.analyses.sampling import Values

    costs = [1.0, 1.5, 2.0, 3.0, 3.0, 4.0, 5.5, 6.0, 7.0, 8.0, 9.0, 10.0]
    optima = airport(costs)
    rng = np.random.default_rng(7)
    solved = Game(optima.players, {c: v * (1 + 0.01 * rng.random()) for c, v in optima.value.items()}, {})
    t_all = least_core_slack(solved)
    start = [frozenset([p]) for p in solved.players] + [solved.grand_coalition]

    def fresh() -> Values:  # only the singletons and the grand coalition solved, the rest on demand
        return Values(solved.players, lambda cs: {c: solved.value[c] for c in cs}, {c: solved.value[c] for c in start})

    oracle = NoisyOracle(optima, 0.01)
    g = game_scale.RowGame(fresh(), oracle)
    t_rows = g.stage({})[0] * g.scale
    unproved = g.unproved * g.scale
    assert unproved == pytest.approx(oracle.noise_usd())  # proved at t + the gap, nothing better known
    assert t_rows - 1e-9 <= t_all <= t_rows + max(unproved, 0.0) + 1e-9
    lps = game_scale.RowLPs(fresh(), oracle)
    assert lps.slack() == pytest.approx(t_rows) and lps.unproved_usd == pytest.approx(unproved)


def test_a_separation_stopped_short_of_a_proof_leaves_its_bound_unproved_and_says_why():
    """An oracle that, like a MILP at its time limit, finds nothing and proves only that no excess is above $2.5 m
    on the airport game in USD m (the LP holds the singletons' rows and finds their slack t): the stage stops, and
    unproved = $2.5 m - t, stated with the MILPs that stopped and their limit."""
    from types import SimpleNamespace

    from stockpile.reports.share import _unproved_why

    game = airport([c * 1e6 for c in COSTS])

    class Stopped:
        timed_out, time_limit_s = 3, 60.0
        data = SimpleNamespace(settings=SimpleNamespace(mip_rel_gap=1e-6))

        def noise_usd(self) -> float:
            return 40.0

        def __call__(self, x, excluded, threshold=None):
            return None, -np.inf, 2.5e6

    oracle = Stopped()
    lps = game_scale.RowLPs(values_of(Game(game.players, {c: v for c, v in game.value.items()
                                                         if len(c) in (1, len(COSTS))}, {})), oracle)
    t = lps.slack()
    assert lps.unproved_usd == pytest.approx(2.5e6 - t)
    assert _unproved_why(oracle, lps.unproved_usd) == (
        ": more than the coalition values' own gap ($40/yr), as 3 separation MILP(s) stopped at the 60 s limit "
        "(`--separation-time-limit`) short of a proof.")


def test_share_sampled_with_separation_on_a_dask_cluster_is_the_local_one():
    """A sampled game whose separation solves coalitions one batch at a time on a local Dask cluster: the same
    coalitions, values and splits as in one process (each batch's data scattered under its own keys: with keys of
    the same content a batch's data was released while the next one's tasks needed it, 'lost dependencies')."""
    import sys
    from pathlib import Path

    import pandas as pd
    from distributed import Client, LocalCluster

    from stockpile.api import share

    from .helpers import data_of

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from synthetic import synthetic

    data = data_of(synthetic(5, 1, 2, 4, seed=2))
    kwargs = {"rules": ["shapley", "nucleolus"], "method": "sampled", "samples": 2}
    local = share(data, **kwargs)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        remote = share(data, client=client, **kwargs)
    assert len(local.tables["coalitions"]) > 2 + 5  # the separation solved some beyond the orders' own
    pd.testing.assert_frame_equal(local.tables["coalitions"].drop(columns="highs_s"),
                                  remote.tables["coalitions"].drop(columns="highs_s"))
    pd.testing.assert_frame_equal(local.tables["sharing"], remote.tables["sharing"])


def test_the_summary_names_the_lps_solved_and_never_prints_an_infinite_amount():
    """RowLPs.solved names only the LPs run; an unproved amount within the values' gap says so with the gap; one
    that HiGHS could not bound (inf) is said in words, in the separation's sentence and the core's."""
    from types import SimpleNamespace

    from stockpile.analyses.core_verdicts import CoreExistence
    from stockpile.reports.share import _core_sentence, _unproved_words

    game = airport([c * 1e6 for c in COSTS])
    lps = game_scale.RowLPs(values_of(game), game_scale.enumeration(values_of(game)))
    assert lps.solved() == []
    lps.slack()
    assert lps.solved() == ["the least core"]
    lps.nucleolus()
    assert lps.solved() == ["the least core", "the nucleolus"]
    sep = SimpleNamespace(noise_usd=lambda: 240_739.0, timed_out=0, time_limit_s=600.0,
                          data=SimpleNamespace(settings=SimpleNamespace(mip_rel_gap=1e-3)))
    assert _unproved_words(sep, 142_140.2) == (
        "no other coalition exceeds their excesses by more than $142,140/yr (proved), within the coalition values' "
        "own gap ($240,739/yr at mip_rel_gap 0.001), inside which the separation cannot tell a coalition's optimum "
        "from its solve's.")
    words = _unproved_words(sep, np.inf) + _core_sentence(CoreExistence("undetermined", -5.0, np.inf))
    assert "inf" not in words and "HiGHS proved no bound" in words and "at least -$5/yr" in words


def test_separation_time_limit_reaches_each_milp_and_a_bad_one_is_refused(tmp_path):
    """--separation-time-limit S is each membership MILP's HiGHS time_limit (the workbook's time_limit_s without
    it); 0 is refused before any work with exit 2."""
    import sys
    from pathlib import Path

    from stockpile.analyses.sampling import Values
    from stockpile.analyses.separation import MembershipSeparation

    from .helpers import run_cli, write_xlsx

    data = _synthetic_data(3, 1)
    values = Values(data.eligible_members(), lambda cs: {}, {})
    assert MembershipSeparation(data, values, time_limit_s=7).opt.config.solver_options["time_limit"] == 7.0
    default = MembershipSeparation(data, values)
    assert default.time_limit_s == data.settings.time_limit_s
    assert default.opt.config.solver_options["time_limit"] == data.settings.time_limit_s
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from synthetic import synthetic

    path = tmp_path / "three.xlsx"
    write_xlsx(synthetic(3, 1, 2, 4, seed=1), path)
    result = run_cli("share", path, "-o", tmp_path / "s", "--separation-time-limit", "0")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--separation-time-limit" in result.output and not (tmp_path / "s").exists()
