"""Freeze a submission's answers before any student code runs.

The snapshot is a grader-side copy of the answers file taken from
``submitted/<student>/<module>/`` (never written to) into
``<course>/grading/snapshots/<student>/<module>/``:

- ``<notebook>.answers.json``, the copy (absent if nothing usable was submitted);
- ``<notebook>.snapshot.json``, its record: when it was taken, nbgrader's
  ``timestamp.txt`` of the collected submission, the submitted file's SHA-256
  and size, and why the file was refused, if it was.

A hash of both is held outside the snapshot folder, in
``<course>/grading/hashes/<student>/<module>/<notebook>.json``. A later grading
run of the same collected submission (same ``timestamp.txt``) reuses the
stored copy, without rewriting it, so a student's code that rewrote
``submitted/`` during an earlier run cannot change a later score either; a
stored copy or record that no longer matches its held hash (or has none) is
reported and taken again from the submission.

The answers file is read without following a symbolic link, only if it is a
regular file with a single name (hard link), and never beyond
:data:`~course.answers.MAX_BYTES`; otherwise every item scores 0 with a
message naming the file and why it was not read.
"""

from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..answers import MAX_BYTES, ReadResult, answers_filename, read_answers
from ..paths import CourseFolder

__all__ = [
    "HASH_FORMAT",
    "HASH_VERSION",
    "TAKEN_AGAIN",
    "Snapshot",
    "hash_path",
    "snapshot_dir",
    "take_snapshot",
]

HASH_FORMAT = "claims-and-evidence/snapshot-hash"
HASH_VERSION = 1
#: The problem reported when a stored snapshot no longer matches its held hash.
TAKEN_AGAIN = (
    "the grader's stored copy of your answers was changed after it was taken; "
    "it was taken again from the submission"
)
#: Records (``*.snapshot.json``, held hashes, ``timestamp.txt``) larger than this are not read.
_RECORD_MAX_BYTES = 64 * 1024
_MAX_SIZE = 1 << 62
_HEX = frozenset("0123456789abcdef")
_KINDS = {
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
}


@dataclass
class Snapshot:
    """The answers the grader will score, and what it noticed while reading them."""

    student: str
    assignment: str
    notebook: str
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unreadable: bool = False
    exists: bool = False
    reused: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the snapshot as JSON-ready data."""
        return {
            "student": self.student,
            "assignment": self.assignment,
            "notebook": self.notebook,
            "answers": self.answers,
            "problems": self.problems,
            "unreadable": self.unreadable,
            "exists": self.exists,
            "reused": self.reused,
        }


def snapshot_dir(root: str | Path, student: str, assignment: str) -> Path:
    """Return the folder holding one submission's snapshots."""
    return CourseFolder(root).snapshots(student, assignment)


def hash_path(root: str | Path, student: str, assignment: str, notebook: str) -> Path:
    """Return where the hash of one notebook's snapshot is held (outside ``snapshots/``)."""
    return CourseFolder(root).hashes_file(student, assignment, notebook)


@dataclass
class _Found:
    """A file as the grader found it: its bytes, or why it was not read."""

    exists: bool = False
    size: int | None = None
    sha256: str | None = None
    data: bytes | None = None  # None if missing, refused or over the limit
    refused: str | None = None


def _read_file(path: Path, limit: int, *, what: str, single_link: bool = False) -> _Found:
    """Read ``path`` without following a link or blocking, through one descriptor.

    Only a regular file (with one name if ``single_link``) is read, and at most
    ``limit`` bytes of it; ``what`` names the file in the reason for a refusal.
    """
    name = f"{what} {path.name}"
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        return _Found()
    except OSError as exc:
        return _Found(exists=True, refused=f"{name} could not be read ({exc.strerror})")
    if stat.S_ISLNK(before.st_mode):
        return _Found(exists=True, refused=f"{name} is a symbolic link; it was not followed")
    if not stat.S_ISREG(before.st_mode):
        kind = _KINDS.get(stat.S_IFMT(before.st_mode), "not a regular file")
        return _Found(exists=True, refused=f"{name} is {kind}, not a regular file; it was not read")
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)  # POSIX
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return _Found()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _Found(exists=True, refused=f"{name} is a symbolic link; it was not followed")
        return _Found(exists=True, refused=f"{name} could not be read ({exc.strerror})")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (
            before.st_dev,
            before.st_ino,
        ):
            return _Found(
                exists=True, refused=f"{name} was replaced while it was being read; it was not read"
            )
        if single_link and info.st_nlink > 1:
            return _Found(
                exists=True,
                refused=(
                    f"{name} has {info.st_nlink} hard links (other names for the same file); "
                    "it was not read"
                ),
            )
        if info.st_size > limit:
            return _Found(exists=True, size=info.st_size)
        chunks, total = [], 0
        while chunk := os.read(fd, min(1 << 16, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                return _Found(exists=True, size=max(info.st_size, total))
        data = b"".join(chunks)
    except OSError as exc:
        return _Found(exists=True, refused=f"{name} could not be read ({exc.strerror})")
    finally:
        os.close(fd)
    return _Found(exists=True, size=len(data), sha256=_sha256(data), data=data)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_sha256(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _optional(value: Any, kind: type) -> bool:
    return value is None or isinstance(value, kind)


def _load_json(data: bytes | None) -> Any:
    """Return the JSON value of ``data``, or None if there is none (never raises)."""
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _valid_meta(meta: Any) -> bool:
    if not isinstance(meta, dict):
        return False
    size = meta.get("size")
    return (
        _optional(meta.get("submitted_timestamp"), str)
        and (meta.get("sha256") is None or _is_sha256(meta.get("sha256")))
        and _optional(meta.get("refused"), str)
        and (size is None or (type(size) is int and 0 <= size <= _MAX_SIZE))
    )


def _valid_held(held: Any) -> bool:
    return (
        isinstance(held, dict)
        and held.get("format") == HASH_FORMAT
        and held.get("version") == HASH_VERSION
        and _is_sha256(held.get("meta_sha256"))
        and (held.get("copy_sha256") is None or _is_sha256(held.get("copy_sha256")))
    )


def _timestamp(submitted: Path) -> str | None:
    found = _read_file(submitted / "timestamp.txt", _RECORD_MAX_BYTES, what="timestamp")
    if found.data is None:
        return None
    return found.data.decode("utf-8", errors="replace").strip() or None


@dataclass
class _Stored:
    """A snapshot stored by an earlier run, checked against its held hash."""

    meta: dict[str, Any] | None = None  # the record, if it matches the held hash
    copy: bytes | None = None
    mismatch: str = ""  # why it cannot be reused ("" if it can)
    held: bool = False  # whether a hash record exists at all
    stamp: str | None = None  # the record's timestamp.txt, read even if unverified
    parsed: bool = False  # whether the record is well-formed


def _stored(copy: Path, meta_path: Path, held_path: Path) -> _Stored | None:
    """Return the stored snapshot checked against its held hash (None if there is none)."""
    if not any(os.path.lexists(p) for p in (copy, meta_path, held_path)):
        return None
    held = _load_json(_read_file(held_path, _RECORD_MAX_BYTES, what="hash").data)
    meta_found = _read_file(meta_path, _RECORD_MAX_BYTES, what="record")
    meta = _load_json(meta_found.data)
    out = _Stored(held=os.path.lexists(held_path), parsed=_valid_meta(meta))
    if out.parsed:
        out.stamp = meta.get("submitted_timestamp")
    if not _valid_held(held):
        out.mismatch = "no hash of it is held" if not out.held else "its held hash is unreadable"
    elif meta_found.data is None or meta_found.sha256 != held["meta_sha256"]:
        out.mismatch = "its record does not match the hash held for it"
    elif not out.parsed:
        out.mismatch = "its record is malformed"
    elif held["copy_sha256"] is None:
        if os.path.lexists(copy):
            out.mismatch = "a copy is present where none was taken"
    else:
        found = _read_file(copy, MAX_BYTES, what="copy")
        if found.data is None or found.sha256 != held["copy_sha256"]:
            out.mismatch = "the copy does not match the hash held for it"
        out.copy = found.data
    if not out.mismatch:
        out.meta = meta
    return out


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` beside ``path`` and rename it over ``path`` (never through a link)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    _remove(tmp)
    try:
        with tmp.open("xb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _store(
    copy: Path, meta_path: Path, held_path: Path, stamp: str | None, found: _Found
) -> tuple[dict[str, Any], bytes | None]:
    """Write a new copy, its record and its held hash; return the record and the copy."""
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    data = found.data if found.refused is None else None
    if data is not None:
        _write_atomic(copy, data)
    else:
        _remove(copy)
    meta = {
        "taken_at": now,
        "submitted_timestamp": stamp,
        "sha256": found.sha256,
        "size": found.size,
        "refused": found.refused,
    }
    meta_bytes = json.dumps(meta, indent=1).encode("utf-8")
    _write_atomic(meta_path, meta_bytes)
    held = {
        "format": HASH_FORMAT,
        "version": HASH_VERSION,
        "taken_at": now,
        "meta_sha256": _sha256(meta_bytes),
        "copy_sha256": _sha256(data) if data is not None else None,
    }
    held_path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(held_path, json.dumps(held, indent=1).encode("utf-8"))
    return meta, data


def _parse_answers(data: bytes, notebook: str) -> ReadResult:
    """Read answers from exactly these bytes (never from a file that could change)."""
    with tempfile.TemporaryDirectory(prefix="course-snapshot-") as folder:
        path = Path(folder) / "answers.json"
        path.write_bytes(data)
        try:
            return read_answers(path, notebook=notebook)
        except RecursionError:
            result = ReadResult(exists=True, unreadable=True)
            result.problems.append("the answers file is not valid JSON (nested too deeply)")
            return result


def _fill(snap: Snapshot, meta: dict[str, Any], data: bytes | None) -> Snapshot:
    refused, size = meta.get("refused"), meta.get("size")
    if refused:
        snap.exists = snap.unreadable = True
        snap.problems.append(refused)
        return snap
    if size is None:
        return snap  # nothing submitted: every item unanswered
    snap.exists = True
    if data is None:
        snap.unreadable = True
        snap.problems.append(
            f"the answers file is {size:,} bytes, over the {MAX_BYTES:,}-byte limit, "
            "so it was not read"
            if size > MAX_BYTES
            else "the answers file could not be read"
        )
        return snap
    result = _parse_answers(data, snap.notebook)
    snap.answers = result.answers
    snap.problems.extend(result.problems)
    snap.unreadable = result.unreadable
    return snap


def take_snapshot(
    root: str | Path,
    submitted: str | Path,
    student: str,
    assignment: str,
    notebook: str,
    *,
    refresh: bool = False,
) -> Snapshot:
    """Snapshot one notebook's answers file from a submission folder.

    Parameters
    ----------
    root : path-like
        The nbgrader course root; snapshots go under ``root/grading/snapshots/``
        and their hashes under ``root/grading/hashes/``.
    submitted : path-like
        ``submitted/<student>/<assignment>/``; only read.
    refresh : bool, default False
        Take a new copy even if one exists for the same collected submission.

    Returns
    -------
    Snapshot
        The answers to score. Never raises for bad student data or a damaged
        stored snapshot: what went wrong is in ``problems``.
    """
    submitted = Path(submitted)
    store = snapshot_dir(root, student, assignment)
    store.mkdir(parents=True, exist_ok=True)
    copy = store / answers_filename(notebook).lstrip(".")
    meta_path = store / f"{notebook}.snapshot.json"
    held_path = hash_path(root, student, assignment, notebook)
    stamp = _timestamp(submitted)
    found = _read_file(
        submitted / answers_filename(notebook), MAX_BYTES, what="the answers file", single_link=True
    )
    snap = Snapshot(student=student, assignment=assignment, notebook=notebook)

    stored = None if refresh else _stored(copy, meta_path, held_path)
    if stamp is None and stored is not None and stored.meta is not None:
        # No timestamp.txt (an LMS upload): nothing says which collection a stored snapshot
        # belongs to, so it is reused only while the submission still holds the same bytes,
        # and is left untouched then.
        same = (
            stored.meta.get("submitted_timestamp") is None
            and stored.meta.get("sha256") == found.sha256
            and stored.meta.get("size") == found.size
            and stored.meta.get("refused") == found.refused
        )
        if same:
            snap.reused = True
            return _fill(snap, stored.meta, stored.copy)
        stored = None
    if stored is not None:
        if stored.meta is not None and stored.meta.get("submitted_timestamp") == stamp:
            snap.reused = True
            if stored.meta.get("sha256") != found.sha256:
                snap.problems.append(
                    "the answers file in submitted/ changed after it was first graded; "
                    "the copy taken at first grading was used"
                )
            return _fill(snap, stored.meta, stored.copy)
        # A stored copy of an earlier collection, without a held hash, is simply replaced.
        earlier = not stored.held and stored.parsed and stored.stamp != stamp
        if stored.mismatch and not earlier:
            snap.problems.append(f"{TAKEN_AGAIN} ({stored.mismatch})")
    meta, data = _store(copy, meta_path, held_path, stamp, found)
    return _fill(snap, meta, data)
