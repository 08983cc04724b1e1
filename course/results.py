"""Read the per-item results the grader writes: one JSON file per graded notebook.

``ScoreAnswers`` (:mod:`course.grading.preprocessors.score_answers`) writes
``grading/results/<student>/<module>/<notebook>.json``: the notebook's
problems, and one row per course item with its kind, score, maximum,
verdict, the answer in words, the value that was scored and the item's
problems. The exports, the problem list and the item-analysis report all
read those files through this module, so they agree on what was graded.

A results file is grader-side (students' code never writes it), but a file
that cannot be read or has the wrong shape is skipped, never raised on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .paths import CourseFolder

__all__ = ["NotebookResults", "iter_results", "read_results"]


@dataclass
class NotebookResults:
    """The results of one graded notebook."""

    student: str
    module: str
    notebook: str
    #: Problems of the whole notebook (answers file, execution, restored cells…).
    problems: list[str] = field(default_factory=list)
    #: One row per course item: item_id, kind, score, max_score, verdict, answer,
    #: problems (a string), details, and the scored ``value`` where recorded.
    items: list[dict[str, Any]] = field(default_factory=list)


def _load(path: Path) -> NotebookResults | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    problems = data.get("problems")
    items = data.get("items")
    return NotebookResults(
        student=str(data.get("student", path.parent.parent.name)),
        module=str(data.get("assignment", path.parent.name)),
        notebook=str(data.get("notebook", path.stem)),
        problems=[p for p in problems if isinstance(p, str)] if isinstance(problems, list) else [],
        items=[i for i in items if isinstance(i, dict) and "item_id" in i]
        if isinstance(items, list)
        else [],
    )


def read_results(course_dir: str | Path, student: str, module: str) -> list[NotebookResults]:
    """Return the results of one submission, one per graded notebook, sorted by notebook."""
    found = (_load(p) for p in CourseFolder(course_dir).results_files(student, module))
    return [r for r in found if r is not None]


def iter_results(course_dir: str | Path, modules: Sequence[str]) -> Iterator[NotebookResults]:
    """Yield the results of every graded notebook of ``modules``, by student then module."""
    root = CourseFolder(course_dir).results()
    wanted = set(modules)
    for path in sorted(root.glob("*/*/*.json")):
        if path.parent.name not in wanted:
            continue
        results = _load(path)
        if results is not None and results.module in wanted:
            yield results
