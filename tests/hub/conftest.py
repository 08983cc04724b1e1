"""Fixtures for the hub tests: the local JupyterHub of ``course hub`` (docs/deploy.md).

The tests need root (they create Linux users and the hub starts servers as
them) and Linux's user tools. Without them the tests are skipped with the
reason, except in CI (``CI`` set), where they fail instead.

The ``hub`` fixture runs ``course hub setup`` when the hub is not set up yet
(and then ``course hub remove`` at the end of the session, unless
``COURSE_HUB_KEEP`` is set), starts the hub on a free port of 127.0.0.1, and
at the end stops it and checks that no process of the demo users remains.

For the round-trip test in the browser, ``hub_browser`` launches Debian's
Chromium by path (``/usr/bin/chromium`` or ``$CHROMIUM_PATH``) with Playwright,
and ``browse`` gives each person a browser context of their own, with a
screenshot of each page in ``test-artifacts/e2e/hub/<test>/`` on failure. The
JupyterLab helpers come from ``tests/e2e/jupyterlab_driver.py``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from course.hub import TOOLS, HubError, HubLayout, RunningHub, is_set_up, remove, setup, start

#: The browser tests' JupyterLab helpers (tests/e2e/jupyterlab_driver.py) are shared.
E2E = Path(__file__).resolve().parents[1] / "e2e"
if str(E2E) not in sys.path:
    sys.path.insert(0, str(E2E))

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


# -- the browser (tests/hub/test_hub_roundtrip.py) ----------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium (or ``$CHROMIUM_PATH``), launched by path; Playwright for Python."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("Playwright for Python is missing: python -m pip install -e '.[test]'.")
    path = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        missing(
            f"Chromium was not found at {path}: install Debian's chromium "
            "(apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary."
        )
    return path


@pytest.fixture(scope="session")
def hub_browser(chromium_path):
    """Chromium driven by Playwright; everything it started is gone afterwards."""
    from jupyterlab_driver import CHROMIUM_ARGS, LEFTOVERS, UI_TIMEOUT, stop_processes
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=UI_TIMEOUT)
    me = psutil.Process()
    before = {p.pid for p in me.children()}
    pw = sync_playwright().start()
    try:
        launched = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    except Exception:
        pw.stop()
        raise
    yield launched
    ours = []
    for child in me.children():
        with contextlib.suppress(psutil.Error):
            if child.pid not in before and "playwright" in " ".join(child.cmdline()):
                ours += [child, *child.children(recursive=True)]
    launched.close()
    pw.stop()
    stop_processes(ours, "the browser")
    left = list(LEFTOVERS)
    LEFTOVERS.clear()
    assert not left, "processes left behind by the browser:\n" + "\n".join(left)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def failed(request) -> bool:
    """Whether the test of ``request`` failed in its setup or its call."""
    return any(
        getattr(request.node, f"rep_{when}", None) is not None
        and getattr(request.node, f"rep_{when}").failed
        for when in ("setup", "call")
    )


def artifact_dir(request) -> Path:
    """Where a failed test's screenshots go (``test-artifacts/hub/<test>``)."""
    base = Path(
        os.environ.get("E2E_ARTIFACTS")
        or Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
    )
    path = base / "hub" / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browse(request, hub_browser):
    """Return ``open(name)``: a new browser context and page for one person.

    On failure every page is screenshot into the test's artifact folder.
    """
    from jupyterlab_driver import UI_TIMEOUT

    opened = []

    def open_page(name: str):
        context = hub_browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(UI_TIMEOUT)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        opened.append((name, context, page))
        return page

    yield open_page
    bad = failed(request)
    for name, context, page in opened:
        if bad:
            out = artifact_dir(request)
            try:
                page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                (out / f"{name}.url.txt").write_text(page.url, encoding="utf-8")
            except Exception as exc:  # a screenshot must not hide the real failure
                (out / f"{name}-screenshot-error.txt").write_text(repr(exc), encoding="utf-8")
        context.close()
