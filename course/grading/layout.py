"""Find what grading would miss in ``submitted/`` and ``downloaded/``, without changing either.

``course grade`` grades ``submitted/<student>/<module>/`` for the course's
modules, and ``nbgrader zip_collect`` fills it from the LMS zips in
``downloaded/<module>/archive/`` by their names. Whatever does not fit that
layout is skipped without an error, so the student would silently score 0.
:func:`find_layout_problems` lists each such case, with what was expected:

- ``misnamed-zip``: a zip in ``downloaded/<module>/archive/`` whose name the
  collector's ``named_regexp`` does not match (``bob_01-close-reading.zip``
  instead of ``bob__01-close-reading.zip``);
- ``unmatched-file``: any other file there (or in ``extracted/``) that the
  collector cannot match, such as a notebook not in a zip or in a folder
  inside the zip, and stray files in ``submitted/``;
- ``unmatched-folder``: ``submitted/<student>/<name>/`` or
  ``downloaded/<name>/`` where ``<name>`` is none of the course's modules
  (the closest module id is suggested);
- ``space-in-name``: a student or module folder whose name starts or ends
  with a space, or holds an invisible character; nbgrader removes the spaces,
  so such a submission cannot be graded until it is renamed.

A problem is tied to a student when its name says which known student it is
(students of the gradebook and folders of ``submitted/``). Every name is
treated as hostile: links are never followed, files are opened without
following links and only to list a zip's contents, folders are read to a
fixed depth and number of entries, and nothing is ever written.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import CourseFolder, show_path

__all__ = [
    "LAYOUT_KINDS",
    "MAX_ENTRIES",
    "LayoutProblem",
    "find_layout_problems",
    "guess_student",
    "hides_characters",
]

#: The kinds of problem this module finds (keys of ``course.export.PROBLEM_KINDS``).
LAYOUT_KINDS = ("misnamed-zip", "unmatched-file", "unmatched-folder", "space-in-name")

#: Entries read per folder tree (``submitted/``, each archive and extracted folder).
MAX_ENTRIES = 5000
#: Folder depth read below each of those folders.
MAX_DEPTH = 6
#: Zip members read per zip, and the largest zip whose member list is read.
MAX_MEMBERS = 1000
MAX_ZIP_BYTES = 500_000_000

#: Names of system or editor leftovers, never reported.
_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX", ".ipynb_checkpoints"})


@dataclass(frozen=True)
class LayoutProblem:
    """One thing in ``submitted/`` or ``downloaded/`` that grading skips.

    Attributes
    ----------
    kind : str
        One of :data:`LAYOUT_KINDS`, or ``"other"`` for a note on the scan itself.
    message : str
        What was found, what was expected and how to fix it; names are shown
        with :func:`course.paths.show_path`.
    student : str
        The student it belongs to, or ``""`` when the name matches no known student.
    module : str
        The module it concerns, or ``""``.
    """

    kind: str
    message: str
    student: str = ""
    module: str = ""


@dataclass(frozen=True)
class _Collector:
    """What ``nbgrader zip_collect`` reads and how it matches names, from the course's config."""

    root: str
    regexp: re.Pattern[str]
    valid_ext: tuple[str, ...]
    zip_ext: tuple[str, ...]
    downloaded: str
    structure: str
    archive: str
    extracted: str

    def folder(self, module: str, step: str) -> str:
        """Return the absolute folder of one collect step, as ``ZipCollectApp`` builds it."""
        try:
            return os.path.join(self.root, self.structure).format(
                downloaded=self.downloaded, assignment_id=module, collect_step=step
            )
        except (KeyError, IndexError, ValueError):  # braces in a folder name
            return os.path.join(self.root, self.downloaded, module, step)

    def matches(self, path: str) -> bool:
        """Return whether the collector would take the file at ``path`` (an absolute path)."""
        match = self.regexp.match(path)
        if match is None:
            return False
        groups = match.groupdict()
        return bool(groups.get("student_id")) and bool(groups.get("file_id"))


def _collector(course_dir: Path) -> _Collector:
    from .config import ZIP_NAMED_REGEXP

    settings: dict[str, object] = {}
    try:
        from ..gradebook import course_config

        config = course_config(course_dir)
        plugin, app = config.FileNameCollectorPlugin, config.ZipCollectApp
        extractor = config.ExtractorPlugin
        settings = {
            "named_regexp": plugin.get("named_regexp", ZIP_NAMED_REGEXP),
            "valid_ext": plugin.get("valid_ext", [".ipynb"]),
            "zip_ext": extractor.get("zip_ext", [".zip", ".gz"]),
            "downloaded": app.get("downloaded_directory", "downloaded"),
            "structure": app.get(
                "collect_directory_structure", "{downloaded}/{assignment_id}/{collect_step}"
            ),
            "archive": app.get("archive_directory", "archive"),
            "extracted": app.get("extracted_directory", "extracted"),
        }
    except Exception:  # an unreadable config: nbgrader's defaults and the course's rule
        settings = {}
    try:
        regexp = re.compile(str(settings.get("named_regexp") or ZIP_NAMED_REGEXP))
    except re.error:
        regexp = re.compile(ZIP_NAMED_REGEXP)

    def names(key: str, default: list[str]) -> tuple[str, ...]:
        value = settings.get(key, default)
        return tuple(str(v) for v in value) if isinstance(value, list | tuple) else tuple(default)

    return _Collector(
        root=os.path.abspath(course_dir),
        regexp=regexp,
        valid_ext=names("valid_ext", [".ipynb", ".json"]),
        zip_ext=names("zip_ext", [".zip", ".gz"]),
        downloaded=str(settings.get("downloaded", "downloaded")),
        structure=str(settings.get("structure", "{downloaded}/{assignment_id}/{collect_step}")),
        archive=str(settings.get("archive", "archive")),
        extracted=str(settings.get("extracted", "extracted")),
    )


# -- reading folders without following anything ------------------------------------------------


@dataclass
class _Budget:
    """How many more entries may be read, and the trees that were not read to the end."""

    left: int = field(default_factory=lambda: MAX_ENTRIES)
    cut: list[str] = field(default_factory=list)


def _entries(folder: Path, budget: _Budget, shown: str) -> list[tuple[str, os.stat_result]]:
    """Return (name, lstat) of the entries of ``folder``, sorted; [] if it cannot be read."""
    out: list[tuple[str, os.stat_result]] = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if budget.left <= 0:
                    budget.cut.append(shown)
                    break
                budget.left -= 1
                try:
                    out.append((entry.name, entry.stat(follow_symlinks=False)))
                except OSError:
                    continue
    except OSError:
        return []
    return sorted(out, key=lambda e: e[0])


def _files(top: Path, shown: str) -> tuple[list[tuple[str, os.stat_result]], list[str]]:
    """Return every non-folder entry below ``top`` as (relative path, lstat), and cut trees.

    Links are listed as entries, never followed; folders deeper than
    :data:`MAX_DEPTH` and entries beyond :data:`MAX_ENTRIES` are not read.
    """
    budget = _Budget()
    found: list[tuple[str, os.stat_result]] = []

    def walk(folder: Path, rel: str, depth: int) -> None:
        for name, st in _entries(folder, budget, shown):
            path = f"{rel}/{name}" if rel else name
            if stat.S_ISDIR(st.st_mode):
                if name in _JUNK:
                    continue
                if depth >= MAX_DEPTH:
                    budget.cut.append(shown)
                    continue
                walk(folder / name, path, depth + 1)
            else:
                found.append((path, st))

    walk(top, "", 0)
    return found, sorted(set(budget.cut))


def _zip_members(path: Path) -> list[str] | str:
    """Return the file names in a zip, or why they could not be read (never following links)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        return f"it could not be opened ({exc.strerror})"
    try:
        with os.fdopen(fd, "rb") as handle:
            st = os.fstat(handle.fileno())
            if not stat.S_ISREG(st.st_mode):
                return "it is not a regular file"
            if st.st_size > MAX_ZIP_BYTES:
                return ""
            with zipfile.ZipFile(handle) as archive:
                names = [i.filename for i in archive.infolist()[:MAX_MEMBERS]]
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError, EOFError) as exc:
        return f"it is not a readable zip file ({type(exc).__name__})"
    return [n for n in names if not n.endswith("/")]


# -- names ------------------------------------------------------------------------------------


def hides_characters(name: str) -> bool:
    """Return whether a name has spaces at its start or end, or an invisible character.

    nbgrader strips such a student id, so a folder so named is graded as another
    student; :func:`course.gradebatch.autograde_modules` leaves it ungraded.
    """
    return name != name.strip() or not name.isprintable()


def _why_hidden(name: str) -> str:
    if name != name.strip():
        ends = []
        if name != name.lstrip():
            ends.append("start")
        if name != name.rstrip():
            ends.append("end")
        return f"has a space at its {' and '.join(ends)}"
    return "holds an invisible character"


def guess_student(name: str, modules: Iterable[str], students: Iterable[str]) -> str:
    """Return the known student a file or folder name points to, or ``""`` if not exactly one.

    The module id and what follows it are dropped, the rest is split at
    underscores (an LMS puts the student's name and a number in front), and
    each part, without stray ``-``, ``.`` or spaces at its ends, is compared
    with the known students: exactly first, then ignoring case.

    >>> guess_student("bob_01-close-reading.zip", ["01-close-reading"], ["ann", "bob"])
    'bob'
    >>> guess_student("Smith John_123_bob_01-close-reading", ["01-close-reading"], ["bob"])
    'bob'
    """
    known = [s for s in students if s]
    stem = name
    for module in sorted(modules, key=len, reverse=True):
        at = stem.find(module)
        if at >= 0:
            stem = stem[:at]
            break
    else:
        for ext in (".zip", ".gz", ".tar", ".ipynb", ".json"):
            stem = stem.removesuffix(ext)
    parts = {p.strip("-. ") for p in stem.split("_")} - {""}
    for same in (lambda a, b: a == b, lambda a, b: a.casefold() == b.casefold()):
        found = {s for s in known for p in parts if same(s, p)}
        if len(found) == 1:
            return found.pop()
        if len(found) > 1:
            return ""
    return ""


def _rel(path: str, root: str) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:
        return path


def _closest(name: str, modules: list[str]) -> str:
    """Return the module id closest to ``name`` (difflib, then its number), or ""."""
    close = difflib.get_close_matches(name.strip(), modules, n=1, cutoff=0.6)
    if close:
        return close[0]
    number = re.match(r"\s*(\d{2})\b", name)
    same = [m for m in modules if number and m.startswith(f"{number.group(1)}-")]
    return same[0] if len(same) == 1 else ""


def _mv(old: str, new: str) -> str:
    return f"`mv {shlex.quote(old)} {shlex.quote(new)}`"


# -- downloaded/ ------------------------------------------------------------------------------


def _expected_zip(student: str, module: str) -> str:
    return f"{student or '<student>'}__{module}.zip"


def _archive_problems(
    collector: _Collector, module: str, students: list[str], modules: list[str]
) -> tuple[list[LayoutProblem], set[str], set[str]]:
    """Check ``downloaded/<module>/archive/``: names the collector cannot match.

    Returns the problems, the extracted paths the archive accounts for, and
    the extracted folders of its zips (whose content was checked here).
    """
    archive = collector.folder(module, collector.archive)
    extracted = collector.folder(module, collector.extracted)
    shown_archive = _rel(archive, collector.root)
    problems: list[LayoutProblem] = []
    covered: set[str] = set()
    zip_folders: set[str] = set()
    if not os.path.isdir(archive) or os.path.islink(archive):
        return problems, covered, zip_folders
    files, cut = _files(Path(archive), shown_archive)
    redo = f"run `nbgrader zip_collect --force {shlex.quote(module)}`, then `course grade` again"
    for rel, st in files:
        name = os.path.basename(rel)
        if name in _JUNK:
            continue
        rel_dir = os.path.dirname(rel)
        extract_to = os.path.normpath(os.path.join(extracted, rel_dir))
        shown = show_path(os.path.join(shown_archive, rel))
        stem, ext = os.path.splitext(name)
        student = guess_student(name, modules, students)
        if ext in collector.zip_ext:
            inner, ext2 = os.path.splitext(stem)
            if ext2 == ".tar":
                stem = inner
            folder = os.path.join(extract_to, stem)
            zip_folders.add(folder)
            if not collector.matches(os.path.join(folder, f"{module}.ipynb")):
                expected = _expected_zip(student, module)
                renamed = os.path.join(shown_archive, rel_dir, expected)
                fix = (
                    f"rename it to {show_path(expected)} (in the course folder: "
                    f"{_mv(os.path.join(shown_archive, rel), renamed)}), "
                    f"then {redo}"
                    if student
                    else f"rename it to {expected} with the student's id, then {redo}"
                )
                problems.append(
                    LayoutProblem(
                        "misnamed-zip",
                        f"the zip {shown} is not named [anything_]<student>__<module>.zip "
                        f"(expected {show_path(expected)}), so `nbgrader zip_collect` skipped it "
                        f"and nothing in it was graded: {fix}",
                        student,
                        module,
                    )
                )
                continue
            readable = ext == ".zip" and stat.S_ISREG(st.st_mode)  # a .tar.gz: its name only
            members = _zip_members(Path(archive) / rel) if readable else []
            if isinstance(members, str):
                if members:
                    problems.append(
                        LayoutProblem(
                            "unmatched-file",
                            f"the zip {shown} was not read: {members}; ask the student to pack "
                            f"it again with pack_submission, then {redo}",
                            student,
                            module,
                        )
                    )
                continue
            for member in members:
                parts = member.split("/")
                if any(p in _JUNK for p in parts) or os.path.splitext(member)[1] not in (
                    collector.valid_ext
                ):
                    continue
                target = os.path.join(folder, *parts)
                covered.add(os.path.normpath(target))
                if not collector.matches(target):
                    problems.append(
                        LayoutProblem(
                            "unmatched-file",
                            f"the file {show_path(member)} in the zip {shown} was not collected: "
                            f"a zip must hold {module}.ipynb and .{module}.answers.json at its "
                            "top level, not in a folder or under another name; ask the student "
                            f"to pack it with pack_submission({module!r}), then {redo}",
                            student,
                            module,
                        )
                    )
            continue
        target = os.path.normpath(os.path.join(extract_to, name))
        covered.add(target)
        if ext in collector.valid_ext and collector.matches(target):
            continue
        expected = _expected_zip(student, module)
        problems.append(
            LayoutProblem(
                "unmatched-file",
                f"the file {shown} is not a zip named [anything_]<student>__<module>.zip, so "
                f"`nbgrader zip_collect` skipped it: put the notebook and its answers file in a "
                f"zip named {show_path(expected)} (pack_submission({module!r}) makes it), then "
                f"{redo}",
                student,
                module,
            )
        )
    problems += [_cut_note(c, module) for c in cut]
    return problems, covered, zip_folders


def _extracted_problems(
    collector: _Collector,
    module: str,
    students: list[str],
    modules: list[str],
    covered: set[str],
    zip_folders: set[str],
) -> list[LayoutProblem]:
    """Check ``downloaded/<module>/extracted/`` for files no archive accounts for."""
    extracted = collector.folder(module, collector.extracted)
    if not os.path.isdir(extracted) or os.path.islink(extracted):
        return []
    shown_extracted = _rel(extracted, collector.root)
    files, cut = _files(Path(extracted), shown_extracted)
    problems = []
    for rel, _st in files:
        path = os.path.normpath(os.path.join(extracted, rel))
        parents = {str(p) for p in Path(path).parents}
        if path in covered or parents & zip_folders:
            continue
        if os.path.splitext(rel)[1] not in collector.valid_ext or collector.matches(path):
            continue
        if os.path.basename(rel) in _JUNK:
            continue
        student = next(
            (s for s in (guess_student(p, modules, students) for p in rel.split("/")) if s), ""
        )
        expected = show_path(_expected_zip(student, module))
        archive = show_path(_rel(collector.folder(module, collector.archive), collector.root))
        problems.append(
            LayoutProblem(
                "unmatched-file",
                f"the file {show_path(os.path.join(shown_extracted, rel))} does not match the "
                f"collector's naming rule (<anything>_<student>__<module>/{module}.ipynb), so it "
                f"was not collected: put it in a zip named {expected} in {archive}/, "
                f"then run `nbgrader zip_collect --force {shlex.quote(module)}` and `course grade`",
                student,
                module,
            )
        )
    return problems + [_cut_note(c, module) for c in cut]


def _cut_note(shown: str, module: str = "") -> LayoutProblem:
    return LayoutProblem(
        "other",
        f"only the first {MAX_ENTRIES} entries of {show_path(shown)}, to a depth of {MAX_DEPTH} "
        "folders, were checked for misnamed or misplaced files",
        "",
        module,
    )


def _downloaded_folders(collector: _Collector, course_modules: list[str]) -> list[LayoutProblem]:
    """Check the top of ``downloaded/``: one folder per module, nothing else."""
    top = Path(collector.root) / collector.downloaded
    if not top.is_dir() or top.is_symlink():
        return []
    problems = []
    shown_top = _rel(str(top), collector.root)
    budget = _Budget()
    for name, st in _entries(top, budget, shown_top):
        if name in course_modules or name in _JUNK:
            continue
        shown = show_path(os.path.join(shown_top, name))
        if stat.S_ISDIR(st.st_mode) and name.strip() in course_modules:
            renamed = os.path.join(shown_top, name.strip())
            problems.append(
                LayoutProblem(
                    "space-in-name",
                    f"the folder {shown} {_why_hidden(name)}, so `nbgrader zip_collect "
                    f"{name.strip()}` does not read it: rename it (in the course folder: "
                    f"{_mv(os.path.join(shown_top, name), renamed)}), "
                    "then collect and grade again",
                    "",
                    name.strip(),
                )
            )
        elif stat.S_ISDIR(st.st_mode):
            closest = _closest(name, course_modules)
            target = f"downloaded/{closest}" if closest else "downloaded/<module>"
            hint = f"did you mean {closest}? " if closest else ""
            problems.append(
                LayoutProblem(
                    "unmatched-folder",
                    f"the folder {shown} is named for no module of this course "
                    f"({', '.join(course_modules) or 'none yet'}), so no zip in it is collected; "
                    f"{hint}Rename it to {target}/ (the zips in its archive/ folder), then "
                    "collect and grade again",
                )
            )
        elif not name.startswith("."):
            problems.append(
                LayoutProblem(
                    "unmatched-file",
                    f"the file {shown} is not in a module's folder, so it is not collected: "
                    "move it to downloaded/<module>/archive/ and run `nbgrader zip_collect`",
                    guess_student(name, course_modules, []),
                )
            )
    return problems + [_cut_note(c) for c in budget.cut]


# -- submitted/ -------------------------------------------------------------------------------


def _submitted_problems(root: Path, course_modules: list[str]) -> list[LayoutProblem]:
    """Check ``submitted/<student>/<module>/``: folder names, stray files and folders."""
    top = CourseFolder(root).submitted()
    if not top.is_dir() or top.is_symlink():
        return []
    problems: list[LayoutProblem] = []
    budget = _Budget()
    regrade = "then run `course grade` again"
    for student, st in _entries(top, budget, "submitted"):
        shown = show_path(f"submitted/{student}")
        if not stat.S_ISDIR(st.st_mode):
            if student.startswith(".") or student in _JUNK:
                continue
            what = "a link" if stat.S_ISLNK(st.st_mode) else "a file"
            problems.append(
                LayoutProblem(
                    "unmatched-file",
                    f"{shown} is {what}, not a student's folder, so nothing in it is graded: "
                    "each submission belongs in submitted/<student>/<module>/",
                    guess_student(student, course_modules, []),
                )
            )
            continue
        if hides_characters(student):
            fixed = student.strip()
            clash = fixed and (top / fixed).exists()
            shown_raw = f"submitted/{student}"
            how = (
                f"rename it (in the course folder: {_mv(shown_raw, f'submitted/{fixed}')}), "
                if fixed and not clash
                else f"move its modules into {show_path(f'submitted/{fixed}')}, "
                if clash
                else ""
            )
            problems.append(
                LayoutProblem(
                    "space-in-name",
                    f"the student folder {shown} {_why_hidden(student)}, which nbgrader "
                    f"removes, so this student's submissions cannot be graded: {how}{regrade}",
                    student,
                )
            )
            continue
        for name, sub in _entries(top / student, budget, f"submitted/{student}"):
            if name in course_modules or name in _JUNK or name.startswith("."):
                continue
            path = f"submitted/{student}/{name}"
            if stat.S_ISDIR(sub.st_mode) and name.strip() in course_modules:
                fixed = f"submitted/{student}/{name.strip()}"
                problems.append(
                    LayoutProblem(
                        "space-in-name",
                        f"the module folder {show_path(path)} {_why_hidden(name)}, so it is not "
                        f"graded as {name.strip()}: rename it (in the course folder: "
                        f"{_mv(path, fixed)}), {regrade}",
                        student,
                        name.strip(),
                    )
                )
            elif stat.S_ISDIR(sub.st_mode):
                closest = _closest(name, course_modules)
                if closest:
                    target = f"submitted/{student}/{closest}"
                    exists = (top / student / closest).exists()
                    fix = (
                        f"did you mean {closest}? {show_path(target)} exists too: keep the one "
                        f"to grade, named {closest}, {regrade}"
                        if exists
                        else f"did you mean {closest}? Rename it (in the course folder: "
                        f"{_mv(path, target)}), {regrade}"
                    )
                else:
                    fix = f"rename it to submitted/{student}/<module>/, {regrade}"
                problems.append(
                    LayoutProblem(
                        "unmatched-folder",
                        f"the folder {show_path(path)} is named for no module of this course "
                        f"({', '.join(course_modules) or 'none yet'}), so it was not graded; {fix}",
                        student,
                    )
                )
            else:
                what = "link" if stat.S_ISLNK(sub.st_mode) else "file"
                problems.append(
                    LayoutProblem(
                        "unmatched-file",
                        f"the {what} {show_path(path)} is not in a module's folder, so it was "
                        f"not graded: a submission belongs in submitted/{student}/<module>/",
                        student,
                    )
                )
    return problems + [_cut_note(c) for c in sorted(set(budget.cut))]


# -- all of it --------------------------------------------------------------------------------


def _known_students(root: Path) -> list[str]:
    """Return the gradebook's students and the folders of ``submitted/`` (never writing)."""
    found: set[str] = set()
    top = CourseFolder(root).submitted()
    if top.is_dir() and not top.is_symlink():
        found |= {n for n, st in _entries(top, _Budget(), "submitted") if stat.S_ISDIR(st.st_mode)}
    try:
        from ..gradebook import db_url, open_gradebook

        url = db_url(root)
        if url.startswith("sqlite:///"):
            database = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
            if not database.is_absolute():
                database = root / database
            if not database.is_file():
                return sorted(found)
        with open_gradebook(root) as gb:
            found |= {s.id for s in gb.students}
    except Exception:  # an unreachable gradebook: the folder names still help
        pass
    return sorted(s for s in found if s)


def find_layout_problems(
    course_dir: str | os.PathLike[str],
    modules: Iterable[str],
    course_modules: Iterable[str] | None = None,
    *,
    students: Iterable[str] | None = None,
) -> list[LayoutProblem]:
    """Return what in ``submitted/`` and ``downloaded/`` grading skips, one problem each.

    Parameters
    ----------
    course_dir : path-like
        The course folder.
    modules : iterable of str
        The modules of this run: their ``downloaded/<module>/archive/`` and
        ``extracted/`` folders are checked against the collector's rule.
    course_modules : iterable of str, optional
        Every module of the course (default: those in ``source/``); other
        folder names in ``submitted/<student>/`` and ``downloaded/`` are reported.
    students : iterable of str, optional
        The known students, to tie a misnamed file to one (default: the
        gradebook's students and the folders of ``submitted/``).

    Returns
    -------
    list of LayoutProblem
        In the order found: ``submitted/``, then ``downloaded/``.
    """
    root = Path(course_dir)
    run = list(dict.fromkeys(modules))
    every = sorted(
        set(course_modules if course_modules is not None else CourseFolder(root).modules())
    )
    known = sorted(set(students)) if students is not None else _known_students(root)
    collector = _collector(root)
    problems = _submitted_problems(root, every)
    problems += _downloaded_folders(collector, every)
    for module in run:
        found, covered, zip_folders = _archive_problems(collector, module, known, every)
        problems += found
        problems += _extracted_problems(collector, module, known, every, covered, zip_folders)
    return list(dict.fromkeys(problems))
