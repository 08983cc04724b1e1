"""Fixtures for the hub tests: the local JupyterHub of ``course hub`` (docs/deploy.md).

The tests need root (they create Linux users and the hub starts servers as
them) and Linux's user tools. Without them the tests are skipped with the
reason, except in CI (``CI`` set), where they fail instead.

The ``hub`` fixture runs ``course hub setup`` when the hub is not set up yet
(and then ``course hub remove`` at the end of the session, unless
``COURSE_HUB_KEEP`` is set), starts the hub on a free port of 127.0.0.1, and
at the end stops it and checks that no process of the demo users remains.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from course.hub import TOOLS, HubError, HubLayout, RunningHub, is_set_up, remove, setup, start

#: Where the tests' hub lives (default: the one `course hub setup` makes).
PREFIX = Path(os.environ.get("COURSE_HUB_PREFIX") or "/opt/claims-evidence-hub")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing(what: str) -> None:
    """Skip for a missing requirement, or fail in CI."""
    if in_ci():
        pytest.fail(f"{what} CI is set, so the hub tests may not be skipped.", pytrace=False)
    pytest.skip(what)


def _say(message: str) -> None:
    print(f"[course hub] {message}", flush=True)


@pytest.fixture(scope="session")
def hub_layout() -> HubLayout:
    """The hub's layout, once the requirements are checked."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        missing(
            "The hub tests run as root: they create Linux users and the hub starts "
            "servers as them (sudo .venv/bin/python -m pytest tests/hub -m hub)."
        )
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    if absent:
        missing(f"Linux user tools are missing ({', '.join(absent)}).")
    return HubLayout(prefix=PREFIX)


@pytest.fixture(scope="session")
def hub(hub_layout: HubLayout) -> Iterator[RunningHub]:
    """The hub, set up (if needed) and running on a free port of 127.0.0.1.

    Yields a :class:`course.hub.RunningHub`: ``url``, ``users``, ``passwords``,
    ``prefix``, ``course_dir`` and ``run_as(user, *command)``.
    """
    made_here = not is_set_up(hub_layout)
    try:
        if made_here:
            setup(hub_layout, say=_say)
        running = start(hub_layout)
    except HubError as exc:
        if made_here and not os.environ.get("COURSE_HUB_KEEP"):
            remove(hub_layout, say=_say)
        pytest.fail(f"{exc.message}\n{exc.hint or ''}", pytrace=False)
    try:
        yield running
    finally:
        left = running.stop()
        if made_here and not os.environ.get("COURSE_HUB_KEEP"):
            left += remove(hub_layout, say=_say)
    assert not left, "processes left behind by the hub (now killed):\n" + "\n".join(left)
