"""What a grading run did, and every problem it found, keyed by student and module.

:class:`GradeReport` is filled by ``course grade`` (:mod:`course.gradebatch`)
and read by the exports (:mod:`course.export`), which turn its problems into
``exports/problems.csv``. Each problem is a :class:`Problem`: the student
(empty for a note on the whole run), the module (empty when it concerns no
one module), the item where it concerns one, the text and, where its source
knows it, its kind (:data:`course.export.PROBLEM_KINDS`). Nothing is parsed
back out of a message: the printed ``<module>[ <item>]: <text>`` form is
built from the fields.

>>> report = GradeReport()
>>> report.add_problem("ann", "01-close-reading", "saved twice", item="m01-q1")
>>> report.problems
{'ann': ['01-close-reading m01-q1: saved twice']}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .grading.intake import Refusal, read_intake_report
from .results import read_results

if TYPE_CHECKING:
    from .grading.sandbox import Isolation

__all__ = ["GradeReport", "Problem", "collect_problems", "results_problems"]


@dataclass(frozen=True)
class Problem:
    """One problem of a grading run."""

    #: The student it concerns; empty for a note on the whole run.
    student: str
    #: The module it concerns; empty if none in particular.
    module: str
    #: What went wrong, in words.
    text: str
    #: The item it concerns, if one.
    item: str = ""
    #: Its kind (a key of ``course.export.PROBLEM_KINDS``), where the source knows it.
    kind: str | None = None

    @property
    def message(self) -> str:
        """The problem as printed: ``<module>[ <item>]: <text>``, or the text alone."""
        if not self.module:
            return f"{self.item}: {self.text}" if self.item else self.text
        where = f"{self.module} {self.item}" if self.item else self.module
        return f"{where}: {self.text}"

    @property
    def detail(self) -> str:
        """The problem without its module: ``<item>: <text>`` or the text."""
        return f"{self.item}: {self.text}" if self.item else self.text


@dataclass
class GradeReport:
    """What ``grade_course`` did: who was graded, what went wrong, where the files are."""

    graded: dict[str, list[str]] = field(default_factory=dict)  # module -> students
    failed: dict[str, list[str]] = field(default_factory=dict)  # module -> students
    exports: dict[str, Path] = field(default_factory=dict)
    feedback: list[Path] = field(default_factory=list)
    #: Notes on the run, as printed (problems not tied to one student, LMS and export notes).
    notes: list[str] = field(default_factory=list)
    #: module -> students skipped because they were graded before (and unchanged)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    #: modules graded by the fast path (no kernel)
    fast: list[str] = field(default_factory=list)
    #: the isolation student kernels ran under (course.grading.sandbox)
    isolation: Isolation | None = None
    #: Every problem and note recorded with :meth:`add_problem` and :meth:`add_note`, in order.
    entries: list[Problem] = field(default_factory=list)
    #: student -> module -> written answers awaiting manual grading (blank in the LMS files)
    manual_pending: dict[str, dict[str, int]] = field(default_factory=dict)
    #: The rows of ``exports/problems.csv`` as written by this run (course.export), which
    #: ``course grade`` prints; None until the exports are written.
    problem_rows: list[dict[str, str]] | None = None
    #: student -> modules whose feedback this run wrote as provisional: some answer of the
    #: module still awaited manual grading (``needs_manual_grade``) when it was written
    provisional: dict[str, list[str]] = field(default_factory=dict)
    #: (student, module, item, text) -> position in ``entries``, so each problem is kept once.
    _index: dict[tuple[str, str, str, str], int] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def add_problem(
        self,
        student: str,
        module: str,
        text: str,
        *,
        item: str = "",
        kind: str | None = None,
    ) -> None:
        """Record one problem of a student's module (once), with its kind if the source knows it."""
        self._add(Problem(student, module, text, item=item, kind=kind))

    def add_note(self, text: str, *, module: str = "", kind: str | None = None) -> None:
        """Record a note on the run, tied to no student (once), with its kind if known."""
        problem = Problem("", module, text, kind=kind)
        if problem.message not in self.notes:
            self.notes.append(problem.message)
        self._add(problem)

    def _add(self, problem: Problem) -> None:
        key = (problem.student, problem.module, problem.item, problem.text)
        at = self._index.get(key)
        if at is None:
            self._index[key] = len(self.entries)
            self.entries.append(problem)
        elif self.entries[at].kind is None and problem.kind is not None:
            self.entries[at] = problem  # the source that knows the kind wins

    def problems_of(self, student: str, module: str | None = None) -> list[Problem]:
        """Return a student's problems, of one module or of all."""
        return [
            p
            for p in self.entries
            if p.student == student and (module is None or p.module == module)
        ]

    @property
    def problems(self) -> dict[str, list[str]]:
        """Every student's problems as printed, ``<module>[ <item>]: <text>`` (read-only)."""
        out: dict[str, list[str]] = {}
        for problem in self.entries:
            if problem.student:
                out.setdefault(problem.student, []).append(problem.message)
        return out

    @property
    def ungraded(self) -> int:
        """How many student-module pairs were left ungraded."""
        return sum(len(v) for v in self.failed.values())


def results_problems(course_dir: str | Path, student: str, module: str) -> list[Problem]:
    """Return the problems the grader recorded in one submission's per-item results."""
    found = []
    for results in read_results(course_dir, student, module):
        found += [Problem(student, module, text) for text in results.problems]
        for item in results.items:
            if item.get("problems"):
                found.append(Problem(student, module, str(item["problems"]), item=item["item_id"]))
    return found


def collect_problems(
    course_dir: str | Path, module: str, student: str, report: GradeReport
) -> None:
    """Add one graded submission's recorded problems to ``report``.

    First what intake refused or replaced (``grading/intake/``): each refused
    file (``refused-file``), each notebook not handed in (``empty-submission``)
    and each unreadable notebook graded as the blank release
    (``unreadable-notebook``); then the problems in the per-item results.
    """
    intake = read_intake_report(course_dir, student, module) or {}
    refused = intake.get("refused")
    if not isinstance(refused, list):
        refused = []
    refusals = {
        Refusal(str(r.get("path", "")), str(r.get("reason", ""))).message(module)
        for r in refused
        if isinstance(r, dict)
    }
    missing = intake.get("missing")
    if not isinstance(missing, list):
        missing = []
    listed = intake.get("problems")
    for problem in listed if isinstance(listed, list) else []:
        # The intake lists its refusals, each notebook replaced by the blank release, then
        # each notebook not handed in (graded as the blank release too).
        if not isinstance(problem, str):
            continue
        if problem in refusals:
            kind = "refused-file"
        elif problem in missing:
            kind = "empty-submission"
        else:
            kind = "unreadable-notebook"
        report.add_problem(student, module, problem, kind=kind)
    for problem in results_problems(course_dir, student, module):
        report._add(problem)
