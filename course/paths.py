"""Where everything lives in a course folder: the one place its paths are built.

In the spirit of nbgrader's ``CourseDirectory.format_path``, every path
inside a course folder is built here, from the folder's root, a student id,
a module id and a notebook name. Nothing else in the course joins
``"submitted"`` or ``"grading"`` onto a root by hand, so the layout can be
read (and changed) in one screen::

    <course>/
      nbgrader_config.py                      the course's nbgrader configuration
      lms.yaml                                how grades are exported for the LMS (optional)
      source/<module>/<notebook>.ipynb        the instructor's notebooks
      release/<module>/                       what students get
      submitted/<student>/<module>/           what students handed in
      autograded/<student>/<module>/          nbgrader's graded copies
      feedback/<student>/<module>/            the feedback pages
      autograde/keys/<module>.yaml            the answer keys (never released)
      grading/intake/<student>/<module>.json  what intake copied and refused
      grading/intake/<student>/<module>/      the files intake copied, which are graded
      grading/snapshots/<student>/<module>/   the answers the grader scored
      grading/hashes/<student>/<module>/      the answers files' SHA-256 at first grading
      grading/results/<student>/<module>/<notebook>.json   per-item results
      grading/manual/<student>/<module>.json  hand grades kept across re-grades
      exports/                                CSV exports and the report
      debrief/<module>.html                   the debrief pages (course debrief)

The paths are only built, never created or checked; a student or module id
is used as given (callers check ids before they reach a path).

>>> folder = CourseFolder("course")
>>> folder.submitted("ann", "01-close-reading").as_posix()
'course/submitted/ann/01-close-reading'
>>> folder.results_file("ann", "01-close-reading", "01-close-reading").as_posix()
'course/grading/results/ann/01-close-reading/01-close-reading.json'
>>> folder.intake_report("ann", "01-close-reading").as_posix()
'course/grading/intake/ann/01-close-reading.json'
>>> folder.config_file.as_posix()
'course/nbgrader_config.py'
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "CONFIG_FILE",
    "EXPLANATIONS_FILE",
    "GRADING_DIRECTORY",
    "INTAKE_DIRECTORY",
    "KEYS_DIRECTORY",
    "MANUAL_DIRECTORY",
    "STAGES",
    "CourseFolder",
    "show_path",
]

#: nbgrader's stages, in the order work moves through them.
STAGES = ("source", "release", "submitted", "autograded", "feedback")
#: Where the answer keys are, relative to the course folder (unless configured).
KEYS_DIRECTORY = Path("autograde") / "keys"
#: The grader-side folder for intake reports, snapshots, results and hand grades.
GRADING_DIRECTORY = Path("grading")
#: Where intake copies submissions and writes its reports, relative to the course folder
#: (nbgrader's ``submitted_directory`` during ``course grade``).
INTAKE_DIRECTORY = GRADING_DIRECTORY / "intake"
#: Where hand grades are kept across re-grades, relative to the course folder.
MANUAL_DIRECTORY = GRADING_DIRECTORY / "manual"
#: The course's nbgrader configuration, in the course folder.
CONFIG_FILE = "nbgrader_config.py"
#: The file that holds each module's explanation release date (``course explain``).
EXPLANATIONS_FILE = "explanations.json"


class CourseFolder:
    """The paths of one course folder.

    Parameters
    ----------
    root : path-like
        The course folder (nbgrader's ``CourseDirectory.root``).
    keys_dir : path-like, optional
        A configured keys folder (``SnapshotAnswers.keys_dir``); default
        ``<root>/autograde/keys``.
    """

    def __init__(
        self, root: str | os.PathLike[str], keys_dir: str | os.PathLike[str] | None = None
    ):
        self.root = Path(root)
        self.keys_dir = Path(keys_dir) if keys_dir else self.root / KEYS_DIRECTORY

    def __repr__(self) -> str:
        return f"CourseFolder({str(self.root)!r})"

    # -- settings -----------------------------------------------------------------------
    @property
    def config_file(self) -> Path:
        """The course's ``nbgrader_config.py``."""
        return self.root / CONFIG_FILE

    @property
    def explanations(self) -> Path:
        """The dates each module's explanations are released (``course explain``)."""
        return self.root / EXPLANATIONS_FILE

    @property
    def lms_settings(self) -> Path:
        """The LMS export settings, ``lms.yaml`` (optional)."""
        return self.root / "lms.yaml"

    # -- nbgrader's stages -------------------------------------------------------------
    def stage(self, stage: str, student: str | None = None, module: str | None = None) -> Path:
        """Return ``<root>/<stage>[/<student>][/<module>]`` for one of :data:`STAGES`.

        ``source`` and ``release`` take no student.
        """
        if stage not in STAGES:
            raise ValueError(f"Unknown stage {stage!r}; expected one of {', '.join(STAGES)}.")
        path = self.root / stage
        if student is not None:
            if stage in ("source", "release"):
                raise ValueError(f"The {stage} stage has no student folders.")
            path = path / student
        return path / module if module is not None else path

    def source(self, module: str | None = None) -> Path:
        """Return ``source/`` or one module's source folder."""
        return self.stage("source", module=module)

    def source_notebook(self, module: str, notebook: str | None = None) -> Path:
        """Return a source notebook (default: the one named after the module)."""
        return self.source(module) / f"{notebook or module}.ipynb"

    def source_notebooks(self, module: str) -> list[Path]:
        """Return the module's source notebooks, sorted by name."""
        return sorted(self.source(module).glob("*.ipynb"))

    def release(self, module: str | None = None) -> Path:
        """Return ``release/`` or one module's release folder."""
        return self.stage("release", module=module)

    def release_notebook(self, module: str, notebook: str | None = None) -> Path:
        """Return a released notebook (default: the one named after the module)."""
        return self.release(module) / f"{notebook or module}.ipynb"

    def submitted(self, student: str | None = None, module: str | None = None) -> Path:
        """Return ``submitted/``, a student's folder in it, or one submission."""
        return self.stage("submitted", student, module)

    def autograded(self, student: str | None = None, module: str | None = None) -> Path:
        """Return ``autograded/``, a student's folder in it, or one graded submission."""
        return self.stage("autograded", student, module)

    def feedback(self, student: str | None = None, module: str | None = None) -> Path:
        """Return ``feedback/``, a student's folder in it, or one module's feedback."""
        return self.stage("feedback", student, module)

    # -- keys ---------------------------------------------------------------------------
    def key(self, module: str) -> Path:
        """Return the answer key file of a module."""
        return self.keys_dir / f"{module}.yaml"

    # -- grader-side records ------------------------------------------------------------
    @property
    def grading(self) -> Path:
        """The grader-side folder (never released, never written by student code)."""
        return self.root / GRADING_DIRECTORY

    @property
    def intake(self) -> Path:
        """The intake folder: nbgrader's ``submitted_directory`` during ``course grade``."""
        return self.root / INTAKE_DIRECTORY

    def intake_report(self, student: str, module: str) -> Path:
        """Return what intake copied and refused for one submission."""
        return self.intake / student / f"{module}.json"

    def intake_copy(self, student: str, module: str) -> Path:
        """Return the folder of files intake copied from one submission (what is graded)."""
        return self.intake / student / module

    def snapshots(self, student: str, module: str) -> Path:
        """Return the folder of answers snapshots the grader scored for one submission."""
        return self.grading / "snapshots" / student / module

    def hashes_file(self, student: str, module: str, notebook: str) -> Path:
        """Return the SHA-256 record of a notebook's answers file at first grading."""
        return self.grading / "hashes" / student / module / f"{notebook}.json"

    def results(self, student: str | None = None, module: str | None = None) -> Path:
        """Return ``grading/results/``, a student's folder in it, or one submission's."""
        path = self.grading / "results"
        if student is not None:
            path = path / student
        return path / module if module is not None else path

    def results_file(self, student: str, module: str, notebook: str) -> Path:
        """Return the per-item results of one graded notebook."""
        return self.results(student, module) / f"{notebook}.json"

    def results_files(self, student: str, module: str) -> list[Path]:
        """Return the per-item results of one submission, sorted by notebook."""
        return sorted(self.results(student, module).glob("*.json"))

    def manual_record(self, student: str, module: str) -> Path:
        """Return where hand grades of one submission are kept across re-grades."""
        return self.root / MANUAL_DIRECTORY / student / f"{module}.json"

    # -- exports ------------------------------------------------------------------------
    @property
    def exports(self) -> Path:
        """The folder of CSV exports and the report."""
        return self.root / "exports"

    def export(self, name: str) -> Path:
        """Return one export file, such as ``grades.csv``."""
        return self.exports / name

    # -- debrief pages ------------------------------------------------------------------
    def debrief(self, module: str) -> Path:
        """Return the debrief page of a module (``course debrief``)."""
        return self.root / "debrief" / f"{module}.html"

    def modules(self) -> list[str]:
        """Return the module ids that have a source notebook (``source/<id>/<id>.ipynb``)."""
        source = self.source()
        if not source.is_dir():
            return []
        return sorted(p.name for p in source.iterdir() if self.source_notebook(p.name).exists())


def show_path(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> str:
    """Return a path as text, quoted ``repr``-style when a plain print would hide part of it.

    A path with spaces at the start or end of any of its names (a student or
    module folder, a file), or with an invisible or control character
    (a newline, a tab, a zero-width or non-breaking space, bytes that are not
    UTF-8), is quoted so the reader sees them; any other path is shown as is.
    Use it for every path or name shown to the instructor.

    >>> show_path("my-course"), show_path("my-course ")
    ('my-course', "'my-course '")
    >>> show_path("submitted/bob /01-close-reading")
    "'submitted/bob /01-close-reading'"
    """
    text = os.fsdecode(path)
    parts = text.split(os.sep)
    if text.isprintable() and all(part == part.strip() for part in parts):
        return text
    return repr(text)
