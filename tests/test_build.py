"""The build: a lesson becomes an nbgrader source notebook."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.build import build_notebook
from course.items.spec import SpecError, specs_from_source
from course.lessons import LessonError, load_lesson

FIXTURE = Path(__file__).parent / "fixtures" / "lessons" / "90-fixture.md"


@pytest.fixture()
def built():
    return build_notebook(load_lesson(FIXTURE))


def meta(cell):
    return cell.metadata.get("nbgrader", {})


def test_header_and_footer_come_from_metadata(built):
    """Do the first and last cells state objectives, minutes, skills, key points?"""
    header, footer = built.cells[0].source, built.cells[-1].source
    assert "Estimated time:** 5 minutes" in header
    assert "Answer one item of every type." in header
    assert "RLH close reading" in header
    assert "Every item type is scored from the saved answer." in footer
    assert "What to check next" in footer


def test_every_graded_item_is_followed_by_a_fail_closed_grade_cell(built):
    """Does each item cell have a locked grade cell after it whose hidden part raises?"""
    for i, cell in enumerate(built.cells):
        if meta(cell).get("grade_id", "").endswith("-item"):
            item_id = meta(cell)["grade_id"][:-5]
            grade = built.cells[i + 1]
            assert meta(grade)["grade"] and meta(grade)["locked"]
            assert meta(grade)["grade_id"] == item_id
            hidden = grade.source.split("### BEGIN HIDDEN TESTS")[1]
            assert "raise" in hidden


def test_grade_cell_points_match_item_points(built):
    """Are the grade cell's points the item's points?"""
    points = {meta(c)["grade_id"]: meta(c)["points"] for c in built.cells if meta(c).get("grade")}
    assert points["f-order"] == 3.0 and points["f-single"] == 1.0 and points["f-written"] == 2.0


def test_roles_of_cells(built):
    """Are instructions read-only, the pandas cell an answer cell, the written answer manual?"""
    by_id = {meta(c)["grade_id"]: c for c in built.cells if meta(c)}
    assert by_id["90-fixture-code-1"].metadata.nbgrader["locked"]
    work = by_id["f-computed-work"].metadata.nbgrader
    assert work["solution"] and not work["grade"]
    written = by_id["f-written"]
    assert written.cell_type == "markdown" and written.metadata.nbgrader["solution"]
    assert "### BEGIN SOLUTION" in written.source


def test_built_notebook_is_clean(built):
    """No outputs, no execution counts, no widget state, no authoring metadata."""
    assert "widgets" not in built.metadata and "jupytext" not in built.metadata
    for cell in built.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_item_arguments_must_be_literals():
    """Is a computed prompt refused with a message naming the argument?"""
    with pytest.raises(SpecError, match="prompt"):
        specs_from_source(
            'x = SingleChoice(id="m00-a", prompt=make(), options={"a": "A", "b": "B"})'
        )


def test_invalid_item_ids_are_refused():
    """Are ids with capitals or spaces refused?"""
    with pytest.raises(SpecError, match="id"):
        specs_from_source('x = Numeric(id="Bad Id", prompt="p", points=1)')


def test_phrases_must_come_from_the_passage():
    """Is a phrase that is not in the passage refused?"""
    with pytest.raises(SpecError, match="not in the passage"):
        specs_from_source(
            'x = PhraseSelection(id="m00-p", prompt="p", passage="one two", '
            'phrases={"a": "one", "b": "three"}, points=1)'
        )


def test_lesson_without_course_metadata_is_refused(tmp_path):
    """Does a lesson without its course block fail with a clear message?"""
    path = tmp_path / "50-broken.md"
    path.write_text("---\njupytext: {formats: md:myst}\n---\n\n# Hello\n")
    with pytest.raises(LessonError, match="course:"):
        load_lesson(path)
