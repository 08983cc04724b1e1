"""Console helpers shared by the commands: progress bars and clear errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console()
err_console = Console(stderr=True)


def fail(message: str, hint: str | None = None, code: int = 1) -> typer.Exit:
    """Print an error (and what to do next) and return the Exit to raise."""
    err_console.print(f"[bold red]Error:[/] {message}")
    if hint:
        err_console.print(f"[yellow]What to do:[/] {hint}")
    return typer.Exit(code)


@contextlib.contextmanager
def progress_bar(title: str) -> Iterator:
    """Yield a ``progress(description, done, total)`` callback drawing one bar."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(title, total=1)

        def update(description: str, done: int, total: int) -> None:
            bar.update(task, description=description, completed=done, total=max(total, 1))

        yield update


@contextlib.contextmanager
def batch_progress(title: str) -> Iterator:
    """Yield a ``progress(description, done, total)`` callback with an estimated time left.

    A description is ``"<phase>: <details>"``; when the phase changes, the bar
    starts over, so the estimate follows the speed of the current phase.
    """
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TextColumn("left:"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(title, total=1)
        phase = [""]

        def update(description: str, done: int, total: int) -> None:
            current = description.split(":", 1)[0]
            if current != phase[0]:
                phase[0] = current
                bar.reset(task, total=max(total, 1), completed=done, description=description)
            else:
                bar.update(task, description=description, completed=done, total=max(total, 1))

        yield update
