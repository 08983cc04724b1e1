"""A malformed ordering key scores 0 with a message, and `course check` names it; nothing raises."""

from __future__ import annotations

import pytest

from course.grading.score import score_item
from course.items.spec import ItemSpec
from course.keys import ItemKey, check_key_against_spec

SPEC = ItemSpec.build(
    "ordering", id="m01-o", prompt="Order", options={"a": "A", "b": "B", "c": "C"}, points=2
)


@pytest.mark.parametrize(
    "answer",
    [["a", "b"], ["a", "b", "b"], ["a", "b", "c", "d"], "abc", None, {"a": 1}, [1, 2, 3]],
)
def test_a_malformed_ordering_key_scores_zero_and_fails_the_check(answer):
    """Does every student score 0, with the key's fault named, and course check refuse the key?"""
    key = ItemKey("m01-o", answer=answer, explanation="Because (C1).")
    for value in (["a", "b", "c"], ["c", "b", "a"]):
        result = score_item(SPEC, key, {"kind": "ordering", "value": value})
        assert result.points == 0
        assert result.problems == ["the key's order does not list every entry"]
    assert check_key_against_spec(SPEC, key) == [
        "m01-o: the key order must list each option id exactly once"
    ]
