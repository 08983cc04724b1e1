"""The embedded demo: a whole course cycle on a simulated class, in a temporary folder.

:func:`run_demo` builds a course, releases it, has a simulated class submit,
autogrades the class (without a kernel where a module allows it: the simulated
students run no code of their own, see :mod:`course.batch.fastpath`), scores
the written answers as a grader would in formgrader, writes feedback and the
exports, and returns a one-row-per-student summary (:func:`class_summary`),
also written to ``exports/demo-summary.csv``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .batch.pool import default_jobs
from .batch.runners import Runners
from .coursefolder import init_course
from .export import export_grades
from .forecasts import brier, read_locked
from .gradebatch import GradeReport, autograde_modules, feedback_modules, task_timeout
from .gradebook import course_config, open_gradebook
from .itemcheck import ModuleCueScore
from .keys import load_key
from .paths import CourseFolder
from .release import release_modules
from .simulate import SimStudent, class_roster, manual_score, submit_class, testwise_report

__all__ = [
    "FORECAST_MODULE",
    "SUMMARY_FILE",
    "TESTWISE_FILE",
    "DemoResult",
    "class_summary",
    "forecast_scores",
    "run_demo",
    "testwise_frame",
]

Progress = Callable[[str, int, int], None]

#: The module whose locked forecasts the demo scores.
FORECAST_MODULE = "00-orientation"

#: The per-student, per-module summary the demo writes to ``exports/``.
SUMMARY_FILE = "demo-summary.csv"

#: The test-wise student's score against chance, per module, that the demo writes to ``exports/``.
TESTWISE_FILE = "testwise.csv"


@dataclass
class DemoResult:
    """Where the demo put things and how the class did."""

    course_dir: Path
    modules: list[str]
    roster: list[SimStudent]
    report: GradeReport
    exports: dict[str, Path] = field(default_factory=dict)
    #: One row per student: locked forecasts and their Brier score (see forecast_scores).
    forecasts: pd.DataFrame | None = None
    #: One row per student: each module's percent and the total (see class_summary).
    summary: pd.DataFrame | None = None
    #: Seconds each phase took: init, release, submit, autograde, manual grading,
    #: feedback, exports.
    timings: dict[str, float] = field(default_factory=dict)
    #: Per module: how a student reading only cues, and a blind guess, score on its choice items.
    testwise: list[ModuleCueScore] = field(default_factory=list)


def testwise_frame(scores: list[ModuleCueScore]) -> pd.DataFrame:
    """Return :func:`course.simulate.testwise_report` as a table, one row per module."""
    return pd.DataFrame(
        [
            {
                "module": s.module,
                "choice_items": s.items,
                "points": s.points,
                "testwise_percent": round(s.testwise_percent, 1),
                "chance_percent": round(s.chance_percent, 1),
                "margin": round(s.margin, 1),
            }
            for s in scores
        ],
        columns=[
            "module",
            "choice_items",
            "points",
            "testwise_percent",
            "chance_percent",
            "margin",
        ],
    )


def forecast_scores(
    course_dir: str | Path, roster: list[SimStudent], module: str = FORECAST_MODULE
) -> pd.DataFrame:
    """Return each student's locked forecasts in ``module`` and their Brier score.

    Forecasts are read from ``submitted/<student>/<module>/`` (first locked
    values only) and scored against the ``outcome`` of each forecast in the
    module's key. Columns: ``student_id``, ``locked`` (how many forecasts were
    locked), ``scored`` (how many of those have an outcome) and ``brier``
    (empty when none could be scored; lower is better, always 50% scores 0.25).
    """
    folder = CourseFolder(course_dir)
    key = load_key(folder.key(module))
    outcomes = {i: k.outcome for i, k in key.items.items() if k.outcome is not None}
    rows = []
    for student in roster:
        locked = read_locked(module, folder.submitted(student.id, module))
        scored = {i: p / 100 for i, p in locked.items() if i in outcomes}
        rows.append(
            {
                "student_id": student.id,
                "locked": len(locked),
                "scored": len(scored),
                "brier": brier(scored, outcomes) if scored else None,
            }
        )
    return pd.DataFrame(rows, columns=["student_id", "locked", "scored", "brier"])


def class_summary(
    grades: pd.DataFrame,
    roster: list[SimStudent],
    modules: list[str],
    forecasts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return one row per student: profile, each module's percent, the total and the Brier score.

    Parameters
    ----------
    grades : pandas.DataFrame
        ``exports/grades.csv`` (:func:`course.export.collect_grades`).
    roster : list of SimStudent
        The simulated class, in the order of the rows returned.
    modules : list of str
        One percent column per module, in this order.
    forecasts : pandas.DataFrame, optional
        :func:`forecast_scores`; adds a ``brier`` column.

    Returns
    -------
    pandas.DataFrame
        Columns ``student_id``, ``profile``, ``ability``, one column per module
        (percent of its points, empty when the student has no score for it),
        ``score``, ``max_score``, ``percent`` and, with ``forecasts``, ``brier``.
    """
    briers: dict[str, float] = {}
    if forecasts is not None:
        scored = forecasts.dropna(subset=["brier"])
        briers = dict(zip(scored["student_id"], scored["brier"], strict=True))
    rows = []
    for student in roster:
        mine = grades[grades["student_id"] == student.id]
        row: dict[str, object] = {
            "student_id": student.id,
            "profile": student.profile,
            "ability": student.ability,
        }
        for module in modules:
            found = mine[mine["module"] == module]
            row[module] = float(found["percent"].iloc[0]) if len(found) else None
        score, maximum = mine["score"].sum(), mine["max_score"].sum()
        row["score"] = round(float(score), 4)
        row["max_score"] = round(float(maximum), 4)
        row["percent"] = round(100 * float(score) / float(maximum), 1) if maximum else None
        if forecasts is not None:
            row["brier"] = briers.get(student.id)
        rows.append(row)
    columns = ["student_id", "profile", "ability", *modules, "score", "max_score", "percent"]
    if forecasts is not None:
        columns.append("brier")
    return pd.DataFrame(rows, columns=columns)


def _enter_manual_score(grade: Any, score: float | None) -> None:
    """Set a grade's manual score as formgrader's grade API does when a grader saves one.

    nbgrader's ``GradeHandler.put`` (formgrader's ``/api/grade/<id>``) sets
    ``manual_score``, then clears ``needs_manual_grade`` unless the grade has
    neither a manual nor an automatic score.
    """
    grade.manual_score = score
    grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None


def _grade_written(course_dir: Path, modules: list[str], roster: list[SimStudent]) -> None:
    """Play the instructor: score written answers in the gradebook, as formgrader would."""
    from nbgrader.api import MissingEntry

    profiles = {s.id: s for s in roster}
    with open_gradebook(course_dir) as gb:
        for module in modules:
            assignment = gb.find_assignment(module)
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    if cell.cell_type != "markdown":
                        continue
                    for student in roster:
                        try:
                            grade = gb.find_grade(cell.name, notebook.name, module, student.id)
                        except MissingEntry:
                            continue
                        if grade.needs_manual_grade:
                            points = manual_score(profiles[student.id], float(cell.max_score))
                            _enter_manual_score(grade, points)
        gb.db.commit()


def _create_gradebook(course_dir: Path) -> None:
    """Create the course's gradebook and the course rows nbgrader's commands look for.

    ``generate_assignment`` opens the gradebook with the course id, and its
    ``SaveCells`` step without one (nbgrader's ``default_course``); each adds
    the row it does not find. nbgrader processes started at once on a new
    gradebook would each try to create the tables and rows, and all but one
    would fail on a unique constraint.
    """
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=course_config(course_dir))
    with Gradebook(coursedir.db_url, course_id=coursedir.course_id):
        pass
    with Gradebook(coursedir.db_url):  # as SaveCells opens it
        pass


def _release(course_dir: Path, modules: list[str], jobs: int) -> None:
    """Release ``modules`` with up to ``jobs`` nbgrader processes at once.

    Each module is released and checked for leaks by :func:`release_modules` on
    its own; most of each release is nbgrader starting up, so modules released
    side by side take about ``1/jobs`` of the time.
    """
    if jobs <= 1 or len(modules) <= 1:
        release_modules(course_dir, modules)
        return
    _create_gradebook(course_dir)
    with ThreadPoolExecutor(max_workers=min(jobs, len(modules))) as pool:
        releases = [pool.submit(release_modules, course_dir, [module]) for module in modules]
        try:
            for release in releases:
                release.result()  # a ReleaseError of any module is raised here
        except BaseException:
            for release in releases:
                release.cancel()  # the modules not started yet
            raise


def run_demo(
    students: int = 12,
    *,
    seed: int = 2016,
    course_dir: str | Path | None = None,
    modules: list[str] | None = None,
    progress: Progress | None = None,
    fast: bool = True,
    jobs: int | None = None,
) -> DemoResult:
    """Build a temporary course, release it, submit a simulated class, grade it and export.

    Parameters
    ----------
    students : int, default 12
        Class size: one perfect student, one blank, the last (from 3 students) a
        test-wise student who reads only cues, the rest partly right.
    seed : int, default 2016
        Seed of the simulated class; the same seed gives the same answers.
    course_dir : path-like, optional
        Where to build the course (default: a new temporary folder).
    modules : list of str, optional
        Module ids or numbers (default: every module).
    progress : callable, optional
        Called as ``progress(description, done, total)``.
    fast : bool, default True
        Autograde without a kernel the modules that need no execution
        (:mod:`course.batch.fastpath`; the same scores, since the simulated
        students write answers, not code). Other modules still run.
    jobs : int, optional
        Modules released, and students graded, at once (default: the number
        of CPU cores).

    Returns
    -------
    DemoResult
        Where everything is, the class, the grading report, the summary and
        how long each phase took (:attr:`DemoResult.timings`).
    """
    folder = Path(course_dir) if course_dir else Path(tempfile.mkdtemp(prefix="course-demo-"))
    timings: dict[str, float] = {}
    started = time.monotonic()

    def lap(phase: str) -> None:
        nonlocal started
        now = time.monotonic()
        timings[phase] = round(now - started, 2)
        started = now

    if progress:
        progress("Building the course folder", 0, 5)
    lessons = init_course(folder, modules=modules, show_explanations=True, timeout=30)
    ids = [lesson.id for lesson in lessons]
    lap("init")
    if progress:
        progress("Releasing modules", 1, 5)
    _release(folder, ids, jobs or default_jobs())
    lap("release")
    roster = class_roster(students, seed, testwise=True)
    report = GradeReport()
    # One set of workers for grading and feedback, loading nbgrader while the class submits.
    with Runners(folder, jobs or default_jobs()) as runners:
        runners.warm(len(roster) * len(ids), task_timeout(folder, ids))
        if progress:
            progress(f"Submitting {len(roster)} simulated students", 2, 5)
        submit_class(folder, ids, roster, seed=seed)
        lap("submit")
        autograde_modules(
            folder, ids, report, force=True, progress=progress, fast=fast, runners=runners
        )
        lap("autograde")
        _grade_written(folder, ids, roster)
        lap("manual grading")
        feedback_modules(folder, ids, report, progress=progress, runners=runners)
        lap("feedback")
    report.exports = export_grades(folder, ids, report)
    course = CourseFolder(folder)
    scores = None
    if FORECAST_MODULE in ids:
        scores = forecast_scores(folder, roster)
        report.exports["forecasts"] = course.export("forecasts.csv")
        scores.to_csv(report.exports["forecasts"], index=False)
    grades = pd.read_csv(report.exports["grades"])
    summary = class_summary(grades, roster, ids, scores)
    report.exports["summary"] = course.export(SUMMARY_FILE)
    summary.to_csv(report.exports["summary"], index=False)
    cues = testwise_report(folder, ids)
    report.exports["testwise"] = course.export(TESTWISE_FILE)
    testwise_frame(cues).to_csv(report.exports["testwise"], index=False)
    lap("exports")
    return DemoResult(
        folder, ids, roster, report, report.exports, scores, summary, timings, testwise=cues
    )
