"""The layering contract (layers.toml): imports go down the layers, no cycles, and
imports inside functions only for soft dependencies. Read from the source with ast,
so it holds for code no test happens to import."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vrtrainer"
CONTRACT = tomllib.loads((ROOT / "layers.toml").read_text())
LAYER = {name: rank for rank, names in enumerate(CONTRACT["layers"]["order"]) for name in names}
SOFT = tuple(CONTRACT["soft"]["modules"])
LAZY = tuple(CONTRACT["soft"]["lazy"])


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports_of(path: Path) -> list[tuple[str, int, bool, bool]]:
    """(module, line, in a function, only for type checking) for each import in ``path``."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return imports_in(path.read_text(), package)


def imports_in(text: str, package: str) -> list[tuple[str, int, bool, bool]]:
    """The imports of a module's source ``text``; ``package`` resolves relative ones."""
    out: list[tuple[str, int, bool, bool]] = []

    def visit(node: ast.AST, in_function: bool, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, in_function, typing_only) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                # `from vrtrainer.hands import sim` imports the module vrtrainer.hands.sim
                found = []
                for a in child.names:
                    sub = PACKAGE.parent / (module.replace(".", "/") + f"/{a.name}")
                    if sub.with_suffix(".py").is_file() or (sub / "__init__.py").is_file():
                        found.append(f"{module}.{a.name}")
                if len(found) < len(child.names):  # names defined by the module itself
                    found.insert(0, module)
                out.extend((m, child.lineno, in_function, typing_only) for m in found)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, True, typing_only)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                for n in child.body:
                    visit(ast.Module(body=[n], type_ignores=[]), in_function, True)
                for n in child.orelse:
                    visit(ast.Module(body=[n], type_ignores=[]), in_function, typing_only)
            else:
                visit(child, in_function, typing_only)

    visit(ast.parse(text), False, False)
    return out


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    """The layer of a vrtrainer module: its first-level package, or the root's."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "errors"
    if top == "__main__":
        return LAYER["cli"]
    return LAYER[top]


def test_every_package_has_a_layer():
    missing = {m.split(".")[1] for m in MODULES if "." in m} - set(LAYER) - {"__main__"}
    assert not missing, f"packages not in layers.toml: {sorted(missing)}"


def test_imports_go_down_the_layers():
    upward = []
    for module, path in MODULES.items():
        for target, line, _, _ in imports_of(path):
            if target.startswith("vrtrainer.") and layer_of(target) > layer_of(module):
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def _soft(target: str) -> bool:
    return any(target == s or target.startswith(s + ".") for s in SOFT)


def test_imports_inside_functions_are_soft_dependencies():
    hidden = [f"{path.relative_to(ROOT)}:{line} imports {target} inside a function"
              for module, path in MODULES.items() if not module.startswith(LAZY)
              for target, line, in_function, _ in imports_of(path)
              if in_function and not _soft(target)]
    assert not hidden, "\n".join(hidden)


def runtime_graph() -> dict[str, set[str]]:
    """Module -> the vrtrainer modules loading it loads first: its top-level imports (not
    those for type checking) and, for a module of another package, that package's
    ``__init__`` (which may import back)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for target, _, in_function, typing_only in imports_of(path):
            if in_function or typing_only or target not in MODULES or target == module:
                continue
            graph[module].add(target)
            parts = target.split(".")
            for k in range(2, len(parts)):
                package = ".".join(parts[:k])
                if not (module == package or module.startswith(package + ".")):
                    graph[module].add(package)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_no_import_cycles():
    found = cycles(runtime_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize("source, expect", [
    ("def f():\n    import OpenGL\n", [("OpenGL", 2, True, False)]),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import numpy\n",
     [("typing", 1, False, False), ("numpy", 3, False, True)]),
    ("from .loop import run_loop\n", [("vrtrainer.session.loop", 1, False, False)]),
    ("from vrtrainer.hands import sim\n", [("vrtrainer.hands.sim", 1, False, False)]),
    ("from vrtrainer.compare import Score\n", [("vrtrainer.compare", 1, False, False)]),
])
def test_the_checker_sees_every_kind_of_import(source, expect):
    assert imports_in(source, "vrtrainer.session") == expect


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
