"""Hand grades survive re-grading: only answers that changed go back to "needs manual grade".

nbgrader's ``SaveAutoGrades`` keeps every manual score, extra credit and
comment when a student is autograded again, but flags every grade with a
manual score for review (``needs_manual_grade``). ``course grade`` records
each grade confirmed by hand with the SHA-256 of the answer it was given for
(``course.grading.manual``) and restores those whose answer is unchanged.

The class here is graded for real (nbgrader, the course's pipeline, worker
processes); hand grades are entered through nbgrader's API exactly as
formgrader's grade and comment handlers set them. Late students are collected
with the commands the instructor guide documents, run for real: nbgrader's
exchange (``collect --update --student``) and ``zip_collect`` from a separate
archive folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from course import pack_submission
from course.answers import AnswerBook
from course.gradebatch import GradeReport, grade_course
from course.gradebook import open_gradebook
from course.grading.context import source_specs
from course.grading.manual import (
    Restored,
    answer_digest,
    is_hand_grade_message,
    record_manual_grades,
    record_path,
    restore_manual_grades,
)
from course.keys import load_key
from course.release import release_modules
from course.simulate import SimStudent, submit_student

MODULE = "90-fixture"
WRITTEN = "f-written"
COURSE_ID = "claims-and-evidence"
CHANGED = f"{MODULE}: 1 written answer(s) changed since they were graded by hand"

#: student -> (manual score, extra credit, comment) of the written answer
HAND = {
    "alice": (1.0, None, "Reads laterally, but no source named."),
    "bob": (1.5, 0.5, "Good: names the missing author and date."),
    "carol": (2.0, None, "Full marks."),
}
#: carol's autograded f-single overridden by hand (1 point of 1)
OVERRIDE = ("carol", "f-single", 1.0)


# -- helpers ------------------------------------------------------------------------------


def _course(fixture_course: Path, dest: Path) -> Path:
    course = dest / "course"
    shutil.copytree(
        fixture_course,
        course,
        ignore=shutil.ignore_patterns(
            "submitted", "autograded", "feedback", "grading", "gradebook.db", "exports", "release"
        ),
    )
    release_modules(course, [MODULE])
    return course


def _nbgrader(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Exception while loading config file" not in proc.stderr, proc.stderr
    return proc


def _grade(course: Path, **kwargs: Any) -> GradeReport:
    report = grade_course(course, [MODULE], jobs=2, feedback=False, **kwargs)
    assert report.ungraded == 0, report.problems
    return report


def _grade_by_hand(
    course: Path,
    student: str,
    grade_id: str,
    score: float | None,
    extra: float | None = None,
    comment: str | None = None,
) -> None:
    """Set a grade (and comment) as formgrader's GradeHandler and CommentHandler do."""
    from nbgrader.api import MissingEntry

    with open_gradebook(course) as gb:
        grade = gb.find_grade(grade_id, MODULE, MODULE, student)
        grade.manual_score = score
        grade.extra_credit = extra
        if grade.manual_score is None and grade.auto_score is None:
            grade.needs_manual_grade = True
        else:
            grade.needs_manual_grade = False
        gb.db.commit()
        try:
            found = gb.find_comment(grade_id, MODULE, MODULE, student)
        except MissingEntry:
            return
        found.manual_comment = comment
        gb.db.commit()


def _grades(course: Path, students: list[str] | tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """student -> grade id -> (manual score, extra credit, needs manual grade, manual comment)."""
    out: dict[str, dict[str, Any]] = {}
    with open_gradebook(course) as gb:
        for student in students:
            notebook = gb.find_submission_notebook(MODULE, MODULE, student)
            comments = {c.name: c.manual_comment for c in notebook.comments}
            out[student] = {
                g.name: (g.manual_score, g.extra_credit, g.needs_manual_grade, comments.get(g.name))
                for g in notebook.grades
            }
    return out


def _hand(student: str) -> tuple[Any, ...]:
    score, extra, comment = HAND[student]
    return (score, extra, False, comment)


def _set_written(folder: Path, text: str) -> None:
    path = folder / f"{MODULE}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == WRITTEN:
            cell.source = text
    nbformat.write(nb, path)


def _hand_grade_problems(report: GradeReport, student: str) -> list[str]:
    prefix = f"{MODULE}: "
    return [
        p
        for p in report.problems.get(student, [])
        if p.startswith(prefix) and is_hand_grade_message(p.removeprefix(prefix))
    ]


def _work_folder(course: Path, folder: Path, answers: dict[str, Any], written: str) -> Path:
    """A student's own copy of the released module, answered as the widgets would save it."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(course / "release" / MODULE / f"{MODULE}.ipynb", folder / f"{MODULE}.ipynb")
    specs = source_specs(course / "source" / MODULE / f"{MODULE}.ipynb")
    book = AnswerBook(MODULE, folder)
    for item_id, value in answers.items():
        book.record(item_id, value, kind=specs[item_id].kind)
    _set_written(folder, written)
    return folder


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of a folder with its bytes and modification time (ns)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# -- a class graded, graded by hand, re-graded --------------------------------------------


@pytest.fixture(scope="module")
def semester(fixture_course, tmp_path_factory) -> dict[str, Any]:
    """Grade three students, grade them by hand, then re-grade them four ways."""
    course = _course(fixture_course, tmp_path_factory.mktemp("manual"))
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    roster = {s: SimStudent(s, "partial", 0.6) for s in HAND}
    for student in roster.values():
        submit_student(course, MODULE, student, key)
    out: dict[str, Any] = {"course": course}

    _grade(course, fast=True)
    out["first"] = _grades(course, list(HAND))
    for student, (score, extra, comment) in HAND.items():
        _grade_by_hand(course, student, WRITTEN, score, extra, comment)
    _grade_by_hand(course, *OVERRIDE)
    out["by_hand"] = _grades(course, list(HAND))

    # (a) everyone re-graded, with execution
    out["forced"] = _grade(course, force=True)
    out["after_forced"] = _grades(course, list(HAND))
    out["forced_rows"] = pd.read_csv(out["forced"].exports["grades"]).set_index("student_id")
    out["records_after_forced"] = sorted((course / "grading" / "manual").glob("*/*.json"))
    out["restored_records_written"] = (course / "grading" / "manual").is_dir()

    # (b) alice changes her written answer, bob only a widget answer; the fast path
    submit_student(course, MODULE, roster["alice"], key)
    _set_written(course / "submitted" / "alice" / MODULE, "I changed my mind: check the map.")
    submit_student(course, MODULE, roster["bob"], key, answers={"f-single": "c"})
    out["resubmitted"] = _grade(course, fast=True)
    out["after_resubmitted"] = _grades(course, list(HAND))
    out["alice_record"] = json.loads(record_path(course, "alice", MODULE).read_text())

    # (c) a crash between recording and restoring: carol recorded, then nbgrader run directly
    with open_gradebook(course) as gb:
        out["recorded"] = record_manual_grades(gb, course, "carol", MODULE)
    _nbgrader(course, "autograde", MODULE, "--student", "carol", "--force")
    out["after_crash"] = _grades(course, list(HAND))
    out["after_crash_record"] = record_path(course, "carol", MODULE).is_file()
    out["next"] = _grade(course, fast=True)
    out["after_next"] = _grades(course, list(HAND))
    out["carol_record_after_next"] = record_path(course, "carol", MODULE).exists()

    # (d) alice's new answer graded by hand; bob re-graded alone, as the guide says
    _grade_by_hand(course, "alice", WRITTEN, 0.5, None, "The map does not help here.")
    shutil.rmtree(course / "grading" / "results" / "bob" / MODULE)
    out["one"] = _grade(course, fast=True)
    out["after_one"] = _grades(course, list(HAND))
    out["alice_record_after_one"] = record_path(course, "alice", MODULE).exists()
    return out


@pytest.mark.parametrize("student", sorted(HAND))
@pytest.mark.nbgrader
@pytest.mark.slow
def test_first_grading_leaves_written_answers_to_grade(semester, student):
    """After the first grading, does each written answer wait for a grader, with no score?"""
    assert semester["first"][student][WRITTEN] == (None, None, True, None)
    assert semester["by_hand"][student][WRITTEN] == _hand(student)


@pytest.mark.nbgrader
@pytest.mark.slow
def test_forced_regrade_keeps_every_hand_grade(semester):
    """(a) After `course grade --force`, is every hand score, extra credit and comment kept and confirmed?"""
    for student in HAND:
        assert semester["after_forced"][student][WRITTEN] == _hand(student), student
        assert _hand_grade_problems(semester["forced"], student) == []
    student, grade_id, score = OVERRIDE
    assert semester["after_forced"][student][grade_id] == (score, None, False, None)
    rows = semester["forced_rows"]
    assert not rows["needs_manual_grade"].astype(bool).any()
    assert semester["restored_records_written"]  # records were written (under grading/manual/)
    assert semester["records_after_forced"] == []  # every one restored, none left behind


@pytest.mark.nbgrader
@pytest.mark.slow
def test_changed_written_answer_is_flagged_and_named(semester):
    """(b) Is only alice's changed written answer sent back for grading, and does the problem list say so?"""
    report = semester["resubmitted"]
    assert report.skipped[MODULE] == ["carol"]
    score, extra, comment = HAND["alice"]
    # nbgrader keeps the earlier score and comment for the grader to confirm or change
    assert semester["after_resubmitted"]["alice"][WRITTEN] == (score, extra, True, comment)
    assert _hand_grade_problems(report, "alice") == [
        f"{CHANGED}; they need grading again: {WRITTEN}"
    ]
    assert [g["grade_id"] for g in semester["alice_record"]["grades"]] == [WRITTEN]


@pytest.mark.nbgrader
@pytest.mark.slow
def test_changed_widget_answer_keeps_the_written_hand_grade(semester):
    """(b) Does bob, who changed only a widget answer, keep his written answer's hand grade?"""
    assert semester["after_resubmitted"]["bob"][WRITTEN] == _hand("bob")
    assert _hand_grade_problems(semester["resubmitted"], "bob") == []
    assert semester["after_resubmitted"]["carol"][WRITTEN] == _hand("carol")


@pytest.mark.nbgrader
@pytest.mark.slow
def test_nbgrader_alone_flags_hand_grades_but_keeps_their_values(semester):
    """Does a direct `nbgrader autograde` keep scores, extra credit and comments, and flag them?"""
    score, extra, comment = HAND["carol"]
    assert semester["recorded"] == 2  # the written answer and the overridden item
    assert semester["after_crash"]["carol"][WRITTEN] == (score, extra, True, comment)
    student, grade_id, override = OVERRIDE
    assert semester["after_crash"][student][grade_id] == (override, None, True, None)
    assert semester["after_crash_record"]


@pytest.mark.nbgrader
@pytest.mark.slow
def test_next_course_grade_restores_after_a_crash(semester):
    """(c) After a crash between record and restore, does the next `course grade` restore?"""
    report = semester["next"]
    assert "carol" in report.skipped[MODULE]  # not graded again: the pending record is restored
    assert semester["after_next"]["carol"][WRITTEN] == _hand("carol")
    student, grade_id, score = OVERRIDE
    assert semester["after_next"][student][grade_id] == (score, None, False, None)
    assert not semester["carol_record_after_next"]
    assert _hand_grade_problems(report, "carol") == []
    # alice's changed answer is still waiting, and still said
    assert semester["after_next"]["alice"][WRITTEN][2] is True
    assert any(p.startswith(CHANGED) for p in _hand_grade_problems(report, "alice"))


@pytest.mark.nbgrader
@pytest.mark.slow
def test_one_student_regraded_alone_keeps_hand_grades(semester):
    """(d) Re-grading one student (their results deleted) grades only them, and keeps every hand grade?"""
    report = semester["one"]
    assert report.skipped[MODULE] == ["alice", "carol"]
    assert semester["after_one"]["bob"][WRITTEN] == _hand("bob")
    assert semester["after_one"]["alice"][WRITTEN] == (
        0.5,
        None,
        False,
        "The map does not help here.",
    )
    assert not semester["alice_record_after_one"]  # superseded by the new hand grade
    assert all(_hand_grade_problems(report, s) == [] for s in HAND)


# -- one late student, collected alone ----------------------------------------------------


@pytest.mark.nbgrader
@pytest.mark.slow
def test_exchange_collect_of_one_late_student_touches_no_one_else(fixture_course, tmp_path):
    """Does `nbgrader collect --update --student` re-collect, and `course grade` re-grade, one student?"""
    course = _course(fixture_course, tmp_path)
    exchange, cache = tmp_path / "exchange", tmp_path / "cache"
    exchange.mkdir()
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.Exchange.root = {str(exchange)!r}\n")
    as_student = [
        f"--course={COURSE_ID}",
        f"--Exchange.root={exchange}",
        f"--Exchange.cache={cache}",
    ]
    _nbgrader(course, "release_assignment", MODULE)
    homes = {student: tmp_path / "home" / student for student in ("dana", "eli")}
    for student, home in homes.items():
        _work_folder(course, home / MODULE, {"f-single": "a"}, f"{student}: no author, no date.")
        _nbgrader(home, "submit", MODULE, f"--student={student}", *as_student)
    _nbgrader(course, "collect", MODULE)
    _grade(course, fast=True)
    for student in homes:
        _grade_by_hand(course, student, WRITTEN, 2.0, None, "Clear.")
    eli = course / "submitted" / "eli" / MODULE
    eli_before = _files(eli)

    for student, home in homes.items():  # both submit again; only dana's is collected
        _work_folder(course, home / MODULE, {"f-single": "b"}, f"{student}: no author, no date.")
        _nbgrader(home, "submit", MODULE, f"--student={student}", *as_student)
    _nbgrader(course, "collect", "--update", "--student=dana", MODULE)

    assert _files(eli) == eli_before
    dana = course / "submitted" / "dana" / MODULE
    answers = json.loads((dana / f".{MODULE}.answers.json").read_text())
    assert answers["answers"]["f-single"]["value"] == "b"
    report = _grade(course, fast=True)
    assert report.skipped[MODULE] == ["eli"]
    grades = _grades(course, list(homes))
    for student in homes:
        assert grades[student][WRITTEN] == (2.0, None, False, "Clear."), student
        assert _hand_grade_problems(report, student) == []


@pytest.mark.nbgrader
@pytest.mark.slow
def test_zip_collect_of_one_late_student_touches_no_one_else(fixture_course, tmp_path):
    """Does zip_collect from a separate archive folder re-collect one student, and only them?"""
    course = _course(fixture_course, tmp_path)
    downloaded = course / "downloaded" / MODULE
    archive, late = downloaded / "archive", downloaded / "late"
    archive.mkdir(parents=True)
    for student in ("fay", "gil"):
        work = _work_folder(course, tmp_path / "work" / student, {"f-single": "b"}, "No author.")
        pack_submission(MODULE, work, student=student, dest=archive)
    _nbgrader(course, "zip_collect", MODULE)
    _grade(course, fast=True)
    for student in ("fay", "gil"):
        _grade_by_hand(course, student, WRITTEN, 1.0, None, "Say which paragraph.")
    fay = course / "submitted" / "fay" / MODULE
    fay_before = _files(fay)

    late.mkdir()
    work = _work_folder(course, tmp_path / "late" / "gil", {"f-single": "b"}, "¶9, no author.")
    packed = pack_submission(MODULE, work, student="gil", dest=late)
    resubmitted = packed.rename(late / f"7_gil__{MODULE}-1.zip")  # as an LMS names it
    _nbgrader(
        course,
        "zip_collect",
        "--force",
        "--ZipCollectApp.archive_directory=late",
        "--ZipCollectApp.extracted_directory=late-extracted",
        MODULE,
    )

    assert _files(fay) == fay_before
    gil = nbformat.read(course / "submitted" / "gil" / MODULE / f"{MODULE}.ipynb", as_version=4)
    assert any(cell.source == "¶9, no author." for cell in gil.cells)
    report = _grade(course, fast=True)
    assert report.skipped[MODULE] == ["fay"]
    grades = _grades(course, ["fay", "gil"])
    assert grades["fay"][WRITTEN] == (1.0, None, False, "Say which paragraph.")
    assert grades["gil"][WRITTEN] == (1.0, None, True, "Say which paragraph.")
    assert _hand_grade_problems(report, "gil") == [f"{CHANGED}; they need grading again: {WRITTEN}"]

    # Two zips of one student in archive/ stop a later full collection: replace, never add.
    shutil.copyfile(resubmitted, archive / resubmitted.name)
    proc = _nbgrader(course, "zip_collect", "--force", MODULE, check=False)
    assert proc.returncode != 0
    assert "Duplicate submission file" in proc.stdout + proc.stderr
    assert _files(fay) == fay_before


# -- the record itself, without grading ---------------------------------------------------


def test_messages_are_recognised_as_hand_grade_problems():
    """Does the problem-list kind check know every line the restore writes, and nothing else?"""
    restored = Restored(
        changed_written=["w1", "w2"],
        changed_overrides=["q1"],
        problems=["the record of hand grades 01.json could not be read (x); it was kept"],
    )
    lines = restored.messages()
    assert lines[1] == (
        "2 written answer(s) changed since they were graded by hand; "
        "they need grading again: w1, w2"
    )
    assert len(lines) == 3 and all(is_hand_grade_message(line) for line in lines)
    assert not is_hand_grade_message("stopped 2 process(es) left running by student code")
    assert Restored(restored=["w1"]).messages() == []


def test_answer_digest_hashes_written_text_and_graded_outputs():
    """Is a written answer hashed by its text, and an autograded cell by source and outputs?"""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

    written = new_markdown_cell("My answer.")
    written.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "w", "points": 2}
    assert answer_digest(written)[0] == "written"
    changed = new_markdown_cell("My answer!")
    changed.metadata["nbgrader"] = dict(written.metadata["nbgrader"])
    assert answer_digest(written) != answer_digest(changed)

    def graded(score: str, count: int | None) -> Any:
        cell = new_code_cell("raise", execution_count=count)
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "q", "points": 1}
        cell.outputs = [new_output("execute_result", {"text/plain": score}, execution_count=count)]
        return cell

    assert answer_digest(graded("1.0", 3)) == answer_digest(graded("1.0", None))
    assert answer_digest(graded("1.0", 3))[0] == "override"
    assert answer_digest(graded("1.0", 3)) != answer_digest(graded("0.0", 3))


@pytest.mark.slow
def test_damaged_record_is_set_aside_and_reported(tmp_path):
    """Is an unreadable record kept under another name, reported, and never deleted?"""
    from nbgrader.api import Gradebook

    path = record_path(tmp_path, "alice", MODULE)
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        restored = restore_manual_grades(gb, tmp_path, "alice", MODULE)
        assert record_manual_grades(gb, tmp_path, "alice", MODULE) == 0
    assert not path.exists()
    kept = list(path.parent.glob(f"{MODULE}.unreadable-*.json"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == "{not json"
    assert len(restored.problems) == 1 and kept[0].name in restored.problems[0]
    assert restored.restored == restored.changed_written == []
