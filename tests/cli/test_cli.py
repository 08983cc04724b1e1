"""The `course` command, run in-process with Typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from course.cli import app
from course.grading.config import render_nbgrader_config

runner = CliRunner()


def _said(result) -> str:
    """Return the command's output as one line (the console wraps long messages)."""
    return " ".join(result.output.split())


def test_list_shows_modules_minutes_and_objectives():
    """Does `course list` show each module with its minutes and objectives?"""
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    assert "00-orientation" in result.output and "01-close-reading" in result.output
    assert "Minutes" in result.output


def test_release_outside_a_course_folder_says_what_to_do(tmp_path):
    """Does `course release` on a plain folder fail with the fix in the message?"""
    result = runner.invoke(app, ["release", str(tmp_path)])
    assert result.exit_code == 1
    assert "course init" in result.output


def test_grade_outside_a_course_folder_says_what_to_do(tmp_path):
    """Does `course grade` on a plain folder fail with the fix in the message?"""
    result = runner.invoke(app, ["grade", str(tmp_path)])
    assert result.exit_code == 1
    assert "course init" in result.output


def _course_folder(path: Path) -> Path:
    """Make ``path`` look like a folder written by `course init` (its nbgrader_config.py)."""
    path.mkdir(parents=True)
    (path / "nbgrader_config.py").write_text(render_nbgrader_config(), encoding="utf-8")
    (path / "source").mkdir()
    return path


def test_wrong_folder_suggests_the_course_folder_below(tmp_path, monkeypatch):
    """From the parent of a course folder, does `course grade .` name the folder to give?"""
    _course_folder(tmp_path / "my-course")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["grade", "."])
    assert result.exit_code == 1
    said = _said(result)
    assert "It holds the course folder my-course: run `course grade my-course`" in said
    assert "course init" not in said
    _course_folder(tmp_path / "other-course")
    said = _said(runner.invoke(app, ["release", "."]))
    assert "course folders my-course, other-course" in said
    assert "`course release my-course`" in said


def test_wrong_folder_inside_a_course_suggests_the_course(tmp_path, monkeypatch):
    """From inside a course folder, does the error name the course folder above?"""
    course = _course_folder(tmp_path / "my-course")
    monkeypatch.chdir(tmp_path)
    said = _said(runner.invoke(app, ["report", "my-course/source"]))
    assert "It is inside the course folder my-course: run `course report my-course`" in said
    monkeypatch.chdir(course / "source")
    result = runner.invoke(app, ["grade", "."])
    assert result.exit_code == 1
    assert "run `course grade ..`" in _said(result)


def test_wrong_folder_shows_hidden_spaces_and_suggests_init(tmp_path, monkeypatch):
    """Is a trailing space made visible, the real course suggested, else `course init`?"""
    _course_folder(tmp_path / "my-course")
    monkeypatch.chdir(tmp_path)
    said = _said(runner.invoke(app, ["grade", "my-course "]))
    assert "'my-course ' does not exist" in said
    assert "run `course grade my-course`" in said
    (tmp_path / "plain ").mkdir()
    result = runner.invoke(app, ["grade", "plain "])
    assert result.exit_code == 1
    said = _said(result)
    assert "'plain ' is not a course folder (no nbgrader_config.py)" in said
    assert "`course init 'plain '`" in said


@pytest.fixture
def course_copy(copy_course, tmp_path) -> Path:
    """A private copy of the released fixture course, with an earlier export in exports/."""
    course = copy_course(tmp_path / "course")
    (course / "exports").mkdir(exist_ok=True)
    (course / "exports" / "grades.csv").write_text("student_id,score\nana,7\n", encoding="utf-8")
    return course


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.parametrize("command", ["grade", "report", "release"])
@pytest.mark.parametrize("module", ["typo", "01", "90-fixtur"])
def test_unknown_modules_are_refused_before_anything_is_written(course_copy, command, module):
    """Do grade, report and release refuse an unknown module alike, listing the modules?"""
    exports = course_copy / "exports"
    before = {p.name: p.read_bytes() for p in exports.iterdir()}
    result = runner.invoke(app, [command, str(course_copy), "90-fixture", module])
    assert result.exit_code == 1, result.output
    said = _said(result)
    assert f"No module '{module}'" in said
    assert "This course's modules are: 90-fixture" in said
    assert "Grading with" not in said
    assert {p.name: p.read_bytes() for p in exports.iterdir()} == before  # nothing written


@pytest.mark.slow
@pytest.mark.nbgrader
def test_grade_and_report_accept_a_module_number(course_copy):
    """Is `90` resolved to 90-fixture by grade and report, as by init and release?"""
    result = runner.invoke(app, ["grade", str(course_copy), "90", "--fast", "--no-feedback"])
    assert result.exit_code == 0, result.output
    assert "Wrote problems" in result.output
    grades = pd.read_csv(course_copy / "exports" / "grades.csv")
    assert list(grades.columns)[:2] == ["student_id", "module"]  # replaced by a real export
    kept = list((course_copy / "exports" / "history").glob("*/grades.csv"))
    assert [p.read_text(encoding="utf-8") for p in kept] == ["student_id,score\nana,7\n"]
    result = runner.invoke(app, ["report", str(course_copy), "90"])
    assert result.exit_code == 0, result.output


def test_init_writes_a_standard_nbgrader_course(tmp_path):
    """Does `course init` write nbgrader_config.py, source notebooks and keys?"""
    course = tmp_path / "c"
    result = runner.invoke(app, ["init", str(course), "01"])
    assert result.exit_code == 0, result.output
    assert (course / "nbgrader_config.py").exists()
    assert (course / "source" / "01-close-reading" / "01-close-reading.ipynb").exists()
    assert (course / "autograde" / "keys" / "01-close-reading.yaml").exists()
    assert "01-close-reading.yaml" in (course / "autograde" / "keys.manifest.json").read_text()
    config = (course / "nbgrader_config.py").read_text()
    assert "configure(" in config and "timeout=120" in config


def test_keys_is_a_command_next_to_grade():
    """Is `course keys` listed in the help with the other commands?"""
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "keys" in result.output
    result = runner.invoke(app, ["keys", "--help"])
    assert result.exit_code == 0 and "--update" in result.output


def test_init_with_an_unknown_module_names_the_known_ones(tmp_path):
    """Does an unknown module name list the modules that exist?"""
    result = runner.invoke(app, ["init", str(tmp_path / "c"), "99-nope"])
    assert result.exit_code == 1
    assert "01-close-reading" in result.output


@pytest.mark.slow
@pytest.mark.nbgrader
def test_demo_grades_a_class_with_perfect_full_and_blank_zero(tmp_path):
    """Does `course demo` run end to end: perfect student full marks, blank student 0?"""
    result = runner.invoke(app, ["demo", "--students", "4", "--course-dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    grades = pd.read_csv(tmp_path / "demo" / "exports" / "grades.csv")
    totals = grades.groupby("student_id")[["score", "max_score"]].sum()
    assert totals.loc["s01-perfect", "score"] == totals.loc["s01-perfect", "max_score"]
    assert totals.loc["s02-blank", "score"] == 0
    assert set(grades["module"]) >= {"00-orientation", "01-close-reading"}
    assert "Simulated class of 4" in result.output
    items = pd.read_csv(tmp_path / "demo" / "exports" / "items.csv")
    assert len(items) > 0
    assert (tmp_path / "demo" / "feedback" / "s03" / "01-close-reading").exists()


@pytest.mark.slow
@pytest.mark.nbgrader
def test_check_passes_on_the_course():
    """Does `course check` pass: keys, data, release, blank 0 and perfect full?"""
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "All checks passed" in result.output
