"""``course lab-setup``: nbgrader's JupyterLab parts for a student or an instructor.

nbgrader installs five JupyterLab plugins and four server extensions, all
enabled, so every student also sees the instructor's Formgrader, the
*Create Assignment* panel and the course list. This command turns them on or
off the way nbgrader's installation guide documents ("Disabling
extensions"), through the same functions as ``jupyter labextension
disable|enable|lock|unlock --level=…`` and ``jupyter server extension
disable|enable --user|--sys-prefix``, and can write the student's
``nbgrader_config.py`` (exchange folder and course id).
"""

from __future__ import annotations

import logging
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from ..grading.config import (
    DEFAULT_COURSE_ID,
    exchange_problem,
    read_exchange_settings,
    set_config_values,
)
from ..paths import CourseFolder
from ._ui import console, fail

__all__ = [
    "INSTRUCTOR_PLUGINS",
    "INSTRUCTOR_SERVER_EXTENSIONS",
    "LEVELS",
    "ROLES",
    "STUDENT_PLUGINS",
    "STUDENT_SERVER_EXTENSIONS",
    "Change",
    "config_dir",
    "configure_role",
    "lab_setup",
    "write_student_config",
]

ROLES = ("student", "instructor")
LEVELS = ("user", "sys_prefix")

#: JupyterLab plugins of nbgrader (ids from its labextension's code) a student keeps.
STUDENT_PLUGINS = ("@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment")
#: JupyterLab plugins only instructors get. nbgrader's ``:menu`` plugin stays on for both:
#: it only lists the commands of the plugins that are on.
INSTRUCTOR_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)
STUDENT_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.validate_assignment",
)
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)


@dataclass(frozen=True)
class Change:
    """One setting ``course lab-setup`` changed, and the command that reverts it."""

    what: str
    undo: str


def config_dir(level: str) -> Path:
    """Return the Jupyter config folder of ``level``, as ``jupyter … --level`` uses it.

    ``"user"`` is ``jupyter_config_dir()`` (``~/.jupyter``, or
    ``$JUPYTER_CONFIG_DIR``); ``"sys_prefix"`` is ``{sys.prefix}/etc/jupyter``,
    read by everyone who runs this Python environment.
    """
    from jupyter_core.paths import ENV_CONFIG_PATH, jupyter_config_dir

    if level == "user":
        return Path(jupyter_config_dir())
    if level == "sys_prefix":
        return Path(ENV_CONFIG_PATH[0])
    raise ValueError(f"level must be one of {LEVELS}, not {level!r}")


def _page_config(level: str) -> dict:
    from jupyterlab_server.config import get_static_page_config

    return get_static_page_config(level=level)


def _lab_flag(level: str) -> str:
    return f"--level={level}"


def _server_flag(level: str) -> str:
    return "--user" if level == "user" else "--sys-prefix"


def _state(config: dict, key: str, plugin: str) -> bool | None:
    return config.get(key, {}).get(plugin)


def _set_plugin(plugin: str, on: bool, level: str, lock: bool) -> tuple[list[Change], str | None]:
    """Enable or disable (and lock) one JupyterLab plugin at ``level``.

    Returns the changes made and, if the plugin still has the wrong state for
    the person running this, why.
    """
    from jupyterlab import commands
    from jupyterlab_server.config import write_page_config

    options = commands.AppOptions(logger=logging.getLogger("course.lab_setup"))
    flag = _lab_flag(level)
    if locked := _locked_above(plugin, level):
        # JupyterLab refuses to toggle it here; so do we.
        return [], (
            f"{plugin} is left as it is: the {locked} level locks it. Unlock it there first "
            f"(`jupyter labextension unlock --level={locked} {plugin}`), then run this again."
        )
    before = _page_config(level)
    was_disabled = _state(before, "disabledExtensions", plugin)
    was_locked = bool(_state(before, "lockedExtensions", plugin))
    changes: list[Change] = []
    if on and was_locked:
        commands.unlock_extension(plugin, app_options=options, level=level)
        changes.append(Change(f"unlocked {plugin}", f"jupyter labextension lock {flag} {plugin}"))
    if on and (was_disabled or _state(_page_config("all"), "disabledExtensions", plugin)):
        commands.enable_extension(plugin, app_options=options, level=level)
    elif not on and not was_disabled:
        commands.disable_extension(plugin, app_options=options, level=level)
    # `enable` and `disable` write nothing when the plugin already has the wanted state
    # through another config level; this level must say it too, for whoever reads it.
    page = _page_config(level)
    if bool(_state(page, "disabledExtensions", plugin)) == on:
        page.setdefault("disabledExtensions", {})[plugin] = not on
        write_page_config(page, level=level)
    now_disabled = _state(_page_config(level), "disabledExtensions", plugin)
    if now_disabled != was_disabled:
        verb, undo = ("enabled", "disable") if on else ("disabled", "enable")
        changes.append(Change(f"{verb} {plugin}", f"jupyter labextension {undo} {flag} {plugin}"))
    if lock and not on and not was_locked:
        commands.lock_extension(plugin, app_options=options, level=level)
        if _state(_page_config(level), "lockedExtensions", plugin):
            changes.append(
                Change(f"locked {plugin}", f"jupyter labextension unlock {flag} {plugin}")
            )
    problem = None
    if bool(_state(_page_config("all"), "disabledExtensions", plugin)) == on:
        problem = _overridden(
            f"{plugin} is still {'disabled' if on else 'enabled'} for you",
            lambda folder: _state(_read_page_config(folder), "disabledExtensions", plugin),
            level,
        )
    return changes, problem


def _locked_above(plugin: str, level: str) -> str | None:
    """Return the level JupyterLab ranks above ``level`` that locks ``plugin``, if any."""
    above = ("sys_prefix", "system") if level == "user" else ("system",)
    for name in above:
        if _state(_page_config(name), "lockedExtensions", plugin):
            return name
    return None


def _read_page_config(folder: str) -> dict:
    from jupyter_server.config_manager import BaseJSONConfigManager

    return BaseJSONConfigManager(config_dir=os.path.join(folder, "labconfig")).get("page_config")


def _overridden(what: str, setting: Callable[[str], bool | None], level: str) -> str:
    """Say which config folder, read before the one of ``level``, decides instead."""
    from jupyter_core.paths import jupyter_config_path

    mine = os.path.abspath(config_dir(level))
    for folder in jupyter_config_path():
        if os.path.abspath(folder) == mine:
            break
        if setting(folder) is not None:
            hint = (
                " Jupyter reads this Python environment's config before the user's "
                "(`jupyter --paths`): use --level sys_prefix, or set "
                "JUPYTER_PREFER_ENV_PATH=0 for the user's Jupyter."
                if level == "user"
                else ""
            )
            return f"{what}: {folder} sets it and Jupyter reads that folder first.{hint}"
    return f"{what}: another setting decides (see `jupyter labextension list`)."


def _server_states(read_paths: list[str]) -> dict[str, bool]:
    from jupyter_server.extension.config import ExtensionConfigManager

    return ExtensionConfigManager(read_config_path=read_paths).get_jpserver_extensions()


def _set_server_extension(name: str, on: bool, level: str) -> tuple[list[Change], str | None]:
    """Enable or disable one server extension at ``level``, as ``jupyter server extension``."""
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.serverextension import toggle_server_extension_python

    at_level = _server_states([str(config_dir(level))]).get(name)
    changes: list[Change] = []
    if at_level is not on:
        toggle_server_extension_python(
            name, enabled=on, user=level == "user", sys_prefix=level == "sys_prefix"
        )
        verb, undo = ("enabled", "disable") if on else ("disabled", "enable")
        changes.append(
            Change(
                f"{verb} server extension {name}",
                f"jupyter server extension {undo} {_server_flag(level)} {name}",
            )
        )
    problem = None
    if _server_states(jupyter_config_path()).get(name, False) is not on:
        problem = _overridden(
            f"server extension {name} is still {'disabled' if on else 'enabled'} for you",
            lambda folder: _server_states([folder]).get(name),
            level,
        )
    return changes, problem


def configure_role(role: str, level: str = "user") -> tuple[list[Change], list[str]]:
    """Turn nbgrader's JupyterLab plugins and server extensions on or off for a role.

    Parameters
    ----------
    role : {"student", "instructor"}
        ``"student"``: the assignment list and validation stay on; Formgrader,
        *Create Assignment* and the course list are disabled and their plugins
        locked (so JupyterLab's plugin manager cannot turn them back on).
        ``"instructor"``: everything on, unlocked.
    level : {"user", "sys_prefix"}, default "user"
        The Jupyter config level written: the current user's config folder,
        or this Python environment's (every user of it).

    Returns
    -------
    (list of Change, list of str)
        What was changed at ``level``, and any setting that still differs for
        the person running this because another level overrides it.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    config_dir(level)  # checks the level
    student = role == "student"
    changes: list[Change] = []
    problems: list[str] = []
    for plugin in STUDENT_PLUGINS + INSTRUCTOR_PLUGINS:
        on = not student or plugin in STUDENT_PLUGINS
        done, problem = _set_plugin(plugin, on, level, lock=student)
        changes += done
        problems += [problem] if problem else []
    for name in STUDENT_SERVER_EXTENSIONS + INSTRUCTOR_SERVER_EXTENSIONS:
        on = not student or name in STUDENT_SERVER_EXTENSIONS
        done, problem = _set_server_extension(name, on, level)
        changes += done
        problems += [problem] if problem else []
    return changes, problems


def write_student_config(
    level: str, exchange_root: str | os.PathLike[str], course_id: str
) -> tuple[Path, list[Change]]:
    """Write the exchange folder and course id into ``nbgrader_config.py`` at ``level``.

    nbgrader reads ``nbgrader_config.py`` from every Jupyter config folder, so
    a student's ``nbgrader list``, ``fetch_assignment``, ``submit`` and the
    *Assignments* tab use these values. Other lines of an existing file are kept.

    Returns
    -------
    (Path, list of Change)
        The file, and each line changed (with how to revert it).
    """
    path = config_dir(level) / "nbgrader_config.py"
    existed = path.exists()
    values = {
        "Exchange.root": os.path.abspath(exchange_root),
        "CourseDirectory.course_id": course_id,
    }
    changed = set_config_values(path, values, command="lab-setup")
    quoted = shlex.quote(str(path))
    if not existed:
        lines = "; ".join(new for _, new in changed.values())
        return path, [Change(f"created {path}: {lines}", f"rm {quoted}")]
    changes = []
    for old, new in changed.values():
        undo = (
            f"in {quoted}, remove the line `{new}`"
            if old is None
            else f"in {quoted}, put back `{old}`"
        )
        changes.append(Change(f"{path}: {new}", undo))
    return path, changes


def lab_setup(
    role: Annotated[
        str, typer.Option(help="student (assignment list only) or instructor (everything).")
    ],
    level: Annotated[
        str,
        typer.Option(
            help="user: the current user's Jupyter config (~/.jupyter or $JUPYTER_CONFIG_DIR); "
            "sys_prefix: this Python environment's, for every user of it.",
        ),
    ] = "user",
    exchange: Annotated[
        Path | None,
        typer.Option(help="Student: nbgrader's exchange folder, written to nbgrader_config.py."),
    ] = None,
    course_id: Annotated[
        str | None,
        typer.Option(
            help=f"Student: the course id (default: the course's, or {DEFAULT_COURSE_ID})."
        ),
    ] = None,
    course: Annotated[
        Path | None,
        typer.Option(
            help="Student: take the exchange folder and course id from this course "
            "folder's nbgrader_config.py.",
        ),
    ] = None,
) -> None:
    """Show nbgrader's instructor tools in JupyterLab to instructors only.

    Students keep the Assignments list (fetch, validate, submit); Formgrader,
    Create Assignment and the course list are turned off for them.
    """
    if role not in ROLES:
        raise fail(f"Unknown --role {role!r}.", f"Use one of: {', '.join(ROLES)}.")
    if level not in LEVELS:
        raise fail(f"Unknown --level {level!r}.", f"Use one of: {', '.join(LEVELS)}.")
    if role == "instructor" and (exchange or course or course_id):
        raise fail(
            "--exchange, --course and --course-id write a student's nbgrader settings.",
            "Set the instructor's exchange folder with `course init DIR --exchange PATH`.",
        )
    root, cid = _student_exchange(exchange, course, course_id)
    where = config_dir(level)
    try:
        changes, problems = configure_role(role, level)
        config_path = None
        if root is not None:
            config_path, written = write_student_config(level, root, cid)
            changes += written
    except PermissionError as exc:
        raise fail(
            f"Cannot write the Jupyter config at {where}: {exc.strerror} ({exc.filename}).",
            "Run it as a user who may write there (sys_prefix: the owner of the Python "
            "environment), or use --level user.",
        ) from exc
    if root is not None and (problem := exchange_problem(root)):
        quoted = shlex.quote(str(root))
        problems.append(
            f"{problem} The instructor (or an administrator) creates it before releasing: "
            f"sudo mkdir -p {quoted} && sudo chmod ugo+rw {quoted}"
        )
    _report(role, level, where, changes, problems, config_path)


def _student_exchange(
    exchange: Path | None, course: Path | None, course_id: str | None
) -> tuple[str | None, str]:
    """Return the exchange root (None: none to write) and the course id a student gets."""
    root = os.path.abspath(exchange) if exchange is not None else None
    from_course = None
    if course is not None:
        config = CourseFolder(course).config_file
        if not config.is_file():
            raise fail(
                f"{course} has no nbgrader_config.py.",
                "Give the course folder `course init` made, or pass --exchange and --course-id.",
            )
        try:
            course_root, from_course = read_exchange_settings(config)
        except Exception as exc:  # the instructor's own edits may not load
            raise fail(f"{config} does not load: {exc}", "Correct the file and run again.") from exc
        if root is None:
            if course_root is None:
                raise fail(
                    f"{config} sets no exchange folder (c.Exchange.root).",
                    f"Set it with `course init {shlex.quote(str(course))} --exchange PATH`, "
                    "or pass --exchange.",
                )
            root = course_root
    elif course_id is not None and root is None:
        raise fail(
            "--course-id is written with the exchange folder.",
            "Pass --exchange PATH (or --course DIR) as well.",
        )
    return root, course_id or from_course or DEFAULT_COURSE_ID


def _report(
    role: str,
    level: str,
    where: Path,
    changes: list[Change],
    problems: list[str],
    config_path: Path | None,
) -> None:
    say = partial(console.print, soft_wrap=True, highlight=False)  # commands stay on one line
    say(f"JupyterLab set up for the [bold]{role}[/] role at level {level} ({where}).")
    if changes:
        say("Changed:")
        for change in changes:
            say(f"  {change.what}")
    else:
        say("Nothing to change: it was already set up this way.")
    if config_path is not None:
        say(f"Students' nbgrader settings (exchange folder, course id): {config_path}")
    for problem in problems:
        say(f"[yellow]Note:[/] {problem}")
    if changes:
        other = "instructor" if role == "student" else "student"
        say(
            f"To undo: `course lab-setup --role {other} --level {level}` switches roles; "
            "to revert exactly these changes, run:"
        )
        for change in reversed(changes):
            say(f"  {change.undo}")
    say("Restart JupyterLab (or the user's server) for the change to take effect.")
