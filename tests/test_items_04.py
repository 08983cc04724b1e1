"""Module 04's re-keyed items, scored with the real scorer on the lesson's specs and the key.

Each spec is parsed from ``notebooks/04-corroboration.md`` as the grader parses
the source notebook, and each answer goes through
:func:`course.grading.score.score_item`, so these tests show what a student
with each defensible answer actually scores.
"""

from __future__ import annotations

import pytest
from lesson_items import lesson_specs, module_key, points

from course import data
from course.items.spec import ItemSpec
from course.keys import ModuleKey

MODULE = "04-corroboration"


@pytest.fixture(scope="module")
def specs() -> dict[str, ItemSpec]:
    return lesson_specs(MODULE)


@pytest.fixture(scope="module")
def key() -> ModuleKey:
    return module_key(MODULE)


def test_only_asks_about_combat_and_credits_the_attacks_on_bases(specs, key):
    """Does m04-only ask which events were combat, so that IS attacks on bases (b–e) score?"""
    spec = specs["m04-only"]
    assert "in combat with each other" in spec.prompt
    assert "contradict “only”" not in spec.prompt
    combat = ["a", "b", "c", "d", "e", "f"]
    assert points(specs, key, "m04-only", combat) == spec.points
    # The IS attacks on government bases are combat and count like the government-led fights.
    assert points(specs, key, "m04-only", ["b", "c", "d", "e"]) == pytest.approx(
        points(specs, key, "m04-only", ["a", "f", "b", "c"])
    )
    assert points(specs, key, "m04-only", ["a", "f"]) < spec.points
    # Fights without one of the two sides do not count.
    for wrong in ("g", "h", "i"):
        assert points(specs, key, "m04-only", [*combat, wrong]) < spec.points
    assert key.items["m04-only"].demand_for(spec.kind) == "lookup"


def test_split_credits_the_supported_half_and_rejects_the_contradicted_half(specs, key):
    """Does m04-split credit 'mostly fought others' (S1, S58) and reject 'avoided IS altogether'?"""
    spec = specs["m04-split"]
    answer = key.items["m04-split"].answer
    assert answer["s1"] == "supported" and "more often" in spec.statements["s1"]
    assert answer["s2"] == "contradicted" and "only" in spec.statements["s2"]
    assert points(specs, key, "m04-split", dict(answer)) == spec.points
    # The supported half scores its share on its own, and only as supported.
    share = spec.points / len(spec.statements)
    assert points(specs, key, "m04-split", {"s1": "supported"}) == pytest.approx(share)
    assert points(specs, key, "m04-split", {"s1": "contradicted"}) == 0
    assert points(specs, key, "m04-split", {"s2": "supported"}) == 0
    # The key says the strike count puts Russian and Syrian strikes together.
    explanation = key.items["m04-split"].explanation
    assert "S58" in explanation and "Russian and Syrian strikes together" in explanation


def test_rough_change_asks_what_makes_the_subtraction_rough(specs, key):
    """Is m04-share-change now a spot-the-problem item, with a computed item still in the module?"""
    assert "m04-share-change" not in specs
    spec = specs["m04-rough-change"]
    assert spec.kind == "single_choice"
    assert points(specs, key, "m04-rough-change", "a") == spec.points
    for wrong in ("b", "c", "d"):
        assert points(specs, key, "m04-rough-change", wrong) == 0
    assert "all of its fighting" in spec.options["a"]
    assert any(s.kind == "computed" for s in specs.values())


def test_ops_on_is_accepts_every_count_the_rounded_share_allows(specs, key):
    """Does m04-ops-on-is accept 5.5–6.5% of 982 (about 54–64), and nothing outside it?"""
    estimates = data.estimates().set_index("quantity_id")
    share = estimates.loc["regime_ops_targeting_is_share", "value"]
    total = estimates.loc["regime_ops_total", "value"]
    low, high = (share - 0.5) / 100 * total, (share + 0.5) / 100 * total
    assert (round(low), round(high)) == (54, 64)
    full = specs["m04-ops-on-is"].points
    for value in (54, low, share / 100 * total, 59, high, 64):
        assert points(specs, key, "m04-ops-on-is", value) == full, value
    for value in (53, 65, 6):
        assert points(specs, key, "m04-ops-on-is", value) == 0, value
    assert "5.5%" in key.items["m04-ops-on-is"].explanation
