"""Packing a notebook with its answers for an LMS, and nbgrader's zip_collect reading it back."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course import pack_button, pack_submission
from course.answers import answers_filename, read_answers, record_answer
from course.execution import NBGRADER_EXECUTION
from course.grading.config import ZIP_NAMED_REGEXP
from course.pack import pack_zip

MODULE = "01-close-reading"
NOTEBOOK = f"{MODULE}.ipynb"
ANSWERS = answers_filename(MODULE)  # ".01-close-reading.answers.json"


def _notebook(folder: Path, name: str = MODULE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("import course.items")]), path)
    return path


@pytest.fixture
def work(tmp_path) -> Path:
    """A student's folder with the notebook and two saved answers."""
    folder = tmp_path / "student"
    _notebook(folder)
    record_answer(MODULE, "m01-thesis", "b", kind="single_choice", folder=folder)
    record_answer(MODULE, "m01-order", ["c", "a", "b"], kind="ordering", folder=folder)
    return folder


# -- pack_submission ---------------------------------------------------------------------


def test_pack_writes_named_zip_with_notebook_and_hidden_answers(work):
    """Is the zip `<student>__<notebook>.zip`, holding the notebook and the answers file byte for byte?"""
    zip_path = pack_submission(MODULE, work, student="jdoe")

    assert zip_path == work / "jdoe__01-close-reading.zip"
    with zipfile.ZipFile(zip_path) as zf:
        assert sorted(zf.namelist()) == sorted([NOTEBOOK, ANSWERS])
        assert zf.read(ANSWERS) == (work / ANSWERS).read_bytes()
        assert zf.read(NOTEBOOK) == (work / NOTEBOOK).read_bytes()


def test_pack_accepts_ipynb_suffix_and_a_destination(work, tmp_path):
    """Does `notebook.ipynb` work as the name, and does dest choose where the zip goes?"""
    zip_path = pack_submission(NOTEBOOK, work, student="j.doe@uni.example", dest=tmp_path / "out")

    assert zip_path == tmp_path / "out" / "j.doe@uni.example__01-close-reading.zip"
    assert zip_path.exists()


def test_pack_works_before_any_answer_is_saved(tmp_path, capsys):
    """With no answers file yet, does the zip hold just the notebook and say so?"""
    folder = tmp_path / "student"
    _notebook(folder)

    zip_path = pack_submission(MODULE, folder, student="jdoe")

    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == [NOTEBOOK]
    assert "no answers saved yet" in capsys.readouterr().out


def test_pack_takes_the_student_from_jupyterhub(work, monkeypatch):
    """Without student=, is the JupyterHub user name used?"""
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")

    assert pack_submission(MODULE, work).name == "hubuser__01-close-reading.zip"


@pytest.mark.parametrize("student", ["j doe", "jdoe/..", "j_doe", "jdoé", "jdoe\n", "\t"])
def test_pack_rejects_student_names_a_zip_name_cannot_carry(work, student):
    """Is a name with spaces, slashes, underscores or non-ASCII letters refused, with no zip written?"""
    with pytest.raises(ValueError, match="Student name"):
        pack_submission(MODULE, work, student=student)

    assert not list(work.glob("*.zip"))


def test_pack_refuses_a_missing_notebook(tmp_path):
    """Is a wrong notebook name reported as a missing file rather than an empty zip?"""
    with pytest.raises(FileNotFoundError, match="No notebook"):
        pack_submission("02-missing", tmp_path, student="jdoe")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", ["autograde", "validate"])
def test_pack_does_nothing_while_nbgrader_runs_the_notebook(work, monkeypatch, capsys, mode):
    """Under nbgrader (NBGRADER_EXECUTION set): no zip, None returned, nothing printed."""
    monkeypatch.setenv(NBGRADER_EXECUTION, mode)

    assert pack_submission(MODULE, work, student="jdoe") is None
    assert pack_button(MODULE, work, student="jdoe") is None

    assert capsys.readouterr() == ("", "")
    assert not list(work.glob("*.zip"))


def test_pack_zip_prints_nothing_and_names_what_it_packed(work, capsys):
    """pack_zip (what the button calls) writes the same zip as pack_submission, silently."""
    packed = pack_zip(MODULE, work, student="jdoe")

    assert capsys.readouterr().out == ""
    assert (packed.zip_path, packed.notebook, packed.answers) == (
        work / "jdoe__01-close-reading.zip",
        work / NOTEBOOK,
        work / ANSWERS,
    )
    with zipfile.ZipFile(packed.zip_path) as zf:
        assert sorted(zf.namelist()) == sorted([NOTEBOOK, ANSWERS])


def test_pack_button_writes_the_zip_when_pressed_only(work, capsys):
    """Creating the button writes nothing; pressing it writes the zip zip_collect reads."""
    box = pack_button(MODULE, work, student="jdoe")
    assert not list(work.glob("*.zip"))

    box.button.click()

    assert box.last_zip == work / "jdoe__01-close-reading.zip"
    with zipfile.ZipFile(box.last_zip) as zf:
        assert zf.read(ANSWERS) == (work / ANSWERS).read_bytes()
    assert capsys.readouterr().out == ""  # the message is under the button, not printed
    assert "Packed jdoe__01-close-reading.zip" in box.status.value


def test_pack_button_without_answers_says_so(tmp_path):
    """With no answers file yet, does the line under the button warn before upload?"""
    folder = tmp_path / "student"
    _notebook(folder)
    box = pack_button(MODULE, folder, student="jdoe")

    box.button.click()

    assert "no answers are saved yet" in box.status.value
    assert "ce-note" in box.status.value


# -- the zip_collect file-name pattern ---------------------------------------------------


def _extracted_names(zip_path: Path, root: str) -> list[str]:
    """The paths zip_collect gives each member: `<root>/extracted/<zip stem>/<member>`."""
    with zipfile.ZipFile(zip_path) as zf:
        return [f"{root}/extracted/{zip_path.stem}/{name}" for name in zf.namelist()]


@pytest.mark.parametrize(
    "zip_stem",
    [
        "jdoe__01-close-reading",
        "jdoe_12345_67890_jdoe__01-close-reading",  # Canvas-style prefix
        "Jane Doe_4242_assignsubmission_file_jdoe__01-close-reading",  # Moodle-style prefix
        "jdoe_12345_67890_jdoe__01-close-reading-1",  # LMS renamed a resubmission
    ],
)
def test_packed_names_match_the_zip_collect_pattern(work, tmp_path, zip_stem):
    """Does every member of the zip, as zip_collect extracts it, give student `jdoe` and the right file?"""
    packed = pack_submission(MODULE, work, student="jdoe")
    renamed = packed.rename(packed.with_name(f"{zip_stem}.zip"))
    root = "/srv/my_course__2026/downloaded/01-close-reading"  # underscores in the path too

    found = {}
    for name in _extracted_names(renamed, root):
        match = re.match(ZIP_NAMED_REGEXP, name)
        assert match, name
        found[match["file_id"]] = match["student_id"]

    assert found == {NOTEBOOK: "jdoe", ANSWERS: "jdoe"}


@pytest.mark.parametrize(
    "name",
    [
        "/c/downloaded/01-close-reading/extracted/jdoe__01-close-reading/.01-close-reading.answers.json.tmp-abc",
        "/c/downloaded/01-close-reading/extracted/jdoe__01-close-reading/.01-close-reading.answers.unreadable-20261124T100000000000Z.json",
        "/c/downloaded/01-close-reading/extracted/jdoe-01-close-reading/01-close-reading.ipynb",
        "/c/downloaded/01-close-reading/extracted/01-close-reading.ipynb",
    ],
    ids=["temp-file", "set-aside-file", "no-double-underscore", "not-in-a-zip-folder"],
)
def test_zip_collect_pattern_ignores_other_files(name):
    """Are temp files, set-aside files and loose or misnamed submissions not collected as answers?"""
    assert re.match(ZIP_NAMED_REGEXP, name) is None


# -- a real nbgrader zip_collect ---------------------------------------------------------


def _course(tmp_path: Path) -> Path:
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(
        "import os\n"
        "from course.grading.config import configure\n"
        "c = get_config()  # noqa: F821\n"
        "c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))\n"
        "configure(c)\n",
        encoding="utf-8",
    )
    _notebook(course / "release" / MODULE)
    (course / "downloaded" / MODULE / "archive").mkdir(parents=True)
    return course


def _zip_collect(course: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", "zip_collect", MODULE],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # nbgrader logs a broken nbgrader_config.py and carries on without it: fail loudly here.
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Exception while loading config file" not in proc.stderr, proc.stderr
    return proc


@pytest.mark.nbgrader
@pytest.mark.slow
def test_real_zip_collect_puts_notebook_and_answers_in_submitted(work, tmp_path):
    """Does `nbgrader zip_collect` put both the notebook and the answers file in submitted/<student>/?"""
    course = _course(tmp_path)
    packed = pack_submission(MODULE, work, student="jdoe")
    archive = course / "downloaded" / MODULE / "archive"
    packed.rename(archive / "jdoe_12345_67890_jdoe__01-close-reading.zip")

    _zip_collect(course)

    submitted = course / "submitted" / "jdoe" / MODULE
    assert (submitted / NOTEBOOK).read_bytes() == (work / NOTEBOOK).read_bytes()
    assert (submitted / ANSWERS).read_bytes() == (work / ANSWERS).read_bytes()
    result = read_answers(submitted / ANSWERS, notebook=MODULE)
    assert result.answers["m01-thesis"]["value"] == "b"
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["jdoe"]


@pytest.mark.nbgrader
@pytest.mark.slow
def test_real_zip_collect_reads_a_bulk_lms_download(tmp_path):
    """From one LMS download zip holding each student's zip, does each student get their own files?"""
    course = _course(tmp_path)
    bulk = course / "downloaded" / MODULE / "archive" / "submissions.zip"
    with zipfile.ZipFile(bulk, "w") as outer:
        for n, student in enumerate(["alice", "bob"]):
            folder = tmp_path / student
            _notebook(folder)
            record_answer(MODULE, "m01-thesis", student, kind="single_choice", folder=folder)
            packed = pack_submission(MODULE, folder, student=student)
            outer.write(packed, f"{student}_{n}_{100 + n}_{packed.name}")

    _zip_collect(course)

    for student in ["alice", "bob"]:
        submitted = course / "submitted" / student / MODULE
        assert (submitted / NOTEBOOK).exists()
        answers = read_answers(submitted / ANSWERS, notebook=MODULE).answers
        assert answers["m01-thesis"]["value"] == student
