"""Module 03's sourced narrative and the glossary: every fact carries sources that resolve.

``course.context`` checks the narrative section of ``notebooks/03-context.md``
and ``datasets/glossary.csv``. These tests run the checks on the shipped
files, then on copies with one defect each, and read nothing outside the
repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from course import context, data

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "03-context.md"


@pytest.fixture(scope="module")
def lesson() -> str:
    return LESSON.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def known() -> set[str]:
    return set(data.sources()["source_id"])


@pytest.fixture(scope="module")
def glossary() -> pd.DataFrame:
    return data.glossary()


def first_cited_sentence(lesson: str) -> str:
    """Return the narrative's first sentence, as written in the lesson."""
    sentence = context.narrative_sentences(context.narrative_section(lesson))[0]
    assert sentence in lesson
    return sentence


# --- the shipped module and glossary ------------------------------------------------


def test_shipped_narrative_cites_every_sentence(lesson, known):
    """Does every sentence of module 03's narrative end with source ids that resolve?"""
    assert context.NARRATIVE_HEADING in lesson.splitlines()
    sentences = context.narrative_sentences(context.narrative_section(lesson))
    assert len(sentences) >= 30
    assert context.narrative_problems(lesson, known) == []


def test_shipped_narrative_is_readable_length(lesson):
    """Is the narrative about 500–800 words of prose, citations and headings left out?"""
    prose = re.sub(r"\[[^\]]*\]", "", context.narrative_section(lesson))
    prose = re.sub(r"^#.*$", "", prose, flags=re.MULTILINE)
    assert 500 <= len(prose.split()) <= 850


def test_shipped_glossary_is_complete_and_sourced(glossary, known):
    """Does the glossary define every required term, each with a sourced definition?"""
    assert context.glossary_problems(glossary, known) == []
    assert list(glossary.columns) == list(context.GLOSSARY_COLUMNS)
    terms = set(glossary["term"])
    assert set(context.REQUIRED_TERMS) <= terms


def test_module_03_shows_the_glossary(lesson):
    """Does module 03 list the glossary in a code cell and say in its text where it is?"""
    cells = re.findall(r"```\{code-cell\} ipython3\n(.*?)```", lesson, flags=re.DOTALL)
    assert any("data.glossary()" in cell for cell in cells)
    intro = lesson.split(context.NARRATIVE_HEADING)[0]
    assert "glossary" in intro and "data.glossary()" in intro


# --- the narrative check catches each defect -----------------------------------------


def test_an_uncited_sentence_is_reported(lesson, known):
    """Is a sentence without a bracketed citation reported, by its text?"""
    first = first_cited_sentence(lesson)
    changed = lesson.replace(first, first + " The war then spread to every province.", 1)
    problems = context.narrative_problems(changed, known)
    assert len(problems) == 1
    assert "The war then spread to every province." in problems[0]
    assert "cites no source" in problems[0]


def test_an_unknown_source_id_is_reported(lesson, known):
    """Is a citation of an id that sources.csv does not hold reported, by its id?"""
    first = first_cited_sentence(lesson)
    cited = re.search(r"\[([^\]]+)\]", first).group(0)
    changed = lesson.replace(first, first.replace(cited, "[S116, S999]"), 1)
    problems = context.narrative_problems(changed, known)
    assert len(problems) == 1
    assert "S999" in problems[0] and "sources.csv" in problems[0]


def test_a_range_or_a_stray_bracket_is_not_a_citation(known):
    """Are "[S72–S74]" and "[sic]" at a sentence's end reported rather than accepted?"""
    text = f"{context.NARRATIVE_HEADING}\n\nPalmyra was retaken [S72–S74]. It was quiet [sic].\n"
    problems = context.narrative_problems(text, known)
    assert len(problems) == 2
    assert "'S72–S74' is not a source id" in problems[0]
    assert "[sic], which is not a list of source ids" in problems[1]


def test_a_missing_section_is_reported(lesson, known):
    """Is a lesson without the narrative heading reported, naming the heading?"""
    changed = lesson.replace(context.NARRATIVE_HEADING, "## Some other story")
    problems = context.narrative_problems(changed, known)
    assert problems == [
        f'narrative: no section headed "{context.NARRATIVE_HEADING}" was found; add it, '
        "or pass the heading the lesson uses."
    ]


def test_only_the_narrative_section_is_checked(known):
    """Are code, sub-headings and text after the next level-2 heading left out of the check?"""
    text = (
        "Intro without sources.\n\n"
        f"{context.NARRATIVE_HEADING}\n\n### 2011\n\n"
        "IS took Palmyra on 21 May 2015 [S68].\n\n"
        "```{code-cell} ipython3\nprint('No citation here.')\n```\n\n"
        "## Next section\n\nUncited text after the narrative.\n"
    )
    assert context.narrative_problems(text, known) == []


# --- the glossary check catches each defect ------------------------------------------


def test_a_missing_required_term_is_reported(glossary, known):
    """Is a glossary without a required term (YPG) reported, naming the term?"""
    changed = glossary[glossary["term"] != "YPG"]
    problems = context.glossary_problems(changed, known)
    assert problems == [
        'glossary: the required term "YPG" is missing; add a row for it with a sourced definition.'
    ]


def test_an_entry_without_sources_or_definition_is_reported(glossary, known):
    """Are an entry with no source, one with an unknown source and one with no definition reported?"""
    changed = glossary.copy()
    terms = changed["term"]
    changed.loc[terms == "SOHR", "source_ids"] = pd.NA
    changed.loc[terms == "sortie", "source_ids"] = "S122;S999"
    changed.loc[terms == "FSA", "definition"] = ""
    problems = context.glossary_problems(changed, known)
    assert len(problems) == 3
    assert any(p.startswith('glossary "SOHR" cites no source') for p in problems)
    assert any(p.startswith('glossary "sortie": source S999') for p in problems)
    assert any(p.startswith('glossary "FSA" has no definition') for p in problems)


def test_the_glossary_page_is_generated_from_the_table():
    """Is docs/glossary.md exactly the page built from datasets/glossary.csv, every entry on it?"""
    from pathlib import Path

    from course import data
    from course.context import glossary_markdown

    glossary = data.glossary()
    page = (Path(__file__).resolve().parent.parent / "docs" / "glossary.md").read_text(
        encoding="utf-8"
    )
    assert page == glossary_markdown(glossary), (
        "docs/glossary.md is out of date: regenerate it with "
        "course.context.glossary_markdown(data.glossary())"
    )
    for term in glossary["term"]:
        assert f"**{term}.**" in page
