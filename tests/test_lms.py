"""Canvas and Moodle grade-import files, checked against each LMS's import rules.

The Canvas checks follow its gradebook importer (``lib/gradebook_importer.rb``
in canvas-lms): the header starts with ``Student`` and ``ID``; ``SIS User ID``
and ``SIS Login ID`` follow; ``Section`` ends the student columns; an
assignment column ``Title (123)`` names an existing assignment, a bare title
a new one; a row starting ``Points Possible`` is not a student. The Moodle
checks follow its CSV grade import: one header row, a column that identifies
users, and grade cells that are numbers or empty ("no grade").
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest

from course.lms import (
    CANVAS_STUDENT_COLUMNS,
    MOODLE_USER_COLUMNS,
    LmsSettings,
    LmsSettingsError,
    build_lms_exports,
    canvas_table,
    load_lms_settings,
    manual_pending,
    moodle_table,
    write_lms_exports,
)

MODULES = ["01-close-reading", "02-sourcing"]


@pytest.fixture
def grades() -> pd.DataFrame:
    rows = [
        ("ana", "01-close-reading", 7.5, 10.0, False, True),
        ("ana", "02-sourcing", 2 / 3, 4.0, False, True),
        ("ben", "01-close-reading", 4.0, 10.0, True, True),  # waits for manual grading
        ("ben", "02-sourcing", None, 4.0, False, False),  # could not be graded
        ("cy", "01-close-reading", 0.0, 10.0, False, True),
    ]
    return pd.DataFrame(
        rows,
        columns=["student_id", "module", "score", "max_score", "needs_manual_grade", "graded"],
    )


@pytest.fixture
def students() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("ana", "Ana", "Lima", "ana@example.edu", "1001"),
            ("ben", "", "", "", ""),
            ("cy", "Cy", "Ng", "cy@example.edu", ""),
        ],
        columns=["student_id", "first_name", "last_name", "email", "lms_user_id"],
    )


def _rows(table: pd.DataFrame) -> list[list[str]]:
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return list(csv.reader(io.StringIO(buffer.getvalue())))


def canvas_problems(rows: list[list[str]]) -> list[str]:
    """Return where a CSV breaks Canvas's gradebook-import rules."""
    header = rows[0]
    problems = []
    if not (len(header) > 3 and "Student" in header[0] and "ID" in header[1]):
        problems.append("the header must start with Student, ID")
    columns = 3
    if re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        columns += 2
    elif re.search(r"SIS\s+Login\s+ID", header[2]):
        columns += 1
    if "Section" not in header[columns - 1]:
        problems.append("Section must end the student columns")
    for title in header[columns:]:
        if not title.strip():
            problems.append("an assignment column has no title")
    for row in rows[1:]:
        if len(row) != len(header):
            problems.append(f"row {row[:1]} has {len(row)} cells for {len(header)} columns")
        if "Points Possible" in row[0]:
            continue
        for cell in row[columns:]:
            if cell and not re.fullmatch(r"-?\d+(\.\d+)?", cell):
                problems.append(f"score {cell!r} is not a number")
    return problems


def moodle_problems(rows: list[list[str]], identifier: str) -> list[str]:
    """Return where a CSV breaks Moodle's CSV grade import, mapping users from ``identifier``."""
    header = [h.strip() for h in rows[0]]
    problems = []
    if identifier not in header:
        return [f"no {identifier} column to map users from"]
    position = header.index(identifier)
    ids = [row[position] for row in rows[1:]]
    if len(set(ids)) != len(ids) or not all(ids):
        problems.append("user identifiers must be unique and present")
    for row in rows[1:]:
        for cell in row[len(MOODLE_USER_COLUMNS) :]:
            if cell not in ("", "-") and not re.fullmatch(r"-?\d+(\.\d+)?", cell):
                problems.append(f"grade {cell!r} is not a number")
    return problems


def test_canvas_header_and_rows_follow_the_import_format(grades, students):
    """Does canvas.csv have Canvas's student columns, one column per module, and valid rows?"""
    rows = _rows(canvas_table(grades, students, MODULES, LmsSettings()))
    assert rows[0] == CANVAS_STUDENT_COLUMNS + MODULES
    assert rows[1] == ["Points Possible", "", "", "", "", "10", "4"]
    assert canvas_problems(rows) == []
    by_login = {r[3]: r for r in rows[2:]}
    assert by_login["ana"] == ["Lima, Ana", "1001", "", "ana", "", "7.5", "0.67"]
    assert by_login["ben"][5:] == ["", ""]  # manual grading pending; not graded
    assert by_login["cy"][:2] == ["Ng, Cy", ""] and by_login["cy"][5:] == ["0", ""]


def test_canvas_ids_name_existing_assignments(grades, students):
    """With Canvas ids, are columns titled 'Name (id)' and the points row dropped?"""
    settings = LmsSettings(
        names={"01-close-reading": "Close reading", "02-sourcing": "Sourcing"},
        canvas_ids={"01-close-reading": "4821", "02-sourcing": "4822"},
    )
    rows = _rows(canvas_table(grades, students, MODULES, settings))
    assert rows[0][5:] == ["Close reading (4821)", "Sourcing (4822)"]
    assert not any("Points Possible" in r[0] for r in rows)
    assert canvas_problems(rows) == []


def test_moodle_file_follows_the_import_format(grades, students):
    """Does moodle.csv have a user column to map from, one grade column per module, numbers?"""
    rows = _rows(moodle_table(grades, students, MODULES, LmsSettings()))
    assert rows[0] == MOODLE_USER_COLUMNS + MODULES
    assert moodle_problems(rows, "Username") == []
    assert rows[1] == ["ana", "ana@example.edu", "Ana", "Lima", "7.5", "0.67"]
    assert rows[2][4:] == ["", ""]


def test_students_without_a_submission_keep_a_row(grades, students):
    """Does a gradebook student who handed in nothing get a row with blank scores in both files?"""
    roster = pd.concat(
        [
            students,
            pd.DataFrame([("dee", "Dee", "Roy", "dee@example.edu", "")], columns=students.columns),
        ]
    )
    canvas = {r[3]: r for r in _rows(canvas_table(grades, roster, MODULES, LmsSettings()))[2:]}
    assert canvas["dee"] == ["Roy, Dee", "", "", "dee", "", "", ""]
    moodle = {r[0]: r for r in _rows(moodle_table(grades, roster, MODULES, LmsSettings()))[1:]}
    assert moodle["dee"] == ["dee", "dee@example.edu", "Dee", "Roy", "", ""]
    assert sorted(canvas) == ["ana", "ben", "cy", "dee"]


def test_settings_file_is_validated(tmp_path):
    """Are unknown settings, non-numeric ids and names ending '(123)' refused?"""
    (tmp_path / "lms.yaml").write_text("canvas_id: {a: 1}\n")
    with pytest.raises(LmsSettingsError, match="unexpected setting"):
        load_lms_settings(tmp_path)
    (tmp_path / "lms.yaml").write_text("canvas_ids: {a: abc}\n")
    with pytest.raises(LmsSettingsError, match="must be a number"):
        load_lms_settings(tmp_path)
    (tmp_path / "lms.yaml").write_text("names: {a: 'Quiz (12)'}\n")
    with pytest.raises(LmsSettingsError, match="assignment id"):
        load_lms_settings(tmp_path)
    (tmp_path / "lms.yaml").write_text("names: {a: Quiz}\ncanvas_ids: {a: 12}\n")
    assert load_lms_settings(tmp_path).canvas_header("a") == "Quiz (12)"


@pytest.fixture
def items() -> pd.DataFrame:
    rows = [
        ("ben", "01-close-reading", "w1", "written", None, "needs manual grade"),
        ("ben", "01-close-reading", "w2", "written", None, "needs manual grade"),
        ("ben", "01-close-reading", "q1", "single_choice", 1.0, "correct"),
        ("ana", "01-close-reading", "w1", "written", 3.0, "graded"),
    ]
    return pd.DataFrame(
        rows, columns=["student_id", "module", "item_id", "kind", "score", "verdict"]
    )


def test_held_back_scores_are_reported(tmp_path, grades, students):
    """Is the instructor told how many scores wait for manual grading, and whose?"""
    result = write_lms_exports(tmp_path, grades, students, MODULES)
    assert set(result.paths) == {"canvas", "moodle"}
    assert result.paths["canvas"].read_text(encoding="utf-8").startswith("Student,ID,")
    assert "1 score(s) wait for manual grading" in result.notes[0]
    assert "ben (01-close-reading)" in result.notes[0]
    assert result.pending == {("ben", "01-close-reading"): 0}


def test_pending_students_keep_their_rows_and_are_counted(grades, students, items):
    """Does a student awaiting manual grading keep a row, blank, with the answers counted?"""
    assert manual_pending(grades, items) == {("ben", "01-close-reading"): 2}
    result = build_lms_exports(grades, students, MODULES, LmsSettings(), items)
    assert result.pending == {("ben", "01-close-reading"): 2}
    assert "ben (01-close-reading: 2 written answers)" in result.notes[0]
    assert "no column to say why" in result.notes[0]
    canvas = _rows(result.tables["canvas.csv"])
    moodle = _rows(result.tables["moodle.csv"])
    assert [r[5] for r in canvas if r[3] == "ben"] == [""]
    assert [r[4] for r in moodle if r[0] == "ben"] == [""]
    assert canvas_problems(canvas) == [] and moodle_problems(moodle, "Username") == []


def test_rewriting_lms_files_keeps_the_previous_ones(tmp_path, grades, students):
    """Is a replaced canvas.csv kept in exports/history/, with a note when it lost scores?"""
    write_lms_exports(tmp_path, grades, students, MODULES)
    first = (tmp_path / "exports" / "canvas.csv").read_text(encoding="utf-8")
    fewer = grades.assign(graded=False)  # nothing graded any more: every cell blank
    result = write_lms_exports(tmp_path, fewer, students, MODULES)
    (kept,) = (tmp_path / "exports" / "history").glob("*/canvas.csv")
    assert kept.read_text(encoding="utf-8") == first
    assert any(n.startswith("exports/canvas.csv has fewer scores") for n in result.notes)
    assert any(n.startswith("exports/moodle.csv has fewer scores") for n in result.notes)
