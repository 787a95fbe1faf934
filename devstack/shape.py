"""The checks that hold the house's shape (`make lint` runs `check`).

    python -m devstack.shape graph   # which package imports which, and how often
    python -m devstack.shape sizes   # modules over 500 lines, functions over 60
    python -m devstack.shape check   # both; exits 1 on a circle of packages or a size

Tests are left out of both: they drive the house from outside, and a test may be long
because the story it tells is. The floors themselves are import-linter's contract in
pyproject.toml; this finds what the contract does not name (a new package, a circle
between tools).
"""

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
SKIPPED_DIRS = {".venv", ".data", ".git", "node_modules", "staticfiles", "migrations"}


def _is_test(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return "tests" in parts or parts[0] == "e2e" or path.name == "conftest.py"


def source_files() -> list[Path]:
    """Every non-test Python file of the repository's packages and scripts."""
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if SKIPPED_DIRS.intersection(relative.parts) or _is_test(path):
            continue
        files.append(path)
    return files


def packages() -> list[str]:
    return sorted(
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in SKIPPED_DIRS and path.parent.name != "e2e"
    )


def _imported_packages(path: Path, known: set[str]) -> list[str]:
    """The repository's packages a file imports (absolute imports; relative ones stay home)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.extend(name.split(".")[0] for name in names if name.split(".")[0] in known)
    return found


def package_graph() -> dict[str, dict[str, int]]:
    """{importer: {imported: number of import statements}} between top-level packages."""
    known = set(packages())
    graph: dict[str, dict[str, int]] = {name: defaultdict(int) for name in known}
    for path in source_files():
        home = path.relative_to(ROOT).parts[0]
        if home not in known:
            continue
        for imported in _imported_packages(path, known):
            if imported != home:
                graph[home][imported] += 1
    return graph


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Every strongly connected group of more than one package (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def oversized() -> list[str]:
    problems = []
    for path in source_files():
        text = path.read_text()
        name = path.relative_to(ROOT)
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            problems.append(f"{name}: {lines} lines (at most {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                # ast.parse always sets end_lineno; the type allows a node built by hand.
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    problems.append(
                        f"{name}:{node.lineno} {node.name}: {length} lines "
                        f"(at most {MAX_FUNCTION_LINES})"
                    )
    return problems


def print_graph(graph: dict[str, dict[str, int]]) -> None:
    for importer in sorted(graph, key=lambda name: (-len(graph[name]), name)):
        targets = ", ".join(f"{name} ({count})" for name, count in sorted(graph[importer].items()))
        print(f"{importer} -> {targets or 'nothing'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["graph", "sizes", "check"])
    what = parser.parse_args(argv).what
    failed = False
    if what in ("graph", "check"):
        graph = package_graph()
        if what == "graph":
            print_graph(graph)
        for group in circles(graph):
            print(f"circle of packages: {' <-> '.join(group)}", file=sys.stderr)
            failed = True
    if what in ("sizes", "check"):
        for problem in oversized():
            print(problem, file=sys.stderr)
            failed = True
    if what == "check" and not failed:
        print("shape: no circle of packages; no module or function over its size")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
