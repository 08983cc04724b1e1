"""Key files: strict shapes, and keys that fit their items."""

from __future__ import annotations

import pytest

from course.items.spec import ItemSpec
from course.keys import ItemKey, KeyFileError, check_key_against_spec, load_key

SPEC = ItemSpec.build(
    "single_choice", id="m01-x", prompt="Pick", options={"a": "A", "b": "B", "c": "C"}, points=1
)


def write(tmp_path, text, name="01-close-reading"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_unknown_settings_are_errors(tmp_path):
    """Does a typo in a key setting fail instead of weakening the key?"""
    path = write(tmp_path, "module: 01-close-reading\nitems:\n  m01-x:\n    answr: b\n")
    with pytest.raises(KeyFileError, match="answr"):
        load_key(path)


def test_module_must_match_file_name(tmp_path):
    """Is a key for another module refused?"""
    path = write(tmp_path, "module: 02-sourcing\nitems: {}\n")
    with pytest.raises(KeyFileError, match="module"):
        load_key(path)


def test_rubric_needs_three_levels(tmp_path):
    """Is a written answer's rubric with fewer than three levels refused?"""
    text = "module: 01-close-reading\nwritten:\n  m01-w:\n    rubric:\n      - {level: 1, label: a, description: b}\n"
    with pytest.raises(KeyFileError, match="three levels"):
        load_key(write(tmp_path, text))


def test_every_distractor_needs_a_misconception():
    """Does a key that names no misconception for a distractor fail the check?"""
    key = ItemKey("m01-x", answer="b", explanation="Because (C1; S17).", misconceptions={"a": "x"})
    assert any("'c'" in p for p in check_key_against_spec(SPEC, key))


def test_answer_must_be_an_option_id():
    """Is a key answer that is not an option id reported?"""
    key = ItemKey(
        "m01-x", answer="z", explanation="(C1)", misconceptions={"a": "x", "b": "y", "c": "z"}
    )
    assert any("not an option id" in p for p in check_key_against_spec(SPEC, key))


def test_explanations_must_cite_claims_or_sources():
    """Is an explanation without C# or S# ids reported?"""
    key = ItemKey("m01-x", answer="b", explanation="Because.", misconceptions={"a": "x", "c": "y"})
    assert any("cites no claim" in p for p in check_key_against_spec(SPEC, key))


def test_a_good_key_has_no_problems():
    """Does a complete key pass?"""
    key = ItemKey(
        "m01-x", answer="b", explanation="Because (C1; S17).", misconceptions={"a": "x", "c": "y"}
    )
    assert check_key_against_spec(SPEC, key) == []


CLASSIFY = ItemSpec.build(
    "classification",
    id="m09-x",
    prompt="Verdicts",
    statements={"s1": "One", "s2": "Two"},
    categories={"held": "Supported", "mixed": "Mixed", "failed": "Contradicted"},
    points=2,
)


def _load_item(tmp_path, body: str) -> ItemKey:
    text = "module: 09-synthesis\nitems:\n  m09-x:\n" + body
    return load_key(write(tmp_path, text, "09-synthesis")).items["m09-x"]


def test_each_accepted_verdict_needs_its_own_reason(tmp_path):
    """Is a statement keyed with two verdicts refused until each verdict has a reason?"""
    body = (
        "    answer: {s1: [failed, mixed], s2: held}\n"
        "    explanation: Most strikes hit rebels (C2; S58).\n"
        "    defensible:\n"
        "      s1: {failed: The 2014 strikes on Raqqa contradict it (S4).}\n"
    )
    key = _load_item(tmp_path, body)
    problems = check_key_against_spec(CLASSIFY, key)
    assert any("defensible.s1.mixed" in p for p in problems), problems
    assert not any("defensible.s1.failed" in p for p in problems), problems


def test_reasons_are_shown_with_the_explanation_and_count_as_citations(tmp_path):
    """Does a complete multi-verdict key pass, and does its feedback give every reason?"""
    body = (
        "    answer: {s1: [failed, mixed], s2: held}\n"
        "    explanation: Most strikes hit rebels (C2).\n"
        "    defensible:\n"
        "      s1:\n"
        "        failed: The 2014 strikes on Raqqa contradict it (S4).\n"
        "        mixed: Only 14% of strikes hit IS, which supports half of it (S58).\n"
    )
    key = _load_item(tmp_path, body)
    assert check_key_against_spec(CLASSIFY, key) == []
    assert {"S4", "S58", "C2"} <= key.citations()
    text = key.full_explanation()
    assert "Also accepted for s1: mixed." in text and "(S58)" in text and "(S4)" in text


def test_a_reason_for_an_answer_the_key_rejects_is_refused():
    """Can a key explain as defensible a verdict it does not accept?"""
    key = ItemKey(
        "m09-x",
        answer={"s1": "failed", "s2": "held"},
        explanation="Because (C1).",
        defensible={"s1": {"mixed": "It is half right (S58)."}},
    )
    assert any("does not accept" in p for p in check_key_against_spec(CLASSIFY, key))


def test_a_single_choice_key_with_two_answers_explains_both():
    """Does a single-choice key that accepts b and c need a reason for each?"""
    key = ItemKey(
        "m01-x",
        answer=["b", "c"],
        explanation="Because (C1).",
        misconceptions={"a": "x"},
        defensible={"b": "Reason (S1)."},
    )
    problems = check_key_against_spec(SPEC, key)
    assert any("defensible.c" in p for p in problems), problems


def test_demand_must_be_known(tmp_path):
    """Is a misspelt demand refused, and does an item's kind give the default?"""
    with pytest.raises(KeyFileError, match="demand"):
        _load_item(tmp_path, "    answer: {s1: failed, s2: held}\n    demand: recall\n")
    key = _load_item(tmp_path, "    answer: {s1: failed, s2: held}\n    demand: lookup\n")
    assert key.demand_for("classification") == "lookup"
    assert ItemKey("m01-y").demand_for("computed") == "calculation"
    assert ItemKey("m01-y").demand_for("single_choice") == "judgement"


def test_weighting_counts_lookups_against_judgement():
    """Does a module whose points are mostly look-ups fail the weighting check?"""
    from course.checks import CheckReport, check_weighting
    from course.keys import ModuleKey

    specs = {
        "m01-a": ItemSpec.build("numeric", id="m01-a", prompt="How many?", points=3),
        "m01-b": SPEC,
    }
    lookup = ModuleKey("01-close-reading", {"m01-b": ItemKey("m01-b", demand="lookup")}, {})
    report = CheckReport()
    check_weighting("01", specs, {"m01-w": 1.0}, lookup, report)
    assert not report.ok and "20%" in report.findings[0].message
    judged = ModuleKey("01-close-reading", {"m01-b": ItemKey("m01-b")}, {})
    report = CheckReport()
    check_weighting("01", specs, {"m01-w": 1.0}, judged, report)
    assert report.ok and "40%" in report.passed[0]
