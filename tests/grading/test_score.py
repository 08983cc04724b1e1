"""Scoring: one saved answer + the key -> points, for every item type."""

from __future__ import annotations

import pytest

from course.grading.score import score_item
from course.items.spec import ItemSpec
from course.keys import ItemKey


def rec(value, kind):
    return {"value": value, "kind": kind, "saved_at": "2026-11-24T10:00:00.000Z", "revision": 1}


SINGLE = ItemSpec.build(
    "single_choice", id="t-single", prompt="Pick", options={"a": "A", "b": "B", "c": "C"}, points=2
)
MULTI = ItemSpec.build(
    "multiple_choice",
    id="t-multi",
    prompt="Pick all",
    options={"a": "A", "b": "B", "c": "C", "d": "D"},
    points=2,
)
NUMERIC = ItemSpec.build("numeric", id="t-num", prompt="How far?", unit="km", points=2)
CLASSIFY = ItemSpec.build(
    "classification",
    id="t-class",
    prompt="Classify",
    statements={"s1": "One", "s2": "Two", "s3": "Three", "s4": "Four"},
    categories={"fact": "Factual", "pred": "Predictive"},
    points=4,
)
ORDER = ItemSpec.build(
    "ordering",
    id="t-order",
    prompt="Order",
    options={"w": "W", "x": "X", "y": "Y", "z": "Z"},
    points=6,
)
PHRASES = ItemSpec.build(
    "phrase_selection",
    id="t-phrase",
    prompt="Pick the loaded words",
    passage="No one can deny the brutal regime and the hidden cooperation.",
    phrases={
        "p1": "No one can deny",
        "p2": "brutal regime",
        "p3": "hidden cooperation",
        "p4": "the",
    },
    points=2,
)


def test_single_choice_full_credit_only_for_a_key_answer():
    """Is a single choice worth all its points when right and none when wrong?"""
    key = ItemKey("t-single", answer="b")
    assert score_item(SINGLE, key, rec("b", "single_choice")).points == 2
    assert score_item(SINGLE, key, rec("a", "single_choice")).points == 0


def test_single_choice_accepts_each_defensible_answer():
    """Does a contested item accept every answer the key lists?"""
    key = ItemKey("t-single", answer=["a", "b"])
    assert score_item(SINGLE, key, rec("a", "single_choice")).points == 2
    assert score_item(SINGLE, key, rec("b", "single_choice")).points == 2
    assert score_item(SINGLE, key, rec("c", "single_choice")).points == 0


def test_multiple_choice_partial_credit_penalises_wrong_picks():
    """Does each wrong pick cancel one right pick, never below zero?"""
    key = ItemKey("t-multi", answer=["a", "b"])
    assert score_item(MULTI, key, rec(["a", "b"], "multiple_choice")).points == 2
    assert score_item(MULTI, key, rec(["a"], "multiple_choice")).points == 1
    assert score_item(MULTI, key, rec(["a", "c"], "multiple_choice")).points == 0
    assert score_item(MULTI, key, rec(["a", "b", "c", "d"], "multiple_choice")).points == 0
    assert score_item(MULTI, key, rec([], "multiple_choice")).points == 0


def test_numeric_within_tolerance_and_alternatives():
    """Is a value within tolerance, or within an accepted alternative, worth full marks?"""
    key = ItemKey(
        "t-num", value=192.0, tolerance=2.0, accept=({"value": 225.0, "tolerance": 0, "note": "x"},)
    )
    assert score_item(NUMERIC, key, rec(191.9, "numeric")).points == 2
    assert score_item(NUMERIC, key, rec(194.0, "numeric")).points == 2
    assert score_item(NUMERIC, key, rec(194.5, "numeric")).points == 0
    assert score_item(NUMERIC, key, rec(225, "numeric")).points == 2
    assert score_item(NUMERIC, key, rec(float("nan"), "numeric")).points == 0


def test_classification_partial_credit_per_statement():
    """Is each statement worth an equal share of the points?"""
    key = ItemKey(
        "t-class", answer={"s1": "fact", "s2": "pred", "s3": ["fact", "pred"], "s4": "fact"}
    )
    full = {"s1": "fact", "s2": "pred", "s3": "pred", "s4": "fact"}
    assert score_item(CLASSIFY, key, rec(full, "classification")).points == 4
    assert score_item(CLASSIFY, key, rec({"s1": "fact"}, "classification")).points == 1
    half = {"s1": "pred", "s2": "fact", "s3": "fact", "s4": "fact"}
    assert score_item(CLASSIFY, key, rec(half, "classification")).points == 2


def test_ordering_credit_by_pairs_in_the_right_order():
    """Is the score the share of pairs in the right relative order?"""
    key = ItemKey("t-order", answer=["w", "x", "y", "z"])
    assert score_item(ORDER, key, rec(["w", "x", "y", "z"], "ordering")).points == 6
    assert score_item(ORDER, key, rec(["z", "y", "x", "w"], "ordering")).points == 0
    # one adjacent swap breaks 1 of 6 pairs
    assert score_item(ORDER, key, rec(["x", "w", "y", "z"], "ordering")).points == 5
    assert score_item(ORDER, key, rec(["w", "x", "y"], "ordering")).points == 0


def test_phrase_selection_penalises_over_selection():
    """Does selecting everything score nothing, while the loaded phrases score fully?"""
    key = ItemKey("t-phrase", answer=["p1", "p2", "p3"])
    assert score_item(PHRASES, key, rec(["p1", "p2", "p3"], "phrase_selection")).points == 2
    everything = rec(["p1", "p2", "p3", "p4"], "phrase_selection")
    assert score_item(PHRASES, key, everything).points == pytest.approx(2 * 2 / 3, abs=1e-3)
    assert score_item(PHRASES, key, rec(["p4"], "phrase_selection")).points == 0


@pytest.mark.parametrize(
    "record",
    [
        None,
        rec(None, "single_choice"),
        rec(["b"], "single_choice"),
        rec({"x": 1}, "single_choice"),
        rec("zzz", "single_choice"),
        rec("b", "numeric"),
    ],
)
def test_bad_or_missing_answers_score_zero_without_raising(record):
    """Is anything that is not a valid answer worth exactly 0?"""
    result = score_item(SINGLE, ItemKey("t-single", answer="b"), record)
    assert result.points == 0
    assert result.verdict in {"unanswered", "unreadable", "incorrect"}


def test_missing_key_fails_closed():
    """Does an item without a key score 0 even for any answer?"""
    result = score_item(SINGLE, None, rec("b", "single_choice"))
    assert result.points == 0
    assert "no answer key" in result.problems[0]


def test_unknown_option_ids_are_reported_and_ignored():
    """Are unknown option ids in a multiple-choice answer ignored and named?"""
    key = ItemKey("t-multi", answer=["a", "b"])
    result = score_item(MULTI, key, rec(["a", "b", "zz"], "multiple_choice"))
    assert result.points == 2
    assert "zz" in result.problems[0]


def test_scores_never_exceed_points():
    """Is the score clamped to the item's points whatever the answer?"""
    key = ItemKey("t-multi", answer=["a"])
    result = score_item(MULTI, key, rec(["a", "a", "a"], "multiple_choice"))
    assert 0 <= result.points <= MULTI.points


# -- hostile values: a score or 0 with a message, never an exception ----------------------


@pytest.mark.parametrize(
    "value", [10**400, -(10**309), True, float("inf"), "225", [225], {"km": 225}]
)
def test_a_number_beyond_float_range_or_not_a_number_scores_zero_with_a_message(value):
    """Is a 400-digit integer (or any non-number) worth 0, named, instead of an OverflowError?"""
    result = score_item(NUMERIC, ItemKey("t-num", value=192.0), rec(value, "numeric"))
    assert (result.points, result.verdict) == (0, "unreadable")
    assert "not a finite number" in result.problems[0]
    assert len(result.answer_text) < 100


@pytest.mark.parametrize("category", [["fact"], {"fact": 1}, 7, ["fact", "pred"]])
def test_a_category_that_is_not_an_id_scores_that_statement_zero_with_a_message(category):
    """Is a list or object where a category id belongs an unknown category, not a TypeError?"""
    key = ItemKey("t-class", answer={"s1": "fact", "s2": "pred", "s3": "fact", "s4": "fact"})
    value = {"s1": category, "s2": "pred"}
    result = score_item(CLASSIFY, key, rec(value, "classification"))
    assert result.points == 1  # s2 only
    assert "unknown category" in result.problems[0] and "s1" in result.problems[0]
    assert "not a category" in result.answer_text


@pytest.mark.parametrize("value", [["w", ["x"], "y", "z"], [{"w": 1}, "x", "y", "z"], [1, 2, 3, 4]])
def test_an_ordering_entry_that_is_not_an_id_scores_zero_with_a_message(value):
    """Is a list or object where an entry id belongs a bad order, not a TypeError?"""
    result = score_item(
        ORDER, ItemKey("t-order", answer=["w", "x", "y", "z"]), rec(value, "ordering")
    )
    assert (result.points, result.verdict) == (0, "unreadable")
    assert "not a list of entry ids" in result.problems[0]
    assert isinstance(result.answer_text, str)


def test_an_option_saved_twice_counts_once_and_is_named():
    """Is a repeated option id counted once, with a message, instead of silently?"""
    key = ItemKey("t-multi", answer=["a", "b"])
    result = score_item(MULTI, key, rec(["a", "a", "b"], "multiple_choice"))
    assert result.points == 2
    assert "saved twice or more" in result.problems[0] and "a" in result.problems[0]


@pytest.mark.parametrize("record", [["b"], "b", 42])
def test_a_record_that_is_not_an_object_scores_zero_with_a_message(record):
    """Is a record that is not an object worth 0, with a message, not an AttributeError?"""
    result = score_item(SINGLE, ItemKey("t-single", answer="b"), record)
    assert (result.points, result.verdict) == (0, "unreadable")
    assert "not an object" in result.problems[0]


def test_a_kind_that_is_not_text_scores_zero_with_a_short_message():
    """Is a kind that is a deep list named briefly, without repr of the whole value?"""
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    record = {**rec("b", "single_choice"), "kind": deep}
    result = score_item(SINGLE, ItemKey("t-single", answer="b"), record)
    assert (result.points, result.verdict) == (0, "unreadable")
    assert "no valid kind" in result.problems[0] and len(result.problems[0]) < 200
