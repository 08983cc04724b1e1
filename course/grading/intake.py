"""Take in one submission safely: copy its regular files, refuse everything else.

``course grade`` never lets nbgrader read ``submitted/`` itself. Before a
student's module is graded, :func:`intake_submission` copies
``submitted/<student>/<module>/`` into ``grading/intake/<student>/<module>/``,
and nbgrader grades that copy. ``submitted/`` is only read, and only through
file descriptors opened without following links.

Refused, never followed or read, and reported with the file's name:

- symbolic links (to a classmate's answers file, to a key, anywhere);
- hard links to a file outside the submission;
- named pipes (FIFOs), sockets and device files;
- anything whose path resolves outside ``submitted/<student>/<module>/``,
  including a student or module folder that is itself a link;
- files over the size limits, folders nested too deep, too many files.

A refused notebook is replaced by the released, blank notebook, so the
student is graded (0 for what could not be read) rather than left
ungraded; so is a notebook of the module that was not handed in at all (an
empty folder, or other files only). What was refused or missing is written
to ``grading/intake/<student>/<module>.json`` and reaches the student's
problem list; a refused answers file makes every
widget item score 0 with a message that names it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..paths import INTAKE_DIRECTORY as _INTAKE
from ..paths import CourseFolder, show_path

__all__ = [
    "INTAKE_DIRECTORY",
    "Intake",
    "Refusal",
    "intake_report_path",
    "intake_submission",
    "read_intake_report",
]

#: nbgrader's ``submitted_directory`` during ``course grade``, relative to the course root.
INTAKE_DIRECTORY = os.fspath(_INTAKE)

#: Limits for one submission folder.
MAX_FILES = 200
MAX_DEPTH = 4
MAX_FILE_BYTES = 20_000_000
MAX_TOTAL_BYTES = 50_000_000

_CHUNK = 1 << 16


@dataclass
class Refusal:
    """One entry of a submission that was not taken in, and why."""

    path: str
    reason: str

    def message(self, module: str) -> str:
        """Return the problem line for the student's list."""
        return f"the file {self.path!r} in the submission of {module} was refused: {self.reason}"


@dataclass
class Intake:
    """What :func:`intake_submission` took in and what it refused."""

    student: str
    module: str
    copied: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    refused: list[Refusal] = field(default_factory=list)
    #: Notebooks replaced by the released blank one because they were refused.
    blank_notebooks: list[str] = field(default_factory=list)
    #: Notebooks of the module that were not handed in, graded as the released blank one.
    missing_notebooks: list[str] = field(default_factory=list)

    @property
    def folder(self) -> str:
        """The submission folder, relative to the course folder, as shown to the instructor."""
        return show_path(f"submitted/{self.student}/{self.module}/")

    @property
    def missing_problems(self) -> list[str]:
        """One problem per notebook of the module that was not handed in."""
        from ..answers import answers_filename

        handed = sorted(p for p in self.copied if p != "timestamp.txt")
        handed += sorted(r.path for r in self.refused)
        out = []
        for nb in self.missing_notebooks:
            answers = answers_filename(nb)
            expected = f"expected {nb}.ipynb and {answers}"
            if not handed:
                found = f"the folder {self.folder} is empty ({expected})"
            else:
                shown = ", ".join(repr(p) for p in handed[:5])
                more = f" and {len(handed) - 5} more" if len(handed) > 5 else ""
                found = (
                    f"no notebook {nb}.ipynb was handed in ({expected}; the folder "
                    f"{self.folder} holds only {shown}{more})"
                )
            if answers in self.copied:
                effect = "the saved widget answers count, the written answers score 0"
            else:
                effect = "every item scored 0"
            out.append(f"{found}: the blank released notebook was graded in its place, so {effect}")
        return out

    @property
    def problems(self) -> list[str]:
        """Plain-language problems for the student's list."""
        out = [r.message(self.module) for r in self.refused]
        out += [
            f"the notebook {nb}.ipynb could not be graded as submitted, so the blank released "
            "notebook was graded in its place: the saved widget answers still count, the "
            f"written answers score 0 (read them in {self.folder} and grade them by hand if "
            "you can)"
            for nb in self.blank_notebooks
        ]
        return out + self.missing_problems

    def refused_names(self) -> dict[str, str]:
        """Return refused top-level file names mapped to the reason."""
        return {r.path: r.reason for r in self.refused if "/" not in r.path}

    def to_dict(self) -> dict[str, Any]:
        """Return the intake as JSON-ready data."""
        return {
            "student": self.student,
            "module": self.module,
            "copied": self.copied,
            "refused": [{"path": r.path, "reason": r.reason} for r in self.refused],
            "blank_notebooks": self.blank_notebooks,
            "missing_notebooks": self.missing_notebooks,
            "missing": self.missing_problems,
            "problems": self.problems,
        }


def intake_report_path(root: str | Path, student: str, module: str) -> Path:
    """Return where the intake report of one submission is written."""
    return CourseFolder(root).intake_report(student, module)


def read_intake_report(root: str | Path, student: str, module: str) -> dict[str, Any] | None:
    """Return the intake report of one submission, or None if missing or unreadable."""
    path = intake_report_path(root, student, module)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _kind(mode: int) -> str | None:
    """Return why a non-regular, non-folder entry is refused, or None if it may be read."""
    if stat.S_ISLNK(mode):
        return "it is a symbolic link; it was not followed"
    if stat.S_ISFIFO(mode):
        return "it is a named pipe (FIFO), not a file"
    if stat.S_ISSOCK(mode):
        return "it is a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "it is a device file, not a file"
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "it is not a regular file"
    return None


def _scan(
    folder: Path, rel: str, depth: int, intake: Intake, entries: list[tuple[str, os.stat_result]]
) -> None:
    """Collect regular files under ``folder`` (lstat only); record refusals."""
    try:
        with os.scandir(folder) as it:
            children = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        intake.refused.append(
            Refusal(rel or ".", f"the folder could not be listed ({exc.strerror})")
        )
        return
    for entry in children:
        path = f"{rel}/{entry.name}" if rel else entry.name
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            intake.refused.append(Refusal(path, f"it could not be examined ({exc.strerror})"))
            continue
        reason = _kind(st.st_mode)
        if reason:
            intake.refused.append(Refusal(path, reason))
        elif stat.S_ISDIR(st.st_mode):
            if depth >= MAX_DEPTH:
                intake.refused.append(
                    Refusal(path, f"folders nested more than {MAX_DEPTH} deep are not read")
                )
            else:
                _scan(Path(entry.path), path, depth + 1, intake, entries)
        else:
            entries.append((path, st))


def _copy_one(src: Path, dest: Path, expected: os.stat_result, limit: int) -> tuple[str, str]:
    """Copy one regular file through a descriptor opened without following links.

    Returns ``("", sha256)`` on success or ``(reason, "")`` if refused.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(src, flags)
    except OSError as exc:
        if exc.errno == getattr(os, "ELOOP", -1):
            return "it is a symbolic link; it was not followed", ""
        return f"it could not be opened ({exc.strerror})", ""
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (
            expected.st_dev,
            expected.st_ino,
        ):
            return "it changed while it was being read", ""
        digest = hashlib.sha256()
        size = 0
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "wb") as out:
            while True:
                chunk = os.read(fd, _CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    out.close()
                    dest.unlink(missing_ok=True)
                    return f"it is over the {limit:,}-byte limit", ""
                digest.update(chunk)
                out.write(chunk)
        return "", digest.hexdigest()
    finally:
        os.close(fd)


def _unreadable_notebook(path: Path) -> str:
    """Return why a taken-in notebook cannot be graded, or "" if nbformat reads it."""
    import nbformat
    from nbformat import reader

    try:
        # What nbformat.read raises on, without its schema check (which only logs: nbgrader
        # reads the notebook again and checks it then).
        with open(path, encoding="utf-8") as fh:
            nb = nbformat.convert(reader.reads(fh.read()), 4)
    except RecursionError:
        return "it is not a Jupyter notebook (nested too deep to read)"
    except Exception as exc:  # nbformat raises many kinds for a broken file
        return f"it is not a readable Jupyter notebook ({type(exc).__name__})"
    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(
        isinstance(c, dict) and isinstance(c.get("source", ""), str) for c in cells
    ):
        return "it is not a readable Jupyter notebook (its cells are malformed)"
    return ""


def _other_link(base: Path, own: Path, st: os.stat_result, limit: int = 20_000) -> str:
    """Return where in ``submitted/`` another name of the same file is, or ""."""
    seen = 0
    for dirpath, dirnames, filenames in os.walk(base):
        here = Path(dirpath)
        if here == own:
            dirnames[:] = []
            continue
        for name in filenames:
            seen += 1
            if seen > limit:
                return ""
            try:
                other = os.lstat(here / name)
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                return f"also submitted as {show_path((here / name).relative_to(base.parent))}"
    return ""


def _real_folder(path: Path, expected: Path) -> str | None:
    """Return why ``path`` is not the real folder ``expected``, or None if it is."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "the folder does not exist"
    except OSError as exc:
        return f"the folder could not be examined ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "the folder is a symbolic link; it was not followed"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a folder"
    if os.path.realpath(path) != str(expected):
        return "the folder resolves outside the submissions folder"
    return None


def intake_submission(
    root: str | Path,
    student: str,
    module: str,
    *,
    submitted_directory: str = "submitted",
    release_directory: str = "release",
    notebooks: list[str] | None = None,
    blank: bool = False,
) -> Intake:
    """Copy ``submitted/<student>/<module>/`` safely into the grading intake folder.

    Parameters
    ----------
    root : path-like
        The course folder.
    student, module : str
        Whose submission of which module.
    notebooks : list of str, optional
        The module's notebook names (without ``.ipynb``); a refused one is
        replaced by its released blank copy. Default: those in
        ``release/<module>/``.
    blank : bool, default False
        Replace every notebook by its blank released copy, whatever was
        submitted: the last resort when nbgrader could not process the
        submitted notebook. Other files, the answers file included, are taken
        in as usual.

    Returns
    -------
    Intake
        What was copied (with each file's SHA-256) and what was refused.
        The report is also written to :func:`intake_report_path`.
    """
    root = Path(root)
    intake = Intake(student=student, module=module)
    base = Path(os.path.realpath(root / submitted_directory))
    dest = CourseFolder(root).intake_copy(student, module)
    if dest.exists() or dest.is_symlink():
        if dest.is_symlink() or not dest.is_dir():
            dest.unlink()
        else:
            shutil.rmtree(dest)
    dest.mkdir(parents=True)

    reason = _real_folder(base / student, base / student) or _real_folder(
        base / student / module, base / student / module
    )
    entries: list[tuple[str, os.stat_result]] = []
    if reason:
        intake.refused.append(Refusal(f"{student}/{module}", reason))
    else:
        _scan(base / student / module, "", 0, intake, entries)

    inodes: dict[tuple[int, int], int] = {}
    for _path, st in entries:
        inodes[(st.st_dev, st.st_ino)] = inodes.get((st.st_dev, st.st_ino), 0) + 1
    total = 0
    for count, (path, st) in enumerate(entries):
        if count >= MAX_FILES:
            intake.refused.append(Refusal(path, f"a submission may hold at most {MAX_FILES} files"))
            continue
        if st.st_nlink > inodes[(st.st_dev, st.st_ino)]:
            other = _other_link(base, base / student / module, st)
            where = f" ({other})" if other else ""
            intake.refused.append(
                Refusal(
                    path,
                    f"it is a hard link to a file outside the submission{where}; the same "
                    "file cannot be credited to one student",
                )
            )
            continue
        if st.st_size > MAX_FILE_BYTES:
            intake.refused.append(
                Refusal(path, f"it is {st.st_size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit")
            )
            continue
        if total + st.st_size > MAX_TOTAL_BYTES:
            intake.refused.append(
                Refusal(path, f"the submission is over the {MAX_TOTAL_BYTES:,}-byte limit")
            )
            continue
        why, digest = _copy_one(base / student / module / path, dest / path, st, MAX_FILE_BYTES)
        if why:
            intake.refused.append(Refusal(path, why))
            continue
        total += st.st_size
        intake.copied[path] = digest

    release = root / release_directory / module
    names = notebooks
    if names is None:
        names = sorted(p.stem for p in release.glob("*.ipynb")) if release.is_dir() else []
    whole_folder = bool(reason)
    for name in names:
        handed_in = f"{name}.ipynb" in intake.copied or f"{name}.ipynb" in intake.refused_names()
        if not handed_in and not whole_folder:
            # Not handed in (an empty folder, or other files only): graded as the blank
            # release, so the student gets a score (0 for what is missing), never no grade.
            blank_copy = release / f"{name}.ipynb"
            if blank_copy.is_file():
                shutil.copyfile(blank_copy, dest / f"{name}.ipynb")
                intake.missing_notebooks.append(name)
            continue
        if f"{name}.ipynb" in intake.copied and not blank:
            why = _unreadable_notebook(dest / f"{name}.ipynb")
            if not why:
                continue
            intake.refused.append(Refusal(f"{name}.ipynb", why))
        if blank or whole_folder or f"{name}.ipynb" in intake.refused_names():
            blank_copy = release / f"{name}.ipynb"
            if blank_copy.is_file():
                shutil.copyfile(blank_copy, dest / f"{name}.ipynb")
                intake.blank_notebooks.append(name)

    report = intake_report_path(root, student, module)
    report.write_text(json.dumps(intake.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
    return intake
