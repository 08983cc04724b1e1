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
import math
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .kinds import get_kind, kinds
from .shortrepr import digits, short_repr

try:  # POSIX: lock the folder so two kernels never interleave a save.
    import fcntl
except ImportError:  # pragma: no cover - Windows falls back to the thread lock
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "FORMAT",
    "HISTORY_LIMIT",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_ENTRIES",
    "MAX_FILE_DEPTH",
    "MAX_ID_LENGTH",
    "MAX_INT",
    "MAX_TEXT",
    "VERSION",
    "AnswerBook",
    "AnswersFileError",
    "ReadResult",
    "answers_filename",
    "answers_path",
    "read_answers",
    "record_answer",
    "short_repr",
    "validate_record",
]

FORMAT = "claims-and-evidence/answers"
VERSION = 1
#: Answers files larger than this are refused by the grader (and by the widgets).
MAX_BYTES = 2_000_000
#: How many earlier values each answer keeps, oldest first, for recovery.
HISTORY_LIMIT = 25
#: How deeply lists and objects may nest inside one value (or any other record field).
MAX_DEPTH = 6
#: How many entries one list or object may hold (a record's history included).
MAX_ENTRIES = 500
#: How many characters one string may hold.
MAX_TEXT = 20_000
#: How long an item id may be.
MAX_ID_LENGTH = 100
#: The largest integer magnitude: the largest finite float, a 309-digit number.
MAX_INT = int(sys.float_info.max)
#: How deeply lists and objects may nest in the file as a whole. A deeper file is
#: refused before it is parsed, so no reader ever recurses that deep.
MAX_FILE_DEPTH = 64

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


class _Oversized:
    """An integer literal too long to be a number of the format, kept only to be named."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<an integer of {self.digits:,} digits>"


#: Integer literals longer than this are not converted (Python refuses over 4,300 digits).
_MAX_INT_DIGITS = len(str(MAX_INT)) + 1


#: A run of digits long enough to be an integer beyond float range.
_LONG_DIGITS = re.compile(rb"[0-9]{%d}" % (_MAX_INT_DIGITS + 1))


def _parse_int(text: str) -> int | _Oversized:
    if len(text) <= _MAX_INT_DIGITS:
        return int(text)
    return _Oversized(len(text.lstrip("-")))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text_problem(text: str) -> str | None:
    if len(text) > MAX_TEXT:
        return f"has a text of {len(text):,} characters, over the {MAX_TEXT:,}-character limit"
    if _SURROGATE.search(text):
        return "has text that is not valid Unicode (an unpaired surrogate character)"
    return None


def _json_problem(value: Any, depth: int = 0) -> str | None:
    """Return what makes ``value`` not plain JSON data within the limits, in words, or None.

    The answer completes a sentence such as "the answer to m01-x holds a value that …".
    """
    if depth > MAX_DEPTH:
        return f"is nested more than {MAX_DEPTH} levels deep"
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if -MAX_INT <= value <= MAX_INT:
            return None
        return (
            f"has an integer of {digits(value):,} digits, "
            "larger than any number the format allows (about 1.8e308)"
        )
    if isinstance(value, _Oversized):
        return (
            f"has an integer of {value.digits:,} digits, "
            "larger than any number the format allows (about 1.8e308)"
        )
    if isinstance(value, float):
        return None if math.isfinite(value) else "has a number that is not finite (NaN or infinity)"
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, list):
        if len(value) > MAX_ENTRIES:
            return f"has a list of {len(value):,} entries, over the {MAX_ENTRIES}-entry limit"
        for entry in value:
            problem = _json_problem(entry, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        if len(value) > MAX_ENTRIES:
            return f"has an object of {len(value):,} entries, over the {MAX_ENTRIES}-entry limit"
        for name, entry in value.items():
            if not isinstance(name, str):
                return f"has an object key that is not text ({short_repr(name)})"
            problem = _text_problem(name) or _json_problem(entry, depth + 1)
            if problem:
                return problem
        return None
    return f"holds a Python {type(value).__name__}, which is not JSON data"


def _valid_item_id(item_id: Any) -> bool:
    return (
        isinstance(item_id, str)
        and 0 < len(item_id) <= MAX_ID_LENGTH
        and not _SURROGATE.search(item_id)
    )


def _history_problem(history: Any) -> str | None:
    """Return what is wrong with a record's history, in words, or None."""
    if not isinstance(history, list):
        return f"is {short_repr(history)}, not a list"
    if len(history) > MAX_ENTRIES:
        return f"has {len(history):,} entries, over the {MAX_ENTRIES}-entry limit"
    for entry in history:
        # An entry {"value": …, "saved_at": …} is checked one level up, so that its
        # value may nest as deeply as the value it once was.
        problem = _json_problem(entry, -1 if isinstance(entry, dict) else 0)
        if problem:
            return problem
    return None


def validate_record(item_id: Any, record: Any) -> list[str]:
    """Return the problems with one answer record (an empty list if it is valid).

    Every field of the record, known or not, must be plain JSON data within
    the format's limits (:data:`MAX_DEPTH`, :data:`MAX_ENTRIES`,
    :data:`MAX_TEXT`, :data:`MAX_INT`, no NaN or infinity, valid Unicode).
    Each problem is a sentence naming the item id. Never raises.
    """
    if not _valid_item_id(item_id):
        return [f"answer key {short_repr(item_id)} is not a valid item id"]
    if not isinstance(record, Mapping):
        return [f"answer to {item_id} is not an object but {short_repr(record)}"]
    problems: list[str] = []
    if len(record) > MAX_ENTRIES:
        return [f"answer to {item_id} has {len(record):,} fields, over the {MAX_ENTRIES} limit"]
    if "value" not in record:
        problems.append(f"answer to {item_id} has no value")
    kind = record.get("kind")
    if not isinstance(kind, str) or get_kind(kind) is None:
        problems.append(f"answer to {item_id} has an unknown kind {short_repr(kind)}")
    if not isinstance(record.get("saved_at"), str):
        problems.append(f"answer to {item_id} has no saved_at time")
    revision = record.get("revision", 1)
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 1:
        problems.append(f"answer to {item_id} has an invalid revision {short_repr(revision)}")
    history_problem = _history_problem(record.get("history", []))
    if history_problem:
        problems.append(f"answer to {item_id} has an invalid history: it {history_problem}")
    for name, field_value in record.items():
        if not isinstance(name, str) or _text_problem(name):
            problems.append(
                f"answer to {item_id} has a field name that is not valid text ({short_repr(name)})"
            )
            continue
        problem = None if name == "history" else _json_problem(field_value)
        if problem and name == "value":
            problems.append(f"answer to {item_id} holds a value that {problem}")
        elif problem:
            problems.append(f"answer to {item_id} has a field {short_repr(name)} that {problem}")
    return problems


_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _nesting(raw: bytes, limit: int) -> int:
    """Return how deeply lists and objects nest in raw JSON, counting no further than ``limit + 1``.

    Brackets inside strings are not counted. The count runs without
    recursion, before the JSON parser (which recurses) ever sees the text.
    """
    brackets = _STRINGS.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


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
        raw = path.read_bytes()
    except OSError as exc:
        result.unreadable = True
        result.problems.append(f"the answers file could not be read ({exc.strerror})")
        return result
    depth = _nesting(raw, MAX_FILE_DEPTH)
    if depth > MAX_FILE_DEPTH:
        result.unreadable = True
        result.problems.append(
            f"the answers file nests lists or objects more than {MAX_FILE_DEPTH} levels deep, "
            "so it was not read"
        )
        return result
    try:
        # Integers are only checked one by one (slower) when the file has a long one.
        parse_int = _parse_int if _LONG_DIGITS.search(raw) else None
        data = json.loads(raw.decode("utf-8"), parse_int=parse_int)
    except (UnicodeDecodeError, ValueError) as exc:
        result.unreadable = True
        reason = str(exc) if len(str(exc)) <= 200 else str(exc)[:197] + "..."
        result.problems.append(f"the answers file is not valid JSON ({reason})")
        return result
    except RecursionError:  # not expected after the depth check; never let it escape
        result.unreadable = True
        result.problems.append("the answers file nests lists or objects too deeply to be read")
        return result
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        result.unreadable = True
        result.problems.append("the answers file is not a Claims & Evidence answers file")
        return result
    version = data.get("version")
    if isinstance(version, bool) or version != VERSION:
        result.unreadable = True
        result.problems.append(
            f"the answers file has format version {short_repr(version)}; "
            f"this course reads version {VERSION}"
        )
        return result
    name = data.get("notebook")
    result.notebook = name if isinstance(name, str) and _text_problem(name) is None else None
    if notebook is not None and result.notebook != notebook:
        result.unreadable = True
        result.problems.append(
            f"the answers file belongs to notebook {short_repr(name)}, not {notebook!r}"
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
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
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
        self.problems.append(
            "Some of your saved answers could not be read, so a copy of your answers file "
            f"was kept as {target.name} before saving. Nothing was deleted: your instructor "
            "can recover those answers from that file."
        )
        return target

    def _set_aside_unreadable(self) -> Path:
        target = self._aside_path()
        os.replace(self.path, target)
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
            How many earlier values to keep; None keeps them all, up to the
            format's :data:`MAX_ENTRIES` (older ones are then dropped).

        Returns
        -------
        dict
            A copy of the new record.

        Raises
        ------
        ValueError
            If ``kind`` is unknown, ``item_id`` is not a valid id, or ``value``
            or a field of ``extra`` is not plain JSON data within the limits;
            nothing is written then.

        Notes
        -----
        The fields the kind carries (:meth:`course.kinds.ItemKind.carry`) are
        stored on every later revision, whatever ``keep_history`` cuts and
        whatever ``extra`` holds. A forecast carries its first locked value
        (:func:`course.forecasts.first_locked` of the previous record, or of
        this one if it is the first lock) as ``first_locked``: the first lock
        counts for good.
        """
        item_kind = get_kind(kind) if isinstance(kind, str) else None
        if item_kind is None:
            raise ValueError(f"Unknown item kind {kind!r}; expected one of {', '.join(kinds())}.")
        if not _valid_item_id(item_id):
            raise ValueError(
                f"Invalid item id {short_repr(item_id)}: give a non-empty id of at most "
                f"{MAX_ID_LENGTH} characters."
            )
        problem = _json_problem(value)
        if problem:
            raise ValueError(
                f"The answer to {item_id} must be plain JSON data, not {short_repr(value)}: "
                f"it {problem}."
            )
        for name, field_value in (extra or {}).items():
            problem = _json_problem({name: field_value}, depth=-1)
            if problem:
                raise ValueError(
                    f"The field {short_repr(name)} stored with the answer to {item_id} must be "
                    f"plain JSON data: it {problem}."
                )
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
                history = history[-MAX_ENTRIES:]  # never more than the format allows
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
            # Fields the kind carries onto every later revision (a forecast's first
            # lock) are set last: neither ``extra`` nor a cut history replaces them.
            record.update(item_kind.carry(previous, record))
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
