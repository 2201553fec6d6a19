"""The shape of the code base: layers, no cycles, lint, and modules that import on their own.

These run the real tools (import-linter, ruff) on the real tree, and check that each contract
fails when it is broken on purpose, so a back-edge or a cycle cannot land unnoticed.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "roisim"
SUBPACKAGES = ("scenario", "engine", "kernels", "analysis", "report", "cli")


def _lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_import_contracts_are_kept():
    out = _lint_imports(ROOT, SRC)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """A copy of the package and of pyproject.toml (the contracts), to break on purpose."""
    shutil.copytree(PACKAGE, tmp_path / "src" / "roisim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _add_import(tree: Path, module: str, line: str) -> None:
    path = tree / "src" / "roisim" / module
    path.write_text(path.read_text() + f"\n{line}\n")


@pytest.mark.parametrize("module,line,contract", [
    ("scenario/model.py", "import roisim.engine.plan  # noqa", "Stages import one way"),
    ("engine/plan.py", "import roisim.analysis.summary  # noqa", "Stages import one way"),
    ("analysis/summary.py", "import roisim.report.text  # noqa", "Stages import one way"),
    ("scenario/loading.py", "import numba  # noqa", "loads without numba"),
    ("engine/run.py", "import click  # noqa", "never print"),
    ("engine/plan.py", "import roisim.engine.codegen  # noqa", "No import cycles"),
])
def test_a_broken_contract_fails(tree_copy, module, line, contract):
    _add_import(tree_copy, module, line)
    out = _lint_imports(tree_copy, tree_copy / "src")
    assert out.returncode != 0, out.stdout
    broken = [row for row in out.stdout.splitlines() if "BROKEN" in row]
    text = " ".join(out.stdout.split())
    assert broken and f"{contract}" in text, out.stdout


def test_ruff_check_passes():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "benchmarks",
                          "docs"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def test_the_six_subpackages_exist():
    for name in SUBPACKAGES:
        assert (PACKAGE / name / "__init__.py").is_file(), name
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "_version.py", "errors.py", "files.py", "finance.py",
                   "result.py"], top


def test_every_module_imports_first_in_a_fresh_interpreter():
    """No module relies on another having been imported before it (a hidden cycle would)."""
    def load(name):
        return name, subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True,
                                    text=True, timeout=300)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(load, _modules()))
    failed = {name: out.stderr.strip().splitlines()[-1:] for name, out in results if out.returncode}
    assert not failed, failed


def test_loading_and_validating_a_scenario_never_imports_numba():
    code = (
        "import sys\n"
        "import roisim\n"
        "roisim.load_scenario('scenarios/fintech.toml')\n"
        "from roisim.cli.main import main\n"
        "try:\n"
        "    main(['validate', 'scenarios/fintech.toml'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('NUMBA' if 'numba' in sys.modules else 'NO NUMBA')\n"
    )
    env = dict(os.environ, ROISIM_NO_PLAN_CACHE="1")      # validate builds the plan afresh
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "NO NUMBA", out.stdout


def _code_lines(node) -> int:
    """Lines of a function without its docstring."""
    lines = node.end_lineno - node.lineno + 1
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None),
                                                              ast.Constant):
        lines -= body[0].end_lineno - body[0].lineno + 1
    return lines


def test_no_function_is_longer_than_60_lines():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _code_lines(node) > 60:
                long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}")
    assert not long, long
