"""One instructor's semester, played for real: nothing lost, nothing zeroed in silence.

The instructor follows docs/instructor-guide.md on a real course folder:

1. releases two modules (``course release``, then nbgrader's ``release_assignment``);
2. collects through nbgrader's exchange (students ``fetch_assignment`` and
   ``submit``) and through LMS zips made by ``pack_submission``
   (``nbgrader zip_collect``);
3. grades (``course grade``);
4. grades every written answer by hand through nbgrader's API, as
   formgrader's grade and comment handlers do;
5. re-collects one late zip resubmission with ``zip_collect --force`` from a
   folder of its own, and one late exchange resubmission with
   ``collect --update --student``;
6. re-grades and exports.

The class makes the common mistakes: a zip named with one underscore, a zip
without its answers file, a submission folder whose module name has a typo,
an empty submission folder, and a resubmitted written answer that changed.
Every hand grade must survive; the exports list every student; every mistake
is in the printed problem list and in ``exports/problems.csv``.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest
from typer.testing import CliRunner

from course import pack_submission
from course.answers import AnswerBook
from course.cli import app
from course.gradebook import open_gradebook
from course.grading.context import source_specs
from course.keys import load_key
from course.simulate import answer_for

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]

runner = CliRunner()
COURSE_ID = "claims-and-evidence"
ORIENT, CLOSE = MODULES = ("00-orientation", "01-close-reading")
#: Students handing in through the exchange, and through LMS zips.
EXCHANGE = ("ann", "ben")
ZIPS = ("cat", "dan")
#: The students whose work goes wrong: a misnamed zip, a zip without answers, a typo, nothing.
MISNAMED, NO_ANSWERS, TYPO, EMPTY = "eve", "fin", "gus", "hal"
ROSTER = (*EXCHANGE, *ZIPS, MISNAMED, NO_ANSWERS, TYPO, EMPTY)


# -- the instructor's and the students' commands -------------------------------------------


def _said(result: Any) -> str:
    """The command's output as one line (the console wraps long lines)."""
    return " ".join(result.output.split())


def _course(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    return result


def _nbgrader(cwd: Path, *args: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Exception while loading config file" not in proc.stderr, proc.stderr
    return proc.stdout + proc.stderr


def _answer(course: Path, folder: Path, module: str, student: str, *, written: str) -> None:
    """Answer a module in ``folder`` as a student does: widgets save, written cells typed."""
    key = load_key(course / "autograde" / "keys" / f"{module}.yaml")
    specs = source_specs(course / "source" / module / f"{module}.ipynb")
    rng = random.Random(f"{student}:{module}")
    book = AnswerBook(module, folder)
    for item_id, spec in specs.items():
        if spec.graded and item_id in key.items:
            value = answer_for(spec, key.items[item_id], rng.random() < 0.7, rng)
            if spec.kind == "forecast" and isinstance(value, dict):
                continue  # a forecast is locked through its own API; left unanswered here
            book.record(item_id, value, kind=spec.kind)
    path = folder / f"{module}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
            cell.source = f"{student} on {meta['grade_id']}: {written}"
    nbformat.write(nb, path)


def _work(course: Path, where: Path, module: str, student: str, written: str) -> Path:
    """A student's copy of the released module, answered."""
    folder = where / module
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(course / "release" / module / f"{module}.ipynb", folder / f"{module}.ipynb")
    _answer(course, folder, module, student, written=written)
    return folder


def _hand_grade_all(course: Path) -> dict[tuple[str, str, str], tuple[float, str]]:
    """Grade every written answer awaiting a grader, as formgrader's handlers do."""
    from nbgrader.api import MissingEntry

    given: dict[tuple[str, str, str], tuple[float, str]] = {}
    with open_gradebook(course) as gb:
        for module in MODULES:
            assignment = gb.find_assignment(module)
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    if cell.cell_type != "markdown":
                        continue
                    for student in gb.students:
                        try:
                            grade = gb.find_grade(cell.name, notebook.name, module, student.id)
                        except MissingEntry:
                            continue
                        if not grade.needs_manual_grade:
                            continue
                        score = round(float(cell.max_score) * 0.5, 1)
                        grade.manual_score = score  # GradeHandler.put
                        grade.needs_manual_grade = (
                            grade.manual_score is None and grade.auto_score is None
                        )
                        gb.db.commit()
                        comment = f"Graded by hand: {student.id}, {cell.name}."
                        try:
                            found = gb.find_comment(cell.name, notebook.name, module, student.id)
                        except MissingEntry:
                            found = None
                        if found is not None:  # CommentHandler.put
                            found.manual_comment = comment
                            gb.db.commit()
                        given[(student.id, module, cell.name)] = (score, comment)
    return given


def _manual(course: Path, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], Any]:
    """(student, module, grade id) -> (manual score, needs manual grade, manual comment)."""
    out = {}
    with open_gradebook(course) as gb:
        for student, module, grade_id in keys:
            grade = gb.find_grade(grade_id, module, module, student)
            comment = gb.find_comment(grade_id, module, module, student).manual_comment
            out[(student, module, grade_id)] = (
                grade.manual_score,
                grade.needs_manual_grade,
                comment,
            )
    return out


# -- the semester --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def semester(tmp_path_factory) -> dict[str, Any]:
    """Play the semester once; the tests below read what each step left."""
    root = tmp_path_factory.mktemp("semester")
    course, exchange = root / "course", root / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    out: dict[str, Any] = {"course": course}

    # 1. release two modules, into the course folder and the exchange
    result = _course("init", str(course), *MODULES, "--timeout", "30", "--exchange", str(exchange))
    assert result.exit_code == 0, result.output
    assert f"c.Exchange.root = {str(exchange)!r}" in (course / "nbgrader_config.py").read_text()
    roster = root / "roster.csv"
    roster.write_text(
        "id,first_name,last_name,email\n"
        + "".join(f"{s},{s.title()},Student,{s}@example.edu\n" for s in ROSTER)
    )
    _nbgrader(course, "db", "student", "import", str(roster))
    result = _course("release", str(course), "00", "01")
    assert result.exit_code == 0, result.output
    for module in MODULES:
        _nbgrader(course, "release_assignment", module)

    # 2a. through the exchange: fetch, answer, submit; then collect
    homes = {s: root / "home" / s for s in (*EXCHANGE, TYPO)}
    student_args = {
        s: [
            f"--course={COURSE_ID}",
            f"--Exchange.root={exchange}",
            f"--Exchange.cache={root / 'cache' / s}",
            f"--student={s}",
        ]
        for s in homes
    }
    for student in EXCHANGE:
        home = homes[student]
        home.mkdir(parents=True)
        for module in MODULES:
            _nbgrader(home, "fetch_assignment", module, *student_args[student][:3])
            _answer(course, home / module, module, student, written="no author, no date (¶1).")
            _nbgrader(home, "submit", module, *student_args[student])
    for module in MODULES:
        _nbgrader(course, "collect", module)

    # 2b. through LMS zips: packed by the students, downloaded into archive/
    for module in MODULES:
        archive = course / "downloaded" / module / "archive"
        archive.mkdir(parents=True, exist_ok=True)
        for student in ZIPS:
            work = _work(course, root / "work" / student, module, student, "reads ¶9 closely.")
            packed = pack_submission(module, work, student=student, dest=archive)
            packed.rename(archive / f"{len(student)}_{packed.name}")  # as an LMS prefixes them
    # eve: one underscore where two belong
    work = _work(course, root / "work" / MISNAMED, CLOSE, MISNAMED, "cites ¶4.")
    packed = pack_submission(CLOSE, work, student=MISNAMED, dest=root)
    out["misnamed_zip"] = f"{MISNAMED}_{CLOSE}.zip"
    shutil.move(packed, course / "downloaded" / CLOSE / "archive" / out["misnamed_zip"])
    # fin: a zip holding the notebook without its answers file
    work = _work(course, root / "work" / NO_ANSWERS, CLOSE, NO_ANSWERS, "asks who wrote it.")
    with zipfile.ZipFile(
        course / "downloaded" / CLOSE / "archive" / f"{NO_ANSWERS}__{CLOSE}.zip", "w"
    ) as zf:
        zf.write(work / f"{CLOSE}.ipynb", f"{CLOSE}.ipynb")
    for module in MODULES:
        out[f"zip_collect {module}"] = _nbgrader(course, "zip_collect", module)
    # gus: his submission copied into a folder whose module name has a typo
    typo = course / "submitted" / TYPO / "01-close-readng"
    shutil.copytree(_work(course, homes[TYPO], CLOSE, TYPO, "checks the date."), typo)
    # hal: an empty submission folder
    (course / "submitted" / EMPTY / ORIENT).mkdir(parents=True)

    # 3. grade
    out["first"] = first = _course("grade", str(course), "--fast", "--jobs", "2")
    assert first.exit_code == 0, first.output
    out["first_problems"] = pd.read_csv(course / "exports" / "problems.csv", dtype=str).fillna("")
    out["first_canvas"] = pd.read_csv(course / "exports" / "canvas.csv", dtype=str).fillna("")

    # 4. every written answer graded by hand, as formgrader does
    out["given"] = given = _hand_grade_all(course)
    out["after_hand"] = _manual(course, sorted(given))

    # 5. late resubmissions: dan by zip (a widget answer changed, the written one not)
    late = course / "downloaded" / CLOSE / "late"
    late.mkdir()
    work = root / "work" / "dan" / CLOSE
    book = AnswerBook(CLOSE, work)
    specs = source_specs(course / "source" / CLOSE / f"{CLOSE}.ipynb")
    changed = next(i for i, s in specs.items() if s.graded and s.kind == "single_choice")
    before = (book.get(changed) or {}).get("value")
    book.record(
        changed, next(o for o in specs[changed].options if o != before), kind="single_choice"
    )
    packed = pack_submission(CLOSE, work, student="dan", dest=late)
    packed.rename(late / f"3_dan__{CLOSE}-1.zip")
    out["dan_before"] = {
        p.name: p.read_bytes() for p in (course / "submitted" / "cat" / CLOSE).iterdir()
    }
    _nbgrader(
        course,
        "zip_collect",
        "--force",
        "--ZipCollectApp.archive_directory=late",
        "--ZipCollectApp.extracted_directory=late-extracted",
        CLOSE,
    )
    # ann through the exchange, with a changed written answer
    _answer(course, homes["ann"] / CLOSE, CLOSE, "ann", written="I changed my mind: ¶3.")
    _nbgrader(homes["ann"], "submit", CLOSE, *student_args["ann"])
    _nbgrader(course, "collect", "--update", "--student=ann", CLOSE)

    # 6. re-grade and export
    out["second"] = second = _course("grade", str(course), "--fast", "--jobs", "2")
    assert second.exit_code == 0, second.output
    out["after_regrade"] = _manual(course, sorted(given))
    out["problems"] = pd.read_csv(course / "exports" / "problems.csv", dtype=str).fillna("")
    for name in ("grades", "canvas", "moodle"):
        out[name] = pd.read_csv(course / "exports" / f"{name}.csv", dtype=str).fillna("")
    return out


# -- what must hold ------------------------------------------------------------------------


def test_every_hand_grade_survives_the_late_resubmissions(semester):
    """After re-collection and re-grading, is every hand score and comment kept and confirmed?"""
    given, after = semester["given"], semester["after_regrade"]
    assert given, "no written answer was graded by hand"
    assert {k: (s, False, c) for k, (s, c) in given.items()} == semester["after_hand"]
    for key, (score, comment) in given.items():
        student, module, _ = key
        if (student, module) == ("ann", CLOSE):
            # her answer changed: the earlier score is kept for the grader to confirm
            assert after[key] == (score, True, comment), key
        else:
            assert after[key] == (score, False, comment), key


def test_changed_written_answers_are_counted_and_named(semester):
    """Is ann's changed written answer named, with how many, in the printed list and the CSV?"""
    said = _said(semester["second"])
    assert "ann" in said and "written answer(s) changed since they were graded by hand" in said
    rows = semester["problems"]
    ann = rows[(rows.student_id == "ann") & (rows.module == CLOSE)]
    assert "hand-grade" in set(ann.kind)


def test_lms_exports_list_every_student(semester):
    """Do canvas.csv and moodle.csv each have a row for every student on the roster?"""
    canvas = semester["canvas"]
    students = set(canvas["SIS Login ID"]) - {""}
    assert students == set(ROSTER)
    assert set(semester["moodle"]["Username"]) == set(ROSTER)
    first = semester["first_canvas"]
    assert set(first["SIS Login ID"]) - {""} == set(ROSTER)


def test_scores_reach_the_lms_once_graded_by_hand(semester):
    """After hand grading, does every fully graded submission have its LMS score?"""
    grades = semester["grades"]
    graded = grades[(grades.graded == "True") & (grades.needs_manual_grade == "False")]
    canvas = semester["canvas"].set_index("SIS Login ID")
    columns = {m: next(c for c in canvas.columns if c.startswith(m)) for m in MODULES}
    for row in graded.itertuples():
        assert canvas.loc[row.student_id, columns[row.module]] != "", (row.student_id, row.module)
    # ann's changed answer waits: blank in the LMS, said in problems.csv
    assert canvas.loc["ann", columns[CLOSE]] == ""
    rows = semester["problems"]
    assert not rows[(rows.student_id == "ann") & (rows.kind == "manual-grading-pending")].empty


def test_first_grading_names_every_written_answer_awaiting_a_grader(semester):
    """Before hand grading, is every submission with written answers listed as pending?"""
    rows = semester["first_problems"]
    waiting = rows[rows.kind == "manual-grading-pending"]
    pending = set(zip(waiting.student_id, waiting.module, strict=True))
    for student in (*EXCHANGE, *ZIPS):
        for module in MODULES:
            assert (student, module) in pending, (student, module)
    assert "awaiting manual grading" in _said(semester["first"])


def test_late_zip_recollection_touches_no_one_else(semester):
    """Did re-collecting dan's late zip with --force leave cat's submission as it was?"""
    course = semester["course"]
    now = {p.name: p.read_bytes() for p in (course / "submitted" / "cat" / CLOSE).iterdir()}
    assert now == semester["dan_before"]


@pytest.mark.parametrize(
    ("student", "module", "kind", "words"),
    [
        (MISNAMED, CLOSE, "misnamed-zip", [f"{MISNAMED}_{CLOSE}.zip", f"{MISNAMED}__{CLOSE}.zip"]),
        (NO_ANSWERS, CLOSE, "no-answers-file", [f".{CLOSE}.answers.json"]),
        (TYPO, "01-close-readng", "unmatched-folder", ["01-close-readng", CLOSE]),
        (EMPTY, ORIENT, "empty-submission", [ORIENT]),
    ],
)
def test_every_mistake_is_in_the_problem_list(semester, student, module, kind, words):
    """Is each mistake printed under its student and listed in problems.csv with what to do?"""
    for run in ("first", "second"):
        said = _said(semester[run])
        assert "No problems found" not in said
        assert student in said
        for word in words:
            assert word in said, (run, word)
    rows = semester["problems"]
    mine = rows[(rows.student_id == student) & (rows.kind == kind)]
    assert not mine.empty, rows[rows.student_id == student].to_dict("records")
    assert all(mine.what_to_do.str.len() > 20)


def test_empty_and_answerless_submissions_are_graded_not_skipped(semester):
    """Do the empty and answerless submissions have a score in grades.csv (0 for what is missing)?"""
    grades = semester["grades"].set_index(["student_id", "module"])
    for key in ((EMPTY, ORIENT), (NO_ANSWERS, CLOSE)):
        assert grades.loc[key, "graded"] == "True", key
        assert grades.loc[key, "score"] != "", key
