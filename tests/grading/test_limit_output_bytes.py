"""LimitOutputBytes: outputs are capped in bytes, never those the course's scoring wrote.

Unit tests run the step on notebooks built with nbformat. The real run grades
a student whose cell prints 100 MB in two lines: the graded notebook and the
feedback page stay small, the cut is visible, and the score is the honest one.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config

from course.grading.preprocessors import LimitOutputBytes
from course.grading.preprocessors.limit_output_bytes import output_bytes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MODULE = "90-fixture"
HONEST = {"f-single": "b", "f-order": ["p10", "p9", "p8"]}


# --- unit tests ---------------------------------------------------------------------------


def _stream(text, name="stdout"):
    return new_output("stream", name=name, text=text)


def _code(*outputs, nbgrader=None):
    cell = new_code_cell("print(...)")
    cell.outputs = list(outputs)
    if nbgrader is not None:
        cell.metadata["nbgrader"] = nbgrader
    return cell


def _limit(cells, **limits):
    nb = new_notebook(cells=cells)
    config = Config({"LimitOutputBytes": limits})
    nb, _ = LimitOutputBytes(config=config).preprocess(nb, {})
    nbformat.validate(nb)
    return nb


def _text(output):
    return output.text if output.output_type == "stream" else output.data["text/plain"]


def test_small_outputs_are_untouched():
    """Are outputs under both limits left exactly as they were?"""
    cells = [
        _code(_stream("hello\n"), new_output("display_data", data={"text/html": "<b>hi</b>"})),
        new_markdown_cell("text"),
    ]
    before = json.loads(json.dumps(cells))
    nb = _limit(cells, max_output_bytes=100, max_notebook_output_bytes=1000)
    assert json.loads(json.dumps(nb.cells)) == before


def test_long_stream_is_cut_with_a_visible_note():
    """Is a 1 MB line cut to the limit, ending with a note saying how much was cut?"""
    nb = _limit([_code(_stream("x" * 1_000_000))], max_output_bytes=100_000)
    (out,) = nb.cells[0].outputs
    assert out.output_type == "stream" and out.text.startswith("x" * 100_000 + "\n")
    assert out.text.endswith(
        "Output cut: 900,000 bytes over the limit of 100,000 bytes per output.\n"
    )
    assert len(out.text) < 100_200


def test_cut_never_splits_a_character():
    """Is text cut on a character boundary, within the byte limit?"""
    nb = _limit([_code(_stream("é" * 100_001))], max_output_bytes=1001)
    text = nb.cells[0].outputs[0].text.split("\n")[0]
    assert text == "é" * 500 and len(text.encode()) <= 1001


def test_oversized_rich_data_is_replaced_by_its_plain_text():
    """Is an image or HTML too large dropped for its plain text, with a note?"""
    data = {"image/png": "iVBOR" * 100_000, "text/html": "<p>big</p>", "text/plain": "<Figure>"}
    out = new_output("display_data", data=data, metadata={"image/png": {"width": 600}})
    nb = _limit([_code(out)], max_output_bytes=10_000)
    (out,) = nb.cells[0].outputs
    assert set(out.data) == {"text/plain"} and out.metadata == {}
    assert out.data["text/plain"].startswith("<Figure>\nOutput cut: ")
    assert "Not shown: image/png, text/html." in out.data["text/plain"]


def test_execute_result_keeps_its_execution_count():
    """Does a cut execute_result stay an execute_result with its count?"""
    out = new_output("execute_result", data={"text/plain": "'" + "y" * 50_000 + "'"})
    out.execution_count = 7
    nb = _limit([_code(out)], max_output_bytes=1000)
    (out,) = nb.cells[0].outputs
    assert out.output_type == "execute_result" and out.execution_count == 7
    assert "Output cut:" in out.data["text/plain"]


def test_huge_error_is_cut_and_stays_an_error():
    """Are a huge error value and traceback cut, the output still an error?"""
    out = new_output(
        "error", ename="ValueError", evalue="v" * 200_000, traceback=["line\n"] * 50_000
    )
    nb = _limit([_code(out)], max_output_bytes=10_000)
    (out,) = nb.cells[0].outputs
    assert out.output_type == "error" and out.ename == "ValueError"
    assert output_bytes(out) < 10_200
    assert out.traceback[-1].startswith("Output cut: ")


def test_huge_output_metadata_counts():
    """Is an output with tiny data but huge metadata cut too?"""
    out = new_output("display_data", data={"text/plain": "x"}, metadata={"pad": "p" * 50_000})
    nb = _limit([_code(out)], max_output_bytes=1000)
    assert nb.cells[0].outputs[0].metadata == {}


def test_notebook_budget_cuts_then_drops_with_one_note_per_cell():
    """Once the notebook's budget is spent, are later outputs cut, then dropped and summed up?"""
    chunk = "z" * 60_000
    cells = [_code(_stream(chunk)), _code(_stream(chunk), _stream(chunk), _stream(chunk))]
    cells.append(_code(_stream(chunk), _stream(chunk)))
    nb = _limit(cells, max_output_bytes=100_000, max_notebook_output_bytes=150_000)
    first, second, third = (c.outputs for c in nb.cells)
    assert first[0].text == chunk
    assert second[0].text == chunk
    assert second[1].text.startswith("z" * 30_000 + "\nOutput cut: 30,000 bytes over the limit")
    assert "of 150,000 bytes for all output of the notebook" in second[1].text
    assert len(second) == 3 and second[2].text.startswith("Output cut: 60,000 bytes in 1 output")
    assert len(third) == 1 and third[0].text.startswith("Output cut: 120,000 bytes in 2 output")


def test_grade_and_item_cells_are_never_cut_nor_counted():
    """Are the outputs the scoring step wrote kept whole, outside the notebook's budget?"""
    big = "s" * 500_000
    grade = _code(_stream(big), nbgrader={"grade": True, "grade_id": "q", "points": 1})
    item = _code(
        new_output("display_data", data={"text/html": big}),
        nbgrader={"grade": False, "grade_id": "q-item", "locked": True},
    )
    student = _code(_stream("t" * 90_000))
    nb = _limit([grade, item, student], max_output_bytes=100_000, max_notebook_output_bytes=100_000)
    assert nb.cells[0].outputs[0].text == big
    assert nb.cells[1].outputs[0].data["text/html"] == big
    assert nb.cells[2].outputs[0].text == "t" * 90_000


def test_a_students_own_item_named_cell_without_nbgrader_metadata_is_cut():
    """Is a cell protected only by its (trusted) nbgrader metadata, not by its look?"""
    cell = _code(_stream("u" * 5000))
    cell.metadata["course"] = {"role": "grade"}
    nb = _limit([cell], max_output_bytes=1000)
    assert "Output cut:" in nb.cells[0].outputs[0].text


def test_zero_or_negative_limits_mean_no_limit():
    """Does a limit of 0 or -1 turn that limit off?"""
    nb = _limit([_code(_stream("w" * 300_000))], max_output_bytes=0, max_notebook_output_bytes=-1)
    assert nb.cells[0].outputs[0].text == "w" * 300_000


def test_pipelines_place_the_step_after_limit_output_and_in_feedback():
    """Does configure() run it after nbgrader's LimitOutput and before the feedback's CSS?"""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import LimitOutput, SaveAutoGrades

    from course.grading.config import configure

    c = configure(Config())
    steps = c.Autograde.autograde_preprocessors
    assert steps.index(LimitOutputBytes) == steps.index(LimitOutput) + 1
    assert steps.index(LimitOutputBytes) < steps.index(SaveAutoGrades)
    feedback = c.GenerateFeedback.preprocessors
    assert feedback.index(LimitOutputBytes) == feedback.index(CSSHTMLHeaderPreprocessor) - 1


# --- a real nbgrader run ------------------------------------------------------------------

LOUD = "print('x' * 50_000_000)\nprint('y' * 50_000_000)\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course of its own: an honest student and one printing 100 MB, graded with feedback."""
    from course.coursefolder import init_course
    from course.gradebatch import grade_course
    from course.keys import load_key
    from course.release import release_modules
    from course.simulate import SimStudent, submit_student

    course = tmp_path_factory.mktemp("limit") / "course"
    init_course(course, lessons_dir=FIXTURES / "lessons", keys_dir=FIXTURES / "keys", timeout=120)
    release_modules(course, [MODULE])
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    for student in ["quiet", "loud"]:
        folder = submit_student(
            course, MODULE, SimStudent(student, "blank", 0), key, answers=HONEST
        )
        if student == "loud":
            path = folder / f"{MODULE}.ipynb"
            nb = nbformat.read(path, as_version=4)
            nb.cells.insert(3, new_code_cell(LOUD))
            nbformat.write(nb, path)
    report = grade_course(course, [MODULE], force=True, jobs=2)
    grades = pd.read_csv(report.exports["grades"]).set_index("student_id")
    return {"course": course, "report": report, "grades": grades}


@pytest.mark.nbgrader
@pytest.mark.slow
def test_loud_student_is_graded_on_its_honest_answers(graded):
    """Is the student who printed 100 MB graded, with the same score as an honest one?"""
    assert graded["report"].ungraded == 0
    assert float(graded["grades"].loc["loud", "score"]) == 1.0
    assert float(graded["grades"].loc["quiet", "score"]) == 1.0


@pytest.mark.nbgrader
@pytest.mark.slow
def test_graded_notebook_is_small_and_shows_the_cut(graded):
    """Is the graded notebook a few MB at most, with the note where output was cut?"""
    path = graded["course"] / "autograded" / "loud" / MODULE / f"{MODULE}.ipynb"
    assert path.stat().st_size < 3_000_000
    nb = nbformat.read(path, as_version=4)
    loud = next(c for c in nb.cells if c.source == LOUD.rstrip("\n") or c.source == LOUD)
    text = "".join(_text(o) for o in loud.outputs)
    assert "Output cut: " in text and "bytes over the limit of 100,000 bytes per output." in text
    grades = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert all(c.outputs for c in grades if c.cell_type == "code")


@pytest.mark.nbgrader
@pytest.mark.slow
def test_feedback_page_is_small_and_shows_the_cut(graded):
    """Is the student's feedback page a few MB at most, with the cut visible?"""
    page = graded["course"] / "feedback" / "loud" / MODULE / f"{MODULE}.html"
    assert page.stat().st_size < 3_000_000
    html = page.read_text(encoding="utf-8")
    assert "Output cut: " in html and "Scored by the course grader" in html
