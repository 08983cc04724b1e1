"""Modules 00 and 01: re-keyed items score each defensible answer full, and a wrong one less.

Specs are read from the lessons as the grader reads them (without running the
notebook) and scored against the real keys with the real scorer.
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


def _specs(module: str) -> dict[str, ItemSpec]:
    out = {}
    for cell in jupytext.read(NOTEBOOKS / f"{module}.md").cells:
        if cell.cell_type == "code":
            for spec in specs_from_source(cell.source, where=module):
                out[spec.id] = spec
    return out


@pytest.fixture(scope="module")
def items() -> dict[str, tuple[ItemSpec, ItemKey]]:
    """Every graded item of modules 00 and 01, with its key."""
    out = {}
    for module in ("00-orientation", "01-close-reading"):
        key = load_key(KEYS / f"{module}.yaml")
        for item_id, spec in _specs(module).items():
            if spec.graded:
                out[item_id] = (spec, key.items.get(item_id))
    return out


def _score(item: tuple[ItemSpec, ItemKey], value: object):
    spec, key = item
    return score_item(spec, key, {"kind": spec.kind, "value": value})


def test_claim_types_s4_accepts_normative_and_predictive_each_with_a_reason(items):
    """Does s4 ("It must be done by…", C24) score full as normative and as predictive, not as factual?"""
    spec, key = items["m01-claim-types"]
    perfect = {sid: cats if isinstance(cats, str) else cats[0] for sid, cats in key.answer.items()}
    assert sorted(key.answer["s4"]) == ["normative", "predictive"]
    for category in ("normative", "predictive"):
        result = _score(items["m01-claim-types"], {**perfect, "s4": category})
        assert result.verdict == "correct"
        assert result.points == spec.points
        assert "C24" in key.defensible["s4"][category]
    wrong = _score(items["m01-claim-types"], {**perfect, "s4": "factual"})
    assert wrong.verdict == "partial"
    assert wrong.points == round(spec.points * 6 / 7, 4)


def test_loaded_phrases_keys_the_two_pejoratives_and_offers_no_contested_phrase(items):
    """Do the two pejoratives score full, one of them half, and a descriptive phrase cost credit?"""
    spec, key = items["m01-loaded-phrases"]
    assert sorted(key.answer) == ["dictator", "sectarian"]
    # The phrases careful readers disagree about are not offered for selection.
    assert not {"Sunni states", "Syrian opposition militant groups"} & set(spec.options.values())
    full = _score(items["m01-loaded-phrases"], ["sectarian", "dictator"])
    assert (full.verdict, full.points) == ("correct", spec.points)
    assert _score(items["m01-loaded-phrases"], ["dictator"]).points == spec.points / 2
    with_descriptive = _score(items["m01-loaded-phrases"], ["dictator", "sectarian", "countries"])
    assert with_descriptive.points == spec.points / 2
    assert _score(items["m01-loaded-phrases"], ["opposition", "airstrikes"]).points == 0


def test_assumptions_credit_only_the_unstated_premises(items):
    """Do the three unstated premises score full, and does a premise ¶7 states cost credit?"""
    spec, key = items["m01-assumptions"]
    assert sorted(key.answer) == ["a", "b", "e"]
    assert _score(items["m01-assumptions"], ["a", "b", "e"]).points == spec.points
    # f ("lacks the manpower") is stated in ¶7, so ticking it is an error, not a bonus.
    stated = _score(items["m01-assumptions"], ["a", "b", "e", "f"])
    assert stated.points == round(spec.points * 2 / 3, 4)


def test_where_offers_an_unused_paragraph_so_the_last_match_is_not_free(items):
    """Is ¶10 offered but keyed to no statement, and does choosing it score as wrong?"""
    spec, key = items["m00-where"]
    assert "p10" in spec.categories
    assert "p10" not in key.answer.values()
    wrong = _score(items["m00-where"], {**key.answer, "s4": "p10"})
    assert wrong.points == round(spec.points * 5 / 6, 4)


@pytest.mark.parametrize(
    "item_id",
    [
        "m00-stop",
        "m00-genre",
        "m01-title-type",
        "m01-thesis",
        "m01-evidence-p1",
        "m01-neutral-rewrite",
    ],
)
def test_single_choice_rewrites_score_one_key_and_no_distractor(items, item_id):
    """Does each rewritten single-choice item give full marks to its key only?"""
    spec, key = items[item_id]
    for option in spec.options:
        result = _score(items[item_id], option)
        assert result.points == (spec.points if option == key.answer else 0)


def test_lookup_items_are_marked_as_such(items):
    """Are the two counts of a value already printed or coded marked demand: lookup?"""
    for item_id in ("m00-russia", "m01-predictive-count"):
        spec, key = items[item_id]
        assert key.demand_for(spec.kind) == "lookup"
