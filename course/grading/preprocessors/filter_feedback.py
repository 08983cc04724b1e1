"""FilterFeedback: keep grader-only material out of student feedback, and show each score once.

The feedback page is drawn by the course's own template
(:data:`FEEDBACK_TEMPLATE`, in :data:`FEEDBACK_TEMPLATES_DIR`), which prints
what this step leaves in ``resources["course_feedback"]``: the scores, read
from the gradebook and formatted with :func:`course.render.format_points`,
and whether the page is provisional (some answer of the student's module
still awaits grading by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Unicode

from ...render import (
    VERDICT_WORDS,
    format_points,
    replace_score,
    saved_verdict,
    score_html,
    score_text,
)
from ..explain import ScheduleError, explanations_released, read_schedule

__all__ = [
    "FEEDBACK_TEMPLATE",
    "FEEDBACK_TEMPLATES_DIR",
    "FilterFeedback",
    "PendingGrade",
    "pending_manual_grades",
    "provisional_notice",
]

#: The nbconvert template of student feedback (``c.GenerateFeedback.HTMLExporter.template_name``).
FEEDBACK_TEMPLATE = "course-feedback"
#: The folder holding :data:`FEEDBACK_TEMPLATE` (``extra_template_basedirs``).
FEEDBACK_TEMPLATES_DIR = str(Path(__file__).resolve().parent.parent / "templates")

#: How an item's score reads when a grader changed the autograded score by hand.
BY_HAND = "set by your instructor"


@dataclass(frozen=True)
class PendingGrade:
    """One answer of a submission that awaits grading by hand (``needs_manual_grade``)."""

    notebook: str
    grade_id: str
    cell_type: str  # "markdown" for a written answer


def pending_manual_grades(gradebook: Any, module: str, student: str) -> list[PendingGrade]:
    """Return the answers of a student's module that still await grading by hand.

    Parameters
    ----------
    gradebook : nbgrader.api.Gradebook
        An open gradebook.
    module : str
        The assignment (module id).
    student : str
        The student id.

    Returns
    -------
    list of PendingGrade
        One per grade whose ``needs_manual_grade`` is set, in notebook order;
        empty if the student has no submission of ``module``.
    """
    from nbgrader.api import MissingEntry

    try:
        submission = gradebook.find_submission(module, student)
    except MissingEntry:
        return []
    return [
        PendingGrade(notebook.name, grade.name, str(grade.cell_type))
        for notebook in sorted(submission.notebooks, key=lambda n: n.name)
        for grade in sorted(notebook.grades, key=lambda g: g.name)
        if grade.needs_manual_grade
    ]


def provisional_notice(pending: list[PendingGrade]) -> str:
    """Return the sentence under "Provisional feedback" for the answers in ``pending``.

    >>> provisional_notice([PendingGrade("m", "w1", "markdown")])
    '1 written answer is not graded yet, so the score shown is not final. Your instructor \
grades it by hand; you will then get updated feedback.'
    """
    count = len(pending)
    what = "written answer" if all(p.cell_type == "markdown" for p in pending) else "answer"
    subject = f"1 {what} is" if count == 1 else f"{count} {what}s are"
    return (
        f"{subject} not graded yet, so the score shown is not final. Your instructor grades "
        f"{'it' if count == 1 else 'them'} by hand; you will then get updated feedback."
    )


@dataclass(frozen=True)
class _Grade:
    score: float
    max_score: float
    pending: bool
    by_hand: bool  # a grader changed an autograded score


class FilterFeedback(NbGraderPreprocessor):
    """Remove rubrics and, unless allowed, correct answers; show each score once.

    Students always see their own answer, their score and the verdict. Once
    the module's explanations are released (``course explain``, which dates the
    release in ``explanations_schedule``; or ``show_explanations = True`` for
    every module) they also see the correct answer and the explanation with its
    sources.

    Every score comes from the gradebook, so a score a grader changed in
    formgrader shows as changed. An item's score is shown once, in the item's
    own rendering, with its verdict; its grade cell (the code students never
    wrote) is hidden, and so are the grade cell's copies of the score (the
    grader's note and the number nbgrader reads). A written answer awaiting
    grading by hand shows "Not graded yet" instead of 0, and the page says it
    is provisional (see the course's feedback template).
    """

    show_explanations = Bool(
        False,
        help="Show each item's correct answer and explanation in student feedback.",
    ).tag(config=True)

    explanations_schedule = Unicode(
        "",
        help=(
            "The course's explanations.json: each module's release time for correct answers "
            "and explanations (see course.grading.explain); empty for none."
        ),
    ).tag(config=True)

    def explanations_shown(self, module: str) -> bool:
        """Whether this feedback may show ``module``'s correct answers and explanations.

        An unreadable schedule releases nothing (keys stay hidden) and is logged.
        """
        if self.show_explanations:
            return True
        if not self.explanations_schedule or not module:
            return False
        try:
            schedule = read_schedule(self.explanations_schedule)
        except ScheduleError as exc:
            self.log.warning("Explanations stay hidden: %s", exc)
            return False
        return explanations_released(schedule, module)

    def preprocess(self, nb, resources):
        module = str(resources.get("nbgrader", {}).get("assignment", ""))
        reveal = self.explanations_shown(module)
        nb.cells = [
            cell for cell in nb.cells if cell.metadata.get("course", {}).get("role") != "rubric"
        ]
        grades, pending, total = self._read_gradebook(resources)
        shown_in_item: set[str] = set()
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if not reveal:
                cell.outputs = [out for out in cell.outputs if not _is_reveal(out)]
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            item_id = grade_id[: -len("-item")] if grade_id.endswith("-item") else ""
            if item_id in grades and _restate_item_score(cell, grades[item_id]):
                shown_in_item.add(item_id)
        cells: dict[str, dict[str, Any]] = {}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not (utils.is_grade(cell) or utils.is_task(cell)):
                continue
            grade_id = meta.get("grade_id", "")
            grade = grades.get(grade_id)
            if cell.cell_type == "code" and not utils.is_solution(cell):
                self._quiet_grade_cell(cell, in_item=grade_id in shown_in_item)
            cells[grade_id] = {
                "score": _points_text(grade) if grade else None,
                "pending": bool(grade and grade.pending),
                "in_item": grade_id in shown_in_item,
            }
        resources["course_feedback"] = {
            "cells": cells,
            "total": total,
            "provisional": len(pending),
            "notice": provisional_notice(pending) if pending else "",
        }
        return nb, resources

    @staticmethod
    def _quiet_grade_cell(cell, *, in_item: bool) -> None:
        """Drop a code grade cell's copies of its score; hide it when its item shows the score."""
        course_grade = cell.metadata.get("course", {}).get("role") == "grade"
        cell.outputs = [
            out
            for out in cell.outputs
            if out.get("output_type") != "execute_result"  # the number nbgrader reads
            and not (course_grade and out.get("output_type") == "stream")  # the grader's note
        ]
        if in_item:
            cell.metadata.setdefault("transient", {})["remove_source"] = True

    def _read_gradebook(
        self, resources
    ) -> tuple[dict[str, _Grade], list[PendingGrade], dict[str, Any]]:
        """Return this notebook's grades, the module's pending answers and the page's total."""
        from nbgrader.api import Gradebook, MissingEntry

        info = resources.get("nbgrader") or {}
        if not info.get("db_url"):
            return {}, [], {}
        notebook_id, module, student = info["notebook"], info["assignment"], info["student"]
        with Gradebook(info["db_url"]) as gb:
            pending = pending_manual_grades(gb, module, student)
            try:
                notebook = gb.find_submission_notebook(notebook_id, module, student)
            except MissingEntry:
                return {}, pending, {}
            grades = {
                g.name: _Grade(
                    score=float(g.score or 0.0),
                    max_score=float(g.max_score or 0.0),
                    pending=bool(g.needs_manual_grade),
                    by_hand=g.manual_score is not None
                    and g.auto_score is not None
                    and abs(float(g.manual_score) - float(g.auto_score)) > 1e-9,
                )
                for g in notebook.grades
            }
            late = float(notebook.late_submission_penalty or 0.0)
            score = float(notebook.score or 0.0) - late
            total = {
                "score": score_text(score, float(notebook.max_score or 0.0)),
                "late_penalty": f"-{format_points(late)}" if late > 0 else "",
            }
        return grades, pending, total


def _is_reveal(output) -> bool:
    return bool(output.get("metadata", {}).get("course", {}).get("reveal"))


def _points_text(grade: _Grade) -> str:
    """Return ``Score: 1.5 / 2`` for a grade (``Not graded yet`` while it awaits a grader)."""
    if grade.pending and grade.score == 0:
        return "Not graded yet"
    return score_text(grade.score, grade.max_score)


def _restate_item_score(cell, grade: _Grade) -> bool:
    """Put the gradebook's score into an item's rendering; return whether it had a score line."""
    found = False
    for out in cell.outputs:
        data = out.get("data") or {}
        rendering = data.get("text/html")
        if not isinstance(rendering, str):
            continue
        verdict = saved_verdict(rendering)
        words = BY_HAND if grade.by_hand else VERDICT_WORDS.get(verdict or "", verdict)
        line = score_html(grade.score, grade.max_score, words, verdict=verdict)
        data["text/html"], replaced = replace_score(rendering, line)
        if replaced and isinstance(data.get("text/plain"), str):
            text = score_text(grade.score, grade.max_score, words)
            data["text/plain"], _ = replace_score(data["text/plain"], text, html_line=False)
        found = found or replaced
    return found
