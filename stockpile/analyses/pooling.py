"""What the joint pool saves: the optimum with every party on its own minus the optimum with the pool, with the
precision of that difference (both solves' gaps)."""

from __future__ import annotations

from ..common.progress import step
from ..io.data import ModelData
from ..solver.pipeline import run
from ..solver.results import Results


def pooling_saving(data: ModelData, res: Results, workers: int = 1) -> dict[str, float] | None:
    """What the joint pool saves: the optimum with every party on its own (joint_member no) minus this
    one, with its precision (both gaps); None when no party may join the pool."""

    if not data.eligible_members():
        return None
    step("what pooling saves: solving with national stocks only")
    national = data.with_parties(**{p: {"joint_member": "no"} for p in data.parties})
    alone = run(national, warnings=False, detail=False, workers=workers).facts
    return {"pooling_saving_usd_per_yr": alone.value - res.facts.value,
            "pooling_saving_precision_usd_per_yr": alone.gap_usd_per_yr + res.facts.gap_usd_per_yr}
