"""SanitizeCells: tampered nbgrader metadata is repaired from the source, never fatal.

Unit tests run the step on small notebooks built with nbformat, then nbgrader's
own ``DeduplicateIds`` and ``CheckCellMetadata`` on the result. The real runs
grade one student per kind of tampering with the whole pipeline, once: each
answered ``f-single`` = b (1 point) and ``f-order`` reversed (0 points), so
each must be graded and score exactly 1.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import CheckCellMetadata, DeduplicateIds
from traitlets.config import LoggingConfigurable

from course.grading.preprocessors import SanitizeCells
from course.grading.preprocessors.sanitize_cells import CARRY_KEY

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MODULE = "90-fixture"
HONEST = {"f-single": "b", "f-order": ["p10", "p9", "p8"]}


# --- unit tests ---------------------------------------------------------------------------


def _nbg(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return meta


def _cell(kind, source, cell_id, meta=None, course=None):
    cell = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
    cell["id"] = cell_id
    if meta is not None:
        cell.metadata["nbgrader"] = meta
    if course is not None:
        cell.metadata["course"] = course
    return cell


def _source():
    """A source notebook shaped like the course's: header, item, grade, work, written."""
    nb = new_notebook()
    nb.cells = [
        _cell("markdown", "# Header", "m-000", _nbg("m-header", locked=True)),
        _cell("code", "q = Item(id='q')\nq", "m-001", _nbg("q-item", locked=True)),
        _cell(
            "code",
            "raise RuntimeError('fail closed')",
            "m-002",
            _nbg("q", grade=True, locked=True, points=2.0),
            course={"role": "grade", "item": "q"},
        ),
        _cell("code", "x = None\n# YOUR CODE HERE", "m-003", _nbg("work", solution=True)),
        _cell(
            "markdown",
            "YOUR ANSWER HERE",
            "m-004",
            _nbg("w", grade=True, solution=True, points=2.0),
        ),
        _cell("markdown", "## Footer", "m-005", _nbg("m-footer", locked=True)),
    ]
    return nb


SOURCE_IDS = ["m-header", "q-item", "q", "work", "w", "m-footer"]


def _submission():
    nb = copy.deepcopy(_source())
    for cell in nb.cells:
        cell.metadata["nbgrader"]["cell_type"] = cell.cell_type
        cell.metadata["nbgrader"]["checksum"] = "92a30a159ae7f103436a63099a8bf099"
    nb.cells[3].source = "x = 42"
    nb.cells[4].source = "My written answer."
    return nb


def _gid(cell):
    meta = cell.metadata.get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


def _index(nb, gid):
    return next(i for i, c in enumerate(nb.cells) if _gid(c) == gid)


def _own(source="y = 1", meta=None, cell_id="own-1"):
    cell = new_code_cell(source)
    cell["id"] = cell_id
    if meta is not None:
        cell.metadata["nbgrader"] = meta
    return cell


def _sanitize(nb, raw_ids=None):
    problems = SanitizeCells().sanitize(nb, _source(), raw_ids=raw_ids)
    return nb, problems


def _assert_nbgrader_accepts(nb):
    """nbgrader's own steps that raised on tampered metadata now pass."""
    nb, _ = DeduplicateIds().preprocess(nb, {})
    CheckCellMetadata().preprocess(nb, {})
    MetadataValidator().validate_nb(nb)
    nbformat.validate(nb)


def _assert_one_per_source_id(nb):
    gids = [_gid(c) for c in nb.cells if _gid(c)]
    assert sorted(gids) == sorted(SOURCE_IDS)


def test_honest_submission_is_left_alone():
    """Does an untouched submission keep its cells and metadata, with no problem?"""
    nb = _submission()
    before = copy.deepcopy(nb)
    nb, problems = _sanitize(nb)
    assert problems == []
    assert nb == before
    _assert_nbgrader_accepts(nb)


@pytest.mark.parametrize("same_id", [True, False])
@pytest.mark.parametrize("where", ["before", "after"])
def test_copy_of_a_grade_cell_keeps_the_original(same_id, where):
    """Is the original kept as the grade cell and the pasted copy made an ordinary cell?"""
    nb = _submission()
    original = nb.cells[2]
    twin = copy.deepcopy(original)
    twin.source = "print('my copy')"
    if not same_id:
        twin["id"] = "pasted"
    nb.cells.insert(0 if where == "before" else len(nb.cells), twin)
    raw_ids = [c["id"] for c in nb.cells]
    nb, problems = _sanitize(nb, raw_ids)
    assert len(problems) == 1  # the repeated cell id of a copy is part of the copy
    assert "copy of the assignment's cell 'q'" in problems[0]
    kept = nb.cells[_index(nb, "q")]
    assert kept.source == original.source and kept.metadata["course"]["role"] == "grade"
    assert kept["id"] == "m-002"
    copies = [c for c in nb.cells if c.source == "print('my copy')"]
    assert len(copies) == 1 and "nbgrader" not in copies[0].metadata
    assert "course" not in copies[0].metadata and "editable" not in copies[0].metadata
    _assert_one_per_source_id(nb)
    _assert_nbgrader_accepts(nb)


def test_copy_of_an_answer_cell_keeps_the_answer_in_place():
    """With two copies of the answer cell, is the one in the source's order the answer?"""
    nb = _submission()
    twin = copy.deepcopy(nb.cells[3])
    twin.source = "x = 'scratch'"
    twin["id"] = "scratch"
    nb.cells.insert(0, twin)
    nb, problems = _sanitize(nb)
    assert nb.cells[_index(nb, "work")].source == "x = 42"
    assert nb.cells[0].source == "x = 'scratch'" and "nbgrader" not in nb.cells[0].metadata
    assert len(problems) == 1
    _assert_nbgrader_accepts(nb)


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"grade": True, "solution": False, "locked": False, "points": 5}, "without a grade id"),
        (_nbg("bonus", grade=True, locked=True, points=50), "'bonus', which is not in"),
        (_nbg(7, grade=True, locked=True, points=1), "grade cell 7, which is not in"),
        (_nbg(["q"], grade=True, points=1), "grade cell ['q'], which"),
        (_nbg({"id": "q"}, solution=True), "settings for {'id': 'q'}, which"),
        (_nbg("", grade=True, points=1), "grade cell ''"),
        (_nbg("mine", locked=True), "settings for 'mine'"),
    ],
)
def test_own_cell_marked_as_a_grade_cell_becomes_ordinary(meta, expected):
    """Is a student's own nbgrader cell stripped, its text kept, with one problem?"""
    nb = _submission()
    nb.cells.insert(3, _own("y = 'mine'", meta))
    nb, problems = _sanitize(nb)
    assert len(problems) == 1 and expected in problems[0] and "cell 4" in problems[0]
    assert nb.cells[3].source == "y = 'mine'" and "nbgrader" not in nb.cells[3].metadata
    _assert_one_per_source_id(nb)
    _assert_nbgrader_accepts(nb)


def test_empty_nbgrader_settings_are_dropped_silently():
    """Are nbgrader settings that say nothing removed without a problem?"""
    nb = _submission()
    nb.cells.insert(1, _own(meta={}))
    nb.cells.insert(1, _own(meta={"grade": False, "solution": False, "locked": False}, cell_id="o"))
    nb, problems = _sanitize(nb)
    assert problems == []
    assert "nbgrader" not in nb.cells[1].metadata and "nbgrader" not in nb.cells[2].metadata
    _assert_nbgrader_accepts(nb)


@pytest.mark.parametrize(
    ("points", "shown"),
    [
        (100, "100"),
        ("lots", "lots"),
        (math.nan, "nan"),
        (-5, "-5"),
        (1e300, "1e+300"),
        (True, "yes"),
    ],
)
def test_points_always_come_from_the_source(points, shown):
    """Whatever the submission says, are the source's points used, and the edit reported?"""
    nb = _submission()
    nb.cells[2].metadata["nbgrader"]["points"] = points
    nb, problems = _sanitize(nb)
    assert nb.cells[2].metadata["nbgrader"]["points"] == 2.0
    assert problems == [
        f"the assignment's cell 'q' (cell 3) had its nbgrader settings changed "
        f"(points: {shown} instead of 2); the assignment's settings were used"
    ]
    _assert_nbgrader_accepts(nb)


def test_missing_points_are_restored():
    """Is a grade cell without points given the source's points?"""
    nb = _submission()
    del nb.cells[4].metadata["nbgrader"]["points"]
    nb, problems = _sanitize(nb)
    assert nb.cells[4].metadata["nbgrader"]["points"] == 2.0
    assert "points: missing instead of 2" in problems[0]


def test_duplicated_grade_id_keeps_the_matching_cell():
    """When another assignment cell claims a grade id, is the real one kept?"""
    nb = _submission()
    nb.cells[3].metadata["nbgrader"]["grade_id"] = "q"  # the work cell claims the grade cell's id
    nb, problems = _sanitize(nb)
    assert nb.cells[2].metadata["nbgrader"]["grade_id"] == "q"
    assert "nbgrader" not in nb.cells[3].metadata and nb.cells[3].source == "x = 42"
    assert problems == [
        "cell 4 is a copy of the assignment's cell 'q'; only the original counts, "
        "and the copy is kept as an ordinary cell of yours"
    ]
    # The work cell is gone; RestoreCells puts it back from the source.
    _assert_nbgrader_accepts(nb)


@pytest.mark.parametrize(
    ("index", "field", "value", "label"),
    [
        (1, "solution", True, "answer cell: yes instead of no"),
        (3, "solution", False, "answer cell: no instead of yes"),
        (1, "locked", False, "read-only: no instead of yes"),
        (3, "locked", True, "read-only: yes instead of no"),
        (2, "grade", False, "grade cell: no instead of yes"),
        (1, "grade", True, "grade cell: yes instead of no"),
        (4, "task", True, "task cell: yes instead of no"),
    ],
)
def test_flags_come_from_the_source(index, field, value, label):
    """Are solution, locked, grade and task flags reset to the source's values?"""
    nb = _submission()
    nb.cells[index].metadata["nbgrader"][field] = value
    nb, problems = _sanitize(nb)
    assert (
        nb.cells[index].metadata["nbgrader"][field]
        == _source().cells[index].metadata["nbgrader"][field]
    )
    assert len(problems) == 1 and label in problems[0]
    _assert_nbgrader_accepts(nb)


def test_grade_cell_type_changed_to_markdown_is_turned_back_into_code():
    """Is a code grade cell made markdown turned back into a valid code cell?"""
    nb = _submission()
    cell = nb.cells[2]
    cell.cell_type = "markdown"
    del cell["outputs"], cell["execution_count"]
    cell.metadata["nbgrader"]["cell_type"] = "markdown"
    nb, problems = _sanitize(nb)
    cell = nb.cells[2]
    assert cell.cell_type == "code" and cell.outputs == [] and cell.execution_count is None
    assert cell.metadata["nbgrader"]["cell_type"] == "code"
    assert "cell type: markdown instead of code" in problems[0]
    _assert_nbgrader_accepts(nb)


def test_written_answer_changed_to_code_is_turned_back_into_markdown():
    """Is a markdown answer cell made code turned back into markdown, its text kept?"""
    nb = _submission()
    cell = nb.cells[4]
    cell.cell_type = "code"
    cell.outputs, cell.execution_count = [], 3
    nb, problems = _sanitize(nb)
    cell = nb.cells[4]
    assert cell.cell_type == "markdown" and "outputs" not in cell
    assert cell.source == "My written answer."
    assert "cell type: code instead of markdown" in problems[0]
    _assert_nbgrader_accepts(nb)


def test_nbgrader_cell_type_field_alone_is_restored():
    """Is a forged ``cell_type`` in the nbgrader metadata reset and reported?"""
    nb = _submission()
    nb.cells[1].metadata["nbgrader"]["cell_type"] = "markdown"
    nb, problems = _sanitize(nb)
    assert nb.cells[1].metadata["nbgrader"]["cell_type"] == "code"
    assert "cell type: markdown instead of code" in problems[0]


@pytest.mark.parametrize(
    ("meta", "kind"),
    [("grade", "a string"), (["grade", True], "a list"), (None, "null"), (3, "a number")],
)
@pytest.mark.parametrize("index", [2, 4])
def test_unreadable_metadata_on_an_assignment_cell(meta, kind, index):
    """Is an assignment cell with unreadable nbgrader metadata made ordinary, text kept?"""
    nb = _submission()
    text = nb.cells[index].source
    nb.cells[index].metadata["nbgrader"] = meta
    nb, problems = _sanitize(nb)
    assert "nbgrader" not in nb.cells[index].metadata and nb.cells[index].source == text
    assert problems == [
        f"cell {index + 1} had unreadable nbgrader settings ({kind} instead of a mapping); "
        "they were removed and it is kept as an ordinary cell of yours"
    ]
    _assert_nbgrader_accepts(nb)


def test_unreadable_cell_metadata_is_cleared():
    """Is cell metadata that is not a mapping replaced, with a problem?"""
    nb = _submission()
    nb.cells.insert(1, _own())
    nb.cells[1]["metadata"] = "oops"
    nb, problems = _sanitize(nb)
    assert nb.cells[1].metadata == {}
    assert "unreadable cell metadata (a string instead" in problems[0]
    _assert_nbgrader_accepts(nb)


@pytest.mark.parametrize("version", [99, 1, 0, "3", None])
def test_schema_version_comes_from_the_source(version):
    """Is a tampered schema_version reset, so nbgrader's validator accepts the notebook?"""
    nb = _submission()
    nb.cells[2].metadata["nbgrader"]["schema_version"] = version
    nb.cells.insert(0, _own(meta={**_nbg("x", grade=True, points=1), "schema_version": 99}))
    nb, problems = _sanitize(nb)
    assert nb.cells[3].metadata["nbgrader"]["schema_version"] == 3
    assert "nbgrader" not in nb.cells[0].metadata
    assert len(problems) == 2 and "nbgrader format version" in problems[1]
    _assert_nbgrader_accepts(nb)


def test_course_metadata_comes_from_the_source():
    """Are the course's own cell settings taken from the source, and dropped elsewhere?"""
    nb = _submission()
    nb.cells[2].metadata["course"] = {"role": "grade", "item": "other", "restored": True}
    nb.cells.insert(1, _own())
    nb.cells[1].metadata["course"] = {"role": "rubric"}
    nb, problems = _sanitize(nb)
    assert nb.cells[3].metadata["course"] == {"role": "grade", "item": "q"}
    assert "course" not in nb.cells[1].metadata
    assert problems == ["cell 2 carried the course grader's own cell settings; they were removed"]


def test_missing_repeated_and_invalid_cell_ids_get_new_ids():
    """Does every cell end with a unique valid id, the assignment cells keeping theirs?"""
    nb = _submission()
    nb.cells.insert(0, _own(cell_id="m-002"))  # the grade cell's id, before the grade cell
    nb.cells.insert(1, _own(cell_id="x"))
    nb.cells.insert(2, _own(cell_id="bad id!"))
    raw_ids = [c["id"] for c in nb.cells]
    raw_ids[1] = None  # missing in the file
    nb, problems = _sanitize(nb, raw_ids)
    ids = [c["id"] for c in nb.cells]
    assert len(set(ids)) == len(ids)
    assert nb.cells[_index(nb, "q")]["id"] == "m-002"
    assert problems == [
        "cell 1 had the cell id 'm-002' of another cell; it was given the new id 'cell-1'",
        "cell 2 had no cell id; it was given the new id 'cell-2'",
        "cell 3 had an invalid cell id (bad id!); it was given the new id 'cell-3'",
    ]
    _assert_nbgrader_accepts(nb)


def test_old_notebooks_without_cell_ids_are_accepted():
    """Is an nbformat 4.4 notebook (no cell ids) sanitized without id problems?"""
    nb = _submission()
    nb.nbformat_minor = 4
    for cell in nb.cells:
        del cell["id"]
    nb, problems = _sanitize(nb)
    assert problems == [] and all("id" not in c for c in nb.cells)


def test_a_long_hostile_value_is_shortened_in_the_message():
    """Does a huge forged value stay out of the problem text?"""
    nb = _submission()
    nb.cells[2].metadata["nbgrader"]["points"] = "9" * 100_000
    nb, problems = _sanitize(nb)
    assert len(problems[0]) < 300


class _Grader(LoggingConfigurable):
    """A stand-in parent that owns nbgrader's CourseDirectory, as a converter does."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.coursedir = CourseDirectory(root=str(root))


def test_problems_travel_from_the_sanitize_pass_to_the_autograde_pass(tmp_path):
    """Do the problems reach ``resources`` in both nbgrader passes, and only from the grader?"""
    source_dir = tmp_path / "source" / "m"
    source_dir.mkdir(parents=True)
    nbformat.write(_source(), source_dir / "m.ipynb")
    info = {"student": "s", "assignment": "m", "notebook": "m"}
    nb = _submission()
    nb.cells[2].metadata["nbgrader"]["points"] = 100
    nb.metadata[CARRY_KEY] = {"problems": ["forged by the student"]}
    step = SanitizeCells(parent=_Grader(tmp_path))
    submitted = {"nbgrader": info, "metadata": {"path": str(tmp_path / "submitted" / "s" / "m")}}
    nb, resources = step.preprocess(nb, submitted)
    found = resources["course"]["problems"]
    assert len(found) == 1 and "points: 100 instead of 2" in found[0]
    assert nb.metadata[CARRY_KEY] == {"problems": found}

    # The autograde pass: a fresh resources, the notebook read back from autograded/.
    autograded = {"nbgrader": info, "metadata": {"path": str(tmp_path / "autograded" / "s" / "m")}}
    autograded["course"] = {"problems": ["found earlier in this pass"]}
    nb, resources = step.preprocess(nb, autograded)
    assert resources["course"]["problems"] == ["found earlier in this pass", *found]
    assert CARRY_KEY not in nb.metadata


# --- real nbgrader runs -------------------------------------------------------------------


def _edit(folder: Path, change) -> None:
    """Apply ``change`` to the submitted notebook's raw JSON, as a hostile editor could."""
    path = folder / f"{MODULE}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    change(nb)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def _at(nb: dict, gid: str) -> int:
    return next(
        i
        for i, c in enumerate(nb["cells"])
        if isinstance(c["metadata"].get("nbgrader"), dict)
        and c["metadata"]["nbgrader"].get("grade_id") == gid
    )


def _raw_own(source: str, meta=None, cell_id: str = "own-cell") -> dict:
    cell = {
        "cell_type": "code",
        "id": cell_id,
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": source,
    }
    if meta is not None:
        cell["metadata"]["nbgrader"] = meta
    return cell


def _copy_same_id(nb):
    # A grade cell and an answer cell, copied with their ids and pasted before the originals.
    grade = copy.deepcopy(nb["cells"][_at(nb, "f-single")])
    work = copy.deepcopy(nb["cells"][_at(nb, "f-computed-work")])
    work["source"] = "distance = 1  # scratch copy"
    nb["cells"].insert(1, grade)
    nb["cells"].insert(2, work)


def _copy_new_id(nb):
    grade = copy.deepcopy(nb["cells"][_at(nb, "f-order")])
    grade["id"] = "pasted-copy"
    nb["cells"].append(grade)


def _own_grade_cells(nb):
    base = {"solution": False, "locked": True, "schema_version": 3}
    nb["cells"][3:3] = [
        _raw_own("a = 1", {**base, "grade": True, "points": 5}, "own-1"),
        _raw_own("b = 2", {**base, "grade": True, "grade_id": "f-bonus", "points": 50}, "own-2"),
        _raw_own("c = 3", {**base, "grade": True, "grade_id": 7, "points": 1}, "own-3"),
    ]


def _points(nb):
    for gid, points in [
        ("f-single", 100),
        ("f-multi", "lots"),
        ("f-num", float("nan")),
        ("f-class", -5),
        ("f-order", 1e300),
    ]:
        nb["cells"][_at(nb, gid)]["metadata"]["nbgrader"]["points"] = points


def _duplicate_grade_id(nb):
    nb["cells"][_at(nb, "f-num")]["metadata"]["nbgrader"]["grade_id"] = "f-multi"


def _flags(nb):
    nb["cells"][_at(nb, "f-single-item")]["metadata"]["nbgrader"]["solution"] = True
    work = nb["cells"][_at(nb, "f-computed-work")]["metadata"]["nbgrader"]
    work["solution"], work["locked"] = False, True
    nb["cells"][_at(nb, "f-multi-item")]["metadata"]["nbgrader"]["locked"] = False
    nb["cells"][_at(nb, "f-single")]["metadata"]["nbgrader"]["grade"] = False


def _cell_types(nb):
    grade = nb["cells"][_at(nb, "f-single")]
    grade["cell_type"] = "markdown"
    del grade["outputs"], grade["execution_count"]
    written = nb["cells"][_at(nb, "f-written")]
    written["cell_type"], written["outputs"], written["execution_count"] = "code", [], None


def _wrong_shape(nb):
    nb["cells"][_at(nb, "f-order")]["metadata"]["nbgrader"] = ["grade", True]
    nb["cells"].insert(3, _raw_own("d = 4", "grade", "own-str"))
    nb["cells"].insert(3, _raw_own("e = 5", None, "own-null"))
    nb["cells"][3]["metadata"]["nbgrader"] = None


def _schema(nb):
    nb["cells"][_at(nb, "f-single")]["metadata"]["nbgrader"]["schema_version"] = 99
    nb["cells"][_at(nb, "f-multi")]["metadata"]["nbgrader"]["schema_version"] = 1
    nb["cells"].insert(
        3,
        _raw_own("f = 6", {"grade": True, "grade_id": "f-x", "points": 1, "schema_version": 99}),
    )


def _cell_ids(nb):
    # An own cell with the grade cell's id, before it (nbformat renames the later one on
    # reading); another without an id.
    nb["cells"].insert(3, _raw_own("g = 7", None, nb["cells"][_at(nb, "f-single")]["id"]))
    missing = _raw_own("h = 8")
    del missing["id"]
    nb["cells"].insert(3, missing)


#: student -> (tampering, a phrase that must be among its problems)
TAMPERED = {
    "t-copy-same-id": (_copy_same_id, "copy of the assignment's cell 'f-single'"),
    "t-copy-new-id": (_copy_new_id, "copy of the assignment's cell 'f-order'"),
    "t-own-grade-cells": (_own_grade_cells, "grade cell 'f-bonus', which is not in"),
    "t-points": (_points, "points: lots instead of 2"),
    "t-duplicate-grade-id": (_duplicate_grade_id, "copy of the assignment's cell 'f-multi'"),
    "t-flags": (_flags, "answer cell: yes instead of no"),
    "t-cell-types": (_cell_types, "cell type: markdown instead of code"),
    "t-wrong-shape": (_wrong_shape, "unreadable nbgrader settings (a list instead"),
    "t-schema": (_schema, "nbgrader format version: 99 instead of 3"),
    "t-cell-ids": (_cell_ids, "had no cell id"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course of its own: one honest student and one per tampering, graded once."""
    from course.coursefolder import init_course
    from course.gradebatch import grade_course
    from course.keys import load_key
    from course.release import release_modules
    from course.simulate import SimStudent, submit_student

    course = tmp_path_factory.mktemp("sanitize") / "course"
    init_course(course, lessons_dir=FIXTURES / "lessons", keys_dir=FIXTURES / "keys", timeout=10)
    release_modules(course, [MODULE])
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    for student in ["honest", *TAMPERED]:
        folder = submit_student(
            course, MODULE, SimStudent(student, "blank", 0), key, answers=HONEST
        )
        if student in TAMPERED:
            _edit(folder, TAMPERED[student][0])
    report = grade_course(course, [MODULE], force=True, feedback=False)
    grades = pd.read_csv(report.exports["grades"]).set_index("student_id")
    return {"course": course, "report": report, "grades": grades}


def _results(graded, student) -> dict:
    path = graded["course"] / "grading" / "results" / student / MODULE / f"{MODULE}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _autograded(graded, student):
    path = graded["course"] / "autograded" / student / MODULE / f"{MODULE}.ipynb"
    return nbformat.read(path, as_version=4)


@pytest.mark.nbgrader
@pytest.mark.slow
def test_honest_student_has_no_sanitize_problem(graded):
    """Is the untampered submission graded with no repair reported?"""
    assert float(graded["grades"].loc["honest", "score"]) == 1.0
    problems = " ".join(_results(graded, "honest")["problems"])
    assert "nbgrader settings" not in problems and "cell id" not in problems


@pytest.mark.nbgrader
@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(TAMPERED))
def test_tampered_submission_is_graded_on_its_honest_answers(graded, student):
    """Is each tampered student graded, scored exactly 1, with the repair reported?"""
    assert student not in graded["report"].failed.get(MODULE, [])
    assert float(graded["grades"].loc[student, "score"]) == 1.0
    phrase = TAMPERED[student][1]
    assert any(phrase in p for p in _results(graded, student)["problems"])
    assert any(phrase in p for p in graded["report"].problems[student])


@pytest.mark.nbgrader
@pytest.mark.slow
@pytest.mark.parametrize("student", ["honest", *sorted(TAMPERED)])
def test_graded_notebook_has_one_cell_per_source_cell(graded, student):
    """Does every graded notebook hold each assignment cell exactly once, with the source's points?"""
    source = nbformat.read(graded["course"] / "source" / MODULE / f"{MODULE}.ipynb", as_version=4)
    want = {_gid(c): c.metadata["nbgrader"].get("points") for c in source.cells if _gid(c)}
    nb = _autograded(graded, student)
    gids = [_gid(c) for c in nb.cells if _gid(c)]
    assert sorted(gids) == sorted(want)
    for cell in nb.cells:
        if _gid(cell):
            assert cell.metadata["nbgrader"].get("points") == want[_gid(cell)]
    ids = [c["id"] for c in nb.cells]
    assert len(set(ids)) == len(ids)


@pytest.mark.nbgrader
@pytest.mark.slow
def test_students_own_text_is_kept(graded):
    """Is the text of every demoted cell still in the graded notebook?"""
    sources = [c.source for c in _autograded(graded, "t-own-grade-cells").cells]
    assert {"a = 1", "b = 2", "c = 3"} <= set(sources)
    sources = [c.source for c in _autograded(graded, "t-copy-same-id").cells]
    assert "distance = 1  # scratch copy" in sources


@pytest.mark.nbgrader
@pytest.mark.slow
def test_restore_cells_still_restores_what_cannot_be_read(graded):
    """Is a grade cell whose metadata was unreadable restored from the source and scored?"""
    nb = _autograded(graded, "t-wrong-shape")
    order = [c for c in nb.cells if _gid(c) == "f-order"]
    assert len(order) == 1 and order[0].metadata["course"].get("restored")
    problems = _results(graded, "t-wrong-shape")["problems"]
    assert any("restored from the source: f-order" in p for p in problems)
    items = {i["item_id"]: i for i in _results(graded, "t-wrong-shape")["items"]}
    assert items["f-order"]["score"] == 0 and items["f-single"]["score"] == 1
