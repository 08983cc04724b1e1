"""Checks for the sourced data package in datasets/ (datapackage.json and its tables).

The package must validate with Frictionless; every source id and place id must
resolve; every factual row must cite sources marked SEEN; no table may carry a
verdict; and figures from the fact sheet are pinned so that an edit that
changes them fails here first.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from math import asin, cos, radians, sin, sqrt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"
DESCRIPTOR = DATASETS / "datapackage.json"
FACT_SHEET = ROOT / "tests" / "fixtures" / "research" / "facts.md"  # see its README
ESSAY = DATASETS / "essay" / "the-assad-regime-cannot-and-will-not-defeat-isis.txt"
EARTH_RADIUS_KM = 6371.0
ISO_PARTIAL = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
PRECISION_LENGTH = {"day": 10, "month": 7, "year": 4}
SYRIA_BOX = {"lat": (32.0, 37.5), "lon": (35.5, 42.5)}

needs_fact_sheet = pytest.mark.skipif(
    not FACT_SHEET.exists(), reason="tests/fixtures/research/facts.md is missing"
)


def read(name: str) -> list[dict[str, str]]:
    """Return a CSV file of datasets/ as a list of rows (all values as strings)."""
    with (DATASETS / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def split_ids(cell: str) -> list[str]:
    """Split a ';'-separated id list, ignoring blanks."""
    return [part.strip() for part in cell.split(";") if part.strip()]


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the great-circle distance in km between two (lat, lon) points."""
    (lat1, lon1), (lat2, lon2) = a, b
    p1, p2 = radians(lat1), radians(lat2)
    h = sin((p2 - p1) / 2) ** 2 + cos(p1) * cos(p2) * sin(radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(h))


def normalise(text: str) -> str:
    """Collapse whitespace (no-break spaces included) for verbatim comparisons."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


@pytest.fixture(scope="module")
def descriptor() -> dict:
    return json.loads(DESCRIPTOR.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sources() -> dict[str, dict[str, str]]:
    return {row["source_id"]: row for row in read("sources.csv")}


@pytest.fixture(scope="module")
def places() -> dict[str, dict[str, str]]:
    return {row["place_id"]: row for row in read("places.csv")}


@pytest.fixture(scope="module")
def events() -> dict[str, dict[str, str]]:
    return {row["event_id"]: row for row in read("events.csv")}


@pytest.fixture(scope="module")
def estimates() -> list[dict[str, str]]:
    return read("estimates.csv")


def coords(places, place_id: str) -> tuple[float, float]:
    return float(places[place_id]["lat"]), float(places[place_id]["lon"])


def event_day(events, event_id: str, column: str = "start_date") -> date:
    row = events[event_id]
    assert row["date_precision"] == "day", f"{event_id} is not dated to the day"
    return date.fromisoformat(row[column])


# --- the package as a whole ---------------------------------------------------


def test_package_validates_with_frictionless():
    """Does Frictionless find the package valid (schemas, types, keys, foreign keys)?"""
    import frictionless

    report = frictionless.Package(str(DESCRIPTOR)).validate()
    problems = report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])
    for problem in problems:
        print(problem)
    assert report.valid, f"{len(problems)} problems, first: {problems[:5]}"


def test_descriptor_lists_every_table_and_the_essay(descriptor):
    """Does the descriptor list each table and the essay, each with a licence and a citation?"""
    names = [r["name"] for r in descriptor["resources"]]
    core = ["sources", "claims", "paragraphs", "essay", "places", "events", "estimates"]
    assert names[: len(core)] == core
    assert "lateral-cards" in names  # module 02's source cards (tests/test_lateral.py)
    assert descriptor["name"] == "claims-and-evidence"
    assert descriptor["version"] == "1.0.0"
    assert descriptor["licenses"] and descriptor["contributors"] and descriptor["sources"]
    for resource in descriptor["resources"]:
        # A multipart resource (the source cards: one file per outlet) lists its files.
        paths = resource["path"] if isinstance(resource["path"], list) else [resource["path"]]
        assert all((DATASETS / path).is_file() for path in paths), paths
        assert resource.get("licenses"), f"{resource['name']} has no licence"
        assert resource.get("citation"), f"{resource['name']} has no citation"
        assert resource.get("sources"), f"{resource['name']} names no source"
        assert resource["encoding"] == "utf-8"
        if resource["format"] == "csv":
            schema = resource["schema"]
            assert schema["missingValues"] == [""]
            assert schema["primaryKey"], f"{resource['name']} has no primary key"
            for path in paths:
                with (DATASETS / path).open(encoding="utf-8", newline="") as fh:
                    header = next(csv.reader(fh))
                assert header == [f["name"] for f in schema["fields"]], path


def test_no_table_carries_a_verdict(descriptor):
    """Is there no verdict column in any table (verdicts are answers, kept in the keys)?"""
    for path in DATASETS.rglob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        assert not [c for c in header if "verdict" in c.lower()], path.name
    for resource in descriptor["resources"]:
        for field in resource.get("schema", {}).get("fields", []):
            assert "verdict" not in field["name"].lower()


def test_no_machine_paths_in_the_package(descriptor):
    """Do the descriptor and tables avoid absolute paths of the authoring machine?"""
    for path in [DESCRIPTOR, *DATASETS.glob("*.csv")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?<![\w.])/(work|home|root|tmp|Users)/", text), path.name


# --- keys, citations and SEEN -------------------------------------------------


def test_source_ids_are_the_fact_sheets_without_s77(sources):
    """Does sources.csv hold S1–S114 except the unused S77, plus the essay?"""
    expected = {f"S{i}" for i in range(1, 115)} - {"S77"} | {"ESSAY"}
    assert expected <= set(sources)
    # Sources checked after the fact sheet (see docs/data-dictionary.md) continue its numbering.
    added = set(sources) - expected
    assert added == {f"S{i}" for i in range(115, 115 + len(added))}
    assert all(row["seen"] in ("true", "false") for row in sources.values())


def test_foreign_keys_resolve(sources, places, events, estimates):
    """Does every source id, place id and derived_from reference point at a real row?"""
    for place in places.values():
        assert place["source_id"] in sources, place["place_id"]
    for event in events.values():
        assert not event["place_id"] or event["place_id"] in places, event["event_id"]
        for sid in split_ids(event["source_ids"]):
            assert sid in sources, f"{event['event_id']}: {sid}"
    ids = {row["estimate_id"] for row in estimates}
    tables = {"estimate": ids, "place": set(places), "event": set(events)}
    for row in estimates:
        assert row["source_id"] in sources, row["estimate_id"]
        for ref in split_ids(row["derived_from"]):
            table, _, key = ref.partition(":")
            assert key in tables[table], f"{row['estimate_id']}: {ref}"


def test_every_row_cites_a_source(places, events, estimates):
    """Does every place, event and estimate cite at least one source?"""
    assert all(p["source_id"] for p in places.values())
    assert all(split_ids(e["source_ids"]) for e in events.values())
    assert all(e["source_id"] for e in estimates)


def test_only_seen_sources_support_facts(sources, places, events, estimates):
    """Are events, estimates and coordinates supported only by sources marked SEEN?"""
    cited = {p["source_id"] for p in places.values()}
    cited |= {sid for e in events.values() for sid in split_ids(e["source_ids"])}
    cited |= {e["source_id"] for e in estimates}
    unseen = sorted(sid for sid in cited if sources[sid]["seen"] != "true")
    assert not unseen, f"cited but not SEEN: {unseen}"


def test_party_figures_say_whose_they_are(sources, estimates):
    """Does every figure from a party to the conflict (Russian MoD, Syrian Army, …) say so?"""
    party = re.compile(
        r"^(Russian MoD|Russian Ministry|Russian defence|Russia \(|Gen\. Sergei Rudskoy|Lt Gen Kuralenko"
        r"|Syrian Army|US officials|US State Department|US envoy|US Treasury|Turkish|Syrian Coalition"
        r"|US-led coalition)"
    )
    for row in estimates:
        from_party = party.match(row["attributed_to"]) or (
            sources[row["source_id"]]["kind"] == "party_to_conflict"
        )
        if from_party:
            assert "party to the conflict" in row["party_claim"], row["estimate_id"]


# --- dates, values and disagreement -----------------------------------------


def test_event_dates_match_their_precision(events):
    """Is every event date an ISO string at its stated precision, with end after start?"""
    for event in events.values():
        length = PRECISION_LENGTH[event["date_precision"]]
        for column in ("start_date", "end_date"):
            value = event[column]
            if value:
                assert ISO_PARTIAL.match(value) and len(value) == length, event["event_id"]
        if event["end_date"]:
            assert event["end_date"] > event["start_date"], event["event_id"]
        if event["date_precision"] == "day":
            date.fromisoformat(event["start_date"])


def test_estimate_values_fit_their_comparator(estimates):
    """Do value, low, high and value_date agree with the comparator and the unit?"""
    for row in estimates:
        rid, comp = row["estimate_id"], row["comparator"]
        if row["unit"] == "date":
            assert row["value_date"] and not row["value"], rid
            continue
        if comp == "range":
            assert not row["value"] and float(row["low"]) < float(row["high"]), rid
            continue
        assert row["value"], rid
        if comp in (">", "≥"):
            assert row["low"] == row["value"], rid
        if comp in ("<", "≤"):
            assert row["high"] == row["value"], rid
        if row["unit"] == "percent":
            assert 0 <= float(row["value"]) <= 100, rid
        if row["derived"] == "true":
            assert row["notes"], f"{rid}: a derived row must say how it was derived"


def test_same_source_and_quantity_rows_differ_in_something(estimates):
    """Is each repeated (source, quantity) pair a different date, unit, attribution or derivation?"""
    seen = set()
    for row in estimates:
        key = tuple(
            row[c]
            for c in (
                "quantity_id",
                "source_id",
                "unit",
                "period_start",
                "period_end",
                "attributed_to",
                "derived",
                "counted",
                "notes",
            )
        )
        assert key not in seen, row["estimate_id"]
        seen.add(key)


def test_palmyra_offensive_start_disagreement_is_visible(events, estimates):
    """Do the 9 March (Wikipedia) and 7 March (Russian General Staff) starts both appear, apart?"""
    wiki = events["palmyra-offensive-march-2016"]
    russia = events["palmyra-russian-air-operations-march-2016"]
    assert (wiki["start_date"], wiki["source_ids"]) == ("2016-03-09", "S69")
    assert (russia["start_date"], russia["source_ids"]) == ("2016-03-07", "S71")
    assert "party to the conflict" in russia["party_claim"]
    starts = {
        r["source_id"]: r["value_date"]
        for r in estimates
        if r["quantity_id"] == "palmyra_offensive_start"
    }
    assert starts == {"S69": "2016-03-09", "S71": "2016-03-07"}


def test_rows_on_misnumbered_citations_are_flagged(estimates):
    """Do the 2017 figures the fact sheet cites to S8 or S9 (2014 reports) carry a citation check?"""
    later = [
        r for r in estimates if r["source_id"] in ("S8", "S9") and not r["as_of"].startswith("2014")
    ]
    assert len(later) == 13
    assert all("Citation check" in r["notes"] for r in later)


# --- regression pins from the fact sheet ------------------------------------


def test_palmyra_deir_ez_zor_great_circle_distance(places, estimates):
    """Is the haversine distance Palmyra–Deir ez-Zor from places 190–194 km (fact sheet: 191.9)?"""
    km = haversine_km(coords(places, "palmyra"), coords(places, "deir-ez-zor"))
    assert 190 <= km <= 194
    assert round(km, 1) == 191.9
    essay = [
        r
        for r in estimates
        if r["quantity_id"] == "distance_palmyra_deir_ez_zor_km" and r["source_id"] == "ESSAY"
    ]
    assert [float(r["value"]) for r in essay] == [225.0]


def test_derived_distances_recompute_from_places(places, estimates):
    """Does every great-circle row equal the haversine of its two places, to 0.05 km?"""
    rows = [
        r for r in estimates if r["counted"] == "great-circle distance (haversine, R = 6371 km)"
    ]
    assert len(rows) >= 8
    for row in rows:
        a, b = (ref.partition(":")[2] for ref in split_ids(row["derived_from"]))
        assert abs(haversine_km(coords(places, a), coords(places, b)) - float(row["value"])) < 0.05
        assert row["source_id"] in {places[a]["source_id"], places[b]["source_id"]}


def test_places_lie_in_syria_and_cite_their_source(places):
    """Are all coordinates inside Syria's bounding box, each with a precision and a source?"""
    for place in places.values():
        lat, lon = coords(places, place["place_id"])
        assert SYRIA_BOX["lat"][0] <= lat <= SYRIA_BOX["lat"][1], place["place_id"]
        assert SYRIA_BOX["lon"][0] <= lon <= SYRIA_BOX["lon"][1], place["place_id"]
        assert place["precision"]


@pytest.mark.parametrize(
    ("event_id", "column", "expected"),
    [
        ("russian-intervention-begins", "start_date", "2015-09-30"),
        ("russian-withdrawal-announced", "start_date", "2016-03-14"),
        ("palmyra-retaken-2016", "start_date", "2016-03-27"),
        ("palmyra-recapture-announced", "start_date", "2016-03-27"),
        ("palmyra-lost-2016", "start_date", "2016-12-11"),
        ("palmyra-retaken-2017", "start_date", "2017-03-02"),
        ("kuweires-siege-broken", "start_date", "2015-11-10"),
        ("deir-ez-zor-siege-broken", "start_date", "2017-09-05"),
        ("abu-kamal-captured-announced", "start_date", "2017-11-09"),
        ("abu-kamal-retaken", "start_date", "2017-11-19"),
        ("raqqa-captured-by-sdf", "start_date", "2017-10-17"),
        ("baghuz-captured-by-sdf", "start_date", "2019-03-23"),
        ("euphrates-shield", "start_date", "2016-08-24"),
        ("euphrates-shield", "end_date", "2017-03-29"),
        ("palmyra-captured-by-is-2015", "start_date", "2015-05-20"),
        ("palmyra-captured-by-is-2015", "end_date", "2015-05-21"),
        ("palmyra-offensive-march-2016", "end_date", "2016-03-27"),
    ],
)
def test_event_dates_are_pinned(events, event_id, column, expected):
    """Does each key event keep the date the fact sheet gives?"""
    assert events[event_id][column] == expected


def test_six_months_is_166_days(events, estimates):
    """Is 30 Sep 2015 → 14 Mar 2016 166 days, and does the derived row say so?"""
    days = (
        event_day(events, "russian-withdrawal-announced")
        - event_day(events, "russian-intervention-begins")
    ).days
    assert days == 166
    row = next(
        r
        for r in estimates
        if r["quantity_id"] == "russian_intervention_to_withdrawal_length" and r["unit"] == "days"
    )
    assert float(row["value"]) == days and row["derived"] == "true"


def test_offensive_length_is_18_days(events):
    """Is 9–27 March 2016 the "2 weeks and 4 days" (18 days) of the Wikipedia infobox?"""
    length = (
        event_day(events, "palmyra-offensive-march-2016", "end_date")
        - event_day(events, "palmyra-offensive-march-2016")
    ).days
    assert length == 18


def test_ihs_2014_six_percent_of_982_is_about_59(estimates):
    """Does 6% of 982 government operations (IHS JTIC 2014) come to about 59?"""

    def value(quantity):
        return float(
            next(
                r["value"]
                for r in estimates
                if r["quantity_id"] == quantity and r["source_id"] == "S1"
            )
        )

    computed = value("regime_ops_targeting_is_share") / 100 * value("regime_ops_total")
    assert round(computed) == 59
    assert value("regime_ops_targeting_is_count") == 59


def test_strike_shares_by_source(estimates):
    """Are the not-on-IS shares pinned: Reuters ≈80, State >90, McGurk ≈70, Turkey 91, IHS 86?"""
    shares = {
        r["source_id"]: (r["comparator"], float(r["value"]), r["derived"])
        for r in estimates
        if r["quantity_id"] == "russian_strikes_not_on_is_share"
    }
    assert shares == {
        "S54": ("≈", 80.0, "false"),
        "S55": (">", 90.0, "false"),
        "S56": ("≈", 70.0, "true"),
        "S57": ("=", 91.0, "true"),
        "S58": ("=", 86.0, "true"),
    }


def test_palmyra_casualty_figures_by_source(estimates):
    """Are the pro-government dead 180 / 188 / 195 / 391 and IS dead 400+ / 417 / 450 / 500+?"""

    def values(quantity):
        return sorted(float(r["value"]) for r in estimates if r["quantity_id"] == quantity)

    assert values("palmyra_progov_dead") == [180, 188, 195, 391]
    assert values("palmyra_is_dead") == [400, 400, 417, 450, 500]


# --- against the fact sheet -----------------------------------------------------


@needs_fact_sheet
def test_every_source_id_appears_in_the_fact_sheet(sources):
    """Is every S# in sources.csv an entry of the fact sheet's source list?"""
    facts = FACT_SHEET.read_text(encoding="utf-8")
    for sid in sources:
        if sid != "ESSAY" and int(sid[1:]) <= 114:  # S115 on were checked after the fact sheet
            assert f"**[{sid}]" in facts, sid


@needs_fact_sheet
def test_urls_are_exactly_as_found(sources):
    """Is each source's first URL the first URL of its fact-sheet entry, character for character?"""
    facts = FACT_SHEET.read_text(encoding="utf-8")
    section = facts[facts.index("## F. Sources") :]
    entries = re.split(r"\n- \*\*\[(S\d+)\]", section)
    first_urls = {
        entries[i]: re.findall(r"https?://\S+", entries[i + 1])
        for i in range(1, len(entries) - 1, 2)
    }
    for sid, row in sources.items():
        if sid == "ESSAY" or int(sid[1:]) > 114:  # S115 on were checked after the fact sheet
            continue
        urls = [row["url"], *(u for u in row["other_urls"].split(" | ") if u)]
        assert urls == first_urls[sid], sid


@needs_fact_sheet
def test_quotes_are_verbatim(estimates):
    """Is every estimate's quote found word for word in the fact sheet (or the essay)?"""
    facts = normalise(FACT_SHEET.read_text(encoding="utf-8"))
    essay = normalise(ESSAY.read_text(encoding="utf-8"))
    for row in estimates:
        haystack = essay if row["source_id"] == "ESSAY" else facts
        assert normalise(row["quote"]) in haystack, row["estimate_id"]
