"""``course hub setup|start|remove``: the course on a local JupyterHub (docs/deploy.md)."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from ..hub import EXCHANGE, PREFIX, HubError, HubLayout, RunningHub
from ..hub import remove as remove_hub
from ..hub import setup as setup_hub
from ..hub import start as start_hub
from ._ui import console, fail

__all__ = ["app"]

app = typer.Typer(
    help="The course on a local JupyterHub: Linux users, nbgrader's exchange, JupyterLab by role.",
    no_args_is_help=True,
)

PrefixOption = Annotated[
    Path,
    typer.Option(help="Where the hub's environment, configuration and state live."),
]


def _say(message: str) -> None:
    console.print(message, highlight=False, soft_wrap=True)


def _failed(exc: HubError) -> typer.Exit:
    return fail(exc.message, exc.hint)


@app.command("setup")
def setup(
    prefix: PrefixOption = PREFIX,
    exchange: Annotated[
        Path, typer.Option(help="nbgrader's exchange folder, shared by everyone.")
    ] = EXCHANGE,
) -> None:
    """Create the users, the shared environment, the exchange and the instructor's course.

    Run it as root. Running it again brings everything up to date.
    """
    layout = HubLayout(prefix=prefix.absolute(), exchange=exchange.absolute())
    try:
        setup_hub(layout, say=_say)
    except HubError as exc:
        raise _failed(exc) from exc
    _say(f"Users: {', '.join(layout.users)} (instructor: {layout.instructor}).")
    _say(f"Next: [bold]course hub start --demo --prefix {prefix}[/]")


@app.command("start")
def start(
    prefix: PrefixOption = PREFIX,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Print the demo users' passwords with the address.")
    ] = False,
) -> None:
    """Run the hub in the foreground on 127.0.0.1 until Ctrl-C, which stops everything."""
    layout = HubLayout(prefix=prefix.absolute())
    _say(f"Starting JupyterHub on 127.0.0.1:{port} ...")
    try:
        hub = start_hub(layout, port=port)
    except HubError as exc:
        raise _failed(exc) from exc
    _show(hub, demo)
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        while not stopping and hub.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        _say("Stopping the hub, its proxy and every user's server ...")
        left = hub.stop()
        for line in left:
            _say(f"  stopped a leftover process: {line}")
    if not stopping and hub.process.returncode not in (0, -signal.SIGTERM):
        raise fail(
            f"JupyterHub exited with code {hub.process.returncode}.",
            f"See its log: {layout.log_file}",
        )
    _say("Stopped.")


def _show(hub: RunningHub, demo: bool) -> None:
    _say(f"JupyterHub is running at [bold]{hub.url}[/] (127.0.0.1 only).")
    _say(f"Log in as (authentication: {hub.authenticator}):")
    for user in hub.users:
        role = "instructor" if user == hub.layout.instructor else "student"
        password = f"password {hub.passwords.get(user, '?')}" if demo else ""
        _say(f"  {user:<16} {role:<11}{password}")
    if not demo:
        _say("(add --demo to print the demo passwords)")
    _say(f"Hub log: {hub.layout.log_file}")
    _say("Press Ctrl-C to stop the hub and every user's server.")


@app.command("remove")
def remove(prefix: PrefixOption = PREFIX) -> None:
    """Delete the demo users and their homes, the exchange folder and the prefix."""
    layout = HubLayout(prefix=prefix.absolute())
    try:
        left = remove_hub(layout, say=_say)
    except HubError as exc:
        raise _failed(exc) from exc
    for line in left:
        _say(f"  stopped a leftover process: {line}")
    _say("The local hub is removed.")
