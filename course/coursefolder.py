"""Create and read a standard nbgrader course folder for this course.

Layout written by :func:`init_course`::

    <course>/
      nbgrader_config.py     the course's pipelines (course.grading.config)
      source/<module>/       nbgrader source notebooks built from notebooks/
      autograde/keys/        answer keys (grader-side; never released)
      autograde/keys.manifest.json   the SHA-256 of each key (course.grading.manifest)
      release/ submitted/ autograded/ feedback/   nbgrader's usual stages
      grading/               snapshots and per-item results (grader-side)
      exports/               CSV exports written by `course grade`
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path

from .grading.config import DEFAULT_COURSE_ID, render_nbgrader_config
from .grading.limits import CELL_TIMEOUT, MEMORY_LIMIT_MIB, NOTEBOOK_TIMEOUT
from .grading.manifest import write_keys
from .lessons import Lesson, find_lessons, project_root
from .paths import KEYS_DIRECTORY, CourseFolder, show_path

__all__ = [
    "CourseFolderError",
    "UnknownModuleError",
    "course_modules",
    "init_course",
    "is_course_folder",
    "require_course",
    "resolve_modules",
    "show_path",
]


class CourseFolderError(RuntimeError):
    """Raise when a folder is not a usable course folder."""


def init_course(
    course_dir: str | Path,
    *,
    modules: list[str] | None = None,
    lessons_dir: str | Path | None = None,
    keys_dir: str | Path | None = None,
    course_id: str = DEFAULT_COURSE_ID,
    db_url: str | None = None,
    show_explanations: bool = False,
    timeout: int = CELL_TIMEOUT,
    notebook_timeout: int = NOTEBOOK_TIMEOUT,
    memory_limit: int = MEMORY_LIMIT_MIB,
    sandbox: str = "auto",
    overwrite_config: bool = False,
) -> list[Lesson]:
    """Create (or update) a course folder and return the modules built into ``source/``.

    An existing ``nbgrader_config.py`` is kept unless ``overwrite_config``;
    source notebooks and keys are rebuilt from the repository each time, and
    the SHA-256 of each key copied in is recorded in the key manifest
    ``autograde/keys.manifest.json``.
    ``sandbox`` is the isolation of student code during grading
    (:mod:`course.grading.sandbox`); ``course init`` chooses ``"bubblewrap"``
    where it works on this machine.
    """
    course_dir = Path(course_dir)
    course_dir.mkdir(parents=True, exist_ok=True)
    folder = CourseFolder(course_dir)
    from .build import write_source  # nbgrader and jupytext: only when building

    lessons = find_lessons(lessons_dir, modules)
    keys_src = Path(keys_dir) if keys_dir else project_root() / KEYS_DIRECTORY
    if not keys_src.is_dir():
        raise CourseFolderError(
            f"No answer keys at {keys_src}. "
            "Pass --keys pointing at the repository's autograde/keys."
        )
    config = folder.config_file
    if overwrite_config or not config.exists():
        config.write_text(
            render_nbgrader_config(
                course_id=course_id,
                db_url=db_url,
                show_explanations=show_explanations,
                timeout=timeout,
                notebook_timeout=notebook_timeout,
                memory_limit=memory_limit,
                sandbox=sandbox,
            ),
            encoding="utf-8",
        )
    keys: dict[str, bytes] = {}
    for lesson in lessons:
        key = keys_src / f"{lesson.id}.yaml"
        if not key.exists():
            raise CourseFolderError(f"Module {lesson.id} has no key file {key}.")
        keys[key.name] = key.read_bytes()
        target = folder.source(lesson.id)
        for stray in target.glob(".*.answers*.json"):
            stray.unlink()  # an answers file in source/ would be released to students
        write_source(lesson, folder.source())
    # The keys, and their SHA-256 in autograde/keys.manifest.json: grading refuses a key
    # that no longer matches (see course.grading.manifest).
    write_keys(folder.keys_dir, keys, by="course init")
    return lessons


#: Text every ``nbgrader_config.py`` written by ``course init`` holds.
_INIT_MARKER = "course.grading.config"


def _use(command: str | None, path: Path) -> str:
    """Return how to use ``path`` instead: the command line (quoted for a shell) if known."""
    if command:
        return f"run `course {command} {shlex.quote(os.fspath(path))}`"
    return "give that folder instead"


def is_course_folder(path: str | os.PathLike[str]) -> bool:
    """Return whether ``path`` holds an ``nbgrader_config.py`` written by ``course init``."""
    config = CourseFolder(path).config_file
    try:
        with open(config, encoding="utf-8", errors="replace") as handle:
            return _INIT_MARKER in handle.read(65536)
    except OSError:
        return False


def _course_subfolders(folder: Path, limit: int = 1000) -> list[Path]:
    """Return the course folders one level below ``folder`` (at most ``limit`` entries read)."""
    found = []
    try:
        with os.scandir(folder) as entries:
            for count, entry in enumerate(entries):
                if count >= limit:
                    break
                if entry.is_dir() and is_course_folder(entry.path):
                    found.append(folder / entry.name)
    except OSError:
        return []
    return sorted(found)


def _enclosing_course(folder: Path) -> Path | None:
    """Return the nearest ancestor of ``folder`` that is a course folder, shown as given."""
    absolute = Path(os.path.abspath(folder))
    for ancestor in absolute.parents:
        if is_course_folder(ancestor):
            if folder.is_absolute():
                return ancestor
            return Path(os.path.relpath(ancestor))
    return None


def require_course(course_dir: str | Path, *, command: str | None = None) -> Path:
    """Return ``course_dir`` if it is a course folder, else raise with what to do.

    Parameters
    ----------
    course_dir : path-like
        The folder given on the command line.
    command : str, optional
        The ``course`` command being run (``"grade"``, ``"release"``…), used
        to spell out the suggested command line.

    Raises
    ------
    CourseFolderError
        If ``course_dir`` has no ``nbgrader_config.py``. The message suggests,
        in this order: a course folder one level down, a course folder named
        like ``course_dir`` without its leading or trailing spaces, the course
        folder ``course_dir`` is inside, else ``course init``. Paths that would
        hide a space or an invisible character are quoted (:func:`show_path`).
    """
    course_dir = Path(course_dir)
    if CourseFolder(course_dir).config_file.is_file():
        return course_dir
    shown = show_path(course_dir)
    if course_dir.is_dir():
        problem = f"{shown} is not a course folder (no nbgrader_config.py)."
    elif course_dir.exists():
        problem = f"{shown} is a file, not a course folder."
    else:
        problem = f"{shown} does not exist."
    inside = _course_subfolders(course_dir) if course_dir.is_dir() else []
    stripped = course_dir.with_name(course_dir.name.strip()) if course_dir.name.strip() else None
    enclosing = None if inside else _enclosing_course(course_dir)
    if len(inside) == 1:
        hint = f"It holds the course folder {show_path(inside[0])}: {_use(command, inside[0])}."
    elif inside:
        names = ", ".join(show_path(p) for p in inside)
        example = f", for example {_use(command, inside[0])}" if command else " instead"
        hint = f"It holds the course folders {names}: give one of them{example}."
    elif stripped is not None and stripped != course_dir and is_course_folder(stripped):
        hint = (
            f"The name has spaces at its start or end; the course folder is "
            f"{show_path(stripped)}: {_use(command, stripped)}."
        )
    elif enclosing is not None:
        hint = f"It is inside the course folder {show_path(enclosing)}: {_use(command, enclosing)}."
    else:
        hint = (
            f"Give the folder `course init` made, or create a course folder there with "
            f"`course init {shlex.quote(os.fspath(course_dir))}`."
        )
    raise CourseFolderError(f"{problem} {hint}")


def course_modules(course_dir: str | Path) -> list[str]:
    """Return the module ids that have a source notebook in the course folder."""
    return CourseFolder(course_dir).modules()


class UnknownModuleError(CourseFolderError):
    """Raise when a module named on the command line is not one of the course's modules."""

    def __init__(self, unknown: list[str], known: list[str], course_dir: Path) -> None:
        self.unknown, self.known, self.course_dir = unknown, known, course_dir
        names = ", ".join(repr(m) for m in unknown)
        if known:
            number = known[0].split("-", 1)[0]
            what = (
                f"This course's modules are: {', '.join(known)}. Give a module by its id or its "
                f"number (such as {known[0]} or {number}), or give none for all of them."
            )
        else:
            where = shlex.quote(os.fspath(course_dir))
            what = (
                f"This course has no modules in source/ yet: build them with `course init {where}`."
            )
        super().__init__(f"No module {names} in {show_path(course_dir)}. {what}")


def resolve_modules(course_dir: str | Path, modules: Sequence[str] | None = None) -> list[str]:
    """Return the ids of the course's modules that ``modules`` names; all of them if none.

    A module is named by its id (``01-close-reading``) or by its number
    (``01``), as ``course init`` accepts. ``course release``, ``course grade``
    and ``course report`` all resolve module names here.

    Parameters
    ----------
    course_dir : path-like
        The course folder; its modules are those with a notebook in ``source/``.
    modules : sequence of str, optional
        Module ids or numbers, in the order wanted (duplicates are dropped).

    Returns
    -------
    list of str
        Module ids, in the order given (sorted when ``modules`` is empty).

    Raises
    ------
    UnknownModuleError
        If any name matches no module, naming every module of the course.
    """
    course_dir = Path(course_dir)
    known = course_modules(course_dir)
    if not modules:
        return known
    chosen: list[str] = []
    unknown: list[str] = []
    for name in modules:
        match = [m for m in known if name in (m, m.split("-", 1)[0])]
        if not match:
            unknown.append(name)
        chosen.extend(m for m in match if m not in chosen)
    if unknown:
        raise UnknownModuleError(unknown, known, course_dir)
    return chosen
