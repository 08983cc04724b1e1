"""Modules 00 and 01: each skill practice item answers itself, explains why, and works in its widget.

Specs are read from the lessons as the grader reads them (without running the
notebook). The widgets are built from the same keyword arguments, saving to an
answers file in a temporary folder.
"""

from __future__ import annotations

import ast
import csv
import html
import re
from pathlib import Path
from typing import Any

import jupytext
import pytest

import course.items as items_module
from course.answers import AnswerBook
from course.checks import CLAIM_IDS
from course.items.spec import CLASS_KINDS, ItemSpec, specs_from_source
from course.keys import CITATION, load_key
from course.release import _key_snippets

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KEYS = ROOT / "autograde" / "keys"
MODULES = ("00-orientation", "01-close-reading")

#: The skill practice items of modules 00 and 01, with the module each belongs to.
PRACTICE = {
    "m00-practice-stop": "00-orientation",
    "m00-practice-checkable": "00-orientation",
    "m01-practice-types": "01-close-reading",
    "m01-practice-loaded": "01-close-reading",
    "m01-practice-hedges": "01-close-reading",
    "m01-practice-assumption": "01-close-reading",
}


class Item:
    """One item of a lesson: its spec, its literal keyword arguments and its cell's position."""

    def __init__(self, spec: ItemSpec, cls_name: str, kwargs: dict[str, Any], index: int) -> None:
        self.spec = spec
        self.cls_name = cls_name
        self.kwargs = kwargs
        self.index = index


def _lesson_items(module: str) -> dict[str, Item]:
    out: dict[str, Item] = {}
    for index, cell in enumerate(jupytext.read(NOTEBOOKS / f"{module}.md").cells):
        if cell.cell_type != "code":
            continue
        specs = specs_from_source(cell.source, where=module)
        calls = [
            node
            for node in ast.walk(ast.parse(cell.source))
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in CLASS_KINDS
        ]
        for spec, call in zip(specs, calls, strict=True):
            kwargs = {
                kw.arg: ast.literal_eval(kw.value)
                for kw in call.keywords
                if kw.arg not in {"value", "book", "seed"}
            }
            assert kwargs["id"] == spec.id
            out[spec.id] = Item(spec, call.func.id, kwargs, index)
    return out


@pytest.fixture(scope="module")
def lessons() -> dict[str, dict[str, Item]]:
    """Every item of modules 00 and 01, by module and id."""
    return {module: _lesson_items(module) for module in MODULES}


@pytest.fixture(scope="module")
def sources() -> set[str]:
    """The source ids of the course's sources table."""
    with (ROOT / "datasets" / "sources.csv").open(encoding="utf-8") as fh:
        return {row["source_id"] for row in csv.DictReader(fh)}


def _practice(lessons: dict[str, dict[str, Item]], item_id: str) -> Item:
    item = lessons[PRACTICE[item_id]][item_id]
    assert item.spec.practice is not None and not item.spec.graded
    return item


def _choices(spec: ItemSpec) -> list[str]:
    """The ids a practice answer and its feedback are given for."""
    return list(spec.statements) if spec.kind == "classification" else list(spec.options)


def _cited(text: str) -> set[str]:
    return {f"{m.group(1)}{int(m.group(2))}" for m in CITATION.finditer(text)}


def _wrong(spec: ItemSpec) -> Any:
    """A valid answer that differs from the practice answer."""
    answer = spec.practice["answer"]
    if spec.kind == "single_choice":
        return next(o for o in spec.options if o != answer)
    if spec.kind in {"multiple_choice", "phrase_selection"}:
        extra = next(o for o in spec.options if o not in answer)
        return [*answer[1:], extra]
    if spec.kind == "classification":
        first = next(iter(spec.statements))
        other = next(c for c in spec.categories if c != answer[first])
        return {**answer, first: other}
    raise AssertionError(f"no wrong answer for {spec.kind}")


def test_every_new_practice_item_is_in_its_lesson(lessons):
    """Each module has at least two skill practice items, and all six listed here exist."""
    for module in MODULES:
        named = [
            i
            for i in lessons[module].values()
            if i.spec.practice is not None and i.spec.practice.get("skill")
        ]
        assert len(named) >= 2, module
        assert {i.spec.id for i in named} == {k for k, m in PRACTICE.items() if m == module}


@pytest.mark.parametrize("item_id", list(PRACTICE))
def test_practice_answer_is_one_of_its_options(lessons, item_id):
    """The practice answer uses only the item's own option, statement and category ids."""
    spec = _practice(lessons, item_id).spec
    answer = spec.practice["answer"]
    if spec.kind == "single_choice":
        assert answer in spec.options
    elif spec.kind in {"multiple_choice", "phrase_selection"}:
        assert answer and set(answer) <= set(spec.options)
        assert set(answer) != set(spec.options)
    elif spec.kind == "classification":
        assert set(answer) == set(spec.statements)
        assert set(answer.values()) <= set(spec.categories)
        assert len(set(answer.values())) > 1
    else:
        raise AssertionError(f"unexpected kind {spec.kind}")
    assert "points" not in _practice(lessons, item_id).kwargs


@pytest.mark.parametrize("item_id", list(PRACTICE))
def test_every_option_has_feedback_that_cites_existing_ids(lessons, sources, item_id):
    """Each option (or statement) has feedback citing C#/S#; the explanation cites too; all ids exist."""
    spec = _practice(lessons, item_id).spec
    feedback = spec.practice["feedback"]
    assert set(feedback) == set(_choices(spec))
    for choice, text in feedback.items():
        assert _cited(text), f"{item_id}: feedback for {choice} cites no C# or S# id"
    explanation = spec.practice["explanation"]
    assert _cited(explanation), f"{item_id}: the explanation cites no C# or S# id"
    cited = _cited(explanation).union(*(_cited(t) for t in feedback.values()))
    unknown = {c for c in cited if c not in CLAIM_IDS and c not in sources}
    assert not unknown, f"{item_id} cites unknown ids {sorted(unknown)}"


@pytest.mark.parametrize("item_id", list(PRACTICE))
def test_practice_comes_before_a_graded_item_of_its_skill(lessons, item_id):
    """The skill named is one a later graded item's key lists."""
    module = PRACTICE[item_id]
    practice = _practice(lessons, item_id)
    key = load_key(KEYS / f"{module}.yaml")
    later = [
        i.spec.id
        for i in lessons[module].values()
        if i.spec.graded
        and i.index > practice.index
        and practice.spec.practice["skill"] in key.items[i.spec.id].skills
    ]
    assert later, f"{item_id}: no graded item after it lists {practice.spec.practice['skill']!r}"


@pytest.mark.parametrize("item_id", list(PRACTICE))
def test_practice_quotes_no_text_a_graded_item_asks_about(lessons, item_id):
    """No quote, option, statement or phrase of a practice item reappears in a graded item."""
    practice = _practice(lessons, item_id).spec
    graded_text = " ".join(
        " ".join(
            [i.spec.prompt, i.spec.passage, *i.spec.options.values(), *i.spec.statements.values()]
        )
        for i in lessons[PRACTICE[item_id]].values()
        if i.spec.graded
    )
    asked = [practice.prompt, practice.passage, *practice.options.values()]
    for text in [*asked, *practice.statements.values()]:
        for quoted in re.findall(r"“(.+?)”", text) or ([text] if text else []):
            assert quoted not in graded_text, f"{item_id}: {quoted!r} is asked in a graded item"


@pytest.mark.parametrize("item_id", list(PRACTICE))
def test_practice_repeats_no_key_text(lessons, item_id):
    """No stretch of key text that `course release` looks for appears in a practice item."""
    module = PRACTICE[item_id]
    spec = _practice(lessons, item_id).spec
    practice = spec.practice
    shown = [spec.prompt, practice["explanation"], *practice["feedback"].values()]
    flat = " ".join(" ".join(shown).split())
    for snippet in _key_snippets(load_key(KEYS / f"{module}.yaml")):
        assert snippet not in flat, f"{item_id} repeats key text {snippet[:40]!r}"


@pytest.mark.parametrize("item_id", list(PRACTICE))
def test_widget_says_correct_for_the_answer_and_not_quite_otherwise(lessons, tmp_path, item_id):
    """Built from the lesson's arguments, the widget judges a wrong answer, then the right one."""
    item = _practice(lessons, item_id)
    cls = getattr(items_module, item.cls_name)
    book = AnswerBook(PRACTICE[item_id], tmp_path)
    widget = cls(**item.kwargs, seed="tester", book=book)
    spec = item.spec
    explanation = html.escape(spec.practice["explanation"], quote=True)
    wrong = _wrong(spec)
    widget.value = wrong
    shown = widget._feedback.value
    assert "Not quite" in shown and "Correct" not in shown
    assert explanation not in shown
    if spec.kind == "single_choice":
        assert html.escape(spec.practice["feedback"][wrong], quote=True) in shown
    widget.value = spec.practice["answer"]
    shown = widget._feedback.value
    assert "Correct" in shown and "Not quite" not in shown
    assert explanation in shown
    assert book.value(spec.id) == widget.value
