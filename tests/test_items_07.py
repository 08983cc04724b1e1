"""Module 07's re-keyed items, scored with the real scorer on the lesson's specs and the key.

Each spec is parsed from ``notebooks/07-russian-air-campaign.md`` as the grader
parses the source notebook, and each answer goes through
:func:`course.grading.score.score_item`, so these tests show what a student
with each answer actually scores.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lesson_items import lesson_specs, module_key, points

from course import data
from course.items.spec import ItemSpec
from course.keys import ModuleKey

ROOT = Path(__file__).resolve().parent.parent
MODULE = "07-russian-air-campaign"


@pytest.fixture(scope="module")
def specs() -> dict[str, ItemSpec]:
    return lesson_specs(MODULE)


@pytest.fixture(scope="module")
def key() -> ModuleKey:
    return module_key(MODULE)


def test_share_mean_is_taken_across_the_comparable_rows_only(specs, key):
    """Is m07-share-mean the McGurk–Kalın mean (both Russian strikes alone), and does pooling fail?"""
    est = data.estimates()
    shares = est[est["quantity_id"] == "russian_strikes_not_on_is_share"].set_index("source_id")
    # McGurk (S56) and Kalın (S57) count the same thing, on the same date; the rest do not.
    mcgurk, kalin = shares.loc["S56"], shares.loc["S57"]
    assert "strikes" in mcgurk["counted"] and "strikes" in kalin["counted"]
    assert mcgurk["as_of"] == kalin["as_of"]
    assert "declared targets" in shares.loc["S54", "counted"]
    assert "al-Qaeda" in shares.loc["S55", "counted"]
    assert "Syrian" in shares.loc["S58", "counted"]
    comparable = float((kalin["value"] + mcgurk["value"]) / 2)
    assert comparable == 80.5
    spec = specs["m07-share-mean"]
    assert "count Russian strikes alone" in spec.prompt
    assert points(specs, key, "m07-share-mean", comparable) == spec.points
    # The classmate's pooled mean, and the stated-only slip (80 and 90), do not score:
    # the wrong method gives a wrong number.
    pooled = float(shares["value"].mean())
    assert pooled == pytest.approx(83.4)
    assert points(specs, key, "m07-share-mean", pooled) == 0
    stated_only = float((shares.loc["S55", "value"] + shares.loc["S54", "value"]) / 2)
    assert points(specs, key, "m07-share-mean", stated_only) == 0


def test_pooling_credits_the_reasons_about_what_was_counted(specs, key):
    """Does m07-pooling give full marks for the three 'counted something else' reasons only?"""
    spec = specs["m07-pooling"]
    assert key.items["m07-pooling"].answer == ["a", "b", "c"]
    assert "locations" in spec.options["a"]
    assert "al-Qaeda" in spec.options["b"]
    assert "Syrian" in spec.options["c"] and "May 2018" in spec.options["c"]
    assert points(specs, key, "m07-pooling", ["a", "b", "c"]) == spec.points
    # Each reason that drops a comparable or a party's row cancels a sound one.
    for wrong in ("d", "e", "f"):
        assert points(specs, key, "m07-pooling", ["a", "b", "c", wrong]) < spec.points
        assert points(specs, key, "m07-pooling", [wrong]) == 0


def test_failure_phrase_keys_little_gains_and_leaves_failure_defensible(specs, key):
    """Does m07-failure-phrase score 'little gains' alone full, and marking 'failure' less?"""
    spec = specs["m07-failure-phrase"]
    item = key.items["m07-failure-phrase"]
    assert spec.options["little"] == "little gains only for the Assad regime"
    assert spec.options["failure"] == "these hopes ended in a failure"
    assert item.answer == ["little"]
    assert points(specs, key, "m07-failure-phrase", ["little"]) == spec.points
    # 'failure' is disputed, not contradicted: marking it (alone or with 'little') is not full.
    assert points(specs, key, "m07-failure-phrase", ["failure"]) == 0
    assert points(specs, key, "m07-failure-phrase", ["little", "failure"]) < spec.points
    for wrong in ("september", "hoped", "massive", "capture"):
        assert points(specs, key, "m07-failure-phrase", [wrong]) == 0
    # The explanation gives the reasons on both sides of 'failure', with their sources.
    for source in ("S64", "S75", "S65"):
        assert source in item.explanation
    assert "generally accomplished" in item.explanation


def test_failure_heading_no_longer_names_the_phrase():
    """Does no heading of the lesson quote the keyed phrase?"""
    text = (ROOT / "notebooks" / f"{MODULE}.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings and not any("little gains" in h or "failure" in h for h in headings)
