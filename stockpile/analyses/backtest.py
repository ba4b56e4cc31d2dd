"""`stockpile backtest` (docs/formulation.md, "Back-test and evaluation"): the recommended stock and its operating
rule replayed month by month on the cuts that happened (the history sheet), overlapping as they happened, from the
full stock at the first cut, refilled at the settings' pace between releases."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..io.data import Event, HistoryEvent, ModelData, month_text
from ..model.scenario_tree import event_gaps
from .operating_rule import TOL_T, OperatingRule, Replay, ShortageCost, replay

COLUMNS = ["event", "party", "mineral", "months", "gap_t", "unmet_without_stock_t", "unmet_with_stock_t",
           "shortage_cost_avoided_usd", "stock_left_t"]


@dataclass
class Backtest:
    table: pd.DataFrame  # backtest.csv: one row per event and pair it hit
    months: pd.DataFrame  # backtest_months.csv: per month and pair short
    first: int  # month index of the window's first month
    last: int  # and of its last
    history: tuple[HistoryEvent, ...]
    refill_months: int


def window(history: tuple[HistoryEvent, ...], through: int | None = None) -> tuple[int, int]:
    """From the first cut's month to `through`, else to December of the latest year the history names."""
    first = min(e.start for e in history)
    named = [e.start for e in history] + [e.end for e in history if e.end is not None]
    last = through if through is not None else 12 * (max(named) // 12) + 11
    return first, last


def as_events(history: tuple[HistoryEvent, ...], first: int, last: int) -> list[Event]:
    """The history's cuts as events on the window's months (1 = its first month); one in force runs to its end."""
    out = []
    for e in history:
        if e.start > last:
            continue
        end = last if e.end is None else min(e.end, last)
        out.append(Event(e.event, e.supplier, e.minerals, e.targets, e.start - first + 1, end - e.start + 1, e.cut, 0,
                         0.0))
    return out


def run_backtest(rule: OperatingRule, cost: ShortageCost, through: int | None = None) -> Backtest:
    data = rule.data
    history = data.history
    first, last = window(history, through)
    months = last - first + 1
    events = as_events(history, first, last)
    gap = event_gaps(data, events, months)
    refill = data.settings.refill_months
    r = replay(rule, cost, gap, refill_months=refill, without=True)
    owner = _binding_event(data, events, months)
    return Backtest(_table(data, rule, history, events, owner, r, first), _months(data, r, first), first, last,
                    history, refill)


def _binding_event(data: ModelData, events: list[Event], months: int) -> np.ndarray:
    """Per pair and month, the index of the event whose cut binds (the largest share of supply lost; the first in
    the sheet on a tie), -1 where none: the event a month's gap and its cover are counted under."""
    lost = np.stack([event_gaps(data, [e], months) for e in events]) if events else np.zeros((0, len(data.pairs),
                                                                                              months))
    owner = np.full((len(data.pairs), months), -1)
    if len(events):
        best = lost.argmax(axis=0)
        owner = np.where(lost.max(axis=0) > TOL_T, best, -1)
    return owner


def _table(data: ModelData, rule: OperatingRule, history, events: list[Event], owner: np.ndarray, r: Replay,
           first: int) -> pd.DataFrame:
    rows = []
    members = rule.hold.members
    for k, e in enumerate(events):
        alone = event_gaps(data, [e], r.gap_t.shape[1])
        for i in np.flatnonzero(alone.sum(axis=1) > TOL_T):
            p, m = data.pairs[i]
            mine = owner[i] == k
            end = e.start_month + e.duration_months - 2  # the event's last month, as an array index
            pool = r.pool_left_t[m][end] if p in members and m in r.pool_left_t else 0.0
            assert r.cost_without_usd is not None
            rows.append({"event": e.scenario, "party": p, "mineral": m,
                         "months": int((alone[i] > TOL_T).sum()), "gap_t": float(r.gap_t[i, mine].sum()),
                         "unmet_without_stock_t": float(r.gap_t[i, mine].sum()),
                         "unmet_with_stock_t": float(r.unmet_t[i, mine].sum()),
                         "shortage_cost_avoided_usd": float((r.cost_without_usd[i, mine] - r.cost_usd[i, mine]).sum()),
                         "stock_left_t": float(r.national_left_t[i, end] + pool),
                         "start": month_text(first + e.start_month - 1),
                         "end": month_text(first + end) if history[_row_of(history, e)].end is not None else "",
                         "in_force": history[_row_of(history, e)].end is None,
                         "stocked_out_months": int(r.stocked_out[i, mine].sum())})
    return pd.DataFrame(rows, columns=COLUMNS + ["start", "end", "in_force", "stocked_out_months"])


def _row_of(history, e: Event) -> int:
    return next(k for k, h in enumerate(history) if h.event == e.scenario)


def _months(data: ModelData, r: Replay, first: int) -> pd.DataFrame:
    """backtest_months.csv: each month a pair was short, what the stock did."""
    i, t = np.nonzero(r.gap_t > TOL_T)
    return pd.DataFrame({"month": [month_text(first + int(x)) for x in t],
                         "party": [data.pairs[x][0] for x in i], "mineral": [data.pairs[x][1] for x in i],
                         "gap_t": r.gap_t[i, t], "released_t": r.released_t[i, t], "drawn_t": r.drawn_t[i, t],
                         "unmet_t": r.unmet_t[i, t], "national_left_t": r.national_left_t[i, t],
                         "shortage_cost_usd": r.cost_usd[i, t],
                         "stocked_out": r.stocked_out[i, t]})
