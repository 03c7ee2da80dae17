"""The dashboard's page modules (those with `routes`) use shared modules (render, context, charts,
labels, ...) and never one another, so a page can change without breaking another."""

from __future__ import annotations

import ast
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[2] / "web" / "dashboard"
PACKAGE = "footfall.web.dashboard"


def trees() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text()) for path in sorted(DASHBOARD.glob("*.py"))}


def page_modules() -> set[str]:
    return {name for name, tree in trees().items()
            if any(isinstance(node, ast.FunctionDef) and node.name == "routes" for node in tree.body)}


def imported(tree: ast.Module) -> set[str]:
    """The dashboard modules a module imports, by their short name."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
            found.add((node.module or "").split(".")[3])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[3] for a in node.names if a.name.startswith(PACKAGE + ".")}
    return found


def test_the_page_modules_are_found() -> None:
    assert {"overview_page", "replays_pages", "sites_pages", "session"} <= page_modules()
    assert not {"render", "context", "charts", "guards"} & page_modules()


def test_no_page_module_imports_another() -> None:
    pages = page_modules()
    wrong = [f"{name} imports {target}" for name, tree in trees().items() if name in pages
             for target in sorted(imported(tree) & pages)]
    assert wrong == []
