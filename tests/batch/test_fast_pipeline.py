"""The fast path writes what nbgrader's own pipeline (without its execute step) writes.

The fast path runs nbgrader's autograde steps through one gradebook session
(:mod:`course.batch.fastbook`) and in one pass per notebook
(:mod:`course.batch.fastconvert`). Here a seeded class, some students with
tampered notebooks, is graded both ways from copies of one folder: nbgrader's
``NbGraderAPI.autograde`` with the execution-free pipeline, and the fast
path's worker. The autograded notebooks, the per-item results and every
gradebook row must be identical, and feedback must show the same.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from seeded import MODULE, seeded_class

from course.batch.fastpath import execution_free_pipeline
from course.batch.state import ensure_students, submitted_students
from course.batch.tasks import Task
from course.batch.worker import Graders
from course.grading.intake import INTAKE_DIRECTORY, intake_submission

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]


def _tamper(course: Path) -> None:
    """Give two students notebooks nbgrader must repair: a deleted cell, edited metadata."""
    students = sorted(p.name for p in (course / "submitted").iterdir())
    first = course / "submitted" / students[-1] / MODULE / f"{MODULE}.ipynb"
    nb = nbformat.read(first, as_version=4)
    graded = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")]
    del nb.cells[graded[0]]
    nbformat.write(nb, first)
    second = course / "submitted" / students[-2] / MODULE / f"{MODULE}.ipynb"
    nb = nbformat.read(second, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta and meta.get("locked"):
            meta["locked"] = False
            cell.source = "tampered"
            break
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    nbformat.write(nb, second)


@pytest.fixture(scope="module")
def submitted(tmp_path_factory) -> Path:
    course = seeded_class(tmp_path_factory.mktemp("fast-pipeline"), 6, seed=23)
    _tamper(course)
    return course


def _by_nbgrader(course: Path) -> None:
    """nbgrader's ``NbGraderAPI.autograde`` with the fast path's pipeline, student by student."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.apps.autogradeapp import AutogradeApp
    from nbgrader.coursedir import CourseDirectory

    here = os.getcwd()
    os.chdir(course)
    try:
        app = AutogradeApp()
        app.initialize([])
        config = copy.deepcopy(app.config)
        config.Autograde.autograde_preprocessors = execution_free_pipeline(config)
        coursedir = CourseDirectory(config=config)
        submitted_dir = coursedir.submitted_directory
        coursedir.submitted_directory = INTAKE_DIRECTORY
        api = NbGraderAPI(coursedir=coursedir, config=config)
        for student in submitted_students(course, MODULE):
            intake_submission(course, student, MODULE, submitted_directory=submitted_dir)
            result = api.autograde(MODULE, student, force=True, create=True)
            assert result["success"], result.get("log")
    finally:
        os.chdir(here)


def _by_fast_path(course: Path) -> None:
    here = os.getcwd()
    try:
        graders = Graders(course)
        for student in submitted_students(course, MODULE):
            result = graders.run(Task("autograde", MODULE, student, fast=True))
            assert result["success"], result.get("log")
    finally:
        os.chdir(here)


def _rows(course: Path) -> dict:
    """Every gradebook row of the module's submissions, as plain values."""
    from course.gradebook import open_gradebook

    out = {}
    with open_gradebook(course) as gb:
        for submission in gb.assignment_submissions(MODULE):
            student = submission.student.id
            out[student] = {
                "timestamp": str(submission.timestamp),
                "score": submission.score,
                "needs_manual_grade": submission.needs_manual_grade,
            }
            for nb in submission.notebooks:
                out[student][nb.name] = {
                    "late_penalty": nb.late_submission_penalty,
                    "grades": sorted(
                        (g.name, g.auto_score, g.manual_score, g.needs_manual_grade)
                        for g in nb.grades
                    ),
                    "comments": sorted(
                        (c.name, c.auto_comment, c.manual_comment) for c in nb.comments
                    ),
                }
    return out


def _files(course: Path, stage: str) -> dict[str, bytes]:
    root = course / stage
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def both(submitted, tmp_path_factory):
    graded = {}
    for name, grade in (("nbgrader", _by_nbgrader), ("fast", _by_fast_path)):
        course = tmp_path_factory.mktemp(f"graded-{name}") / "course"
        shutil.copytree(submitted, course, symlinks=True)
        ensure_students(course, set(submitted_students(course, MODULE)))
        grade(course)
        graded[name] = course
    return graded


def test_autograded_notebooks_are_byte_identical(both):
    theirs, ours = _files(both["nbgrader"], "autograded"), _files(both["fast"], "autograded")
    assert sorted(ours) == sorted(theirs)
    notebooks = [name for name in theirs if name.endswith(".ipynb")]
    assert len(notebooks) == 6
    for name in theirs:
        assert ours[name] == theirs[name], name


def test_item_results_are_identical(both):
    assert _files(both["fast"], "grading/results") == _files(both["nbgrader"], "grading/results")


def test_gradebook_rows_are_identical(both):
    ours, theirs = _rows(both["fast"]), _rows(both["nbgrader"])
    assert len(theirs) == 6
    assert ours == theirs


def test_repairs_were_made(both):
    """The tampered notebooks were repaired the same way (not just both left alone)."""
    autograded = both["fast"] / "autograded"
    students = sorted(p.name for p in autograded.iterdir())
    restored = nbformat.read(autograded / students[-1] / MODULE / f"{MODULE}.ipynb", 4)
    source = nbformat.read(both["fast"] / "release" / MODULE / f"{MODULE}.ipynb", 4)
    graded = lambda nb: [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]  # noqa: E731
    assert len(graded(restored)) == len(graded(source))
    tampered = nbformat.read(autograded / students[-2] / MODULE / f"{MODULE}.ipynb", 4)
    assert "tampered" not in json.dumps([c.source for c in tampered.cells])
    assert tampered.metadata["kernelspec"]["name"] == "python3"
