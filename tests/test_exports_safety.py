"""Exports are swapped in whole, kept in history, and never emptied without a note.

Unit tests drive :class:`course.export.ExportWriter` on small tables; the kinds of
``problems.csv`` are checked against messages made by the real sources (intake,
answers reader, sandbox, snapshot, SanitizeCells). One test grades a small class
with the real nbgrader pipeline and reads every export it wrote.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course.export import (
    HISTORY_RUNS,
    PROBLEM_COLUMNS,
    PROBLEM_KINDS,
    SHAPES,
    ExportError,
    ExportWriter,
    problem_kind,
    problems_table,
)
from course.gradereport import GradeReport, collect_problems

MODULE = "90-fixture"


def _grades(scores: dict[str, float | None], module: str = "m1") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "student_id": list(scores),
            "module": [module] * len(scores),
            "score": list(scores.values()),
        }
    )


def _write(folder: Path, table: pd.DataFrame, stamp: str, name: str = "grades.csv", **kw):
    writer = ExportWriter(folder, stamp=stamp, **kw)
    writer.write(name, table)
    writer.finish()
    return writer


def _stamp(n: int) -> str:
    return f"2025-01-01T00-00-{n:02d}Z"


# --- the swap -------------------------------------------------------------------------------


def test_a_new_export_replaces_the_old_file_whole(tmp_path):
    """Is the new file swapped in (a new inode), while a reader of the old one keeps it whole?"""
    out = tmp_path / "exports"
    _write(out, _grades({"ana": 1.0, "ben": 2.0}), _stamp(1))
    target = out / "grades.csv"
    before = target.stat().st_ino
    with open(target, encoding="utf-8") as reader:
        _write(out, _grades({"ana": 3.0, "ben": 4.0}), _stamp(2))
        old_text = reader.read()
    assert pd.read_csv(io.StringIO(old_text))["score"].tolist() == [1.0, 2.0]
    assert pd.read_csv(target)["score"].tolist() == [3.0, 4.0]
    assert target.stat().st_ino != before
    assert sorted(p.name for p in out.iterdir()) == ["grades.csv", "history"]  # no temp files


def test_a_failed_write_leaves_the_previous_export_in_place(tmp_path, monkeypatch):
    """When the new file cannot be written, is the old one untouched and no temp file left?"""
    out = tmp_path / "exports"
    _write(out, _grades({"ana": 1.0}), _stamp(1))
    old = (out / "grades.csv").read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ExportError, match=r"Could not write exports/grades.csv .*left in place"):
        _write(out, _grades({"ana": 2.0}), _stamp(2))
    monkeypatch.undo()
    assert (out / "grades.csv").read_bytes() == old
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_new_files_get_the_usual_permissions(tmp_path):
    """Is an export readable like any file the user creates (not private to the temp file)?"""
    out = tmp_path / "exports"
    _write(out, _grades({"ana": 1.0}), _stamp(1))
    umask = os.umask(0)
    os.umask(umask)
    assert (out / "grades.csv").stat().st_mode & 0o777 == 0o666 & ~umask


# --- history --------------------------------------------------------------------------------


def test_each_replaced_export_is_kept_in_history(tmp_path):
    """Is the previous file copied to exports/history/<stamp>/, and an unchanged one left alone?"""
    out = tmp_path / "exports"
    _write(out, _grades({"ana": 1.0}), _stamp(1))
    assert not (out / "history").exists()  # nothing replaced yet
    first = (out / "grades.csv").read_bytes()
    writer = _write(out, _grades({"ana": 2.0}), _stamp(2))
    assert writer.history == out / "history" / _stamp(2)
    assert (out / "history" / _stamp(2) / "grades.csv").read_bytes() == first
    writer = _write(out, _grades({"ana": 2.0}), _stamp(3))  # same text: not replaced
    assert writer.history is None
    assert sorted(p.name for p in (out / "history").iterdir()) == [_stamp(2)]


def test_runs_in_the_same_second_get_their_own_history_folders(tmp_path):
    """Do two runs with the same time stamp keep both previous copies?"""
    out = tmp_path / "exports"
    for score in (1.0, 2.0, 3.0):
        _write(out, _grades({"ana": score}), _stamp(5))
    kept = sorted(p.name for p in (out / "history").iterdir())
    assert kept == [_stamp(5), f"{_stamp(5)}-2"]
    scores = [pd.read_csv(out / "history" / k / "grades.csv")["score"][0] for k in kept]
    assert scores == [1.0, 2.0]


def test_history_is_bounded_and_keeps_the_newest_runs(tmp_path):
    """Are only the last `keep` runs kept, the oldest deleted, and other folders left alone?"""
    out = tmp_path / "exports"
    (out / "history" / "my notes").mkdir(parents=True)
    for n in range(8):
        _write(out, _grades({"ana": float(n)}), _stamp(n), keep=3)
    kept = sorted(p.name for p in (out / "history").iterdir())
    assert kept == [_stamp(5), _stamp(6), _stamp(7), "my notes"]
    assert pd.read_csv(out / "history" / _stamp(7) / "grades.csv")["score"][0] == 6.0
    assert HISTORY_RUNS == 20


# --- emptier exports -----------------------------------------------------------------------


def test_an_emptier_export_is_written_with_a_note(tmp_path):
    """Fewer students, fewer scores, more blanks: is the file written and each change named?"""
    out = tmp_path / "exports"
    _write(out, _grades({"ana": 1.0, "ben": 2.0, "cy": 3.0}), _stamp(1))
    writer = _write(out, _grades({"ana": 1.0, "ben": None}), _stamp(2))
    assert pd.read_csv(out / "grades.csv")["student_id"].tolist() == ["ana", "ben"]  # the truth
    (note,) = writer.notes
    assert note.startswith("exports/grades.csv has fewer students (3 → 2)")
    assert "fewer scores (3 → 1)" in note and "more blank scores (0 → 1)" in note
    assert f"exports/history/{_stamp(2)}/grades.csv" in note
    assert "no longer has" not in note  # the same module


def test_an_export_missing_a_module_says_how_to_export_them_all(tmp_path):
    """When a run exports fewer modules than the last one, does the note say so and what to do?"""
    out = tmp_path / "exports"
    both = pd.concat([_grades({"ana": 1.0}, "m1"), _grades({"ana": 2.0}, "m2")])
    _write(out, both, _stamp(1))
    writer = _write(out, _grades({"ana": 1.0}, "m1"), _stamp(2))
    (note,) = writer.notes
    assert "fewer scores (2 → 1)" in note
    assert "no longer has m2" in note and "`course grade` with no module" in note


def test_a_fuller_export_needs_no_note(tmp_path):
    """More students and scores, no more blanks: is the file replaced quietly (and kept)?"""
    out = tmp_path / "exports"
    _write(out, _grades({"ana": 1.0, "ben": None}), _stamp(1))
    writer = _write(out, _grades({"ana": 1.0, "ben": 2.0, "cy": None}), _stamp(2))
    assert writer.notes == []
    assert (out / "history" / _stamp(2) / "grades.csv").exists()


def test_lms_files_count_students_and_module_cells(tmp_path):
    """Does Canvas's Points Possible row not count as a student, and blank cells count?"""
    out = tmp_path / "exports"
    columns = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Quiz 1"]
    points = ["Points Possible", "", "", "", "", "10"]
    old = pd.DataFrame([points, ["Ana", "", "", "ana", "", "7"], ["Ben", "", "", "ben", "", "5"]])
    new = pd.DataFrame([points, ["Ana", "", "", "ana", "", "7"], ["Ben", "", "", "ben", "", ""]])
    old.columns = new.columns = columns
    _write(out, old, _stamp(1), name="canvas.csv", shapes=SHAPES)
    writer = _write(out, new, _stamp(2), name="canvas.csv", shapes=SHAPES)
    (note,) = writer.notes
    assert "exports/canvas.csv has fewer scores (2 → 1) and more blank scores (0 → 1)" in note
    assert "students" not in note.split(" than ")[0]


# --- problems.csv ---------------------------------------------------------------------------


def _messages_from_sources(tmp_path: Path) -> dict[str, str]:
    """Return one real message per source, produced by the code that writes it."""
    from course.answers import read_answers
    from course.grading.intake import Refusal
    from course.grading.preprocessors import SanitizeCells
    from course.grading.sandbox import no_isolation_problem
    from course.grading.snapshot import TAKEN_AGAIN

    broken = tmp_path / "answers.json"
    broken.write_text("{ not json", encoding="utf-8")
    source = new_notebook(cells=[new_code_cell("x = 1")])
    source.cells[0]["id"] = "a"
    source.cells[0].metadata["nbgrader"] = {
        "grade": True, "grade_id": "q", "locked": True, "points": 1.0, "schema_version": 3,
        "solution": False, "task": False,
    }  # fmt: skip
    submission = nbformat.from_dict(source)
    own = new_code_cell("y = 2")
    own.metadata["nbgrader"] = dict(source.cells[0].metadata["nbgrader"], grade_id="mine")
    submission.cells.append(own)
    (sanitized,) = SanitizeCells().sanitize(submission, source)
    return {
        "sandbox": no_isolation_problem("bubblewrap is not installed"),
        "refused-file": Refusal("link.json", "it is a symbolic link").message(MODULE),
        "unreadable-answers": read_answers(broken).problems[0],
        "answers-changed": TAKEN_AGAIN,
        "tampered-notebook": sanitized,
    }


def test_problem_kinds_follow_the_wording_of_each_source(tmp_path):
    """Is a message of each source given its kind, and an unknown one `other`?"""
    for kind, message in _messages_from_sources(tmp_path).items():
        assert problem_kind(message) == kind, message
    assert problem_kind("execution stopped early: DeadKernelError: ") == "execution"
    assert problem_kind("the notebook time limit (12 s) was reached; 3 cell(s)") == "time-limit"
    assert problem_kind("deleted cells were restored from the source: q") == "deleted-cells"
    assert problem_kind("unknown option id(s) ignored: 'z'", item=True) == "invalid-answer"
    assert problem_kind("something new") == "other"


def test_every_kind_says_what_to_do():
    """Does every kind have a plain sentence for the instructor?"""
    for kind, what in PROBLEM_KINDS.items():
        assert kind == kind.lower() and " " not in kind
        assert what.endswith(".") and len(what.split()) >= 5


def test_recorded_kinds_come_from_the_intake_report(tmp_path):
    """Do refusals of a real intake get `refused-file` from the intake's own record?"""
    from course.grading.intake import intake_submission

    folder = tmp_path / "submitted" / "eve" / MODULE
    folder.mkdir(parents=True)
    (tmp_path / "elsewhere.json").write_text("{}", encoding="utf-8")
    (folder / f".{MODULE}.answers.json").symlink_to(tmp_path / "elsewhere.json")
    intake = intake_submission(tmp_path, "eve", MODULE, notebooks=[])
    assert intake.refused
    report = GradeReport()
    collect_problems(tmp_path, MODULE, "eve", report)
    (problem,) = report.problems_of("eve", MODULE)
    assert problem.kind == "refused-file"
    table = problems_table(report)
    assert table.loc[0, "kind"] == "refused-file"
    assert table.loc[0, "problem"].startswith(f"the file '.{MODULE}.answers.json'")


def test_problems_table_has_one_row_per_problem_with_kind_and_advice():
    """Are problems, pending manual grades, missing answers files and notes all rows?"""
    report = GradeReport()
    report.add_problem("ben", MODULE, "could not be autograded, even on retry (x)", kind="ungraded")
    report.add_problem("ana", MODULE, "unknown option id(s) ignored: 'z'", item="f-single")
    report.add_problem("ana", MODULE, "graded without isolation: the student's code ran")
    report.add_problem("ana", MODULE, "a message no source is known for", kind="made-up-kind")
    report.manual_pending = {"ana": {MODULE: 2}, "cy": {MODULE: 1}}
    report.add_note("graded with execution, not the fast path: a code test", module=MODULE,
                    kind="fast-path")  # fmt: skip
    report.notes.append("3 score(s) wait for manual grading")  # a note added as text
    table = problems_table(
        report,
        missing_answers=[("dee", MODULE, f".{MODULE}.answers.json")],
        notes=[("export-shrank", "exports/grades.csv has fewer students (3 → 2) …")],
    )
    assert list(table.columns) == PROBLEM_COLUMNS
    rows = [tuple(r) for r in table[["student_id", "module", "kind"]].itertuples(index=False)]
    assert rows == [
        ("ana", MODULE, "invalid-answer"),
        ("ana", MODULE, "sandbox"),
        ("ana", MODULE, "other"),
        ("ana", MODULE, "manual-grading-pending"),
        ("ben", MODULE, "ungraded"),
        ("cy", MODULE, "manual-grading-pending"),
        ("dee", MODULE, "no-answers-file"),
        ("", MODULE, "fast-path"),
        ("", "", "other"),
        ("", "", "export-shrank"),
    ]
    assert report.problems["ana"][0] == f"{MODULE} f-single: unknown option id(s) ignored: 'z'"
    assert report.notes[0] == f"{MODULE}: graded with execution, not the fast path: a code test"
    assert table.loc[0, "problem"] == "f-single: unknown option id(s) ignored: 'z'"
    pending = table[table["kind"] == "manual-grading-pending"]["problem"].tolist()
    assert pending[0].startswith("2 written answers await manual grading")
    assert pending[1].startswith("1 written answer awaits manual grading")
    assert (table["what_to_do"] == table["kind"].map(PROBLEM_KINDS)).all()


# --- with the real pipeline -----------------------------------------------------------------


@pytest.mark.nbgrader
@pytest.mark.slow
def test_course_grade_writes_every_export_safely(copy_course, tmp_path):
    """Graded for real: pending manual grades and a missing answers file listed, history kept?"""
    from course.export import export_grades
    from course.gradebatch import grade_course
    from course.keys import load_key
    from course.simulate import SimStudent, submit_student

    course = copy_course(tmp_path / "course")
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    submit_student(course, MODULE, SimStudent("s1-perfect", "perfect", 1.0), key)
    submit_student(course, MODULE, SimStudent("s2-blank", "blank", 0.0), key)
    report = grade_course(course, ["90"], jobs=1, fast=True, feedback=False)
    assert set(report.exports) == {"grades", "items", "canvas", "moodle", "problems"}
    assert report.manual_pending == {"s1-perfect": {MODULE: 1}}
    assert any("1 score(s) wait for manual grading" in n for n in report.notes)

    problems = pd.read_csv(course / "exports" / "problems.csv", keep_default_na=False)
    kinds = set(zip(problems["student_id"], problems["kind"], strict=True))
    assert ("s1-perfect", "manual-grading-pending") in kinds
    assert ("s2-blank", "no-answers-file") in kinds
    canvas = pd.read_csv(course / "exports" / "canvas.csv", dtype=str, keep_default_na=False)
    rows = canvas.set_index("SIS Login ID")
    assert rows.loc["s1-perfect", MODULE] == ""  # held back, but the student keeps a row
    assert rows.loc["s2-blank", MODULE] == "0"

    # An earlier, fuller export (a student graded since removed): the new one says so.
    grades = pd.read_csv(course / "exports" / "grades.csv")
    ghost = grades.iloc[[0]].assign(student_id="s9-ghost")
    pd.concat([grades, ghost]).to_csv(course / "exports" / "grades.csv", index=False)
    again = GradeReport()
    export_grades(course, [MODULE], again)
    (note,) = [n for n in again.notes if n.startswith("exports/grades.csv")]
    assert "fewer students (3 → 2)" in note
    (kept,) = (course / "exports" / "history").glob("*/grades.csv")
    assert "s9-ghost" in kept.read_text(encoding="utf-8")
    assert "s9-ghost" not in (course / "exports" / "grades.csv").read_text(encoding="utf-8")
    problems = pd.read_csv(course / "exports" / "problems.csv", keep_default_na=False)
    assert "export-shrank" in set(problems["kind"])


def test_the_instructor_guide_lists_every_kind():
    """Does the guide's problem-list section name every kind problems.csv can hold?"""
    guide = (Path(__file__).resolve().parent.parent / "docs" / "instructor-guide.md").read_text(
        encoding="utf-8"
    )
    section = guide.split("### The problem list", 1)[1].split("\n## ", 1)[0]
    assert [k for k in PROBLEM_KINDS if f"`{k}`" not in section] == []
