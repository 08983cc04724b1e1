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

from pathlib import Path

from .build import write_source
from .grading.config import DEFAULT_COURSE_ID, render_nbgrader_config
from .grading.manifest import write_keys
from .lessons import Lesson, find_lessons, project_root

__all__ = ["CourseFolderError", "course_modules", "init_course", "require_course"]


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
    timeout: int = 30,
    notebook_timeout: int = 600,
    memory_limit: int = 4096,
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
    lessons = find_lessons(lessons_dir, modules)
    keys_src = Path(keys_dir) if keys_dir else project_root() / "autograde" / "keys"
    if not keys_src.is_dir():
        raise CourseFolderError(
            f"No answer keys at {keys_src}. "
            "Pass --keys pointing at the repository's autograde/keys."
        )
    config = course_dir / "nbgrader_config.py"
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
        target = course_dir / "source" / lesson.id
        for stray in target.glob(".*.answers*.json"):
            stray.unlink()  # an answers file in source/ would be released to students
        write_source(lesson, course_dir / "source")
    # The keys, and their SHA-256 in autograde/keys.manifest.json: grading refuses a key
    # that no longer matches (see course.grading.manifest).
    write_keys(course_dir / "autograde" / "keys", keys, by="course init")
    return lessons


def require_course(course_dir: str | Path) -> Path:
    """Return ``course_dir`` if it is a course folder, else raise with what to do."""
    course_dir = Path(course_dir)
    if not (course_dir / "nbgrader_config.py").exists():
        raise CourseFolderError(
            f"{course_dir} is not a course folder (no nbgrader_config.py). "
            f"Create it with `course init {course_dir}`."
        )
    return course_dir


def course_modules(course_dir: str | Path) -> list[str]:
    """Return the module ids that have a source notebook in the course folder."""
    source = Path(course_dir) / "source"
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").exists())
