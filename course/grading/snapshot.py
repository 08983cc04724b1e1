"""Freeze a submission's answers before any student code runs.

The snapshot is a grader-side copy of the answers file taken from
``submitted/<student>/<module>/`` (never written to) into
``<course>/grading/snapshots/<student>/<module>/``. A later grading run of the
same collected submission (same ``timestamp.txt``) reuses the stored copy, so
a student's code that rewrote ``submitted/`` during an earlier run cannot
change a later score either.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..answers import MAX_BYTES, answers_filename, read_answers

__all__ = ["Snapshot", "snapshot_dir", "take_snapshot"]


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
    return Path(root) / "grading" / "snapshots" / student / assignment


def _digest(path: Path) -> str | None:
    try:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 16), b""):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None


def _timestamp(submitted: Path) -> str | None:
    try:
        return (submitted / "timestamp.txt").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


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
        The nbgrader course root; snapshots go under ``root/grading/``.
    submitted : path-like
        ``submitted/<student>/<assignment>/``; only read.
    refresh : bool, default False
        Take a new copy even if one exists for the same collected submission.
    """
    submitted = Path(submitted)
    source = submitted / answers_filename(notebook)
    store = snapshot_dir(root, student, assignment)
    store.mkdir(parents=True, exist_ok=True)
    copy = store / answers_filename(notebook).lstrip(".")
    meta_path = store / f"{notebook}.snapshot.json"
    stamp = _timestamp(submitted)
    digest = _digest(source)
    snap = Snapshot(student=student, assignment=assignment, notebook=notebook)

    meta: dict[str, Any] | None = None
    if not refresh and stamp is not None and meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None
    if meta and meta.get("submitted_timestamp") == stamp:
        snap.reused = True
        if meta.get("sha256") != digest:
            snap.problems.append(
                "the answers file in submitted/ changed after it was first graded; "
                "the copy taken at first grading was used"
            )
    else:
        copy.unlink(missing_ok=True)
        size = source.stat().st_size if source.exists() else None
        if size is not None and size <= MAX_BYTES:
            shutil.copyfile(source, copy)
        meta = {
            "taken_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "submitted_timestamp": stamp,
            "sha256": digest,
            "size": size,
        }
        meta_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")

    size = meta.get("size")
    if size is None:
        return snap  # nothing submitted: every item unanswered
    snap.exists = True
    if size > MAX_BYTES or not copy.exists():
        snap.unreadable = True
        snap.problems.append(
            f"the answers file is {size:,} bytes, over the {MAX_BYTES:,}-byte limit, "
            "so it was not read"
        )
        return snap
    result = read_answers(copy, notebook=notebook)
    snap.answers = result.answers
    snap.problems.extend(result.problems)
    snap.unreadable = result.unreadable
    return snap
