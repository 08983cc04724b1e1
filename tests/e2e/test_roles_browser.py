"""Students do not see nbgrader's instructor tools; instructors do (`course lab-setup`).

Each test configures an isolated Jupyter config folder (the server's
``JUPYTER_CONFIG_DIR``) with the real ``course lab-setup`` command, then starts
JupyterLab on it and looks at what a person sees: the *Nbgrader* menu, the
right sidebar (nbgrader's *Create Assignment* panel) and the Formgrader page.
The student's settings also carry the exchange folder, so the *Assignments*
list shows, and fetches, a module the instructor released there.

``JUPYTER_PREFER_ENV_PATH=0`` lets the user's config folder override this
Python environment's, where nbgrader enables its server extensions (in a
virtual environment Jupyter otherwise reads the environment's first).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from jupyterlab_driver import ARTIFACTS, UI_TIMEOUT, JupyterLab, expect, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MODULE = "90-fixture"
COURSE_ID = "claims-and-evidence"  # the id `course init` wrote into the released course
CREATE_ASSIGNMENT_PANEL = "nbgrader-create_assignemnt"  # nbgrader's id, spelled as it is
INSTRUCTOR_COMMANDS = (
    "nbgrader:open-formgrader",
    "nbgrader:open-formgrader-local",
    "nbgrader:open-course-list",
    "nbgrader:open-create-assignment",
)
LAB_ENV = {"JUPYTER_PREFER_ENV_PATH": "0"}


def _lab_setup(config: Path, *args: str) -> str:
    """Run the real `course lab-setup` for the user whose config folder is ``config``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(JUPYTER_CONFIG_DIR=str(config), **LAB_ENV)
    proc = subprocess.run(
        [sys.executable, "-m", "course", "lab-setup", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _status(lab: JupyterLab, path: str) -> int:
    request = urllib.request.Request(
        f"{lab.base}{path}", headers={"Authorization": f"token {lab.token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def exchange(tmp_path_factory, released_course) -> Path:
    """An exchange folder holding the fixture module, released by the instructor's nbgrader."""
    root = tmp_path_factory.mktemp("roles")
    folder = root / "exchange"
    folder.mkdir()
    folder.chmod(0o777)  # nbgrader's documentation: chmod ugo+rw
    course = root / "course"  # a copy: the shared course folder stays as other tests expect it
    shutil.copytree(released_course, course)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(JUPYTER_CONFIG_DIR=str(root / "instructor-config"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "release_assignment",
            MODULE,
            f"--Exchange.root={folder}",
        ],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder


@pytest.fixture
def role_lab(request, tmp_path, page):
    """Start JupyterLab for a person whose config folder `course lab-setup` has written."""
    labs: list[JupyterLab] = []

    def start(name: str, *setups: list[str]) -> JupyterLab:
        home = tmp_path / name / "home"
        notebooks = tmp_path / name / "notebooks"
        notebooks.mkdir(parents=True)
        home.mkdir(parents=True)
        for args in setups:
            _lab_setup(home / "config", *args)
        lab = JupyterLab(home, notebooks, name, extra_env=LAB_ENV)
        labs.append(lab)
        lab.start()
        page.goto(f"{lab.base}/lab?reset&token={lab.token}")
        expect(page.locator("#jp-MainMenu").get_by_role("menuitem", name="Nbgrader")).to_be_visible(
            timeout=UI_TIMEOUT * 4
        )
        return lab

    yield start
    failed = any(
        getattr(request.node, f"rep_{when}", None) is not None
        and getattr(request.node, f"rep_{when}").failed
        for when in ("setup", "call")
    )
    out = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    if failed:
        out.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(out / "page.png"), full_page=True)
        except Exception as exc:  # a screenshot must not hide the real failure
            (out / "screenshot-error.txt").write_text(repr(exc), encoding="utf-8")
    for lab in labs:
        lab.stop()
        if failed:
            shutil.copy(lab.log_path, out / f"jupyterlab-{lab.student}.log")


def _open_nbgrader_menu(page) -> None:
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Nbgrader", exact=True).click()
    expect(page.locator("#jp-mainmenu-nbgrader")).to_be_visible()


def _shown_menu_entries(page) -> list[str]:
    """The labels of the Nbgrader menu's entries a person can see."""
    items = page.locator("#jp-mainmenu-nbgrader .lm-Menu-item:not(.lm-mod-hidden)")
    return [label.strip() for label in items.locator(".lm-Menu-itemLabel").all_inner_texts()]


def _right_sidebar_panels(page) -> list[str | None]:
    tabs = page.locator(".jp-SideBar.jp-mod-right .lm-TabBar-tab")
    return [tab.get_attribute("data-id") for tab in tabs.all()]


def test_student_sees_the_assignments_list_and_no_instructor_tool(role_lab, page, exchange):
    """Configured as a student: only *Assignment List* in the menu, no Create Assignment panel,
    no Formgrader page; the list shows the released module, and Fetch brings it home."""
    lab = role_lab(
        "student",
        ["--role", "student", "--exchange", str(exchange), "--course-id", COURSE_ID],
    )
    _open_nbgrader_menu(page)
    assert _shown_menu_entries(page) == ["Assignment List"]
    for command in INSTRUCTOR_COMMANDS:
        entry = page.locator(f'#jp-mainmenu-nbgrader .lm-Menu-item[data-command="{command}"]')
        expect(entry).not_to_be_visible()
    page.locator(
        '#jp-mainmenu-nbgrader .lm-Menu-item[data-command="nbgrader:open-assignment-list"]'
    ).click()

    assignments = page.locator("#nbgrader-assignment-list")
    expect(assignments).to_be_visible()
    released = assignments.locator("#released_assignments_list")
    expect(released).to_contain_text(MODULE)
    assert CREATE_ASSIGNMENT_PANEL not in _right_sidebar_panels(page)
    expect(page.locator(f"#{CREATE_ASSIGNMENT_PANEL}")).to_have_count(0)
    expect(page.locator("#formgrader")).to_have_count(0)
    assert _status(lab, "/formgrader") == 404  # the server extension is off too
    assert _status(lab, "/formgraders") == 404  # and the course list's

    released.get_by_role("button", name="Fetch").click()
    expect(assignments.locator("#fetched_assignments_list")).to_contain_text(MODULE)
    # nbgrader fetches into the server's working folder (c.Exchange.assignment_dir, "."),
    # which the driver starts in `home`.
    fetched = lab.home / MODULE / f"{MODULE}.ipynb"
    wait_until(fetched.is_file, "the fetched notebook")


def test_instructor_sees_formgrader_and_create_assignment(role_lab, page):
    """Switched back to the instructor role, are Formgrader and Create Assignment there again?"""
    lab = role_lab("instructor", ["--role", "student"], ["--role", "instructor"])
    assert CREATE_ASSIGNMENT_PANEL in _right_sidebar_panels(page)
    _open_nbgrader_menu(page)
    shown = _shown_menu_entries(page)
    assert "Formgrader" in shown and "Assignment List" in shown and "Course List" in shown
    page.locator(
        '#jp-mainmenu-nbgrader .lm-Menu-item[data-command="nbgrader:open-formgrader"]'
    ).click()
    expect(
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Formgrader")
    ).to_be_visible()
    assert _status(lab, "/formgrader") == 200
