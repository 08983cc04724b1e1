"""Grade-import files for Canvas and Moodle, one column per module.

Both files are written by ``course grade`` next to ``grades.csv``. A cell is
left empty (no grade) when the student has no graded submission of that
module, or when the module still waits for manual grading, so a partial
total never reaches the LMS. Every student keeps a row: each student in the
gradebook (such as a roster imported with ``nbgrader db student import``)
and each with a submission, whether graded or not. Neither format has a
place to say *why* a cell is empty: Canvas turns every column it does not
know into a new assignment, and Moodle needs each column mapped to a grade
item (or ignored) by hand. So the students whose written answers await
manual grading are listed in the grading run's notes and in
``exports/problems.csv`` instead (:attr:`LmsExports.pending`).

**Canvas** (``canvas.csv``): the layout of Canvas's own gradebook export,
which its gradebook import reads back: the header row starts ``Student``,
``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``; then one column per
assignment titled ``<name> (<Canvas assignment id>)``, or ``<name>`` alone for
an assignment Canvas should create on import. When any column is new, a
second row starting ``Points Possible`` gives its points. Canvas finds each
student by ``ID`` (its own user id, taken from nbgrader's ``lms_user_id``
when set), else by ``SIS User ID``, else by ``SIS Login ID`` (here the
nbgrader student id, usually the JupyterHub user name), else by name.

**Moodle** (``moodle.csv``): a header row, then one row per student:
``Username``, ``Email address``, ``First name``, ``Last name``, then one
column per grade item named after the module. Moodle's CSV import asks which
column identifies users ("Map from" → "Map to": username, email address, ID
number or user id) and which grade item each column fills (an existing one
or a new one named after the column).

Names and Canvas ids come from an optional ``lms.yaml`` in the course folder:

.. code-block:: yaml

    names:          # module id -> assignment / grade item name (default: the module id)
      01-close-reading: "Module 1: Close reading"
    canvas_ids:     # module id -> Canvas assignment id (the number in its URL)
      01-close-reading: 48213
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .exportwriter import ExportShape, ExportWriter
from .paths import CourseFolder

__all__ = [
    "CANVAS_STUDENT_COLUMNS",
    "LMS_SHAPES",
    "MOODLE_USER_COLUMNS",
    "LmsExports",
    "LmsSettings",
    "LmsSettingsError",
    "build_lms_exports",
    "canvas_table",
    "format_points",
    "load_lms_settings",
    "manual_pending",
    "moodle_table",
    "write_lms_exports",
]

CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "Points Possible"
MOODLE_USER_COLUMNS = ["Username", "Email address", "First name", "Last name"]

#: How each LMS file is compared with the one it replaces (``course.exportwriter``).
LMS_SHAPES: dict[str, ExportShape] = {
    "canvas.csv": ExportShape("SIS Login ID", other_columns=tuple(CANVAS_STUDENT_COLUMNS)),
    "moodle.csv": ExportShape("Username", other_columns=tuple(MOODLE_USER_COLUMNS)),
}

_SETTINGS = {
    "names": "module id -> the assignment (Canvas) or grade item (Moodle) name",
    "canvas_ids": "module id -> the Canvas assignment id, the number in the assignment's URL",
}
#: Canvas reads a trailing " (digits)" in a column title as an assignment id.
_CANVAS_ID_SUFFIX = re.compile(r"\s\(\d+\)\Z")


class LmsSettingsError(ValueError):
    """Raise when ``lms.yaml`` is malformed."""


@dataclass(frozen=True)
class LmsSettings:
    """Assignment names and Canvas ids per module (all optional)."""

    names: dict[str, str] = field(default_factory=dict)
    canvas_ids: dict[str, str] = field(default_factory=dict)

    def name(self, module: str) -> str:
        """Return the LMS name of ``module`` (the module id unless renamed)."""
        return self.names.get(module, module)

    def canvas_header(self, module: str) -> str:
        """Return the Canvas column title of ``module``."""
        cid = self.canvas_ids.get(module)
        return f"{self.name(module)} ({cid})" if cid else self.name(module)


def load_lms_settings(course_dir: str | Path) -> LmsSettings:
    """Read ``lms.yaml`` from the course folder (empty settings if there is none).

    Raises
    ------
    LmsSettingsError
        On an unknown setting, a Canvas id that is not a number, or a name
        that Canvas would misread as carrying an id.
    """
    path = CourseFolder(course_dir).lms_settings
    if not path.exists():
        return LmsSettings()
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise LmsSettingsError(f"{path}: expected a mapping with {', '.join(_SETTINGS)}")
    unknown = set(raw) - set(_SETTINGS)
    if unknown:
        raise LmsSettingsError(
            f"{path}: unexpected setting(s) {', '.join(sorted(unknown))}; known settings: "
            + "; ".join(f"{k} ({v})" for k, v in _SETTINGS.items())
        )
    names = {str(k): str(v).strip() for k, v in (raw.get("names") or {}).items()}
    ids = {str(k): str(v).strip() for k, v in (raw.get("canvas_ids") or {}).items()}
    for module, cid in ids.items():
        if not cid.isdigit():
            raise LmsSettingsError(f"{path}: canvas_ids.{module} must be a number, got {cid!r}")
    for module, name in names.items():
        if not name or _CANVAS_ID_SUFFIX.search(name):
            raise LmsSettingsError(
                f"{path}: names.{module} = {name!r} is empty or ends in '(number)', "
                "which Canvas reads as an assignment id; put the id in canvas_ids"
            )
    return LmsSettings(names=names, canvas_ids=ids)


def format_points(value: float | None) -> str:
    """Return a score with at most two decimals, or ``""`` for no score.

    >>> [format_points(v) for v in (7.0, 7.5, 2 / 3, None)]
    ['7', '7.5', '0.67', '']
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{round(float(value), 2):.2f}".rstrip("0").rstrip(".")


def _scores(grades: pd.DataFrame) -> tuple[dict[tuple[str, str], str], dict[str, float], int]:
    """Return the exportable score per (student, module), the points per module, and held back."""
    scores: dict[tuple[str, str], str] = {}
    points: dict[str, float] = {}
    held = 0
    for row in grades.itertuples(index=False):
        if pd.notna(row.max_score):
            points[row.module] = max(points.get(row.module, 0.0), float(row.max_score))
        if not row.graded or pd.isna(row.score):
            continue
        if row.needs_manual_grade:
            held += 1
            continue
        scores[(row.student_id, row.module)] = format_points(row.score)
    return scores, points, held


def _everyone(grades: pd.DataFrame, students: pd.DataFrame) -> list[str]:
    """Return every student: each with a submission and each in the gradebook, sorted."""
    return sorted(set(grades["student_id"].astype(str)) | set(students["student_id"].astype(str)))


def _sortable_name(first: str, last: str, fallback: str) -> str:
    if first and last:
        return f"{last}, {first}"
    return last or first or fallback


def canvas_table(
    grades: pd.DataFrame, students: pd.DataFrame, modules: list[str], settings: LmsSettings
) -> pd.DataFrame:
    """Return the Canvas gradebook-import table (all cells as text).

    Parameters
    ----------
    grades : pandas.DataFrame
        As returned by :func:`course.export.collect_grades`.
    students : pandas.DataFrame
        As returned by :func:`course.export.collect_students`.
    modules : list of str
        One assignment column per module, in this order.
    settings : LmsSettings
        Assignment names and Canvas ids.
    """
    scores, points, _ = _scores(grades)
    headers = [settings.canvas_header(m) for m in modules]
    rows = []
    if any(m not in settings.canvas_ids for m in modules):
        rows.append(
            [CANVAS_POINTS_ROW, "", "", "", ""]
            + ["" if m in settings.canvas_ids else format_points(points.get(m)) for m in modules]
        )
    people = students.set_index("student_id")
    for student in _everyone(grades, students):
        info = people.loc[student] if student in people.index else None
        first = str(info["first_name"]) if info is not None else ""
        last = str(info["last_name"]) if info is not None else ""
        lms_id = str(info["lms_user_id"]) if info is not None else ""
        rows.append(
            [_sortable_name(first, last, student), lms_id, "", student, ""]
            + [scores.get((student, m), "") for m in modules]
        )
    return pd.DataFrame(rows, columns=CANVAS_STUDENT_COLUMNS + headers, dtype=str)


def moodle_table(
    grades: pd.DataFrame, students: pd.DataFrame, modules: list[str], settings: LmsSettings
) -> pd.DataFrame:
    """Return the Moodle grade-import table (all cells as text); see :func:`canvas_table`."""
    scores, _, _ = _scores(grades)
    people = students.set_index("student_id")
    rows = []
    for student in _everyone(grades, students):
        info = people.loc[student] if student in people.index else None
        rows.append(
            [
                student,
                str(info["email"]) if info is not None else "",
                str(info["first_name"]) if info is not None else "",
                str(info["last_name"]) if info is not None else "",
            ]
            + [scores.get((student, m), "") for m in modules]
        )
    columns = MOODLE_USER_COLUMNS + [settings.name(m) for m in modules]
    return pd.DataFrame(rows, columns=columns, dtype=str)


def manual_pending(
    grades: pd.DataFrame, items: pd.DataFrame | None = None
) -> dict[tuple[str, str], int]:
    """Return how many written answers await manual grading, per (student, module) held back.

    Parameters
    ----------
    grades : pandas.DataFrame
        As returned by :func:`course.export.collect_grades`. A (student,
        module) is listed when its score is held back from the LMS files:
        graded, scored, and ``needs_manual_grade``.
    items : pandas.DataFrame, optional
        As returned by :func:`course.export.collect_items`, to count the
        written answers marked ``needs manual grade`` (0 without it).
    """
    waiting: dict[tuple[str, str], int] = {}
    if items is not None and len(items):
        open_items = items[
            (items["kind"] == "written") & (items["verdict"] == "needs manual grade")
        ]
        for (student, module), group in open_items.groupby(["student_id", "module"]):
            waiting[(str(student), str(module))] = len(group)
    pending: dict[tuple[str, str], int] = {}
    for row in grades.itertuples(index=False):
        if row.graded and pd.notna(row.score) and row.needs_manual_grade:
            key = (str(row.student_id), str(row.module))
            pending[key] = waiting.get(key, 0)
    return pending


@dataclass
class LmsExports:
    """The LMS files (tables, then paths once written) and what the instructor should know."""

    paths: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: file name -> table, as written
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: (student, module) -> written answers awaiting manual grading; blank in both files
    pending: dict[tuple[str, str], int] = field(default_factory=dict)


#: How many students the note on held-back scores names (all are in problems.csv).
_NAMED = 10


def build_lms_exports(
    grades: pd.DataFrame,
    students: pd.DataFrame,
    modules: list[str],
    settings: LmsSettings,
    items: pd.DataFrame | None = None,
) -> LmsExports:
    """Return the Canvas and Moodle tables, the scores held back and a note on them.

    Nothing is written; see :func:`write_lms_exports`. ``items`` (from
    :func:`course.export.collect_items`) lets the note count the written
    answers awaiting grading.
    """
    result = LmsExports(
        tables={
            "canvas.csv": canvas_table(grades, students, modules, settings),
            "moodle.csv": moodle_table(grades, students, modules, settings),
        },
        pending=manual_pending(grades, items),
    )
    if result.pending:
        listed = []
        for (student, module), count in sorted(result.pending.items())[:_NAMED]:
            what = f": {count} written answer{'s' if count != 1 else ''}" if count else ""
            listed.append(f"{student} ({module}{what})")
        more = len(result.pending) - len(listed)
        if more:
            listed.append(f"and {more} more (all listed in problems.csv)")
        result.notes.append(
            f"{len(result.pending)} score(s) wait for manual grading and were left empty in "
            f"canvas.csv and moodle.csv, whose formats have no column to say why: "
            f"{', '.join(listed)}. Grade them in formgrader, then run `course grade` again"
        )
    return result


def write_lms_exports(
    course_dir: str | Path,
    grades: pd.DataFrame,
    students: pd.DataFrame,
    modules: list[str],
    items: pd.DataFrame | None = None,
) -> LmsExports:
    """Write ``exports/canvas.csv`` and ``exports/moodle.csv`` (UTF-8, comma-separated).

    Each file is swapped in whole, its previous version kept in
    ``exports/history/`` (:class:`course.export.ExportWriter`); a note is
    added when a file is emptier than the one it replaced. ``course grade``
    writes these files with the other exports (:func:`course.export.export_grades`).
    """

    settings = load_lms_settings(course_dir)
    result = build_lms_exports(grades, students, modules, settings, items)
    writer = ExportWriter(CourseFolder(course_dir).exports, shapes=LMS_SHAPES)
    for name, table in result.tables.items():
        result.paths[name.removesuffix(".csv")] = writer.write(name, table)
    writer.finish()
    result.notes.extend(writer.notes)
    return result
