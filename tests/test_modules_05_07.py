"""Modules 05–07: the figures students compute match the fact sheet, and the keys say so.

Each test recomputes a figure independently from :mod:`course.data` and checks
it against the value the fact sheet gives (research/facts.md) and against the
module's key, so that a change in the data, the lesson or the key is caught.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from course import data
from course.keys import CITATION, load_key

ROOT = Path(__file__).resolve().parent.parent
KEYS = ROOT / "autograde" / "keys"
NOTEBOOKS = ROOT / "notebooks"
MODULES = ["05-tracing-numbers", "06-collusion-evidence", "07-russian-air-campaign"]

#: The essay's earliest possible date: the Palmyra announcement (facts.md §A).
ESSAY_EARLIEST = pd.Timestamp("2016-03-27")
#: Upper bound from silence: Euphrates Shield began on 24 August 2016 (facts.md §A).
ESSAY_UPPER = pd.Timestamp("2016-08-24")


def haversine_km(lat1, lon1, lat2, lon2, radius_km=6371.0):
    """Great-circle distance, written out independently of the lesson."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius_km * math.asin(math.sqrt(a))


def key(module: str):
    return load_key(KEYS / f"{module}.yaml")


def accepted(item) -> list[float]:
    return [item.value, *(alt["value"] for alt in item.accept)]


def scores_full(item, value: float) -> bool:
    targets = [(item.value, item.tolerance)] + [(a["value"], a["tolerance"]) for a in item.accept]
    return any(abs(value - t) <= tol + 1e-9 for t, tol in targets)


@pytest.fixture(scope="module")
def events():
    return data.events().set_index("event_id")


@pytest.fixture(scope="module")
def estimates():
    return data.estimates().set_index("estimate_id")


# --- module 05 -----------------------------------------------------------------


def test_palmyra_deir_ez_zor_distance_is_about_192_km():
    """Is the haversine distance from the places table 191.9 km, inside 190–194, and accepted?"""
    places = data.places().set_index("place_id")
    p, d = places.loc["palmyra"], places.loc["deir-ez-zor"]
    km = haversine_km(p["lat"], p["lon"], d["lat"], d["lon"])
    assert round(km, 1) == 191.9
    assert 190 <= km <= 194
    arc_minutes = haversine_km(34 + 33 / 60, 38 + 17 / 60, 35 + 20 / 60, 40 + 9 / 60)
    assert round(arc_minutes, 1) == 191.1
    item = key("05-tracing-numbers").items["m05-distance-km"]
    assert item.value == 192 and item.tolerance == 2
    for value in (190.0, 191.1, 191.9, 194.0):
        assert scores_full(item, value)
    for wrong in (189.8, 194.2, 225.0):
        assert not scores_full(item, wrong)


def test_essay_225_km_is_about_17_percent_above_the_great_circle(estimates):
    """Is the essay's 225 km about 17% above the straight line, and the road only a lower bound?"""
    essay = estimates.loc["E104"]
    road = estimates.loc["E107"]
    assert essay["source_id"] == "ESSAY" and essay["value"] == 225
    assert road["comparator"] == ">" and road["value"] == 200
    assert round(100 * (225 / 191.9 - 1)) == 17


def test_offensive_lasted_18_days_or_20_from_the_russian_start(events):
    """Is 9–27 March 2016 18 days (2 weeks and 4 days), and 7–27 March 20, both accepted?"""
    offensive = events.loc["palmyra-offensive-march-2016"]
    russian = events.loc["palmyra-russian-air-operations-march-2016"]
    assert (offensive["end"] - offensive["start"]).days == 18 == 2 * 7 + 4
    assert (russian["end"] - russian["start"]).days == 20
    item = key("05-tracing-numbers").items["m05-offensive-days"]
    assert sorted(accepted(item)) == [18, 20]
    assert not scores_full(item, 19)


def test_is_held_palmyra_about_ten_months_not_18_days(events):
    """Is IS's hold 311 days from 21 May 2015 (312 from 20 May), about ten months?"""
    captured = events.loc["palmyra-captured-by-is-2015"]
    retaken = events.loc["palmyra-retaken-2016", "start"]
    assert (retaken - captured["end"]).days == 311
    assert (retaken - captured["start"]).days == 312
    assert 9.5 < 311 / 30.44 < 10.5
    item = key("05-tracing-numbers").items["m05-hold-days"]
    assert sorted(accepted(item)) == [311, 312]


def test_sorties_are_a_russian_general_staff_self_report(estimates):
    """Are the ~500 sorties S71's party claim, and the essay's 500 a different unit?"""
    sorties, essay = estimates.loc["E075"], estimates.loc["E077"]
    assert sorties["value"] == essay["value"] == 500
    assert "sorties" in sorties["counted"] and "air strikes" in essay["counted"]
    assert sorties["source_id"] == "S71" and "Russian General Staff" in sorties["party_claim"]
    assert data.sources().set_index("source_id").loc["S71", "kind"] == "party_to_conflict"


def test_party_claims_key_matches_the_data(estimates):
    """Do the figures keyed as party claims carry party_claim, and the SOHR ones not?"""
    assert pd.notna(estimates.loc["E063", "party_claim"])  # 2,000+ (Syrian Army)
    assert pd.notna(estimates.loc["E065", "party_claim"])  # 450 (Syrian Army)
    assert pd.notna(estimates.loc["E066", "party_claim"])  # 500+ (Russia)
    assert pd.isna(estimates.loc["E064", "party_claim"])  # 417 (SOHR)
    assert pd.isna(estimates.loc["E069", "party_claim"])  # 188 (SOHR via AFP)
    assert key("05-tracing-numbers").items["m05-party-claims"].answer == ["a", "b", "c", "d"]


def test_pro_government_dead_by_source(estimates):
    """Are the counts 188 (AFP), 180 (Xinhua), 195 and 391 (encyclopedia revisions)?"""
    dead = estimates[estimates["quantity_id"] == "palmyra_progov_dead"]
    assert dict(zip(dead["value"], dead["source_id"], strict=True)) == {
        188.0: "S72",
        180.0: "S73",
        195.0: "S69",
        391.0: "S69",
    }
    assert (dead.loc[dead["source_id"] != "S69", "value"] < 200).all()


# --- module 06 -----------------------------------------------------------------


def test_three_sanctions_designations_predate_the_essay():
    """Are exactly three 'sanction' events before 27 March 2016, and the Qatirji one after?"""
    ev = data.events()
    sanctions = ev[ev["kind"] == "sanction"]
    before = sanctions[sanctions["start"] < ESSAY_EARLIEST]
    assert set(before["event_id"]) == {
        "abu-ghadiyah-network-designated",
        "haswani-eu-sanctions",
        "haswani-us-sanctions",
    }
    after = sanctions[sanctions["start"] > ESSAY_UPPER]
    assert list(after["event_id"]) == ["qatirji-designation"]
    assert key("06-collusion-evidence").items["m06-sanctions-before"].value == len(before) == 3


def test_deals_with_is_are_documented_only_after_the_essay(events):
    """Is the Qalamoun deal dated 2017 and the body handover April 2016, as the key assumes?"""
    deal = events.loc["qalamoun-is-evacuation-deal"]
    assert deal["start_date"] == "2017-08" and deal["kind"] == "agreement"
    body = events.loc["prokhorenko-body-recovered"]
    assert body["start_date"] == "2016-04"
    timing = key("06-collusion-evidence").items["m06-timing"].answer
    assert timing["s5"] == "after" and timing["s4"] == "window"
    assert key("06-collusion-evidence").items["m06-deals-after"].answer == ["prisoners", "passage"]


# --- module 07 -----------------------------------------------------------------


def test_share_of_strikes_not_on_is_ranges_from_70_to_91(estimates):
    """Do the five estimates run from 70 (McGurk) to 91 (Turkey), a range of 21 points?"""
    shares = estimates[estimates["quantity_id"] == "russian_strikes_not_on_is_share"]
    by_source = dict(zip(shares["source_id"], shares["value"], strict=True))
    assert by_source == {"S54": 80.0, "S55": 90.0, "S56": 70.0, "S57": 91.0, "S58": 86.0}
    assert shares["value"].max() - shares["value"].min() == 21
    # The key's mean is taken across the comparable rows only: McGurk and Kalın.
    assert by_source["S57"] - by_source["S56"] == 21
    assert key("07-russian-air-campaign").items["m07-share-mean"].value == 80.5


def test_sohr_counts_near_equal_is_and_rebel_deaths(estimates):
    """Are IS fighters 49.4% of the fighters SOHR counted as killed by Russian strikes?"""
    is_dead, rebels = estimates.loc["E014", "value"], estimates.loc["E015", "value"]
    assert (is_dead, rebels) == (2746, 2814)
    share = round(100 * is_dead / (is_dead + rebels), 1)
    assert share == 49.4
    item = key("07-russian-air-campaign").items["m07-sohr-is-share"]
    assert scores_full(item, share) and not scores_full(item, 29.3)


def test_intervention_to_withdrawal_is_166_days(events):
    """Is 30 Sep 2015 to 14 Mar 2016 166 days, about 5½ months, as the key says?"""
    days = (
        events.loc["russian-withdrawal-announced", "start"]
        - events.loc["russian-intervention-begins", "start"]
    ).days
    assert days == 166
    assert round(days / 30.44 * 2) / 2 == 5.5
    assert key("07-russian-air-campaign").items["m07-intervention-days"].value == 166


def test_gains_keyed_against_the_essay_fall_before_it(events):
    """Are the gains keyed 'against' dated between the intervention and the essay, the rest after?"""
    start = events.loc["russian-intervention-begins", "start"]
    gains = ["kuweires-siege-broken", "salma-captured", "nubl-zahraa-siege-broken"]
    gains.append("palmyra-retaken-2016")
    for event_id in gains:
        assert start <= events.loc[event_id, "start"] <= ESSAY_EARLIEST, event_id
    for event_id in ("palmyra-lost-2016", "deir-ez-zor-siege-broken"):
        assert events.loc[event_id, "start"] > ESSAY_UPPER, event_id
    answer = key("07-russian-air-campaign").items["m07-gains"].answer
    assert [answer[s] for s in ("s1", "s2", "s3", "s4")] == ["against"] * 4
    assert (answer["s5"], answer["s6"], answer["s7"]) == ("fits", "after", "after")


def test_truce_came_before_the_withdrawal_announcement(events):
    """Was the cessation of hostilities agreed and in force before 14 March 2016?"""
    agreed = events.loc["cessation-of-hostilities-agreed", "start"]
    in_force = events.loc["cessation-of-hostilities-in-force", "start"]
    announced = events.loc["russian-withdrawal-announced", "start"]
    assert agreed < in_force < announced < events.loc["palmyra-retaken-2016", "start"]
    assert key("07-russian-air-campaign").items["m07-peace-sequence"].answer == "a"


# --- all three keys --------------------------------------------------------------


@pytest.mark.parametrize("module", MODULES)
def test_every_explanation_cites_a_claim_and_a_source(module):
    """Does every explanation, misconception and rubric explanation cite ids, with a C# and an S#?"""
    k = key(module)
    for item in k.items.values():
        ids = {m.group(1) for m in CITATION.finditer(item.explanation)}
        assert ids == {"C", "S"}, f"{item.item_id}: explanation cites {ids or 'nothing'}"
        for option, text in item.misconceptions.items():
            assert CITATION.search(text), f"{item.item_id}.{option}: no C# or S# cited"
    for written in k.written.values():
        ids = {m.group(1) for m in CITATION.finditer(written.explanation)}
        assert ids == {"C", "S"}, f"{written.item_id}: rubric explanation cites {ids}"


#: Estimates whose citation the data dictionary flags ("Citation check:") must not be graded on.
FLAGGED = {
    row.estimate_id
    for row in data.estimates().itertuples()
    if isinstance(row.notes, str) and "Citation check" in row.notes
}


@pytest.mark.parametrize("module", MODULES)
def test_no_item_rests_on_rows_flagged_for_a_citation_check(module):
    """Do the lesson and the key avoid the rows whose citation is flagged?"""
    assert FLAGGED, "the data dictionary says some rows carry a citation check"
    text = (NOTEBOOKS / f"{module}.md").read_text(encoding="utf-8")
    text += (KEYS / f"{module}.yaml").read_text(encoding="utf-8")
    used = set(re.findall(r"\bE\d{3}\b", text))
    assert not used & FLAGGED
