"""Fixtures for the browser tests: a released module, JupyterLab, Chromium, artifacts.

What the tests need beyond the Python packages: Debian's Chromium (at
``/usr/bin/chromium`` or ``$CHROMIUM_PATH``) and axe-core from npm (at
``node_modules/axe-core/axe.min.js`` or ``$AXE_CORE_PATH``). ``bash
scripts/test`` installs both. When one is missing the tests that need it are
skipped with the reason, except in CI (``CI`` set), where they fail instead:
CI must never pass without having run them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from pathlib import Path

import psutil
import pytest
from jupyterlab_driver import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    LEFTOVERS,
    SUMMARY,
    UI_TIMEOUT,
    JupyterLab,
    copy_tree,
    stop_processes,
)

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
MODULE = "90-fixture"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
DEFAULT_AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing(what: str) -> None:
    """Skip the test for a missing requirement, or fail it in CI."""
    if in_ci():
        pytest.fail(
            f"{what} CI is set, so the browser tests may not be skipped; "
            "`bash scripts/test` installs what they need.",
            pytrace=False,
        )
    pytest.skip(what)


# -- requirements -------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("Playwright for Python is missing: python -m pip install -e '.[test]'.")
    path = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        missing(
            f"Chromium was not found at {path}: install Debian's chromium "
            "(apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary."
        )
    return path


@pytest.fixture(scope="session")
def axe_script() -> Path:
    path = Path(os.environ.get("AXE_CORE_PATH") or DEFAULT_AXE)
    if not path.is_file():
        missing(f"axe-core was not found at {path}: run `npm ci` in the repository root.")
    return path


# -- processes ----------------------------------------------------------------------

_SERVERS = re.compile(r"jupyter|ipykernel", re.IGNORECASE)


def _new_processes(me: psutil.Process, before: set[int], pattern: re.Pattern[str]) -> list[str]:
    found = []
    for proc in me.children(recursive=True):
        try:
            cmdline = " ".join(proc.cmdline()) or proc.name()
            if (
                proc.pid not in before
                and proc.status() != psutil.STATUS_ZOMBIE
                and pattern.search(cmdline)
            ):
                found.append(f"pid {proc.pid}: {cmdline[:160]}")
        except psutil.Error:
            continue
    return found


def _assert_no_leftovers(extra: list[str]) -> None:
    problems = LEFTOVERS + extra
    LEFTOVERS.clear()
    assert not problems, "processes left behind by the browser tests:\n" + "\n".join(problems)


@pytest.fixture(scope="module", autouse=True)
def no_leftover_servers():
    """After each test file: no JupyterLab server or kernel it started still runs."""
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    yield
    deadline = time.monotonic() + 15
    while (left := _new_processes(me, before, _SERVERS)) and time.monotonic() < deadline:
        time.sleep(0.5)
    _assert_no_leftovers(left)


# -- the browser --------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=UI_TIMEOUT)  # the default 5 s is short on a busy 2-core machine

    me = psutil.Process()
    before = {p.pid for p in me.children()}
    pw = sync_playwright().start()
    try:
        launched = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    except Exception:
        pw.stop()
        raise
    yield launched
    # Playwright's driver and everything under it (Chromium and its helpers).
    ours = []
    for child in me.children():
        with contextlib.suppress(psutil.Error):
            if child.pid not in before and "playwright" in " ".join(child.cmdline()):
                ours += [child, *child.children(recursive=True)]
    launched.close()
    pw.stop()
    stop_processes(ours, "the browser")
    _assert_no_leftovers([])


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request) -> bool:
    return any(
        getattr(request.node, f"rep_{when}", None) is not None
        and getattr(request.node, f"rep_{when}").failed
        for when in ("setup", "call")
    )


def artifact_dir(request) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    path = ARTIFACTS / name
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session", autouse=True)
def _fresh_artifacts():
    """Start each run without the screenshots of an earlier one."""
    if ARTIFACTS.is_dir() and not os.environ.get("E2E_ARTIFACTS"):
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
    yield


@pytest.fixture
def page(browser):
    """A fresh browser page (screenshots on failure: see student_lab)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(UI_TIMEOUT)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())  # "leave page?" on reload
    yield tab
    context.close()


def screenshots(tab, out: Path) -> None:
    """The whole page, and each item on its own, named by its kind."""
    try:
        tab.screenshot(path=str(out / "page.png"), full_page=True)
        items = tab.locator(".jp-OutputArea-output .ce-item")
        for n in range(items.count()):
            item = items.nth(n)
            kind = re.search(r"ce-kind-([a-z-]+)", item.get_attribute("class") or "")
            name = kind.group(1) if kind else "item"
            item.screenshot(path=str(out / f"{n + 1:02d}-{name}.png"), timeout=5_000)
    except Exception as exc:  # a screenshot must not hide the real failure
        (out / "screenshot-error.txt").write_text(repr(exc), encoding="utf-8")


# -- the course and JupyterLab ---------------------------------------------------------


@pytest.fixture(scope="session")
def released_course(tmp_path_factory) -> Path:
    """A course folder with the fixture module built and released by the real pipeline."""
    from course.coursefolder import init_course
    from course.release import release_modules

    course = tmp_path_factory.mktemp("e2e-course") / "course"
    init_course(course, lessons_dir=FIXTURES / "lessons", keys_dir=FIXTURES / "keys", timeout=60)
    release_modules(course, [MODULE])
    return course


@pytest.fixture(scope="session")
def specs(released_course):
    """The fixture module's items (id -> ItemSpec), as the grader reads them."""
    from course.grading.context import source_specs

    return source_specs(released_course / "source" / MODULE / f"{MODULE}.ipynb")


@pytest.fixture
def student_lab(request, tmp_path, released_course, page):
    """Start JupyterLab for one student, on a copy of the released module.

    On failure, screenshots are taken here, while the server still runs (the page
    fixture is set up before this one, so it is torn down after it).
    """
    labs: list[JupyterLab] = []

    def start(student: str) -> JupyterLab:
        notebooks = tmp_path / student / "notebooks"
        copy_tree(released_course / "release" / MODULE, notebooks / MODULE)
        home = tmp_path / student / "home"
        home.mkdir(parents=True)
        lab = JupyterLab(home, notebooks, student)
        labs.append(lab)
        lab.start()
        return lab

    yield start
    failed = _failed(request)
    if failed:
        screenshots(page, artifact_dir(request))
    for lab in labs:
        lab.stop()
        if failed:
            out = artifact_dir(request)
            shutil.copy(lab.log_path, out / f"jupyterlab-{lab.student}.log")
            for answers in (lab.root / MODULE).glob(".*.answers.json"):
                shutil.copy(answers, out / f"{lab.student}{answers.name}")


def pytest_terminal_summary(terminalreporter):
    if SUMMARY:
        terminalreporter.write_sep("-", "accessibility: JupyterLab's own findings (not failing)")
        for line in SUMMARY:
            terminalreporter.write_line(line)
