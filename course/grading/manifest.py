"""The key manifest: the SHA-256 of every answer key, as the instructor last recorded it.

``course init`` writes ``autograde/keys.manifest.json`` (next to the key folder
``autograde/keys/``) for the keys it copies in, and ``course keys DIR --update``
refreshes it after a deliberate edit; nothing else writes it. Grading refuses
a key whose bytes do not match the manifest: ``course grade`` checks the keys
of every module it is about to grade before grading anyone
(:func:`verify_keys`), and ``SnapshotAnswers`` checks the key again, from the
very bytes it then scores with, before each student's kernel starts
(:func:`verified_key`). A key changed by anything else (code in a student's
notebook run during an earlier grading, say) therefore never counts silently.

Format::

    {
      "format": "claims-and-evidence/keys-manifest",
      "version": 1,
      "written_at": "2026-11-24T10:00:00+00:00",
      "written_by": "course init (claims-and-evidence 0.1.0)",
      "keys": {
        "01-close-reading.yaml": {
          "sha256": "<64 hex digits>",
          "size": 5120,
          "recorded_at": "2026-11-24T10:00:00+00:00",
          "recorded_by": "course init (claims-and-evidence 0.1.0)"
        }
      }
    }
"""

from __future__ import annotations

import datetime as _dt
import enum
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..paths import CourseFolder

__all__ = [
    "MANIFEST_FORMAT",
    "MANIFEST_VERSION",
    "KeyEntry",
    "KeyManifest",
    "KeyManifestError",
    "KeyState",
    "KeyStatus",
    "VerifiedKey",
    "course_keys_dir",
    "key_states",
    "manifest_path",
    "read_key_bytes",
    "read_manifest",
    "update_manifest",
    "verified_key",
    "verify_keys",
    "write_keys",
]

MANIFEST_FORMAT = "claims-and-evidence/keys-manifest"
MANIFEST_VERSION = 1
#: Larger key files are refused unread (the course's keys are a few KiB).
KEY_MAX_BYTES = 4_000_000
#: Larger manifests are refused unread.
MANIFEST_MAX_BYTES = 4_000_000

_SHA256 = re.compile(r"[0-9a-f]{64}")
_KEY_NAME = re.compile(r"[^/\\]+\.yaml")


class KeyManifestError(RuntimeError):
    """Raise when the answer keys cannot be trusted: a key does not match the manifest,
    or there is no readable manifest to check them against.

    Attributes
    ----------
    problem : str
        What is wrong; names every file concerned.
    hint : str
        What the instructor should do next.
    """

    def __init__(self, problem: str, hint: str) -> None:
        super().__init__(f"{problem} What to do: {hint}")
        self.problem = problem
        self.hint = hint


class KeyState(enum.StrEnum):
    """How a key file compares with the manifest."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    NEW = "new"  # the manifest does not list this key file
    UNRECORDED = "missing from manifest"  # there is no manifest at all
    DELETED = "deleted"  # the manifest lists a key file that is gone


@dataclass(frozen=True)
class KeyEntry:
    """What the manifest records about one key file."""

    sha256: str
    size: int
    recorded_at: str = ""
    recorded_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as JSON-ready data."""
        return {
            "sha256": self.sha256,
            "size": self.size,
            "recorded_at": self.recorded_at,
            "recorded_by": self.recorded_by,
        }


@dataclass
class KeyManifest:
    """The manifest of a key folder: key file name -> :class:`KeyEntry`."""

    keys: dict[str, KeyEntry] = field(default_factory=dict)
    written_at: str = ""
    written_by: str = ""

    def to_json(self) -> str:
        """Return the manifest file's text."""
        data = {
            "format": MANIFEST_FORMAT,
            "version": MANIFEST_VERSION,
            "written_at": self.written_at,
            "written_by": self.written_by,
            "keys": {name: self.keys[name].to_dict() for name in sorted(self.keys)},
        }
        return json.dumps(data, indent=1) + "\n"


@dataclass(frozen=True)
class KeyStatus:
    """One key file's state against the manifest."""

    module: str
    path: Path
    state: KeyState
    sha256: str | None = None  # of the file now (None if it is gone)
    size: int | None = None
    recorded: KeyEntry | None = None

    def describe(self, manifest: Path) -> str:
        """Return one sentence saying what is wrong with this key (or that nothing is)."""
        if self.state is KeyState.UNCHANGED:
            return f"The answer key {self.path} matches the key manifest."
        if self.state is KeyState.CHANGED and self.recorded is not None:
            recorded = self.recorded
            when = f" by {recorded.recorded_by}" if recorded.recorded_by else ""
            when += f" at {recorded.recorded_at}" if recorded.recorded_at else ""
            return (
                f"The answer key {self.path} was changed after the key manifest {manifest} "
                f"recorded it (SHA-256 now {str(self.sha256)[:12]}…, "
                f"recorded {recorded.sha256[:12]}…{when})."
            )
        if self.state is KeyState.NEW:
            return f"The answer key {self.path} is not recorded in the key manifest {manifest}."
        if self.state is KeyState.DELETED:
            return (
                f"The answer key {self.path} is recorded in the key manifest {manifest}, "
                "but the file is gone."
            )
        return f"The answer key {self.path} cannot be checked: there is no key manifest {manifest}."


@dataclass(frozen=True)
class VerifiedKey:
    """A module's key bytes, read once and checked against the manifest."""

    module: str
    path: Path
    data: bytes | None  # None: the module has no key (and the manifest lists none)
    sha256: str | None


def manifest_path(keys_dir: str | Path) -> Path:
    """Return the manifest of a key folder: ``<keys_dir>.manifest.json`` beside it."""
    keys_dir = Path(keys_dir)
    return keys_dir.with_name(keys_dir.name + ".manifest.json")


def course_keys_dir(course_dir: str | Path) -> Path:
    """Return the key folder the course's ``nbgrader_config.py`` grades with.

    That is ``ScoreAnswers.keys_dir`` if the configuration sets it, else
    ``<course>/autograde/keys``.
    """
    from ..gradebook import course_config

    course_dir = Path(course_dir)
    try:
        configured = course_config(course_dir).ScoreAnswers.get("keys_dir")
    except Exception:  # an unloadable config is reported by nbgrader itself
        configured = None
    return CourseFolder(course_dir, configured).keys_dir


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _writer(by: str) -> str:
    from .. import __version__

    return f"{by} (claims-and-evidence {__version__})"


def _read_regular(path: Path, limit: int) -> bytes | None:
    """Return a regular file's bytes (None if it does not exist); raise OSError otherwise.

    Opened without blocking (a FIFO cannot stall grading) and checked to be a
    regular file no larger than ``limit`` before it is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path} is not a regular file")
        if info.st_size > limit:
            raise OSError(f"{path} is {info.st_size:,} bytes, over the {limit:,}-byte limit")
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise OSError(f"{path} is over the {limit:,}-byte limit")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_key_bytes(path: str | Path) -> bytes | None:
    """Return the bytes of a key file, or None if it does not exist.

    Raises
    ------
    KeyManifestError
        If the file is not a regular file, is too large or cannot be read.
    """
    path = Path(path)
    try:
        return _read_regular(path, KEY_MAX_BYTES)
    except OSError as exc:
        raise KeyManifestError(
            f"The answer key {path} could not be read ({exc.strerror or exc}).",
            "Replace it with the key file from your copy of the course's keys, "
            "then record it with `course keys DIR --update`.",
        ) from exc


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _corrupt(path: Path, why: str, course_dir: str | Path | None = None) -> KeyManifestError:
    where = course_dir if course_dir is not None else "DIR"
    return KeyManifestError(
        f"The key manifest {path} is not usable ({why}).",
        "Nothing but `course init` and `course keys --update` writes it, so something else "
        "changed it: check that the keys are the ones you mean to grade with, then record "
        f"them again with `course keys {where} --update`.",
    )


def _entry(name: str, raw: Any) -> KeyEntry | None:
    if not isinstance(name, str) or not _KEY_NAME.fullmatch(name) or not isinstance(raw, dict):
        return None
    sha, size = raw.get("sha256"), raw.get("size")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        return None
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= KEY_MAX_BYTES:
        return None
    at, by = raw.get("recorded_at", ""), raw.get("recorded_by", "")
    return KeyEntry(
        sha256=sha,
        size=size,
        recorded_at=at if isinstance(at, str) else "",
        recorded_by=by if isinstance(by, str) else "",
    )


def read_manifest(
    keys_dir: str | Path, *, course_dir: str | Path | None = None
) -> KeyManifest | None:
    """Return the manifest of ``keys_dir``, or None if there is none.

    Raises
    ------
    KeyManifestError
        If the manifest exists but is not a well-formed key manifest.
    """
    path = manifest_path(keys_dir)
    try:
        data = _read_regular(path, MANIFEST_MAX_BYTES)
    except OSError as exc:
        raise _corrupt(path, str(exc.strerror or exc), course_dir) from exc
    if data is None:
        return None
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _corrupt(path, "not valid JSON", course_dir) from exc
    if (
        not isinstance(raw, dict)
        or raw.get("format") != MANIFEST_FORMAT
        or raw.get("version") != MANIFEST_VERSION
        or not isinstance(raw.get("keys"), dict)
    ):
        raise _corrupt(
            path, f"not a {MANIFEST_FORMAT} file, version {MANIFEST_VERSION}", course_dir
        )
    keys = {}
    for name, value in raw["keys"].items():
        entry = _entry(name, value)
        if entry is None:
            raise _corrupt(path, f"the entry {str(name)[:80]!r} is malformed", course_dir)
        keys[name] = entry
    at, by = raw.get("written_at", ""), raw.get("written_by", "")
    return KeyManifest(
        keys=keys,
        written_at=at if isinstance(at, str) else "",
        written_by=by if isinstance(by, str) else "",
    )


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_manifest(keys_dir: Path, manifest: KeyManifest, by: str) -> Path:
    manifest.written_at, manifest.written_by = _now(), by
    path = manifest_path(keys_dir)
    _write_atomic(path, manifest.to_json().encode("utf-8"))
    return path


def write_keys(keys_dir: str | Path, files: Mapping[str, bytes], *, by: str) -> Path:
    """Write key files into ``keys_dir`` and record exactly those bytes in the manifest.

    Entries of other keys already in the manifest are kept. Used by ``course init``.

    Parameters
    ----------
    keys_dir : path-like
        The course's key folder (created if needed).
    files : mapping of str to bytes
        Key file name (``<module>.yaml``) -> its contents.
    by : str
        What is writing, e.g. ``"course init"``.

    Returns
    -------
    Path
        The manifest file.
    """
    keys_dir = Path(keys_dir)
    keys_dir.mkdir(parents=True, exist_ok=True)
    try:
        manifest = read_manifest(keys_dir) or KeyManifest()
    except KeyManifestError:
        manifest = KeyManifest()  # unusable: start again from the keys written now
    writer, now = _writer(by), _now()
    for name, data in files.items():
        if not _KEY_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a key file name (<module>.yaml)")
        _write_atomic(keys_dir / name, data)
        manifest.keys[name] = KeyEntry(_sha256(data), len(data), now, writer)
    return _write_manifest(keys_dir, manifest, writer)


def _status(
    keys_dir: Path, name: str, manifest: KeyManifest | None, data: bytes | None
) -> KeyStatus:
    module, path = name.removesuffix(".yaml"), keys_dir / name
    recorded = manifest.keys.get(name) if manifest is not None else None
    if data is None:
        return KeyStatus(module, path, KeyState.DELETED, recorded=recorded)
    sha, size = _sha256(data), len(data)
    if manifest is None:
        state = KeyState.UNRECORDED
    elif recorded is None:
        state = KeyState.NEW
    else:
        state = KeyState.UNCHANGED if recorded.sha256 == sha else KeyState.CHANGED
    return KeyStatus(module, path, state, sha, size, recorded)


def _states(
    keys_dir: Path, manifest: KeyManifest | None, modules: Iterable[str] | None
) -> list[KeyStatus]:
    present = {p.name for p in keys_dir.glob("*.yaml")} if keys_dir.is_dir() else set()
    names = present | set(manifest.keys if manifest is not None else ())
    if modules is not None:
        names &= {f"{m}.yaml" for m in modules}
    return [
        _status(keys_dir, name, manifest, read_key_bytes(keys_dir / name)) for name in sorted(names)
    ]


def key_states(
    keys_dir: str | Path,
    modules: Iterable[str] | None = None,
    *,
    course_dir: str | Path | None = None,
) -> list[KeyStatus]:
    """Return the state of every key file (or of ``modules``' keys) against the manifest.

    A module with neither a key file nor a manifest entry is left out. Without
    a manifest, every key file is :attr:`KeyState.UNRECORDED`.

    Raises
    ------
    KeyManifestError
        If the manifest or a key file cannot be read.
    """
    keys_dir = Path(keys_dir)
    return _states(keys_dir, read_manifest(keys_dir, course_dir=course_dir), modules)


def update_manifest(
    keys_dir: str | Path,
    modules: Iterable[str] | None = None,
    *,
    by: str = "course keys --update",
    course_dir: str | Path | None = None,
) -> list[KeyStatus]:
    """Record the current SHA-256 of every key (or of ``modules``' keys) in the manifest.

    A key file that is gone is dropped from the manifest.

    Returns
    -------
    list of KeyStatus
        Each chosen key's state *before* the update (what changed).

    Raises
    ------
    KeyManifestError
        If a named module has no key file and no entry, or if the manifest is
        unreadable and only some modules were named.
    """
    keys_dir = Path(keys_dir)
    chosen = list(modules) if modules else None
    try:
        manifest = read_manifest(keys_dir)
    except KeyManifestError as exc:
        if chosen:
            raise KeyManifestError(
                exc.problem,
                "Record every key at once, without module names: "
                f"`course keys {course_dir if course_dir is not None else 'DIR'} --update`.",
            ) from exc
        manifest = None
    present = {p.name for p in keys_dir.glob("*.yaml")} if keys_dir.is_dir() else set()
    known = present | set(manifest.keys if manifest is not None else ())
    if chosen:
        unknown = sorted(m for m in chosen if f"{m}.yaml" not in known)
        if unknown:
            listed = ", ".join(sorted(n.removesuffix(".yaml") for n in known)) or "none"
            raise KeyManifestError(
                f"No key file {', '.join(u + '.yaml' for u in unknown)} in {keys_dir}.",
                f"Name modules that have a key; the keys there are: {listed}.",
            )
        names = sorted(f"{m}.yaml" for m in set(chosen))
    else:
        names = sorted(known)
    writer, now = _writer(by), _now()
    updated = KeyManifest(keys=dict(manifest.keys) if manifest is not None else {})
    before = []
    for name in names:
        data = read_key_bytes(keys_dir / name)
        before.append(_status(keys_dir, name, manifest, data))
        if data is None:
            updated.keys.pop(name, None)
        elif before[-1].state is not KeyState.UNCHANGED:
            updated.keys[name] = KeyEntry(_sha256(data), len(data), now, writer)
    keys_dir.parent.mkdir(parents=True, exist_ok=True)
    _write_manifest(keys_dir, updated, writer)
    return before


def _refusal(statuses: list[KeyStatus], keys_dir: Path, course_dir: str | Path) -> KeyManifestError:
    """Return the refusal of ``course grade``, naming every key file concerned."""
    manifest = manifest_path(keys_dir)
    modules = " ".join(s.module for s in statuses)
    if any(s.state is KeyState.UNRECORDED for s in statuses):
        return KeyManifestError(
            f"There is no key manifest {manifest}, so the answer keys in {keys_dir} cannot be "
            "checked for changes (the course folder was made before keys were fingerprinted). "
            "Nobody was graded.",
            f"Check that the keys in {keys_dir} are the ones you mean to grade with, record "
            f"them with `course keys {course_dir} --update`, then run `course grade "
            f"{course_dir}` again.",
        )
    return KeyManifestError(
        " ".join(s.describe(manifest) for s in statuses) + " Nobody was graded.",
        f"If you changed the key on purpose, record it with `course keys {course_dir} "
        f"--update {modules}`, then run `course grade {course_dir} --force` to re-score "
        "students graded with the old key. If you did not, restore the key from your copy "
        f"of the course's keys (`course init {course_dir} {modules}` copies it again from the "
        "repository, or from --keys) and find out what changed it: when grading runs without "
        "the sandbox, code in a student's notebook can write to the course folder.",
    )


def verify_keys(
    course_dir: str | Path, modules: Iterable[str], *, keys_dir: str | Path | None = None
) -> None:
    """Refuse to go on if the key of any of ``modules`` does not match the manifest.

    Called by ``course grade`` before anyone is graded. A module with no key
    file and no manifest entry passes (its items score 0, reported as having
    no key).

    Raises
    ------
    KeyManifestError
        If there is no usable manifest, or a key is changed, new or deleted;
        the message names every such file.
    """
    keys_dir = Path(keys_dir) if keys_dir is not None else course_keys_dir(course_dir)
    manifest = read_manifest(keys_dir, course_dir=course_dir)
    if manifest is None:
        unrecorded = KeyStatus("", keys_dir, KeyState.UNRECORDED)
        raise _refusal([unrecorded], keys_dir, course_dir)
    bad = [s for s in _states(keys_dir, manifest, modules) if s.state is not KeyState.UNCHANGED]
    if bad:
        raise _refusal(bad, keys_dir, course_dir)


def _shown(path: Path, course_dir: str | Path) -> str:
    """Return ``path`` relative to the course folder when it is inside it."""
    try:
        return str(path.relative_to(course_dir))
    except ValueError:
        return str(path)


def _pipeline_refusal(
    status: KeyStatus, keys_dir: Path, course_dir: str | Path
) -> KeyManifestError:
    """Return a short refusal for one submission (nbgrader's log keeps only a line of it)."""
    key = _shown(status.path, course_dir)
    what = {
        KeyState.CHANGED: f"the answer key {key} was changed after the key manifest recorded it",
        KeyState.NEW: f"the answer key {key} is not in the key manifest",
        KeyState.DELETED: f"the answer key {key} is in the key manifest but the file is gone",
    }.get(
        status.state,
        f"there is no key manifest {_shown(manifest_path(keys_dir), course_dir)} to check "
        f"the answer key {key} against",
    )
    return KeyManifestError(
        f"Not graded: {what}.",
        f"Run `course keys {course_dir}` (with `--update {status.module}` if the change is yours).",
    )


def verified_key(course_dir: str | Path, keys_dir: str | Path, module: str) -> VerifiedKey:
    """Read ``module``'s key once and check those bytes against the manifest.

    Used by ``SnapshotAnswers`` before the student's kernel starts; the bytes
    returned are the ones scored with. A module with no key file and no
    manifest entry gets ``data=None``.

    Raises
    ------
    KeyManifestError
        If there is no usable manifest, or the key's bytes do not match it;
        the message names the key file and the command to run.
    """
    keys_dir = Path(keys_dir)
    name = f"{module}.yaml"
    manifest = read_manifest(keys_dir, course_dir=course_dir)
    data = read_key_bytes(keys_dir / name)
    if manifest is None:
        unrecorded = KeyStatus(module, keys_dir / name, KeyState.UNRECORDED)
        raise _pipeline_refusal(unrecorded, keys_dir, course_dir)
    if data is None and name not in manifest.keys:
        return VerifiedKey(module, keys_dir / name, None, None)
    status = _status(keys_dir, name, manifest, data)
    if status.state is not KeyState.UNCHANGED:
        raise _pipeline_refusal(status, keys_dir, course_dir)
    return VerifiedKey(module, keys_dir / name, data, status.sha256)
