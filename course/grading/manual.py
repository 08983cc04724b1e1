"""Keep hand grades across re-grading: restore those whose answer is unchanged.

When nbgrader autogrades a student again, its ``SaveAutoGrades`` keeps every
manual score, extra credit and manual comment, but sets ``needs_manual_grade``
on every grade that has a manual score: each written answer graded in
formgrader, and each autograded score a grader overrode, goes back to "needs
manual grade", and the exports hold the student's score back until someone
confirms it again.

Around each autograde, the grader does this instead:

1. :func:`record_manual_grades`, before nbgrader runs: for every grade confirmed
   by hand (a manual score, not waiting for review), record its manual score,
   extra credit and manual comment with the SHA-256 of the answer as it was
   graded, read from ``autograded/<student>/<module>/<notebook>.ipynb``. That
   file is the one formgrader showed the grader, and the only copy of what was
   graded: nbgrader's gradebook keeps the instructor's source of each cell
   (``SourceCell``), never a student's text, and ``submitted/`` may already
   hold a newer submission. Both hashes are taken after the same grading
   pipeline, so they compare like with like. A written answer is hashed by its
   text; an overridden autograded cell by its source and outputs (what the
   autograder showed and scored, execution counts left out). The record,
   ``grading/manual/<student>/<module>.json``, is written atomically before
   nbgrader starts, so it survives a crash between the two steps.
2. :func:`restore_manual_grades`, after nbgrader succeeded: for every recorded
   grade that nbgrader flagged, if the answer in the new autograded notebook
   hashes the same, put the hand grade back and clear the flag exactly as
   formgrader's grade API does (``needs_manual_grade`` is false once there is
   a manual score). An answer that changed stays flagged, keeping the earlier
   score for the grader to confirm or change, and is named in the problem
   list (:meth:`Restored.messages`).

An entry leaves the record only when it is restored or superseded (a grader
confirmed a grade for the cell since, or changed its values); entries of
changed answers stay, so a later re-grade that brings the graded text back
restores them. :func:`restore_pending` finishes what a crash left undone for
students that ``course grade`` does not grade again.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..paths import MANUAL_DIRECTORY as _MANUAL
from ..paths import CourseFolder

if TYPE_CHECKING:
    from nbgrader.api import Gradebook

__all__ = [
    "HAND_GRADE_KIND",
    "MANUAL_DIRECTORY",
    "HandGrade",
    "Restored",
    "answer_digest",
    "is_hand_grade_message",
    "record_manual_grades",
    "record_path",
    "restore_manual_grades",
    "restore_pending",
]

#: Where the records live, relative to the course folder (grader-side, never released).
MANUAL_DIRECTORY = _MANUAL

FORMAT = "claims-evidence-manual-grades"
VERSION = 1

#: ``HandGrade.kind`` of a written answer (an nbgrader manually graded answer cell).
WRITTEN = "written"
#: ``HandGrade.kind`` of an autograded cell whose score a grader set by hand.
OVERRIDE = "override"

#: The kind of problem-list line this module writes (``GradeReport.add_problem``).
HAND_GRADE_KIND = "hand-grade"

_MESSAGE = re.compile(
    r"^(\d+ written answer\(s\) changed since|\d+ score\(s\) set by hand|the record of hand grades)"
)


@dataclass(frozen=True)
class HandGrade:
    """One grade confirmed by hand, and the answer it was given for."""

    notebook: str
    grade_id: str
    kind: str  # WRITTEN or OVERRIDE
    manual_score: float
    extra_credit: float | None
    manual_comment: str | None
    answer_sha256: str

    @property
    def key(self) -> tuple[str, str]:
        """The notebook and grade id this grade belongs to."""
        return self.notebook, self.grade_id


@dataclass
class Restored:
    """What :func:`restore_manual_grades` did for one student's module."""

    #: grade ids whose hand grade was put back
    restored: list[str] = field(default_factory=list)
    #: written answers whose text changed since they were graded by hand
    changed_written: list[str] = field(default_factory=list)
    #: overridden autograded cells whose answer or automatic score changed
    changed_overrides: list[str] = field(default_factory=list)
    #: problems with the record itself
    problems: list[str] = field(default_factory=list)

    def messages(self) -> list[str]:
        """Return the lines for the student's problem list (none when all was restored)."""
        out = list(self.problems)
        if self.changed_written:
            n = len(self.changed_written)
            out.append(
                f"{n} written answer(s) changed since they were graded by hand; they need "
                f"grading again: {', '.join(self.changed_written)}"
            )
        if self.changed_overrides:
            n = len(self.changed_overrides)
            out.append(
                f"{n} score(s) set by hand on autograded cells are for an answer or automatic "
                f"score that changed; they need review: {', '.join(self.changed_overrides)}"
            )
        return out


def is_hand_grade_message(text: str) -> bool:
    """Return True if a problem-list line was written by this module (:meth:`Restored.messages`)."""
    return bool(_MESSAGE.match(text))


def record_path(course_dir: str | Path, student: str, module: str) -> Path:
    """Return the record of one student's module, ``grading/manual/<student>/<module>.json``."""
    return CourseFolder(course_dir).manual_record(student, module)


def _autograded(course_dir: str | Path, student: str, module: str) -> Path:
    return CourseFolder(course_dir).autograded(student, module)


def answer_digest(cell: Any) -> tuple[str, str]:
    """Return the kind of a graded cell and the SHA-256 of its answer as graded.

    Parameters
    ----------
    cell : nbformat.NotebookNode
        A grade cell of an autograded notebook.

    Returns
    -------
    tuple of str
        ``("written", digest of the cell's text)`` for a manually graded answer
        (a grade and solution cell), else ``("override", digest of the cell's
        source and outputs)``, execution counts left out.
    """
    from nbgrader import utils

    if utils.is_solution(cell):
        kind, payload = WRITTEN, str(cell.source)
    else:
        outputs = [
            {k: v for k, v in output.items() if k != "execution_count"}
            for output in cell.get("outputs", [])
        ]
        kind = OVERRIDE
        payload = json.dumps(
            {"source": str(cell.source), "outputs": outputs}, sort_keys=True, ensure_ascii=False
        )
    return kind, hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _grade_cells(notebook: Path) -> dict[str, Any] | None:
    """Return the grade cells of an autograded notebook by grade id (None if unreadable)."""
    import nbformat
    from nbgrader import utils

    try:
        nb = nbformat.read(notebook, as_version=nbformat.NO_CONVERT)
    except (OSError, ValueError):
        return None
    cells: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        if utils.is_grade(cell):
            cells.setdefault(cell.metadata["nbgrader"].get("grade_id", ""), cell)
    return cells


def _is_number(value: Any, *, optional: bool = False) -> bool:
    if value is None:
        return optional
    return isinstance(value, int | float) and not isinstance(value, bool)


def _hand_grade(entry: Any) -> HandGrade:
    """Return one recorded entry, checked field by field (ValueError if malformed)."""
    texts = ("notebook", "grade_id", "kind", "answer_sha256")
    fields = {*texts, "manual_score", "extra_credit", "manual_comment"}
    if not isinstance(entry, dict) or set(entry) != fields:
        raise ValueError("an entry has missing or unknown fields")
    if (
        not all(isinstance(entry[k], str) for k in texts)
        or entry["kind"] not in (WRITTEN, OVERRIDE)
        or not _is_number(entry["manual_score"])
        or not _is_number(entry["extra_credit"], optional=True)
        or not isinstance(entry["manual_comment"], str | None)
    ):
        raise ValueError("an entry has a field of the wrong type")
    return HandGrade(**entry)


def _read(path: Path, problems: list[str]) -> dict[tuple[str, str], HandGrade]:
    """Read a record; a damaged one is set aside (never deleted) and reported."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or (data.get("format"), data.get("version")) != (
            FORMAT,
            VERSION,
        ):
            raise ValueError(f"not a version-{VERSION} record of manual grades")
        if not isinstance(data.get("grades"), list):
            raise ValueError("it has no list of grades")
        grades = [_hand_grade(entry) for entry in data["grades"]]
    except ValueError as exc:
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = path.with_name(f"{path.stem}.unreadable-{stamp}.json")
        os.replace(path, aside)
        problems.append(
            f"the record of hand grades {path.name} could not be read ({exc}); it was kept as "
            f"{aside.name}, and no hand grade was restored from it"
        )
        return {}
    return {g.key: g for g in grades}


def _write(path: Path, student: str, module: str, grades: dict[tuple[str, str], HandGrade]) -> None:
    """Write a record atomically (temporary file, fsync, rename); remove it when empty."""
    if not grades:
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only if no other module's record is left
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "student": student,
        "module": module,
        "grades": [asdict(g) for _, g in sorted(grades.items())],
    }
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, indent=1, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def record_manual_grades(
    gradebook: Gradebook,
    course_dir: str | Path,
    student: str,
    module: str,
    *,
    autograded: str | Path | None = None,
    problems: list[str] | None = None,
) -> int:
    """Record every grade confirmed by hand, before the student's module is autograded again.

    Parameters
    ----------
    gradebook : nbgrader.api.Gradebook
        The course's gradebook, open.
    course_dir : path-like
        The course folder; the record is written under ``grading/manual/``.
    student, module : str
        Whose module is about to be autograded.
    autograded : path-like, optional
        The folder of the student's autograded notebooks (default:
        ``autograded/<student>/<module>/`` in the course folder).
    problems : list of str, optional
        Receives a line if an earlier record was damaged (it is set aside).

    Returns
    -------
    int
        How many hand grades the record now holds (0: no record file).

    Notes
    -----
    A grade counts when it has a manual score and does not need a manual grade,
    that is, a grader confirmed it in formgrader (or it was restored). Its answer
    is hashed from the autograded notebook; without that notebook nothing new is
    recorded. Entries already recorded are kept unless a confirmed grade of the
    same cell supersedes them: a grade nbgrader flagged after a crash keeps the
    entry recorded before the crash.
    """
    from nbgrader.api import MissingEntry

    folder = Path(autograded) if autograded else _autograded(course_dir, student, module)
    path = record_path(course_dir, student, module)
    pending = _read(path, problems if problems is not None else [])
    fresh: dict[tuple[str, str], HandGrade] = {}
    try:
        submission = gradebook.find_submission(module, student)
    except MissingEntry:
        submission = None
    for notebook in submission.notebooks if submission is not None else []:
        confirmed = [
            g for g in notebook.grades if g.manual_score is not None and not g.needs_manual_grade
        ]
        if not confirmed:
            continue
        cells = _grade_cells(folder / f"{notebook.name}.ipynb")
        if cells is None:
            continue
        comments = {c.name: c.manual_comment for c in notebook.comments}
        for grade in confirmed:
            cell = cells.get(grade.name)
            if cell is None:
                continue
            kind, digest = answer_digest(cell)
            hand = HandGrade(
                notebook=notebook.name,
                grade_id=grade.name,
                kind=kind,
                manual_score=float(grade.manual_score),
                extra_credit=grade.extra_credit,
                manual_comment=comments.get(grade.name),
                answer_sha256=digest,
            )
            fresh[hand.key] = hand
    merged = {**pending, **fresh}
    if merged != pending:
        _write(path, student, module, merged)
    return len(merged)


def _restore_one(
    gradebook: Gradebook, grade: Any, hand: HandGrade, module: str, student: str
) -> None:
    """Put one hand grade back as formgrader's grade and comment APIs would."""
    from nbgrader.api import MissingEntry

    grade.manual_score = hand.manual_score
    grade.extra_credit = hand.extra_credit
    grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
    try:
        comment = gradebook.find_comment(hand.grade_id, hand.notebook, module, student)
    except MissingEntry:
        comment = None
    if comment is not None and comment.manual_comment is None:
        comment.manual_comment = hand.manual_comment
    gradebook.db.commit()


def restore_manual_grades(
    gradebook: Gradebook,
    course_dir: str | Path,
    student: str,
    module: str,
    *,
    autograded: str | Path | None = None,
) -> Restored:
    """Restore the recorded hand grades whose answer is unchanged, after an autograde.

    Parameters
    ----------
    gradebook : nbgrader.api.Gradebook
        The course's gradebook, open.
    course_dir : path-like
        The course folder holding ``grading/manual/``.
    student, module : str
        Whose module was just autograded.
    autograded : path-like, optional
        The folder of the new autograded notebooks (default:
        ``autograded/<student>/<module>/`` in the course folder).

    Returns
    -------
    Restored
        What was restored and which answers changed; :meth:`Restored.messages`
        gives the lines for the problem list.

    Notes
    -----
    Only grades that need a manual grade are touched, and only while their
    manual score and extra credit are still those recorded (or empty): a
    grade confirmed or changed by a grader since the record supersedes it. A
    restored grade gets the recorded manual score and extra credit, the
    recorded comment where the comment is empty, and ``needs_manual_grade``
    false, as formgrader sets them. The record keeps only the changed answers.
    """
    from nbgrader.api import MissingEntry

    folder = Path(autograded) if autograded else _autograded(course_dir, student, module)
    path = record_path(course_dir, student, module)
    result = Restored()
    pending = _read(path, result.problems)
    if not pending:
        return result
    keep: dict[tuple[str, str], HandGrade] = {}
    cells: dict[str, dict[str, Any] | None] = {}
    for key, hand in sorted(pending.items()):
        try:
            grade = gradebook.find_grade(hand.grade_id, hand.notebook, module, student)
        except MissingEntry:
            grade = None
        if grade is not None:
            if not grade.needs_manual_grade:
                continue  # confirmed since the record: superseded
            if grade.manual_score is not None and (grade.manual_score, grade.extra_credit) != (
                hand.manual_score,
                hand.extra_credit,
            ):
                continue  # a grader changed it since the record: superseded
        if hand.notebook not in cells:
            cells[hand.notebook] = _grade_cells(folder / f"{hand.notebook}.ipynb")
        cell = (cells[hand.notebook] or {}).get(hand.grade_id)
        unchanged = cell is not None and answer_digest(cell) == (hand.kind, hand.answer_sha256)
        if grade is not None and unchanged:
            _restore_one(gradebook, grade, hand, module, student)
            result.restored.append(hand.grade_id)
            continue
        keep[key] = hand
        bucket = result.changed_written if hand.kind == WRITTEN else result.changed_overrides
        bucket.append(hand.grade_id)
    if keep != pending:
        _write(path, student, module, keep)
    return result


def restore_pending(
    course_dir: str | Path, module: str, students: Iterable[str]
) -> dict[str, list[str]]:
    """Restore what a crash left recorded but not restored, for students not graded again.

    Parameters
    ----------
    course_dir : path-like
        The course folder.
    module : str
        The module.
    students : iterable of str
        Students whose graded submission is unchanged (``course grade`` skips them).

    Returns
    -------
    dict
        Student id -> problem-list lines (only students with something to say).
    """
    from ..gradebook import open_gradebook

    waiting = [s for s in students if record_path(course_dir, s, module).is_file()]
    if not waiting:
        return {}
    out: dict[str, list[str]] = {}
    with open_gradebook(course_dir) as gradebook:
        for student in waiting:
            messages = restore_manual_grades(gradebook, course_dir, student, module).messages()
            if messages:
                out[student] = messages
    return out
