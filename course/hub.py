"""A local JupyterHub for the course: Linux users, nbgrader's exchange, role-correct JupyterLab.

``course hub setup`` (:func:`setup`) prepares, as root and idempotently:

* Linux users for the instructor and the students (``ce-instructor``, ``ce-ann``,
  ``ce-ben``), marked by their comment field so that nothing else is ever
  touched, with random demo passwords set through ``chpasswd``;
* one shared Python environment in a world-readable prefix (default
  ``/opt/claims-evidence-hub/env``), made with Debian's ``/usr/bin/python3``,
  holding the course with its ``instructor`` and ``hub`` extras; the hub and
  every single-user server run from it;
* nbgrader's exchange folder, world-writable with the sticky bit (1777);
* the instructor's course folder (``course init``) in the instructor's home,
  which only the instructor can read;
* each person's JupyterLab (``course lab-setup --level user``, run as that
  user): students get the assignment list and no instructor tool;
* the hub's configuration (``deploy/jupyterhub/jupyterhub_config.py``) and its
  root-only state: database, cookie secret, proxy token, passwords.

:func:`start` runs the hub on 127.0.0.1 and returns a :class:`RunningHub`;
:func:`remove` deletes the users, their homes, the exchange and the prefix.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from .grading.config import DEFAULT_COURSE_ID

__all__ = [
    "EXCHANGE",
    "INSTRUCTOR",
    "MARKER",
    "PREFIX",
    "STUDENTS",
    "HubError",
    "HubLayout",
    "RunningHub",
    "SetupResult",
    "free_port",
    "kill_user_processes",
    "remove",
    "setup",
    "start",
    "user_processes",
]

#: Where the hub lives: its environment, configuration and state.
PREFIX = Path("/opt/claims-evidence-hub")
#: nbgrader's exchange folder (its documentation's example path).
EXCHANGE = Path("/srv/nbgrader/exchange")
#: The demo users; the ``ce-`` prefix keeps them apart from real accounts.
INSTRUCTOR = "ce-instructor"
STUDENTS = ("ce-ann", "ce-ben")
#: The comment field (GECOS) of every user this module creates; no other user is touched.
MARKER = "Claims and Evidence demo hub"
#: Debian's Python, readable and runnable by every user (a pyenv Python under /root is not).
SYSTEM_PYTHON = Path("/usr/bin/python3")
#: The tools setup and remove run.
TOOLS = ("useradd", "userdel", "chpasswd", "runuser")
#: The path inside the prefix of the settings file the hub's configuration reads.
SETTINGS_NAME = "hub.json"
#: The file marking a prefix as one `course hub setup` made (written before anything else).
PREFIX_MARKER = ".claims-evidence-hub"

Say = Callable[[str], None]


class HubError(Exception):
    """Something keeps the hub from being set up, started or removed.

    ``hint`` says what to do about it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class HubLayout:
    """Where the hub's parts live and who its users are."""

    prefix: Path = PREFIX
    exchange: Path = EXCHANGE
    course_id: str = DEFAULT_COURSE_ID
    instructor: str = INSTRUCTOR
    students: tuple[str, ...] = STUDENTS

    @property
    def users(self) -> tuple[str, ...]:
        """The instructor, then the students."""
        return (self.instructor, *self.students)

    @property
    def env(self) -> Path:
        """The shared Python environment (world-readable)."""
        return self.prefix / "env"

    @property
    def state(self) -> Path:
        """The hub's state: database, cookie secret, proxy token, passwords, log (root only)."""
        return self.prefix / "state"

    @property
    def settings_file(self) -> Path:
        return self.prefix / SETTINGS_NAME

    @property
    def marker_file(self) -> Path:
        return self.prefix / PREFIX_MARKER

    @property
    def config_file(self) -> Path:
        return self.prefix / "jupyterhub_config.py"

    @property
    def passwords_file(self) -> Path:
        return self.state / "passwords.json"

    @property
    def log_file(self) -> Path:
        return self.state / "jupyterhub.log"

    def home(self, user: str) -> Path:
        """The user's home folder (from the password database once the user exists)."""
        try:
            return Path(pwd.getpwnam(user).pw_dir)
        except KeyError:
            return Path("/home") / user

    @property
    def course_dir(self) -> Path:
        """The instructor's course folder, made by ``course init``."""
        return self.home(self.instructor) / "course"

    def passwords(self) -> dict[str, str]:
        """The demo passwords, by user (root only)."""
        try:
            return dict(json.loads(self.passwords_file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return {}


@dataclass
class SetupResult:
    """What :func:`setup` made: the authenticator chosen, and why."""

    layout: HubLayout
    authenticator: str
    reason: str
    passwords: dict[str, str]
    seconds: float


# -- checks -----------------------------------------------------------------------------


def check_root(action: str) -> None:
    """Raise :class:`HubError` unless this runs as root with the user tools at hand."""
    if os.geteuid() != 0:
        raise HubError(
            f"`course hub {action}` must run as root: it manages Linux users and starts "
            "servers as them.",
            f"Run it with sudo, with the repository's Python: sudo {sys.executable} -m course "
            f"hub {action}",
        )
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise HubError(
            f"{', '.join(missing)} not found: the hub needs Linux user management.",
            "Run it on a Linux system with the passwd and util-linux packages (Debian: "
            "apt-get install passwd util-linux).",
        )


def repository_root() -> Path:
    """Return the clone of the course this module runs from (with ``deploy/jupyterhub``)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file() or not (root / "deploy" / "jupyterhub").is_dir():
        raise HubError(
            f"The course repository was not found above {Path(__file__).parent}: the hub is "
            "set up from a clone (it installs the course from it).",
            "Clone the repository, install it (python3 -m pip install -e '.[instructor]') "
            "and run `course hub setup` from that clone's environment.",
        )
    return root


def proxy_command(repo: Path, say: Say) -> Path:
    """Return configurable-http-proxy from the repository's node_modules (``npm ci`` if absent)."""
    binary = repo / "node_modules" / ".bin" / "configurable-http-proxy"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise HubError(
            f"configurable-http-proxy was not found at {binary}, and npm is missing.",
            "Install Node.js and npm (Debian: apt-get install nodejs npm), then run "
            f"`npm ci` in {repo}.",
        )
    say("Installing configurable-http-proxy from npm (npm ci) ...")
    _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=repo, what="npm ci")
    if not binary.exists():
        raise HubError(
            f"`npm ci` ran, but {binary} is still missing.",
            "Check that package.json lists configurable-http-proxy in devDependencies.",
        )
    return binary


# -- helpers ----------------------------------------------------------------------------


def _run(
    args: Sequence[str | os.PathLike[str]],
    *,
    what: str,
    input: str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 1800,
) -> str:
    """Run a command (a list, no shell); raise :class:`HubError` with its output if it fails."""
    try:
        proc = subprocess.run(
            [os.fspath(a) for a in args],
            input=input,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise HubError(f"{what}: {exc.filename} not found.") from exc
    except subprocess.TimeoutExpired as exc:
        raise HubError(f"{what} took more than {timeout:.0f} s and was stopped.") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise HubError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


def user_env(layout: HubLayout, user: str) -> dict[str, str]:
    """A clean environment for a command run as ``user`` from the shared environment."""
    return {
        "PATH": f"{layout.env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(layout.home(user)),
        "USER": user,
        "LOGNAME": user,
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "JUPYTER_PREFER_ENV_PATH": "0",
    }


def run_as(
    layout: HubLayout,
    user: str,
    args: Sequence[str | os.PathLike[str]],
    *,
    check: bool = True,
    timeout: float = 600,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` as ``user`` (``runuser``), in the user's home, with the shared environment.

    With ``check``, a failure raises :class:`HubError` carrying the output.
    """
    env = user_env(layout, user) | (extra_env or {})
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    command = [runuser, "-u", user, "--", *(os.fspath(a) for a in args)]
    home = layout.home(user)
    proc = subprocess.run(
        command,
        cwd=home if home.is_dir() else "/",
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise HubError(f"`{' '.join(command)}` failed (exit {proc.returncode}):\n{tail}")
    return proc


def _write_private(path: Path, text: str) -> None:
    """Write a root-only file (mode 600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _is_ours(user: str) -> bool | None:
    """True: the user exists and this module made it; False: someone else's; None: absent."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return None
    return entry.pw_gecos.split(",")[0] == MARKER


# -- setup ------------------------------------------------------------------------------


def _ensure_users(layout: HubLayout, say: Say) -> dict[str, str]:
    for user in layout.users:
        ours = _is_ours(user)
        if ours is False:
            raise HubError(
                f"A user named {user} already exists and was not made by `course hub setup`.",
                "It is left alone. Remove or rename that account, or choose other names.",
            )
        if ours is None:
            say(f"Creating the Linux user {user}")
            _run(
                ["useradd", "--create-home", "--shell", "/bin/bash", "--comment", MARKER, user],
                what=f"useradd {user}",
            )
        layout.home(user).chmod(0o700)  # nobody reads another person's home
    passwords = layout.passwords()
    for user in layout.users:
        passwords.setdefault(user, secrets.token_urlsafe(9))
    passwords = {user: passwords[user] for user in layout.users}
    _write_private(layout.passwords_file, json.dumps(passwords, indent=2) + "\n")
    lines = "".join(f"{user}:{password}\n" for user, password in passwords.items())
    _run(["chpasswd"], input=lines, what="chpasswd")
    return passwords


def _ensure_env(layout: HubLayout, repo: Path, say: Say) -> None:
    python = layout.env / "bin" / "python"
    if not python.exists():
        if not SYSTEM_PYTHON.exists():
            raise HubError(
                f"{SYSTEM_PYTHON} not found: the shared environment is made with the "
                "system's Python, which every user may run.",
                "Install it (Debian: apt-get install python3 python3-venv).",
            )
        say(f"Creating the shared environment {layout.env} ({SYSTEM_PYTHON})")
        try:
            _run([SYSTEM_PYTHON, "-m", "venv", layout.env], what="python3 -m venv")
        except HubError as exc:
            shutil.rmtree(layout.env, ignore_errors=True)
            raise HubError(
                exc.message, "Install Debian's venv module: apt-get install -y python3-venv"
            ) from exc
    say(
        f"Installing the course with its instructor and hub extras into {layout.env} "
        "(pip; a few minutes the first time) ..."
    )
    pip: list[str | os.PathLike[str]] = [python, "-m", "pip", "install", "--quiet"]
    _run([*pip, f"{repo}[instructor,hub]"], what="pip install", cwd=layout.prefix)
    # The same version number from a changed clone: install the course's own files again.
    _run([*pip, "--no-deps", "--force-reinstall", str(repo)], what="pip install", cwd=layout.prefix)
    for name in ("jupyterhub", "jupyterhub-singleuser", "course"):
        if not (layout.env / "bin" / name).exists():
            raise HubError(f"{name} is missing from {layout.env / 'bin'} after pip install.")


def _check_pam(layout: HubLayout, user: str, password: str) -> str | None:
    """Return why PAM cannot authenticate ``user`` here, or None when it can."""
    code = (
        "import sys, pamela\n"
        "user = sys.argv[1]\n"
        "pamela.authenticate(user, sys.stdin.read(), service='login')\n"
    )
    proc = subprocess.run(
        [os.fspath(layout.env / "bin" / "python"), "-c", code, user],
        input=password,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode == 0:
        return None
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit {proc.returncode}"


def _ensure_exchange(layout: HubLayout, say: Say) -> None:
    say(f"Exchange folder {layout.exchange} (mode 1777, as nbgrader documents)")
    layout.exchange.mkdir(parents=True, exist_ok=True)
    layout.exchange.chmod(0o1777)  # everyone writes; only an owner deletes (sticky bit)


def _ensure_course(layout: HubLayout, repo: Path, say: Say) -> None:
    """``course init`` the instructor's course folder, run as the instructor."""
    instructor = layout.instructor
    entry = pwd.getpwnam(instructor)
    home = layout.home(instructor)
    say(f"Instructor's course folder {layout.course_dir} (course init, as {instructor}) ...")
    # The lessons and keys, staged in the instructor's own home (mode 700) for `course init`.
    staging = Path(tempfile.mkdtemp(prefix=".course-source-", dir=home))
    try:
        shutil.copytree(repo / "notebooks", staging / "notebooks")
        shutil.copytree(repo / "autograde", staging / "autograde")
        for path in [staging, *staging.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
        run_as(
            layout,
            instructor,
            [
                layout.env / "bin" / "course",
                "init",
                layout.course_dir,
                "--course-id",
                layout.course_id,
                "--exchange",
                layout.exchange,
            ],
            extra_env={"CLAIMS_EVIDENCE_HOME": str(staging)},
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    layout.course_dir.chmod(0o700)
    # Formgrader finds the course through the instructor's own nbgrader_config.py.
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from course.grading.config import set_config_values\n"
        "folder = Path.home() / '.jupyter'\n"
        "folder.mkdir(mode=0o700, exist_ok=True)\n"
        "set_config_values(folder / 'nbgrader_config.py', {\n"
        "    'CourseDirectory.root': sys.argv[1],\n"
        "    'CourseDirectory.course_id': sys.argv[2],\n"
        "    'Exchange.root': sys.argv[3],\n"
        "}, command='hub setup')\n"
    )
    run_as(
        layout,
        instructor,
        [
            layout.env / "bin" / "python",
            "-c",
            code,
            layout.course_dir,
            layout.course_id,
            layout.exchange,
        ],
    )


def _ensure_roles(layout: HubLayout, say: Say) -> None:
    course = layout.env / "bin" / "course"
    say(f"JupyterLab for {layout.instructor}: the instructor role (course lab-setup)")
    run_as(layout, layout.instructor, [course, "lab-setup", "--role", "instructor"])
    for student in layout.students:
        say(f"JupyterLab for {student}: the student role (course lab-setup)")
        run_as(
            layout,
            student,
            [
                course,
                "lab-setup",
                "--role",
                "student",
                "--level",
                "user",
                "--exchange",
                layout.exchange,
                "--course-id",
                layout.course_id,
            ],
        )


def _ensure_hub_files(
    layout: HubLayout, repo: Path, proxy: Path, authenticator: str, reason: str, say: Say
) -> None:
    say(f"Hub configuration {layout.config_file}; state in {layout.state} (root only)")
    shutil.copyfile(repo / "deploy" / "jupyterhub" / "jupyterhub_config.py", layout.config_file)
    layout.config_file.chmod(0o644)
    token = layout.state / "proxy_token"
    if not token.exists():
        _write_private(token, secrets.token_hex(32) + "\n")
    settings = {
        "env": str(layout.env),
        "state": str(layout.state),
        "proxy": str(proxy),
        "exchange": str(layout.exchange),
        "course_id": layout.course_id,
        "course_dir": str(layout.course_dir),
        "instructor": layout.instructor,
        "students": list(layout.students),
        "authenticator": authenticator,
        "authenticator_reason": reason,
    }
    layout.settings_file.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    layout.settings_file.chmod(0o644)


def setup(layout: HubLayout | None = None, say: Say = print) -> SetupResult:
    """Set up the hub (idempotent; as root). See the module's docstring for what it makes.

    Raises
    ------
    HubError
        When it cannot, with what to do about it.
    """
    layout = layout or HubLayout()
    check_root("setup")
    began = time.monotonic()
    repo = repository_root()
    proxy = proxy_command(repo, say)
    if layout.prefix.exists() and not layout.marker_file.exists() and any(layout.prefix.iterdir()):
        raise HubError(
            f"{layout.prefix} exists, is not empty and holds no {PREFIX_MARKER}: it is not "
            "a hub this command made.",
            "Choose another --prefix, or empty that folder.",
        )
    layout.prefix.mkdir(parents=True, exist_ok=True)
    # Written first: `course hub remove` deletes what it names, even after a failed setup.
    marker = {"made_by": "course hub setup", "exchange": str(layout.exchange)}
    layout.marker_file.write_text(json.dumps(marker) + "\n", encoding="utf-8")
    layout.prefix.chmod(0o755)  # the environment must be readable by every user
    layout.state.mkdir(mode=0o700, exist_ok=True)
    layout.state.chmod(0o700)
    passwords = _ensure_users(layout, say)
    _ensure_env(layout, repo, say)
    problem = _check_pam(layout, layout.instructor, passwords[layout.instructor])
    if problem is None:
        authenticator = "pam"
        reason = "PAM authenticates the users' Linux passwords (set with chpasswd)."
    else:
        authenticator = "dummy"
        reason = f"PAM could not authenticate a demo user here ({problem})."
    say(f"Authentication: {authenticator}. {reason}")
    if authenticator == "dummy":
        dummy = layout.state / "dummy_password"
        shared = (
            dummy.read_text(encoding="utf-8").strip()
            if dummy.exists()
            else secrets.token_urlsafe(9)
        )
        _write_private(dummy, shared + "\n")
        passwords = dict.fromkeys(layout.users, shared)
        _write_private(layout.passwords_file, json.dumps(passwords, indent=2) + "\n")
    _ensure_exchange(layout, say)
    _ensure_course(layout, repo, say)
    _ensure_roles(layout, say)
    _ensure_hub_files(layout, repo, proxy, authenticator, reason, say)
    seconds = time.monotonic() - began
    say(f"Hub set up in {seconds:.0f} s.")
    return SetupResult(layout, authenticator, reason, passwords, seconds)


def is_set_up(layout: HubLayout) -> bool:
    """Whether :func:`setup` has completed for ``layout`` (settings written, users present)."""
    return (
        layout.settings_file.is_file()
        and layout.config_file.is_file()
        and (layout.env / "bin" / "jupyterhub").exists()
        and layout.marker_file.is_file()
        and all(_is_ours(user) for user in layout.users)
    )


# -- processes --------------------------------------------------------------------------


def user_processes(users: Sequence[str]) -> list[psutil.Process]:
    """Return the live processes owned by any of ``users``."""
    wanted = set(users)
    found = []
    for proc in psutil.process_iter(["username", "status"]):
        try:
            if proc.info["username"] in wanted and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _describe(proc: psutil.Process) -> str:
    try:
        return f"pid {proc.pid} ({proc.username()}): {' '.join(proc.cmdline())[:160]}"
    except psutil.Error:
        return f"pid {proc.pid}"


def kill_user_processes(users: Sequence[str], timeout: float = 10) -> list[str]:
    """Terminate, then kill, every process of ``users``; return what was running."""
    procs = user_processes(users)
    described = [_describe(proc) for proc in procs]
    for proc in procs:
        try:
            proc.terminate()
        except psutil.Error:
            continue
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(alive, timeout=timeout)
    return described


# -- start ------------------------------------------------------------------------------


@dataclass
class RunningHub:
    """A hub started by :func:`start`: where it answers, who may log in, how to stop it."""

    layout: HubLayout
    port: int
    process: subprocess.Popen[bytes]
    passwords: dict[str, str]
    authenticator: str
    stopped: bool = field(default=False, init=False)

    @property
    def url(self) -> str:
        """The hub's address, such as ``http://127.0.0.1:8000/``."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def users(self) -> tuple[str, ...]:
        return self.layout.users

    @property
    def prefix(self) -> Path:
        return self.layout.prefix

    @property
    def course_dir(self) -> Path:
        return self.layout.course_dir

    def run_as(
        self, user: str, *args: str | os.PathLike[str], timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run a command as ``user`` (no check: look at ``returncode``, ``stdout``, ``stderr``)."""
        return run_as(self.layout, user, args, check=False, timeout=timeout)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.layout.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 60) -> list[str]:
        """Stop the hub (it stops the proxy and every server), then whatever remains.

        Returns
        -------
        list of str
            The processes of the hub's users, or its proxy, still running after the
            hub stopped; they have been killed.
        """
        if self.stopped:
            return []
        self.stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        deadline = time.monotonic() + 10
        while user_processes(self.users) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = kill_user_processes(self.users)
        left += _stop_proxy(self.layout)
        return left


def _stop_proxy(layout: HubLayout) -> list[str]:
    pid_file = layout.state / "jupyterhub-proxy.pid"
    try:
        pid = int(pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return []
    left = []
    try:
        proc = psutil.Process(pid)
        if "configurable-http-proxy" in " ".join(proc.cmdline()):
            left.append(_describe(proc))
            proc.terminate()
            proc.wait(10)
    except psutil.TimeoutExpired:
        proc.kill()
    except psutil.Error:
        pass
    pid_file.unlink(missing_ok=True)
    return left


def _stop_hub_process(layout: HubLayout) -> list[str]:
    """Stop a hub still running from ``layout``'s configuration; return what was running."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            cmdline = proc.info["cmdline"] or []
            if os.fspath(layout.config_file) in cmdline and any(
                part.endswith("jupyterhub") for part in cmdline
            ):
                found.append(proc)
        except psutil.Error:
            continue
    described = [_describe(proc) for proc in found]
    for proc in found:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(found, timeout=30)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    return described


def _wait_ready(hub: RunningHub, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            hub.stop()
            raise HubError(
                f"JupyterHub exited (code {hub.process.returncode}) while starting. Its log "
                f"({hub.layout.log_file}) ends:\n{hub.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{hub.url}hub/api/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    hub.stop()
    raise HubError(
        f"JupyterHub did not answer at {hub.url} within {timeout:.0f} s. Its log ends:\n"
        f"{hub.log_tail()}"
    )


def start(
    layout: HubLayout | None = None, port: int | None = None, timeout: float = 90
) -> RunningHub:
    """Start the hub on 127.0.0.1 (a free port unless ``port`` is given); wait until it answers.

    The hub runs in its own session, its log in ``<prefix>/state/jupyterhub.log``.
    Call :meth:`RunningHub.stop` to stop it.
    """
    layout = layout or HubLayout()
    check_root("start")
    if not is_set_up(layout):
        raise HubError(
            f"The hub is not set up in {layout.prefix}.",
            f"Run `course hub setup --prefix {layout.prefix}` first.",
        )
    settings = json.loads(layout.settings_file.read_text(encoding="utf-8"))
    if not Path(settings["proxy"]).exists():
        raise HubError(
            f"configurable-http-proxy is missing at {settings['proxy']}.",
            "Run `npm ci` in the repository, or `course hub setup` again.",
        )
    port = port or free_port()
    if left := user_processes(layout.users):
        raise HubError(
            "The hub's users still have processes running: "
            + "; ".join(_describe(p) for p in left),
            "Is another hub running? Stop it first (or `course hub remove`).",
        )
    env = {
        "PATH": f"{layout.env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/root",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "CE_HUB_SETTINGS": str(layout.settings_file),
        "CE_HUB_PORT": str(port),
        "CE_HUB_API_PORT": str(free_port()),
        "CE_PROXY_API_PORT": str(free_port()),
    }
    fd = os.open(layout.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    log = os.fdopen(fd, "ab")  # the hub writes to it after this returns
    try:
        process = subprocess.Popen(
            [os.fspath(layout.env / "bin" / "jupyterhub"), "-f", os.fspath(layout.config_file)],
            cwd=layout.state,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()
    hub = RunningHub(layout, port, process, layout.passwords(), settings["authenticator"])
    _wait_ready(hub, timeout)
    return hub


# -- remove -----------------------------------------------------------------------------


def remove(layout: HubLayout | None = None, say: Say = print) -> list[str]:
    """Delete the hub's users (and homes), the exchange folder and the prefix (as root).

    Only users this module created (their comment field) are deleted. Returns the
    processes of those users that were still running and had to be stopped.
    """
    layout = layout or HubLayout()
    check_root("remove")
    made = layout.marker_file.is_file()
    if layout.prefix.exists() and not made and any(layout.prefix.iterdir()):
        raise HubError(
            f"{layout.prefix} holds no {PREFIX_MARKER}: it is not a hub this command made, "
            "and it is left alone.",
            "Give the --prefix `course hub setup` used.",
        )
    left = _stop_hub_process(layout)
    ours = [user for user in layout.users if _is_ours(user)]
    left += kill_user_processes(ours)
    left += _stop_proxy(layout)
    for user in ours:
        say(f"Deleting the user {user} and {layout.home(user)}")
        _run(["userdel", "--remove", user], what=f"userdel {user}")
    for user in layout.users:
        if _is_ours(user) is False:
            say(f"Left alone: {user} (not made by `course hub setup`)")
    if made:
        # Only the exchange folder this prefix's setup made (recorded in its marker).
        exchange = Path(json.loads(layout.marker_file.read_text(encoding="utf-8"))["exchange"])
        if exchange.exists():
            say(f"Deleting the exchange folder {exchange}")
            shutil.rmtree(exchange)
            parent = exchange.parent
            if parent.name == "nbgrader" and not any(parent.iterdir()):
                parent.rmdir()
    if layout.prefix.exists():
        say(f"Deleting {layout.prefix}")
        shutil.rmtree(layout.prefix)
    return left
