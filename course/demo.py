"""The embedded demo: a whole course cycle on a simulated class, in a temporary folder."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .coursefolder import init_course
from .export import export_grades
from .gradebatch import GradeReport, autograde_modules, feedback_modules
from .gradebook import open_gradebook
from .release import release_modules
from .simulate import SimStudent, class_roster, manual_score, submit_class

__all__ = ["DemoResult", "run_demo"]


@dataclass
class DemoResult:
    """Where the demo put things and how the class did."""

    course_dir: Path
    modules: list[str]
    roster: list[SimStudent]
    report: GradeReport
    exports: dict[str, Path] = field(default_factory=dict)


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
    return DemoResult(folder, ids, roster, report, report.exports)
