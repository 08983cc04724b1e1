"""Export grades: one row per student and module, and one row per item.

``grades.csv``: student_id, module, score, max_score, needs_manual_grade,
percent. ``items.csv``: student_id, module, item_id,
kind, score, max_score, verdict, answer, problems; written answers appear with
kind ``written`` and their manual score (empty until graded).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .gradebook import open_gradebook

__all__ = ["collect_grades", "collect_items", "export_grades"]


def collect_grades(course_dir: str | Path, modules: list[str]) -> pd.DataFrame:
    """Return the per-student, per-module grades from the gradebook."""
    from nbgrader.api import MissingEntry

    rows = []
    with open_gradebook(course_dir) as gb:
        students = sorted(s.id for s in gb.students)
        for module in modules:
            for student in students:
                try:
                    sub = gb.find_submission(module, student)
                except MissingEntry:
                    continue
                rows.append(
                    {
                        "student_id": student,
                        "module": module,
                        "score": round(float(sub.score), 4),
                        "max_score": float(sub.max_score),
                        "needs_manual_grade": bool(sub.needs_manual_grade),
                    }
                )
    df = pd.DataFrame(
        rows, columns=["student_id", "module", "score", "max_score", "needs_manual_grade"]
    )
    df["percent"] = (100 * df["score"] / df["max_score"].where(df["max_score"] > 0)).round(1)
    return df


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


def export_grades(course_dir: str | Path, modules: list[str]) -> dict[str, Path]:
    """Write ``exports/grades.csv`` and ``exports/items.csv``; return their paths."""
    out = Path(course_dir) / "exports"
    out.mkdir(exist_ok=True)
    grades = collect_grades(course_dir, modules)
    items = collect_items(course_dir, modules)
    paths = {"grades": out / "grades.csv", "items": out / "items.csv"}
    grades.to_csv(paths["grades"], index=False)
    items.to_csv(paths["items"], index=False)
    return paths
