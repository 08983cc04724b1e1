"""Release modules with nbgrader, then prove no key material leaked.

``generate_assignment`` writes ``release/<module>/``; :func:`find_leaks` then
scans every released file for solutions, hidden tests, mark schemes, answers
files and any text from the module's key (answers' explanations and the
misconceptions named for distractors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .answers import answers_filename
from .coursefolder import require_course, resolve_modules
from .keys import ModuleKey, load_key
from .nbgrader_cli import run_nbgrader
from .paths import CourseFolder

__all__ = ["ReleaseError", "ReleaseReport", "find_leaks", "release_modules"]

_MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
    "autograde/keys",
)


class ReleaseError(RuntimeError):
    """Raise when a release fails or leaks key material."""


@dataclass
class ReleaseReport:
    """What was released and the leaks found (none, for a good release)."""

    modules: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)


def _key_snippets(key: ModuleKey) -> list[str]:
    texts = []
    for item in key.items.values():
        texts.append(item.explanation)
        texts.extend(item.misconceptions.values())
        texts.extend(item.reasons())
    for written in key.written.values():
        texts.append(written.explanation)
        texts.extend(str(level["description"]) for level in written.rubric)
    # A distinctive stretch of each text: long enough not to match lesson prose by chance.
    return [" ".join(t.split())[:80] for t in texts if len(t.split()) >= 6]


def find_leaks(release_dir: str | Path, key: ModuleKey | None) -> list[str]:
    """Return every place in ``release_dir`` where key material appears."""
    release_dir = Path(release_dir)
    leaks = []
    snippets = _key_snippets(key) if key else []
    for path in sorted(release_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(release_dir)
        if path.name.endswith(".answers.json") or ".answers." in path.name:
            leaks.append(f"{rel}: an answers file must never be released")
            continue
        if path.suffix == ".yaml" and path.parent.name == "keys":
            leaks.append(f"{rel}: a key file")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        flat = " ".join(text.replace("\\n", " ").replace('\\"', '"').split())
        leaks += [f"{rel}: contains {m!r}" for m in _MARKERS if m in text]
        leaks += [f"{rel}: contains key text {s[:40]!r}…" for s in snippets if s in flat]
    return leaks


def release_modules(course_dir: str | Path, modules: list[str] | None = None) -> ReleaseReport:
    """Run ``nbgrader generate_assignment`` for each module and check for leaks.

    ``modules`` are ids or numbers (:func:`course.coursefolder.resolve_modules`);
    none means every module with a source notebook.

    Raises
    ------
    CourseFolderError
        If ``course_dir`` is not a course folder, or a module is not one of its
        modules (:class:`course.coursefolder.UnknownModuleError`).
    ReleaseError
        If nbgrader fails, or if key material is found in a release (the
        leaking release folder is then removed so it cannot be distributed).
    """
    course_dir = require_course(course_dir, command="release")
    targets = resolve_modules(course_dir, modules)  # UnknownModuleError names the course's modules
    folder = CourseFolder(course_dir)
    report = ReleaseReport()
    for module in targets:
        stray = folder.source(module) / answers_filename(module)
        if stray.exists():
            raise ReleaseError(
                f"{stray} exists: an answers file in source/ would be released to every "
                "student. Remove it (it was made by running the source notebook) and retry."
            )
        run = run_nbgrader(course_dir, "generate_assignment", module, "--force", "--create")
        if not run.ok:
            raise ReleaseError(f"nbgrader generate_assignment {module} failed:\n{run.log[-3000:]}")
        key_path = folder.key(module)
        key = load_key(key_path) if key_path.exists() else None
        leaks = find_leaks(folder.release(module), key)
        if leaks:
            import shutil

            shutil.rmtree(folder.release(module), ignore_errors=True)
            raise ReleaseError(
                f"Key material leaked into release/{module} (the release was removed):\n  "
                + "\n  ".join(leaks)
            )
        report.modules.append(module)
    return report
