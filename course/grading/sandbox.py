"""Isolation for the student's kernel during grading, with Debian's bubblewrap.

During ``course grade`` (and ``nbgrader autograde`` with the course's
configuration) each student's notebook runs in a kernel started inside a
`bubblewrap <https://github.com/containers/bubblewrap>`_ sandbox
(``bwrap``), the unprivileged sandbox that Flatpak uses. In the sandbox:

- the kernel works in a **throwaway copy** of the one submission it grades,
  mounted where nbgrader's ``autograded/<student>/<module>/`` folder would be;
  what it writes there is discarded after the run;
- the **course folder is hidden**: an empty, read-only folder stands in its
  place, so keys, ``source/``, ``grading/``, the gradebook and every other
  student's submission can be neither read nor written;
- the **file system is read-only** and holds only what Python needs: the
  system folders (``/usr``, ``/etc``…), the Python installation and its
  packages, and the course package itself; home folders, the exchange and a
  development checkout's other folders (keys, lessons) are absent. ``/tmp``
  and ``$HOME`` are a small private tmpfs;
- there is **no network** (a new, empty network namespace) unless the
  instructor allows it; the kernel talks to the grader over Unix sockets in
  a private folder (ZeroMQ's ``ipc`` transport);
- **processes cannot escape**: new PID, IPC, UTS and user namespaces, every
  capability dropped, and ``--die-with-parent``: when the kernel stops, or the
  grader does, everything it started is killed;
- the **environment is cleared** down to a short allow-list, so no
  credentials in the grader's environment (a database URL, tokens) reach
  student code.

:func:`resolve_isolation` says what is in force; ``course check``,
``course grade`` and every graded submission's problem list report it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

__all__ = [
    "MODES",
    "Isolation",
    "SandboxError",
    "SandboxPlan",
    "SandboxedKernelManager",
    "course_isolation",
    "find_bwrap",
    "no_isolation_problem",
    "probe_bubblewrap",
    "resolve_isolation",
]

#: The sandbox settings ``configure(c, sandbox=...)`` accepts.
MODES = ("auto", "bubblewrap", "none")

#: Size of the private tmpfs holding ``/tmp`` and ``$HOME`` inside the sandbox.
TMPFS_BYTES = 256 * 1024 * 1024

#: Environment variables passed from the grader to the kernel; all others are cleared.
ENV_ALLOWED = (
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "PYTHONHASHSEED",
    "PYTHONIOENCODING",
    "NBGRADER_EXECUTION",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "MKL_NUM_THREADS",
)

#: Home folder and scratch space inside the sandbox (both on its private tmpfs).
SANDBOX_HOME = "/tmp/home"

INSTALL_HINT = (
    "Install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: "
    "`sudo dnf install bubblewrap`) so that student code runs isolated, or grade as a "
    "separate user or in a container; see the instructor guide, section Security."
)


class SandboxError(RuntimeError):
    """Raise when the sandbox the course requires cannot be used."""


@dataclass(frozen=True)
class Isolation:
    """Which isolation a grading run uses for the student's kernel."""

    #: The course's setting: ``auto``, ``bubblewrap`` or ``none``.
    mode: str
    #: True when kernels run in the sandbox.
    active: bool
    #: ``"bubblewrap 0.8.0"``, or ``"none"``.
    mechanism: str
    #: Why there is no sandbox (empty when there is one).
    reason: str = ""
    #: Whether the sandbox keeps the network (off by default).
    network: bool = False
    #: The ``bwrap`` program used.
    bwrap: str | None = None

    def describe(self) -> str:
        """Return one line for the command line: what protects grading now."""
        if self.active:
            net = "network allowed" if self.network else "no network"
            return (
                f"Isolation: {self.mechanism} sandbox for student kernels "
                f"(throwaway copy of each submission, course folder hidden, {net})."
            )
        return f"Isolation: none. {self.reason} {INSTALL_HINT}"

    def problem(self) -> str | None:
        """Return the problem listed on every graded submission without a sandbox."""
        return None if self.active else no_isolation_problem(self.reason)


def no_isolation_problem(reason: str) -> str:
    """Return the message listed on a submission graded without a sandbox."""
    return (
        "graded without isolation: the student's code ran as the grader's user with "
        f"access to the course folder ({reason.rstrip('.')}). {INSTALL_HINT}"
    )


def find_bwrap() -> str | None:
    """Return the path of the ``bwrap`` program, or None if it is not installed."""
    return shutil.which("bwrap")


def _bwrap_version(bwrap: str) -> str:
    try:
        out = subprocess.run(
            [bwrap, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "bubblewrap"
    return out.stdout.strip() or "bubblewrap"


@functools.lru_cache(maxsize=8)
def probe_bubblewrap(bwrap: str | None = None) -> tuple[bool, str]:
    """Check that bubblewrap can start Python in the course's sandbox here.

    Returns
    -------
    (bool, str)
        Whether it works, and its version (when it works) or why not.
    """
    bwrap = bwrap or find_bwrap()
    if bwrap is None:
        return False, "bubblewrap (bwrap) is not installed."
    with tempfile.TemporaryDirectory(prefix="course-probe-") as tmp:
        plan = SandboxPlan(
            bwrap=bwrap,
            workdir=Path(tmp) / "work",
            runtime_dir=Path(tmp) / "run",
            course_root=Path(tmp) / "course",
        )
        plan.workdir.mkdir()
        plan.runtime_dir.mkdir()
        argv = plan.wrap(
            [sys.executable, "-c", "import os, sys; os.getcwd(); print('ok')"],
            cwd=str(plan.workdir),
            env=dict(os.environ),
        )
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            return False, f"bubblewrap could not be started ({exc})."
    if out.returncode != 0 or out.stdout.strip() != "ok":
        detail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return False, f"bubblewrap is installed but cannot create a sandbox here ({detail})."
    return True, _bwrap_version(bwrap)


def resolve_isolation(mode: str = "auto", *, network: bool = False) -> Isolation:
    """Return the isolation a grading run gets with the course's ``sandbox`` setting.

    Parameters
    ----------
    mode : {"auto", "bubblewrap", "none"}
        ``auto`` uses bubblewrap where it works and otherwise grades without
        isolation (each submission then lists a problem saying so);
        ``bubblewrap`` requires it (:class:`SandboxError` otherwise); ``none``
        turns isolation off.
    network : bool, default False
        Whether sandboxed kernels keep the network.

    Raises
    ------
    SandboxError
        With ``mode="bubblewrap"`` where the sandbox cannot be used, or an
        unknown mode.
    """
    if mode not in MODES:
        raise SandboxError(
            f"Unknown sandbox setting {mode!r}; use one of {', '.join(MODES)} "
            "in configure(...) in the course's nbgrader_config.py."
        )
    if mode == "none":
        return Isolation(
            mode, False, "none", reason="the course's setting is sandbox='none'", network=True
        )
    bwrap = find_bwrap()
    ok, detail = (
        probe_bubblewrap(bwrap) if bwrap else (False, "bubblewrap (bwrap) is not installed.")
    )
    if ok:
        return Isolation(mode, True, detail, network=network, bwrap=bwrap)
    if mode == "bubblewrap":
        raise SandboxError(
            f"The course requires a bubblewrap sandbox for grading, but {detail[0].lower()}"
            f"{detail[1:]} {INSTALL_HINT} To grade without isolation anyway, set "
            "sandbox='auto' or 'none' in the course's nbgrader_config.py."
        )
    return Isolation(mode, False, "none", reason=detail, network=True)


def course_isolation(course_dir: str | Path) -> Isolation:
    """Return the isolation grading gets in a course folder, from its ``nbgrader_config.py``.

    Raises
    ------
    SandboxError
        If the course requires bubblewrap and it cannot be used here.
    """
    from ..gradebook import course_config

    settings = course_config(course_dir).GuardedExecute
    return resolve_isolation(
        str(settings.get("sandbox", "auto")), network=bool(settings.get("sandbox_network", False))
    )


# -- what the sandbox sees -------------------------------------------------------------------

#: System folders mounted read-only (those that exist; symbolic links are recreated).
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _python_paths() -> list[Path]:
    """Folders the kernel's Python needs: installation, packages and the course package."""
    import course

    candidates: list[str] = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    candidates += [v for k, v in sysconfig.get_paths().items() if k != "scripts"]
    candidates.append(os.path.dirname(os.path.realpath(sys.executable)))
    for entry in sys.path:
        if entry and ("site-packages" in entry or "dist-packages" in entry or ".zip" in entry):
            candidates.append(entry)
    package = Path(course.__file__).resolve().parent
    candidates.append(str(package))
    # A checkout keeps the datasets beside the package; only that folder is mounted,
    # never the checkout itself (it holds the keys and the lessons' solutions).
    candidates.append(str(package.parent / "datasets"))
    out: list[Path] = []
    for text in candidates:
        for path in {Path(text), Path(os.path.realpath(text))}:
            if path.exists() and path not in out and str(path) != "/":
                out.append(path)
    # Drop folders already inside another one in the list.
    return sorted(
        (p for p in out if not any(q != p and _inside(p, q) for q in out)), key=lambda p: str(p)
    )


def _mount(src: Path, flag: str = "--ro-bind") -> list[str]:
    if src.is_symlink() and str(src) in _SYSTEM:
        return ["--symlink", os.readlink(src), str(src)]
    return [flag, str(src), str(src)]


@dataclass
class SandboxPlan:
    """How one kernel is sandboxed: the folders it gets and the ``bwrap`` command line.

    Parameters
    ----------
    bwrap : str
        The ``bwrap`` program.
    workdir : Path
        The throwaway copy of the submission (read-write), mounted at ``cwd``.
    runtime_dir : Path
        A private folder for the connection file and the kernel's sockets.
    course_root : Path
        The course folder, hidden in the sandbox.
    network : bool, default False
        Keep the network.
    tmpfs_bytes : int, default TMPFS_BYTES
        Size of the private ``/tmp``.
    """

    bwrap: str
    workdir: Path
    runtime_dir: Path
    course_root: Path
    network: bool = False
    tmpfs_bytes: int = TMPFS_BYTES
    extra_hidden: list[Path] = field(default_factory=list)

    def environment(self, env: dict[str, str]) -> list[str]:
        """Return the ``--setenv`` arguments: an allow-listed environment."""
        path = [os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]
        out = ["--clearenv"]
        values = {
            "PATH": ":".join(dict.fromkeys(path)),
            "HOME": SANDBOX_HOME,
            "TMPDIR": "/tmp",
            "IPYTHONDIR": f"{SANDBOX_HOME}/.ipython",
            "MPLCONFIGDIR": f"{SANDBOX_HOME}/.config/matplotlib",
            "MPLBACKEND": "Agg",
            "PYTHONDONTWRITEBYTECODE": "1",
            "LANG": "C.UTF-8",
            # ipykernel: no parent polling (the sandbox dies with the grader anyway), and
            # no connection banner printed on the grader's terminal.
            "JPY_PARENT_PID": "1",
        }
        values.update({k: env[k] for k in ENV_ALLOWED if k in env})
        for key, value in values.items():
            out += ["--setenv", key, value]
        return out

    def wrap(self, cmd: list[str], *, cwd: str, env: dict[str, str]) -> list[str]:
        """Return ``cmd`` wrapped in ``bwrap``, run in ``cwd`` (where ``workdir`` appears)."""
        root = Path(os.path.realpath(self.course_root))
        args = [
            self.bwrap,
            "--unshare-all",
            *([] if not self.network else ["--share-net"]),
            "--die-with-parent",
            "--as-pid-1",
            "--cap-drop",
            "ALL",
            "--hostname",
            "grading",
        ]
        args += self.environment(env)
        for folder in _SYSTEM:
            path = Path(folder)
            if path.exists() or path.is_symlink():
                args += _mount(path)
        args += ["--dev", "/dev", "--proc", "/proc"]
        args += ["--perms", "1777", "--size", str(self.tmpfs_bytes), "--tmpfs", "/tmp"]
        args += ["--dir", SANDBOX_HOME]
        python = _python_paths()
        for path in python:
            args += _mount(path)
        hidden = [root, *(Path(os.path.realpath(p)) for p in self.extra_hidden)]
        for hidden_dir in hidden:
            args += ["--perms", "0555", "--tmpfs", str(hidden_dir)]
        # A Python installation inside the course folder stays usable.
        for path in python:
            if any(_inside(path, h) and path != h for h in hidden):
                args += _mount(path)
        cwd_path = Path(cwd)
        args += ["--bind", str(self.workdir), str(cwd_path)]
        args += ["--bind", str(self.runtime_dir), str(self.runtime_dir)]
        for hidden_dir in hidden:  # last, so the mounts above could be made inside them
            args += ["--remount-ro", str(hidden_dir)]
        args += ["--chdir", str(cwd_path), "--"]
        return args + list(cmd)


# -- the kernel manager --------------------------------------------------------------------


class SandboxedKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, starting the kernel inside a :class:`SandboxPlan`.

    Set :attr:`sandbox_plan` before the kernel starts; without one, the kernel
    starts as usual. The kernel listens on Unix sockets in the plan's runtime
    folder (ZeroMQ ``ipc`` transport), so it needs no network. It runs as the
    sandbox's PID 1 (``--as-pid-1``), which lets an interrupt (SIGINT) reach it
    directly while ``bwrap`` itself is left alone.
    """

    sandbox_plan: SandboxPlan | None = None
    _sandbox_pid: int | None = None

    def prepare_sandbox(self, plan: SandboxPlan) -> None:
        """Use ``plan`` for the next start: sockets and connection file in its runtime folder."""
        self.sandbox_plan = plan
        self.transport = "ipc"
        self.ip = str(plan.runtime_dir / "k")
        self.connection_file = str(plan.runtime_dir / "kernel.json")

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        plan = self.sandbox_plan
        if plan is None:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        read_fd, write_fd = os.pipe()
        try:
            cwd = kw.get("cwd") or os.getcwd()
            argv = plan.wrap(kernel_cmd, cwd=str(cwd), env=dict(kw.get("env") or os.environ))
            argv = [argv[0], "--info-fd", str(write_fd), *argv[1:]]
            kw["pass_fds"] = (*kw.get("pass_fds", ()), write_fd)
            await super()._async_launch_kernel(argv, **kw)
        finally:
            os.close(write_fd)
        with contextlib.closing(os.fdopen(read_fd, "rb")) as info:
            self._sandbox_pid = _read_child_pid(info)

    async def _async_signal_kernel(self, signum: int) -> None:
        # bwrap dies of SIGINT (and takes the kernel with it): interrupt the kernel alone.
        if signum == signal.SIGINT and self._sandbox_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._sandbox_pid, signum)
            return
        await super()._async_signal_kernel(signum)


def _read_child_pid(info: Any, timeout: float = 30.0) -> int | None:
    """Read bwrap's ``--info-fd`` report (``{"child-pid": N}``) and return the pid."""
    buffer = b""
    fd = info.fileno()
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buffer += chunk
        with contextlib.suppress(ValueError):
            pid = json.loads(buffer.decode("utf-8")).get("child-pid")
            return int(pid) if isinstance(pid, int) else None
    return None


@contextlib.contextmanager
def throwaway_copy(folder: str | Path) -> Iterator[tuple[Path, Path]]:
    """Copy ``folder`` to a private temporary folder; yield (copy, runtime folder).

    Symbolic links are copied as links, never followed. Both folders are
    removed afterwards, whatever the kernel left in them.
    """
    tmp = Path(tempfile.mkdtemp(prefix="course-k-"))
    try:
        copy = tmp / "work"
        shutil.copytree(folder, copy, symlinks=True)
        runtime = tmp / "run"
        runtime.mkdir(mode=0o700)
        yield copy, runtime
    finally:
        _force_rmtree(tmp)


def _force_rmtree(path: Path) -> None:
    def onerror(func: Any, target: str, _exc: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(target), 0o700)
            os.chmod(target, 0o700)
        with contextlib.suppress(OSError):
            func(target)

    shutil.rmtree(path, onerror=onerror)
