"""Modules 04–06: each skill practice item teaches before the graded work of its skill.

Each test builds the practice item's spec from the lesson (as the grader does,
without running it) and checks what the practice contract asks: a valid
practice answer, feedback for every option, explanation and feedback citing
claim (C#) and source (S#) ids that exist, a skill that a later graded item's
key lists, and no graded text reused. The widget tests construct the real item
class with the spec's arguments and an answers file in a temporary folder,
then answer it: the right answer shows "Correct", a wrong one "Not quite".
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path
from typing import Any

import jupytext
import pytest

from course.answers import AnswerBook
from course.items import Classification, MultipleChoice, SingleChoice
from course.items.spec import ItemSpec, specs_from_source
from course.keys import ModuleKey, load_key

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KEYS = ROOT / "autograde" / "keys"
DATASETS = ROOT / "datasets"

#: The skill practice items added to each module, in notebook order.
PRACTICE = {
    "04-corroboration": ["m04-practice-side", "m04-practice-upstream"],
    "05-tracing-numbers": ["m05-practice-kuweires", "m05-practice-party"],
    "06-collusion-evidence": ["m06-practice-kinds", "m06-practice-dates"],
}
CASES = [(module, item_id) for module, ids in PRACTICE.items() for item_id in ids]
CITATION = re.compile(r"\b([CS])(\d{1,3})\b")
CLASSES = {
    "single_choice": SingleChoice,
    "multiple_choice": MultipleChoice,
    "classification": Classification,
}


def lesson_items(module: str) -> list[tuple[int, ItemSpec]]:
    """Return (cell index, spec) for every item of a lesson, parsed without running it."""
    out = []
    for index, cell in enumerate(jupytext.read(NOTEBOOKS / f"{module}.md").cells):
        if cell.cell_type == "code":
            out += [(index, spec) for spec in specs_from_source(cell.source, where=module)]
    return out


def column(name: str, field: str) -> set[str]:
    """Return the values of one column of a course data table."""
    with (DATASETS / name).open(encoding="utf-8", newline="") as f:
        return {row[field] for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def lessons() -> dict[str, tuple[list[tuple[int, ItemSpec]], ModuleKey]]:
    """Each module's items in notebook order, with its key."""
    return {m: (lesson_items(m), load_key(KEYS / f"{m}.yaml")) for m in PRACTICE}


@pytest.fixture(scope="module")
def known_ids() -> set[str]:
    """Every claim and source id the course's data tables define."""
    return column("claims.csv", "claim_id") | column("sources.csv", "source_id")


def practice_spec(lessons: dict, module: str, item_id: str) -> ItemSpec:
    (spec,) = [s for _, s in lessons[module][0] if s.id == item_id]
    assert spec.practice is not None and not spec.graded, f"{item_id} is not a practice item"
    return spec


def cited(text: str) -> set[str]:
    return {f"{m.group(1)}{int(m.group(2))}" for m in CITATION.finditer(text)}


def wrong_answer(spec: ItemSpec) -> Any:
    """A plausible wrong answer: another option, one right choice left out, or one statement moved."""
    answer = spec.practice["answer"]
    if spec.kind == "single_choice":
        return next(oid for oid in spec.options if oid != answer)
    if spec.kind == "multiple_choice":
        return list(answer)[1:]
    first = next(iter(spec.statements))
    other = next(cat for cat in spec.categories if cat != answer[first])
    return {**answer, first: other}


def build_widget(spec: ItemSpec, book: AnswerBook) -> Any:
    """Construct the real item class with the arguments the lesson gives the spec."""
    args: dict[str, Any] = {"id": spec.id, "prompt": spec.prompt, "practice": spec.practice}
    if spec.kind == "classification":
        args |= {"statements": spec.statements, "categories": spec.categories}
    else:
        args["options"] = spec.options
    return CLASSES[spec.kind](**args, book=book)


def test_each_module_lists_its_practice_items_in_notebook_order(lessons):
    """Are exactly the listed items the skill practice items of each module, in order?"""
    for module, ids in PRACTICE.items():
        found = [s.id for _, s in lessons[module][0] if s.practice and s.practice.get("skill")]
        assert found == ids, module


@pytest.mark.parametrize(("module", "item_id"), CASES)
def test_practice_answer_is_valid(lessons, module, item_id):
    """Does the practice answer use the item's own ids, with every statement classified?"""
    spec = practice_spec(lessons, module, item_id)
    answer = spec.practice["answer"]
    if spec.kind == "single_choice":
        assert answer in spec.options
    elif spec.kind == "multiple_choice":
        assert answer and set(answer) <= set(spec.options) and len(set(answer)) == len(answer)
        assert set(answer) != set(spec.options), "selecting everything must not be right"
    else:
        assert set(answer) == set(spec.statements)
        assert set(answer.values()) <= set(spec.categories)


@pytest.mark.parametrize(("module", "item_id"), CASES)
def test_every_option_has_feedback_that_cites_ids(lessons, known_ids, module, item_id):
    """Does every option (or statement) get feedback, and does each feedback cite known ids?"""
    spec = practice_spec(lessons, module, item_id)
    feedback = spec.practice["feedback"]
    expected = spec.statements if spec.kind == "classification" else spec.options
    assert set(feedback) == set(expected)
    for oid, text in feedback.items():
        ids = cited(text)
        assert ids, f"{item_id}: feedback for {oid} cites no C#/S# id"
        assert ids <= known_ids, f"{item_id}: unknown ids {ids - known_ids}"


@pytest.mark.parametrize(("module", "item_id"), CASES)
def test_explanation_cites_known_ids(lessons, known_ids, module, item_id):
    """Does the explanation cite at least one source id, all of them known?"""
    spec = practice_spec(lessons, module, item_id)
    ids = cited(spec.practice["explanation"])
    assert any(i.startswith("S") for i in ids), item_id
    assert ids <= known_ids, f"{item_id}: unknown ids {ids - known_ids}"


@pytest.mark.parametrize(("module", "item_id"), CASES)
def test_practice_comes_before_graded_work_of_its_skill(lessons, module, item_id):
    """Does a graded item later in the notebook list the practised skill in its key?"""
    items, key = lessons[module]
    (at,) = [i for i, s in items if s.id == item_id]
    skill = practice_spec(lessons, module, item_id).practice["skill"]
    later = [s.id for i, s in items if i > at and s.graded and skill in key.items[s.id].skills]
    assert later, f"{item_id} practises {skill!r}, which no later graded item lists"


@pytest.mark.parametrize(("module", "item_id"), CASES)
def test_practice_reuses_no_graded_text(lessons, module, item_id):
    """Is no practice option or statement the text of a graded item's option or statement?"""
    items, _ = lessons[module]
    spec = practice_spec(lessons, module, item_id)
    graded = {
        t for _, s in items if s.graded for t in [*s.options.values(), *s.statements.values()]
    }
    mine = {*spec.options.values(), *spec.statements.values()}
    assert not mine & graded


@pytest.mark.parametrize(("module", "item_id"), CASES)
def test_widget_says_correct_for_the_answer_and_not_quite_otherwise(
    lessons, tmp_path, module, item_id
):
    """Through the real widget: a wrong answer shows 'Not quite', the right one 'Correct'."""
    spec = practice_spec(lessons, module, item_id)
    item = build_widget(spec, AnswerBook(module, tmp_path))
    feedback = spec.practice["feedback"]

    wrong = wrong_answer(spec)
    item.value = wrong
    shown = html.unescape(item._feedback.value)
    assert "Not quite" in shown and "Correct" not in shown
    if spec.kind == "single_choice":
        assert feedback[wrong] in shown

    item.value = spec.practice["answer"]
    shown = html.unescape(item._feedback.value)
    assert "Correct" in shown and "Not quite" not in shown
    assert spec.practice["explanation"] in shown
    assert AnswerBook(module, tmp_path).value(item_id) == item.value
