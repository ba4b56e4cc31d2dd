"""The membership separation of the coalition game (docs/formulation.md, "The coalition game at scale"): one MILP
over the stockpile model with a binary per party finds the coalition that most objects to an allocation x,
max_C x(C) - v(C), without solving the 2^n - 1 coalitions.

The grand coalition's model (every player an optional pool member, the whole purchase cap) with z[p] binary:

- `Excused[n,p,m] = g (1 - z[p])` joins `Supply_Balance`: a non-member's gaps are not the coalition's to cover;
- `Member[p] = z[p]`; `Lots[p,m] <= lots_max z[p]`; a coverage target holds only for members (`Stock >= T z`);
- `Purchase_Cap[y,m]` becomes the coalition's share: `<= cap x sum_p s[p,m] z[p]` (s: consumption shares, as
  game.with_cap_shares gives a coalition on its own);
- a non-member's existing stock costs it nothing: its holding, programme and cheapest capacity cost K[p] is taken
  off when z[p] = 0; the pool's running cost is paid when two or more are in (`Pooled >= (sum z - 1) / (n - 1)`);
- the objective: the model's cost - sum_p x_p z[p]; coalitions already held are cut off (one no-good row each).

With z fixed to a coalition's members this is the coalition's own model (the same tree: game.py solves each
coalition on the full tree restricted to its pairs, the same nodes), so its optimum is max_C x(C) - v*(C) over the
coalitions' optima v*; a coalition's own solve proves an incumbent within mip_rel_gap of v*, so an excess found
here may lie up to that gap above the one of the coalition's solved value (noise_usd): row generation asks for
more than that (game_scale.noise_of), and HiGHS's bound bounds every excess from above (a proof when it is small
enough); the coalition it finds is checked against its own solved value. Cooperative allocation only: drawing
rights (entitlement) and pro-rata shares depend on who is in.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from ..io.data import ModelData
from ..model import build_model
from ..model.scenario_tree import build_tree
from ..solver.highs import make_solver, solve_model
from .game import Coalition, check_players, with_cap_shares
from .sampling import Values

PROVED_NONE = ("kInfeasible", "kObjectiveBound", "kUnboundedOrInfeasible")  # nothing below objective_bound


class MembershipSeparation:
    """separate(x, excluded) -> (coalition of largest excess, its excess by its own solved value, a bound on every
    excess of a coalition not excluded): the Separation of game_scale.RowGame."""

    def __init__(self, data: ModelData, values: Values, abs_gap_usd: float = 1.0, time_limit_s: float | None = None):
        self.players = check_players(data)
        self.values = values
        game_data = data.only_parties(self.players).with_parties(
            **{p: {"joint_member": "optional"} for p in self.players})
        self.data = with_cap_shares(game_data, game_data, frozenset(self.players))
        self.model = m = build_model(self.data, build_tree(self.data))
        m.Z = pyo.Var(self.players, domain=pyo.Binary)
        self._switch_demand(m)
        self._switch_holdings(m)
        self._switch_caps(m)
        n = len(self.players)
        m.Sizes = pyo.Constraint(expr=pyo.inequality(1, sum(m.Z[p] for p in self.players), n - 1))
        fixed = self.data.settings.pool_fixed_usd_per_yr if n >= 2 else 0.0
        m.Pooled = pyo.Var(domain=pyo.Binary)
        m.Pool_Signed = pyo.Constraint(expr=(n - 1) * m.Pooled >= sum(m.Z[p] for p in self.players) - 1)
        m.NoGood = pyo.ConstraintList()
        self.cut: set[Coalition] = set()
        self.base = m.Expected_Annual_Cost.expr + fixed * m.Pooled - sum(
            k * (1 - m.Z[p]) for p, k in self._existing_cost().items())
        m.Expected_Annual_Cost.deactivate()
        self.opt = make_solver(self.data)
        self.opt.config.solver_options.update(mip_abs_gap=abs_gap_usd)
        if time_limit_s is not None:  # each MILP's; at the limit its bound is what it proves (game_scale: unproved)
            self.opt.config.solver_options.update(time_limit=float(time_limit_s))
        self.time_limit_s = float(time_limit_s if time_limit_s is not None else data.settings.time_limit_s)
        self.timed_out = 0  # MILPs stopped at the time limit short of a proof
        self.solves = 0
        self.seconds = 0.0

    def _switch_demand(self, m) -> None:
        gaps = m.sets.gap_t
        m.Excused = pyo.Var(m.GAP_NODES, domain=pyo.NonNegativeReals)
        for (n, p, mi), con in m.Supply_Balance.items():
            g = gaps[n, p, mi]
            con.set_value(con.body + m.Excused[n, p, mi] == g)
        # = rather than <=: a non-member's gap is all excused (at no cost, so the optimum is the same), which keeps
        # the LP relaxation's demand in step with a fractional z
        m.Excused_Only_Outside = pyo.Constraint(
            m.GAP_NODES, rule=lambda _, n, p, mi: m.Excused[n, p, mi] == gaps[n, p, mi] * (1 - m.Z[p]))
        for p in m.Member:
            m.Member[p].unfix()
        m.Member_Is_Z = pyo.Constraint(list(m.Member), rule=lambda _, p: m.Member[p] == m.Z[p])

    def _switch_holdings(self, m) -> None:
        m.Lots_Of_Members = pyo.Constraint(
            list(m.Lots), rule=lambda _, p, mi: m.Lots[p, mi] <= (m.Lots[p, mi].ub or 0) * m.Z[p])
        if hasattr(m, "Coverage_Target"):
            for (p, _mi), con in m.Coverage_Target.items():
                con.set_value(con.body >= con.lower * m.Z[p])

    def _switch_caps(self, m) -> None:
        if not hasattr(m, "Purchase_Cap"):
            return
        share = {}
        for mi in self.data.minerals:
            total = sum(d.consumption_t_per_yr for (p, mm), d in self.data.demand.items() if mm == mi)
            share[mi] = {p: (self.data.demand[p, mi].consumption_t_per_yr / total if total > 0 else 0.0)
                         for p in self.players if (p, mi) in self.data.demand}
        for (_y, mi), con in m.Purchase_Cap.items():
            con.set_value(con.body <= con.upper * sum(s * m.Z[p] for p, s in share[mi].items()))

    def _existing_cost(self) -> dict[str, float]:
        """K[p]: what a party's existing stock costs whoever holds it (holding, programme, the cheapest capacity)."""
        cheapest = min((o.usd_per_t_yr for o in self.data.release_options.values()), default=0.0)
        out = dict.fromkeys(self.players, 0.0)
        for (p, mi), d in self.data.demand.items():
            if d.existing_stock_t > 0 and p in out:
                mineral = self.data.minerals[mi]
                out[p] += (mineral.holding_usd_per_t_yr + cheapest) * d.existing_stock_t + d.programme_fixed_usd_per_yr
        return out

    def noise_usd(self) -> float:
        """The values' own gap, USD/yr: each coalition's solve proves its incumbent within mip_rel_gap of the
        optimum, and this MILP finds the optimum, so an excess it finds may lie this far above the one of the
        coalition's own value (game_scale.noise_of)."""
        largest = max((abs(v) for v in self.values.known.values()), default=0.0)
        return self.data.settings.mip_rel_gap * largest

    def __call__(self, x: np.ndarray, excluded: set[Coalition], threshold: float | None = None,
                 ) -> tuple[Coalition | None, float, float]:
        """With `threshold` (USD/yr): only whether some coalition's excess beats it; HiGHS prunes every branch
        that cannot (objective_bound) and stops at the first that does, so a proof is an infeasible MILP."""
        m = self.model
        if not self.cut <= excluded:  # another game's rows (a new RowGame): start the cuts again
            m.del_component(m.NoGood)
            m.NoGood = pyo.ConstraintList()
            self.cut = set()
        for c in excluded - self.cut:  # cut off what the LPs hold: sum over C of (1 - z) + outside z >= 1
            if 0 < len(c) < len(self.players):
                m.NoGood.add(sum(1 - m.Z[p] for p in c) + sum(m.Z[p] for p in self.players if p not in c) >= 1)
            self.cut.add(c)
        if hasattr(m, "Separation"):
            m.del_component(m.Separation)
        m.Separation = pyo.Objective(expr=self.base - sum(float(v) * m.Z[p] for p, v in zip(
            self.players, x, strict=True)), sense=pyo.minimize)
        options = self.opt.config.solver_options
        if threshold is None:
            options.pop("objective_bound", None), options.pop("mip_max_improving_sols", None)
        else:
            options.update(objective_bound=-float(threshold), mip_max_improving_sols=1)
        facts = solve_model(m, self.data, self.opt)
        self.solves += 1
        self.timed_out += facts.status == "time_limit"
        self.seconds += facts.seconds.get("highs", 0.0)
        if not facts.has_solution:
            if threshold is not None and facts.termination in PROVED_NONE:
                return None, -np.inf, float(threshold)  # no coalition beats it: a proof
            if facts.best_bound_usd_per_yr is not None and np.isfinite(facts.best_bound_usd_per_yr):
                return None, -np.inf, -facts.best_bound_usd_per_yr  # the time limit: what HiGHS's bound proves
            raise RuntimeError(f"membership separation: HiGHS stopped without a solution ({facts.termination})")
        bound = -(facts.best_bound_usd_per_yr if facts.best_bound_usd_per_yr is not None else -np.inf)
        c = frozenset(p for p in self.players if (m.Z[p].value or 0) > 0.5)
        excess = float(sum(v for p, v in zip(self.players, x, strict=True) if p in c) - self.values.value(c))
        return c, excess, max(bound, excess)
