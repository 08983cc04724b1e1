"""The `course` command, run in-process with Typer's CliRunner."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from course.cli import app

runner = CliRunner()


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
