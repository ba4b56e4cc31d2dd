"""The package's layers (README, "Layers"): each sub-package imports only from the layers below it, every
import of stockpile's own modules stands at the top of its file, and no module imports itself round a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import stockpile

ROOT = Path(stockpile.__file__).parent
# lowest first: a module may import from its own layer and the layers below it, never from one above
LAYERS = ("common", "io", "model", "solver", "analyses", "reports", "api", "cli", "__init__")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    part = module.split(".")[1] if "." in module else "__init__"
    return LAYERS.index(part)


def _target(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join(base + ([node.module] if node.module else []))


def own_imports(path: Path) -> list[tuple[str, bool, int]]:
    """(stockpile module imported, at the top of the file?, line) for every import of the package's own code."""
    module, is_package = module_name(path), path.name == "__init__.py"
    tree = ast.parse(path.read_text())
    top = {id(n) for n in tree.body} | {id(n) for n in ast.walk(tree) if isinstance(n, ast.If) and n in tree.body
                                        for n in n.body}
    out = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            target = _target(module, is_package, node) if node.level else (node.module or "")
            names = [target] if target.startswith("stockpile") else []
            if node.level and not node.module:  # from . import a, b: each may be a module
                names = [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("stockpile")]
        out += [(_existing(n), id(node) in top, node.lineno) for n in names]
    return out


def _existing(name: str) -> str:
    """The module a dotted name is (a name imported from a module counts as that module)."""
    while name.count(".") and not ((ROOT.parent / name.replace(".", "/")).with_suffix(".py").exists()
                                   or (ROOT.parent / name.replace(".", "/") / "__init__.py").exists()):
        name = name.rsplit(".", 1)[0]
    return name


def graph() -> dict[str, list[tuple[str, bool, int]]]:
    return {module_name(p): own_imports(p) for p in sorted(ROOT.rglob("*.py"))}


def test_every_module_is_in_a_layer():
    assert all(layer(m) >= 0 for m in graph())


def test_no_layer_imports_from_a_layer_above_it():
    upward = [f"{m} (layer {LAYERS[layer(m)]}) line {line} imports {t} (layer {LAYERS[layer(t)]})"
              for m, imports in graph().items() for t, _top, line in imports
              if t != "stockpile" and layer(t) > layer(m)]
    assert not upward, upward


def test_the_package_imports_its_own_modules_at_the_top_of_files():
    hidden = [f"{m} line {line}: {t}" for m, imports in graph().items() for t, top, line in imports if not top]
    assert not hidden, hidden


def test_no_import_circle():
    edges = {m: {t for t, _top, _line in imports if t != m} for m, imports in graph().items()}
    seen: dict[str, int] = {}  # 1: on the path, 2: done
    circles = []

    def visit(m: str, path: list[str]) -> None:
        seen[m] = 1
        for t in sorted(edges.get(m, ())):
            if t == "stockpile" or t not in edges:
                continue
            if seen.get(t) == 1:
                circles.append(" -> ".join(path[path.index(t):] + [t]))
            elif t not in seen:
                visit(t, [*path, t])
        seen[m] = 2

    for m in edges:
        if m not in seen:
            visit(m, [m])
    assert not circles, circles
