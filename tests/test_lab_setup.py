"""`course lab-setup` and `course init --exchange`: real Jupyter config folders, real nbgrader.

Every test writes only under its own temporary folders: the user level is
``$JUPYTER_CONFIG_DIR`` pointed at a temporary folder, and the sys_prefix level
is a temporary Python environment that sees this one's packages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from typer.testing import CliRunner

from course.cli import app
from course.cli.lab_setup_cmd import (
    INSTRUCTOR_PLUGINS,
    INSTRUCTOR_SERVER_EXTENSIONS,
    STUDENT_PLUGINS,
    STUDENT_SERVER_EXTENSIONS,
)

FIXTURES = Path(__file__).parent / "fixtures"
MODULE = "90-fixture"
COURSE_ID = "roles-course"
ALL_PLUGINS = set(STUDENT_PLUGINS) | set(INSTRUCTOR_PLUGINS)
ALL_SERVER_EXTENSIONS = set(STUDENT_SERVER_EXTENSIONS) | set(INSTRUCTOR_SERVER_EXTENSIONS)

runner = CliRunner()


def _said(result) -> str:
    return " ".join(result.output.split())


def _setup(*args: str) -> str:
    result = runner.invoke(app, ["lab-setup", *args])
    assert result.exit_code == 0, result.output
    return _said(result)


@pytest.fixture
def user_config(tmp_path, monkeypatch) -> Path:
    """A temporary user-level Jupyter config folder, read before the environment's."""
    folder = tmp_path / "jupyter-config"
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(folder))
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")
    return folder


def _lab_page_config() -> dict:
    """The page config JupyterLab's server sends to the browser (every level merged)."""
    from jupyter_core.paths import jupyter_path
    from jupyterlab_server.config import get_page_config

    return get_page_config(jupyter_path("labextensions"))


def _disabled_nbgrader_plugins(page_config: dict) -> set[str]:
    """The nbgrader plugins the browser is told to skip (a list of ids)."""
    return {n for n in page_config["disabledExtensions"] if n.startswith("@jupyter/nbgrader")}


def _server_extensions(paths: list[str]) -> dict[str, bool]:
    """The nbgrader server extensions on or off, as `jupyter server extension` reads them."""
    from jupyter_server.extension.config import ExtensionConfigManager

    states = ExtensionConfigManager(read_config_path=paths).get_jpserver_extensions()
    return {name: on for name, on in states.items() if name.startswith("nbgrader.")}


def test_student_role_turns_off_exactly_the_instructor_tools(user_config):
    """Does the student role disable and lock formgrader, create-assignment and course list only?"""
    from jupyter_core.paths import jupyter_config_path

    said = _setup("--role", "student")
    assert "disabled @jupyter/nbgrader:formgrader" in said
    assert "jupyter labextension enable --level=user @jupyter/nbgrader:formgrader" in said

    written = json.loads((user_config / "labconfig" / "page_config.json").read_text())
    assert written["disabledExtensions"] == dict.fromkeys(INSTRUCTOR_PLUGINS, True)
    assert written["lockedExtensions"] == dict.fromkeys(INSTRUCTOR_PLUGINS, True)
    assert _disabled_nbgrader_plugins(_lab_page_config()) == set(INSTRUCTOR_PLUGINS)

    wanted = {name: name in STUDENT_SERVER_EXTENSIONS for name in ALL_SERVER_EXTENSIONS}
    assert _server_extensions([str(user_config)]) == wanted
    assert _server_extensions(jupyter_config_path()) == wanted  # what the server loads

    again = _setup("--role", "student")
    assert "Nothing to change" in again


def test_instructor_role_turns_everything_back_on(user_config):
    """After the student role, does the instructor role enable and unlock every tool again?"""
    from jupyter_core.paths import jupyter_config_path

    _setup("--role", "student")
    said = _setup("--role", "instructor")
    assert "unlocked @jupyter/nbgrader:formgrader" in said
    assert "enabled server extension nbgrader.server_extensions.formgrader" in said

    written = json.loads((user_config / "labconfig" / "page_config.json").read_text())
    assert not any(written["disabledExtensions"].values())
    assert not any(written["lockedExtensions"].values())
    assert _disabled_nbgrader_plugins(_lab_page_config()) == set()
    assert _server_extensions(jupyter_config_path()) == dict.fromkeys(ALL_SERVER_EXTENSIONS, True)


def test_user_level_in_an_environment_names_what_overrides_it(tmp_path, monkeypatch):
    """Where the environment's config is read first, does the command say so and how to fix it?"""
    from jupyter_core.paths import ENV_CONFIG_PATH

    env_config = Path(ENV_CONFIG_PATH[0]) / "jupyter_server_config.d" / "nbgrader.json"
    if not env_config.is_file():
        pytest.skip(f"nbgrader's server extensions are not enabled in {env_config.parent}")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-config"))
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")
    said = _setup("--role", "student")
    assert (
        "server extension nbgrader.server_extensions.formgrader is still enabled for you: "
        f"{ENV_CONFIG_PATH[0]} sets it" in said
    )
    assert "use --level sys_prefix, or set JUPYTER_PREFER_ENV_PATH=0" in said


def _environment(folder: Path) -> Path:
    """A new Python environment (its own sys.prefix) that imports this one's packages."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120
    )
    python = folder / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    # addsitedir, unlike a plain path line, also runs this environment's .pth files
    # (the editable install of `course`).
    Path(site, "parent-environment.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n", encoding="utf-8"
    )
    return python


def test_sys_prefix_level_writes_the_environment_config_for_every_user(tmp_path):
    """With --level sys_prefix, are the environment's config files written, and the user's not?"""
    python = _environment(tmp_path / "env")
    user = tmp_path / "user-config"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(user)}

    def setup(role: str, level: str = "sys_prefix") -> str:
        proc = subprocess.run(
            [python, "-m", "course", "lab-setup", "--role", role, "--level", level],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return " ".join(proc.stdout.split())

    level = tmp_path / "env" / "etc" / "jupyter"
    said = setup("student")
    assert f"at level sys_prefix ({level})" in said
    assert "jupyter server extension enable --sys-prefix nbgrader.server_extensions.formgrader" in (
        said
    )
    page = json.loads((level / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"] == dict.fromkeys(INSTRUCTOR_PLUGINS, True)
    assert page["lockedExtensions"] == dict.fromkeys(INSTRUCTOR_PLUGINS, True)
    wanted = {name: name in STUDENT_SERVER_EXTENSIONS for name in ALL_SERVER_EXTENSIONS}
    assert _server_extensions([str(level)]) == wanted
    assert not (user / "labconfig").exists()
    assert not (user / "jupyter_server_config.d").exists()

    # The environment's lock holds against one user's instructor setup, and says so.
    said = setup("instructor", "user")
    assert "@jupyter/nbgrader:formgrader is left as it is: the sys_prefix level locks it" in said
    assert "jupyter labextension unlock --level=sys_prefix @jupyter/nbgrader:formgrader" in said

    setup("instructor")
    page = json.loads((level / "labconfig" / "page_config.json").read_text())
    assert not any(page["disabledExtensions"].values())
    assert not any(page["lockedExtensions"].values())
    assert _server_extensions([str(level)]) == dict.fromkeys(ALL_SERVER_EXTENSIONS, True)


def test_unknown_role_and_instructor_exchange_say_what_to_do(user_config):
    """Do a wrong --role, and exchange options for an instructor, fail with the fix?"""
    result = runner.invoke(app, ["lab-setup", "--role", "teacher"])
    assert result.exit_code == 1
    assert "Use one of: student, instructor" in _said(result)
    result = runner.invoke(app, ["lab-setup", "--role", "instructor", "--exchange", "/x"])
    assert result.exit_code == 1
    assert "course init DIR --exchange PATH" in _said(result)
    assert not user_config.exists()


# -- the exchange, end to end -------------------------------------------------------


def _nbgrader(cwd: Path, config_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run nbgrader as one person: their own Jupyter config and data (the exchange cache)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER") and k != "NB_USER"}
    env.update(
        JUPYTER_CONFIG_DIR=str(config_dir),
        JUPYTER_DATA_DIR=str(config_dir.parent / "data"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Exception while loading config file" not in proc.stderr, proc.stderr
    return proc


@pytest.mark.nbgrader
@pytest.mark.slow
def test_exchange_round_trip_with_the_configs_the_commands_write(tmp_path, monkeypatch):
    """Released into the exchange `course init --exchange` set, is the module listed, fetched,
    submitted and collected by a student configured only by `course lab-setup --course`?"""
    from course.release import release_modules

    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # nbgrader's documentation: chmod ugo+rw
    course = tmp_path / "course"
    instructor = tmp_path / "instructor" / "config"
    instructor.mkdir(parents=True)
    result = runner.invoke(
        app,
        [
            "init",
            str(course),
            "--lessons",
            str(FIXTURES / "lessons"),
            "--keys",
            str(FIXTURES / "keys"),
            "--course-id",
            COURSE_ID,
            "--exchange",
            str(exchange),
        ],
    )
    assert result.exit_code == 0, result.output
    said = _said(result)
    assert f"course lab-setup --role student --exchange {exchange} --course-id {COURSE_ID}" in said
    assert "does not exist" not in said
    release_modules(course, [MODULE])
    _nbgrader(course, instructor, "release_assignment", MODULE)
    assert (exchange / COURSE_ID / "outbound" / MODULE / f"{MODULE}.ipynb").is_file()

    student = tmp_path / "student" / "config"
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(student))
    said = _setup("--role", "student", "--course", str(course))
    assert f"created {student / 'nbgrader_config.py'}" in said
    work = tmp_path / "student" / "work"
    work.mkdir()

    listed = _nbgrader(work, student, "list")
    assert f"{COURSE_ID} {MODULE}" in " ".join((listed.stdout + listed.stderr).split())
    _nbgrader(work, student, "fetch_assignment", MODULE)
    fetched = work / MODULE / f"{MODULE}.ipynb"
    assert fetched.is_file()
    _nbgrader(work, student, "submit", MODULE, "--student=sam")
    _nbgrader(course, instructor, "collect", MODULE)
    assert (course / "submitted" / "sam" / MODULE / f"{MODULE}.ipynb").is_file()


def test_init_exchange_sets_the_line_in_an_existing_config(tmp_path):
    """On an existing course folder, does --exchange replace only the exchange line?"""
    from course.grading.config import read_exchange_settings, render_nbgrader_config

    course = tmp_path / "course"
    course.mkdir()
    config = course / "nbgrader_config.py"
    config.write_text(render_nbgrader_config(course_id="kept") + "# my own note\n")
    result = runner.invoke(
        app,
        [
            "init",
            str(course),
            "--lessons",
            str(FIXTURES / "lessons"),
            "--keys",
            str(FIXTURES / "keys"),
            "--exchange",
            str(tmp_path / "missing"),
        ],
    )
    assert result.exit_code == 0, result.output
    said = _said(result)
    assert "does not exist yet" in said and "chmod ugo+rw" in said
    text = config.read_text()
    assert text.count("c.Exchange.root") == 1 and "# c.Exchange.root" not in text
    assert "# my own note" in text
    assert read_exchange_settings(config) == (str(tmp_path / "missing"), "kept")
