"""The model's blocks keep their declarations: each comes after the blocks it NEEDS, reads only variables and
coefficients that it or a block it needs provides, and states its equations with names that exist."""

from __future__ import annotations

import ast
import inspect
import re

import pytest

from stockpile.model import BLOCKS
from stockpile.model.scenario_tree import build_tree
from stockpile.model.sets import build_sets

from .helpers import data_of, two_parties

NAMES = [b.__name__.rsplit(".", 1)[-1] for b in BLOCKS]


def _fields(block, assigned: bool) -> set[str]:
    """The ctx.var fields a block's source assigns (or reads)."""
    tree = ast.parse(inspect.getsource(block))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "var":
            if isinstance(node.ctx, ast.Store) == assigned:
                out.add(node.attr)
    return out


@pytest.mark.parametrize("block", BLOCKS, ids=NAMES)
def test_a_block_comes_after_what_it_needs(block):
    name = block.__name__.rsplit(".", 1)[-1]
    assert all(n in NAMES[:NAMES.index(name)] for n in block.NEEDS), (name, block.NEEDS)


@pytest.mark.parametrize("block", BLOCKS, ids=NAMES)
def test_a_block_reads_only_what_it_or_its_needs_provide(block):
    by_name = dict(zip(NAMES, BLOCKS, strict=True))
    own = [block, *(by_name[n] for n in block.NEEDS)]
    provided = set().union(*(_fields(b, assigned=True) for b in own))
    assert _fields(block, assigned=False) <= provided
    data = data_of(two_parties())
    tree = build_tree(data)
    sets = build_sets(data, tree)
    coefficients = set().union(*(b.coefficients(data, sets, tree) for b in own))
    read = set(re.findall(r'ctx\.coef\["(\w+)"\]', inspect.getsource(block)))
    assert read <= coefficients, read - coefficients


@pytest.mark.parametrize("block", BLOCKS, ids=NAMES)
def test_a_block_states_its_equations_and_their_names_exist(block):
    doc = block.__doc__ or ""
    assert "Equations" in doc
    source = inspect.getsource(block)
    named = re.findall(r"^\s{4}([A-Za-z_]+)\[", doc, flags=re.M)  # a constraint's or cost term's name opens a line
    assert named, "no equation named"
    helpers = "".join(inspect.getsource(m) for m in (__import__("stockpile.model.holdings", fromlist=["x"]),
                                                     __import__("stockpile.model.buildup", fromlist=["x"])))
    missing = [n for n in named if f"{n}" not in source and f"_{n.split('_', 1)[-1]}" not in helpers + source]
    assert not missing, missing
