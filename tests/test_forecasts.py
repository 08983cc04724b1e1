"""Locked forecasts: the Brier score, reading module 00's locks, and completion grading."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pandas as pd
import pytest

from course.answers import AnswerBook
from course.demo import forecast_scores
from course.forecasts import (
    brier,
    find_answers,
    first_locked,
    normalize,
    read_locked,
    record_forecast,
)
from course.grading.score import describe_key, score_item
from course.items.spec import ItemSpec
from course.keys import ItemKey, KeyFileError, check_key_against_spec, load_key
from course.simulate import SimStudent, answer_for

ROOT = Path(__file__).resolve().parent.parent

SPEC = ItemSpec.build(
    "forecast",
    id="m00-fc-x",
    prompt="Will it happen?",
    resolution="YES if it happens before 2018.",
    as_of="April 2016",
    points=1,
)
KEY = ItemKey("m00-fc-x", explanation="Resolved YES (S75; C31).", completion=True, outcome=1)


# -- brier --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probabilities", "outcomes", "expected"),
    [
        ([0.9, 0.2, 0.6, 0.5], [1, 0, 0, 1], 0.165),
        ([0.5, 0.5, 0.5], [1, 0, 1], 0.25),
        ([1.0, 0.0], [1, 0], 0.0),
        ([1.0, 0.0], [0, 1], 1.0),
        ([0.7], [True], 0.09),
    ],
)
def test_brier_is_the_mean_squared_gap(probabilities, outcomes, expected):
    """Does brier give the textbook values (perfect 0, coin flip 0.25, worst 1)?"""
    assert brier(probabilities, outcomes) == pytest.approx(expected)


def test_brier_scores_mappings_over_the_ids_they_share():
    """With mappings, are only the resolved forecasts scored?"""
    probabilities = {"a": 0.8, "b": 0.3, "c": 0.5}
    assert brier(probabilities, {"a": 1, "b": 0}) == pytest.approx((0.04 + 0.09) / 2)


@pytest.mark.parametrize(
    ("probabilities", "outcomes", "message"),
    [
        ([70], [1], "divide percentages by 100"),
        ([0.7], [2], "1 .it happened. or 0"),
        ([], [], "nothing to score"),
        ({"a": 0.5}, {"b": 1}, "nothing to score"),
        ([0.5, 0.5], [1], "2 probabilities but 1 outcomes"),
        ({"a": 0.5}, [1], "outcomes as mappings, or both as lists"),
    ],
)
def test_brier_refuses_mistakes_with_advice(probabilities, outcomes, message):
    """Are percentages, odd outcomes and empty inputs refused with a message naming the fix?"""
    with pytest.raises(ValueError, match=message):
        brier(probabilities, outcomes)


# -- first_locked and read_locked ------------------------------------------------


def test_first_locked_falls_back_to_the_history(tmp_path):
    """Without a first_locked field, is the earliest locked revision still what counts?"""
    book = AnswerBook("00-orientation", tmp_path)
    record_forecast(book, "m00-fc-x", 40, "draft")
    record_forecast(book, "m00-fc-x", 60, "final", lock=True)
    book.record("m00-fc-x", {"probability": 10, "locked": False}, kind="forecast")
    rec = book.get("m00-fc-x")
    assert rec["first_locked"]["probability"] == 60  # the writer carries the first lock
    del rec["first_locked"]  # as in a record written by other code
    assert first_locked(rec)["probability"] == 60


def test_first_locked_is_none_for_drafts_and_other_kinds(tmp_path):
    """Is a forecast that was never locked, or another item's record, not a locked forecast?"""
    book = AnswerBook("00-orientation", tmp_path)
    record_forecast(book, "m00-fc-x", 40, "draft")
    assert first_locked(book.get("m00-fc-x")) is None
    assert (
        first_locked({"kind": "single_choice", "value": {"probability": 5, "locked": True}}) is None
    )
    assert first_locked(None) is None


def test_read_locked_finds_module_00_beside_the_module_folder(tmp_path, monkeypatch):
    """From 08-hindsight/, does read_locked find ../00-orientation and read only locks?"""
    (tmp_path / "00-orientation").mkdir()
    (tmp_path / "08-hindsight").mkdir()
    book = AnswerBook("00-orientation", tmp_path / "00-orientation")
    record_forecast(book, "m00-fc-a", 70, "locked", lock=True)
    record_forecast(book, "m00-fc-a", 5, "a later change")
    record_forecast(book, "m00-fc-b", 30, "never locked")
    book.record("m00-stop", "b", kind="single_choice")
    monkeypatch.chdir(tmp_path / "08-hindsight")
    assert find_answers("00-orientation") is not None
    assert read_locked("00-orientation") == {"m00-fc-a": 70}
    assert read_locked("00-orientation", item_ids=["m00-fc-b"]) == {}
    assert read_locked("00-orientation", folder=".") == {}


def test_read_locked_returns_nothing_when_there_is_no_file(tmp_path, monkeypatch):
    """Without module 00's answers, is the result empty (so the student re-enters)?"""
    monkeypatch.chdir(tmp_path)
    assert find_answers("00-orientation") is None
    assert read_locked("00-orientation") == {}


def test_read_locked_refuses_another_notebooks_file(tmp_path):
    """Is a file written for another notebook, renamed, never read as module 00's?"""
    other = AnswerBook("01-close-reading", tmp_path)
    record_forecast(other, "m00-fc-a", 70, "locked", lock=True)
    other.path.rename(tmp_path / ".00-orientation.answers.json")
    assert read_locked("00-orientation", tmp_path) == {}


# -- completion grading ------------------------------------------------------------


def test_a_locked_forecast_earns_full_completion_credit_from_its_first_lock(tmp_path):
    """Is the scored answer the first locked value, whatever came after?"""
    book = AnswerBook("00-orientation", tmp_path)
    record_forecast(book, "m00-fc-x", 70, "Stretched.", lock=True)
    record_forecast(book, "m00-fc-x", 5, "Changed my mind.")
    result = score_item(SPEC, KEY, book.get("m00-fc-x"))
    assert (result.points, result.verdict) == (1.0, "correct")
    assert result.answer["probability"] == 70
    assert result.answer_text == "70% (locked): Stretched."
    assert "2 saved versions; the first locked one counts" in result.details


def test_a_forecast_that_was_never_locked_scores_zero_and_says_why(tmp_path):
    """Does an unlocked draft score 0, with its text in the export and the reason given?"""
    book = AnswerBook("00-orientation", tmp_path)
    record_forecast(book, "m00-fc-x", 40, "Not sure.")
    result = score_item(SPEC, KEY, book.get("m00-fc-x"))
    assert (result.points, result.verdict) == (0.0, "unanswered")
    assert result.answer_text == "40% (not locked): Not sure."
    assert "never locked" in result.details[0]
    assert score_item(SPEC, KEY, None).points == 0.0


def test_a_forecast_key_must_be_completion_graded():
    """Is a forecast key without completion: true flagged, and scored 0 if used anyway?"""
    key = ItemKey("m00-fc-x", explanation="Resolved YES (S75).")
    assert any("completion" in p for p in check_key_against_spec(SPEC, key))
    assert check_key_against_spec(SPEC, KEY) == []
    record = {
        "kind": "forecast",
        "value": {"probability": 50, "reason": "x", "locked": True},
        "saved_at": "2026-11-24T10:00:00.000Z",
    }
    assert score_item(SPEC, key, record).points == 0.0


def test_a_forecast_key_still_needs_a_cited_explanation():
    """Does completion credit not excuse a key from citing its resolution?"""
    key = ItemKey("m00-fc-x", completion=True, explanation="It happened.")
    assert any("cites no claim" in p for p in check_key_against_spec(SPEC, key))


def test_the_key_text_names_the_resolution_not_a_right_answer():
    """Does the grader-side key text say completion and how the question resolved?"""
    assert describe_key(SPEC, KEY) == (
        "any locked forecast (graded for completion); the question resolved YES"
    )


def test_outcome_must_be_one_or_zero(tmp_path):
    """Is an outcome other than 1 or 0 refused when the key is loaded?"""
    path = tmp_path / "00-orientation.yaml"
    path.write_text(
        "module: 00-orientation\nitems:\n  m00-fc-x:\n    completion: true\n    outcome: yes\n",
        encoding="utf-8",
    )
    with pytest.raises(KeyFileError, match="outcome must be 1"):
        load_key(path)


# -- the simulated class ---------------------------------------------------------------


def test_simulated_forecasts_spread_and_mostly_lock():
    """Do simulated students give varied probabilities and lock most (not all) forecasts?"""
    rng = random.Random(2016)
    values = [answer_for(SPEC, KEY, False, rng) for _ in range(200)]
    probabilities = {v["probability"] for v in values}
    assert len(probabilities) >= 10 and min(probabilities) >= 5 and max(probabilities) <= 95
    locked = sum(v["locked"] for v in values)
    assert 100 < locked < 200
    assert all(answer_for(SPEC, KEY, True, rng)["locked"] for _ in range(20))


def test_demo_scores_each_students_locked_forecasts(tmp_path):
    """Does forecast_scores read each submission's locks and score them against the key?"""
    keys = tmp_path / "autograde" / "keys"
    keys.mkdir(parents=True)
    shutil.copy(ROOT / "autograde" / "keys" / "00-orientation.yaml", keys)
    roster = [SimStudent("a", "partial", 0.5), SimStudent("b", "blank", 0.0)]
    folder = tmp_path / "submitted" / "a" / "00-orientation"
    folder.mkdir(parents=True)
    book = AnswerBook("00-orientation", folder)
    record_forecast(book, "m00-fc-palmyra", 80, "x", lock=True)  # resolved YES
    record_forecast(book, "m00-fc-raqqa", 40, "x", lock=True)  # resolved NO
    record_forecast(book, "m00-fc-raqqa", 99, "a later change")
    record_forecast(book, "m00-fc-turkey", 10, "never locked")
    table = forecast_scores(tmp_path, roster).set_index("student_id")
    assert table.loc["a", "locked"] == 2 and table.loc["a", "scored"] == 2
    assert table.loc["a", "brier"] == pytest.approx((0.04 + 0.16) / 2)
    assert table.loc["b", "locked"] == 0 and pd.isna(table.loc["b", "brier"])


# -- hostile values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"probability": 10**500}, "an integer of 501 digits"),
        ({"probability": float("nan")}, "whole number"),
        ({"probability": float("inf")}, "whole number"),
        ({"probability": 70.5}, "whole number"),
        ({"probability": 101}, "from 0 to 100"),
        ({"probability": [70]}, "whole number"),
        ({"probability": 70, "reason": ["why"] * 1000}, "reason must be text"),
        ({"probability": 70, "locked": "yes"}, "true or false"),
        ([[[[[[70]]]]]], "a mapping with a probability"),
    ],
)
def test_normalize_refuses_any_other_value_with_a_short_reason(value, message):
    """Is a huge, non-finite or misshapen forecast refused with ValueError, never OverflowError?"""
    with pytest.raises(ValueError, match=message) as info:
        normalize(value)
    assert len(str(info.value)) < 200


def test_a_value_that_is_not_a_forecast_scores_zero_with_the_reason():
    """Is a forecast value that is not a forecast at all worth 0, with the reason?"""
    record = {"value": {"probability": 10**500, "locked": True}, "kind": "forecast"}
    result = score_item(SPEC, KEY, record)
    assert (result.points, result.verdict) == (0, "unreadable")
    assert "could not be read" in result.problems[0] and "501 digits" in result.problems[0]


def test_a_broken_first_locked_falls_back_to_the_history():
    """Is a first_locked that is not a forecast ignored in favour of the lock in the history?"""
    lock = {"probability": 60, "reason": "r", "locked": True, "locked_at": "2026-11-24T10:00Z"}
    record = {
        "value": {"probability": 5, "reason": "later", "locked": True},
        "kind": "forecast",
        "first_locked": {"probability": [60], "locked": True},
        "history": [{"value": lock, "saved_at": "2026-11-24T10:00:00.000Z"}],
    }
    assert first_locked(record) == lock
    assert score_item(SPEC, KEY, record).answer == lock
