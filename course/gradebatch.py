"""Grade a whole class: autograde, feedback and exports, never stopped by one bad submission."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .coursefolder import course_modules, require_course
from .export import export_grades
from .nbgrader_cli import run_nbgrader
from .reaper import reaping

__all__ = [
    "GradeReport",
    "autograde_modules",
    "feedback_modules",
    "grade_course",
    "submitted_students",
]

Progress = Callable[[str, int, int], None]


@dataclass
class GradeReport:
    """What ``grade_course`` did: who was graded, what went wrong, where the files are."""

    graded: dict[str, list[str]] = field(default_factory=dict)  # module -> students
    failed: dict[str, list[str]] = field(default_factory=dict)  # module -> students
    problems: dict[str, list[str]] = field(default_factory=dict)  # student -> messages
    exports: dict[str, Path] = field(default_factory=dict)
    feedback: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # problems not tied to one student

    def add_problem(self, student: str, message: str) -> None:
        """Record one problem for a student (once)."""
        bucket = self.problems.setdefault(student, [])
        if message not in bucket:
            bucket.append(message)

    @property
    def ungraded(self) -> int:
        """How many student-module pairs were left ungraded."""
        return sum(len(v) for v in self.failed.values())


def submitted_students(course_dir: Path, module: str) -> list[str]:
    """Return the students with a submission of ``module`` in ``submitted/``."""
    root = course_dir / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / module).is_dir())


def _graded_since(course_dir: Path, module: str, student: str, since: float) -> bool:
    autograded = course_dir / "autograded" / student / module / f"{module}.ipynb"
    results = course_dir / "grading" / "results" / student / module / f"{module}.json"
    return autograded.exists() and results.exists() and results.stat().st_mtime >= since - 1


def _collect_problems(course_dir: Path, module: str, student: str, report: GradeReport) -> None:
    results = course_dir / "grading" / "results" / student / module / f"{module}.json"
    try:
        data = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for problem in data.get("problems", []):
        report.add_problem(student, f"{module}: {problem}")
    for item in data.get("items", []):
        if item.get("problems"):
            report.add_problem(student, f"{module} {item['item_id']}: {item['problems']}")


def _last_error(log: str) -> str:
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    for line in reversed(lines):
        if "Error" in line or "error" in line:
            return line[-300:]
    return lines[-1][-300:] if lines else "no output"


def autograde_modules(
    course_dir: Path,
    modules: list[str],
    report: GradeReport,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> None:
    """Autograde every submission of ``modules``; record who was graded and who failed.

    Each module is autograded in one nbgrader process; students it could not
    grade are retried once, each in a process of their own, then reported.
    """
    for index, module in enumerate(modules):
        students = submitted_students(course_dir, module)
        if progress:
            progress(f"Autograding {module} ({len(students)} students)", index, len(modules))
        if not students:
            continue
        started = time.time()
        args = ["autograde", module, "--create"] + (["--force"] if force else [])
        with reaping(leftovers := []):
            run_nbgrader(course_dir, *args)
        report.notes.extend(f"{module}: {note}" for note in leftovers)
        pending = [s for s in students if not _graded_since(course_dir, module, s, started)]
        if not force:
            # Graded in an earlier run and unchanged since: nbgrader skipped them on purpose.
            pending = [s for s in pending if not (course_dir / "autograded" / s / module).exists()]
        for student in pending:
            retry_started = time.time()
            with reaping(notes := []):
                single = run_nbgrader(
                    course_dir, "autograde", module, "--create", "--force", "--student", student
                )
            for note in notes:
                report.add_problem(student, f"{module}: {note}")
            if not _graded_since(course_dir, module, student, retry_started):
                report.failed.setdefault(module, []).append(student)
                report.add_problem(
                    student, f"{module}: could not be autograded ({_last_error(single.log)})"
                )
        report.graded[module] = [s for s in students if s not in report.failed.get(module, [])]
        for student in report.graded[module]:
            _collect_problems(course_dir, module, student, report)
    if progress:
        progress("Autograding done", len(modules), len(modules))


def feedback_modules(
    course_dir: Path, modules: list[str], report: GradeReport, *, progress: Progress | None = None
) -> None:
    """Generate feedback HTML for every graded submission of ``modules``."""
    for index, module in enumerate(modules):
        if progress:
            progress(f"Generating feedback for {module}", index, len(modules))
        if not report.graded.get(module):
            continue
        fb = run_nbgrader(course_dir, "generate_feedback", module, "--force")
        for student in report.graded[module]:
            html = course_dir / "feedback" / student / module / f"{module}.html"
            if not html.exists():
                detail = f" ({_last_error(fb.log)})" if not fb.ok else ""
                report.add_problem(student, f"{module}: feedback could not be generated{detail}")
            else:
                report.feedback.append(html)
    if progress:
        progress("Feedback done", len(modules), len(modules))


def grade_course(
    course_dir: str | Path,
    modules: list[str] | None = None,
    *,
    force: bool = False,
    feedback: bool = True,
    progress: Progress | None = None,
) -> GradeReport:
    """Autograde every submission, generate feedback and export grades.

    The batch always completes; :attr:`GradeReport.failed` lists what was
    left ungraded and :attr:`GradeReport.problems` every problem per student.
    """
    course_dir = require_course(course_dir)
    modules = modules or course_modules(course_dir)
    report = GradeReport()
    autograde_modules(course_dir, modules, report, force=force, progress=progress)
    if feedback:
        feedback_modules(course_dir, modules, report, progress=progress)
    report.exports = export_grades(course_dir, modules)
    return report
