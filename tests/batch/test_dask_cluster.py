"""Grading on a real local Dask cluster: the same grades as local workers, a lost worker survived.

The module's fixture starts a Dask scheduler and two worker processes on
127.0.0.1 (``python -m dask scheduler`` / ``python -m dask worker``, one
thread each), as an instructor starts them on a cluster. A seeded class of
the fixture module (one item of every kind) is graded three ways from copies
of one course folder: ``course grade --jobs 2``, ``course grade --scheduler``
(with one Dask worker killed while it grades) and ``course grade --scheduler
--fast``. Grades, per-item scores, feedback and the exports must be identical,
and no process may be left behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from seeded import MODULE, seeded_class

from course.batch.cluster import ClusterError, DaskCluster, grade_on_worker, scheduler_setting
from course.batch.tasks import Task
from course.export import collect_grades, collect_items

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]

STUDENTS = 8
#: Files of exports/ that must not depend on how the class was graded.
SAME_EXPORTS = ("grades.csv", "items.csv", "problems.csv")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process we started in its own session, and everything in that session."""
    procs = _tree(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=15)
    for leftover in alive:
        with contextlib.suppress(psutil.Error):
            leftover.kill()
    psutil.wait_procs(alive, timeout=5)
    proc.wait(timeout=5)


class LocalCluster:
    """A Dask scheduler and its workers, each a process of its own on 127.0.0.1."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler = self._start(
            "scheduler",
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dashboard-address",
            f"127.0.0.1:{_free_port()}",
        )
        self.workers = [self.start_worker(f"w{n}") for n in (1, 2)]
        self.wait_for_workers(2)

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("wb")
        env = dict(os.environ)
        env.setdefault("PYTHONWARNINGS", "ignore")
        return subprocess.Popen(
            [sys.executable, "-m", "dask", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    def start_worker(self, name: str) -> subprocess.Popen:
        return self._start(
            name,
            "worker",
            self.address,
            "--host",
            "127.0.0.1",
            "--name",
            name,
            "--nthreads",
            "1",
            "--nworkers",
            "1",
            "--no-dashboard",
        )

    def wait_for_workers(self, count: int, timeout: float = 120) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=timeout)

    def processes(self) -> list[psutil.Process]:
        found = []
        for proc in [self.scheduler, *self.workers]:
            found += _tree(proc.pid)
        return found

    def stop(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            _stop(proc)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    logs = tmp_path_factory.mktemp("dask-logs")
    started = LocalCluster(logs)
    try:
        yield started
    finally:
        started.stop()
    port = str(started.port)
    left = [
        p
        for p in psutil.process_iter(["pid", "cmdline"])
        if port in " ".join(p.info["cmdline"] or []) and p.pid != os.getpid()
    ]
    assert not left, f"Dask processes left behind: {[p.info for p in left]}"


@pytest.fixture(scope="module")
def submitted(tmp_path_factory):
    """A released course folder with a seeded class's submissions, not graded yet."""
    return seeded_class(tmp_path_factory.mktemp("dask-class"), STUDENTS, seed=17)


def _copy(course: Path, where: Path) -> Path:
    target = where / "course"
    shutil.copytree(course, target, symlinks=True)
    return target


def _course_cli(*args: str | os.PathLike[str], **kwargs) -> subprocess.Popen:
    env = dict(os.environ)
    env.setdefault("PYTHONWARNINGS", "ignore")
    env["COLUMNS"] = "200"
    return subprocess.Popen(
        [sys.executable, "-m", "course", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        **kwargs,
    )


def _grades(course: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    columns = ["student_id", "module", "score", "max_score", "needs_manual_grade", "graded"]
    grades = collect_grades(course, [MODULE])[columns].sort_values("student_id")
    items = collect_items(course, [MODULE])
    items = items.sort_values(list(items.columns[:3])).reset_index(drop=True)
    return grades.reset_index(drop=True), items


def _feedback_scores(course: Path) -> dict[str, list[str]]:
    """Each student's feedback page, reduced to the scores it shows."""
    pages = {}
    for page in sorted((course / "feedback").glob(f"*/{MODULE}/{MODULE}.html")):
        text = page.read_text(encoding="utf-8")
        pages[page.parts[-3]] = re.findall(r"Score: [0-9.]+ / [0-9.]+", text)
    return pages


@pytest.fixture(scope="module")
def by_local_workers(submitted, tmp_path_factory):
    course = _copy(submitted, tmp_path_factory.mktemp("jobs"))
    run = _course_cli("grade", course, "--jobs", "2")
    out, _ = run.communicate(timeout=900)
    assert run.returncode == 0, out
    return course


def _kernel_running(proc: subprocess.Popen) -> bool:
    """Is the Dask worker ``proc`` grading (its grading process runs a kernel)?"""
    return any("ipykernel" in " ".join(p.cmdline()) for p in _safe(_tree(proc.pid)))


def _safe(procs: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for proc in procs:
        try:
            proc.cmdline()
            alive.append(proc)
        except psutil.Error:
            pass
    return alive


def test_grades_on_the_cluster_equal_local_workers_with_a_worker_killed_mid_batch(
    cluster, submitted, by_local_workers, tmp_path
):
    """`--scheduler`: a Dask worker killed while grading; same grades, feedback, exports."""
    course = _copy(submitted, tmp_path)
    run = _course_cli("grade", course, "--scheduler", cluster.address)
    victim = cluster.workers[0]
    deadline = time.monotonic() + 300
    while not _kernel_running(victim):
        assert run.poll() is None, (
            f"grading ended before the worker was busy:\n{run.communicate()[0]}"
        )
        assert time.monotonic() < deadline, "the first Dask worker never started a kernel"
        time.sleep(0.1)
    doomed = _safe(_tree(victim.pid))
    graders = [p for p in doomed if "course.batch.worker" in " ".join(p.cmdline())]
    assert graders, "the Dask worker runs the task in a grading process"
    doomed += [c for g in graders for c in _safe(g.children(recursive=True))]
    os.killpg(victim.pid, signal.SIGKILL)  # the Dask worker and its nanny
    # Its grading process and kernel (a session of their own) stop with it.
    _, alive = psutil.wait_procs(doomed, timeout=20)
    assert not alive, f"left running after their Dask worker died: {[p.pid for p in alive]}"
    victim.wait(timeout=10)
    out, _ = run.communicate(timeout=900)
    assert run.returncode == 0, out
    assert f"Grading on the Dask cluster at {cluster.address}" in out, out
    assert "Dask dashboard: http://127.0.0.1:" in out, out
    assert f"{MODULE}: {STUDENTS} graded" in out, out

    expected_grades, expected_items = _grades(by_local_workers)
    grades, items = _grades(course)
    assert len(grades) == STUDENTS
    pd.testing.assert_frame_equal(grades, expected_grades)
    pd.testing.assert_frame_equal(items, expected_items)
    assert _feedback_scores(course) == _feedback_scores(by_local_workers)
    assert len(_feedback_scores(course)) == STUDENTS
    for name in SAME_EXPORTS:
        assert (course / "exports" / name).read_bytes() == (
            by_local_workers / "exports" / name
        ).read_bytes(), name
    # The lost worker comes back for the next test, as a cluster's operator would restart it.
    cluster.workers[0] = cluster.start_worker("w1-again")
    cluster.wait_for_workers(2)


def test_fast_path_on_the_cluster_gives_the_same_grades(
    cluster, submitted, by_local_workers, tmp_path
):
    """`--scheduler --fast`: no kernel on the workers, the same grades as `--jobs 2`."""
    course = _copy(submitted, tmp_path)
    run = _course_cli("grade", course, "--scheduler", cluster.address, "--fast")
    out, _ = run.communicate(timeout=900)
    assert run.returncode == 0, out
    assert f"{MODULE} (fast path): {STUDENTS} graded" in out, out
    expected_grades, expected_items = _grades(by_local_workers)
    grades, items = _grades(course)
    pd.testing.assert_frame_equal(grades, expected_grades)
    pd.testing.assert_frame_equal(items, expected_items)
    assert _feedback_scores(course) == _feedback_scores(by_local_workers)


def test_course_setting_sends_grading_to_the_cluster(cluster, submitted, tmp_path):
    """`c.Grading.scheduler` in nbgrader_config.py: `course grade` uses the cluster; -j does not."""
    course = _copy(submitted, tmp_path)
    config = course / "nbgrader_config.py"
    text = config.read_text(encoding="utf-8")
    assert '# c.Grading.scheduler = "tcp://' in text, "course init writes the setting's example"
    config.write_text(text + f"\nc.Grading.scheduler = {cluster.address!r}\n", encoding="utf-8")
    assert scheduler_setting(course) == cluster.address
    run = _course_cli("grade", course, "--no-feedback")
    out, _ = run.communicate(timeout=900)
    assert run.returncode == 0, out
    assert f"Grading on the Dask cluster at {cluster.address}" in out, out
    run = _course_cli("grade", course, "--no-feedback", "--force", "--jobs", "1")
    out, _ = run.communicate(timeout=900)
    assert run.returncode == 0, out
    assert "Grading with 1 worker(s)" in out, out


# -- without a cluster: what a wrong address or a missing folder gives --------------------


def test_unreachable_scheduler_is_a_clear_error(submitted):
    """No scheduler at the address: ClusterError naming it and what to do."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(ClusterError, match=re.escape(address)) as caught:
        DaskCluster(address, submitted, connect_timeout=2)
    assert "dask scheduler" in str(caught.value)


def test_cli_refuses_jobs_with_scheduler(submitted):
    """`--jobs` is for one machine, `--scheduler` for a cluster: both at once is an error."""
    run = _course_cli("grade", submitted, "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1")
    out, _ = run.communicate(timeout=120)
    assert run.returncode != 0
    assert "--jobs and --scheduler cannot be used together" in out, out
    assert not (submitted / "autograded").exists() or not any((submitted / "autograded").iterdir())


def test_task_on_a_worker_without_the_course_folder_fails_with_the_reason(tmp_path):
    """A Dask worker that does not see the course folder: a failed outcome that says so."""
    task = Task("autograde", MODULE, "ann")
    outcome = grade_on_worker(str(tmp_path / "nowhere"), task, 60.0)
    assert not outcome.ok
    assert "is not on the Dask worker" in outcome.message
    assert "same path" in outcome.message


def test_a_scheduler_lost_mid_batch_ends_the_run_with_every_student_listed(submitted, tmp_path):
    """The scheduler dies while grading: `course grade` ends, exit 1, each student accounted for."""
    logs = tmp_path / "logs"
    logs.mkdir()
    own = LocalCluster(logs)
    course = _copy(submitted, tmp_path)
    try:
        run = _course_cli("grade", course, "--scheduler", own.address, "--no-feedback")
        deadline = time.monotonic() + 300
        while not any(_kernel_running(worker) for worker in own.workers):
            assert run.poll() is None, f"grading ended first:\n{run.communicate()[0]}"
            assert time.monotonic() < deadline, "no Dask worker ever started a kernel"
            time.sleep(0.1)
        os.killpg(own.scheduler.pid, signal.SIGKILL)
        out, _ = run.communicate(timeout=600)
    finally:
        own.stop()
    assert run.returncode == 1, out
    grades = pd.read_csv(course / "exports" / "grades.csv")
    assert sorted(grades["student_id"]) == sorted(os.listdir(course / "submitted"))
    problems = pd.read_csv(course / "exports" / "problems.csv")
    lost = problems[problems["problem"].str.contains(f"Dask scheduler at {own.address}")]
    assert not lost.empty, problems.to_string()
    graded = {p.parts[-3] for p in (course / "autograded").glob(f"*/{MODULE}/{MODULE}.ipynb")}
    assert set(lost["student_id"]) | graded == set(grades["student_id"])
    port = str(own.port)
    left = [
        p
        for p in psutil.process_iter(["pid", "cmdline"])
        if port in " ".join(p.info["cmdline"] or []) and p.pid != os.getpid()
    ]
    assert not left, f"Dask processes left behind: {[p.info for p in left]}"
