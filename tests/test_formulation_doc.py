"""docs/formulation.md names only what exists: every code-font name that is written as code (a component,
function, module, setting or column name) is found in the package's source, and every file it cites exists."""

from __future__ import annotations

import re
from pathlib import Path

import stockpile

ROOT = Path(stockpile.__file__).parent
DOC = ROOT.parent / "docs" / "formulation.md"
SPAN = re.compile(r"`([^`]+)`")
CODE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(\(\))?(\[[^\]]*\])?$")


def code_names(text: str) -> set[str]:
    """Names written as code: one identifier (dotted, maybe called or indexed) that has an underscore, a dot or a
    capital past its first letter (`Release_Rate`, `solve_by_mineral`, `model.sets.build_sets`, `JointLots`);
    single symbols of the mathematics (`g`, `pi[n]`, `W[y]`) are not code."""
    out = set()
    for span in SPAN.findall(text):
        span = span.strip()
        if not CODE_NAME.match(span) or span.endswith((".py", ".md", ".csv", ".json", ".toml")):
            continue
        name = re.sub(r"(\(\)|\[[^\]]*\])$", "", span)
        symbol = name.isupper() and len(name) <= 2  # a set of the mathematics: SP, TP, DN
        if not symbol and ("_" in name or "." in name or any(c.isupper() for c in name[1:])):
            out.add(name)
    return out


def component_names() -> set[str]:
    """The Pyomo components of models with every feature on (some are named by f-strings in the source)."""
    import pyomo.environ as pyo

    from stockpile.model import build_model

    from .helpers import data_of
    from .test_architecture import _setting, base_frames

    names = set()
    for allocation in ("cooperative", "pro_rata", "entitlement"):
        frames = _setting("joint_allocation", allocation)(_setting("build_years", 3)(base_frames()))
        frames["minerals"] = frames["minerals"].assign(world_supply_t_per_yr=100.0, max_purchase_share_per_yr=0.5,
                                                       price_uplift_per_share=1.0)
        frames["parties"] = frames["parties"].assign(joint_member="optional")
        names |= {c.local_name for c in build_model(data_of(frames)).component_objects(
            (pyo.Var, pyo.Constraint, pyo.Set, pyo.Expression, pyo.Objective))}
    return names


def test_every_code_name_in_the_formulation_exists_in_the_code():
    source = "\n".join(p.read_text() for p in ROOT.rglob("*.py"))
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source)) | component_names()
    names = code_names(DOC.read_text())
    assert len(names) > 50  # the document is about the code
    missing = sorted(n for n in names if n.split(".")[-1] not in words)
    assert not missing, f"named in docs/formulation.md but not in stockpile/: {missing}"


def test_every_file_the_formulation_cites_exists():
    cited = {s.strip() for s in SPAN.findall(DOC.read_text()) if s.strip().endswith(".py") and " " not in s}
    root = ROOT.parent
    missing = [c for c in cited if not ((root / c).exists() or list(ROOT.rglob(Path(c).name)))]
    assert not missing, missing


def test_a_module_the_formulation_names_in_a_heading_exists():
    headings = re.findall(r"^#+ .*\((\w+\.py)\)", DOC.read_text(), flags=re.M)
    assert all(list(ROOT.rglob(h)) for h in headings), headings
