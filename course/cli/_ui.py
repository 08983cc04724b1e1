"""Console helpers shared by the commands: progress bars and clear errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

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
