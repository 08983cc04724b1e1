"""Do the contested items of modules 02 and 03 give full marks to every answer their keys defend?

Specs are built from the lessons, keys are loaded from ``autograde/keys/``,
and every answer is scored by the real scorer
(:func:`course.grading.score.score_item`).
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest

from course.grading.score import score_item
from course.items.spec import ItemSpec, specs_from_source
from course.keys import ItemKey, load_key

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KEYS = ROOT / "autograde" / "keys"


def item(module: str, item_id: str) -> tuple[ItemSpec, ItemKey]:
    """Return the spec of ``item_id`` built from the lesson, and its key."""
    specs = {}
    for cell in jupytext.read(NOTEBOOKS / f"{module}.md").cells:
        if cell.cell_type == "code":
            for spec in specs_from_source(cell.source, where=module):
                specs[spec.id] = spec
    return specs[item_id], load_key(KEYS / f"{module}.yaml").items[item_id]


def points(spec: ItemSpec, key: ItemKey, value: object) -> float:
    """Score ``value`` as a saved answer to ``spec`` with the real scorer."""
    return score_item(spec, key, {"kind": spec.kind, "value": value}).points


def classification_points(spec: ItemSpec, key: ItemKey, statement: str, category: str) -> float:
    """Score an answer that follows the key everywhere except ``statement``, set to ``category``."""
    answer = {sid: cats if isinstance(cats, str) else cats[0] for sid, cats in key.answer.items()}
    answer[statement] = category
    return points(spec, key, answer)


@pytest.fixture(scope="module")
def which_date() -> tuple[ItemSpec, ItemKey]:
    return item("02-sourcing", "m02-which-date")


@pytest.fixture(scope="module")
def backers() -> tuple[ItemSpec, ItemKey]:
    return item("03-context", "m03-backers")


@pytest.mark.parametrize(
    ("statement", "accepted", "wrong"),
    [("s5", ["copy", "genre"], "writing"), ("s7", ["genre", "copy"], "writing")],
)
def test_which_date_accepts_both_defensible_categories(which_date, statement, accepted, wrong):
    """Do m02-which-date's s5 and s7 score full in either accepted category, each with a reason?"""
    spec, key = which_date
    assert sorted(key.answer[statement]) == sorted(accepted)
    for category in accepted:
        assert classification_points(spec, key, statement, category) == spec.points
        assert key.defensible[statement][category].strip()
    assert classification_points(spec, key, statement, wrong) < spec.points


def test_backers_rekeyed_by_what_the_sources_settle(backers):
    """Does m03-backers score each statement by whether the sources document, contradict or leave it open?"""
    spec, key = backers
    assert set(spec.categories) == {"documented", "contradicted", "unsettled"}
    for statement, keyed in {
        "s1": "contradicted",  # Russia's stated goal was support for the armed forces (S53)
        "s2": "documented",  # Washington-backed fighters in the areas struck (S54)
        "s7": "contradicted",  # Hezbollah fought with government forces at Palmyra (S69)
        "s8": "unsettled",  # no checked source shows a state sending IS weapons
    }.items():
        assert classification_points(spec, key, statement, keyed) == spec.points
        for other in set(spec.categories) - {keyed}:
            assert classification_points(spec, key, statement, other) < spec.points


def test_backers_jarabulus_accepts_contradicted_and_unsettled(backers):
    """Does m03-backers' s6 (Jarabulus) score full as contradicted or unsettled, not documented?"""
    spec, key = backers
    for category in ("contradicted", "unsettled"):
        assert classification_points(spec, key, "s6", category) == spec.points
        reason = key.defensible["s6"][category]
        assert "S84" in reason and "C24" in reason
    assert classification_points(spec, key, "s6", "documented") < spec.points


@pytest.mark.parametrize(
    ("module", "item_id", "keyed"),
    [
        ("02-sourcing", "m02-silence", "b"),
        ("03-context", "m03-useful-syria", "a"),
        ("03-context", "m03-land-people", "c"),
    ],
)
def test_rewritten_single_choice_scores_only_the_keyed_option(module, item_id, keyed):
    """Does each rewritten single-choice item give full marks to its keyed option alone?"""
    spec, key = item(module, item_id)
    for option in spec.options:
        expected = spec.points if option == keyed else 0
        assert points(spec, key, option) == expected, option
