"""Nothing is zeroed in silence: every submission layout mistake is printed and in problems.csv.

One small class is collected with the real ``nbgrader zip_collect`` and graded
with the real ``course grade --fast`` (CliRunner); each student makes one
mistake:

- ``cat`` hands in a well-named zip (collected and graded, no layout problem);
- ``eve`` a zip named with one underscore, which never reaches ``submitted/``;
- ``fin`` a notebook without its answers file;
- ``gus`` a submission folder whose module name has a typo;
- ``hal`` an empty submission folder;
- ``bob `` (a trailing space) a student folder nbgrader cannot grade.

A PDF in the archive and a ``downloaded/`` folder with a typo are matched to
no student. The printed list must hold every row of ``problems.csv``, each
layout kind must be distinct, and "No problems found" must never be printed
beside a problem. The layout check itself is also driven on hostile folders
(links, invisible characters, broken zips, too many entries) without nbgrader.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from course import pack_submission
from course.cli import app
from course.cli._ui import console
from course.cli.grade_cmd import print_problems
from course.coursefolder import show_path
from course.export import PROBLEM_KINDS
from course.gradebatch import GradeReport
from course.grading import layout
from course.grading.config import render_nbgrader_config
from course.grading.layout import LAYOUT_KINDS, find_layout_problems, guess_student

MODULE = "90-fixture"
runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


def _tree(*folders: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry below ``folders`` (not following links): mode, size and mtime."""
    out = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                st = os.lstat(os.path.join(dirpath, name))
                out[os.path.join(dirpath, name)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def _sections(output: str) -> dict[str, str]:
    """Split the printed problem list: each student's lines, and the other sections, flattened."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if line in ("Problems by student", "Files matched to no student", "Notes on this run"):
            current = line
        elif line.startswith("  ") and not line.startswith("   ") and current:
            current = f"student {line.strip()}"
        elif current:
            sections.setdefault(current, []).append(line)
            continue
        else:
            continue
        sections.setdefault(current, [])
    return {k: _flat(" ".join(v)) for k, v in sections.items()}


@pytest.fixture(scope="module")
def graded(copy_course, tmp_path_factory) -> dict[str, Any]:
    """Collect and grade the class once; the tests read what it printed and wrote."""
    from course.gradebook import open_gradebook
    from course.keys import load_key
    from course.simulate import SimStudent, submit_student

    root = tmp_path_factory.mktemp("layout")
    course = copy_course(root / "course")
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    with open_gradebook(course) as gb:
        gb.add_student("eve")  # on the roster; her zip is misnamed, so she has no folder

    archive = course / "downloaded" / MODULE / "archive"
    archive.mkdir(parents=True)
    for student, name in (("cat", f"12_cat__{MODULE}.zip"), ("eve", f"eve_{MODULE}.zip")):
        # Answered where submit_student works, packed as the student does, then taken away.
        folder = submit_student(course, MODULE, SimStudent(student, "perfect", 1.0), key)
        packed = pack_submission(MODULE, folder, student=student, dest=archive)
        packed.rename(archive / name)
        shutil.rmtree(folder.parent)
    (archive / "scan.pdf").write_bytes(b"%PDF-1.4 not a submission")
    (course / "downloaded" / "90-fixtre").mkdir()  # a typo: matched to no module
    collect = subprocess.run(
        [sys.executable, "-m", "nbgrader", "zip_collect", MODULE],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert collect.returncode == 0, collect.stdout + collect.stderr

    submit_student(course, MODULE, SimStudent("fin", "blank", 0.0), key)  # no answers file
    typo = submit_student(course, MODULE, SimStudent("gus", "perfect", 1.0), key)
    typo.rename(typo.parent / "90-fixtre")
    (course / "submitted" / "hal" / MODULE).mkdir(parents=True)
    submit_student(course, MODULE, SimStudent("bob ", "perfect", 1.0), key)

    before = _tree(course / "submitted", course / "downloaded")
    result = runner.invoke(app, ["grade", str(course), "--fast", "--jobs", "1", "--no-feedback"])
    problems = pd.read_csv(course / "exports" / "problems.csv", dtype=str, keep_default_na=False)
    grades = pd.read_csv(course / "exports" / "grades.csv", dtype=str, keep_default_na=False)
    with open_gradebook(course) as gb:
        hal = gb.find_submission(MODULE, "hal")
        hal_score = (float(hal.score), float(hal.max_score))
        students = sorted(s.id for s in gb.students)
    return {
        "course": course,
        "result": result,
        "problems": problems,
        "grades": grades,
        "hal": hal_score,
        "students": students,
        "unchanged": before == _tree(course / "submitted", course / "downloaded"),
    }


def _rows(graded: dict[str, Any], student: str, kind: str) -> pd.DataFrame:
    rows = graded["problems"]
    return rows[(rows.student_id == student) & (rows.kind == kind)]


@pytest.mark.nbgrader
@pytest.mark.slow
def test_the_zip_collector_really_skipped_the_misnamed_zip(graded):
    """Did zip_collect take cat's zip and skip eve's, so eve has nothing in submitted/?"""
    course = graded["course"]
    assert (course / "submitted" / "cat" / MODULE / f"{MODULE}.ipynb").is_file()
    assert not (course / "submitted" / "eve").exists()
    assert graded["unchanged"], "submitted/ or downloaded/ was changed by course grade"


@pytest.mark.nbgrader
@pytest.mark.slow
@pytest.mark.parametrize(
    ("student", "kind", "module", "words"),
    [
        ("fin", "no-answers-file", MODULE, [f".{MODULE}.answers.json"]),
        ("eve", "misnamed-zip", MODULE, [f"eve_{MODULE}.zip", f"eve__{MODULE}.zip", "--force"]),
        ("gus", "unmatched-folder", "", ["submitted/gus/90-fixtre", f"did you mean {MODULE}?"]),
        ("hal", "empty-submission", MODULE, [f"expected {MODULE}.ipynb", "is empty"]),
        ("bob ", "space-in-name", "", ["'submitted/bob '", "space at its end", "mv "]),
    ],
)
def test_each_mistake_is_printed_under_its_student_and_in_problems_csv(
    graded, student, kind, module, words
):
    """Is the mistake printed under its student, and one row of its own kind with advice?"""
    printed = _sections(graded["result"].output)
    mine = printed.get(f"student {show_path(student)}", "")
    for word in words:
        assert word in mine, (student, word, mine)
    rows = _rows(graded, student, kind)
    assert len(rows) == 1, graded["problems"].to_dict("records")
    row = rows.iloc[0]
    assert row.module == module
    assert row.what_to_do == PROBLEM_KINDS[kind] and len(row.what_to_do) > 40
    assert _flat(row.problem) in mine


@pytest.mark.nbgrader
@pytest.mark.slow
def test_files_matched_to_no_student_are_listed_on_their_own(graded):
    """Are the PDF in the archive and the misnamed downloaded/ folder listed under no student?"""
    printed = _sections(graded["result"].output)["Files matched to no student"]
    pdf = _rows(graded, "", "unmatched-file")
    assert pdf.problem.str.contains("archive/scan.pdf").sum() == 1
    folder = _rows(graded, "", "unmatched-folder")
    assert folder.problem.str.contains("downloaded/90-fixtre").sum() == 1
    assert "did you mean 90-fixture?" in printed
    for text in (*pdf.problem, *folder.problem):
        assert _flat(text) in printed


@pytest.mark.nbgrader
@pytest.mark.slow
def test_the_printed_list_is_problems_csv(graded):
    """Is every row of problems.csv printed, pending hand grades too, and never "No problems"?"""
    output = _flat(graded["result"].output)
    assert "No problems found" not in output
    rows = graded["problems"]
    assert ("cat", "manual-grading-pending") in set(zip(rows.student_id, rows.kind, strict=True))
    for row in rows.itertuples():
        assert _flat(row.problem) in output, row
    assert set(rows.kind) <= set(PROBLEM_KINDS)
    assert not rows[(rows.student_id == "cat") & rows.kind.isin(LAYOUT_KINDS)].size
    # bob cannot be graded until renamed (exit 1, named); everyone else was.
    assert graded["result"].exit_code == 1
    assert "1 submission(s) could not be graded" in output


@pytest.mark.nbgrader
@pytest.mark.slow
def test_an_empty_submission_gets_a_gradebook_score(graded):
    """Is hal's empty folder graded as the blank release: 0 in the gradebook, graded in grades?"""
    score, max_score = graded["hal"]
    assert score == 0 and max_score > 0
    grades = graded["grades"].set_index("student_id")
    assert grades.loc["hal", "graded"] == "True"
    assert float(grades.loc["hal", "score"]) == 0
    # Its problem says what was missing; no second "no answers file" row repeats it.
    assert _rows(graded, "hal", "no-answers-file").empty


# -- without nbgrader: print_problems, show_path and the layout check on hostile folders -------


def _printed(report: GradeReport) -> str:
    with console.capture() as capture:
        print_problems(report)
    return _flat(capture.get())


def test_pending_hand_grades_alone_are_printed_not_no_problems():
    """With only a pending hand grade (no problem, no note), is it printed, not "No problems"?"""
    report = GradeReport(graded={MODULE: ["ana"]}, manual_pending={"ana": {MODULE: 2}})
    said = _printed(report)
    assert "No problems found" not in said
    assert f"ana - {MODULE}: 2 written answers await manual grading" in said
    assert "No problems found in any submission." in _printed(GradeReport())


def test_print_problems_prints_the_rows_the_export_wrote():
    """When the export left its rows in the report, are exactly those printed, names quoted?"""
    report = GradeReport(graded={MODULE: ["bob "]})
    report.problem_rows = [
        {
            "student_id": "bob ",
            "module": MODULE,
            "kind": "no-answers-file",
            "problem": "no answers file [bold]x[/bold]",
            "what_to_do": PROBLEM_KINDS["no-answers-file"],
        },
        {
            "student_id": "",
            "module": "",
            "kind": "misnamed-zip",
            "problem": "the zip z.zip is not named [anything_]<student>__<module>.zip",
            "what_to_do": PROBLEM_KINDS["misnamed-zip"],
        },
    ]
    said = _printed(report)
    assert f"'bob ' - {MODULE}: no answers file [bold]x[/bold]" in said  # no markup applied
    assert "Files matched to no student - the zip z.zip is not named [anything_]" in said


def test_show_path_quotes_hidden_spaces_and_invisible_characters():
    """Are names with edge spaces, control or invisible characters quoted, others not?"""
    assert show_path("submitted/bob/01-close-reading") == "submitted/bob/01-close-reading"
    assert show_path("submitted/bob /01") == "'submitted/bob /01'"
    assert show_path(" bob") == "' bob'"
    assert show_path("a\nb") == "'a\\nb'"
    assert show_path("bob\u200b") == "'bob\\u200b'"
    assert show_path(b"bo\xffb") == "'bo\\udcffb'"
    assert show_path(Path("x") / "y z") == "x/y z"


def test_guess_student_ties_a_name_to_exactly_one_known_student():
    """Is a misnamed zip tied to the one known student it names, and to nobody if unclear?"""
    modules, students = [MODULE], ["ann", "bob", "Bo"]
    assert guess_student(f"bob_{MODULE}.zip", modules, students) == "bob"
    assert guess_student(f"Smith_1234_bob-{MODULE}.zip", modules, students) == "bob"
    assert guess_student(f"BOB_{MODULE}.zip", modules, students) == "bob"
    assert guess_student(f"ann_bob_{MODULE}.zip", modules, students) == ""
    assert guess_student(f"zed_{MODULE}.zip", modules, students) == ""


@pytest.fixture
def bare_course(tmp_path) -> Path:
    """A folder with the course's nbgrader_config.py only (enough for the layout check)."""
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(render_nbgrader_config(), encoding="utf-8")
    return course


def _check(course: Path, students=("bob",)) -> list[layout.LayoutProblem]:
    return find_layout_problems(course, [MODULE], [MODULE], students=list(students))


def test_links_are_reported_never_followed(bare_course, tmp_path):
    """Is a linked student folder or zip named without being followed or read?"""
    secret = tmp_path / "secret"
    (secret / MODULE).mkdir(parents=True)
    (secret / "90-fixtre").mkdir()  # would be an unmatched folder if the link were followed
    submitted = bare_course / "submitted"
    submitted.mkdir()
    (submitted / "link").symlink_to(secret, target_is_directory=True)
    archive = bare_course / "downloaded" / MODULE / "archive"
    archive.mkdir(parents=True)
    (archive / f"bob__{MODULE}.zip").symlink_to("/dev/zero")  # would hang if read
    found = _check(bare_course)
    (linked,) = [p for p in found if "submitted/link" in p.message]
    assert linked.kind == "unmatched-file" and "is a link" in linked.message
    assert not any("90-fixtre" in p.message for p in found)
    assert not any(f"bob__{MODULE}.zip" in p.message for p in found)


def test_broken_zips_and_zips_with_folders_are_named(bare_course):
    """Is a well-named file that is no zip, or a zip with a folder inside, named with the fix?"""
    archive = bare_course / "downloaded" / MODULE / "archive" / "sub"
    archive.mkdir(parents=True)
    (archive / f"bob__{MODULE}.zip").write_bytes(b"PK\x03\x04 not really")
    with zipfile.ZipFile(archive / f"x_ann__{MODULE}.zip", "w") as zf:
        zf.writestr(f"{MODULE}/{MODULE}.ipynb", "{}")  # in a folder: nbgrader skips it
        zf.writestr(f"{MODULE}.ipynb", "{}")  # at the top: collected
    found = {p.message: p for p in _check(bare_course, ("bob", "ann"))}
    (broken,) = [p for m, p in found.items() if f"bob__{MODULE}.zip" in m]
    assert broken.kind == "unmatched-file" and "not a readable zip" in broken.message
    assert broken.student == "bob"
    (nested,) = [p for m, p in found.items() if f"x_ann__{MODULE}.zip" in m]
    assert nested.student == "ann" and f"{MODULE}/{MODULE}.ipynb" in nested.message


def test_weird_names_are_quoted_with_how_to_rename_them(bare_course):
    """Are student and module folders with a newline or an edge space quoted, with the fix?"""
    submitted = bare_course / "submitted"
    (submitted / "a\nb" / MODULE).mkdir(parents=True)
    (submitted / "ok" / f"{MODULE} ").mkdir(parents=True)
    found = _check(bare_course)
    (newline,) = [p for p in found if p.student == "a\nb"]
    assert newline.kind == "space-in-name" and "'submitted/a\\nb'" in newline.message
    assert "invisible character" in newline.message
    (space,) = [p for p in found if p.student == "ok"]
    assert (space.kind, space.module) == ("space-in-name", MODULE)
    assert f"`mv 'submitted/ok/{MODULE} ' submitted/ok/{MODULE}`" in space.message


def test_a_huge_folder_is_read_only_up_to_the_cap(bare_course, monkeypatch):
    """Is a folder with more entries than the cap read no further, and is that said?"""
    for i in range(30):
        (bare_course / "submitted" / f"s{i:02d}").mkdir(parents=True)
    monkeypatch.setattr(layout, "MAX_ENTRIES", 10)
    found = _check(bare_course)
    assert any(p.kind == "other" and "only the first 10 entries" in p.message for p in found)


@pytest.mark.nbgrader
@pytest.mark.slow
def test_a_folder_with_an_edge_space_is_never_graded_as_another_student(graded):
    """Is 'bob ' left out of grading and the gradebook (nbgrader would strip it to 'bob')?"""
    assert "bob " not in graded["students"] and "bob" not in graded["students"]
    assert not (graded["course"] / "autograded" / "bob").exists()
    grades = graded["grades"]
    bob = grades[grades.student_id == "bob "]
    assert list(bob.graded) == ["False"] and list(bob.score) == [""]
