"""Export grades: one row per student and module, one row per item, and LMS imports.

``grades.csv``: student_id, module, score, max_score, percent,
needs_manual_grade, graded, problems. Every student with a submission is
listed, graded or not: ``graded`` is False (and the score empty) for a
submission that could not be autograded, and ``problems`` says why.

``items.csv``: student_id, module, item_id, kind, score, max_score, verdict,
answer, problems; written answers appear with kind ``written`` and their
manual score (empty until graded).

``canvas.csv`` and ``moodle.csv``: the module scores in each LMS's grade-import
format (:mod:`course.lms`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .gradebook import open_gradebook
from .lms import write_lms_exports

if TYPE_CHECKING:
    from .gradebatch import GradeReport

__all__ = [
    "GRADE_COLUMNS",
    "collect_grades",
    "collect_items",
    "collect_students",
    "export_grades",
]

GRADE_COLUMNS = [
    "student_id", "module", "score", "max_score", "percent", "needs_manual_grade", "graded",
    "problems",
]  # fmt: skip


def _submitted(course_dir: Path, module: str) -> set[str]:
    root = course_dir / "submitted"
    return {p.name for p in root.iterdir() if (p / module).is_dir()} if root.is_dir() else set()


def _is_autograded(course_dir: Path, module: str, student: str) -> bool:
    folder = course_dir / "autograded" / student / module
    results = course_dir / "grading" / "results" / student / module
    return folder.is_dir() and any(folder.glob("*.ipynb")) and any(results.glob("*.json"))


def _problems(course_dir: Path, module: str, student: str, report: GradeReport | None) -> str:
    if report is not None:
        prefix = f"{module}"
        found = [m for m in report.problems.get(student, []) if m.startswith(prefix)]
        return "; ".join(m[len(prefix) :].lstrip(" :") for m in found)
    found = []
    for path in sorted((course_dir / "grading" / "results" / student / module).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found += data.get("problems", [])
        found += [
            f"{i['item_id']}: {i['problems']}" for i in data.get("items", []) if i.get("problems")
        ]
    return "; ".join(found)


def collect_grades(
    course_dir: str | Path, modules: list[str], report: GradeReport | None = None
) -> pd.DataFrame:
    """Return one row per student and module: the gradebook's score and whether it is graded.

    Parameters
    ----------
    course_dir : path-like
        The course folder.
    modules : list of str
        Modules to include.
    report : GradeReport, optional
        The grading run's report; its problems fill the ``problems`` column
        (default: the problems recorded in the per-item results).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GRADE_COLUMNS`, sorted by module and student. A
        student with a submission but no gradebook row has an empty score.
    """
    from nbgrader.api import MissingEntry

    course_dir = Path(course_dir)
    rows = []
    with open_gradebook(course_dir) as gb:
        known = {s.id for s in gb.students}
        for module in modules:
            submitted = _submitted(course_dir, module)
            for student in sorted(known | submitted):
                try:
                    sub = gb.find_submission(module, student) if student in known else None
                except MissingEntry:
                    sub = None
                if sub is None and student not in submitted:
                    continue
                graded = _is_autograded(course_dir, module, student)
                rows.append(
                    {
                        "student_id": student,
                        "module": module,
                        "score": round(float(sub.score), 4) if sub is not None and graded else None,
                        "max_score": float(sub.max_score) if sub is not None else None,
                        "needs_manual_grade": bool(sub.needs_manual_grade) if sub else False,
                        "graded": graded,
                        "problems": _problems(course_dir, module, student, report),
                    }
                )
    df = pd.DataFrame(rows, columns=[c for c in GRADE_COLUMNS if c != "percent"])
    df["score"] = df["score"].astype(float)
    df["max_score"] = df["max_score"].astype(float)
    df["percent"] = (100 * df["score"] / df["max_score"].where(df["max_score"] > 0)).round(1)
    return df[GRADE_COLUMNS]


def collect_students(course_dir: str | Path) -> pd.DataFrame:
    """Return the gradebook's students: student_id, first_name, last_name, email, lms_user_id."""
    columns = ["student_id", "first_name", "last_name", "email", "lms_user_id"]
    with open_gradebook(course_dir) as gb:
        rows = [
            {
                "student_id": s.id,
                "first_name": s.first_name or "",
                "last_name": s.last_name or "",
                "email": s.email or "",
                "lms_user_id": s.lms_user_id or "",
            }
            for s in gb.students
        ]
    return pd.DataFrame(rows, columns=columns).sort_values("student_id", ignore_index=True)


def collect_items(course_dir: str | Path, modules: list[str]) -> pd.DataFrame:
    """Return one row per student and item (course items and written answers)."""
    from nbgrader.api import MissingEntry

    course_dir = Path(course_dir)
    rows = []
    for path in sorted((course_dir / "grading" / "results").glob("*/*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["assignment"] not in modules:
            continue
        for item in data["items"]:
            rows.append(
                {
                    "student_id": data["student"],
                    "module": data["assignment"],
                    "item_id": item["item_id"],
                    "kind": item["kind"],
                    "score": item["score"],
                    "max_score": item["max_score"],
                    "verdict": item["verdict"],
                    "answer": item["answer"],
                    "problems": item["problems"],
                }
            )
    with open_gradebook(course_dir) as gb:
        for module in modules:
            try:
                assignment = gb.find_assignment(module)
            except MissingEntry:
                continue
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    if cell.cell_type != "markdown":
                        continue
                    for student in gb.students:
                        try:
                            grade = gb.find_grade(cell.name, notebook.name, module, student.id)
                        except MissingEntry:
                            continue
                        score = grade.score if not grade.needs_manual_grade else None
                        rows.append(
                            {
                                "student_id": student.id,
                                "module": module,
                                "item_id": cell.name,
                                "kind": "written",
                                "score": score,
                                "max_score": float(cell.max_score),
                                "verdict": "needs manual grade"
                                if grade.needs_manual_grade
                                else "graded",
                                "answer": "",
                                "problems": "",
                            }
                        )
    columns = [
        "student_id", "module", "item_id", "kind", "score", "max_score", "verdict", "answer",
        "problems",
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=columns)
    return df.sort_values(["module", "student_id", "item_id"], kind="stable").reset_index(drop=True)


def export_grades(
    course_dir: str | Path, modules: list[str], report: GradeReport | None = None
) -> dict[str, Path]:
    """Write the exports to ``exports/`` and return their paths by name.

    ``grades``, ``items``, ``canvas`` and ``moodle`` (see the module docstring).
    """
    course_dir = Path(course_dir)
    out = course_dir / "exports"
    out.mkdir(exist_ok=True)
    grades = collect_grades(course_dir, modules, report)
    items = collect_items(course_dir, modules)
    paths = {"grades": out / "grades.csv", "items": out / "items.csv"}
    grades.to_csv(paths["grades"], index=False)
    items.to_csv(paths["items"], index=False)
    lms = write_lms_exports(course_dir, grades, collect_students(course_dir), modules)
    paths.update(lms.paths)
    if report is not None:
        report.notes.extend(lms.notes)
    return paths
