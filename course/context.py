"""Check module 03's sourced narrative and the glossary: every fact carries its sources.

Module 03 tells the story of the war from 2011 to 2019 in a section headed
:data:`NARRATIVE_HEADING`. Every sentence of that section states a fact, so
every sentence must end with the ids of its sources in square brackets,
``"… took Idlib city on 24–28 March 2015 [S51, S52]."``, and every id must be
a source of the course (``datasets/sources.csv``). The glossary
(``datasets/glossary.csv``, loaded with :func:`course.data.glossary`) must
define each of :data:`REQUIRED_TERMS`, and each of its entries needs a
definition and at least one source id that resolves.

Both checks return a list of problems, each a sentence saying what is wrong
and what to do; an empty list means the text passes.

Examples
--------
>>> text = "## Syria, 2011–2019: a sourced narrative\\n\\nIS took Palmyra [S68]. It grew.\\n"
>>> for problem in narrative_problems(text, {"S68"}):
...     print(problem[:51])
narrative: the sentence "It grew." cites no source:
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

import pandas as pd

__all__ = [
    "GLOSSARY_COLUMNS",
    "NARRATIVE_HEADING",
    "REQUIRED_TERMS",
    "glossary_markdown",
    "glossary_problems",
    "narrative_problems",
    "narrative_section",
    "narrative_sentences",
]

#: The heading that opens the narrative section in module 03 (the section ends at
#: the next heading of level 1 or 2).
NARRATIVE_HEADING = "## Syria, 2011–2019: a sourced narrative"

#: Entries the glossary must define (matched on ``term``, ignoring case).
REQUIRED_TERMS = (
    "Ba'ath",
    "Hezbollah",
    "Liwa Fatemiyoun",
    "IRGC",
    "YPG",
    "SDF",
    "Jabhat al-Nusra",
    "Jaysh al-Fatah",
    "FSA",
    "SOHR",
    "sortie",
    "strike",
)

#: The columns of ``glossary.csv``.
GLOSSARY_COLUMNS = ("term", "kind", "definition", "source_ids", "notes")

_KINDS = ("actor", "term")
_SOURCE_ID = re.compile(r"^(S[0-9]+|ESSAY)$")
# A bracketed group that looks like a citation: it starts with an id.
_CITATION = re.compile(r"\[((?:S[0-9]+|ESSAY)\b[^\[\]]*)\]")
# The citation that closes a sentence, before its full stop and any closing quote.
_CLOSING = re.compile(r"\[([^\[\]]*)\]\s*[.!?]?[\"”’)]*\s*$")
# A sentence ends at . ! or ? (after any closing quote or bracket), before a new one starts.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“(¶A-Z0-9])")
_HEADING = re.compile(r"^(#{1,6})\s")


def narrative_section(markdown: str, heading: str = NARRATIVE_HEADING) -> str | None:
    """Return the text under ``heading`` up to the next heading of the same or a higher level.

    Parameters
    ----------
    markdown : str
        A lesson (Jupytext MyST Markdown).
    heading : str, default :data:`NARRATIVE_HEADING`
        The heading line that opens the section, ``#`` marks included.

    Returns
    -------
    str or None
        The section's lines without the heading, or None if no line is ``heading``.

    Examples
    --------
    >>> narrative_section("# A\\n## N\\ntext\\n### sub\\nmore\\n## B\\nafter", "## N")
    'text\\n### sub\\nmore'
    """
    lines = markdown.splitlines()
    level = len(heading) - len(heading.lstrip("#"))
    start = next((i for i, line in enumerate(lines) if line.strip() == heading.strip()), None)
    if start is None:
        return None
    body: list[str] = []
    fence: str | None = None
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None:
            found = _HEADING.match(stripped)
            if found and len(found.group(1)) <= level:
                break
        body.append(line)
    return "\n".join(body)


def _paragraphs(section: str) -> Iterator[str]:
    """Yield the prose paragraphs of ``section``: no code, headings or cell markers."""
    current: list[str] = []
    fence: str | None = None
    for line in section.splitlines():
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        is_break = (
            fence is not None
            or not stripped
            or _HEADING.match(stripped)
            or stripped.startswith(("+++", "<!--"))
            or re.match(r"^([-*+]|[0-9]+\.)\s", stripped)
        )
        if is_break and current:
            yield " ".join(current)
            current = []
        if fence is not None or not stripped or _HEADING.match(stripped):
            continue
        if stripped.startswith(("+++", "<!--")):
            continue
        text = re.sub(r"^(>\s*)+", "", stripped)
        text = re.sub(r"^([-*+]|[0-9]+\.)\s+", "", text)
        current.append(text)
    if current:
        yield " ".join(current)


def narrative_sentences(section: str) -> list[str]:
    """Split the prose of a narrative section into sentences.

    A sentence ends at ``.``, ``!`` or ``?`` (and any closing quotation mark)
    followed by a space and a capital letter, a digit, ``¶``, an opening quote
    or a bracket. Write the narrative without abbreviations that end in a full
    stop before a capital ("Col. Riad"), which would split a sentence in two.

    Examples
    --------
    >>> narrative_sentences("IS took Palmyra [S68]. It was retaken [S72].\\n\\n```\\ncode\\n```")
    ['IS took Palmyra [S68].', 'It was retaken [S72].']
    """
    sentences: list[str] = []
    for paragraph in _paragraphs(section):
        sentences += [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]
    return sentences


def _short(sentence: str, limit: int = 90) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def _id_problems(ids_text: str, known: Collection[str], where: str) -> list[str]:
    problems = []
    for part in re.split(r"[,;]", ids_text):
        sid = part.strip()
        if not _SOURCE_ID.match(sid):
            problems.append(
                f"{where}: {sid!r} is not a source id; write each id in full (S12, S29 or ESSAY), "
                "separated by commas, with no ranges."
            )
        elif sid not in known:
            problems.append(
                f"{where}: source {sid} is not in datasets/sources.csv; add it there (every "
                "column filled) or cite a source that is."
            )
    return problems


def narrative_problems(
    markdown: str,
    known_sources: Collection[str],
    heading: str = NARRATIVE_HEADING,
) -> list[str]:
    """Return what is wrong with the citations of a lesson's sourced narrative.

    Every sentence of the section under ``heading`` must end with a bracketed
    list of source ids (``[S12, S29]``) before its full stop, and every id
    cited anywhere in the section must be one of ``known_sources``.

    Parameters
    ----------
    markdown : str
        The lesson's text (module 03's ``notebooks/03-context.md``).
    known_sources : collection of str
        The source ids that may be cited, usually ``set(data.sources()["source_id"])``.
    heading : str, default :data:`NARRATIVE_HEADING`
        The heading line of the narrative section.

    Returns
    -------
    list of str
        One message per problem; empty when every sentence is cited and every id resolves.

    Examples
    --------
    >>> lesson = "## Syria, 2011–2019: a sourced narrative\\n\\nIS took Palmyra [S68]."
    >>> narrative_problems(lesson, {"S68"})
    []
    >>> narrative_problems("# Module 03\\n\\nNo narrative here.", {"S68"})[0][:40]
    'narrative: no section headed "## Syria, '
    """
    section = narrative_section(markdown, heading)
    if section is None:
        return [
            f'narrative: no section headed "{heading}" was found; add it, or pass the heading '
            "the lesson uses."
        ]
    sentences = narrative_sentences(section)
    if not sentences:
        return [f'narrative: the section "{heading}" has no sentences; write the narrative there.']
    known = set(known_sources)
    problems: list[str] = []
    for sentence in sentences:
        where = f'narrative: the sentence "{_short(sentence)}"'
        closing = _CLOSING.search(sentence)
        if closing is None:
            problems.append(
                f"{where} cites no source: end it with its source ids in brackets, "
                "for example [S12, S29]."
            )
        elif not _CITATION.fullmatch(f"[{closing.group(1)}]"):
            problems.append(
                f"{where} ends with [{closing.group(1)}], which is not a list of source ids: "
                "end it with its source ids in brackets, for example [S12, S29]."
            )
        for cited in _CITATION.finditer(sentence):
            problems += _id_problems(cited.group(1), known, where)
    return problems


def _cell_ids(value: object) -> list[str]:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return []
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _blank(value: object) -> bool:
    return not _cell_ids(value) if value is not None else True


def glossary_problems(
    glossary: pd.DataFrame,
    known_sources: Collection[str],
    required: Collection[str] = REQUIRED_TERMS,
) -> list[str]:
    """Return what is wrong with the glossary: missing terms, definitions or sources.

    Parameters
    ----------
    glossary : pandas.DataFrame
        The glossary, as :func:`course.data.glossary` returns it (columns
        :data:`GLOSSARY_COLUMNS`).
    known_sources : collection of str
        The source ids that may be cited, usually ``set(data.sources()["source_id"])``.
    required : collection of str, default :data:`REQUIRED_TERMS`
        Terms the glossary must define (compared ignoring case).

    Returns
    -------
    list of str
        One message per problem; empty when every entry has a definition and
        at least one source id, every id resolves and every required term is there.

    Examples
    --------
    >>> table = pd.DataFrame({"term": ["SDF"], "kind": ["actor"],
    ...                       "definition": ["A US-backed alliance."], "source_ids": ["S119"],
    ...                       "notes": [""]})
    >>> glossary_problems(table, {"S119"}, required=["SDF"])
    []
    >>> for problem in glossary_problems(table, {"S1"}, required=["SDF", "YPG"]):
    ...     print(problem[:59])
    glossary "SDF": source S119 is not in datasets/sources.csv;
    glossary: the required term "YPG" is missing; add a row for
    """
    missing_columns = [c for c in ("term", "definition", "source_ids") if c not in glossary]
    if missing_columns:
        return [
            f"glossary: column(s) {', '.join(missing_columns)} missing; the glossary needs the "
            f"columns {', '.join(GLOSSARY_COLUMNS)}."
        ]
    known = set(known_sources)
    problems: list[str] = []
    seen_terms: dict[str, str] = {}
    for number, row in enumerate(glossary.itertuples(index=False), start=1):
        term = "" if _blank(row.term) else str(row.term).strip()
        where = f'glossary "{term}"' if term else f"glossary row {number}"
        if not term:
            problems.append(f"{where} has no term; name the actor or term it defines.")
        elif term.casefold() in seen_terms:
            problems.append(f"{where} is defined twice; keep one row per term.")
        seen_terms.setdefault(term.casefold(), term)
        kind = getattr(row, "kind", None)
        if "kind" in glossary and (_blank(kind) or str(kind) not in _KINDS):
            problems.append(f"{where}: kind must be one of {', '.join(_KINDS)}, not {kind!r}.")
        definition = row.definition
        if definition is None or definition is pd.NA or not str(definition).strip():
            problems.append(f"{where} has no definition; write one, in neutral words.")
        ids = _cell_ids(row.source_ids)
        if not ids:
            problems.append(
                f"{where} cites no source; give at least one source id in source_ids "
                "(several separated by ;)."
            )
        problems += _id_problems(";".join(ids), known, where) if ids else []
    for wanted in required:
        if wanted.casefold() not in seen_terms:
            problems.append(
                f'glossary: the required term "{wanted}" is missing; add a row for it with a '
                "sourced definition."
            )
    return problems


def glossary_markdown(glossary: pd.DataFrame) -> str:
    """Return the glossary as a Markdown page (``docs/glossary.md`` is this text).

    Actors first, then terms, each alphabetically; every entry ends with its
    source ids, which ``datasets/sources.csv`` resolves.
    """
    lines = [
        "# Glossary: actors and terms",
        "",
        "The actors and terms the course uses, each with its sources (ids from",
        "`datasets/sources.csv`). The same table is `datasets/glossary.csv`; in a",
        "notebook, `data.glossary()` loads it, and module 03 shows it. This page is",
        "generated from that table (`course.context.glossary_markdown`).",
        "",
    ]
    for kind, title in (("actor", "Actors"), ("term", "Terms")):
        rows = glossary[glossary["kind"] == kind].sort_values("term", key=lambda s: s.str.lower())
        if rows.empty:
            continue
        lines += [f"## {title}", ""]
        for row in rows.itertuples():
            sources = ", ".join(s.strip() for s in str(row.source_ids).split(";") if s.strip())
            lines += [f"**{row.term}.** {row.definition} [{sources}]", ""]
            notes = "" if pd.isna(row.notes) else str(row.notes).strip()
            if notes:
                lines += [f"*Note.* {notes}", ""]
    return "\n".join(lines).rstrip() + "\n"
