"""The fast path: score a module from the answers snapshot without starting a kernel.

Course items are scored outside the kernel (``ScoreAnswers`` overwrites each
item's grade cell with the score of the snapshotted answer), so running the
notebook changes no item's score. nbgrader still runs the rest of its
autograde pipeline (sanitising, restoring cells, the gradebook, late
penalties), so the gradebook and the per-item results are the same as with
execution.

A module qualifies only if *every* code grade cell of its source notebooks is
a course item's grade cell. Any other grade cell is an nbgrader test that
needs its code run; without execution nbgrader would give such a cell full
credit (a cell without output scores full points), so such modules are
refused and graded with execution.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

from ..grading.context import source_specs
from ..paths import CourseFolder

__all__ = ["execution_free_pipeline", "fast_path_refusals"]


def fast_path_refusals(course_dir: str | Path, module: str) -> list[str]:
    """Return why ``module`` cannot be graded without execution (empty if it can).

    Parameters
    ----------
    course_dir : path-like
        The course folder.
    module : str
        The module id (a folder of ``source/``).

    Returns
    -------
    list of str
        One reason per grade cell that needs execution, or a missing source.
    """
    course = CourseFolder(course_dir)
    folder = course.source(module)
    notebooks = course.source_notebooks(module)
    if not notebooks:
        return [f"{module} has no source notebook in {folder}"]
    reasons = []
    for path in notebooks:
        graded = {item_id for item_id, spec in source_specs(path).items() if spec.graded}
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade"):
                continue
            if meta.get("grade_id") not in graded:
                reasons.append(
                    f"{path.name}: grade cell {meta.get('grade_id')!r} is a code test, "
                    "which needs the notebook to run"
                )
    return reasons


def _is_execute(step: Any) -> bool:
    from nbconvert.preprocessors import ExecutePreprocessor

    if isinstance(step, str):
        module, _, name = step.rpartition(".")
        import importlib

        step = getattr(importlib.import_module(module), name)
    cls = step if isinstance(step, type) else type(step)
    return issubclass(cls, ExecutePreprocessor)


def execution_free_pipeline(config: Any) -> list[Any]:
    """Return the course's autograde pipeline without its execute step.

    Parameters
    ----------
    config : traitlets.config.Config
        The loaded nbgrader configuration.

    Returns
    -------
    list
        ``Autograde.autograde_preprocessors`` (or nbgrader's default) minus
        every step that runs the notebook.
    """
    from nbgrader.converters import Autograde

    steps = config.Autograde.get("autograde_preprocessors")
    if steps is None:
        steps = Autograde.autograde_preprocessors.default()
    return [step for step in steps if not _is_execute(step)]
