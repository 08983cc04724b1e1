"""What is already graded, and the gradebook rows the parallel phase must not race to create.

A submission counts as graded when its autograded notebooks and per-item
results exist, the gradebook has the submission, and the submission has not
been collected again since (nbgrader's own rule: the ``timestamp.txt`` in
``submitted/`` is not newer than the copy in ``autograded/``).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from ..gradebook import open_gradebook
from ..paths import CourseFolder

__all__ = ["ensure_students", "graded_submissions", "is_graded", "submitted_students"]


def submitted_students(course_dir: str | Path, module: str) -> list[str]:
    """Return the students with a submission of ``module`` in ``submitted/``."""
    root = CourseFolder(course_dir).submitted()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / module).is_dir())


def _timestamp(folder: Path) -> _dt.datetime | None:
    from nbgrader.utils import parse_utc

    try:
        text = (folder / "timestamp.txt").read_text(encoding="utf-8").strip()
        return parse_utc(text) if text else None
    except (OSError, ValueError, OverflowError):
        return None


def _newest_mtime(folder: Path) -> float:
    return max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file()), default=0.0)


def is_graded(
    course_dir: str | Path, module: str, student: str, *, since: float | None = None
) -> bool:
    """Return True if the files of a graded, current submission are all in place.

    The one test of "is this submission graded?": every notebook handed in
    (or the module's own, if none was) has its autograded copy and its
    per-item results, and the grading is current. Current means, with
    ``since`` (a :func:`time.time` value), that every results file was
    written at or after it (this run graded it); without, that the
    submission was not collected again after it was graded (nbgrader's
    ``timestamp.txt`` rule, else file times). The gradebook is not consulted
    here; see :func:`graded_submissions`.
    """
    folder = CourseFolder(course_dir)
    submitted = folder.submitted(student, module)
    autograded = folder.autograded(student, module)
    notebooks = [p.stem for p in folder.source_notebooks(module)] or [module]
    results = [folder.results_file(student, module, nb) for nb in notebooks]
    try:
        if not all((autograded / f"{nb}.ipynb").exists() for nb in notebooks):
            return False
        if not all(path.exists() for path in results):
            return False
        if since is not None:
            return all(path.stat().st_mtime >= since - 1 for path in results)
        new, old = _timestamp(submitted), _timestamp(autograded)
        if new is not None and old is not None:
            return new <= old
        return _newest_mtime(submitted) <= min(path.stat().st_mtime for path in results)
    except OSError:
        return False


def graded_submissions(course_dir: str | Path, module: str) -> set[str]:
    """Return the students whose submission of ``module`` is in the gradebook and graded."""
    from nbgrader.api import MissingEntry

    try:
        with open_gradebook(course_dir) as gb:
            in_gradebook = {sub.student_id for sub in gb.assignment_submissions(module)}
    except MissingEntry:
        return set()
    return {s for s in in_gradebook if is_graded(course_dir, module, s)}


def ensure_students(course_dir: str | Path, students: set[str] | list[str]) -> list[str]:
    """Add every student missing from the gradebook, one by one; return those added.

    Run before the parallel phase, so that concurrent workers never race to
    create the same rows (nbgrader's ``--create`` would otherwise insert them
    from several processes at once).
    """
    from nbgrader.api import MissingEntry

    added = []
    with open_gradebook(course_dir) as gb:
        for student in sorted(set(students)):
            try:
                gb.find_student(student)
            except MissingEntry:
                gb.add_student(student)
                added.append(student)
    return added
