"""Write export files safely: whole files swapped in, earlier versions kept, shrinkage noted.

:class:`ExportWriter` writes each file of ``exports/`` to a new file, then
swaps it in with :func:`os.replace`, so a reader never sees half a file and a
failed run leaves the previous export in place. A file that changes is first
copied to ``exports/history/<UTC time>/`` (the last :data:`HISTORY_RUNS` runs
are kept), and a file with fewer students, fewer scores or more blank scores
than the one it replaces (as its :class:`ExportShape` counts them) is written
with a note saying so. The grade exports (:mod:`course.export`) and the LMS
files (:mod:`course.lms`) are written with it.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .paths import show_path

__all__ = [
    "GRADE_SHAPES",
    "HISTORY_RUNS",
    "ExportCounts",
    "ExportError",
    "ExportShape",
    "ExportWriter",
]

#: How many earlier runs ``exports/history/`` keeps.
HISTORY_RUNS = 20
#: A history folder's name: the UTC time of the run, with ``-2``, ``-3``… for runs in one second.
_STAMP = re.compile(r"\A(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ)(?:-(\d+))?\Z")


class ExportError(RuntimeError):
    """Raise when an export cannot be written safely; the previous export is left in place."""


@dataclass(frozen=True)
class ExportCounts:
    """How full one export file is: its students, its scores and its blank scores."""

    students: int
    scores: int
    blanks: int
    modules: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportShape:
    """Where one export file keeps its students and its scores, to compare two versions.

    Parameters
    ----------
    student_column : str
        The column naming the student; rows where it is empty (such as Canvas's
        ``Points Possible`` row) are not students.
    score_columns : sequence of str, optional
        The score columns. Default: every column not in ``other_columns``
        (the module columns of an LMS file, whatever they are named).
    other_columns : sequence of str
        Columns that are not scores, when ``score_columns`` is not given.
    module_column : str, optional
        The column naming the module; default: the score columns are the modules.
    """

    student_column: str
    score_columns: tuple[str, ...] | None = None
    other_columns: tuple[str, ...] = ()
    module_column: str | None = None

    def count(self, table: pd.DataFrame) -> ExportCounts:
        """Return the counts of ``table``, read as text (empty cells are ``""``)."""
        if self.student_column not in table.columns:
            return ExportCounts(0, 0, 0)
        rows = table[table[self.student_column].astype(str).str.strip() != ""]
        if self.score_columns is not None:
            columns = [c for c in self.score_columns if c in rows.columns]
        else:
            columns = [c for c in rows.columns if c not in self.other_columns]
        cells = rows[columns].astype(str).apply(lambda col: col.str.strip() != "")
        filled = int(cells.to_numpy().sum())
        if self.module_column and self.module_column in rows.columns:
            modules = tuple(sorted(set(rows[self.module_column].astype(str)) - {""}))
        else:
            modules = tuple(columns)
        return ExportCounts(
            students=int(rows[self.student_column].nunique()),
            scores=filled,
            blanks=int(cells.size) - filled,
            modules=modules,
        )


#: The shape of the grade exports (problems.csv is never compared).
GRADE_SHAPES: dict[str, ExportShape] = {
    "grades.csv": ExportShape("student_id", ("score",), module_column="module"),
    "items.csv": ExportShape("student_id", ("score",), module_column="module"),
}


def _read_table(data: bytes) -> pd.DataFrame | None:
    """Return a CSV export read as text, or None if it cannot be read."""
    try:
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        return None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class ExportWriter:
    """Write export files into one folder: new file, then swap; the old one kept in history.

    Parameters
    ----------
    folder : path-like
        The exports folder (``<course>/exports``).
    keep : int, default :data:`HISTORY_RUNS`
        How many runs ``history/`` keeps; older ones are deleted by :meth:`finish`.
    stamp : str, optional
        The name of this run's history folder (default: the UTC time,
        ``2025-01-31T14-05-09Z``).
    shapes : mapping of str to ExportShape, optional
        How to compare each file, by name, with the one it replaces
        (default: :data:`GRADE_SHAPES`); a file without a shape is not compared.

    Notes
    -----
    :meth:`write` never truncates a file in place: the new text goes to a
    hidden temporary file in the same folder, is flushed to disk, and replaces
    the old file with :func:`os.replace` (atomic on POSIX and Windows). A file
    whose text is unchanged is left alone. Messages for the instructor (an
    export emptier than the one it replaced) collect in :attr:`notes`.
    """

    def __init__(
        self,
        folder: str | Path,
        *,
        keep: int = HISTORY_RUNS,
        stamp: str | None = None,
        shapes: Mapping[str, ExportShape] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.shapes = dict(GRADE_SHAPES if shapes is None else shapes)
        self.keep = keep
        self.stamp = stamp or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
        self.notes: list[str] = []
        self.paths: dict[str, Path] = {}
        self.history: Path | None = None  # this run's history folder, once a file was kept

    def _shown(self, path: Path) -> str:
        """Return ``path`` relative to the course folder (``exports/…``)."""
        try:
            return show_path(path.relative_to(self.folder.parent))
        except ValueError:
            return show_path(path)

    def _history_folder(self) -> Path:
        if self.history is None:
            root = self.folder / "history"
            root.mkdir(parents=True, exist_ok=True)
            name, n = self.stamp, 1
            while True:
                try:
                    (root / name).mkdir()
                    break
                except FileExistsError:
                    n += 1
                    name = f"{self.stamp}-{n}"
            self.history = root / name
        return self.history

    def write(self, name: str, table: pd.DataFrame, shape: ExportShape | None = None) -> Path:
        """Write ``table`` as ``<folder>/<name>`` (CSV, UTF-8) and return its path.

        ``shape`` (default: :attr:`shapes` by name) says how to compare it with
        the file it replaces; without one, no comparison is made.
        """
        text = table.to_csv(index=False)
        return self.write_bytes(name, text.encode("utf-8"), shape or self.shapes.get(name))

    def write_bytes(self, name: str, data: bytes, shape: ExportShape | None = None) -> Path:
        """Write ``data`` as ``<folder>/<name>``: keep the old file, then swap the new one in.

        Raises
        ------
        ExportError
            If the old file cannot be kept in history or the new one cannot be
            written; the old file is then left as it was.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / name
        self.paths[name] = target
        try:
            old = target.read_bytes() if target.is_file() else None
        except OSError:
            old = None
        if old == data:
            return target
        if old is not None:
            try:
                kept = self._history_folder() / name
                shutil.copy2(target, kept)
            except OSError as exc:
                raise ExportError(
                    f"Could not keep a copy of {self._shown(target)} in "
                    f"{self._shown(self.folder / 'history')} ({exc.strerror or exc}); "
                    "the previous export was left in place. Free some disk space or fix the "
                    "folder's permissions, then run the command again."
                ) from exc
            if shape is not None:
                self._compare(target, kept, old, data, shape)
        self._swap(target, data)
        return target

    def _swap(self, target: Path, data: bytes) -> None:
        temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            fd = os.open(temp, flags, 0o666)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise ExportError(
                f"Could not write {self._shown(target)} ({exc.strerror or exc}); the previous "
                "export was left in place. Free some disk space or fix the folder's "
                "permissions, then run the command again."
            ) from exc
        try:  # make the rename itself durable (not possible everywhere)
            dir_fd = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)

    def _compare(
        self, target: Path, kept: Path, old: bytes, new: bytes, shape: ExportShape
    ) -> None:
        before_table, after_table = _read_table(old), _read_table(new)
        if before_table is None or after_table is None:
            return
        before, after = shape.count(before_table), shape.count(after_table)
        changes = []
        if after.students < before.students:
            changes.append(f"fewer students ({before.students} → {after.students})")
        if after.scores < before.scores:
            changes.append(f"fewer scores ({before.scores} → {after.scores})")
        if after.blanks > before.blanks:
            changes.append(f"more blank scores ({before.blanks} → {after.blanks})")
        if not changes:
            return
        listed = ", ".join(changes[:-1]) + (" and " if len(changes) > 1 else "") + changes[-1]
        note = (
            f"{self._shown(target)} has {listed} than the export it replaced. It was written "
            f"anyway (it is what the gradebook holds now); the previous copy is kept as "
            f"{self._shown(kept)}."
        )
        dropped = [m for m in before.modules if m not in after.modules]
        if dropped:
            note += (
                f" It no longer has {', '.join(dropped)}: an export holds only the modules of its "
                "run, so run `course grade` with no module to export every module."
            )
        self.notes.append(note)

    def finish(self) -> None:
        """Delete the oldest history folders beyond :attr:`keep` runs."""
        root = self.folder / "history"
        if not root.is_dir():
            return
        runs = []
        for entry in root.iterdir():
            match = _STAMP.match(entry.name)
            if match and entry.is_dir() and not entry.is_symlink():
                runs.append(((match.group(1), int(match.group(2) or 1)), entry))
        runs.sort()
        for _, entry in runs[: max(0, len(runs) - self.keep)]:
            shutil.rmtree(entry, ignore_errors=True)
