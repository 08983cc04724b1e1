"""Shared fixtures: a real nbgrader course built from the fixture lesson."""

from __future__ import annotations

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
