"""`course grade` starts its workers before the command line is built, and never leaves them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from course.batch.pool import default_jobs
from course.cli._early import _parse, prestart, take

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "batch"))

from seeded import MODULE, seeded_class  # noqa: E402


@pytest.mark.parametrize(
    ("args", "jobs"),
    [
        (["grade", "c"], None),
        (["grade", "c", "01", "02"], None),
        (["grade", "--fast", "c", "--no-feedback"], None),
        (["grade", "c", "--jobs", "3"], 3),
        (["grade", "-j", "3", "c"], 3),
        (["grade", "c", "--jobs=3"], 3),
    ],
)
def test_grading_here_is_recognised(args, jobs):
    assert _parse(args) == (Path("c").resolve(), jobs or default_jobs())


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["release", "c"],
        ["grade"],
        ["grade", "--fast"],
        ["grade", "c", "--scheduler", "tcp://127.0.0.1:8786"],
        ["grade", "c", "--scheduler=tcp://127.0.0.1:8786"],
        ["grade", "c", "--help"],
        ["grade", "c", "--jobs", "0"],
        ["grade", "c", "--jobs", "many"],
        ["grade", "c", "--jobs"],
    ],
)
def test_anything_else_starts_nothing(args):
    assert _parse(args) is None


def test_a_folder_that_is_not_a_course_starts_nothing(tmp_path):
    (tmp_path / "submitted" / "ann").mkdir(parents=True)
    prestart(["grade", str(tmp_path), "--jobs", "2"])
    assert take(tmp_path, 2) is None


def _workers_of(folder: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if "course.batch.worker" in cmd and str(folder) in cmd:
            found.append(proc)
    return found


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return seeded_class(tmp_path_factory.mktemp("early"), 3, seed=5).resolve()


@pytest.mark.nbgrader
@pytest.mark.slow
def test_workers_started_early_are_the_ones_grading_takes(course):
    prestart(["grade", str(course), "--fast", "-j", "2"])
    assert take(course, 3) is None  # other arguments: not these workers
    runners = take(course, 2)
    assert runners is not None and runners._pool is not None
    try:
        pids = {w.proc.pid for w in runners._pool._workers}
        assert len(pids) == 2
        assert all(psutil.pid_exists(p) for p in pids)
    finally:
        runners.close()
    assert take(course, 2) is None  # taken once


def _run(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run(
        [sys.executable, "-m", "course", "grade", str(course), *args],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip


def _none_left(course: Path) -> list[psutil.Process]:
    deadline = time.monotonic() + 15
    while (left := _workers_of(course)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.mark.nbgrader
@pytest.mark.slow
def test_a_run_refused_after_the_early_start_leaves_no_worker(course):
    result = _run(course, "99-no-such-module", "--jobs", "2")
    assert result.returncode != 0
    assert "99-no-such-module" in result.stdout + result.stderr
    assert _none_left(course) == []


@pytest.mark.nbgrader
@pytest.mark.slow
def test_a_run_with_early_workers_grades_everyone_and_stops_them(course):
    result = _run(course, "--fast", "--no-feedback", "--jobs", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    graded = list((course / "autograded").glob(f"*/{MODULE}/{MODULE}.ipynb"))
    assert len(graded) == 3
    assert _none_left(course) == []
