"""Synthetic workbooks of a chosen size (parties x minerals x scenarios x months), seeded, for benchmarks.

Shaped like the bundled workbook: one dominant supplier (CN) and two others, three
shortage tiers, three release options, scenarios of one to three events with recovery.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic(parties: int, minerals: int, scenarios: int, months: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    P = [f"P{i + 1}" for i in range(parties)]
    M = [f"M{j + 1}" for j in range(minerals)]
    S = [f"s{k + 1}" for k in range(scenarios)]
    price = rng.choice([2e3, 1.5e4, 5e4, 2.5e5, 1e6], size=minerals)
    settings = pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "time_limit_s", "replenish_premium"],
                             "value": [months, 1e-3, 600, 0.1]})
    party = pd.DataFrame({"party": P, "gdp_usd_bn": rng.uniform(500, 20000, parties).round(),
                          "joint_member": ["optional"] * parties})
    lot = np.where(price < 1e4, 100, np.where(price < 1e5, 10, 1))
    mineral = pd.DataFrame({"mineral": M, "price_usd_per_t": price, "holding_rate_per_yr": 0.05,
                            "storage_usd_per_t_yr": 150, "lot_t": lot})
    # dearer minerals are used in smaller tonnages
    demand = pd.DataFrame([{"party": p, "mineral": m,
                            "consumption_t_per_yr": round(float(rng.uniform(5, 5e4) / (mp / 2e3) ** 0.5), 1)}
                           for p in P for m, mp in zip(M, price, strict=True)])
    supply = []
    for p in P:
        for m in M:
            cn = rng.uniform(0.3, 0.95)
            supply += [{"party": p, "mineral": m, "supplier": "CN", "share": round(cn, 3)},
                       {"party": p, "mineral": m, "supplier": "S2", "share": round((1 - cn) * 0.5, 3)},
                       {"party": p, "mineral": m, "supplier": "S3", "share": round((1 - cn) * 0.3, 3)}]
    tiers = pd.DataFrame([{"mineral": m, "tier": t, "up_to_share_of_demand": u, "usd_per_t": round(pr * f)}
                          for m, pr in zip(M, price, strict=True)
                          for t, u, f in ((1, 0.25, 0.8), (2, 0.6, 3), (3, 1.0, 10))])
    options = pd.DataFrame({"option": ["slow", "standard", "surge"], "max_release_share_per_month": [0.1, 0.25, 1.0],
                            "usd_per_t_yr": [0, 5, 25]})
    probs = rng.dirichlet(np.ones(scenarios)) * 0.7
    scen = pd.DataFrame({"scenario": S, "probability_per_yr": probs.round(6)})
    events = []
    for s in S:
        for _ in range(int(rng.integers(1, 4))):
            events.append({
                "scenario": s, "supplier": str(rng.choice(["CN", "CN", "CN", "S2", "S3"])),
                "minerals": ",".join(rng.choice(M, size=int(rng.integers(1, min(4, minerals) + 1)), replace=False)),
                "targets": "*" if rng.random() < 0.6 else ",".join(
                    rng.choice(P, size=int(rng.integers(1, parties + 1)), replace=False)),
                "start_month": int(rng.integers(1, max(2, months // 3))),
                "duration_months": int(rng.integers(1, months)),
                "cut": round(float(rng.uniform(0.3, 1.0)), 2), "recovery_months": int(rng.integers(0, 12)),
                "recovery_share": round(float(rng.uniform(0, 0.5)), 2)})
    return {"settings": settings, "parties": party, "minerals": mineral, "demand": demand,
            "supply": pd.DataFrame(supply), "shortage_costs": tiers, "release_options": options,
            "scenarios": scen, "events": pd.DataFrame(events)}


def write_csv_folder(frames: dict[str, pd.DataFrame], folder) -> None:
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
