"""Module 09 items re-keyed for fairness: each defensible answer scores, a wrong one does not.

The specs are built from the lesson (notebooks/09-synthesis.md) and scored with the
real scorer against the real key (autograde/keys/09-synthesis.yaml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jupytext
import pytest

from course.grading.score import score_item
from course.items.spec import ItemSpec, specs_from_source
from course.keys import ItemKey, ModuleKey, load_key

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "09-synthesis.md"
KEY = ROOT / "autograde" / "keys" / "09-synthesis.yaml"

#: Contested ledger statements: the item, the verdicts the course's evidence supports,
#: and a verdict it does not.
CONTESTED = {
    "c3": ("m09-ledger", ["disputed", "partly"], "supported"),
    "c7": ("m09-ledger", ["disputed", "supported", "partly"], "contradicted"),
    "c14": ("m09-ledger", ["supported", "partly"], "contradicted"),
    "c15": ("m09-ledger", ["contradicted", "partly"], "supported"),
    "c24": ("m09-ledger-2", ["notborne", "partly"], "supported"),
}


@pytest.fixture(scope="module")
def specs() -> dict[str, ItemSpec]:
    out: dict[str, ItemSpec] = {}
    for cell in jupytext.read(LESSON).cells:
        if cell.cell_type == "code":
            for spec in specs_from_source(cell.source, where="09-synthesis"):
                out[spec.id] = spec
    return out


@pytest.fixture(scope="module")
def key() -> ModuleKey:
    return load_key(KEY)


def first(cats: Any) -> str:
    return cats if isinstance(cats, str) else cats[0]


def ledger_points(spec: ItemSpec, item_key: ItemKey, statement: str, verdict: str) -> float:
    """Score a ledger answer that is right everywhere except, perhaps, at ``statement``."""
    answer = {sid: first(cats) for sid, cats in item_key.answer.items()}
    answer[statement] = verdict
    return score_item(spec, item_key, {"kind": spec.kind, "value": answer}).points


@pytest.mark.parametrize("statement", sorted(CONTESTED))
def test_each_defensible_ledger_verdict_scores_and_an_unsupported_one_does_not(
    specs: dict[str, ItemSpec], key: ModuleKey, statement: str
) -> None:
    """Does every verdict the evidence supports score full marks, with its own reason?"""
    item_id, accepted, wrong = CONTESTED[statement]
    spec, item_key = specs[item_id], key.items[item_id]
    for verdict in accepted:
        assert ledger_points(spec, item_key, statement, verdict) == spec.points, verdict
        assert item_key.defensible[statement][verdict].strip(), verdict
    assert ledger_points(spec, item_key, statement, wrong) < spec.points


def test_paragraph_1_is_split_into_its_supported_and_its_contradicted_half(
    specs: dict[str, ItemSpec], key: ModuleKey
) -> None:
    """Is 'mostly fought the opposition' supported only, and 'avoided IS' contradicted only?"""
    spec, item_key = specs["m09-ledger"], key.items["m09-ledger"]
    assert {"c2a", "c2b"} <= set(spec.statements) and "c2" not in spec.statements
    assert ledger_points(spec, item_key, "c2a", "supported") == spec.points
    assert ledger_points(spec, item_key, "c2b", "contradicted") == spec.points
    for verdict in ("partly", "disputed", "contradicted"):
        assert ledger_points(spec, item_key, "c2a", verdict) < spec.points, verdict
    for verdict in ("supported", "partly", "disputed"):
        assert ledger_points(spec, item_key, "c2b", verdict) < spec.points, verdict


def test_the_ledger_is_two_widgets_of_at_most_four_points(specs: dict[str, ItemSpec]) -> None:
    """Is the 15-statement ledger split so that no single widget carries 7 points?"""
    parts = [specs["m09-ledger"], specs["m09-ledger-2"]]
    assert sum(len(p.statements) for p in parts) == 15
    assert [p.points for p in parts] == [4, 3]


def test_where_right_keys_only_claims_supported_as_stated(
    specs: dict[str, ItemSpec], key: ModuleKey
) -> None:
    """Does where-right ask about claims as stated, and score a-d full but not with e or f?"""
    spec, item_key = specs["m09-where-right"], key.items["m09-where-right"]
    assert "in substance" not in spec.prompt and "as stated" in spec.prompt

    def points(value: list[str]) -> float:
        return score_item(spec, item_key, {"kind": spec.kind, "value": value}).points

    assert points(["a", "b", "c", "d"]) == spec.points
    assert points(["a", "b", "c", "d", "f"]) < spec.points
    assert points(["a", "b", "c", "d", "e"]) < spec.points
    assert points(["e", "f"]) == 0


def test_trust_keys_one_judgement_among_four_that_differ_in_one_respect(
    specs: dict[str, ItemSpec], key: ModuleKey
) -> None:
    """Do all four options share one frame, with only b scoring?"""
    spec, item_key = specs["m09-trust"], key.items["m09-trust"]
    assert all(text.startswith("It is good evidence of ") for text in spec.options.values())
    scores = {
        option: score_item(spec, item_key, {"kind": spec.kind, "value": option}).points
        for option in spec.options
    }
    assert scores == {"a": 0, "b": spec.points, "c": 0, "d": 0}
