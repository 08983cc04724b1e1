"""ScoreAnswers builds its outputs without a schema check each: they equal nbformat's own."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_output

from course.grading.preprocessors.score_answers import _output

CASES = [
    ("stream", None, {"name": "stdout", "text": "Your answer: B\nScore: 1 / 1\n"}),
    (
        "display_data",
        {"text/plain": "Correct answer: B", "text/html": "<div>B</div>"},
        {"metadata": {"course": {"reveal": True}}},
    ),
    ("display_data", {"text/plain": "x", "text/html": "<p>x</p>"}, {}),
    ("execute_result", {"text/plain": "1.0"}, {"execution_count": 7}),
    ("execute_result", {"text/plain": "0.0"}, {"execution_count": None}),
]


@pytest.mark.parametrize(("kind", "data", "fields"), CASES)
def test_output_equals_nbformats_new_output(kind, data, fields):
    ours, theirs = _output(kind, data=data, **fields), new_output(kind, data=data, **fields)
    assert ours == theirs
    assert type(ours) is type(theirs)
    assert {k: type(v) for k, v in ours.items()} == {k: type(v) for k, v in theirs.items()}
