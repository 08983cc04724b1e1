"""The bubblewrap sandbox for student kernels, tested with a real kernel.

Each test starts an IPython kernel through :class:`SandboxedKernelManager`, as
``GuardedExecute`` does during grading, runs code in it and checks what the
code could see and do. CI installs bubblewrap (``.ci/run``); elsewhere these
tests skip with the reason when it cannot run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
from pathlib import Path

import psutil
import pytest

from course.grading.sandbox import (
    Isolation,
    SandboxedKernelManager,
    SandboxError,
    SandboxPlan,
    find_bwrap,
    no_isolation_problem,
    probe_bubblewrap,
    resolve_isolation,
    throwaway_copy,
)

OK, DETAIL = probe_bubblewrap()
pytestmark = pytest.mark.skipif(
    not OK and not os.environ.get("CI"), reason=f"bubblewrap sandbox unavailable: {DETAIL}"
)


async def _run(km: SandboxedKernelManager, code: str, timeout: float = 30) -> str:
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        msg_id = kc.execute(code)
        out: list[str] = []
        while True:
            msg = await kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}\n")
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)
    finally:
        kc.stop_channels()


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A course folder with a key, a gradebook and one autograded submission folder."""
    root = tmp_path / "course"
    (root / "autograde" / "keys").mkdir(parents=True)
    (root / "autograde" / "keys" / "01-x.yaml").write_text("items: {secret: 1}\n")
    (root / "gradebook.db").write_bytes(b"SQLite format 3\x00")
    (root / "submitted" / "bob" / "01-x").mkdir(parents=True)
    (root / "submitted" / "bob" / "01-x" / ".01-x.answers.json").write_text("{}")
    work = root / "autograded" / "alice" / "01-x"
    work.mkdir(parents=True)
    (work / "data.csv").write_text("a,b\n1,2\n")
    return root


@contextlib.asynccontextmanager
async def _sandboxed_kernel(course: Path, *, network: bool = False):
    """Start a sandboxed kernel for alice's submission, as GuardedExecute does."""
    cwd = course / "autograded" / "alice" / "01-x"
    with throwaway_copy(cwd) as (copy, runtime):
        km = SandboxedKernelManager(kernel_name="python3")
        km.prepare_sandbox(
            SandboxPlan(
                bwrap=find_bwrap() or "bwrap",
                workdir=copy,
                runtime_dir=runtime,
                course_root=course,
                network=network,
            )
        )
        await km.start_kernel(cwd=str(cwd))
        try:
            yield km
        finally:
            await km.shutdown_kernel(now=True)


def _in_sandbox(course: Path, code: str, *, network: bool = False) -> str:
    async def main() -> str:
        async with _sandboxed_kernel(course, network=network) as km:
            return await _run(km, code)

    return _run_async(main())


def _run_async(coro):
    """Run ``coro`` on a fresh event loop in its own thread (another test's loop may run)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_kernel_works_in_a_throwaway_copy_of_the_submission(course):
    """Does the kernel run in the submission's folder, with writes kept out of the original?"""
    out = _in_sandbox(
        course,
        "import os\nprint(os.getcwd())\nprint(open('data.csv').read().strip())\n"
        "open('data.csv', 'w').write('changed')\nopen('new.txt', 'w').write('x')\nprint('wrote')",
    )
    assert str(course / "autograded" / "alice" / "01-x") in out
    assert "a,b" in out and "wrote" in out
    work = course / "autograded" / "alice" / "01-x"
    assert (work / "data.csv").read_text() == "a,b\n1,2\n"
    assert not (work / "new.txt").exists()


def test_keys_gradebook_and_other_submissions_are_invisible(course):
    """Can student code read the key, the gradebook or a classmate's submission?"""
    out = _in_sandbox(
        course,
        "import os\n"
        f"root = {str(course)!r}\n"
        "for rel in ['autograde/keys/01-x.yaml', 'gradebook.db',\n"
        "            'submitted/bob/01-x/.01-x.answers.json']:\n"
        "    print(rel, os.path.exists(os.path.join(root, rel)))\n"
        "print('listing', sorted(os.listdir(root)))\n",
    )
    assert "autograde/keys/01-x.yaml False" in out
    assert "gradebook.db False" in out
    assert "submitted/bob/01-x/.01-x.answers.json False" in out
    assert "listing ['autograded']" in out


def test_course_folder_cannot_be_written(course):
    """Is every write into the course folder, outside the throwaway copy, refused?"""
    out = _in_sandbox(
        course,
        "import os\n"
        f"root = {str(course)!r}\n"
        "for rel in ['autograde/keys/01-x.yaml', 'new-file', 'grading/snapshots/x']:\n"
        "    try:\n"
        "        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)\n"
        "        open(os.path.join(root, rel), 'w').write('forged')\n"
        "        print(rel, 'WRITTEN')\n"
        "    except OSError as exc:\n"
        "        print(rel, 'refused', exc.errno)\n",
    )
    assert "WRITTEN" not in out
    assert (course / "autograde" / "keys" / "01-x.yaml").read_text() == "items: {secret: 1}\n"
    assert not (course / "new-file").exists()


def test_checkout_keys_and_home_are_absent(course):
    """Are the repository's keys and lessons, and the grader's home folder, out of reach?"""
    import course as package

    checkout = Path(package.__file__).resolve().parent.parent
    out = _in_sandbox(
        course,
        "import os\n"
        f"print('keys', os.path.exists({str(checkout / 'autograde')!r}))\n"
        f"print('lessons', os.path.exists({str(checkout / 'notebooks')!r}))\n"
        f"print('home', os.listdir({os.path.expanduser('~')!r}) "
        f"if os.path.isdir({os.path.expanduser('~')!r}) else [])\n"
        "import course.items, course.data\nprint('import ok')\n",
    )
    assert "keys False" in out and "lessons False" in out
    assert "import ok" in out


def test_no_network_by_default(course):
    """Can sandboxed code reach a server the grader runs on loopback?"""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    hits: list[int] = []

    def accept() -> None:
        server.settimeout(15)
        try:
            conn, _ = server.accept()
            hits.append(1)
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        out = _in_sandbox(
            course,
            "import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), 3)\n    print('CONNECTED')\n"
            "except OSError as exc:\n    print('no network', exc.errno)\n",
        )
    finally:
        server.close()
        thread.join(timeout=20)
    assert "CONNECTED" not in out and "no network" in out
    assert hits == []


def test_environment_is_cleared(course, monkeypatch):
    """Do the grader's secrets in its environment stay out of the kernel?"""
    monkeypatch.setenv("COURSE_SECRET_TOKEN", "hunter2")
    out = _in_sandbox(course, "import os\nprint(sorted(os.environ))\n")
    assert "COURSE_SECRET_TOKEN" not in out


def test_background_processes_die_with_the_kernel(course):
    """Is a detached process started by student code gone once the kernel stops?"""
    marker = "course-sandbox-test-marker-5521"
    _in_sandbox(
        course,
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)  # {marker}'],\n"
        "                 start_new_session=True)\nprint('started')\n",
    )
    leftovers = [
        p.pid
        for p in psutil.process_iter(["cmdline", "status"])
        if marker in " ".join(p.info.get("cmdline") or [])
        and p.info.get("status") != psutil.STATUS_ZOMBIE
    ]
    assert leftovers == []


def test_interrupt_reaches_the_kernel_and_keeps_it_alive(course):
    """Does an interrupt stop a running cell without killing the sandboxed kernel?"""

    async def main() -> tuple[str, str]:
        async with _sandboxed_kernel(course) as km:
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            msg_id = kc.execute("while True:\n    pass\n")
            await asyncio.sleep(1.5)
            await km.interrupt_kernel()
            ename = ""
            while not ename:
                msg = await kc.get_iopub_msg(timeout=20)
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "error":
                    ename = msg["content"]["ename"]
            kc.stop_channels()
            return ename, await _run(km, "print('still alive')")

    ename, after = _run_async(main())
    assert ename == "KeyboardInterrupt"
    assert "still alive" in after


def test_resolve_isolation_modes():
    """Do the three settings give the isolation they promise?"""
    assert resolve_isolation("auto").active
    assert resolve_isolation("bubblewrap").active
    off = resolve_isolation("none")
    assert not off.active and "sandbox='none'" in (off.problem() or "")
    with pytest.raises(SandboxError, match="Unknown sandbox setting"):
        resolve_isolation("docker")


def test_missing_bubblewrap_is_reported_with_the_fix(monkeypatch):
    """Without bwrap, does 'auto' grade unisolated with a problem, and 'bubblewrap' refuse?"""
    import course.grading.sandbox as sandbox

    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    auto = sandbox.resolve_isolation("auto")
    assert not auto.active
    assert "not installed" in auto.reason
    assert "apt-get install bubblewrap" in (auto.problem() or "")
    with pytest.raises(SandboxError, match="apt-get install bubblewrap"):
        sandbox.resolve_isolation("bubblewrap")


def test_describe_says_what_is_in_force():
    """Is the one-line description clear in both states?"""
    on = Isolation("auto", True, "bubblewrap 0.8.0")
    assert "bubblewrap 0.8.0 sandbox" in on.describe() and "no network" in on.describe()
    off = Isolation("auto", False, "none", reason="bubblewrap (bwrap) is not installed.")
    assert off.describe().startswith("Isolation: none.")
    assert "graded without isolation" in no_isolation_problem("x")
