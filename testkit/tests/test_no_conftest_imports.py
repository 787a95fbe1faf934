"""A conftest holds fixtures for pytest to find, never helpers to import: a test that
imports from one depends on which conftest pytest loaded first and under what name.
Helpers live in testkit/."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", ".data", ".git", "node_modules", "staticfiles"}


def conftest_imports(path: Path) -> list[int]:
    """The lines of a file that import a conftest module (any package's, relative or
    absolute)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
            modules += [f"{node.module or ''}.{alias.name}" for alias in node.names]
        else:
            continue
        if any("conftest" in module.split(".") for module in modules):
            found.append(node.lineno)
    return found


def python_files() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts)
    ]


def test_no_file_imports_from_a_conftest() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in python_files()
        for line in conftest_imports(path)
    ]

    assert offenders == []


def test_the_check_sees_each_way_of_importing_a_conftest(tmp_path: Path) -> None:
    c = "conftest"  # spelled apart, so that a grep for these imports finds none here either
    spellings = [
        f"from {c} import T0",
        f"import {c}",
        f"from e2e.{c} import log_in",
        f"from . import {c}",
        f"from .{c} import browser_for",
        f"import moderation.tests.{c} as admin",
    ]
    sample = tmp_path / "test_sample.py"
    sample.write_text("\n".join([*spellings, "from testkit.personas import T0", ""]))

    assert conftest_imports(sample) == list(range(1, len(spellings) + 1))
