"""Adding an item kind: a toy kind and its widget, defined here, run from widget to report.

The toy kind ("yes_no": True or False) and its widget are defined in this
file only, without editing any ``course/`` module: this is what the
authoring guide's "Adding an item kind" promises. The kind is registered for
the module's tests and unregistered afterwards.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from typing import Any

import ipywidgets as widgets
import nbformat
import pytest

from course.answers import AnswerBook, answers_path, read_answers
from course.describe import describe_answer
from course.grading.context import source_specs
from course.grading.score import score_item
from course.items import Item
from course.items.spec import CLASS_KINDS, ItemSpec, specs_from_source
from course.keys import ItemKey, check_key_against_spec
from course.kinds import ItemKind, Scored, get_kind, kinds, registered, unregister
from course.minutes import _item_minutes
from course.render import render_html, render_text
from course.report.data import option_catalogue, picks_of
from course.simulate import answer_for

NB = "90-fixture"


class YesNoKind(ItemKind):
    """A yes-or-no answer, stored as true or false."""

    name = "yes_no"
    class_name = "YesNo"
    minutes = 0.5

    def coerce(self, spec: ItemSpec, value: Any) -> Any:
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is neither True nor False")
        return value

    def describe(self, spec: ItemSpec, value: Any) -> str | None:
        return ("yes" if value else "no") if isinstance(value, bool) else None

    def score(self, spec: ItemSpec, key: ItemKey, value: Any) -> Scored:
        if not isinstance(value, bool):
            return 0.0, [], ["the saved answer is neither yes nor no"]
        return (1.0 if value is key.answer else 0.0), [], []

    def describe_key(self, spec: ItemSpec, key: ItemKey) -> str | None:
        return "yes" if key.answer else "no"

    def check_key(self, spec: ItemSpec, key: ItemKey) -> list[str]:
        if not isinstance(key.answer, bool):
            return [f"{spec.id}: the key's answer must be true or false"]
        return []

    def simulate(self, spec: ItemSpec, key: ItemKey, right: bool, rng: random.Random) -> Any:
        return key.answer if right else not key.answer

    def catalogue(self, spec: ItemSpec, answer: Any) -> list[dict[str, Any]]:
        return [
            {"option": "yes", "label": "Yes", "correct": answer is True},
            {"option": "no", "label": "No", "correct": answer is False},
        ]

    def picks(self, spec: ItemSpec, value: Any) -> list[str | None] | None:
        return ["yes" if value else "no"] if isinstance(value, bool) else None

    def practice_check(
        self, spec: ItemSpec, value: Any, order: list[str]
    ) -> tuple[bool, list[str]]:
        answer = (spec.practice or {}).get("answer")
        return value is answer, []

    def question_parts(
        self, spec: ItemSpec, order: Sequence[str] | None = None
    ) -> list[tuple[str, list[str]]]:
        return [("Answer with", ["yes", "no"])]


class YesNo(Item):
    """A yes-or-no question: two radio buttons. Only the controls live here."""

    kind = "yes_no"

    def __init__(
        self,
        *,
        id: str,
        prompt: str,
        points: float | None = None,
        practice: dict[str, Any] | None = None,
        book: AnswerBook | None = None,
    ) -> None:
        spec_args = {"id": id, "prompt": prompt, "points": points, "practice": practice}
        super().__init__(spec_args, book=book)

    def _display_order(self) -> list[str]:
        return []

    def _extra(self) -> dict[str, Any] | None:
        return None

    def _build_controls(self) -> list[widgets.Widget]:
        self._buttons = widgets.RadioButtons(options=[("Yes", True), ("No", False)], value=None)
        self._buttons.observe(self._controls_changed, names="value")
        return [self._buttons]

    def _read_controls(self) -> Any:
        return self._buttons.value

    def _write_controls(self, value: Any) -> None:
        self._buttons.value = value


@pytest.fixture(autouse=True)
def toy_kind() -> Iterator[ItemKind]:
    """Register the toy kind for one test; the registry is as before afterwards."""
    with registered(YesNoKind) as kind:
        yield kind
    assert get_kind("yes_no") is None and "YesNo" not in CLASS_KINDS


def test_the_toy_kind_runs_from_widget_to_report(tmp_path):
    """Widget, answers file, score, feedback and report: does a kind defined in a test work?"""
    book = AnswerBook(NB, tmp_path)
    q = YesNo(id="t-yes-no", prompt="Is Palmyra in Syria?", points=1, book=book)

    q.value = True  # as a click on "Yes" does
    assert q._buttons.value is True
    saved = json.loads(answers_path(NB, tmp_path).read_text(encoding="utf-8"))
    record = saved["answers"]["t-yes-no"]
    assert (record["value"], record["kind"]) == (True, "yes_no")
    assert read_answers(answers_path(NB, tmp_path), notebook=NB).problems == []
    with pytest.raises(Exception, match="neither True nor False"):
        q.value = "yes"
    assert YesNo(id="t-yes-no", prompt="Is Palmyra in Syria?", book=book).value is True

    key = ItemKey("t-yes-no", answer=True, explanation="It is (S101).")
    assert check_key_against_spec(q.spec, key) == []
    assert check_key_against_spec(q.spec, ItemKey("t-yes-no", answer="y", explanation="(S1)")) == [
        "t-yes-no: the key's answer must be true or false"
    ]
    result = score_item(q.spec, key, record)
    assert (result.points, result.verdict, result.answer_text) == (1.0, "correct", "yes")
    wrong = score_item(q.spec, key, {**record, "value": False})
    assert (wrong.points, wrong.verdict) == (0.0, "incorrect")

    text = render_text(q.spec, record["value"], result=wrong, reveal=True)
    assert "Your answer: yes" in text and "Score: 0 / 1 (incorrect)" in text
    assert "Correct answer: yes" in text and "Answer with:\n  yes\n  no" in text
    assert "Your answer:</strong> yes" in render_html(q.spec, True, result=result)
    assert "Your answer: yes" in q._repr_mimebundle_()["text/plain"]

    catalogue = option_catalogue("90-fixture", q.spec, key.answer)
    assert [(r["option"], r["correct"]) for r in catalogue] == [("yes", True), ("no", False)]
    assert picks_of(q.spec, False) == ["no"] and picks_of(q.spec, "maybe") is None

    assert answer_for(q.spec, key, False, random.Random(1)) is False
    assert _item_minutes(q.spec) == 0.5


def test_practice_feedback_comes_from_the_toy_kind(tmp_path):
    """Does a practice item of the toy kind say at once whether the answer is right?"""
    book = AnswerBook(NB, tmp_path)
    p = YesNo(
        id="t-yes-no-practice",
        prompt="Is Palmyra in Syria?",
        practice={"answer": True, "explanation": "It is, in the desert."},
        book=book,
    )
    p.value = False
    assert "Not quite" in p._feedback.value
    p.value = True
    assert "Correct" in p._feedback.value and "in the desert" in p._feedback.value


def test_a_source_notebook_calling_the_toy_class_is_parsed_into_the_toy_kind(tmp_path):
    """Does the notebook parser find a call to a class whose kind was registered later?"""
    cell = 'q = YesNo(id="t-yes-no", prompt="Is Palmyra in Syria?", points=1)'
    (spec,) = specs_from_source(cell)
    assert (spec.kind, spec.id, spec.points) == ("yes_no", "t-yes-no", 1.0)
    assert CLASS_KINDS["YesNo"] == "yes_no" and "yes_no" in kinds()

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    path = tmp_path / "90-toy.ipynb"
    nbformat.write(nb, str(path))
    assert source_specs(path)["t-yes-no"].kind == "yes_no"
    assert describe_answer(spec, False) == "no"


def test_the_registry_forgets_an_unregistered_kind(toy_kind, tmp_path):
    """Once unregistered, is the toy class an unknown call and its answers an unknown kind?"""
    cell = 'q = YesNo(id="t-yes-no", prompt="Is Palmyra in Syria?", points=1)'
    assert get_kind("yes_no") is toy_kind
    assert unregister("yes_no") is toy_kind
    assert specs_from_source(cell) == []
    with pytest.raises(ValueError, match="Unknown item kind 'yes_no'"):
        AnswerBook(NB, tmp_path).record("t-yes-no", True, kind="yes_no")
