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
