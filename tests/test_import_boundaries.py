"""Connectors speak to platforms and hand neutral results to the engine: no module under
connectors/ imports the engine (sync), the web layer (views) or the app, not even inside a
function. The install use case reaches them through connectors/installs.py instead."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("sync", "views", "app", "demo", "bench", "tests", "sandbox")


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_no_connector_imports_the_engine_the_views_or_the_app():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / "connectors").rglob("*.py"))
        for line, name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert offending == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from sync import catalog\n    import views.admin\n")
    assert _imports(sample) == [(2, "sync"), (3, "views.admin")]
