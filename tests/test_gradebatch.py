"""Grading a whole class: parallel, skipping, retries, the fast path, limits and feedback.

A class of nine honest students and three broken submissions is graded by
the real pipeline. Plain serial ``nbgrader autograde`` on a copy of the honest
students is the reference every other way of grading must match exactly.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell
from typer.testing import CliRunner

from course.cli import app
from course.export import collect_grades, collect_items
from course.gradebatch import grade_course
from course.keys import load_key
from course.nbgrader_cli import run_nbgrader
from course.simulate import class_roster, submit_student

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]

FIXTURES = Path(__file__).parent / "fixtures"
MODULE = "90-fixture"
HONEST = [s.id for s in class_roster(9, seed=7)]
#: A notebook that is not JSON: graded as the blank release, its saved answers counting.
CORRUPT = "broken-corrupt"
#: Student code that tries to kill the grading process running its kernel (the sandbox
#: stops it; without the sandbox the blank-notebook fallback grades the student).
KILLER = "broken-kills-grader"
#: A cell that never ends: stopped by the notebook time limit, then graded.
LOOPER = "broken-loops"
BROKEN = [CORRUPT, KILLER, LOOPER]
SCORE_COLUMNS = ["student_id", "module", "score", "max_score", "needs_manual_grade"]


def _course(root: Path) -> Path:
    from course.coursefolder import init_course
    from course.release import release_modules

    course = root / "course"
    init_course(
        course,
        lessons_dir=FIXTURES / "lessons",
        keys_dir=FIXTURES / "keys",
        timeout=30,
        notebook_timeout=12,
    )
    release_modules(course, [MODULE])
    return course


def _add_cell(folder: Path, source: str) -> None:
    path = folder / f"{MODULE}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(3, new_code_cell(source))
    nbformat.write(nb, path)


def _submit(course: Path, *, broken: bool) -> None:
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    for student in class_roster(9, seed=7):
        submit_student(course, MODULE, student, key, seed=7)
    if not broken:
        return
    honest = class_roster(9, seed=7)[3]
    for name in BROKEN:
        folder = submit_student(
            course, MODULE, type(honest)(name, honest.profile, honest.ability), key, seed=7
        )
        if name == CORRUPT:
            (folder / f"{MODULE}.ipynb").write_text("{ this is not a notebook", encoding="utf-8")
        elif name == KILLER:
            _add_cell(folder, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n")
        else:
            _add_cell(folder, "while True:\n    pass\n")


def _scores(course: Path) -> pd.DataFrame:
    grades = collect_grades(course, [MODULE])
    return grades[grades["student_id"].isin(HONEST)][SCORE_COLUMNS].reset_index(drop=True)


def _items(course: Path) -> pd.DataFrame:
    items = collect_items(course, [MODULE])
    return items[items["student_id"].isin(HONEST)].reset_index(drop=True)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A released course with the honest class submitted (no grading yet)."""
    course = _course(tmp_path_factory.mktemp("template"))
    _submit(course, broken=False)
    return course


def _copy(template: Path, tmp_path_factory, name: str) -> Path:
    target = tmp_path_factory.mktemp(name) / "course"
    shutil.copytree(template, target)
    config = target / "nbgrader_config.py"  # the config names no folder: it uses its own
    assert str(template) not in config.read_text()
    return target


@pytest.fixture(scope="module")
def serial(template, tmp_path_factory) -> Path:
    """The reference: one plain `nbgrader autograde` process for the whole class."""
    course = _copy(template, tmp_path_factory, "serial")
    run = run_nbgrader(course, "autograde", MODULE, "--create", "--force")
    assert run.ok, run.log[-3000:]
    return course


@pytest.fixture(scope="module")
def parallel(template, tmp_path_factory):
    """The class plus three broken submissions, graded with two workers."""
    course = _copy(template, tmp_path_factory, "parallel")
    _submit(course, broken=True)
    started = time.time()
    steps = []
    report = grade_course(
        course,
        [MODULE],
        jobs=2,
        progress=lambda text, done, total: steps.append((text, done, total)),
    )
    return {"course": course, "report": report, "elapsed": time.time() - started, "steps": steps}


def test_parallel_grades_equal_serial_nbgrader(serial, parallel):
    """Do two workers give exactly the scores of plain serial nbgrader?"""
    pd.testing.assert_frame_equal(_scores(parallel["course"]), _scores(serial))
    pd.testing.assert_frame_equal(_items(parallel["course"]), _items(serial))


def test_broken_submissions_do_not_stop_the_batch(parallel):
    """With three broken submissions, is every student graded, and the broken reported?"""
    report, course = parallel["report"], parallel["course"]
    grades = pd.read_csv(report.exports["grades"]).set_index("student_id")
    assert set(grades.index) == set(HONEST) | set(BROKEN)
    assert report.failed.get(MODULE, []) == []
    assert report.ungraded == 0
    assert set(report.graded[MODULE]) == set(HONEST) | set(BROKEN)
    written = collect_grades(course, [MODULE]).set_index("student_id")
    items = collect_items(course, [MODULE])
    corrupt = items[items["student_id"] == CORRUPT].set_index("item_id")["score"]
    assert "blank released notebook was graded in its place" in " ".join(report.problems[CORRUPT])
    assert corrupt.drop("f-written").sum() > 0  # its saved widget answers still count
    assert corrupt["f-written"] == 0  # the unreadable notebook's written answer does not
    if report.isolation is not None and report.isolation.active:
        # The sandbox kept the grader alive: graded as submitted.
        assert "blank released notebook" not in " ".join(report.problems.get(KILLER, []))
    else:
        assert "blank released notebook" in " ".join(report.problems[KILLER])
    assert written.loc[CORRUPT, "graded"]
    assert (course / "autograded" / LOOPER / MODULE / f"{MODULE}.ipynb").exists()


def test_progress_counts_students_done_and_failed(parallel):
    """Does progress report students done and failed, ending with the whole class?"""
    texts = [text for text, _, _ in parallel["steps"]]
    total = len(HONEST) + len(BROKEN)
    assert any(t.startswith(f"Autograding: {total}/{total} students done, 0 failed") for t in texts)
    done = [d for text, d, _ in parallel["steps"] if text.startswith("Autograding:")]
    assert done == sorted(done)


def test_notebook_time_limit_stops_a_loop_and_still_scores(parallel):
    """Is a never-ending cell stopped by the notebook limit, with its answers still scored?"""
    report = parallel["report"]
    assert any("notebook time limit (12 s) was reached" in p for p in report.problems[LOOPER])
    grades = collect_grades(parallel["course"], [MODULE]).set_index("student_id")
    honest_twin = HONEST[3]  # submitted the same answers
    assert grades.loc[LOOPER, "score"] == grades.loc[honest_twin, "score"]


def test_feedback_is_readable_without_widgets(parallel):
    """Does feedback show question, answer and verdict as static HTML, with no widget state?"""
    student = HONEST[3]
    page = (parallel["course"] / "feedback" / student / MODULE / f"{MODULE}.html").read_text()
    assert "Which paragraph gives the distance between Palmyra and Deir ez-Zor?" in page
    assert "Your answer:" in page and "Score:" in page
    assert any(word in page for word in ("(correct)", "(incorrect)", "(partly correct)"))
    assert "application/vnd.jupyter.widget" not in page
    assert "@jupyter-widgets" not in page
    assert len(parallel["report"].feedback) == len(HONEST) + len(BROKEN)


def test_rerun_skips_graded_students_and_force_regrades(parallel, serial):
    """Are unchanged students skipped, a resubmission regraded, and --force honoured?"""
    course = parallel["course"]
    notebook = course / "autograded" / HONEST[0] / MODULE / f"{MODULE}.ipynb"
    before = notebook.stat().st_mtime
    report = grade_course(course, [MODULE], jobs=2, feedback=False)
    assert set(report.skipped[MODULE]) == set(HONEST) | set(BROKEN)
    assert notebook.stat().st_mtime == before
    assert report.failed.get(MODULE, []) == []

    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    again = class_roster(9, seed=7)[1]
    time.sleep(1.1)  # a later collection timestamp
    submit_student(course, MODULE, again, key, seed=7)
    report = grade_course(course, [MODULE], jobs=2, feedback=False)
    assert HONEST[1] not in report.skipped[MODULE]
    assert HONEST[0] in report.skipped[MODULE]

    report = grade_course(course, [MODULE], jobs=1, force=True, feedback=False)
    assert report.skipped[MODULE] == []
    assert notebook.stat().st_mtime > before
    pd.testing.assert_frame_equal(_scores(course), _scores(serial))


def test_fast_path_gives_identical_scores(template, serial, tmp_path_factory):
    """Does grading without a kernel give exactly the scores of grading with one?"""
    course = _copy(template, tmp_path_factory, "fast")
    report = grade_course(course, [MODULE], jobs=2, fast=True, feedback=False)
    assert report.fast == [MODULE]
    assert report.ungraded == 0
    pd.testing.assert_frame_equal(_scores(course), _scores(serial))
    pd.testing.assert_frame_equal(_items(course), _items(serial))


def test_cli_exits_nonzero_only_when_something_is_ungraded(template, tmp_path_factory):
    """Does `course grade` exit 0 for a class it graded and 1 when one is left ungraded?"""
    course = _copy(template, tmp_path_factory, "cli")
    runner = CliRunner()
    result = runner.invoke(app, ["grade", str(course), "--jobs", "2", "--fast", "--no-feedback"])
    assert result.exit_code == 0, result.output
    assert "fast path" in result.output
    bad = course / "submitted" / CORRUPT / MODULE
    shutil.copytree(course / "submitted" / HONEST[0] / MODULE, bad)
    (bad / f"{MODULE}.ipynb").write_text("not json", encoding="utf-8")
    result = runner.invoke(app, ["grade", str(course), "--jobs", "2", "--no-feedback"])
    assert result.exit_code == 0, result.output  # graded as the blank release, and said so
    assert CORRUPT in result.output and "blank released notebook" in result.output
    # With no released notebook to fall back on, the submission is left ungraded: exit 1.
    (course / "release" / MODULE / f"{MODULE}.ipynb").unlink()
    result = runner.invoke(app, ["grade", str(course), "--jobs", "2", "--no-feedback", "--force"])
    assert result.exit_code == 1, result.output
    assert CORRUPT in result.output and "could not be autograded" in result.output
    result = runner.invoke(app, ["report", str(course)])
    assert result.exit_code == 0, result.output
    assert (course / "exports" / "report.html").exists()


def test_pool_stops_a_student_past_the_time_limit(template, tmp_path_factory):
    """Is a task that outlives its time limit killed, with its worker, and reported?"""
    from course.batch.pool import WorkerPool
    from course.batch.tasks import Task

    course = _copy(template, tmp_path_factory, "pool")
    seen = []
    outcomes = WorkerPool(course, 1, task_timeout=0.02).run(
        [Task("autograde", MODULE, HONEST[0]), Task("autograde", MODULE, HONEST[1], fast=True)],
        seen.append,
    )
    assert [o.ok for o in outcomes] == [False, False]
    assert all("time limit" in o.message for o in outcomes)
    assert len(seen) == 2
