"""The layers' imports point down only, and no module imports itself back through others: every
import statement counts, at the top, inside a function or under TYPE_CHECKING (docs/architecture.md,
"Code map")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A layer (a top-level folder, installed as footfall.<layer>) and the layers it may import.
MAY_IMPORT = {
    "store": set(),
    "collector": {"store"},
    "analysis": {"store"},
    "replay": {"analysis", "store"},
    "demo": {"collector", "store"},
    "web": {"store", "collector", "analysis", "replay", "demo"},
}


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return "footfall." + ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for layer in MAY_IMPORT:
        for path in sorted((ROOT / layer).rglob("*.py")):
            found[module_of(path)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of ours that a module imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def layer(module: str) -> str:
    return module.split(".")[1]


def test_every_layer_imports_only_the_layers_below_it() -> None:
    wrong = []
    for module, targets in graph().items():
        for target in targets:
            if layer(target) != layer(module) and layer(target) not in MAY_IMPORT[layer(module)]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_nothing_of_ours_is_imported_under_a_bare_layer_name() -> None:
    bare = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] in MAY_IMPORT:
                bare.append(f"{name}: from {node.module}")
            if isinstance(node, ast.Import):
                bare += [f"{name}: import {a.name}" for a in node.names if a.name.split(".")[0] in MAY_IMPORT]
    assert bare == []


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def bench_graph() -> dict[str, set[str]]:
    """The benchmarks' modules (bench.*), which import one another and the layers."""
    known = {f"bench.{p.stem}": p for p in sorted((ROOT / "bench").glob("*.py")) if p.stem != "__init__"}
    return {name: imports_of(name, path, known) for name, path in known.items()}


def test_no_import_cycles() -> None:
    edges = graph() | bench_graph()
    # A package's __init__ re-exporting its own modules is not a cycle of design.
    for module in edges:
        edges[module] = {t for t in edges[module] if not module.startswith(t + ".")}
    assert cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]



def test_the_installed_layers_import_no_test_or_recording_tool() -> None:
    """Playwright and pytest are test tools (the demo recorder lives in tools/, outside the package)."""
    found = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                roots = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found += [f"{name}: {r}" for r in roots if r.split(".")[0] in ("playwright", "pytest", "hypothesis")]
    assert found == []


def test_the_tests_mirror_the_layout() -> None:
    """A module's tests are found by its path: every test folder is a folder of the code (sdk_js is
    sdk-js/), so tests/web/dashboard/ holds the dashboard's and nothing else makes a folder."""
    tests = ROOT / "tests"
    folders = [p.relative_to(tests) for p in tests.rglob("*") if p.is_dir() and "__pycache__" not in p.parts
               and p.parts[len(tests.parts)] != "pages"]  # pages: the host site's HTML, not tests
    code = {folder: ROOT / str(folder).replace("sdk_js", "sdk-js") for folder in folders}
    assert [str(f) for f, where in code.items() if not where.is_dir()] == []
    assert all((tests / folder / "__init__.py").is_file() for folder in folders)
    strays = [p.name for p in tests.glob("*.py") if p.name.startswith("test_")]
    assert sorted(strays) == ["test_docker.py", "test_docs.py", "test_layers.py"]  # project-wide checks
