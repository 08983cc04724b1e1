"""Find and read the course's lessons (``notebooks/*.md``) and their metadata.

Lessons are Jupytext MyST notebooks. Their front matter holds a ``course:``
block (id, title, minutes, objectives, skills, paragraphs, claims, key points,
what to check next) from which the build writes each module's header and
footer, and which ``course list`` shows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

__all__ = [
    "Lesson",
    "LessonError",
    "find_lessons",
    "load_lesson",
    "project_root",
]

_REQUIRED = ("id", "number", "title", "minutes", "objectives", "skills", "paragraphs")
_OPTIONAL = ("claims", "key_points", "next_checks")


class LessonError(ValueError):
    """Raise when a lesson file is missing or its metadata is incomplete."""


def project_root() -> Path:
    """Return the course repository root (the folder holding ``notebooks/`` and ``autograde/``).

    The ``CLAIMS_EVIDENCE_HOME`` environment variable wins; otherwise the
    folder above the ``course`` package is used when it holds the lessons,
    which is the case in a checkout (and an editable install).

    Raises
    ------
    LessonError
        If no repository is found, for example in a plain wheel install.
    """
    env = os.environ.get("CLAIMS_EVIDENCE_HOME")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parent.parent)
    for root in candidates:
        if (root / "notebooks").is_dir() and (root / "autograde").is_dir():
            return root
    raise LessonError(
        "The lessons and answer keys were not found. They live in the course repository "
        "(notebooks/ and autograde/), not in the installed package: clone the repository and "
        'run `pip install -e ".[instructor]"` there, or set CLAIMS_EVIDENCE_HOME to the '
        "repository folder."
    )


@dataclass(frozen=True)
class Lesson:
    """One module's lesson: its metadata and its notebook as authored."""

    id: str
    number: int
    title: str
    minutes: int
    objectives: tuple[str, ...]
    skills: tuple[str, ...]
    paragraphs: str
    claims: tuple[str, ...] = ()
    key_points: tuple[str, ...] = ()
    next_checks: tuple[str, ...] = ()
    path: Path | None = None
    notebook: nbformat.NotebookNode | None = field(default=None, compare=False, repr=False)

    def meta(self) -> dict[str, Any]:
        """Return the metadata as plain data."""
        return {
            "id": self.id,
            "number": self.number,
            "title": self.title,
            "minutes": self.minutes,
            "objectives": list(self.objectives),
            "skills": list(self.skills),
            "paragraphs": self.paragraphs,
            "claims": list(self.claims),
            "key_points": list(self.key_points),
            "next_checks": list(self.next_checks),
        }


def _strings(raw: Any, name: str, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        raise LessonError(f"{where}: course.{name} must be a list of non-empty strings")
    return tuple(x.strip() for x in raw)


def load_lesson(path: str | os.PathLike[str]) -> Lesson:
    """Read one lesson file and check its ``course:`` metadata."""
    path = Path(path)
    where = path.name
    import jupytext  # here, not above: it loads Jupyter's server modules

    try:
        nb = jupytext.read(path)
    except Exception as exc:  # jupytext raises several types for bad files
        raise LessonError(f"{where}: could not be read as a Jupytext notebook ({exc})") from exc
    meta = nb.metadata.get("course")
    if not isinstance(meta, dict):
        raise LessonError(f"{where}: the front matter has no 'course:' block")
    missing = [k for k in _REQUIRED if k not in meta]
    if missing:
        raise LessonError(f"{where}: course metadata lacks {', '.join(missing)}")
    unknown = set(meta) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise LessonError(f"{where}: unexpected course metadata {', '.join(sorted(unknown))}")
    if meta["id"] != path.stem:
        raise LessonError(f"{where}: course.id must be {path.stem!r} (the file's name)")
    if not isinstance(meta["minutes"], int) or meta["minutes"] <= 0:
        raise LessonError(f"{where}: course.minutes must be a positive whole number")
    return Lesson(
        id=meta["id"],
        number=int(meta["number"]),
        title=str(meta["title"]),
        minutes=int(meta["minutes"]),
        objectives=_strings(meta["objectives"], "objectives", where),
        skills=_strings(meta["skills"], "skills", where),
        paragraphs=str(meta["paragraphs"]),
        claims=_strings(meta.get("claims"), "claims", where),
        key_points=_strings(meta.get("key_points"), "key_points", where),
        next_checks=_strings(meta.get("next_checks"), "next_checks", where),
        path=path,
        notebook=nb,
    )


def find_lessons(
    lessons_dir: str | os.PathLike[str] | None = None, modules: list[str] | None = None
) -> list[Lesson]:
    """Return the lessons in ``lessons_dir`` (default: the repository's ``notebooks/``).

    Parameters
    ----------
    modules : list of str, optional
        Module ids or number prefixes ("01" or "01-close-reading") to keep.
    """
    folder = Path(lessons_dir) if lessons_dir else project_root() / "notebooks"
    lessons = [load_lesson(p) for p in sorted(folder.glob("[0-9][0-9]-*.md"))]
    if modules:
        wanted: list[Lesson] = []
        for name in modules:
            match = [
                lesson
                for lesson in lessons
                if lesson.id == name or lesson.id.split("-", 1)[0] == name
            ]
            if not match:
                known = ", ".join(lesson.id for lesson in lessons)
                raise LessonError(f"No module {name!r}. Known modules: {known}")
            wanted.extend(m for m in match if m not in wanted)
        lessons = wanted
    return lessons
