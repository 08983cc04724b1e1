"""The sources table: every row has a kind, an affiliation and a neutral stance note.

``datasets/sources.csv`` says for each source what kind of body its content
comes from (``kind``), who owns or funds its publisher (``affiliation``, a
controlled vocabulary the data package enforces, with ``affiliation_note``
naming the owner and the page that says so) and what the row is and whose
account it carries (``stance_note``). These tests read only the shipped
package, never the shared research notes.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from course.datacheck import validate_package

DATASETS = Path(__file__).resolve().parent.parent / "datasets"
AFFILIATIONS = {
    "state",
    "party",
    "commercial",
    "nonprofit",
    "community",
    "individual",
    "mixed",
    "unknown",
}
#: Characterisations the course does not use in its own voice (see the issue's outlet-label rule).
LABELS = (
    "pro-kremlin",
    "state media",
    "state-run",
    "state outlet",
    "pro-government outlet",
    "pro-government sources",
    "opposition-leaning",
    "partisan source",
    "low-quality",
    "anti-assad",
    "advocate-analyst",
    "critical of russian policy",
)
ESSAY_URL = (
    "https://meobserver.wordpress.com/2016/04/23/the-assad-regime-cannot-and-will-not-defeat-isis/"
)


def read_sources(folder: Path = DATASETS) -> list[dict[str, str]]:
    """Return the rows of ``sources.csv`` in ``folder`` (all values as strings)."""
    with (folder / "sources.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_sources(folder: Path, rows: list[dict[str, str]]) -> None:
    """Write ``rows`` back to ``sources.csv`` in ``folder``, columns in their order."""
    with (folder / "sources.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return read_sources()


@pytest.fixture(scope="module")
def fields() -> dict[str, dict]:
    descriptor = json.loads((DATASETS / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == "sources")
    return {field["name"]: field for field in resource["schema"]["fields"]}


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "datasets"
    shutil.copytree(DATASETS, target)
    return target


def test_every_row_has_a_kind_and_an_affiliation_from_the_vocabulary(rows, fields):
    """Does every row carry a kind and an affiliation, each a value the package allows?"""
    kinds = set(fields["kind"]["constraints"]["enum"])
    assert set(fields["affiliation"]["constraints"]["enum"]) == AFFILIATIONS
    for row in rows:
        assert row["kind"] in kinds, row["source_id"]
        assert row["affiliation"] in AFFILIATIONS, row["source_id"]


def test_the_package_enforces_affiliation_and_notes(fields):
    """Are affiliation, affiliation_note and stance_note required by the descriptor, next to kind?"""
    for name in ("affiliation", "affiliation_note", "stance_note"):
        assert fields[name]["constraints"]["required"] is True, name
    names = list(fields)
    assert names[names.index("kind") + 1 : names.index("kind") + 4] == [
        "affiliation",
        "affiliation_note",
        "stance_note",
    ]


def test_every_row_has_a_stance_note_and_an_affiliation_note(rows):
    """Is stance_note (and affiliation_note) filled in for every row, ids and order unchanged?"""
    for row in rows:
        assert row["stance_note"].strip(), row["source_id"]
        assert row["affiliation_note"].strip(), row["source_id"]
    ids = [row["source_id"] for row in rows]
    added = len(ids) - 114  # sources checked after the fact sheet, numbered from S115
    expected = [f"S{i}" for i in range(1, 115 + added) if i != 77] + ["ESSAY"]
    assert ids == expected


def test_established_affiliations_cite_where_they_come_from(rows):
    """Does every affiliation other than unknown rest on a cited page or the fact sheet?"""
    for row in rows:
        note = row["affiliation_note"]
        if row["affiliation"] == "unknown":
            assert re.search(r"not (established|named|stated)", note), row["source_id"]
        else:
            assert re.search(r"per (https?://|the fact sheet)", note), row["source_id"]


def test_mixed_rows_name_each_publisher(rows):
    """Does a mixed row's note give at least two publishers (one per ';' part)?"""
    mixed = [row for row in rows if row["affiliation"] == "mixed"]
    assert mixed
    for row in mixed:
        assert len(row["affiliation_note"].split("; ")) >= 2, row["source_id"]


def test_stance_notes_label_no_outlet(rows):
    """Are stance notes free of the characterisations the course does not use in its own voice?"""
    for row in rows:
        text = row["stance_note"].lower()
        assert not [label for label in LABELS if label in text], row["source_id"]


def test_essay_row_points_at_the_stored_copy_named_in_the_provenance_note(rows):
    """Does the essay's row give the stored copy's address and date that provenance.md reports?"""
    essay = next(row for row in rows if row["source_id"] == "ESSAY")
    provenance = (DATASETS / "essay" / "provenance.md").read_text(encoding="utf-8")
    assert essay["url"] == ESSAY_URL and ESSAY_URL in provenance
    assert (essay["date"], essay["date_precision"]) == ("2016-04-23", "day")
    assert "2016/04/23" in essay["url"]
    # The address's date lies inside the writing window the internal evidence gives.
    assert "2016-03-27" <= essay["date"] <= "2016-08-24"
    assert essay["affiliation"] == "unknown"


def test_the_shipped_package_validates():
    """Does the data package, with the new columns, pass the course's validation?"""
    assert validate_package(DATASETS) == []


@pytest.mark.parametrize("value", ["", "state media", "Commercial"])
def test_an_affiliation_outside_the_vocabulary_is_refused(copy, value):
    """Is a missing or out-of-vocabulary affiliation reported by the validation?"""
    changed = read_sources(copy)
    changed[2]["affiliation"] = value
    write_sources(copy, changed)
    problems = validate_package(copy)
    assert any(p.startswith("sources:") and "affiliation" in p for p in problems), problems


def test_an_empty_stance_note_is_refused(copy):
    """Is a row without a stance note reported by the validation?"""
    changed = read_sources(copy)
    changed[3]["stance_note"] = ""
    write_sources(copy, changed)
    problems = validate_package(copy)
    assert any(p.startswith("sources:") and "stance_note" in p for p in problems), problems
