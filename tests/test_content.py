"""Content checks for the lessons, their answer keys and the essay datasets.

These tests read lessons statically (no widgets run): item cells are parsed
with :func:`course.items.spec.specs_from_source`, keys are loaded with
:func:`course.keys.load_key`, and the pandas solutions are executed against
:mod:`course.data` to confirm the keys' computed values.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import jupytext
import pytest

from course import data
from course.items.spec import specs_from_source
from course.keys import CITATION, check_key_against_spec, load_key

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KEYS = ROOT / "autograde" / "keys"
#: A copy of the verified fact sheet (see tests/fixtures/research/README.md).
FACTS = ROOT / "tests" / "fixtures" / "research" / "facts.md"
#: SHA-256 of the essay as archived (datasets/essay/provenance.md): the shipped copy must match.
ESSAY_SHA256 = "4d76aebcc2922752e8d8945e58fd57d21d9d63d644cdd69e15afab453957abe5"

MODULES = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]-*.md"))
#: Extra minimum of graded items per module (the contract's minimum is 8).
MIN_GRADED = {"01-close-reading": 10}
#: Paragraph openings as the fact sheet gives them ("How to read this file").
FACT_SHEET_OPENINGS = [
    "In the recent years",
    "There was lots of incidents",
    "There are many evidence",
    "During the past 3 years",
    "Even when the Russians",
    "After 6 months",
    "In reality",
    "Battle of Palmyra",
    "Islamic State was unable",
    "Assad regime and Islamic state enjoy",
]


def read_lesson(module: str):
    return jupytext.read(NOTEBOOKS / f"{module}.md")


def code_cells(module: str) -> list[str]:
    return [c.source for c in read_lesson(module).cells if c.cell_type == "code"]


def lesson_specs(module: str):
    specs = {}
    for source in code_cells(module):
        for spec in specs_from_source(source, where=module):
            assert spec.id not in specs, f"{module}: item id {spec.id} is used twice"
            specs[spec.id] = spec
    return specs


def graded_specs(module: str):
    return {k: s for k, s in lesson_specs(module).items() if s.graded}


def written_ids(module: str) -> list[str]:
    return [
        c.metadata["course"]["written"]
        for c in read_lesson(module).cells
        if c.cell_type == "markdown" and "written" in (c.metadata.get("course") or {})
    ]


# --- lessons -----------------------------------------------------------------


@pytest.mark.parametrize("module", MODULES)
def test_lesson_parses_with_jupytext(module):
    """Does the lesson read as a notebook with a course block whose id is its name?"""
    nb = read_lesson(module)
    assert len(nb.cells) > 10
    meta = nb.metadata["course"]
    assert meta["id"] == module
    for field in ("title", "minutes", "paragraphs", "objectives", "skills"):
        assert meta[field], f"{module}: course.{field} is empty"
    assert 3 <= len(meta["objectives"]) <= 5
    assert meta["key_points"] and meta["next_checks"]


@pytest.mark.parametrize("module", MODULES)
def test_setup_cell_starts_the_module(module):
    """Is the first code cell the setup cell, calling start() with the module's id?"""
    first = code_cells(module)[0]
    assert "from course import data" in first
    assert f'start("{module}")' in first


@pytest.mark.parametrize("module", MODULES)
def test_each_item_cell_holds_one_item_and_displays_it(module):
    """Does every item cell define exactly one item, ending with its variable?"""
    for source in code_cells(module):
        specs = specs_from_source(source, where=module)
        if not specs:
            continue
        assert len(specs) == 1, f"{module}: one item per cell ({[s.id for s in specs]})"
        assert specs[0].id.startswith(f"m{module[:2]}-")
        tree = ast.parse(source)
        assert isinstance(tree.body[-1], ast.Expr) and isinstance(tree.body[-1].value, ast.Name)


@pytest.mark.parametrize("module", MODULES)
def test_lessons_read_data_only_through_course_data(module):
    """Do lessons avoid reading files themselves?"""
    for source in code_cells(module):
        assert "read_csv(" not in source and "open(" not in source


@pytest.mark.parametrize("module", MODULES)
def test_every_graded_item_has_a_key_and_every_key_an_item(module):
    """Do the lesson's graded items and the key's items match one to one?"""
    key = load_key(KEYS / f"{module}.yaml")
    assert set(graded_specs(module)) == set(key.items)


@pytest.mark.parametrize("module", MODULES)
def test_keys_fit_their_items(module):
    """Does check_key_against_spec find no problem (answers, distractors, citations)?"""
    key = load_key(KEYS / f"{module}.yaml")
    problems = []
    for item_id, spec in graded_specs(module).items():
        problems += check_key_against_spec(spec, key.items[item_id])
    assert problems == []


@pytest.mark.parametrize("module", MODULES)
def test_module_contract(module):
    """Does the module have 8–12 graded items over ≥4 kinds, a computed item and a rubric?"""
    graded = graded_specs(module)
    kinds = {s.kind for s in graded.values()}
    assert max(8, MIN_GRADED.get(module, 8)) <= len(graded) <= 12
    assert len(kinds) >= 4
    assert "computed" in kinds
    key = load_key(KEYS / f"{module}.yaml")
    written = written_ids(module)
    assert written, f"{module}: no written answer"
    assert set(written) == set(key.written)
    for item_id in written:
        assert len(key.written[item_id].rubric) == 3


def test_close_reading_uses_every_item_kind():
    """Does module 01 use all six answer kinds plus a computed item?"""
    kinds = {s.kind for s in graded_specs("01-close-reading").values()}
    assert kinds >= {
        "single_choice",
        "multiple_choice",
        "numeric",
        "classification",
        "ordering",
        "phrase_selection",
        "computed",
    }


def test_orientation_has_practice_items_with_feedback():
    """Does module 00 offer at least three practice items, each answer and feedback valid?"""
    practice = [s for s in lesson_specs("00-orientation").values() if s.practice]
    assert len(practice) >= 3
    for spec in practice:
        answer = spec.practice["answer"]
        answers = [answer] if isinstance(answer, str) else answer
        choices = spec.statements if spec.kind == "classification" else spec.options
        assert set(answers) <= set(choices)
        assert set(spec.practice["feedback"]) == set(choices)
        assert spec.practice.get("explanation")


def test_close_reading_practice_items_name_a_skill():
    """Are module 01's items graded, except practice items that each name the skill they practise?"""
    for spec in lesson_specs("01-close-reading").values():
        assert spec.graded or spec.practice.get("skill"), spec.id


@pytest.mark.parametrize("module", MODULES)
def test_phrase_passages_are_verbatim(module):
    """Is every phrase-selection passage (or its phrases) taken verbatim from the essay?"""
    text = data.essay_text()
    for spec in lesson_specs(module).values():
        if spec.kind != "phrase_selection":
            continue
        match = re.fullmatch(r"¶(\d+)", spec.source)
        if match:
            assert spec.passage in data.paragraph(int(match.group(1)))
        else:
            assert all(phrase in text for phrase in spec.options.values())


def _value_expression(source: str) -> str | None:
    """Return the source of the ``value=`` argument of a ComputedAnswer, if any."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ComputedAnswer":
            for kw in node.keywords:
                if kw.arg == "value":
                    return ast.unparse(kw.value)
    return None


@pytest.mark.parametrize("module", MODULES)
def test_computed_keys_match_the_solutions(module):
    """Does each computed item's key equal what the lesson's solution code computes?"""
    key = load_key(KEYS / f"{module}.yaml")
    namespace: dict = {"data": data}
    checked = 0
    for source in code_cells(module):
        if "### BEGIN SOLUTION" in source:
            exec(compile(source, f"<{module} solution>", "exec"), namespace)
            continue
        expression = _value_expression(source)
        if expression is None:
            continue
        (spec,) = specs_from_source(source, where=module)
        computed = eval(expression, namespace)
        item = key.items[spec.id]
        assert computed is not None, f"{spec.id}: the solution leaves the value unset"
        assert abs(computed - item.value) <= item.tolerance, f"{spec.id}: {computed} ≠ key"
        checked += 1
    assert checked >= 1


_SOLUTION = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION", re.DOTALL)


@pytest.mark.parametrize("module", MODULES)
def test_plain_code_runs_blank(module):
    """Do the lesson's own code cells run top to bottom with every solution left blank?

    Item cells and the setup cell need the widgets, so they are skipped; a blank
    solution cell is what nbgrader releases (the solution replaced by a stub).
    """
    namespace: dict = {"data": data}
    for source in code_cells(module)[1:]:
        if specs_from_source(source, where=module):
            continue
        blank = _SOLUTION.sub("# YOUR CODE HERE", source)
        exec(compile(blank, f"<{module} blank>", "exec"), namespace)


@pytest.mark.parametrize("module", MODULES)
def test_keys_cite_only_seen_sources(module):
    """Is every source a key cites marked SEEN in the fact sheet?"""
    facts = FACTS.read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=- \*\*\[S\d+\])", facts)
    seen = {
        f"S{int(m.group(1))}"
        for block in blocks
        if (m := re.match(r"- \*\*\[S(\d+)\]", block)) and "SEEN" in block
    }
    # Sources checked after the fact sheet (S115 on) are seen when sources.csv says so.
    table = data.sources()
    added = zip(table["source_id"], table["seen"], strict=True)
    seen |= {s for s, ok in added if s[1:].isdigit() and int(s[1:]) > 114 and ok}
    key = load_key(KEYS / f"{module}.yaml")
    cited = set()
    for item in key.items.values():
        cited |= item.citations()
    for written in key.written.values():
        cited |= {f"{m.group(1)}{int(m.group(2))}" for m in CITATION.finditer(written.explanation)}
    sources = {c for c in cited if c.startswith("S")}
    assert sources, f"{module}: the key cites no source"
    assert sources <= seen, f"{module}: not SEEN: {sorted(sources - seen)}"
    lesson = (NOTEBOOKS / f"{module}.md").read_text(encoding="utf-8")
    in_lesson = {f"S{int(n)}" for n in re.findall(r"\bS(\d{1,3})\b", lesson)}
    assert in_lesson <= seen, f"{module}: the lesson cites sources not SEEN"
    claims = {c for c in cited if c.startswith("C")}
    assert claims <= {f"C{i}" for i in range(1, 42)}


# --- datasets ----------------------------------------------------------------


def test_shipped_essay_is_byte_for_byte_the_archived_essay():
    """Is datasets/essay/… exactly the archived essay (by SHA-256), residue and all?"""
    shipped = data.datasets_dir() / data.ESSAY_FILE
    assert hashlib.sha256(shipped.read_bytes()).hexdigest() == ESSAY_SHA256
    provenance = (data.datasets_dir() / "essay" / "provenance.md").read_text(encoding="utf-8")
    assert f"SHA-256 `{ESSAY_SHA256}`" in provenance


def test_paragraphs_table_matches_the_essay():
    """Is paragraphs.csv what split_essay makes of the essay, numbered as the fact sheet?"""
    table = data.essay_paragraphs()
    parts = data.split_essay(data.essay_text())
    assert table["paragraph"].tolist() == list(range(1, 11))
    assert table["text"].tolist() == [p["text"] for p in parts.paragraphs]
    assert table["section"].astype(str).tolist() == [p["section"] for p in parts.paragraphs]
    assert table["first_words"].tolist() == [p["first_words"] for p in parts.paragraphs]
    for text, opening in zip(table["text"], FACT_SHEET_OPENINGS, strict=True):
        assert text.startswith(opening)
    assert list(table["section"].cat.categories) == [
        "(opening)",
        "Avoiding the Islamic State",
        "Can Assad regime defeat the Islamic State?",
    ]
    assert str(table["paragraph"].dtype) == "Int64"


def test_paragraph_rejects_numbers_outside_the_essay():
    """Does paragraph(0) fail with a message naming the valid range?"""
    with pytest.raises(ValueError, match="1 to 10"):
        data.paragraph(0)


def test_claims_table_lists_c1_to_c41_without_verdicts():
    """Does claims.csv hold exactly C1–C41, typed, and no verdicts?"""
    claims = data.claims()
    assert claims["claim_id"].tolist() == [f"C{i}" for i in range(1, 42)]
    assert not any("verdict" in column.lower() for column in claims.columns)
    assert list(claims.columns) == ["claim_id", "paragraph", "quote", "claim_types", "topic"]
    assert claims["paragraph"].between(0, 10).all()
    assert claims.loc[claims["claim_id"] == "C41", "paragraph"].item() == 0
    types = set(data.claims_by_type()["claim_type"].astype(str))
    assert types <= set(data.CLAIM_TYPES)
    assert claims["quote"].str.len().gt(0).all()


def test_show_essay_numbers_paragraphs_and_marks_the_residue():
    """Does show_essay number ¶1–¶10 and set the page residue apart?"""
    shown = data.show_essay().data
    for n in range(1, 11):
        assert f"¶{n}</strong>" in shown
    assert "not part of the essay" in shown
    assert "Google+ photo" in shown
    assert "Google+ photo" not in data.show_essay(residue=False).data


def test_provenance_note_covers_dating_and_capture():
    """Does the provenance note give the writing window and the capture clue?"""
    note = data.provenance()
    for phrase in ("27 March 2016", "late August 2016", "Google+", "One thought on", "verbatim"):
        assert phrase in note


@pytest.mark.parametrize(
    "path",
    [
        *(NOTEBOOKS / f"{m}.md" for m in MODULES),
        *(KEYS / f"{m}.yaml" for m in MODULES),
        ROOT / "datasets" / "essay" / "provenance.md",
    ],
    ids=lambda p: p.name,
)
def test_no_machine_paths(path):
    """Do lessons, keys and notes avoid absolute paths of the authoring machine?"""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"(?<![\w.])/(work|home|root|tmp|Users)/", text)
