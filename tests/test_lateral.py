"""Module 02's lateral-reading tasks and the offline source cards behind them.

Students find out who runs SOHR, what ISW is and who funds it, and who owns
Sputnik, in a new browser tab or, offline, from the cards in
``datasets/lateral/`` (``course.data.lateral_cards``). These tests check that
each card exists and cites a page for every statement, that the answers the
key and the practice items accept agree with the cards, and that the data
package, cards included, validates.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import jupytext
import pytest
from test_outlet_labels import unquoted_labels

from course import data
from course.datacheck import validate_package
from course.items.spec import ItemSpec, specs_from_source
from course.keys import load_key

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "datasets"
LESSON = ROOT / "notebooks" / "02-sourcing.md"
KEY = ROOT / "autograde" / "keys" / "02-sourcing.yaml"
CARDS = {"SOHR": "sohr.csv", "ISW": "isw.csv", "Sputnik": "sputnik.csv"}
TOPICS = {"what_it_is", "who_runs_it", "where_based", "funding"}
CARD_ID = re.compile(r"\b(?:sohr|isw|sputnik)-[0-9]+\b")


@pytest.fixture(scope="module")
def cards() -> dict[str, list[dict[str, str]]]:
    """Each outlet's card, read straight from its CSV file."""
    out = {}
    for outlet, name in CARDS.items():
        with (DATASETS / "lateral" / name).open(encoding="utf-8", newline="") as fh:
            out[outlet] = list(csv.DictReader(fh))
    return out


@pytest.fixture(scope="module")
def specs() -> dict[str, ItemSpec]:
    """Module 02's items, parsed from the lesson without running it."""
    nb = jupytext.read(LESSON)
    return {
        spec.id: spec
        for cell in nb.cells
        if cell.cell_type == "code"
        for spec in specs_from_source(cell.source, where="02-sourcing")
    }


def statements(card: list[dict[str, str]], topic: str) -> str:
    return " ".join(row["statement"] for row in card if row["topic"] == topic)


def test_each_outlet_has_a_card_answering_the_same_questions(cards):
    """Is there a card for SOHR, ISW and Sputnik, each covering the same four topics?"""
    for outlet, card in cards.items():
        assert card, f"the {outlet} card is empty"
        assert {row["outlet"] for row in card} == {outlet}
        assert {row["topic"] for row in card} == TOPICS, outlet


def test_every_statement_cites_a_page_and_the_date_it_was_read(cards):
    """Does every statement give the page it rests on, how it was seen, and a read date?"""
    sources = data.sources().set_index("source_id")
    for outlet, card in cards.items():
        for row in card:
            where = f"{outlet} {row['statement_id']}"
            assert re.match(r"^https?://\S+$", row["url"]), where
            assert row["quote"].strip() and row["publisher"].strip(), where
            assert row["access"] in {"seen_original", "seen_mirror", "secondhand"}, where
            assert re.match(r"^\d{4}-\d{2}-\d{2}$", row["read_date"]), where
            for sid in filter(None, row["source_ids"].split(";")):
                assert sid in sources.index, f"{where} cites {sid}, which is not in sources"
                assert bool(sources.loc[sid, "seen"]), f"{where} cites unseen {sid}"
                note = str(sources.loc[sid, "affiliation_note"])
                assert row["url"] in note, f"{where}: {sid}'s affiliation note cites another page"


def test_cards_describe_outlets_without_labels(cards):
    """Are the cards' statements free of outlet labels in the course's own voice?"""
    for outlet, card in cards.items():
        for row in card:
            assert not unquoted_labels(row["statement"]), (outlet, row["statement_id"])


def test_the_keyed_sohr_answer_agrees_with_the_card(cards, specs):
    """Does the graded SOHR answer name the person and the city the card gives, and cite them?"""
    item = load_key(KEY).items["m02-sohr"]
    spec = specs["m02-sohr"]
    assert spec.graded and item.answer in spec.options
    keyed = spec.options[item.answer]
    card = cards["SOHR"]
    for fact, topic in (("Rami Abdulrahman", "who_runs_it"), ("Coventry", "where_based")):
        assert fact in keyed and fact in statements(card, topic), fact
        wrong = [o for o, text in spec.options.items() if o != item.answer and fact in text]
        assert not wrong, f"distractors {wrong} also say {fact}"
    cited_rows = set(CARD_ID.findall(item.explanation))
    assert cited_rows and cited_rows <= {row["statement_id"] for row in card}
    runs = {row["url"] for row in card if row["statement_id"] in cited_rows}
    assert any(url in item.explanation for url in runs), "the key cites no card page by address"
    assert "S51" in item.explanation


@pytest.mark.parametrize(
    ("item_id", "outlet", "fact", "topic"),
    [
        ("m02-practice-isw", "ISW", "non-profit", "funding"),
        ("m02-practice-isw", "ISW", "foundations", "funding"),
        ("m02-practice-sputnik", "Sputnik", "Rossiya Segodnya", "who_runs_it"),
        ("m02-practice-sputnik", "Sputnik", "Russian government owns and operates", "who_runs_it"),
    ],
)
def test_the_practice_answers_agree_with_the_cards(cards, specs, item_id, outlet, fact, topic):
    """Does each practice item accept the option the card supports, and cite real card rows?"""
    spec = specs[item_id]
    assert spec.practice is not None and not spec.graded
    keyed = spec.options[spec.practice["answer"]]
    assert fact in keyed and fact in statements(cards[outlet], topic)
    texts = [spec.practice["explanation"], *spec.practice["feedback"].values()]
    cited = {c for text in texts for c in CARD_ID.findall(text)}
    assert cited <= {row["statement_id"] for card in cards.values() for row in card}


def test_practice_comes_before_the_graded_lateral_items(specs):
    """Do both practice items name a skill of the graded SOHR item and come before it?"""
    order = list(specs)
    skills = set(load_key(KEY).items["m02-sohr"].skills)
    for item_id in ("m02-practice-isw", "m02-practice-sputnik"):
        assert specs[item_id].practice["skill"] in skills
        assert order.index(item_id) < order.index("m02-sohr")


def test_the_cards_are_registered_and_the_package_validates():
    """Is the cards resource in datapackage.json, with a licence, and does the package validate?"""
    descriptor = json.loads((DATASETS / "datapackage.json").read_text(encoding="utf-8"))
    (resource,) = [r for r in descriptor["resources"] if r["name"] == "lateral-cards"]
    assert resource["path"] == [f"lateral/{name}" for name in CARDS.values()]
    assert resource["licenses"][0]["name"] == "CC-BY-4.0"
    assert "own" in resource["citation"] and resource["sources"]
    assert validate_package() == []


def test_the_loader_returns_the_cards(cards):
    """Does data.lateral_cards() return every card row, and one outlet's rows when asked?"""
    every = data.lateral_cards()
    assert len(every) == sum(len(card) for card in cards.values())
    sohr = data.lateral_cards("sohr")
    assert list(sohr["statement_id"]) == [row["statement_id"] for row in cards["SOHR"]]
    assert sohr["source_ids"].isna().any()  # an empty cell is missing, not ""
    with pytest.raises(ValueError, match="Choose one of SOHR, ISW, Sputnik"):
        data.lateral_cards("RT")


def test_the_lesson_says_how_to_work_offline():
    """Does the lesson tell students without internet how to read the cards?"""
    text = LESSON.read_text(encoding="utf-8")
    assert "No internet?" in text
    assert 'data.lateral_cards("ISW")' in text
    assert "new browser tab" in text
