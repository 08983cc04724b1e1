"""Grade a whole class: autograde, feedback and exports, never stopped by one bad submission.

Students are graded in parallel by long-lived nbgrader workers
(:mod:`course.batch`), one student per request. A student whose grading fails
(an nbgrader error, a notebook past the time limit, a grading process killed
by student code) is retried once in a process of its own, then reported; the
batch always finishes. Students already graded are skipped unless ``force``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .batch.cluster import DaskCluster
from .batch.fastpath import fast_path_refusals
from .batch.pool import default_jobs
from .batch.runners import Runners
from .batch.state import ensure_students, graded_submissions, is_graded, submitted_students
from .batch.tasks import Outcome, Task
from .coursefolder import require_course, resolve_modules
from .export import export_grades
from .gradebook import course_config
from .gradereport import GradeReport, collect_problems
from .grading.layout import find_layout_problems, hides_characters
from .grading.manifest import verify_keys
from .grading.manual import HAND_GRADE_KIND, is_hand_grade_message, restore_pending
from .grading.sandbox import course_isolation
from .paths import CourseFolder
from .reaper import reaping

__all__ = [
    "GradeReport",
    "autograde_modules",
    "feedback_modules",
    "grade_course",
    "submitted_students",
    "task_timeout",
]

Progress = Callable[[str, int, int], None]

#: Seconds added to the notebook time limit before a student's grading process is killed.
TIMEOUT_MARGIN = 120.0


def task_timeout(course_dir: str | Path, modules: list[str]) -> float:
    """Return the seconds one student's module may take before its process is stopped.

    The notebook time limit of the course's config (``GuardedExecute.notebook_timeout``)
    times the module's number of notebooks, plus :data:`TIMEOUT_MARGIN`.
    """
    from .grading.preprocessors.guarded_execute import GuardedExecute

    config = course_config(course_dir)
    limit = config.GuardedExecute.get("notebook_timeout", GuardedExecute.notebook_timeout.default())
    if not limit or limit <= 0:
        return 24 * 3600.0
    notebooks = max(
        (len(CourseFolder(course_dir).source_notebooks(m)) for m in modules),
        default=1,
    )
    return float(limit) * max(1, notebooks) + TIMEOUT_MARGIN


class _Tally:
    """Count finished, failed and to-be-retried tasks and report them as progress."""

    def __init__(self, title: str, total: int, progress: Progress | None) -> None:
        self.title, self.total, self.progress = title, total, progress
        self.done = self.failed = self.retrying = 0
        self.show()

    def show(self) -> None:
        if self.progress is None:
            return
        text = f"{self.title}: {self.done}/{self.total} students done, {self.failed} failed"
        if self.retrying:
            text += f", {self.retrying} to retry"
        self.progress(text, self.done, self.total)

    def first_try(self, outcome: Outcome, ok: bool) -> None:
        if ok:
            self.done += 1
        else:
            self.retrying += 1
        self.show()

    def retry(self, ok: bool) -> None:
        self.retrying -= 1
        self.done += 1
        self.failed += 0 if ok else 1
        self.show()


def _plan(
    course_dir: Path, modules: list[str], report: GradeReport, *, force: bool, fast: bool
) -> list[Task]:
    tasks = []
    for module in modules:
        students = submitted_students(course_dir, module)
        if not students:
            continue
        unusable = [s for s in students if hides_characters(s)]
        # nbgrader strips a student id, so it would grade (and add to the gradebook) another
        # student than the folder's: left ungraded, and the layout check (_add_layout_problems)
        # names the folder and how to rename it.
        report.failed.setdefault(module, []).extend(unusable)
        students = [s for s in students if s not in unusable]
        done = set() if force else graded_submissions(course_dir, module)
        report.skipped[module] = [s for s in students if s in done]
        use_fast = False
        if fast:
            refusals = fast_path_refusals(course_dir, module)
            if refusals:
                more = f" (and {len(refusals) - 1} more)" if len(refusals) > 1 else ""
                report.add_note(
                    f"graded with execution, not the fast path: {refusals[0]}{more}",
                    module=module,
                    kind="fast-path",
                )
            else:
                use_fast = True
                report.fast.append(module)
        tasks += [Task("autograde", module, s, fast=use_fast) for s in students if s not in done]
    return tasks


def autograde_modules(
    course_dir: Path,
    modules: list[str],
    report: GradeReport,
    *,
    force: bool = False,
    progress: Progress | None = None,
    jobs: int | None = None,
    fast: bool = False,
    cluster: DaskCluster | None = None,
    runners: Runners | None = None,
) -> None:
    """Autograde every submission of ``modules``; record who was graded and who failed.

    Parameters
    ----------
    course_dir : Path
        The course folder.
    modules : list of str
        Module ids to grade.
    report : GradeReport
        Filled in: ``graded``, ``failed``, ``skipped``, ``problems``, ``notes``.
    force : bool, default False
        Re-grade students whose submission was graded before and has not changed.
    progress : callable, optional
        Called as ``progress(description, done, total)`` after each student.
    jobs : int, optional
        Students graded at once (default: the number of CPU cores).
    fast : bool, default False
        Score modules that need no execution without starting a kernel
        (:mod:`course.batch.fastpath`); other modules still run.
    cluster : DaskCluster, optional
        Grade on this Dask cluster, one task per submission
        (:mod:`course.batch.cluster`), instead of ``jobs`` local workers.
    runners : Runners, optional
        Where tasks run, shared with other phases of the run (its workers are
        kept; the caller closes it); default: runners of this call's own, for
        ``jobs`` and ``cluster``.
    """
    course_dir = Path(course_dir)
    with contextlib.ExitStack() as stack:
        if runners is None:
            runners = stack.enter_context(Runners(course_dir, jobs or default_jobs(), cluster))
        _autograde(course_dir, modules, report, force, progress, fast, runners)


def _autograde(
    course_dir: Path,
    modules: list[str],
    report: GradeReport,
    force: bool,
    progress: Progress | None,
    fast: bool,
    runners: Runners,
) -> None:
    """:func:`autograde_modules` on ``runners``."""
    tasks = _plan(course_dir, modules, report, force=force, fast=fast)
    tally = _Tally("Autograding", len(tasks), progress)
    final: dict[Task, Outcome] = {}
    first_failures: dict[Task, Outcome] = {}
    blank_fallbacks: dict[Task, Outcome] = {}
    succeeded: set[Task] = set()
    if tasks:
        ensure_students(course_dir, {t.student for t in tasks})
        timeout = task_timeout(course_dir, modules)

        def judge(outcome: Outcome, since: float) -> bool:
            t = outcome.task
            good = outcome.ok and is_graded(course_dir, t.module, t.student, since=since)
            if good:
                succeeded.add(t)
            final[t] = outcome
            return good

        first_started = time.time()

        def first(outcome: Outcome) -> None:
            good = judge(outcome, first_started)
            if not good:
                first_failures[outcome.task] = outcome
            tally.first_try(outcome, good)

        leftovers: list[str] = []
        with reaping(leftovers):
            runners.run(tasks, first, timeout=timeout)
            if first_failures:
                retry_started = time.time()
                # Each failed student once more, in a process of its own.
                runners.run(
                    list(first_failures),
                    lambda o: tally.retry(judge(o, retry_started)),
                    timeout=timeout,
                    fresh=True,
                )
            still = [t for t in tasks if t not in succeeded]
            if still:
                # Last resort: the blank released notebook in place of one nbgrader could not
                # process, so the student is graded (saved answers count) and never left out.
                fallback_started = time.time()
                blanks = {replace(t, blank=True): t for t in still}

                def fallback(outcome: Outcome) -> None:
                    original = blanks[outcome.task]
                    t = outcome.task
                    if outcome.ok and is_graded(
                        course_dir, t.module, t.student, since=fallback_started
                    ):
                        succeeded.add(original)
                        blank_fallbacks[original] = final[original]
                        final[original].notes.extend(outcome.notes)  # e.g. hand grades
                        tally.failed -= 1

                runners.run(list(blanks), fallback, timeout=timeout, fresh=True)
                tally.show()
        for leftover in leftovers:
            report.add_note(leftover, kind="leftover-process")
        for task in tasks:
            outcome = final[task]
            for note in outcome.notes:  # the worker's reaper and hand grades (grading.manual)
                kind = HAND_GRADE_KIND if is_hand_grade_message(note) else "leftover-process"
                report.add_problem(task.student, task.module, note, kind=kind)
            if task in blank_fallbacks:
                report.add_problem(
                    task.student,
                    task.module,
                    "the submitted notebook could not be graded "
                    f"({outcome.message or 'no graded notebook was written'}), even on retry; "
                    "the blank released notebook was graded in its place",
                    kind="unreadable-notebook",
                )
            elif task not in succeeded:
                report.failed.setdefault(task.module, []).append(task.student)
                earlier = first_failures.get(task)
                detail = outcome.message or "no graded notebook was written"
                if earlier is not None and earlier.message and earlier.message != detail:
                    detail = f"{earlier.message}; on retry: {detail}"
                report.add_problem(
                    task.student,
                    task.module,
                    f"could not be autograded, even on retry ({detail})",
                    kind="ungraded",
                )
    for module in modules:
        students = submitted_students(course_dir, module)
        if not students:
            continue
        failed = set(report.failed.get(module, []))
        report.graded[module] = [s for s in students if s not in failed]
        # Hand grades a crash left recorded but not restored, for students not graded again.
        pending = restore_pending(course_dir, module, report.skipped.get(module, []))
        for student, notes in pending.items():
            for note in notes:
                report.add_problem(student, module, note, kind=HAND_GRADE_KIND)
        for student in report.graded[module]:
            collect_problems(course_dir, module, student, report)
    if progress:
        progress(f"Autograding done: {tally.done - tally.failed} graded, {tally.failed} failed",
                 tally.done, max(tally.total, 1))  # fmt: skip


def feedback_modules(
    course_dir: Path,
    modules: list[str],
    report: GradeReport,
    *,
    progress: Progress | None = None,
    jobs: int | None = None,
    cluster: DaskCluster | None = None,
    runners: Runners | None = None,
) -> None:
    """Generate feedback HTML for every graded submission of ``modules``, in parallel.

    Every graded student's feedback is written again, those skipped as unchanged
    included, so it always shows the gradebook as it is now (hand grades entered
    in formgrader since the last run, say). A page written while some answer of
    the student's module awaits manual grading says it is provisional
    (:mod:`course.grading.preprocessors.filter_feedback`); those students and
    modules are listed in :attr:`GradeReport.provisional`. The pages are
    written by ``jobs`` local workers, or on ``cluster``, or by ``runners``
    (see :func:`autograde_modules`).
    """
    course_dir = Path(course_dir)
    tasks = [Task("feedback", m, s) for m in modules for s in report.graded.get(m, [])]
    if not tasks:
        return
    tally = _Tally("Writing feedback", len(tasks), progress)
    outcomes: dict[Task, Outcome] = {}

    def done(outcome: Outcome) -> None:
        outcomes[outcome.task] = outcome
        tally.first_try(outcome, True)

    with contextlib.ExitStack() as stack, reaping():
        if runners is None:
            runners = stack.enter_context(Runners(course_dir, jobs or default_jobs(), cluster))
        runners.run(tasks, done, timeout=task_timeout(course_dir, modules))
    written: list[Task] = []
    for task in tasks:
        folder = CourseFolder(course_dir).feedback(task.student, task.module)
        pages = sorted(folder.glob("*.html")) if folder.is_dir() else []
        outcome = outcomes.get(task)
        if outcome is not None and outcome.ok and pages:
            report.feedback.extend(pages)
            written.append(task)
        else:
            detail = f" ({outcome.message})" if outcome is not None and outcome.message else ""
            report.add_problem(
                task.student,
                task.module,
                f"feedback could not be generated{detail}",
                kind="feedback",
            )
    _find_provisional(course_dir, written, report)


def _find_provisional(course_dir: Path, tasks: list[Task], report: GradeReport) -> None:
    """Record in ``report.provisional`` the feedback written while answers awaited a grader.

    The gradebook is read as the feedback step read it (``pending_manual_grades``),
    so the list names exactly the pages that carry the provisional notice.
    """
    from .gradebook import open_gradebook
    from .grading.preprocessors.filter_feedback import pending_manual_grades

    if not tasks:
        return
    with open_gradebook(course_dir) as gb:
        for task in tasks:
            if pending_manual_grades(gb, task.module, task.student):
                report.provisional.setdefault(task.student, []).append(task.module)


def _add_layout_problems(course_dir: Path, modules: list[str], report: GradeReport) -> None:
    """Add what grading skipped in ``submitted/`` and ``downloaded/`` (course.grading.layout).

    A problem tied to a student goes to their list (``<module>: …`` when it
    concerns one of the run's modules); one matched to no student becomes a
    note of the run, with its kind. The check never stops the batch.
    """
    try:
        found = find_layout_problems(course_dir, modules)
    except Exception as exc:  # a name or folder the check did not foresee
        report.add_note(
            "submitted/ and downloaded/ could not be checked for misnamed or misplaced files "
            f"({type(exc).__name__}: {exc}); look at them by hand"
        )
        return
    for problem in found:
        module = problem.module if problem.module in modules else ""
        if problem.student:
            report.add_problem(problem.student, module, problem.message, kind=problem.kind)
        else:
            report.add_note(problem.message, module=module, kind=problem.kind)


def grade_course(
    course_dir: str | Path,
    modules: list[str] | None = None,
    *,
    force: bool = False,
    feedback: bool = True,
    progress: Progress | None = None,
    jobs: int | None = None,
    fast: bool = False,
    scheduler: str | DaskCluster | None = None,
    runners: Runners | None = None,
) -> GradeReport:
    """Autograde every submission, generate feedback and write the exports.

    The batch always completes; :attr:`GradeReport.failed` lists what was
    left ungraded and :attr:`GradeReport.problems` every problem per student.
    ``modules`` are ids or numbers, resolved as ``course release`` resolves
    them (:func:`course.coursefolder.resolve_modules`); an unknown one raises
    :class:`course.coursefolder.UnknownModuleError` before anything is graded
    or written. See :func:`autograde_modules` for ``force``, ``jobs`` and
    ``fast``, and :mod:`course.export` for the files written to ``exports/``.

    ``scheduler`` (a Dask scheduler's address, or a connected
    :class:`~course.batch.cluster.DaskCluster`) grades and writes feedback on
    that cluster instead of ``jobs`` local workers; the grades, problems and
    exports are the same. An address is connected to before anything is
    graded (:class:`~course.batch.cluster.ClusterError` if it cannot be used)
    and disconnected at the end. ``runners`` (:class:`~course.batch.runners.Runners`,
    already warmed by the caller, who closes them) take the place of both.
    """
    course_dir = require_course(course_dir, command="grade")
    modules = resolve_modules(course_dir, modules)  # before anything is graded or written
    report = GradeReport()
    own = isinstance(scheduler, str)
    cluster = DaskCluster(scheduler, course_dir) if isinstance(scheduler, str) else scheduler
    try:
        # One set of workers for the whole run, started now: they load nbgrader while
        # the keys are checked and the run is planned, then grade, then write feedback.
        with contextlib.ExitStack() as stack:
            if runners is None:
                runners = stack.enter_context(Runners(course_dir, jobs or default_jobs(), cluster))
                runners.warm(sum(len(submitted_students(course_dir, m)) for m in modules))
            verify_keys(course_dir, modules)  # KeyManifestError if a key changed
            report.isolation = course_isolation(course_dir)  # SandboxError if required, absent
            autograde_modules(
                course_dir, modules, report, force=force, progress=progress, fast=fast,
                runners=runners,
            )  # fmt: skip
            _add_layout_problems(course_dir, modules, report)
            if feedback:
                feedback_modules(course_dir, modules, report, progress=progress, runners=runners)
            runners.finish()  # no more tasks: the workers exit while the exports are written
    finally:
        if own and cluster is not None:
            cluster.close()
    report.exports = export_grades(course_dir, modules, report)
    return report
