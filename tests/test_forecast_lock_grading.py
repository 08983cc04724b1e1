"""A forecast's first lock, through real grading, after many later saves and a second lock.

A student locks a forecast, then code in the kernel saves it forty more times
through ``AnswerBook.record`` with its default history limit, including a
second, different lock. Graded with the fast path, then re-graded with
execution (``force``), the forecast that counts is still the first lock.
"""

from __future__ import annotations

import pandas as pd
import pytest

from course.answers import AnswerBook
from course.forecasts import record_forecast

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]

MODULE = "00-orientation"
ITEM = "m00-fc-palmyra"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from course.coursefolder import init_course
    from course.gradebatch import grade_course
    from course.keys import load_key
    from course.release import release_modules
    from course.simulate import SimStudent, submit_student

    course = tmp_path_factory.mktemp("forecast") / "course"
    init_course(course, modules=[MODULE])
    release_modules(course, [MODULE])
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    folder = submit_student(course, MODULE, SimStudent("locker", "blank", 0), key)
    book = AnswerBook(MODULE, folder)
    record_forecast(book, ITEM, 70, "Government forces are close to the city.", lock=True)
    for i in range(40):
        book.record(
            ITEM,
            {"probability": 5 + (i % 3), "reason": "Changed my mind.", "locked": i >= 20},
            kind="forecast",
        )
    runs = {}
    for name, fast in (("fast", True), ("force", False)):
        report = grade_course(course, [MODULE], force=True, fast=fast, feedback=False)
        items = pd.read_csv(report.exports["items"])
        runs[name] = (report, items[items["student_id"] == "locker"].set_index("item_id"))
    return runs


@pytest.mark.parametrize("run", ["fast", "force"])
def test_first_lock_counts_after_many_saves(graded, run):
    """Is the first locked forecast (70%) the one scored, not the later lock?"""
    report, items = graded[run]
    assert report.ungraded == 0
    row = items.loc[ITEM]
    assert row["score"] == row["max_score"] > 0
    assert str(row["answer"]).startswith("70%")
