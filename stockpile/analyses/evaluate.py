"""`stockpile evaluate` (docs/formulation.md, "Back-test and evaluation"): the recommended stock and its operating
rule run through sampled histories the tree leaves out. In each sample of `years` years every scenario of the
workbook arrives as a Poisson process at its annual probability (so disruptions overlap), starting in a month drawn
uniformly within its year, one of its branches (durations) drawn at the branches' probabilities; a disruption that
starts within the years is followed to its end. Stock starts full, is depleted by earlier releases and refilled at
1/refill_months of the full stock in each month in which no pair its holder serves is cut.

Sample i draws from its own stream (SeedSequence(seed, spawn_key=(i,))), so a sample is the same whichever worker
runs it and however the samples are split.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..common.processes import process_pool
from ..io.data import Event, ModelData
from ..model.scenario_tree import event_gaps
from .operating_rule import OperatingRule, ShortageCost, replay, tree_replay

Z95 = 1.959963984540054  # two-sided 95% normal quantile


@dataclass(frozen=True)
class Sample:
    sample: int
    disruptions: int
    cost_usd: np.ndarray  # per pair, over the sample's years
    unmet_t: np.ndarray
    stockout_years: np.ndarray  # per pair: years with at least one month stocked out


def families(data: ModelData) -> list[tuple[str, float, list[str], np.ndarray]]:
    """Per workbook scenario: its annual probability, its branches and their shares of it."""
    out: dict[str, list[str]] = {}
    for b, s in data.scenarios.items():
        out.setdefault(s.scenario, []).append(b)
    rows = []
    for name, bs in out.items():
        p = np.array([data.scenarios[b].probability_per_yr for b in bs])
        if p.sum() > 0:
            rows.append((name, float(p.sum()), bs, p / p.sum()))
    return rows


def sample_events(data: ModelData, rng: np.random.Generator, years: int) -> tuple[list[Event], int]:
    """One sampled history's events (months 1..12 x years for their starts) and how many disruptions arrived."""
    events: list[Event] = []
    count = 0
    for _name, rate, branches, share in families(data):
        for year in range(years):
            for _ in range(int(rng.poisson(rate))):
                start = 12 * year + int(rng.integers(1, 13))
                branch = branches[int(rng.choice(len(branches), p=share))]
                count += 1
                events += [replace(e, start_month=start + e.start_month - 1)
                           for e in data.events if e.scenario == branch]
    return events, count


def run_samples(rule: OperatingRule, seed: int, ids: Iterable[int], years: int) -> list[Sample]:
    """The samples `ids`, each from its own stream."""
    data = rule.data
    cost = ShortageCost(data)
    longest = max((e.start_month + e.duration_months - 1 for e in data.events), default=0)
    months = 12 * years + longest  # a disruption starting in the last month is followed to its end
    out = []
    for i in ids:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
        events, count = sample_events(data, rng, years)
        r = replay(rule, cost, event_gaps(data, events, months), refill_months=data.settings.refill_months)
        by_year = np.zeros((len(data.pairs), years), dtype=bool)
        for y in range(years):  # the last year keeps the tail of the disruptions that started in it
            by_year[:, y] = r.stocked_out[:, 12 * y:12 * (y + 1) if y < years - 1 else months].any(axis=1)
        out.append(Sample(i, count, r.cost_usd.sum(axis=1), r.unmet_t.sum(axis=1), by_year.sum(axis=1)))
    return out


@dataclass
class Evaluation:
    samples: pd.DataFrame  # evaluation.csv
    summary: pd.DataFrame  # evaluation_summary.csv
    in_sample: pd.DataFrame  # the tree's own branches replayed: per branch
    in_sample_usd_per_yr: float
    years: int
    seed: int
    n: int
    backend: str

    @property
    def total(self) -> pd.Series:
        """evaluation_summary.csv's total expected shortage cost a year (party and mineral '*')."""
        s = self.summary
        return s[(s.metric == "shortage_cost_usd_per_yr") & (s.party == "*") & (s.mineral == "*")].iloc[0]


def evaluate(rule: OperatingRule, samples: int = 1000, years: int = 20, seed: int = 0, workers: int = 1,
             client=None, progress: Callable[[int, int], None] | None = None) -> Evaluation:
    """`samples` sampled histories of `years` years through the rule, on local processes or a Dask cluster."""
    if samples < 2 or years < 1:
        raise ValueError(f"evaluate: at least 2 samples of at least 1 year (an interval needs a spread); found "
                         f"{samples} samples of {years} years")
    shipped = replace(rule, data=replace(rule.data, book=None))  # what a worker needs, without the raw workbook
    size = max(1, min(50, math.ceil(samples / (4 * max(workers, 1)))))
    chunks = [range(a, min(samples, a + size)) for a in range(0, samples, size)]
    done: list[Sample] = []
    if progress:
        progress(0, samples)  # the clock of the time left starts with the samples

    def collect(parts) -> None:
        for part in parts:
            done.extend(part)
            if progress:
                progress(len(done), samples)

    if client is not None:
        backend = "dask"
        rule_f = client.scatter(shipped, broadcast=True, hash=False)
        futures = [client.submit(run_samples, rule_f, seed, list(c), years, pure=False) for c in chunks]
        try:
            collect(f.result() for f in futures)
        except BaseException:
            client.cancel(futures)
            raise
    elif workers > 1 and len(chunks) > 1:
        backend = f"{workers} local processes"
        with process_pool(workers) as pool:
            collect(pool.map(run_samples, [shipped] * len(chunks), [seed] * len(chunks), chunks,
                             [years] * len(chunks)))
    else:
        backend = "1 process"
        collect(run_samples(shipped, seed, c, years) for c in chunks)
    done.sort(key=lambda s: s.sample)
    in_sample = tree_replay(rule, ShortageCost(rule.data))
    usd = float((in_sample.probability_per_yr * in_sample.replay_shortage_usd).sum())
    return Evaluation(_samples_table(done, years), summary_table(rule.data, done, years), in_sample, usd, years,
                      seed, samples, backend)


def _samples_table(done: list[Sample], years: int) -> pd.DataFrame:
    return pd.DataFrame({"sample": [s.sample for s in done], "years": years,
                         "disruptions": [s.disruptions for s in done],
                         "shortage_cost_usd": [float(s.cost_usd.sum()) for s in done],
                         "shortage_cost_usd_per_yr": [float(s.cost_usd.sum()) / years for s in done],
                         "unmet_t": [float(s.unmet_t.sum()) for s in done],
                         "stockouts": [int(s.stockout_years.sum()) for s in done]})


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and its 95% interval (normal, from the samples' spread; a single sample has no spread to show)."""
    mean = float(values.mean())
    half = Z95 * float(values.std(ddof=1)) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return mean, mean - half, mean + half


def summary_table(data: ModelData, done: list[Sample], years: int) -> pd.DataFrame:
    """evaluation_summary.csv: per metric, party and mineral ('*' = all), the mean a year and its 95% interval."""
    if not done:
        return pd.DataFrame(columns=["metric", "party", "mineral", "mean", "ci95_low", "ci95_high"])
    cost = np.array([s.cost_usd for s in done]) / years
    unmet = np.array([s.unmet_t for s in done]) / years
    out = np.array([s.stockout_years for s in done]) / years
    rows = []

    def add(metric: str, party: str, mineral: str, values: np.ndarray) -> None:
        mean, low, high = _interval(values)
        rows.append({"metric": metric, "party": party, "mineral": mineral, "mean": mean, "ci95_low": low,
                     "ci95_high": high})

    add("shortage_cost_usd_per_yr", "*", "*", cost.sum(axis=1))
    for p in data.parties:
        cols = [i for i, (q, _m) in enumerate(data.pairs) if q == p]
        if cols:
            add("shortage_cost_usd_per_yr", p, "*", cost[:, cols].sum(axis=1))
    for i, (p, m) in enumerate(data.pairs):
        add("shortage_cost_usd_per_yr", p, m, cost[:, i])
    for i, (p, m) in enumerate(data.pairs):
        add("unmet_t_per_yr", p, m, unmet[:, i])
    for i, (p, m) in enumerate(data.pairs):
        add("stockout_probability_per_yr", p, m, out[:, i])
    return pd.DataFrame(rows)
