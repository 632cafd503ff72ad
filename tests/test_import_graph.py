"""The import graph of the three packages: no circles, and imports flow jobs -> reports -> forecasting.

Read from the source (every `import` and `from ... import`, at any depth, including those inside
functions), so an import done late to save start-up time still counts: a circle through a
function-level import is still a circle a reader has to untangle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("forecasting", "jobs", "reports")
#: Which package may import which: imports flow one way (DESIGN.md).
ALLOWED = {"jobs": {"jobs", "reports", "forecasting"}, "reports": {"reports", "forecasting"}, "forecasting": {"forecasting"}}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # Alembic loads these by path; they import nothing of ours
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ours that `name` imports (a `from package import module` names the module)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {target for target in targets if target in modules and target != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _is_package_init(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def test_no_module_imports_itself_back_through_others():
    modules = _modules()
    graph = _graph()
    # A package's __init__ re-exporting its modules is not a circle a reader meets: importing
    # `forecasting.store.events` runs `forecasting/store/__init__` first anyway. Edges into a
    # package's own __init__ from inside it are left out.
    edges = {
        name: {target for target in targets
               if not (_is_package_init(target, modules) and name.startswith(target + "."))}
        for name, targets in graph.items()
    }
    circles = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                circles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert circles == [], "import circles:\n" + "\n".join(" -> ".join(circle) for circle in circles)


def test_imports_flow_from_jobs_to_reports_to_forecasting():
    wrong = [
        f"{name} imports {target}"
        for name, targets in _graph().items()
        for target in targets
        if target.split(".")[0] not in ALLOWED[name.split(".")[0]]
    ]
    assert wrong == []
