"""nbgrader configuration for a course: the pipelines and the config file.

``course init`` writes a short ``nbgrader_config.py`` that calls
:func:`configure`; the pipelines are defined here, once, so an upgrade of the
package upgrades every course's grading steps.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DEFAULT_COURSE_ID",
    "ZIP_NAMED_REGEXP",
    "configure",
    "render_nbgrader_config",
]

DEFAULT_COURSE_ID = "claims-and-evidence"

#: zip_collect: archives named ``[anything_]<student>__<module>.zip`` (as made by
#: ``course.pack_submission``), holding ``<module>.ipynb`` and ``.<module>.answers.json``.
ZIP_NAMED_REGEXP = (
    r".*/(?:[^/]*_)?(?P<student_id>[A-Za-z0-9.@-]+)__[^/]*/"
    r"(?P<file_id>\.?[0-9]{2}-[a-z0-9-]+(?:\.answers\.json|\.ipynb))$"
)

_IGNORE = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    ".*.answers.json.tmp-*",  # a save interrupted mid-write; never a student answer
]


def configure(
    c: Any,
    *,
    keys_dir: str | None = None,
    timeout: int = 30,
    notebook_timeout: int = 600,
    memory_limit: int = 4096,
    show_explanations: bool = False,
    sandbox: str = "auto",
    sandbox_network: bool = False,
) -> Any:
    """Set the course's nbgrader pipelines on the config object ``c``.

    Parameters
    ----------
    c : traitlets.config.Config
        The object returned by ``get_config()`` in ``nbgrader_config.py``.
    keys_dir : str, optional
        Folder of the answer keys (default: ``<course root>/autograde/keys``).
    timeout : int, default 30
        Seconds a single cell may run during autograding.
    notebook_timeout : int, default 600
        Seconds a whole notebook may run during autograding; cells after the
        limit are not run (their grade cells score 0). 0 means no limit.
        ``course grade`` also stops a student's grading process that runs
        past this limit (plus a margin) and reports the student.
    memory_limit : int, default 4096
        MiB of address space a student's kernel may use (``RLIMIT_AS``);
        0 means no limit.
    show_explanations : bool, default False
        Whether student feedback shows correct answers and explanations.
    sandbox : {"auto", "bubblewrap", "none"}, default "auto"
        Isolation of the student's kernel during autograding
        (:mod:`course.grading.sandbox`): ``"bubblewrap"`` requires Debian's
        bubblewrap and refuses to grade without it; ``"auto"`` uses it where it
        works and otherwise grades without isolation, listing a problem on every
        submission; ``"none"`` turns isolation off.
    sandbox_network : bool, default False
        Whether a sandboxed kernel keeps network access.
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearHiddenTests,
        ClearOutput,
        DeduplicateIds,
        GetGrades,
        IgnorePattern,
        LimitOutput,
        OverwriteCells,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    from .preprocessors import (
        FilterFeedback,
        GuardedExecute,
        InsertRubrics,
        LimitOutputBytes,
        RestoreCells,
        SanitizeCells,
        ScoreAnswers,
        SnapshotAnswers,
    )

    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.Autograde.sanitize_preprocessors = [
        SanitizeCells,  # first: nbgrader's steps below raise on tampered metadata
        ClearOutput,
        DeduplicateIds,
        OverwriteKernelspec,
        RestoreCells,  # before OverwriteCells, which cannot restore cells after item cells
        OverwriteCells,
        CheckCellMetadata,
    ]
    c.Autograde.autograde_preprocessors = [
        SanitizeCells,  # here only hands the sanitize pass's problems to ScoreAnswers
        SnapshotAnswers,  # before any student code runs
        GuardedExecute,
        ScoreAnswers,  # after the kernel is gone, before SaveAutoGrades
        InsertRubrics,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        LimitOutputBytes,  # LimitOutput counts lines; this counts bytes
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    c.OverwriteCells.add_missing_cells = True
    c.Execute.timeout = timeout
    c.GuardedExecute.notebook_timeout = notebook_timeout
    c.GuardedExecute.memory_limit = memory_limit
    c.GuardedExecute.sandbox = sandbox
    c.GuardedExecute.sandbox_network = sandbox_network
    c.GenerateFeedback.preprocessors = [
        GetGrades,
        ClearHiddenTests,  # the fail-closed part of each grade cell
        FilterFeedback,
        LimitOutputBytes,
        CSSHTMLHeaderPreprocessor,
    ]
    c.FilterFeedback.show_explanations = show_explanations
    if keys_dir:
        c.ScoreAnswers.keys_dir = keys_dir
        c.InsertRubrics.keys_dir = keys_dir
    c.CourseDirectory.ignore = list(_IGNORE)
    c.FileNameCollectorPlugin.valid_ext = [".ipynb", ".json"]
    c.FileNameCollectorPlugin.named_regexp = ZIP_NAMED_REGEXP
    return c


def render_nbgrader_config(
    *,
    course_id: str = DEFAULT_COURSE_ID,
    db_url: str | None = None,
    show_explanations: bool = False,
    timeout: int = 30,
    notebook_timeout: int = 600,
    memory_limit: int = 4096,
    sandbox: str = "auto",
) -> str:
    """Return the text of a course's ``nbgrader_config.py``."""
    db_line = (
        f"c.CourseDirectory.db_url = {db_url!r}"
        if db_url
        else 'c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db") '
        '+ "?timeout=120"'
    )
    return f'''"""nbgrader configuration of a Claims & Evidence course, written by `course init`.

Edit the values below; the grading pipelines come from course.grading.config.configure.
"""

import os

from course.grading.config import configure

HERE = os.path.dirname(os.path.abspath(__file__))

c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = {course_id!r}
# SQLite waits up to 120 s for a lock; for large courses use PostgreSQL, e.g.
# c.CourseDirectory.db_url = "postgresql+psycopg2://user:password@host/dbname"
{db_line}

configure(
    c,
    keys_dir=os.path.join(HERE, "autograde", "keys"),
    timeout={timeout},  # seconds one cell may run during autograding
    notebook_timeout={notebook_timeout},  # seconds one whole notebook may run (0: no limit)
    memory_limit={memory_limit},  # MiB of memory a student's kernel may use (0: no limit)
    # Isolation of student code during grading: "bubblewrap" (required), "auto" (bubblewrap
    # where it works, otherwise none, reported on every submission) or "none":
    sandbox={sandbox!r},
    sandbox_network=False,  # True lets sandboxed student code use the network
    # True shows students each correct answer and its explanation in feedback:
    show_explanations={show_explanations!r},
)

# Where students fetch and submit when you use nbgrader's exchange:
# c.Exchange.root = "/srv/nbgrader/exchange"
'''
