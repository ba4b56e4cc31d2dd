"""Feature: national stock. Each party holds stock of a mineral in whole lots on top of its
existing stock, under one release option; it pays holding (capital + storage + the option's
cost) per tonne and the programme's fixed cost when it holds any.

Equations (docs/formulation.md):

    Stock_By_Option[p,m]:  sum_k StockByOption[p,m,k] = Stock[p,m] = x0[p,m] + lot[m] Lots[p,m]
    Option_Capacity[p,m,k]: StockByOption[p,m,k] <= cap[p,m,k] Option[p,m,k]
    One_Option[p,m]:       sum_k Option[p,m,k] = Open[p,m]       (Open = 1 when x0 > 0)
    Bought_All[p,m]:       sum_y Bought[y,p,m] = lot[m] Lots[p,m]   (build years Y > 1)
    national_holding[p,m]         = h[m] sum_y W[y] S[y,p,m]
    national_programme_fixed[p,m] = F[p,m] Open[p,m]
"""

from __future__ import annotations

import pyomo.environ as pyo

from .buildup import add_purchases, held
from .core import Context
from .holdings import add_holdings, fix_first_stage, release_capacity

NEEDS: tuple[str, ...] = ()  # the blocks it reads from


def coefficients(data, sets, tree) -> dict[str, dict]:
    return {
        "HoldingCost": {mi: m.holding_usd_per_t_yr for mi, m in data.minerals.items()},  # USD/t/yr
        "ProgrammeFixedCost": {(p, mi): data.demand[p, mi].programme_fixed_usd_per_yr
                               for p, mi in sets.stock_pairs},  # USD/yr
    }


def add(ctx: Context) -> None:
    m, data, sets = ctx.m, ctx.data, ctx.sets
    mins, dem = data.minerals, data.demand
    m.STOCK_PAIRS = pyo.Set(initialize=sets.stock_pairs, dimen=2, ordered=True)
    lots, is_open, by_option = add_holdings(
        m, "", m.STOCK_PAIRS, sets.lots_max, sets.cap_t,
        lot={(p, mi): mins[mi].lot_t for p, mi in sets.stock_pairs},
        existing={(p, mi): dem[p, mi].existing_stock_t for p, mi in sets.stock_pairs})
    for p, mi in sets.stock_pairs:
        if dem[p, mi].existing_stock_t > 0:
            m.Open[p, mi].fix(1)  # existing stock is held whatever the model says
    fix_first_stage(m, "", data.fixed_stock, sets.stock_pairs, {(p, mi): mins[mi].lot_t for p, mi in sets.stock_pairs},
                    {(p, mi): dem[p, mi].existing_stock_t for p, mi in sets.stock_pairs})
    bought, stock_at = add_purchases(
        m, "", sets.stock_pairs, m.Stock, {(p, mi): dem[p, mi].existing_stock_t for p, mi in sets.stock_pairs},
        data.settings.build_years)
    ctx.var.lots, ctx.var.is_open, ctx.var.stock_by_option, ctx.var.bought = lots, is_open, by_option, bought
    ctx.var.stock_at = stock_at
    ctx.var.capacity = release_capacity(m, by_option, sets.stock_pairs, data.release_options)
    holding, fixed, weights = ctx.coef["HoldingCost"], ctx.coef["ProgrammeFixedCost"], ctx.tree.year_weight
    ctx.add_cost("national_holding", "holding", {
        (p, mi): holding[mi] * held(stock_at, (p, mi), weights) for p, mi in sets.stock_pairs})
    ctx.add_cost("national_programme_fixed", "fixed", {
        (p, mi): fixed[p, mi] * is_open[p, mi] for p, mi in sets.stock_pairs})
