"""The teaching guide covers every module, names only real items, and lists every contested key.

``docs/teaching-guide.md`` has one section per module found by
:func:`course.lessons.find_lessons`, each with the same six parts. These tests
hold it to the lessons and keys it describes, so that a new module, a renamed
item, a new contested verdict or a changed time estimate shows up as a failure
here instead of as a stale guide.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from pathlib import Path

import pytest

from course.keys import CITATION, ModuleKey, load_keys
from course.lessons import Lesson, find_lessons

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "teaching-guide.md"

#: The sub-headings every module section has, in order (each a prefix of the heading).
PARTS = (
    "Aim",
    "Misconceptions",
    "Discussion prompts",
    "Pacing",
    "What to debrief first",
    "Appeals",
)
#: The general sections that come before the first module.
GENERAL = ("How the course teaches", "Running a module", "Grade appeals")
#: An item id as the keys spell it: ``m`` and two digits, then hyphenated words.
ITEM_ID = re.compile(r"(?<![\w-])m\d{2}(?:-[a-z0-9]+)+(?![\w-])")

LESSONS = find_lessons()
KEYS = load_keys(ROOT / "autograde" / "keys")


def _sections(text: str, level: int) -> list[tuple[str, str]]:
    """Return (heading, body) for each heading of ``level`` ``#`` signs, in order."""
    marker = "#" * level + " "
    out: list[tuple[str, list[str]]] = []
    fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
        if not fence and line.startswith(marker):
            out.append((line[len(marker) :].strip(), []))
        elif out:
            out[-1][1].append(line)
    return [(heading, "\n".join(body)) for heading, body in out]


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _is_module_heading(heading: str, lesson: Lesson) -> bool:
    return lesson.id in heading or f"Module {lesson.number:02d}" in heading


def _module_section(guide: str, lesson: Lesson) -> str:
    found = [body for heading, body in _sections(guide, 2) if _is_module_heading(heading, lesson)]
    assert len(found) == 1, (
        f"docs/teaching-guide.md needs exactly one section headed with {lesson.id!r} or "
        f"'Module {lesson.number:02d}'; found {len(found)}"
    )
    return found[0]


def _part(section: str, name: str) -> str:
    for heading, body in _sections(section, 3):
        if heading.startswith(name):
            return body
    raise AssertionError(f"no '### {name}…' part in this module's section")


def _key(lesson: Lesson) -> ModuleKey:
    assert lesson.id in KEYS, f"no key autograde/keys/{lesson.id}.yaml for {lesson.id}"
    return KEYS[lesson.id]


def _contested(key: ModuleKey) -> list[str]:
    return [item_id for item_id, item in key.items.items() if item.defensible]


def test_the_guide_opens_with_the_general_sections(guide):
    """Does the guide start with the approach, how to run a module and the appeals policy?"""
    headings = [heading for heading, _ in _sections(guide, 2)]
    first_module = next(
        i for i, h in enumerate(headings) if any(_is_module_heading(h, ls) for ls in LESSONS)
    )
    general = headings[:first_module]
    for name in GENERAL:
        assert any(h.startswith(name) for h in general), (
            f"the guide needs a '## {name}…' section before the first module; it has {general}"
        )


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda ls: ls.id)
def test_every_module_has_a_section_with_the_six_parts(guide, lesson):
    """Does each module found by find_lessons have a section with all six parts, in order?"""
    section = _module_section(guide, lesson)
    headings = [heading for heading, _ in _sections(section, 3)]
    order = []
    for name in PARTS:
        matches = [i for i, h in enumerate(headings) if h.startswith(name)]
        assert matches, f"{lesson.id}: no '### {name}…' part; its parts are {headings}"
        order.append(matches[0])
    assert order == sorted(order), f"{lesson.id}: parts out of order: {headings}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda ls: ls.id)
def test_every_item_named_exists_in_the_module_key(guide, lesson):
    """Is every item id a module's section names a graded item or written answer of its key?"""
    key = _key(lesson)
    known = set(key.items) | set(key.written)
    named = set(ITEM_ID.findall(_module_section(guide, lesson)))
    assert named, f"{lesson.id}: the section names no item"
    unknown = sorted(named - known)
    assert not unknown, f"{lesson.id}: the guide names items not in its key: {unknown}"


def test_items_named_in_the_general_sections_exist(guide):
    """Does the general part of the guide name only items that some key has?"""
    known = {i for key in KEYS.values() for i in (*key.items, *key.written)}
    general = guide.split("\n## Module ", 1)[0]
    unknown = sorted(set(ITEM_ID.findall(general)) - known)
    assert not unknown, f"the guide's general sections name unknown items: {unknown}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda ls: ls.id)
def test_every_contested_item_is_named_in_the_appeals_part(guide, lesson):
    """Is every item whose key accepts several verdicts (`defensible`) named under Appeals?"""
    appeals = _part(_module_section(guide, lesson), "Appeals")
    missing = [item for item in _contested(_key(lesson)) if item not in appeals]
    assert not missing, f"{lesson.id}: contested items missing from the appeals part: {missing}"


def test_the_contested_items_are_found():
    """Does the contested-item check see the keys' `defensible` entries at all?"""
    contested = {item for key in KEYS.values() for item in _contested(key)}
    assert "m01-claim-types" in contested
    assert "m09-ledger" in contested
    assert "m04-split" not in contested


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda ls: ls.id)
def test_pacing_uses_the_minutes_and_the_written_answer(guide, lesson):
    """Does the pacing part give the lesson's `minutes:` and place each written answer?"""
    pacing = _part(_module_section(guide, lesson), "Pacing")
    assert f"**{lesson.minutes} minutes**" in pacing, (
        f"{lesson.id}: the pacing part must give the header estimate as "
        f"'**{lesson.minutes} minutes**' (the lesson's front matter); update the guide"
    )
    for label in ("50-minute", "90-minute"):
        assert label in pacing, f"{lesson.id}: the pacing part has no {label} plan"
    missing = [w for w in _key(lesson).written if w not in pacing]
    assert not missing, f"{lesson.id}: the pacing part does not place written answers {missing}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda ls: ls.id)
def test_each_module_has_two_or_three_discussion_prompts(guide, lesson):
    """Does the discussion part hold two or three numbered open questions?"""
    prompts = _part(_module_section(guide, lesson), "Discussion prompts")
    numbered = re.findall(r"^\d+\. ", prompts, flags=re.MULTILINE)
    assert 2 <= len(numbered) <= 3, f"{lesson.id}: {len(numbered)} discussion prompts"
    items = re.split(r"^\d+\. ", prompts, flags=re.MULTILINE)[1:]
    assert all("?" in item for item in items), f"{lesson.id}: every prompt asks a question"


def _ids(path: Path, column: str) -> set[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return {row[column] for row in csv.DictReader(f)}


def test_every_claim_and_source_cited_exists(guide):
    """Is every C#/S# id the guide cites a row of claims.csv or sources.csv?"""
    known = _ids(ROOT / "datasets" / "claims.csv", "claim_id")
    known |= _ids(ROOT / "datasets" / "sources.csv", "source_id")
    cited = {f"{m.group(1)}{int(m.group(2))}" for m in CITATION.finditer(guide)}
    assert cited, "the guide cites no claim or source id"
    unknown = sorted(cited - known, key=lambda s: (s[0], int(s[1:])))
    assert not unknown, f"the guide cites ids that are not in datasets/: {unknown}"


def test_the_guide_labels_no_outlet(guide):
    """Does the guide keep the course's rule of labelling no outlet outside quotations?"""
    spec = importlib.util.spec_from_file_location(
        "outlet_labels", Path(__file__).with_name("test_outlet_labels.py")
    )
    assert spec and spec.loader
    outlet_labels = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(outlet_labels)
    assert outlet_labels.unquoted_labels(guide) == []


def test_the_readme_and_the_instructor_guide_link_to_it():
    """Can an instructor find the guide from the README and the instructor guide?"""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    instructor = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    assert "(docs/teaching-guide.md)" in readme
    assert "(teaching-guide.md)" in instructor
