"""Export grades: one row per student and module, one row per item, and LMS imports.

``grades.csv``: student_id, module, score, max_score, percent,
needs_manual_grade, graded, problems. Every student with a submission is
listed, graded or not: ``graded`` is False (and the score empty) for a
submission that could not be autograded, and ``problems`` says why.

``items.csv``: student_id, module, item_id, kind, score, max_score, verdict,
answer, problems; written answers appear with kind ``written`` and their
manual score (empty until graded).

``canvas.csv`` and ``moodle.csv``: the module scores in each LMS's grade-import
format (:mod:`course.lms`).

``problems.csv``: student_id, module, kind, problem, what_to_do: every problem
of the grading run (:attr:`course.gradereport.GradeReport.problems` and its
notes, misnamed and misplaced submissions included), each written answer
awaiting manual grading, and each submission without an answers file, with a
short machine-readable ``kind`` (:data:`PROBLEM_KINDS`) and what the
instructor can do. The same rows are kept in
:attr:`course.gradereport.GradeReport.problem_rows` for ``course grade`` to print.

Every file is written by :class:`ExportWriter`: to a new file in ``exports/``,
then swapped in with :func:`os.replace`, so a reader never sees half a file
and a failed run leaves the previous export in place. A file that changes is
first copied to ``exports/history/<UTC time>/`` (the last
:data:`HISTORY_RUNS` runs are kept), and an export with fewer students, fewer
scores or more blank scores than the one it replaces is written with a note
saying so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .batch.state import is_graded, submitted_students
from .exportwriter import (
    GRADE_SHAPES,
    HISTORY_RUNS,
    ExportCounts,
    ExportError,
    ExportShape,
    ExportWriter,
)
from .gradebook import open_gradebook
from .gradereport import GradeReport, collect_problems, results_problems
from .lms import (
    LMS_SHAPES,
    build_lms_exports,
    load_lms_settings,
)
from .paths import CourseFolder
from .results import iter_results

__all__ = [
    "GRADE_COLUMNS",
    "HISTORY_RUNS",
    "PROBLEM_COLUMNS",
    "PROBLEM_KINDS",
    "ExportCounts",
    "ExportError",
    "ExportShape",
    "ExportWriter",
    "collect_grades",
    "collect_items",
    "collect_students",
    "export_grades",
    "problem_kind",
    "problems_table",
]

GRADE_COLUMNS = [
    "student_id", "module", "score", "max_score", "percent", "needs_manual_grade", "graded",
    "problems",
]  # fmt: skip


def _problems(course_dir: Path, module: str, student: str, report: GradeReport | None) -> str:
    """Return a submission's problems for the ``problems`` column: the run's, else the recorded."""
    found = (
        report.problems_of(student, module)
        if report is not None
        else results_problems(course_dir, student, module)
    )
    return "; ".join(p.detail for p in found)


def _module_submissions(gb: Any, module: str) -> dict[str, Any]:
    """Every gradebook submission of ``module`` by student id, with its totals loaded.

    What ``Gradebook.find_submission`` returns for each student, in one query
    instead of one per student (and one more per total read): the totals are
    nbgrader's own column properties, loaded with the rows.
    """
    from nbgrader.api import Assignment, SubmittedAssignment
    from sqlalchemy.orm import undefer

    subs = (
        gb.db.query(SubmittedAssignment)
        .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
        .filter(Assignment.name == module)
        .options(
            undefer(SubmittedAssignment.score),
            undefer(SubmittedAssignment.max_score),
            undefer(SubmittedAssignment.needs_manual_grade),
        )
        .all()
    )
    return {sub.student_id: sub for sub in subs}


def collect_grades(
    course_dir: str | Path, modules: list[str], report: GradeReport | None = None
) -> pd.DataFrame:
    """Return one row per student and module: the gradebook's score and whether it is graded.

    Parameters
    ----------
    course_dir : path-like
        The course folder.
    modules : list of str
        Modules to include.
    report : GradeReport, optional
        The grading run's report; its problems fill the ``problems`` column
        (default: the problems recorded in the per-item results).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GRADE_COLUMNS`, sorted by module and student. A
        student with a submission but no gradebook row has an empty score.
    """
    course_dir = Path(course_dir)
    rows = []
    with open_gradebook(course_dir) as gb:
        known = {s.id for s in gb.students}
        for module in modules:
            submitted = set(submitted_students(course_dir, module))
            found = _module_submissions(gb, module)
            for student in sorted(known | submitted):
                sub = found.get(student)
                if sub is None and student not in submitted:
                    continue
                graded = is_graded(course_dir, module, student)
                rows.append(
                    {
                        "student_id": student,
                        "module": module,
                        "score": round(float(sub.score), 4) if sub is not None and graded else None,
                        "max_score": float(sub.max_score) if sub is not None else None,
                        "needs_manual_grade": bool(sub.needs_manual_grade) if sub else False,
                        "graded": graded,
                        "problems": _problems(course_dir, module, student, report),
                    }
                )
    df = pd.DataFrame(rows, columns=[c for c in GRADE_COLUMNS if c != "percent"])
    df["score"] = df["score"].astype(float)
    df["max_score"] = df["max_score"].astype(float)
    df["percent"] = (100 * df["score"] / df["max_score"].where(df["max_score"] > 0)).round(1)
    return df[GRADE_COLUMNS]


def collect_students(course_dir: str | Path) -> pd.DataFrame:
    """Return the gradebook's students: student_id, first_name, last_name, email, lms_user_id."""
    columns = ["student_id", "first_name", "last_name", "email", "lms_user_id"]
    with open_gradebook(course_dir) as gb:
        rows = [
            {
                "student_id": s.id,
                "first_name": s.first_name or "",
                "last_name": s.last_name or "",
                "email": s.email or "",
                "lms_user_id": s.lms_user_id or "",
            }
            for s in gb.students
        ]
    return pd.DataFrame(rows, columns=columns).sort_values("student_id", ignore_index=True)


def collect_items(course_dir: str | Path, modules: list[str]) -> pd.DataFrame:
    """Return one row per student and item (course items and written answers)."""
    from nbgrader.api import MissingEntry

    course_dir = Path(course_dir)
    rows = []
    for results in iter_results(course_dir, modules):
        for item in results.items:
            rows.append(
                {
                    "student_id": results.student,
                    "module": results.module,
                    "item_id": item["item_id"],
                    "kind": item.get("kind"),
                    "score": item.get("score"),
                    "max_score": item.get("max_score"),
                    "verdict": item.get("verdict"),
                    "answer": item.get("answer"),
                    "problems": item.get("problems"),
                }
            )
    with open_gradebook(course_dir) as gb:
        for module in modules:
            try:
                assignment = gb.find_assignment(module)
            except MissingEntry:
                continue
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    if cell.cell_type != "markdown":
                        continue
                    for student in gb.students:
                        try:
                            grade = gb.find_grade(cell.name, notebook.name, module, student.id)
                        except MissingEntry:
                            continue
                        score = grade.score if not grade.needs_manual_grade else None
                        rows.append(
                            {
                                "student_id": student.id,
                                "module": module,
                                "item_id": cell.name,
                                "kind": "written",
                                "score": score,
                                "max_score": float(cell.max_score),
                                "verdict": "needs manual grade"
                                if grade.needs_manual_grade
                                else "graded",
                                "answer": "",
                                "problems": "",
                            }
                        )
    columns = [
        "student_id", "module", "item_id", "kind", "score", "max_score", "verdict", "answer",
        "problems",
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=columns)
    return df.sort_values(["module", "student_id", "item_id"], kind="stable").reset_index(drop=True)


#: The shape of each export that replaces an earlier one (problems.csv is never compared).
SHAPES: dict[str, ExportShape] = {**GRADE_SHAPES, **LMS_SHAPES}

PROBLEM_COLUMNS = ["student_id", "module", "kind", "problem", "what_to_do"]

#: Each kind of problem in ``problems.csv`` and what the instructor can do about it.
PROBLEM_KINDS: dict[str, str] = {
    "refused-file": "Ask the student to hand in the named file again as an ordinary file (not a "
    "link, pipe or oversized file); what was refused was not graded.",
    "unreadable-notebook": "Ask the student for an intact copy of their notebook: the blank "
    "released notebook was graded instead, so their written answers scored 0 (read them in "
    "submitted/ and grade them by hand if you can).",
    "unreadable-answers": "Ask the student for their answers file (see Recovering answers in the "
    "instructor guide): the items it affects scored 0.",
    "no-answers-file": "Ask the student whether they saved and handed in the answers file with "
    "the notebook (with an LMS, the zip from the Pack my submission button): every widget item "
    "was scored as unanswered.",
    "empty-submission": "Ask the student to hand in the notebook and its answers file (with an "
    "LMS, the zip from the Pack my submission button), put them in the folder named, then run "
    "`course grade` again: until then the blank notebook is graded, so what is missing scores 0.",
    "misnamed-zip": "Rename the zip as the problem says (or ask the student to upload the zip the"
    " Pack my submission button makes), run `nbgrader zip_collect --force <module>`, then `course"
    " grade`: until then nothing in it is graded.",
    "unmatched-file": "Put the file where it is collected or graded, as the problem says (or ask "
    "the student for the zip the Pack my submission button makes), then collect and run `course "
    "grade` again: until then it is not graded.",
    "unmatched-folder": "Rename the folder to the module it holds (the problem suggests the "
    "closest), then run `course grade` again: until then it is not graded.",
    "space-in-name": "Rename the folder without the spaces or invisible characters (the problem "
    "gives the command), then run `course grade` again: nbgrader cannot grade it as named.",
    "invalid-answer": "Ask the student whether they edited the answers file by hand: the answer "
    "named was ignored or scored 0.",
    "answers-changed": "Nothing, unless you replaced the answers file on purpose (then see "
    "Recovering answers in the instructor guide): the copy taken at first grading was scored.",
    "tampered-notebook": "Ask the student not to edit or copy the notebook's grading cells: they "
    "were repaired from your source notebook, and the score is not affected.",
    "deleted-cells": "Ask the student whether they deleted cells by mistake: they were put back, "
    "and a deleted written answer came back empty.",
    "execution": "Look at the autograded notebook, and ask the student why their code stopped; "
    "the items were still scored from the saved answers.",
    "time-limit": "Ask the student to fix the code that runs too long (often a loop that never "
    "ends), or raise notebook_timeout if the lesson is slow; the items were still scored.",
    "leftover-process": "Ask the student what their code started in the background; the "
    "process was stopped and no score changed.",
    "sandbox": "Nothing to ask the student: install bubblewrap (see Security in the instructor "
    "guide) and run `course grade --force` if their code must run isolated.",
    "ungraded": "Read the error, ask the student for an earlier copy of their notebook or give "
    "them a fresh release copy, put it in submitted/, then run `course grade` again.",
    "feedback": "Run `course grade` again; if feedback fails again, read the error.",
    "missing-key": "Copy the key with `course init DIR MODULE`, then run "
    "`course grade DIR MODULE --force`.",
    "configuration": "Restore the grading configuration with `course init DIR --overwrite-config`, "
    "then run `course grade DIR --force`.",
    "hand-grade": "Open the answers named in formgrader and confirm or change their score: the "
    "answer changed since it was graded by hand, so the earlier score waits for review.",
    "manual-grading-pending": "Grade the written answers in formgrader, then run `course grade` "
    "again; until then this score is blank in canvas.csv and moodle.csv.",
    "fast-path": "Nothing: the module was graded with execution, as the note says.",
    "export-shrank": "Check that the run graded every module and student you expected; the "
    "previous export is kept in exports/history/.",
    "other": "Read the problem; if it concerns the student's work, ask them about it.",
}

#: Problems by the first words their source writes (used where no kind was recorded).
_PREFIX_KINDS: tuple[tuple[str, str], ...] = (
    ("graded without isolation", "sandbox"),  # course.grading.sandbox.no_isolation_problem
    ("execution stopped early", "execution"),  # GuardedExecute
    ("the notebook time limit", "time-limit"),  # GuardedExecute
    ("the answers file in submitted/ changed after", "answers-changed"),  # take_snapshot
    ("the grader's stored copy of your answers", "answers-changed"),  # snapshot.TAKEN_AGAIN
    ("the answers file", "unreadable-answers"),  # course.answers.read_answers, take_snapshot
    ("deleted cells were restored", "deleted-cells"),  # ScoreAnswers, from RestoreCells
    ("no answer key", "missing-key"),  # ScoreAnswers, score_item
    ("no answers snapshot", "configuration"),  # ScoreAnswers without SnapshotAnswers
    ("the notebook's metadata was unreadable", "tampered-notebook"),  # SanitizeCells
    ("answer to ", "invalid-answer"),  # course.answers.validate_record
    ("answer key ", "invalid-answer"),  # course.answers.validate_record
    ("answers to unknown item ids", "invalid-answer"),  # ScoreAnswers
    ("stopped ", "leftover-process"),  # course.reaper.reaping
    ("no notebook ", "empty-submission"),  # course.grading.intake.Intake.missing_problems
    ("the notebook ", "unreadable-notebook"),  # course.grading.intake.Intake.problems
)
#: Problems by a pattern of their source's wording.
_PATTERN_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\Acell \d+ "), "tampered-notebook"),  # SanitizeCells: "cell 3 …"
    (re.compile(r"\Athe file .* in the submission of .* was refused: "), "refused-file"),  # Refusal
    (re.compile(r"\Athe folder .* is empty \(expected "), "empty-submission"),  # intake
)


def problem_kind(text: str, *, item: bool = False) -> str:
    """Return the kind of a problem whose source recorded none, from its source's wording.

    Parameters
    ----------
    text : str
        The problem, without its ``<module>:`` or ``<module> <item>:`` prefix.
    item : bool, default False
        Whether it concerns one item (``<module> <item>: …``); item problems
        that are not about the whole answers file or a missing key are
        ``invalid-answer``.
    """
    for pattern, kind in _PATTERN_KINDS:
        if pattern.match(text):
            return kind
    for prefix, kind in _PREFIX_KINDS:
        if text.startswith(prefix):
            return kind
    return "invalid-answer" if item else "other"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _row(student: str, module: str, kind: str, problem: str) -> dict[str, str]:
    kind = kind if kind in PROBLEM_KINDS else "other"
    return {
        "student_id": student,
        "module": module,
        "kind": kind,
        "problem": problem,
        "what_to_do": PROBLEM_KINDS[kind],
    }


def problems_table(
    report: GradeReport,
    *,
    missing_answers: Iterable[tuple[str, str, str]] = (),
    notes: Iterable[tuple[str, str]] = (),
) -> pd.DataFrame:
    """Return the rows of ``problems.csv``: one per problem, sorted by student and module.

    Parameters
    ----------
    report : GradeReport
        Its problems (:attr:`~course.gradereport.GradeReport.entries`, each
        with the kind its source recorded, else :func:`problem_kind` of its
        text), its ``manual_pending`` (one ``manual-grading-pending`` row per
        student and module) and its ``notes`` added as text (rows without a
        student).
    missing_answers : iterable of (student, module, answers file name)
        Submissions without an answers file (``no-answers-file`` rows).
    notes : iterable of (kind, note)
        Further notes of a known kind (such as ``export-shrank``).
    """
    rows = []
    for problem in report.entries:
        if problem.student:
            kind = problem.kind or problem_kind(problem.text, item=bool(problem.item))
            rows.append(_row(problem.student, problem.module, kind, problem.detail))
    for student, module, name in missing_answers:
        rows.append(
            _row(
                student,
                module,
                "no-answers-file",
                f"no answers file ({name}) was handed in: every widget item scored as unanswered",
            )
        )
    for student, by_module in report.manual_pending.items():
        for module, count in by_module.items():
            what = (
                f"{_plural(count, 'written answer')} {'awaits' if count == 1 else 'await'}"
                if count
                else "answers await"
            )
            rows.append(
                _row(
                    student,
                    module,
                    "manual-grading-pending",
                    f"{what} manual grading; the score is blank in canvas.csv and moodle.csv "
                    "until then",
                )
            )
    rows.sort(key=lambda r: (r["student_id"], r["module"]))
    recorded = set()
    for problem in report.entries:
        if not problem.student:
            recorded.add(problem.message)
            rows.append(
                _row("", problem.module, problem.kind or problem_kind(problem.text), problem.detail)
            )
    for note in report.notes:  # notes added as text (the LMS files', the exports')
        if note not in recorded:
            rows.append(_row("", "", problem_kind(note), note))
    for kind, note in notes:
        rows.append(_row("", "", kind, note))
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS)


def _missing_answers(
    course_dir: Path, modules: Sequence[str], graded: dict[str, list[str]]
) -> list[tuple[str, str, str]]:
    """Return (student, module, file name) for each graded submission without an answers file.

    Read from the intake report of ``course grade`` (what was handed in and
    what was refused); a submission graded without intake is not listed.
    """
    from .answers import answers_filename
    from .grading.intake import read_intake_report

    found = []
    for module in modules:
        notebooks = [p.stem for p in CourseFolder(course_dir).source_notebooks(module)]
        for student in sorted(graded.get(module, [])):
            intake = read_intake_report(course_dir, student, module)
            if intake is None:
                continue
            copied = intake.get("copied")
            if not isinstance(copied, dict):
                copied = {}
            refused = intake.get("refused")
            if not isinstance(refused, list):
                refused = []
            refused_paths = {str(r.get("path")) for r in refused if isinstance(r, dict)}
            whole = f"{student}/{module}" in refused_paths
            if intake.get("missing_notebooks"):
                continue  # an empty-submission problem says what is missing
            for notebook in notebooks:
                name = answers_filename(notebook)
                if name not in copied and name not in refused_paths and not whole:
                    found.append((student, module, name))
    return found


def _report_from_files(course_dir: Path, modules: Sequence[str]) -> GradeReport:
    """Return a report holding the problems recorded for every graded student of ``modules``."""
    report = GradeReport()
    folder = CourseFolder(course_dir)
    for module in modules:
        students = sorted(p.parent.name for p in folder.results().glob(f"*/{module}") if p.is_dir())
        report.graded[module] = students
        for student in students:
            collect_problems(course_dir, module, student, report)
    return report


def export_grades(
    course_dir: str | Path, modules: list[str], report: GradeReport | None = None
) -> dict[str, Path]:
    """Write the exports to ``exports/`` and return their paths by name.

    ``grades``, ``items``, ``canvas``, ``moodle`` and ``problems`` (see the
    module docstring). Everything is computed before the first file is
    written, and each file is swapped in by :class:`ExportWriter`. Notes for
    the instructor (written answers awaiting manual grading, an export
    emptier than the one it replaced) go to ``report.notes``, and the
    written answers awaiting grading to ``report.manual_pending``.

    Raises
    ------
    course.lms.LmsSettingsError
        If ``lms.yaml`` is malformed (before any file is written).
    ExportError
        If a file cannot be written safely (the previous one is left in place).
    """
    course_dir = Path(course_dir)
    settings = load_lms_settings(course_dir)
    grades = collect_grades(course_dir, modules, report)
    items = collect_items(course_dir, modules)
    lms = build_lms_exports(grades, collect_students(course_dir), modules, settings, items)
    run = report if report is not None else _report_from_files(course_dir, modules)
    for (student, module), count in lms.pending.items():
        run.manual_pending.setdefault(student, {})[module] = count
    missing = _missing_answers(course_dir, modules, run.graded)

    writer = ExportWriter(CourseFolder(course_dir).exports, shapes=SHAPES)
    paths = {
        "grades": writer.write("grades.csv", grades),
        "items": writer.write("items.csv", items),
    }
    for name, table in lms.tables.items():
        paths[name.removesuffix(".csv")] = writer.write(name, table)
    shrank = [("export-shrank", note) for note in writer.notes]
    table = problems_table(run, missing_answers=missing, notes=shrank)
    paths["problems"] = writer.write("problems.csv", table)
    writer.finish()
    # `course grade` prints these very rows, so the list and the file never disagree.
    run.problem_rows = [{c: str(r[c]) for c in PROBLEM_COLUMNS} for r in table.to_dict("records")]
    run.notes.extend(lms.notes + writer.notes)
    return paths
