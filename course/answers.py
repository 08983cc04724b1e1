"""Record and read students' answers: the only writer of the answers file.

Each notebook has one answers file in its own folder, named
``.<notebook>.answers.json`` (for example ``.01-close-reading.answers.json``).
The leading dot keeps it out of JupyterLab's file browser, and nbgrader's
submit and collect copy it with the notebook. The format is documented in
``docs/answers-format.md`` and by the JSON schema in
``course/schema/answers.schema.json``.

Every change is written atomically: the whole file is written to a temporary
file in the same folder, flushed to disk, then renamed over the old one, all
under a lock so that saves from several widgets (or two kernels) never lose an
update. A file that cannot be read is never deleted: it is moved aside under
a new name and the student is told.

The widgets call :class:`AnswerBook`; instructors and tests use the same class
(or :func:`record_answer`) to build fixtures, so a fixture is byte-for-byte
what a student's widget would have written.

Examples
--------
>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> book = AnswerBook("01-close-reading", folder)
>>> book.record("m01-thesis", "b", kind="single_choice")["value"]
'b'
>>> AnswerBook("01-close-reading", folder).value("m01-thesis")
'b'
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # POSIX: lock the folder so two kernels never interleave a save.
    import fcntl
except ImportError:  # pragma: no cover - Windows falls back to the thread lock
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "FORMAT",
    "HISTORY_LIMIT",
    "MAX_BYTES",
    "VERSION",
    "AnswerBook",
    "AnswersFileError",
    "ReadResult",
    "answers_filename",
    "answers_path",
    "read_answers",
    "record_answer",
]

FORMAT = "claims-and-evidence/answers"
VERSION = 1
#: Answers files larger than this are refused by the grader (and by the widgets).
MAX_BYTES = 2_000_000
#: How many earlier values each answer keeps, oldest first, for recovery.
HISTORY_LIMIT = 25

_KINDS = (
    "single_choice",
    "multiple_choice",
    "numeric",
    "classification",
    "ordering",
    "phrase_selection",
    "computed",
    "forecast",
)

_thread_lock = threading.RLock()


class AnswersFileError(Exception):
    """Raise when an answers file cannot be read or does not follow the format."""


def answers_filename(notebook: str) -> str:
    """Return the answers file name for a notebook name (with or without ``.ipynb``).

    >>> answers_filename("00-orientation.ipynb")
    '.00-orientation.answers.json'
    """
    stem = notebook[:-6] if notebook.endswith(".ipynb") else notebook
    if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
        raise ValueError(f"Invalid notebook name {notebook!r}: give the notebook's file name only.")
    return f".{stem}.answers.json"


def answers_path(notebook: str, folder: str | os.PathLike[str] = ".") -> Path:
    """Return the path of a notebook's answers file inside ``folder``."""
    return Path(folder) / answers_filename(notebook)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _empty(notebook: str) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "notebook": notebook, "answers": {}}


def _check_json_value(value: Any, depth: int = 0) -> bool:
    """Return True if ``value`` is plain JSON data of a sane depth and size."""
    if depth > 6:
        return False
    if value is None or isinstance(value, bool | int | str):
        return not (isinstance(value, str) and len(value) > 20_000)
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return len(value) <= 500 and all(_check_json_value(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return (
            len(value) <= 500
            and all(isinstance(k, str) for k in value)
            and all(_check_json_value(v, depth + 1) for v in value.values())
        )
    return False


def validate_record(item_id: Any, record: Any) -> list[str]:
    """Return the problems with one answer record (an empty list if it is valid)."""
    problems: list[str] = []
    if not isinstance(item_id, str) or not item_id or len(item_id) > 100:
        return [f"answer key {item_id!r} is not a valid item id"]
    if not isinstance(record, Mapping):
        return [f"answer to {item_id} is not an object"]
    if "value" not in record:
        problems.append(f"answer to {item_id} has no value")
    elif not _check_json_value(record["value"]):
        problems.append(f"answer to {item_id} holds a value that is not plain data")
    if record.get("kind") not in _KINDS:
        problems.append(f"answer to {item_id} has an unknown kind {record.get('kind')!r}")
    if not isinstance(record.get("saved_at"), str):
        problems.append(f"answer to {item_id} has no saved_at time")
    revision = record.get("revision", 1)
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 1:
        problems.append(f"answer to {item_id} has an invalid revision")
    history = record.get("history", [])
    if not isinstance(history, list) or not _check_json_value(history):
        problems.append(f"answer to {item_id} has an invalid history")
    return problems


@dataclass
class ReadResult:
    """What :func:`read_answers` found: the valid answers and every problem met."""

    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notebook: str | None = None
    exists: bool = False
    #: True when the file as a whole could not be used (no answer was read from it).
    unreadable: bool = False


def read_answers(
    path: str | os.PathLike[str], *, notebook: str | None = None, max_bytes: int = MAX_BYTES
) -> ReadResult:
    """Read an answers file without changing it.

    Valid answers are returned; invalid records are left out and described in
    ``problems``. A missing file is not a problem (the student answered
    nothing). This is what the grader uses on ``submitted/``: it never writes.

    Parameters
    ----------
    path : path-like
        The answers file.
    notebook : str, optional
        The notebook the file must belong to. A file written for another
        notebook is refused.
    max_bytes : int, default MAX_BYTES
        Larger files are refused unread.
    """
    path = Path(path)
    result = ReadResult()
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return result
    except OSError as exc:
        result.exists, result.unreadable = True, True
        result.problems.append(f"the answers file could not be opened ({exc.strerror})")
        return result
    result.exists = True
    if size > max_bytes:
        result.unreadable = True
        result.problems.append(
            f"the answers file is {size:,} bytes, over the {max_bytes:,}-byte limit, "
            "so it was not read"
        )
        return result
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        result.unreadable = True
        result.problems.append(f"the answers file is not valid JSON ({exc})")
        return result
    except OSError as exc:
        result.unreadable = True
        result.problems.append(f"the answers file could not be read ({exc.strerror})")
        return result
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        result.unreadable = True
        result.problems.append("the answers file is not a Claims & Evidence answers file")
        return result
    if data.get("version") != VERSION:
        result.unreadable = True
        result.problems.append(
            f"the answers file has format version {data.get('version')!r}; "
            f"this course reads version {VERSION}"
        )
        return result
    result.notebook = data.get("notebook") if isinstance(data.get("notebook"), str) else None
    if notebook is not None and result.notebook != notebook:
        result.unreadable = True
        result.problems.append(
            f"the answers file belongs to notebook {result.notebook!r}, not {notebook!r}"
        )
        return result
    answers = data.get("answers")
    if not isinstance(answers, dict):
        result.unreadable = True
        result.problems.append("the answers file has no 'answers' object")
        return result
    for item_id, record in answers.items():
        problems = validate_record(item_id, record)
        if problems:
            result.problems.extend(problems)
        else:
            result.answers[item_id] = dict(record)
    return result


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the process-wide lock and, on POSIX, an exclusive lock on ``folder``."""
    with _thread_lock:
        if fcntl is None:
            yield
            return
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".tmp-", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; nbgrader's exchange needs readable files
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class AnswerBook:
    """Read and record the answers of one notebook, exactly as the widgets do.

    Parameters
    ----------
    notebook : str
        The notebook's name without ``.ipynb`` (the module id, such as
        ``"01-close-reading"``).
    folder : path-like, default "."
        The notebook's folder. A kernel's working folder is its notebook's
        folder, both in JupyterLab and under nbgrader.

    Notes
    -----
    Opening a book never writes. If the existing file cannot be read, it is
    moved aside (never deleted) the first time an answer is recorded, and
    :attr:`problems` says where it went.
    """

    def __init__(self, notebook: str, folder: str | os.PathLike[str] = ".") -> None:
        self.notebook = notebook[:-6] if notebook.endswith(".ipynb") else notebook
        self.folder = Path(folder).resolve()
        self.path = answers_path(self.notebook, self.folder)
        #: Human-readable notes for the student (a file set aside, records dropped).
        self.problems: list[str] = []
        self._set_aside: Path | None = None
        first = read_answers(self.path, notebook=self.notebook)
        self._note(first)

    # -- reading -----------------------------------------------------------
    def _note(self, result: ReadResult) -> None:
        for problem in result.problems:
            if problem not in self.problems:
                self.problems.append(problem)

    def _load(self) -> ReadResult:
        return read_answers(self.path, notebook=self.notebook)

    def all(self) -> dict[str, dict[str, Any]]:
        """Return a copy of every valid answer record, keyed by item id."""
        return copy.deepcopy(self._load().answers)

    def get(self, item_id: str) -> dict[str, Any] | None:
        """Return the saved record of ``item_id`` (``value``, ``saved_at``…), or None."""
        record = self._load().answers.get(item_id)
        return copy.deepcopy(record) if record is not None else None

    def value(self, item_id: str, default: Any = None) -> Any:
        """Return the saved value of ``item_id``, or ``default`` if there is none."""
        record = self.get(item_id)
        return default if record is None else record["value"]

    # -- writing -----------------------------------------------------------
    def _aside_path(self) -> Path:
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.path.with_name(f"{self.path.name[:-5]}.unreadable-{stamp}.json")
        n = 1
        while target.exists():  # never replace an earlier set-aside file
            target = target.with_name(f"{self.path.name[:-5]}.unreadable-{stamp}-{n}.json")
            n += 1
        return target

    def _keep_copy_with_bad_records(self) -> Path:
        """Copy the file aside before a save drops the records it could not read."""
        target = self._aside_path()
        shutil.copyfile(self.path, target)
        self._set_aside = target
        self.problems.append(
            "Some of your saved answers could not be read, so a copy of your answers file "
            f"was kept as {target.name} before saving. Nothing was deleted: your instructor "
            "can recover those answers from that file."
        )
        return target

    def _set_aside_unreadable(self) -> Path:
        target = self._aside_path()
        os.replace(self.path, target)
        self._set_aside = target
        self.problems.append(
            f"Your answers file could not be read, so it was kept as {target.name} "
            "and a new one was started. Nothing was deleted: your instructor can recover "
            "earlier answers from that file."
        )
        return target

    def record(
        self,
        item_id: str,
        value: Any,
        *,
        kind: str,
        extra: Mapping[str, Any] | None = None,
        keep_history: int | None = HISTORY_LIMIT,
    ) -> dict[str, Any]:
        """Save ``value`` as the answer to ``item_id`` and return the new record.

        Parameters
        ----------
        item_id : str
            The item's stable id.
        value : JSON-compatible
            The answer, stored by option id, never by position.
        kind : str
            The item type, such as ``"single_choice"``.
        extra : mapping, optional
            More fields to store with the record (a shuffle seed, the order shown).
        keep_history : int or None, default HISTORY_LIMIT
            How many earlier values to keep; None keeps them all.
        """
        if kind not in _KINDS:
            raise ValueError(f"Unknown item kind {kind!r}; expected one of {', '.join(_KINDS)}.")
        if not _check_json_value(value):
            raise ValueError(f"The answer to {item_id} must be plain JSON data, not {value!r}.")
        with _locked(self.folder):
            current = self._load()
            if current.unreadable and current.exists:
                self._set_aside_unreadable()
                data = _empty(self.notebook)
            else:
                data = _empty(self.notebook)
                data["answers"] = current.answers
                self._note(current)
                if current.problems:  # invalid records: this save would drop them
                    self._keep_copy_with_bad_records()
            previous = data["answers"].get(item_id)
            history: list[dict[str, Any]] = []
            revision = 1
            if previous is not None:
                history = list(previous.get("history", []))
                history.append({"value": previous["value"], "saved_at": previous["saved_at"]})
                if keep_history is not None:
                    history = history[-keep_history:] if keep_history else []
                revision = int(previous.get("revision", 1)) + 1
            record: dict[str, Any] = dict(extra or {})
            record.update(
                {
                    "value": value,
                    "kind": kind,
                    "saved_at": _now(),
                    "revision": revision,
                    "history": history,
                }
            )
            data["answers"][item_id] = record
            _write_atomic(self.path, data)
            return copy.deepcopy(record)


def record_answer(
    notebook: str,
    item_id: str,
    value: Any,
    *,
    kind: str,
    folder: str | os.PathLike[str] = ".",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Record one answer, exactly as the widget would; a shortcut for fixtures.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> record_answer("00-orientation", "m00-demo", ["a", "c"], kind="multiple_choice",
    ...               folder=folder)["value"]
    ['a', 'c']
    """
    return AnswerBook(notebook, folder).record(item_id, value, kind=kind, extra=extra)
