"""Estimated time: every module's stated minutes agree with the read-through model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from course.build import build_notebook
from course.lessons import find_lessons
from course.minutes import (
    READING_WPM,
    TOLERANCE,
    WRITTEN_MINUTES_PER_POINT,
    estimate_minutes,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lessons"


def _fixture():
    return find_lessons(FIXTURES, None)[0]


def test_more_prose_means_more_reading_time():
    """Does adding READING_WPM words of prose add one minute of reading, and nothing else?"""
    lesson = _fixture()
    nb = build_notebook(lesson)
    before = estimate_minutes(lesson, nb)
    nb.cells.append(nbformat.v4.new_markdown_cell(" ".join(["evidence"] * READING_WPM)))
    after = estimate_minutes(lesson, nb)
    assert after.words == before.words + READING_WPM
    assert after.reading == pytest.approx(before.reading + 1)
    assert (after.items, after.code, after.writing) == (before.items, before.code, before.writing)


def test_written_answers_are_timed_by_their_points():
    """Is each written answer's writing time its points times the allowance per point?"""
    lesson = _fixture()
    nb = build_notebook(lesson)
    points = sum(
        float(c.metadata["nbgrader"]["points"])
        for c in nb.cells
        if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
    )
    assert points > 0
    assert estimate_minutes(lesson, nb).writing == pytest.approx(WRITTEN_MINUTES_PER_POINT * points)


def test_stated_minutes_far_from_the_model_fail_the_check():
    """Does a module claiming half its estimated time get flagged, with a suggested figure?"""
    lesson = _fixture()
    estimate = estimate_minutes(lesson)
    short = estimate_minutes(replace(lesson, minutes=max(1, round(estimate.total / 2))))
    assert not short.within_tolerance
    assert short.suggested >= estimate.total and short.suggested % 5 == 0


@pytest.mark.parametrize("lesson", find_lessons(None, None), ids=lambda lesson: lesson.id)
def test_every_module_states_the_minutes_the_model_estimates(lesson):
    """Is each module's stated time within the tolerance of its read-through estimate?"""
    estimate = estimate_minutes(lesson)
    assert abs(lesson.minutes - estimate.total) <= TOLERANCE * estimate.total, (
        f"{lesson.id}: states {lesson.minutes} min, model {estimate.total:.0f} "
        f"({estimate.describe()}); suggested {estimate.suggested}"
    )
