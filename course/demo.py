"""The embedded demo: a whole course cycle on a simulated class, in a temporary folder."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .coursefolder import init_course
from .export import export_grades
from .forecasts import brier, read_locked
from .gradebatch import GradeReport, autograde_modules, feedback_modules
from .gradebook import open_gradebook
from .keys import load_key
from .release import release_modules
from .simulate import SimStudent, class_roster, manual_score, submit_class

__all__ = ["FORECAST_MODULE", "DemoResult", "forecast_scores", "run_demo"]

#: The module whose locked forecasts the demo scores.
FORECAST_MODULE = "00-orientation"


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
    course_dir = Path(course_dir)
    key = load_key(course_dir / "autograde" / "keys" / f"{module}.yaml")
    outcomes = {i: k.outcome for i, k in key.items.items() if k.outcome is not None}
    rows = []
    for student in roster:
        locked = read_locked(module, course_dir / "submitted" / student.id / module)
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
                            grade.manual_score = manual_score(
                                profiles[student.id], float(cell.max_score)
                            )
        gb.db.commit()


def run_demo(
    students: int = 12,
    *,
    seed: int = 2016,
    course_dir: str | Path | None = None,
    modules: list[str] | None = None,
    progress=None,
) -> DemoResult:
    """Build a temporary course, release it, submit a simulated class, grade it and export.

    Parameters
    ----------
    students : int, default 12
        Class size: one perfect student, one blank, the rest partly right.
    seed : int, default 2016
        Seed of the simulated class; the same seed gives the same answers.
    course_dir : path-like, optional
        Where to build the course (default: a new temporary folder).
    """
    folder = Path(course_dir) if course_dir else Path(tempfile.mkdtemp(prefix="course-demo-"))
    if progress:
        progress("Building the course folder", 0, 5)
    lessons = init_course(folder, modules=modules, show_explanations=True, timeout=30)
    ids = [lesson.id for lesson in lessons]
    if progress:
        progress("Releasing modules", 1, 5)
    release_modules(folder, ids)
    roster = class_roster(students, seed)
    if progress:
        progress(f"Submitting {len(roster)} simulated students", 2, 5)
    submit_class(folder, ids, roster, seed=seed)
    report = GradeReport()
    autograde_modules(folder, ids, report, force=True, progress=progress)
    _grade_written(folder, ids, roster)
    feedback_modules(folder, ids, report, progress=progress)
    report.exports = export_grades(folder, ids)
    scores = None
    if FORECAST_MODULE in ids:
        scores = forecast_scores(folder, roster)
        report.exports["forecasts"] = folder / "exports" / "forecasts.csv"
        scores.to_csv(report.exports["forecasts"], index=False)
    return DemoResult(folder, ids, roster, report, report.exports, scores)
