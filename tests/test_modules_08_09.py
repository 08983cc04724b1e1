"""Modules 00 (forecasts), 08 and 09: resolutions, scores and verdicts match the record."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import pandas as pd
import pytest

from course import data
from course.forecasts import brier
from course.items.spec import specs_from_source
from course.keys import load_key

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KEYS = ROOT / "autograde" / "keys"
FORECAST_IDS = [
    "m00-fc-palmyra",
    "m00-fc-deir-ez-zor",
    "m00-fc-raqqa",
    "m00-fc-turkey",
    "m00-fc-territory",
]
VERDICTS = {
    "Supported",
    "Partly supported",
    "Disputed",
    "Contradicted",
    "Not borne out",
    "Not checkable",
}


def specs(module: str):
    out = {}
    for cell in jupytext.read(NOTEBOOKS / f"{module}.md").cells:
        if cell.cell_type == "code":
            for spec in specs_from_source(cell.source, where=module):
                out[spec.id] = spec
    return out


def code_cells(module: str) -> list[str]:
    return [
        c.source for c in jupytext.read(NOTEBOOKS / f"{module}.md").cells if c.cell_type == "code"
    ]


def resolve_from_events() -> dict[str, int]:
    """Resolve the module 00 forecasts from data.events(), applying each written resolution."""
    events = data.events()
    first_actor = events["actors"].fillna("").str.split("; ").str[0]
    captures = events[events["kind"] == "capture"]

    def happened(mask) -> int:
        return int(bool(mask.fillna(False).any()))

    by_2018 = events["start"] < pd.Timestamp("2018-01-01")
    return {
        "m00-fc-palmyra": happened(
            (events["kind"] == "capture")
            & (events["place_id"] == "palmyra")
            & (first_actor == "IS")
            & (events["start"] > pd.Timestamp("2016-04-01"))
            & by_2018
        ),
        "m00-fc-deir-ez-zor": happened(
            (events["kind"] == "siege_broken")
            & (events["place_id"] == "deir-ez-zor")
            & (first_actor == "Syrian government forces")
            & by_2018
        ),
        "m00-fc-raqqa": happened(
            events.index.isin(captures.index)
            & (events["place_id"] == "raqqa")
            & (first_actor == "Syrian government forces")
            & (events["start_date"] >= "2016-04")
            & by_2018
        ),
        "m00-fc-turkey": happened(
            (events["kind"] == "capture")
            & (first_actor == "Turkey-backed factions")
            & events["actors"].str.contains("IS")
            & (events["start_date"] >= "2016-04")
            & (events["start_date"] <= "2016-12-31")
        ),
        # YES only if nothing marks the end of IS's territory in Syria before 2020.
        "m00-fc-territory": 1
        - happened(
            events["description"].str.contains("IS's last territory in Syria")
            & (events["start"] < pd.Timestamp("2020-01-01"))
        ),
    }


# -- module 00: the locked forecasts -------------------------------------------------


def test_module_00_has_five_forecasts_as_of_april_2016():
    """Are there five graded forecasts, each with a written resolution, as of April 2016?"""
    forecasts = {k: s for k, s in specs("00-orientation").items() if s.kind == "forecast"}
    assert list(forecasts) == FORECAST_IDS
    for spec in forecasts.values():
        assert spec.as_of == "April 2016" and spec.graded and spec.points == 1
        assert spec.resolution.startswith("YES if") and "NO" in spec.resolution


def test_forecast_keys_are_completion_keys_whose_outcomes_match_the_events():
    """Does each forecast key give completion credit and the outcome the events table shows?"""
    key = load_key(KEYS / "00-orientation.yaml")
    resolved = resolve_from_events()
    assert resolved == {
        "m00-fc-palmyra": 1,
        "m00-fc-deir-ez-zor": 1,
        "m00-fc-raqqa": 0,
        "m00-fc-turkey": 1,
        "m00-fc-territory": 0,
    }
    for item_id in FORECAST_IDS:
        item = key.items[item_id]
        assert item.completion
        assert item.outcome == resolved[item_id]
        word = "YES" if item.outcome else "NO"
        assert f"Resolved {word}" in item.explanation
        assert any(c.startswith("S") for c in item.citations())


def test_module_08_resolutions_match_the_module_00_outcomes():
    """Is the m08-resolve key exactly the outcomes of the m00 forecast keys?"""
    m00 = load_key(KEYS / "00-orientation.yaml")
    m08 = load_key(KEYS / "08-hindsight.yaml")
    statements = specs("08-hindsight")["m08-resolve"].statements
    assert list(statements) == FORECAST_IDS
    answer = m08.items["m08-resolve"].answer
    assert {k: 1 if v == "yes" else 0 for k, v in answer.items()} == {
        k: m00.items[k].outcome for k in FORECAST_IDS
    }


# -- module 08 ------------------------------------------------------------------------


def test_palmyra_days_match_the_events_table():
    """Is it 259 days from the announcement of 27 March 2016 to IS's return on 11 December?"""
    events = data.events().set_index("event_id")
    days = (
        events.loc["palmyra-lost-2016", "start"]
        - events.loc["palmyra-recapture-announced", "start"]
    ).days
    assert days == 259
    assert load_key(KEYS / "08-hindsight.yaml").items["m08-palmyra-days"].value == days


def test_brier_on_the_given_set():
    """Does the key for the given set equal the Brier score of the probabilities in the prompt?"""
    prompt = specs("08-hindsight")["m08-brier-given"].prompt
    pairs = re.findall(r"(\d+)% \(it (happened|did not happen)\)", prompt)
    assert len(pairs) == 4
    probabilities = [int(p) / 100 for p, _ in pairs]
    outcomes = [1 if what == "happened" else 0 for _, what in pairs]
    key = load_key(KEYS / "08-hindsight.yaml").items["m08-brier-given"]
    assert key.value == pytest.approx(brier(probabilities, outcomes)) == pytest.approx(0.165)


def _essay_implied() -> dict[str, int]:
    for source in code_cells("08-hindsight"):
        tree = ast.parse(source)
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and getattr(node.targets[0], "id", "") == "essay_implied"
            ):
                return ast.literal_eval(node.value)
    raise AssertionError("no essay_implied cell in module 08")


def test_the_essay_implied_forecasts_and_benchmarks_score_as_the_module_says():
    """Scored against the record, do the essay, the coin flip and the base rate score as stated?"""
    outcomes = {
        k: v.outcome
        for k, v in load_key(KEYS / "00-orientation.yaml").items.items()
        if k in FORECAST_IDS
    }
    essay = _essay_implied()
    assert set(essay) == set(FORECAST_IDS)
    essay_score = brier({k: p / 100 for k, p in essay.items()}, outcomes)
    coin = brier({k: 0.5 for k in essay}, outcomes)
    base_rate = sum(outcomes.values()) / len(outcomes)
    base = brier({k: base_rate for k in essay}, outcomes)
    assert (essay_score, coin, base) == (pytest.approx(0.166), 0.25, pytest.approx(0.24))
    assert essay_score < base < coin


def test_the_title_verdict_keeps_the_fact_sheet_nuance():
    """Does the keyed C41 option keep both halves: government-led gains, and the SDF's end of IS?"""
    spec = specs("08-hindsight")["m08-title"]
    key = load_key(KEYS / "08-hindsight.yaml").items["m08-title"]
    text = spec.options[key.answer]
    for phrase in ("Split", "government retook", "SDF", "last territory"):
        assert phrase in text
    assert (
        "not borne out" in key.explanation.lower()
        and "borne out in one sense" in key.explanation.lower()
    )
    verdicts = load_key(KEYS / "08-hindsight.yaml").items["m08-verdicts"].answer
    assert verdicts == {
        "c11": "borne",
        "c20": "mixed",
        "c21": "mixed",
        "c23": "mixed",
        "c24": ["notborne", "mixed"],
    }


# -- module 09 ------------------------------------------------------------------------


LEDGER_IDS = ("m09-ledger", "m09-ledger-2")


def test_ledger_has_12_to_15_claims_and_the_six_verdicts():
    """Do the two ledger parts list 12–15 claims, each keyed, with exactly the six verdicts?"""
    module_specs = specs("09-synthesis")
    key = load_key(KEYS / "09-synthesis.yaml")
    statements, used = 0, set()
    for item_id in LEDGER_IDS:
        spec = module_specs[item_id]
        statements += len(spec.statements)
        assert set(spec.categories.values()) == VERDICTS
        answer = key.items[item_id].answer
        assert set(answer) == set(spec.statements)
        used |= {v for cats in answer.values() for v in ([cats] if isinstance(cats, str) else cats)}
    assert 12 <= statements <= 15
    assert used == set(module_specs["m09-ledger"].categories)  # every verdict used somewhere


def test_contested_ledger_verdicts_accept_each_defensible_answer():
    """Do the contested claims accept each defensible verdict, and the settled ones one?"""
    key = load_key(KEYS / "09-synthesis.yaml")
    answer = {**key.items["m09-ledger"].answer, **key.items["m09-ledger-2"].answer}
    assert answer["c2a"] == "supported" and answer["c2b"] == "contradicted"
    assert sorted(answer["c3"]) == ["disputed", "partly"]
    assert sorted(answer["c7"]) == ["disputed", "partly", "supported"]
    assert sorted(answer["c14"]) == ["partly", "supported"]
    assert sorted(answer["c15"]) == ["contradicted", "partly"]
    assert sorted(answer["c24"]) == ["notborne", "partly"]
    assert answer["c30"] == "contradicted"
    assert answer["c39"] == "notcheckable" and answer["c41"] == "notborne"


def test_ledger_quotes_are_verbatim_from_the_paragraph_cited():
    """Is every quoted phrase in a ledger statement found word for word in its paragraph?"""
    module_specs = specs("09-synthesis")
    statements = {s: t for i in LEDGER_IDS for s, t in module_specs[i].statements.items()}
    for sid, text in statements.items():
        quotes = re.findall(r"“([^”]+)”", text)
        match = re.search(r"\(¶(\d+)\)", text)
        source = data.paragraph(int(match.group(1))) if match else data.essay_text()
        source = source.replace("\xa0", " ")  # the captured title has a no-break space
        for quote in quotes:
            assert quote in source, (sid, quote)


def test_checked_figures_count_matches_the_estimates_table():
    """Do six of the essay's seven figures have another source's estimate, all but the airstrikes?"""
    estimates = data.estimates()
    essay = estimates[estimates["source_id"] == "ESSAY"]
    others = set(estimates.loc[estimates["source_id"] != "ESSAY", "quantity_id"])
    unmatched = sorted(set(essay["quantity_id"]) - others)
    assert len(essay) == 7 and unmatched == ["palmyra_russian_airstrikes"]
    assert load_key(KEYS / "09-synthesis.yaml").items["m09-checked-figures"].value == 6


def test_assessment_rubric_covers_the_four_criteria_and_the_length():
    """Does the 3-level rubric grade sourcing, corroboration, fairness and use of evidence?"""
    written = load_key(KEYS / "09-synthesis.yaml").written
    rubric = written["m09-assessment"].rubric
    assert [level["level"] for level in rubric] == [3, 2, 1]
    top = rubric[0]["description"]
    for criterion in ("Sourcing", "Corroboration", "Fairness", "Use of evidence", "300–400 words"):
        assert criterion in top
    assert "at least three sources by id" in top
    assert set(written) == {"m09-assessment", "m09-neutral-rewrite"}
