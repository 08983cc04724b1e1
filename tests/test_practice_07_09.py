"""Skill practice in modules 07–09: valid answers, feedback on every option, judged by the widget.

Each practice item is read from its lesson without running it, then built as the real
widget with an answers book in a temporary folder and answered through its own controls:
the right answer must say "Correct", a wrong one "Not quite". Module 09's mirror text must
quote its sources word for word.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import jupytext
import pandas as pd
import pytest

import course.items as items
import course.items._base as base
from course.answers import AnswerBook
from course.items.spec import ItemSpec, specs_from_source
from course.keys import load_key

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KEYS = ROOT / "autograde" / "keys"
CITATION = re.compile(r"\b([CS])(\d{1,3})\b")

MODULES = {
    "07-russian-air-campaign": ["m07-practice-counted", "m07-practice-chart"],
    "08-hindsight": ["m08-practice-memory", "m08-practice-brier"],
    "09-synthesis": [
        "m09-practice-types",
        "m09-practice-trace",
        "m09-practice-left-out",
        "m09-practice-interest",
        "m09-practice-loaded",
    ],
}
CASES = [(module, item_id) for module, ids in MODULES.items() for item_id in ids]

#: Module 09's mirror text, as the sources give it: S3 (the article's page, checked with
#: the search tool) and S35 (the fact sheet's seen excerpt).
MIRROR_QUOTES = {
    "S3": [
        "Report: ISIS Spends Most of Its Resources Fighting the Syrian Army",
        "Weakening the Syrian government helps ISIS. There is no going around that",
        "from April 2016 through March 2017, 43 percent of ISIS fighting in Syria was "
        "against the Syrian Arab Army",
        "as westerners they have little incentive to overstate the severity of fighting "
        "between ISIS and Syrian government forces",
        "40 percent of their efforts went to fighting rival Sunni militants",
        "The remaining 17 percent of their fighting was against",
        "To be honest we are somewhat surprised by these numbers",
    ],
    "S35": [
        "In fact the Syrian army has fought ISIS throughout the conflict",
        "out of necessity",
    ],
}


def lesson_cells(module: str) -> list[Any]:
    return jupytext.read(NOTEBOOKS / f"{module}.md").cells


def item_calls(module: str) -> dict[str, tuple[str, dict[str, Any], int]]:
    """Map each item id to (class name, literal keyword arguments, cell index)."""
    calls = {}
    for index, cell in enumerate(lesson_cells(module)):
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                kwargs = {k.arg: k.value for k in node.keywords if k.arg}
                if "id" in kwargs and "practice" in kwargs:
                    literal = {k: ast.literal_eval(v) for k, v in kwargs.items()}
                    calls[literal["id"]] = (node.func.id, literal, index)
    return calls


def lesson_specs(module: str) -> dict[str, tuple[ItemSpec, int]]:
    out = {}
    for index, cell in enumerate(lesson_cells(module)):
        if cell.cell_type == "code":
            for spec in specs_from_source(cell.source, where=module):
                out[spec.id] = (spec, index)
    return out


@pytest.fixture(scope="module")
def known_ids() -> set[str]:
    sources = set(pd.read_csv(ROOT / "datasets" / "sources.csv")["source_id"])
    claims = set(pd.read_csv(ROOT / "datasets" / "claims.csv")["claim_id"])
    return sources | claims


def cited(text: str) -> set[str]:
    return {f"{m.group(1)}{int(m.group(2))}" for m in CITATION.finditer(text)}


@pytest.mark.parametrize(("module", "item_id"), CASES)
def test_practice_item_is_valid_with_feedback_for_every_option(
    module: str, item_id: str, known_ids: set[str]
) -> None:
    """Is the practice answer valid, is there feedback for every option, are the ids real?"""
    spec, _ = lesson_specs(module)[item_id]
    practice = spec.practice
    assert practice is not None and not spec.graded
    answer, feedback = practice["answer"], practice["feedback"]
    if spec.kind == "single_choice":
        assert answer in spec.options
        assert set(feedback) == set(spec.options)
    elif spec.kind == "multiple_choice":
        assert answer and set(answer) <= set(spec.options) and set(answer) != set(spec.options)
        assert set(feedback) == set(spec.options)
    elif spec.kind == "classification":
        assert set(answer) == set(spec.statements)
        for accepted in answer.values():
            accepted = [accepted] if isinstance(accepted, str) else accepted
            assert accepted and set(accepted) <= set(spec.categories)
        assert set(feedback) == set(spec.statements)
    else:
        assert spec.kind == "numeric" and isinstance(answer, int | float)
        assert set(feedback) == {"correct", "incorrect"}
    assert all(text.strip() for text in feedback.values())
    explanation_ids = cited(practice["explanation"])
    assert explanation_ids and explanation_ids <= known_ids
    for text in feedback.values():
        assert cited(text), f"{item_id}: feedback without a C# or S# id: {text}"
        assert cited(text) <= known_ids


@pytest.mark.parametrize(("module", "item_id"), CASES)
def test_practice_comes_before_graded_work_of_its_skill(module: str, item_id: str) -> None:
    """Does a graded item later in the lesson list the practised skill in its key?"""
    found = lesson_specs(module)
    spec, at = found[item_id]
    key = load_key(KEYS / f"{module}.yaml")
    later = [
        other_id
        for other_id, (other, index) in found.items()
        if index > at and other.graded and spec.practice["skill"] in key.items[other_id].skills
    ]
    assert later, f"{item_id}: no later graded item lists {spec.practice['skill']!r}"


def walk(widget: widgets.Widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def find(item: widgets.Widget, cls: type) -> list[Any]:
    return [w for w in walk(item) if type(w) is cls]


def answer_by_controls(item: Any, value: Any) -> None:
    """Give ``value`` the way a student does: through the item's own controls."""
    if item.kind == "single_choice":
        find(item, widgets.RadioButtons)[0].value = value
    elif item.kind == "multiple_choice":
        for box in find(item, widgets.Checkbox):
            (oid,) = [o for o, text in item.spec.options.items() if text == box.description]
            box.value = oid in value
    elif item.kind == "numeric":
        find(item, widgets.Text)[0].value = f"{value}"
    else:
        menus = find(item, widgets.Dropdown)
        for sid, menu in zip(item.order, menus, strict=True):
            menu.value = value[sid]


def right_and_wrong(spec: ItemSpec) -> tuple[Any, list[Any]]:
    """The practice answer, and wrong answers a student might give."""
    answer = spec.practice["answer"]
    if spec.kind == "single_choice":
        return answer, [o for o in spec.options if o != answer]
    if spec.kind == "multiple_choice":
        missing_one = answer[:-1] + [o for o in spec.options if o not in answer][:1]
        return answer, [list(answer[:-1]), missing_one, list(spec.options)]
    if spec.kind == "numeric":
        return answer, [answer + 0.01, 1 - answer]
    right = {sid: (c if isinstance(c, str) else c[0]) for sid, c in answer.items()}
    wrong = []
    for sid, accepted in answer.items():
        accepted = [accepted] if isinstance(accepted, str) else accepted
        other = next(c for c in spec.categories if c not in accepted)
        wrong.append({**right, sid: other})
    return right, wrong


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(base, "_current_book", None)
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    return tmp_path


@pytest.mark.parametrize(("module", "item_id"), CASES)
def test_widget_says_correct_for_the_answer_and_not_quite_otherwise(
    module: str, item_id: str, folder: Path
) -> None:
    """Through the real widget: a wrong answer gets 'Not quite', the right one 'Correct'."""
    name, kwargs, _ = item_calls(module)[item_id]
    spec, _ = lesson_specs(module)[item_id]
    book = AnswerBook(module, folder)
    item = getattr(items, name)(**kwargs, book=book)
    right, wrongs = right_and_wrong(spec)
    feedback = spec.practice["feedback"]
    for wrong in wrongs:
        answer_by_controls(item, wrong)
        shown = item._feedback.value
        assert "Not quite" in shown and "Correct" not in shown, (item_id, wrong)
        if spec.kind == "single_choice":
            assert feedback[wrong] in shown.replace("&#x27;", "'").replace("&quot;", '"')
    answer_by_controls(item, right)
    shown = item._feedback.value
    assert "Correct" in shown and "Not quite" not in shown, item_id
    assert book.path.is_file() and AnswerBook(module, folder).value(item_id) is not None


def test_mirror_text_quotes_its_sources_word_for_word() -> None:
    """Does module 09 quote S3 and S35 verbatim, and say the method applies to both sides?"""
    text = (NOTEBOOKS / "09-synthesis.md").read_text(encoding="utf-8")
    for source_id, quotes in MIRROR_QUOTES.items():
        assert f"({source_id}" in text
        for quote in quotes:
            assert quote in text, f"{source_id}: {quote!r} is not in the lesson as quoted"
    assert "The course's tools do not belong to one side." in text
