"""Which modules the fast path accepts, and the pipeline it runs."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config

from course.batch.fastpath import execution_free_pipeline, fast_path_refusals

ITEM = 'q = SingleChoice(id="x-one", prompt="Pick", options={"a": "A", "b": "B"}, points=1)'


def _grade(source: str, grade_id: str) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade": True, "grade_id": grade_id, "locked": True, "points": 1,
        "schema_version": 3, "solution": False, "task": False,
    }  # fmt: skip
    return cell


def _module(root: Path, cells: list) -> Path:
    folder = root / "source" / "m"
    folder.mkdir(parents=True)
    nbformat.write(new_notebook(cells=cells), folder / "m.ipynb")
    return root


def test_module_of_course_items_only_is_accepted(tmp_path):
    """Is a module whose only grade cells are course items' accepted?"""
    course = _module(tmp_path, [new_code_cell(ITEM), _grade("show_saved('x-one')", "x-one")])
    assert fast_path_refusals(course, "m") == []


def test_module_with_a_code_test_is_refused(tmp_path):
    """Is a module with an nbgrader code test refused (no output would mean full credit)?"""
    course = _module(
        tmp_path,
        [
            new_code_cell(ITEM),
            _grade("show_saved('x-one')", "x-one"),
            _grade("assert f(2) == 4", "t1"),
        ],
    )
    reasons = fast_path_refusals(course, "m")
    assert len(reasons) == 1 and "'t1'" in reasons[0]


def test_missing_source_is_refused(tmp_path):
    """Is a module without a source notebook refused with the reason?"""
    assert "no source notebook" in fast_path_refusals(tmp_path, "nothing")[0]


def test_pipeline_drops_only_execution():
    """Does the fast pipeline keep every step except the one that runs the notebook?"""
    from course.grading.config import configure
    from course.grading.preprocessors import (
        GuardedExecute,
        SanitizeCells,
        ScoreAnswers,
        SnapshotAnswers,
    )

    config = configure(Config())
    steps = execution_free_pipeline(config)
    assert GuardedExecute not in steps
    assert steps[:3] == [SanitizeCells, SnapshotAnswers, ScoreAnswers]
    assert len(steps) == len(config.Autograde.autograde_preprocessors) - 1


def test_default_pipeline_without_course_config():
    """Without a course config, is nbgrader's own Execute dropped from its default list?"""
    steps = execution_free_pipeline(Config())
    assert all("Execute" not in (s if isinstance(s, str) else s.__name__) for s in steps)
    assert steps
