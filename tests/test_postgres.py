"""The gradebook on PostgreSQL: parallel grading gives the same grades as SQLite.

Needs a PostgreSQL server: ``COURSE_TEST_POSTGRES_URL`` names a database on
it whose user may create databases (CI starts one with ``.ci/postgres``).
Without it the test skips, except in CI, where it fails.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pandas as pd
import pytest

from course.export import collect_grades, collect_items
from course.gradebatch import grade_course
from course.gradebook import db_url
from course.keys import load_key
from course.simulate import class_roster, submit_student

pytestmark = [pytest.mark.postgres, pytest.mark.nbgrader, pytest.mark.slow]

FIXTURES = Path(__file__).parent / "fixtures"
MODULE = "90-fixture"
URL = os.environ.get("COURSE_TEST_POSTGRES_URL", "")


@pytest.fixture(scope="module")
def postgres_url():
    """A fresh database on the server, dropped afterwards."""
    if not URL:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("CI must set COURSE_TEST_POSTGRES_URL (.ci/run sources .ci/postgres)")
        pytest.skip("set COURSE_TEST_POSTGRES_URL to run the PostgreSQL gradebook test")
    import sqlalchemy as sa

    name = f"course_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _graded_course(root: Path, url: str | None) -> Path:
    from course.coursefolder import init_course
    from course.release import release_modules

    course = root / "course"
    init_course(
        course, lessons_dir=FIXTURES / "lessons", keys_dir=FIXTURES / "keys", timeout=30, db_url=url
    )
    release_modules(course, [MODULE])
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    for student in class_roster(8, seed=11):
        submit_student(course, MODULE, student, key, seed=11)
    report = grade_course(course, [MODULE], jobs=2, feedback=False)
    assert report.ungraded == 0, report.problems
    return course


def test_postgres_gradebook_matches_sqlite(postgres_url, tmp_path):
    """Graded in parallel on PostgreSQL, are the grades those of SQLite, to the item?"""
    on_postgres = _graded_course(tmp_path / "pg", postgres_url)
    on_sqlite = _graded_course(tmp_path / "sqlite", None)
    assert db_url(on_postgres).startswith("postgresql")
    assert not (on_postgres / "gradebook.db").exists()
    columns = ["student_id", "module", "score", "max_score", "needs_manual_grade", "graded"]
    pg, lite = collect_grades(on_postgres, [MODULE]), collect_grades(on_sqlite, [MODULE])
    assert len(pg) == 8
    pd.testing.assert_frame_equal(pg[columns], lite[columns])
    pd.testing.assert_frame_equal(
        collect_items(on_postgres, [MODULE]), collect_items(on_sqlite, [MODULE])
    )
