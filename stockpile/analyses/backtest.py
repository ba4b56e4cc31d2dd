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


def as_events(history: tuple[HistoryEvent, ...], first: int, last: int) -> list[tuple[HistoryEvent, Event]]:
    """The history's cuts that start by `last`, each beside its event on the window's months (1 = its first
    month); one still in force runs to the window's end."""
    out = []
    for h in history:
        if h.start > last:
            continue
        end = last if h.end is None else min(h.end, last)
        out.append((h, Event(h.event, h.supplier, h.minerals, h.targets, h.start - first + 1, end - h.start + 1, h.cut,
                             0, 0.0)))
    return out


def run_backtest(rule: OperatingRule, cost: ShortageCost, through: int | None = None) -> Backtest:
    data = rule.data
    first, last = window(data.history, through)
    months = last - first + 1
    cuts = as_events(data.history, first, last)
    events = [e for _h, e in cuts]
    r = replay(rule, cost, event_gaps(data, events, months), refill_months=data.settings.refill_months, without=True)
    # each event's own gaps: which pairs it hits, for how long, and (the largest binds) whose month a gap is
    alone = np.stack([event_gaps(data, [e], months) for e in events]) if events else np.zeros(
        (0, len(data.pairs), months))
    return Backtest(_table(data, rule, cuts, alone, r, first), _months(data, r, first), first, last, data.history,
                    data.settings.refill_months)


def _binding_event(alone: np.ndarray) -> np.ndarray:
    """Per pair and month, the index of the event whose cut binds (the largest share of supply lost; the first in
    the sheet on a tie), -1 where none: the event a month's gap and its cover are counted under."""
    if not len(alone):
        return np.full(alone.shape[1:], -1)
    return np.where(alone.max(axis=0) > TOL_T, alone.argmax(axis=0), -1)


def _table(data: ModelData, rule: OperatingRule, cuts: list[tuple[HistoryEvent, Event]], alone: np.ndarray,
           r: Replay, first: int) -> pd.DataFrame:
    assert r.cost_without_usd is not None  # run_backtest asks for it
    owner = _binding_event(alone)
    rows = []
    for k, (h, e) in enumerate(cuts):
        end = e.start_month + e.duration_months - 2  # the event's last month, as an array index
        for i in np.flatnonzero(alone[k].sum(axis=1) > TOL_T):
            p, m = data.pairs[i]
            mine = owner[i] == k
            pool = r.pool_left_t[m][end] if p in rule.hold.members and m in r.pool_left_t else 0.0
            rows.append({"event": h.event, "party": p, "mineral": m,
                         "months": int((alone[k, i] > TOL_T).sum()), "gap_t": float(r.gap_t[i, mine].sum()),
                         "unmet_without_stock_t": float(r.gap_t[i, mine].sum()),
                         "unmet_with_stock_t": float(r.unmet_t[i, mine].sum()),
                         "shortage_cost_avoided_usd": float((r.cost_without_usd[i, mine] - r.cost_usd[i, mine]).sum()),
                         "stock_left_t": float(r.national_left_t[i, end] + pool),
                         "start": month_text(h.start), "end": "" if h.end is None else month_text(first + end),
                         "in_force": h.end is None, "stocked_out_months": int(r.stocked_out[i, mine].sum())})
    return pd.DataFrame(rows, columns=COLUMNS + ["start", "end", "in_force", "stocked_out_months"])


def _months(data: ModelData, r: Replay, first: int) -> pd.DataFrame:
    """backtest_months.csv: each month a pair was short, what the stock did."""
    i, t = np.nonzero(r.gap_t > TOL_T)
    return pd.DataFrame({"month": [month_text(first + int(x)) for x in t],
                         "party": [data.pairs[x][0] for x in i], "mineral": [data.pairs[x][1] for x in i],
                         "gap_t": r.gap_t[i, t], "released_t": r.released_t[i, t], "drawn_t": r.drawn_t[i, t],
                         "unmet_t": r.unmet_t[i, t], "national_left_t": r.national_left_t[i, t],
                         "shortage_cost_usd": r.cost_usd[i, t],
                         "stocked_out": r.stocked_out[i, t]})
