"""Modules 05 and 06: the re-keyed contested items score every defensible answer in full.

Each test builds the item's spec from the lesson (as the grader does, without
running it), loads the module's key, and scores answers with the real scorer,
:func:`course.grading.score.score_item`: each defensible answer scores full
points, each with its own reason in the key, and a typical wrong answer does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jupytext
import pytest

from course.grading.score import Result, score_item
from course.items.spec import ItemSpec, specs_from_source
from course.keys import ItemKey, load_key

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KEYS = ROOT / "autograde" / "keys"


def lesson_specs(module: str) -> dict[str, ItemSpec]:
    """Return the item specs of a lesson, parsed from its code cells without running them."""
    out: dict[str, ItemSpec] = {}
    for cell in jupytext.read(NOTEBOOKS / f"{module}.md").cells:
        if cell.cell_type == "code":
            for spec in specs_from_source(cell.source, where=module):
                out[spec.id] = spec
    return out


@pytest.fixture(scope="module")
def m05() -> tuple[dict[str, ItemSpec], dict[str, ItemKey]]:
    return lesson_specs("05-tracing-numbers"), load_key(KEYS / "05-tracing-numbers.yaml").items


@pytest.fixture(scope="module")
def m06() -> tuple[dict[str, ItemSpec], dict[str, ItemKey]]:
    return lesson_specs("06-collusion-evidence"), load_key(
        KEYS / "06-collusion-evidence.yaml"
    ).items


def score(module: tuple[dict, dict], item_id: str, value: Any) -> Result:
    specs, keys = module
    spec = specs[item_id]
    return score_item(spec, keys[item_id], {"kind": spec.kind, "value": value})


def full(result: Result) -> bool:
    return result.verdict == "correct" and result.points == result.max_points


def test_joint_attacks_accepts_both_readings_of_aleppo_and_yarmouk(m06):
    """Do Aleppo (alleged/simultaneous) and Yarmouk (simultaneous/contradicted) each score full?"""
    item = "m06-joint-attacks"
    base = {"qalamoun": "simultaneous", "deir": "contradicted"}
    for aleppo in ("alleged", "simultaneous"):
        for damascus in ("simultaneous", "contradicted"):
            answer = {**base, "aleppo": aleppo, "damascus": damascus}
            assert full(score(m06, item, answer)), answer
    reasons = m06[1][item].defensible
    assert set(reasons["aleppo"]) == {"alleged", "simultaneous"}
    assert set(reasons["damascus"]) == {"simultaneous", "contradicted"}
    assert "S22" in reasons["damascus"]["contradicted"]
    wrong = score(m06, item, {**base, "aleppo": "alleged", "damascus": "alleged"})
    assert wrong.verdict == "partial" and wrong.points == 1.5
    reading_together = {"aleppo": "alleged", "qalamoun": "alleged", "damascus": "alleged"}
    assert score(m06, item, {**reading_together, "deir": "alleged"}).points == 0.5


def test_relationship_accepts_disputed_and_partly_supported(m06):
    """Do 'disputed' (c) and 'partly supported' (e) score full, and 'contradicted' (b) not?"""
    item = "m06-relationship"
    spec = m06[0][item]
    assert spec.options["c"].startswith("Disputed")
    assert spec.options["e"].startswith("Partly supported")
    for option in ("c", "e"):
        assert full(score(m06, item, option)), option
    key = m06[1][item]
    assert set(key.defensible) == {"c", "e"}
    assert "S35" in key.defensible["e"]
    assert "later data show mostly fighting" not in " ".join(spec.options.values())
    for option in ("a", "b", "d"):
        assert score(m06, item, option).points == 0, option


def test_evidence_scale_accepts_both_levels_for_the_coalition_statement(m06):
    """Does the Syrian Coalition's statement (s6) score as interested or as reporting?"""
    item = "m06-evidence-scale"
    answer = {
        "s1": "official",
        "s2": "official",
        "s3": "reporting",
        "s4": "reporting",
        "s5": "interested",
        "s7": "interested",
        "s8": "unsourced",
    }
    for level in ("interested", "reporting"):
        assert full(score(m06, item, {**answer, "s6": level})), level
    assert score(m06, item, {**answer, "s6": "unsourced"}).points == pytest.approx(1.75)
    assert set(m06[1][item].defensible["s6"]) == {"interested", "reporting"}


def test_oil_voices_keys_the_necessity_essay_as_a_concession_not_a_denial(m06):
    """Is weighing findings above bare claims (d) right, and 'purchases unproven' (b) wrong?"""
    item = "m06-oil-voices"
    assert full(score(m06, item, "d"))
    spec, key = m06[0][item], m06[1][item]
    assert "necessity" in spec.options["b"]
    assert score(m06, item, "b").points == 0
    assert "concession" in key.misconceptions["b"] and "S35" in key.misconceptions["b"]


def test_distance_reading_hedges_the_straight_line_verdict(m05):
    """Is option a 'unlikely' (not 'cannot'), and do a, b, e score full but c or d lose points?"""
    item = "m05-distance-reading"
    spec = m05[0][item]
    assert "unlikely to be a measured straight-line distance" in spec.options["a"]
    assert "cannot" not in spec.options["a"]
    assert full(score(m05, item, ["a", "b", "e"]))
    assert score(m05, item, ["a", "b", "e", "c"]).verdict == "partial"
    assert score(m05, item, ["c", "d"]).points == 0


def test_desert_keys_the_palmyra_reading(m05):
    """Does the Palmyra reading (c) score full, and the Deir ez-Zor or swapped readings not?"""
    item = "m05-desert"
    spec = m05[0][item]
    assert spec.options["c"].startswith("True of Palmyra")
    assert full(score(m05, item, "c"))
    for option in ("a", "b", "d"):
        assert score(m05, item, option).points == 0, option
    explanation = m05[1][item].explanation
    assert "S88" in explanation and "S89" in explanation and "C33" in explanation
