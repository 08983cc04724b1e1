"""Drive a real JupyterLab in Chromium: the server, the page, the notebook's commands.

Everything that depends on JupyterLab's markup (CSS selectors, menu
commands, status-bar text) is in this file, so a JupyterLab upgrade that
renames something is fixed here. See docs/browser-tests.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

try:
    from playwright.sync_api import Locator, Page, expect
except ImportError:  # conftest.py skips (or, in CI, fails) the browser tests with a reason
    Locator = Page = Any  # type: ignore[assignment,misc]
    expect = None  # type: ignore[assignment]

#: Generous limits for a loaded 2-core CI machine (milliseconds).
KERNEL_TIMEOUT = 120_000
UI_TIMEOUT = 30_000

#: Flags for Debian's Chromium, headless, in a container, with no network use of its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

#: JupyterLab user settings written before the server starts.
LAB_SETTINGS = {
    # No "get notified about news?" toast over the notebook, no update check.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # Render every cell, so cells below the fold are in the DOM.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # The default, made explicit: no widget state in the saved notebook, so what is
    # on screen always comes from a live kernel.
    "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": False},
}

#: Where failure screenshots, logs and the accessibility report go (git-ignored).
ARTIFACTS = Path(
    os.environ.get("E2E_ARTIFACTS")
    or Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
)

#: Lines for the end-of-run summary (JupyterLab's own accessibility findings).
SUMMARY: list[str] = []

#: Processes the suite started and that were still running after it stopped them.
LEFTOVERS: list[str] = []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _describe(proc: psutil.Process) -> str:
    try:
        return f"pid {proc.pid}: {' '.join(proc.cmdline())[:160]}"
    except psutil.Error:
        return f"pid {proc.pid}"


def stop_processes(procs: list[psutil.Process], what: str, timeout: float = 15) -> None:
    """Wait for processes we started to end; kill (by pid) and record any that did not."""
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    alive = [p for p in alive if _running(p)]
    for proc in alive:
        LEFTOVERS.append(f"{what} left {_describe(proc)}")
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


class JupyterLab:
    """``jupyter lab`` on 127.0.0.1 with a random port and token, isolated under ``home``.

    ``home`` receives the config, runtime, settings, workspace and IPython
    folders; ``notebooks`` is the server's root folder. ``student`` is the
    user name the kernel sees (it seeds the per-student shuffles).
    """

    def __init__(
        self, home: Path, notebooks: Path, student: str, extra_env: dict[str, str] | None = None
    ) -> None:
        self.extra_env = dict(extra_env or {})  # set last, over the isolated defaults
        self.home = home.resolve()
        self.root = notebooks.resolve()
        self.student = student
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = self.home / "jupyterlab.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> None:
        settings = self.home / "settings"
        for rel, data in LAB_SETTINGS.items():
            path = settings / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data), encoding="utf-8")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JUPYTER", "JPY_")) and k != "IPYTHONDIR"
        }
        env.update(
            JUPYTER_CONFIG_DIR=str(self.home / "config"),
            JUPYTER_DATA_DIR=str(self.home / "data"),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"),
            IPYTHONDIR=str(self.home / "ipython"),
            NB_USER=self.student,
            PYTHONUNBUFFERED="1",
        )
        env.pop("JUPYTERHUB_USER", None)
        env.update(self.extra_env)
        # Kernels are found through sys.prefix (the test's environment), not JUPYTER_DATA_DIR.
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--allow-root",  # CI runs as root
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",  # no package index queries
        ]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                env=env,
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(
                    f"{self.base}/api/status?token={self.token}", timeout=2
                ) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"jupyter lab did not answer in {timeout} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def url(self, path: str) -> str:
        """The page of ``path`` (relative to the root), with a fresh workspace."""
        return f"{self.base}/lab/tree/{path}?reset&token={self.token}"

    def api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            f"{self.base}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def stop(self) -> None:
        """SIGTERM the server (it shuts its kernels down), then make sure all of it is gone."""
        if self.proc is None:
            return
        pid = self.proc.pid  # also the process-group id (start_new_session=True)
        try:
            ours = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        except psutil.Error:
            ours = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                LEFTOVERS.append(f"jupyter lab (pid {pid}) ignored SIGTERM for 30 s")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # whatever is left in the group we started
        self.proc.wait(10)
        # Kernels run in sessions of their own: check them by pid.
        stop_processes([p for p in ours if p.pid != pid], "jupyter lab")
        self.proc = None


# -- the page ---------------------------------------------------------------------


def kernel_status(page: Page) -> Locator:
    """The status-bar item "Python 3 (ipykernel) | Idle".

    Do not wait on the toolbar's execution indicator instead: it says idle while
    the kernel is still initializing, and a Run All sent then is silently dropped.
    """
    return page.locator('#jp-main-statusbar .jp-StatusBar-TextItem[title^="Change kernel"]')


def wait_kernel_idle(page: Page) -> None:
    expect(kernel_status(page)).to_have_text(
        re.compile(r"^Python 3 \(ipykernel\) \| Idle$"), timeout=KERNEL_TIMEOUT
    )


def open_notebook(page: Page, lab: JupyterLab, path: str, first_code: str) -> None:
    """Open a notebook and wait until its cells are loaded and its kernel is idle."""
    page.goto(lab.url(path))
    wait_notebook_loaded(page, first_code)


def wait_notebook_loaded(page: Page, first_code: str) -> None:
    # The panel shows a placeholder cell first: wait for real source text.
    expect(page.locator(".jp-NotebookPanel .jp-CodeCell .cm-content").first).to_contain_text(
        first_code, timeout=KERNEL_TIMEOUT
    )
    wait_kernel_idle(page)


def menu(page: Page, top: str, command: str) -> None:
    """Click a main-menu entry (by mouse), found by its command id."""
    page.locator("#jp-MainMenu").get_by_role("menuitem", name=top, exact=True).click()
    page.locator(f'#jp-mainmenu-{top.lower()} .lm-Menu-item[data-command="{command}"]').click()


def palette(page: Page, label: str) -> None:
    """Run a command from the command palette, by keyboard only."""
    page.keyboard.press("Control+Shift+C")
    expect(page.locator(".lm-CommandPalette-input")).to_be_focused(timeout=UI_TIMEOUT)
    page.keyboard.type(label)
    expect(page.locator(".lm-CommandPalette-item.lm-mod-active")).to_contain_text(
        label, timeout=UI_TIMEOUT
    )
    page.keyboard.press("Enter")


def toolbar_button(page: Page, command: str) -> Locator:
    return page.locator(f'.jp-NotebookPanel-toolbar jp-button[data-command="{command}"]')


def run_all(page: Page, *, keyboard: bool) -> None:
    if keyboard:
        palette(page, "Run All Cells")
    else:
        menu(page, "Run", "runmenu:run-all")


def restart_and_run_all(page: Page, *, keyboard: bool) -> None:
    if keyboard:
        palette(page, "Restart Kernel and Run All Cells")
        dialog = page.locator(".jp-Dialog")
        expect(dialog.locator(".jp-Dialog-button.jp-mod-accept")).to_be_focused(timeout=UI_TIMEOUT)
        page.keyboard.press("Enter")
    else:
        menu(page, "Run", "runmenu:restart-and-run-all")
        page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    expect(page.locator(".jp-Dialog")).to_have_count(0, timeout=UI_TIMEOUT)


def save_notebook(page: Page, *, keyboard: bool) -> None:
    if keyboard:
        page.keyboard.press("Control+S")
    else:
        toolbar_button(page, "docmanager:save").click()
    # The tab loses its "unsaved" mark once the file is written.
    expect(page.locator(".jp-mod-current.jp-mod-dirty")).to_have_count(0, timeout=UI_TIMEOUT)


def is_focused(locator: Locator) -> bool:
    return bool(locator.evaluate("el => el === document.activeElement"))


def tab_to(page: Page, target: Locator, limit: int = 120) -> None:
    """Move the focus to ``target`` with Tab (or Shift+Tab if it lies before the focus)."""
    for _ in range(limit):
        if is_focused(target):
            return
        before = target.evaluate(
            "t => !!(document.activeElement && document.activeElement !== document.body"
            " && (t.compareDocumentPosition(document.activeElement)"
            " & Node.DOCUMENT_POSITION_FOLLOWING))"
        )
        page.keyboard.press("Shift+Tab" if before else "Tab")
    raise AssertionError(f"Tab never reached {target}")


def active_cell(page: Page) -> Locator:
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell.jp-mod-active")


def cell_with(page: Page, text: str) -> Locator:
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").filter(has_text=text)


def select_cell_by_keyboard(page: Page, text: str, limit: int = 60) -> Locator:
    """In command mode, move the active cell with the arrow keys to the cell showing ``text``."""
    target = cell_with(page, text)
    expect(target).to_have_count(1)
    for _ in range(limit):
        index = page.evaluate(
            """(text) => {
                const cells = [...document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')];
                const active = cells.findIndex(c => c.classList.contains('jp-mod-active'));
                const wanted = cells.findIndex(c => c.innerText.includes(text));
                return [active, wanted];
            }""",
            text,
        )
        if index[0] == index[1]:
            return target
        page.keyboard.press("ArrowDown" if index[0] < index[1] else "ArrowUp")
    raise AssertionError(f"the arrow keys never reached the cell showing {text!r}")


def wait_until(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    """Poll ``check`` until it returns a true value; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
            if last:
                return last
        except Exception as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last: {last!r}")
        time.sleep(0.2)


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))


# -- a JupyterLab served by the local hub (tests/hub) -------------------------------------


class HubUserLab:
    """A person's JupyterLab behind the local hub, in the shape the page helpers expect.

    ``root`` is the server's root folder (the person's home), read from outside
    the browser by the tests, which run as root.
    """

    def __init__(self, hub_url: str, user: str, root: Path) -> None:
        self.hub_url = hub_url
        self.student = user
        self.root = root
        self.base = f"{hub_url}user/{user}"

    def url(self, path: str) -> str:
        """The page of ``path`` (relative to the root), with a fresh workspace."""
        return f"{self.base}/lab/tree/{path}?reset"


def hub_login(page: Page, hub_url: str, user: str, password: str) -> None:
    """Log in through the hub's login form, as a person does."""
    page.goto(f"{hub_url}hub/login")
    page.locator("#username_input").fill(user)
    page.locator("#password_input").fill(password)
    page.locator("#login_submit").click()
    page.wait_for_url(re.compile(r"/(hub/(home|spawn)|user/[^/]+/)"), timeout=UI_TIMEOUT)


def open_lab(page: Page, lab: HubUserLab) -> None:
    """Open JupyterLab's start page and wait until nbgrader's menu is there."""
    page.goto(f"{lab.base}/lab?reset")
    expect(page.locator("#jp-MainMenu").get_by_role("menuitem", name="Nbgrader")).to_be_visible(
        timeout=UI_TIMEOUT * 4
    )


def nbgrader_menu_entries(page: Page) -> list[str]:
    """Open the *Nbgrader* menu; return the labels of the entries a person can see."""
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Nbgrader", exact=True).click()
    expect(page.locator("#jp-mainmenu-nbgrader")).to_be_visible()
    items = page.locator("#jp-mainmenu-nbgrader .lm-Menu-item:not(.lm-mod-hidden)")
    labels = [label.strip() for label in items.locator(".lm-Menu-itemLabel").all_inner_texts()]
    page.keyboard.press("Escape")
    expect(page.locator("#jp-mainmenu-nbgrader")).to_have_count(0)
    return labels


#: The hub tests' JupyterLab setting that puts the command palette in the left side
#: panel: a modal palette closes whenever the focus moves, which a loaded machine
#: does at any time; the panel stays open while it is read.
PALETTE_IN_PANEL = {"@jupyterlab/apputils-extension/palette.jupyterlab-settings": {"modal": False}}

#: Read the palette's whole list: its entries by category (the headers Lumino draws).
_READ_PALETTE = """
(content) => {
  const found = {};
  let category = "";
  for (const node of content.children) {
    if (node.classList.contains("lm-CommandPalette-header")) {
      category = node.textContent.trim();
    } else if (node.classList.contains("lm-CommandPalette-item")) {
      const label = node.querySelector(".lm-CommandPalette-itemLabel");
      (found[category] = found[category] || []).push(label ? label.textContent.trim() : "");
    }
  }
  return found;
}
"""


def palette_entries(page: Page) -> dict[str, list[str]]:
    """Every entry of JupyterLab's command palette, by category (lower case).

    Needs :data:`PALETTE_IN_PANEL`: the palette is opened from its tab in the left
    side bar and read with an empty search, which lists every entry.
    """
    panel = page.locator("#command-palette")
    field = panel.locator(".lm-CommandPalette-input")
    tab = page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="command-palette"]')

    def read() -> dict[str, list[str]] | None:
        if not field.is_visible():
            tab.click()
            field.wait_for(state="visible", timeout=UI_TIMEOUT)
        if field.input_value():
            field.fill("")
        # Lumino redraws the results on the next animation frame.
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        found = panel.locator(".lm-CommandPalette-content").evaluate(_READ_PALETTE)
        return {k.lower(): v for k, v in found.items()} or None

    entries: dict[str, list[str]] = wait_until(read, "the command palette's entries")
    return entries


def open_assignment_list(page: Page) -> Locator:
    """Open nbgrader's *Assignment List* from the Nbgrader menu; return its panel."""
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Nbgrader", exact=True).click()
    page.locator(
        '#jp-mainmenu-nbgrader .lm-Menu-item[data-command="nbgrader:open-assignment-list"]'
    ).click()
    panel = page.locator("#nbgrader-assignment-list")
    expect(panel).to_be_visible()
    return panel


def assignment_row(panel: Locator, section: str, module: str) -> Locator:
    """The row for ``module`` in one part of the Assignment List.

    ``section`` is ``released``, ``fetched`` or ``submitted``.
    """
    part = panel.locator(f"#{section}_assignments_list")
    return part.locator(".list_item").filter(has_text=module).first


def assignment_list_click(panel: Locator, section: str, module: str, button: str) -> None:
    """Click ``button`` ("Fetch", "Submit", "Fetch Feedback") in ``module``'s row."""
    row = assignment_row(panel, section, module)
    expect(row).to_be_visible(timeout=KERNEL_TIMEOUT)
    row.get_by_role("button", name=button, exact=True).click()
