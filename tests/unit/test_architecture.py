"""The shape of the house: what ships never imports the embedded lab, and layers point one way.

Every ``import`` in the product packages and the two top-level modules is read from the source
(nothing is executed), so an import hidden in a function body counts as much as one at the top of
a module.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What each product package may import among fuelbot's own packages (STYLE.md, "fuelbot's shape").
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "store": frozenset({"core"}),
    "labspec": frozenset({"core"}),
    "integrations": frozenset({"core", "labspec"}),
    "jobs": frozenset({"core", "store"}),
    "commands": frozenset({"core", "jobs", "labspec", "store"}),
    "workflows": frozenset({"core", "integrations", "jobs", "labspec", "store"}),
    "bot": frozenset({"commands", "core", "jobs", "store"}),
}
# The top-level modules: ``wiring.py`` builds a process from every product package, and never the
# embedded lab; ``app.py``, the command line, starts what wiring builds, and its console and lab
# sub-commands (only they, see SIM_COMMANDS) start the embedded lab.
TOP_LEVEL: dict[str, frozenset[str]] = {
    "wiring": frozenset(ALLOWED),
    "app": frozenset(ALLOWED) | {"wiring", "sim"},
}
SIM_COMMANDS = frozenset({"run_console", "run_lab"})
OURS = set(ALLOWED) | set(TOP_LEVEL) | {"sim", "tests", "bench", "migrations"}


def imported_packages(path: Path) -> set[tuple[str, int]]:
    """(top-level package, line) of every absolute import in ``path`` that names one of ours."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in OURS}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        # importlib.import_module("sim.…") would dodge the check above
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            top = node.args[0].value.split(".")[0]
            if top in OURS:
                found.add((top, node.lineno))
    return found


def product_modules() -> list[tuple[str, Path]]:
    return [(package, path) for package in ALLOWED for path in sorted((ROOT / package).rglob("*.py"))]


def test_every_product_package_is_checked() -> None:
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages - {"sim", "tests", "bench", "migrations"} == set(ALLOWED)


def test_every_top_level_module_is_checked() -> None:
    assert {p.stem for p in ROOT.glob("*.py")} == set(TOP_LEVEL)


@pytest.mark.parametrize("module", sorted(TOP_LEVEL))
def test_top_level_imports_point_one_way(module: str) -> None:
    path = ROOT / f"{module}.py"
    wrong = sorted(f"{path.name}:{line} imports {top}"
                   for top, line in imported_packages(path) if top != module and top not in TOP_LEVEL[module])
    assert not wrong, "a top-level module imports what it must not (see TOP_LEVEL):\n" + "\n".join(wrong)


def sim_imports_outside(path: Path, functions: frozenset[str]) -> list[int]:
    """Lines of ``path`` that import the embedded lab anywhere but in the top-level ``functions``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    allowed = {line for function in tree.body
               if isinstance(function, ast.FunctionDef) and function.name in functions
               for line in range(function.lineno, (function.end_lineno or function.lineno) + 1)}
    return sorted(line for top, line in imported_packages(path) if top == "sim" and line not in allowed)


def test_only_the_console_and_the_lab_start_the_embedded_lab() -> None:
    assert sim_imports_outside(ROOT / "app.py", SIM_COMMANDS) == []


def test_the_sim_checker_sees_an_import_outside_the_lab_commands(tmp_path: Path) -> None:
    module = tmp_path / "app.py"
    module.write_text("import sim.lab\n\ndef run_lab():\n    from sim.lab import EmbeddedLab\n\n"
                      "def serve():\n    from sim.slack.workspace import LocalSlack\n")
    assert sim_imports_outside(module, SIM_COMMANDS) == [1, 7]


@pytest.mark.parametrize(("package", "path"), product_modules(), ids=lambda v: str(v).rsplit("/", 2)[-1])
def test_imports_point_one_way(package: str, path: Path) -> None:
    wrong = sorted(f"{path.relative_to(ROOT)}:{line} imports {top}"
                   for top, line in imported_packages(path) if top != package and top not in ALLOWED[package])
    assert not wrong, "product code imports what it must not (see ALLOWED):\n" + "\n".join(wrong)


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from sim.fuel import FuelSimulator\n    import importlib\n"
                      "    importlib.import_module('sim.lab')\n")
    assert imported_packages(module) == {("sim", 2), ("sim", 4)}


def test_the_job_store_never_speaks() -> None:
    """Wording and posting belong to voices and handlers; ``jobs/queue.py`` only records state."""
    tree = ast.parse((ROOT / "jobs" / "queue.py").read_text(encoding="utf-8"))
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not modules & {"jobs.announce", "jobs.voice", "jobs.reporter", "jobs.outbox"}
