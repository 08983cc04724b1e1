"""What each install holds: a student's kernel needs only the base package; `course` says so.

The base dependencies must cover every third-party module the student-side
code imports, and base plus the ``instructor`` extra every module of the
package; on an install without the extra, `course` explains how to get it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course"
#: The modules a student's kernel runs (see tests/test_student_runtime.py).
STUDENT = [
    "__init__.py", "answers.py", "data.py", "describe.py", "execution.py", "forecasts.py",
    "maps.py", "pack.py", "packbutton.py", "render.py", "timeline.py", "items", "kinds",
]  # fmt: skip


#: Optional features: the extra, and the only files that import its packages, each
#: inside the functions that need them (so `course` runs without the extra).
OPTIONAL = {"cluster": ["batch/cluster.py"]}


def _requirements(extra: str = "instructor") -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(lines: list[str]) -> set[str]:
        return {Requirement(line).name.lower().replace("_", "-") for line in lines}

    return names(project["dependencies"]), names(project["optional-dependencies"][extra])


def _imports(paths: list[Path], *, top_level: bool = False) -> set[str]:
    found = set()
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body if top_level else ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "course"}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    table = packages_distributions()
    return {m: {d.lower().replace("_", "-") for d in table.get(m, [])} for m in modules}


def _files(names: list[str]) -> list[Path]:
    out: list[Path] = []
    for name in names:
        path = PACKAGE / name
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return out


def test_the_base_install_covers_the_student_runtime():
    """Is every third-party module the student-side code imports in the base dependencies?"""
    base, _ = _requirements()
    missing = {
        module: dists
        for module, dists in _distributions(_imports(_files(STUDENT))).items()
        if not dists & base
    }
    assert not missing, f"declare these in [project].dependencies: {missing}"


def test_base_and_instructor_cover_the_whole_package():
    """Is every third-party module the package imports declared in base or the instructor extra?

    The files of an optional feature (:data:`OPTIONAL`) may import their extra's
    packages, inside functions only; everything else they import is checked too.
    """
    base, instructor = _requirements()
    optional = {PACKAGE / f for files in OPTIONAL.values() for f in files}
    plain = [p for p in sorted(PACKAGE.rglob("*.py")) if p not in optional]
    modules = _imports(plain) | _imports(sorted(optional), top_level=True)
    missing = {m: d for m, d in _distributions(modules).items() if not d & (base | instructor)}
    assert not missing, f"declare these in the instructor extra: {missing}"
    for extra, files in OPTIONAL.items():
        _, declared = _requirements(extra)
        inside = _imports([PACKAGE / f for f in files])
        missing = {
            m: d
            for m, d in _distributions(inside).items()
            if not d & (base | instructor | declared)
        }
        assert not missing, f"declare these in the {extra} extra: {missing}"


@pytest.mark.parametrize("absent", ["typer", "rich", "yaml"])
def test_course_without_the_instructor_tools_says_how_to_get_them(absent):
    """With an instructor module missing, does `course` explain itself instead of a traceback?"""
    script = f"import sys; sys.modules[{absent!r}] = None\nfrom course.cli import main\nmain()\n"
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert f"({absent} is not installed)" in run.stderr
    assert 'pip install "claims-and-evidence[instructor]"' in run.stderr
