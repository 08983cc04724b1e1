"""One gradebook session for a fast-path task: nbgrader's steps read and write through it.

nbgrader's autograde opens the gradebook again for each step of each
notebook (``Gradebook(db_url)``: an engine, a schema check and a new
session), looks up every cell of the source notebook with its own query, and
commits once per cell. Without a kernel, that is most of a student's time.
The fast path (:mod:`course.batch.fastpath`) runs the same steps, in the same
order, on the same notebooks, but through one :class:`TaskGradebook` per
worker:

* every ``Gradebook(...)`` that nbgrader's autograde steps open during the
  task is that one session (:func:`shared_by_steps`);
* the source notebook's cells (what ``find_notebook``, ``find_source_cell``
  and ``find_graded_cell`` return) are read once per run and kept as plain
  values, since ``course grade`` never changes the source while it grades;
* a student's grades and comments are loaded with one query per notebook
  (``find_grade``, ``find_comment``);
* a step's ``commit()`` waits: the student's grades, comments and late
  penalty are written in one transaction at the end of the task
  (:meth:`TaskGradebook.commit`), or not at all if the task fails
  (:meth:`TaskGradebook.rollback`).

Everything else goes to nbgrader's own ``Gradebook`` methods unchanged, so the
rows written are those of nbgrader's autograde.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

__all__ = ["STEP_MODULES", "TaskGradebook", "shared_by_steps"]

#: nbgrader's modules whose autograde steps open a gradebook of their own.
STEP_MODULES = (
    "nbgrader.converters.autograde",
    "nbgrader.preprocessors.overwritecells",
    "nbgrader.preprocessors.overwritekernelspec",
    "nbgrader.preprocessors.saveautogrades",
    "nbgrader.preprocessors.latesubmissions",
)


class _DeferredCommit:
    """The session as the steps see it: their ``commit()`` waits for the end of the task.

    Their changes stay pending in the session (a later query still sees them:
    the session flushes before it queries), and are written by
    :meth:`TaskGradebook.commit`. The write lock of a SQLite gradebook is so
    taken at the end of a student's steps, not at their first grade, and
    the other workers are not held up meanwhile.
    """

    def __init__(self, session: Any) -> None:
        self._session = session

    def commit(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def _source_cell(cell: Any) -> SimpleNamespace:
    return SimpleNamespace(
        name=cell.name,
        cell_type=cell.cell_type,
        locked=cell.locked,
        checksum=cell.checksum,
        source=cell.source,
    )


def _points(cell: Any) -> SimpleNamespace:
    return SimpleNamespace(name=cell.name, max_score=cell.max_score)


class TaskGradebook:
    """nbgrader's ``Gradebook`` for the steps of fast tasks: one session, one commit per task.

    Parameters
    ----------
    db_url : str
        The gradebook's URL (the course's ``CourseDirectory.db_url``).
    course_id : str
        The course id, as nbgrader's autograde passes it.
    """

    def __init__(self, db_url: str, course_id: str) -> None:
        from nbgrader.api import Gradebook

        self.db_url = db_url
        self._book = Gradebook(db_url, course_id)
        self._session = self._book.db
        #: What the steps commit through; nbgrader's own methods (creating the
        #: submission's rows, say) commit as they always do.
        self.db = _DeferredCommit(self._session)
        self._cells: dict[tuple[str, ...], Any] = {}
        self._rows: dict[tuple[str, ...], dict[str, Any]] = {}

    # -- the context manager the steps use: the session outlives each step -------------

    def __enter__(self) -> TaskGradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._book, name)

    # -- the task's transaction ------------------------------------------------------------

    def commit(self) -> None:
        """Write the task's rows (one transaction); the next task starts afresh."""
        self._rows.clear()
        self._session.commit()

    def rollback(self) -> None:
        """Drop everything the task wrote."""
        self._rows.clear()
        self._session.rollback()

    def close(self) -> None:
        """Drop any unwritten rows and close the session."""
        self._rows.clear()
        with contextlib.suppress(Exception):
            self._session.rollback()
        self._session.remove()

    # -- the source notebook: read once, kept as plain values ---------------------------------

    def find_notebook(self, name: str, assignment: str) -> Any:
        """The source notebook's kernelspec and cells, as the steps read them."""
        key = ("notebook", assignment, name)
        if key not in self._cells:
            nb = self._book.find_notebook(name, assignment)  # MissingEntry: not kept
            self._cells[key] = SimpleNamespace(
                name=nb.name,
                kernelspec=nb.kernelspec,
                source_cells=[_source_cell(c) for c in nb.source_cells],
                grade_cells=[_points(c) for c in nb.grade_cells],
                solution_cells=[SimpleNamespace(name=c.name) for c in nb.solution_cells],
                task_cells=[_points(c) for c in nb.task_cells],
            )
        return self._cells[key]

    def find_source_cell(self, name: str, notebook: str, assignment: str) -> Any:
        """A source cell by name (``MissingEntry`` if the source has none)."""
        from nbgrader.api import MissingEntry

        key = ("source", assignment, notebook, name)
        if key not in self._cells:
            try:
                self._cells[key] = _source_cell(
                    self._book.find_source_cell(name, notebook, assignment)
                )
            except MissingEntry as exc:
                self._cells[key] = exc
        found = self._cells[key]
        if isinstance(found, MissingEntry):
            raise MissingEntry(*found.args)
        return found

    def find_graded_cell(self, name: str, notebook: str, assignment: str) -> Any:
        """A grade or task cell's name and points."""
        key = ("graded", assignment, notebook, name)
        if key not in self._cells:
            cell = self._book.find_graded_cell(name, notebook, assignment)
            self._cells[key] = _points(cell)
        return self._cells[key]

    # -- a student's grades and comments: one query each per notebook --------------------

    def _submission_rows(self, notebook: str, assignment: str, student: str) -> dict[str, Any]:
        key = (assignment, notebook, student)
        if key not in self._rows:
            from nbgrader.api import Comment, Grade
            from sqlalchemy.orm import joinedload

            submitted = self._book.find_submission_notebook(notebook, assignment, student)
            grades = (
                self._session.query(Grade)
                .options(joinedload(Grade.cell))
                .filter(Grade.notebook_id == submitted.id)
                .all()
            )
            comments = (
                self._session.query(Comment)
                .options(joinedload(Comment.cell))
                .filter(Comment.notebook_id == submitted.id)
                .all()
            )
            self._rows[key] = {
                "grades": {g.cell.name: g for g in grades},
                "comments": {c.cell.name: c for c in comments},
            }
        return self._rows[key]

    def find_grade(self, grade_cell: str, notebook: str, assignment: str, student: str) -> Any:
        """The student's grade for a grade or task cell (as nbgrader's ``find_grade``)."""
        found = self._submission_rows(notebook, assignment, student)["grades"].get(grade_cell)
        if found is None:
            return self._book.find_grade(grade_cell, notebook, assignment, student)
        return found

    def find_comment(self, solution_cell: str, notebook: str, assignment: str, student: str) -> Any:
        """The student's comment for a solution or task cell (as nbgrader's ``find_comment``)."""
        rows = self._submission_rows(notebook, assignment, student)["comments"]
        found = rows.get(solution_cell)
        if found is None:
            return self._book.find_comment(solution_cell, notebook, assignment, student)
        return found


@contextlib.contextmanager
def shared_by_steps(book: TaskGradebook) -> Iterator[TaskGradebook]:
    """Make every gradebook nbgrader's autograde steps open, inside the block, ``book``.

    The steps' modules (:data:`STEP_MODULES`) get a ``Gradebook`` that returns
    ``book`` for its URL, and nbgrader's own class back afterwards.
    """
    from nbgrader.api import Gradebook

    def opened(db_url: str, *args: Any, **kwargs: Any) -> Any:
        if db_url != book.db_url:  # another database: not ours to share
            return Gradebook(db_url, *args, **kwargs)
        return book

    modules = [importlib.import_module(name) for name in STEP_MODULES]
    saved = [module.Gradebook for module in modules]  # type: ignore[attr-defined]
    for module in modules:
        module.Gradebook = opened  # type: ignore[attr-defined]
    try:
        yield book
    finally:
        for module, original in zip(modules, saved, strict=True):
            module.Gradebook = original  # type: ignore[attr-defined]
