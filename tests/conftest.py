"""Shared fixtures: a real nbgrader course built from the fixture lesson."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_MODULE = "90-fixture"


@pytest.fixture(scope="session")
def fixture_course(tmp_path_factory) -> Path:
    """A course folder with the fixture module built and released (5 s cell timeout)."""
    from course.coursefolder import init_course
    from course.release import release_modules

    course = tmp_path_factory.mktemp("course") / "course"
    init_course(
        course,
        lessons_dir=FIXTURES / "lessons",
        keys_dir=FIXTURES / "keys",
        timeout=5,
    )
    release_modules(course, [FIXTURE_MODULE])
    return course


#: What grading a class leaves in a course folder; a copy of the fixture course leaves it out.
CLASS_WORK = (
    "submitted", "autograded", "feedback", "grading", "gradebook.db", "exports", "downloaded",
    "release", "*.lock",
)  # fmt: skip


@pytest.fixture(scope="session")
def copy_course(fixture_course) -> Callable[[Path], Path]:
    """Return ``copy(dest)``: a private copy of the fixture course, released, with no class work.

    Other tests grade classes in the shared fixture course, hostile
    submissions included (links, huge sparse files); a copy never takes
    their work, only the course itself, released again into a new gradebook.
    """
    from course.release import release_modules

    def copy(dest: Path) -> Path:
        shutil.copytree(
            fixture_course, dest, symlinks=True, ignore=shutil.ignore_patterns(*CLASS_WORK)
        )
        release_modules(dest, [FIXTURE_MODULE])
        return dest

    return copy


@pytest.fixture(scope="session")
def built_dists(tmp_path_factory) -> dict[str, Path]:
    """The wheel and sdist built from this checkout (once per test session)."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}
