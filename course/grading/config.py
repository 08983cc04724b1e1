"""nbgrader configuration for a course: the pipelines and the config file.

``course init`` writes a short ``nbgrader_config.py`` that calls
:func:`configure`; the pipelines are defined here, once, so an upgrade of the
package upgrades every course's grading steps.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

from .explain import SCHEDULE_FILE
from .limits import CELL_TIMEOUT, MEMORY_LIMIT_MIB, NOTEBOOK_TIMEOUT

__all__ = [
    "DEFAULT_COURSE_ID",
    "EXPLANATIONS_FILE",
    "ZIP_NAMED_REGEXP",
    "configure",
    "exchange_problem",
    "read_exchange_settings",
    "render_nbgrader_config",
    "set_config_values",
]

DEFAULT_COURSE_ID = "claims-and-evidence"

#: Each module's release date for explanations, in the course folder (course.grading.explain).
EXPLANATIONS_FILE = SCHEDULE_FILE

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
    timeout: int = CELL_TIMEOUT,
    notebook_timeout: int = NOTEBOOK_TIMEOUT,
    memory_limit: int = MEMORY_LIMIT_MIB,
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
        # The course folder's dated releases (`course explain`), beside autograde/.
        c.FilterFeedback.explanations_schedule = str(
            Path(keys_dir).parent.parent / EXPLANATIONS_FILE
        )
    # The course's feedback page (each score once, provisional notice); for feedback only.
    from .preprocessors.filter_feedback import FEEDBACK_TEMPLATE, FEEDBACK_TEMPLATES_DIR

    c.GenerateFeedback.HTMLExporter.template_name = FEEDBACK_TEMPLATE
    c.GenerateFeedback.HTMLExporter.extra_template_basedirs = [FEEDBACK_TEMPLATES_DIR]
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
    timeout: int = CELL_TIMEOUT,
    notebook_timeout: int = NOTEBOOK_TIMEOUT,
    memory_limit: int = MEMORY_LIMIT_MIB,
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
    # True shows students every module's correct answers and explanations in feedback;
    # `course explain` releases them one module at a time, on a date you choose:
    show_explanations={show_explanations!r},
)

# Where students fetch and submit when you use nbgrader's exchange (`course init DIR
# --exchange PATH` sets it); students need the same value and course id (`course lab-setup`):
# c.Exchange.root = "/srv/nbgrader/exchange"

# Grade on a Dask cluster instead of this machine's cores: `course grade` then sends one
# task per submission to this scheduler (docs/grading-at-scale.md); --jobs grades here:
# c.Grading.scheduler = "tcp://scheduler.example.org:8786"
'''


#: Header of an ``nbgrader_config.py`` that :func:`set_config_values` creates.
_NEW_CONFIG = '''"""nbgrader settings written by `course {command}`.

nbgrader reads this file from every Jupyter config folder (`jupyter --paths`).
"""

c = get_config()  # noqa: F821 - provided by nbgrader
'''


def set_config_values(
    path: str | os.PathLike[str], values: dict[str, str], *, command: str = "lab-setup"
) -> dict[str, tuple[str | None, str]]:
    """Set ``c.<Class>.<trait> = <value>`` lines in an ``nbgrader_config.py``.

    An existing line for a trait is replaced in place (so is a commented-out
    example such as ``# c.Exchange.root = ...``); a trait without one is
    appended. Every other line of the file is kept. A missing file is created
    with a short header.

    Parameters
    ----------
    path : path-like
        The ``nbgrader_config.py`` to write.
    values : dict of str to str
        Trait (``"Exchange.root"``) to its value, written as a Python string.
    command : str, default "lab-setup"
        The ``course`` command named in the header of a new file.

    Returns
    -------
    dict of str to (str or None, str)
        For each trait whose line changed: the previous line (None if there
        was none, or only a commented-out example) and the new one.
    """
    path = Path(path)
    text = (
        path.read_text(encoding="utf-8") if path.exists() else _NEW_CONFIG.format(command=command)
    )
    lines = text.splitlines()
    changed: dict[str, tuple[str | None, str]] = {}
    for trait, value in values.items():
        new = f"c.{trait} = {value!r}"
        name = re.escape(f"c.{trait}")
        active = [i for i, line in enumerate(lines) if re.match(rf"{name}\s*=", line)]
        example = [i for i, line in enumerate(lines) if re.match(rf"#\s*{name}\s*=", line)]
        if active:
            old = lines[active[-1]]  # the line that takes effect
            if all(lines[i] == new for i in active):
                continue
            for i in active:
                lines[i] = new
            changed[trait] = (old, new)
        elif example:
            lines[example[0]] = new
            changed[trait] = (None, new)
        else:
            lines.append(new)
            changed[trait] = (None, new)
    if changed or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


def read_exchange_settings(path: str | os.PathLike[str]) -> tuple[str | None, str | None]:
    """Return the exchange root and course id an ``nbgrader_config.py`` sets.

    The file is loaded as nbgrader loads it (traitlets' ``PyFileConfigLoader``),
    so a value computed in the file is seen as nbgrader sees it.

    Returns
    -------
    (str or None, str or None)
        ``c.Exchange.root`` and ``c.CourseDirectory.course_id``; None for each
        the file does not set.
    """
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(path)
    config = PyFileConfigLoader(path.name, str(path.parent)).load_config()
    root = config.Exchange.root if "root" in config.Exchange else None
    course_id = config.CourseDirectory.course_id if "course_id" in config.CourseDirectory else None
    return root, course_id


def exchange_problem(root: str | os.PathLike[str]) -> str | None:
    """Return what keeps ``root`` from serving as nbgrader's exchange folder, or None.

    nbgrader needs the folder to exist before any exchange command, readable
    and writable by every user (its documentation: ``chmod ugo+rw``).
    """
    root = os.fspath(root)
    try:
        mode = os.stat(root).st_mode
    except FileNotFoundError:
        return f"The exchange folder {root} does not exist yet."
    except OSError as exc:
        return f"The exchange folder {root} cannot be read: {exc.strerror}."
    if not stat.S_ISDIR(mode):
        return f"The exchange path {root} is not a folder."
    if stat.S_IMODE(mode) & 0o777 != 0o777:
        return (
            f"The exchange folder {root} is not readable and writable by every user "
            f"(mode {stat.S_IMODE(mode):o})."
        )
    return None
