"""The grading worker: import nbgrader once, then grade one student per request.

Started by :class:`course.batch.pool.WorkerPool` as::

    python -m course.batch.worker COURSE_DIR

with the course folder as working folder. It loads the course's
``nbgrader_config.py`` the way ``nbgrader autograde`` does (the same config
files, the same pipelines), then reads requests from standard input, one JSON
line each (see :class:`course.batch.tasks.Task`), and answers each with one
JSON line. Every request gets a fresh nbgrader converter
(``NbGraderAPI.autograde`` / ``generate_feedback``), so one student's run
leaves nothing behind for the next but the imported modules. Around each
autograde, the hand grades of unchanged answers are recorded and restored
(:mod:`course.grading.manual`), so re-grading never sends them back to
"needs manual grade".

Replies go to a private copy of standard output: file descriptor 1 itself is
pointed at ``/dev/null`` before any kernel starts, so what a student's kernel
writes there can never be read as a reply.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import resource
import select
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import IO, Any

from . import speedups

speedups.skip_unused_imports()  # first: the imports below load jsonschema

from ..grading.intake import INTAKE_DIRECTORY, intake_submission
from ..grading.manual import record_manual_grades, record_path, restore_manual_grades
from ..reaper import reaping
from .fastpath import execution_free_pipeline
from .tasks import PARENT_ENV, Task

__all__ = ["main"]

#: How much of nbgrader's log and of a traceback a reply carries.
LOG_TAIL = 4000


def _private_stdout() -> IO[str]:
    """Return a writer on the real standard output and point fd 1 at /dev/null."""
    sys.stdout.flush()
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdout = sys.stderr
    return replies


def _exit_with_parent(every: float = 0.2) -> None:
    """Stop this worker, and the kernel it runs, as soon as the process that started it is gone.

    The pool starts workers in sessions of their own, so a parent killed
    outright (``course grade`` stopped with SIGKILL, a Dask worker lost
    mid-batch) would otherwise leave a worker grading on: it could write a
    student's grades while the task runs again elsewhere. The parent's pid
    comes in :data:`course.batch.tasks.PARENT_ENV`; a worker started by any
    other process is not watched.
    """
    expected = os.environ.get(PARENT_ENV, "")
    if not expected.isdigit():
        return

    def orphaned() -> bool:
        return os.getppid() != int(expected)

    def stop() -> None:
        import psutil

        try:
            children = psutil.Process().children(recursive=True)
        except psutil.Error:
            children = []
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.kill()
        os._exit(3)

    if orphaned():
        stop()

    def watch() -> None:
        while True:
            time.sleep(every)
            if orphaned():
                stop()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _peak_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kernels = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, kernels) / 1024, 1)  # ru_maxrss is in KiB on Linux


class Graders:
    """nbgrader's API, configured as ``nbgrader autograde`` would be in this folder."""

    def __init__(self, course_dir: Path) -> None:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.apps.autogradeapp import AutogradeApp

        os.chdir(course_dir)
        speedups.install()
        app = AutogradeApp()
        app.initialize([])
        # nbgrader grades the intake copy (course.grading.intake), never submitted/ itself.
        self._submitted = app.coursedir.submitted_directory
        app.coursedir.submitted_directory = INTAKE_DIRECTORY
        self._root = Path(app.coursedir.root)
        self._app = app
        self._api = NbGraderAPI(coursedir=app.coursedir, parent=app)
        self._fast_api: Any = None
        self._fast_book: Any = None

    def warm_up(self) -> None:
        """Load now what the first task would load, while the worker waits for it.

        Imports and compiled checks only (the fast path's modules, the
        notebook format's two validators, the gradebook's SQL layer): nothing
        a task reads or writes, so no result depends on whether it ran.
        """
        import sqlalchemy.orm  # noqa: F401 - the gradebook's ORM
        from nbformat.validator import get_validator

        from . import fastbook, fastconvert  # noqa: F401

        for relax in (False, True):  # reading a notebook; the check after each pass
            get_validator(4, relax_add_props=relax)

    def _fast_gradebook(self) -> Any:
        """The fast tasks' gradebook session (:mod:`course.batch.fastbook`), opened once."""
        if self._fast_book is None:
            from .fastbook import TaskGradebook

            coursedir = self._app.coursedir
            self._fast_book = TaskGradebook(coursedir.db_url, coursedir.course_id)
        return self._fast_book

    def _fast(self) -> Any:
        if self._fast_api is None:
            from nbgrader.apps import NbGraderAPI
            from nbgrader.coursedir import CourseDirectory

            config = copy.deepcopy(self._app.config)
            config.Autograde.autograde_preprocessors = execution_free_pipeline(config)
            # One validation per pass, after its last step (nbconvert option), not one per step.
            config.NotebookExporter.optimistic_validation = True
            coursedir = CourseDirectory(config=config)
            coursedir.submitted_directory = INTAKE_DIRECTORY
            self._fast_api = NbGraderAPI(coursedir=coursedir, config=config)
        return self._fast_api

    def _gradebook(self) -> Any:
        from nbgrader.api import Gradebook

        coursedir = self._app.coursedir
        return Gradebook(coursedir.db_url, coursedir.course_id)

    def _autograde(self, task: Task, notes: list[str]) -> dict[str, Any]:
        """Take the submission in and autograde it, keeping the hand grades of unchanged answers."""
        intake_submission(
            self._root,
            task.student,
            task.module,
            submitted_directory=self._submitted,
            release_directory=self._app.coursedir.release_directory,
            blank=task.blank,
        )
        coursedir = self._app.coursedir
        autograded = coursedir.format_path(
            coursedir.autograded_directory, task.student, task.module
        )
        record = record_path(self._root, task.student, task.module)
        if os.path.isdir(autograded) or record.exists():  # else there is no hand grade to keep
            with self._gradebook() as gb:
                record_manual_grades(
                    gb, self._root, task.student, task.module, autograded=autograded, problems=notes
                )
        if task.fast:
            result = self._autograde_fast(task)
        else:
            result = self._api.autograde(task.module, task.student, force=True, create=True)
        if result.get("success") and record.exists():
            with self._gradebook() as gb:
                restored = restore_manual_grades(
                    gb, self._root, task.student, task.module, autograded=autograded
                )
            notes.extend(restored.messages())
        return result

    def _autograde_fast(self, task: Task) -> dict[str, Any]:
        """nbgrader's autograde without its execute step, through one gradebook session."""
        from . import fastconvert
        from .fastbook import shared_by_steps

        book = self._fast_gradebook()
        try:
            with shared_by_steps(book):
                result = fastconvert.autograde(self._fast(), task.module, task.student)
        except BaseException:
            book.rollback()
            raise
        if result.get("success"):
            book.commit()
        else:
            book.rollback()
        return dict(result)

    def run(self, task: Task, notes: list[str] | None = None) -> dict[str, Any]:
        """Run one task; return nbgrader's result (``success``, ``log``, ``error``).

        An autograde keeps the hand grades of unchanged answers
        (:mod:`course.grading.manual`); the answers that need grading again by
        hand are named in ``notes``.
        """
        if task.action == "autograde":
            return self._autograde(task, [] if notes is None else notes)
        return self._api.generate_feedback(task.module, task.student, force=True)


def handle(graders: Graders, request: dict[str, Any]) -> dict[str, Any]:
    """Run one request and return its reply."""
    started = time.monotonic()
    notes: list[str] = []
    try:
        task = Task.from_request(request)
        # Only a kernel runs student code: without one (fast path, feedback) nothing is left over.
        kernel = task.action == "autograde" and not task.fast
        with reaping(notes) if kernel else contextlib.nullcontext():
            result = graders.run(task, notes)
        ok = bool(result.get("success"))
        error = result.get("error", "")
        log = result.get("log", "")
    except Exception:
        ok, error, log = False, traceback.format_exc(), ""
    return {
        "id": request.get("id"),
        "ok": ok,
        "error": error[-LOG_TAIL:],
        "log": log[-LOG_TAIL:],
        "notes": notes,
        "seconds": round(time.monotonic() - started, 3),
        "peak_mib": _peak_mib(),
    }


def main(argv: list[str] | None = None) -> int:
    """Serve requests until standard input closes; return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m course.batch.worker COURSE_DIR", file=sys.stderr)
        return 2
    _exit_with_parent()
    replies = _private_stdout()
    graders = Graders(Path(args[0]).resolve())
    replies.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    if not select.select([sys.stdin], [], [], 0)[0]:  # no task yet: use the wait
        graders.warm_up()
    for line in sys.stdin:
        if not line.strip():
            continue
        replies.write(json.dumps(handle(graders, json.loads(line))) + "\n")
    return 0


if __name__ == "__main__":
    status = main()
    # Every reply is written and every task committed: skip the interpreter's teardown,
    # about a quarter of a second at the end of each run of `course grade`.
    sys.stderr.flush()
    os._exit(status)
