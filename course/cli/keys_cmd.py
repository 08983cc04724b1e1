"""``course keys DIR [--update [MODULE…]]``: the answer keys against the key manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..coursefolder import CourseFolderError, require_course
from ..grading.manifest import (
    KeyManifestError,
    KeyState,
    KeyStatus,
    course_keys_dir,
    key_states,
    manifest_path,
    update_manifest,
)
from ._ui import console, fail

_STYLE = {
    KeyState.UNCHANGED: "green",
    KeyState.CHANGED: "red",
    KeyState.NEW: "yellow",
    KeyState.UNRECORDED: "yellow",
    KeyState.DELETED: "red",
}


def _short(sha: str | None) -> str:
    return f"{sha[:12]}…" if sha else "-"


def _show(course_dir: Path, keys_dir: Path, modules: list[str] | None) -> None:
    statuses = key_states(keys_dir, modules, course_dir=course_dir)
    if not statuses and not modules:
        raise fail(
            f"There are no answer keys in {keys_dir}.",
            f"Copy the course's keys in with `course init {course_dir}`.",
        )
    unknown = sorted(set(modules or ()) - {s.module for s in statuses})
    if unknown:
        known = ", ".join(s.module for s in key_states(keys_dir, course_dir=course_dir))
        raise fail(
            f"No key file {', '.join(m + '.yaml' for m in unknown)} in {keys_dir}.",
            f"Name modules that have a key; the keys there are: {known or 'none'}.",
        )
    table = Table(title=f"Answer keys in {keys_dir}")
    table.add_column("Module", no_wrap=True)
    table.add_column("State")
    table.add_column("SHA-256 now")
    table.add_column("Recorded")
    for s in statuses:
        recorded = (
            f"{_short(s.recorded.sha256)} {s.recorded.recorded_at} {s.recorded.recorded_by}"
            if s.recorded
            else "-"
        )
        table.add_row(
            s.module, f"[{_STYLE[s.state]}]{s.state.value}[/]", _short(s.sha256), recorded
        )
    console.print(table)
    manifest = manifest_path(keys_dir)
    bad = [s for s in statuses if s.state is not KeyState.UNCHANGED]
    if any(s.state is KeyState.UNRECORDED for s in bad):
        raise fail(
            f"There is no key manifest {manifest}, so `course grade` refuses to grade.",
            f"Check that the keys in {keys_dir} are the ones you mean to grade with, then "
            f"record them with `course keys {course_dir} --update`.",
        )
    if bad:
        names = " ".join(s.module for s in bad)
        raise fail(
            f"{len(bad)} key(s) do not match the key manifest {manifest}: {names}. "
            "`course grade` refuses to grade with them.",
            f"If these changes are yours, record them with `course keys {course_dir} --update "
            f"{names}` (then `course grade {course_dir} --force` re-scores students graded with "
            "the old keys). If not, restore the keys from your copy of the course's keys.",
        )
    console.print(f"All {len(statuses)} key(s) match the key manifest {manifest}.")


def _report_update(course_dir: Path, keys_dir: Path, before: list[KeyStatus]) -> None:
    changed = [s for s in before if s.state is not KeyState.UNCHANGED]
    for s in before:
        if s.state is KeyState.UNCHANGED:
            console.print(f"  {s.module}: unchanged")
        elif s.state is KeyState.DELETED:
            console.print(f"  {s.module}: [red]deleted[/]; removed from the manifest")
        elif s.state is KeyState.CHANGED:
            console.print(
                f"  {s.module}: [yellow]changed[/]; recorded {_short(s.sha256)} "
                f"(was {_short(s.recorded.sha256 if s.recorded else None)})"
            )
        else:
            console.print(f"  {s.module}: [yellow]{s.state.value}[/]; recorded {_short(s.sha256)}")
    console.print(f"Updated the key manifest {manifest_path(keys_dir)}.")
    if changed:
        console.print(
            "Students already graded keep the scores of the old key(s) until they are "
            f"re-graded: run [bold]course grade {course_dir} --force[/] to re-score them."
        )
    else:
        console.print("No key had changed.")


def keys(
    course_dir: Annotated[Path, typer.Argument(help="The course folder.")],
    modules: Annotated[
        list[str] | None,
        typer.Argument(help="Modules whose keys to show or record (default: all)."),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Record the keys' current SHA-256 in the key manifest, after a deliberate edit.",
        ),
    ] = False,
) -> None:
    """Show whether each answer key still matches the key manifest, or record a deliberate edit.

    States: unchanged, changed, new (not in the manifest), missing from manifest
    (there is no manifest) and deleted. `course grade` refuses to grade a module
    whose key is not unchanged; the exit status is 1 if any key shown is not.
    """
    try:
        folder = require_course(course_dir)
        keys_dir = course_keys_dir(folder)
        if update:
            _report_update(folder, keys_dir, update_manifest(keys_dir, modules, course_dir=folder))
        else:
            _show(folder, keys_dir, modules)
    except (CourseFolderError, KeyManifestError) as exc:
        hint = getattr(exc, "hint", None)
        raise fail(getattr(exc, "problem", str(exc)), hint) from exc
