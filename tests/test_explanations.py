"""Answers and explanations after the deadline: `course explain`, dated releases, debriefs, leaks.

One course (the fixture module) is graded for real with `course grade`; its
feedback is then written again with the explanations hidden, scheduled for
later, and released, and the debrief is written in both states.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from course.cli import app
from course.grading.explain import (
    ScheduleError,
    early_releases,
    explanations_released,
    parse_when,
    read_schedule,
    write_schedule,
)
from course.keys import load_key
from course.release import find_leaks
from course.simulate import SimStudent, submit_student

MODULE = "90-fixture"
STUDENT = "ana"
runner = CliRunner()


# -- the schedule file ---------------------------------------------------------------------


def test_dates_are_read_as_utc_and_now_is_now():
    """Are a date, a naive time and an offset all read as the right UTC instant?"""
    assert parse_when("2026-12-10") == dt.datetime(2026, 12, 10, tzinfo=dt.UTC)
    assert parse_when("2026-12-10T09:00") == dt.datetime(2026, 12, 10, 9, tzinfo=dt.UTC)
    assert parse_when("2026-12-10T10:00+01:00") == dt.datetime(2026, 12, 10, 9, tzinfo=dt.UTC)
    assert abs(parse_when("now") - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)
    with pytest.raises(ScheduleError, match="not a date"):
        parse_when("next Tuesday")


def test_a_release_counts_from_its_time_on(tmp_path):
    """Is a module released at its time and after, not before, and never if not listed?"""
    path = tmp_path / "explanations.json"
    when = dt.datetime(2026, 12, 10, 9, tzinfo=dt.UTC)
    write_schedule(path, {MODULE: when})
    schedule = read_schedule(path)
    assert not explanations_released(schedule, MODULE, when - dt.timedelta(seconds=1))
    assert explanations_released(schedule, MODULE, when)
    assert not explanations_released(schedule, "01-close-reading", when)


def test_module_00_answers_wait_for_module_08():
    """Is releasing module 00 (whose key resolves the forecasts) before module 08 caught?"""
    now = dt.datetime(2026, 12, 10, tzinfo=dt.UTC)
    later = now + dt.timedelta(days=7)
    assert early_releases({"00-orientation": now}) == [("00-orientation", "08-hindsight")]
    assert early_releases({"00-orientation": now, "08-hindsight": later}) == [
        ("00-orientation", "08-hindsight")
    ]
    assert early_releases({"00-orientation": later, "08-hindsight": now}) == []
    assert early_releases({"00-orientation": now, "08-hindsight": now}) == []
    assert early_releases({"01-close-reading": now}) == []


@pytest.mark.parametrize(
    "content",
    ['["90-fixture"]', '{"90-fixture": 5}', '{"90-fixture": "soon"}', "{", "x" * 70_000],
)
def test_a_bad_schedule_file_is_refused(tmp_path, content):
    """Is a schedule of the wrong shape, with a non-date, broken or huge, refused clearly?"""
    path = tmp_path / "explanations.json"
    path.write_text(content)
    with pytest.raises(ScheduleError):
        read_schedule(path)


def test_a_linked_schedule_file_is_refused(tmp_path):
    """Is a schedule that is a link (to anything) refused rather than followed?"""
    target = tmp_path / "elsewhere.json"
    target.write_text(json.dumps({MODULE: "2000-01-01"}))
    link = tmp_path / "explanations.json"
    os.symlink(target, link)
    with pytest.raises(ScheduleError, match="not a regular file"):
        read_schedule(link)


# -- a graded course ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def course(copy_course, tmp_path_factory) -> Path:
    """The fixture course with one student graded by `course grade`."""
    folder = copy_course(tmp_path_factory.mktemp("explain") / "course")
    key = load_key(folder / "autograde" / "keys" / f"{MODULE}.yaml")
    submit_student(folder, MODULE, SimStudent(STUDENT, "partial", 0.5), key)
    result = runner.invoke(app, ["grade", str(folder), MODULE])
    assert result.exit_code == 0, result.output
    return folder


def _feedback(course: Path) -> str:
    return (course / "feedback" / STUDENT / MODULE / f"{MODULE}.html").read_text()


def _regrade(course: Path) -> str:
    result = runner.invoke(app, ["grade", str(course), MODULE])
    assert result.exit_code == 0, result.output
    return _feedback(course)


def _key_text(course: Path) -> list[str]:
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    return [item.explanation for item in key.items.values() if item.explanation]


@pytest.mark.nbgrader
@pytest.mark.slow
def test_explanations_stay_hidden_until_their_release_time(course):
    """Before release, and while only scheduled, does feedback hold no answer or key text?"""
    html = _feedback(course)
    assert "Correct answer:" not in html
    assert not [t for t in _key_text(course) if t[:60] in html]
    result = runner.invoke(app, ["explain", str(course), MODULE, "--at", "2999-01-01"])
    assert result.exit_code == 0, result.output
    assert "scheduled for 2999-01-01" in " ".join(result.output.split())
    html = _regrade(course)
    assert "Correct answer:" not in html
    assert not [t for t in _key_text(course) if t[:60] in html]
    assert find_leaks(course / "release" / MODULE, load_key(
        course / "autograde" / "keys" / f"{MODULE}.yaml"
    )) == []  # fmt: skip


@pytest.mark.nbgrader
@pytest.mark.slow
def test_released_explanations_reach_the_feedback_and_nothing_else(course):
    """Once released, does feedback show each correct answer and explanation, the release none?"""
    result = runner.invoke(app, ["explain", str(course), MODULE, "--at", "now"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "released since" in flat and f"course grade {course}" in flat.replace("\n", "")
    html = _regrade(course)
    assert "Correct answer:" in html
    assert "C32" in html  # f-single's explanation cites C32
    assert "Rubric for" not in html  # rubrics are the grader's, always
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    assert find_leaks(course / "release" / MODULE, key) == []
    # Withdrawn again: feedback written from now on hides them.
    result = runner.invoke(app, ["explain", str(course), MODULE, "--withdraw"])
    assert result.exit_code == 0, result.output
    assert "Correct answer:" not in _regrade(course)


@pytest.mark.nbgrader
@pytest.mark.slow
def test_the_debrief_waits_for_the_release_unless_previewed(course):
    """Is the debrief refused before release, marked as a preview, and full after release?"""
    runner.invoke(app, ["explain", str(course), MODULE, "--withdraw"])
    refused = runner.invoke(app, ["debrief", str(course), MODULE])
    assert refused.exit_code != 0
    assert "--preview" in refused.output
    assert not (course / "debrief" / f"{MODULE}.html").exists()
    preview = runner.invoke(app, ["debrief", str(course), MODULE, "--preview"])
    assert preview.exit_code == 0, preview.output
    page = (course / "debrief" / f"{MODULE}.html").read_text()
    assert "Instructor's preview" in page
    runner.invoke(app, ["explain", str(course), MODULE, "--at", "now"])
    result = runner.invoke(app, ["debrief", str(course), MODULE])
    assert result.exit_code == 0, result.output
    page = (course / "debrief" / f"{MODULE}.html").read_text()
    assert "Instructor's preview" not in page
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    for item_id in key.items:
        assert f"{item_id} ·" in page
    assert "Confuses the Palmyra battle paragraph" in page  # a misconception, for class
    assert "What a strong answer contains" in page  # the written answer
    assert "full credit" in page and "Debrief these first" in page  # the class's results
