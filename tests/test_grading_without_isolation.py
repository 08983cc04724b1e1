"""Grading with isolation turned off: said on every submission, and never a lost student.

A course folder set to ``sandbox="none"`` grades student code as the grader's
own user. Every graded submission must say so in the problem list. Without
the sandbox a student's code can even kill the grading process itself; the
batch must still grade that student (with the blank released notebook as the
last resort, the saved answers still counting) rather than leave them out.
"""

from __future__ import annotations

import shutil

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell

from course.gradebatch import grade_course
from course.keys import load_key
from course.release import release_modules
from course.simulate import SimStudent, submit_student

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]

MODULE = "90-fixture"
HONEST = {"f-single": "b", "f-order": ["p10", "p9", "p8"]}


@pytest.fixture(scope="module")
def graded(fixture_course, tmp_path_factory):
    course = tmp_path_factory.mktemp("noiso") / "course"
    shutil.copytree(
        fixture_course,
        course,
        ignore=shutil.ignore_patterns(
            "submitted", "autograded", "feedback", "grading", "gradebook.db", "exports", "release"
        ),
    )
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + "\nc.GuardedExecute.sandbox = 'none'\n")
    release_modules(course, [MODULE])
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    for name in ("honest", "kills-grader"):
        submit_student(course, MODULE, SimStudent(name, "blank", 0), key, answers=HONEST)
    path = course / "submitted" / "kills-grader" / MODULE / f"{MODULE}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(3, new_code_cell("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"))
    nbformat.write(nb, path)
    report = grade_course(course, [MODULE], force=True, jobs=1)
    return {
        "course": course,
        "report": report,
        "grades": pd.read_csv(report.exports["grades"]).set_index("student_id"),
    }


def test_isolation_is_off_and_reported(graded):
    """Does the report say grading ran without isolation?"""
    isolation = graded["report"].isolation
    assert isolation is not None and not isolation.active
    assert "sandbox='none'" in isolation.reason


def test_every_graded_submission_lists_the_missing_isolation(graded):
    """Does each student's problem list say the submission was graded without isolation?"""
    for student in ("honest", "kills-grader"):
        problems = " ".join(graded["report"].problems.get(student, []))
        assert "graded without isolation" in problems, problems


def test_student_who_kills_the_grader_is_still_graded(graded):
    """Is a submission that kills its grading process graded (blank notebook, answers kept)?"""
    report = graded["report"]
    assert report.ungraded == 0, report.problems
    assert float(graded["grades"].loc["kills-grader", "score"]) == 1.0
    problems = " ".join(report.problems["kills-grader"])
    assert "blank released notebook was graded in its place" in problems


def test_honest_student_scores_honest_answers(graded):
    assert float(graded["grades"].loc["honest", "score"]) == 1.0
