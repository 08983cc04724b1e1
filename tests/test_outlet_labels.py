"""Outlets are labelled the same way everywhere, which in the course's own prose means not at all.

The lessons, item texts, keys and data tables' notes name outlets plainly ("Sputnik reported…");
who runs each one is recorded, for every source alike, in the ``kind`` and
``affiliation`` columns of ``datasets/sources.csv``. A characterisation such
as "state media" or "pro-Kremlin" may appear only inside a quotation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("*.md"))
KEYS = sorted((ROOT / "autograde" / "keys").glob("*.yaml"))
#: The data tables' notes (sources.csv records affiliation in its own columns, for every row).
TABLES = sorted(p for p in (ROOT / "datasets").glob("*.csv") if p.name != "sources.csv")

_OUTLET = (
    r"(?:outlets?|sites?|websites?|media|channels?|news|press|agency|agencies|"
    r"broadcasters?|newspapers?|papers?|blogs?|TV|television)"
)
#: Characterisations of an outlet's owner or stance, in any case: "state media", "state-run",
#: "Kremlin-backed", or a stance ("pro-Kremlin", "anti-Assad"…) followed by an outlet noun.
#: A party's own broadcaster speaking for it ("Syrian state TV (party to the conflict)") is
#: the speaker's identity, like "the Russian Ministry of Defence", not a label.
LABELS = re.compile(
    r"\b(?:state[- ](?:run|owned|funded|controlled|outlets?|media|news|agency|broadcasters?)"
    r"|government[- ](?:funded|run|owned|controlled)\s+"
    + _OUTLET
    + r"|(?:Kremlin|Damascus|Tehran|Doha|Riyadh|Ankara|Washington)[- ]"
    r"(?:backed|funded|controlled|aligned|run)"
    r"|(?:pro|anti)-[A-Za-z]+(?:\s+[A-Za-z]+){0,2}?\s+"
    + _OUTLET
    + r"|propaganda\s+"
    + _OUTLET
    + r"|mouthpiece)\b",
    re.IGNORECASE,
)
#: Quoted spans: “…”, "…" (one line at most), which may quote a source's own words.
QUOTED = re.compile(r"“[^”\n]*”|\"[^\"\n]*\"")


def unquoted_labels(text: str) -> list[str]:
    """Return the outlet labels in ``text`` outside quotation marks."""
    return [m.group(0) for m in LABELS.finditer(QUOTED.sub(" ", text))]


def test_labels_are_found_outside_quotes_only():
    """Does the scan catch a label in our voice and ignore one inside a quotation?"""
    assert unquoted_labels("Sputnik, a Russian state outlet, said so.") == ["state outlet"]
    assert unquoted_labels("the pro-Kremlin site Russia Insider") == ["pro-Kremlin site"]
    assert unquoted_labels("pro-government forces retook Palmyra") == []
    assert unquoted_labels("He called it “state media” in 2016.") == []


@pytest.mark.parametrize("path", LESSONS + KEYS + TABLES, ids=lambda p: p.name)
def test_no_outlet_is_labelled_in_the_course_voice(path):
    """Does the lesson or key name outlets without characterising any of them?"""
    found = [
        (number, label)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for label in unquoted_labels(line)
    ]
    assert not found, f"{path.name}: outlet labels at (line, label) {found}"
