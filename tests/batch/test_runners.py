"""One set of grading workers per run: started early, kept from grading to feedback, stopped."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest
from seeded import MODULE, seeded_class

from course.batch.runners import Runners
from course.batch.state import ensure_students, submitted_students
from course.batch.tasks import Task

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    folder = seeded_class(tmp_path_factory.mktemp("runners"), 4, seed=3)
    ensure_students(folder, set(submitted_students(folder, MODULE)))
    return folder


def _worker_pids(runners: Runners) -> set[int]:
    pool = runners._pool
    assert pool is not None
    return {w.proc.pid for w in pool._workers}


def test_workers_are_warmed_kept_between_phases_and_stopped(course):
    students = submitted_students(course, MODULE)
    with Runners(course, 2) as runners:
        runners.warm(len(students), 300.0)
        warmed = _worker_pids(runners)
        assert len(warmed) == 2  # started before any task was given
        graded = runners.run(
            [Task("autograde", MODULE, s, fast=True) for s in students], lambda o: None,
            timeout=300.0,
        )  # fmt: skip
        assert all(o.ok for o in graded), [o.message for o in graded]
        assert _worker_pids(runners) == warmed
        written = runners.run(
            [Task("feedback", MODULE, s) for s in students], lambda o: None, timeout=300.0
        )
        assert all(o.ok for o in written), [o.message for o in written]
        assert _worker_pids(runners) == warmed  # the same processes wrote the feedback
        retried = runners.run([Task("autograde", MODULE, students[0], fast=True)],
                              lambda o: None, timeout=300.0, fresh=True)  # fmt: skip
        assert retried[0].ok
        assert _worker_pids(runners) == warmed  # a retry runs in a process of its own
    _gone, alive = psutil.wait_procs(
        [psutil.Process(p) for p in warmed if psutil.pid_exists(p)], 10
    )
    assert not alive
    assert len(list((course / "feedback").glob(f"*/{MODULE}/{MODULE}.html"))) == len(students)


def test_warming_nothing_starts_nothing(course):
    with Runners(course, 2) as runners:
        runners.warm(0, 300.0)
        assert runners._pool is None


def test_finished_workers_exit_without_waiting_and_a_later_run_starts_its_own(course):
    students = submitted_students(course, MODULE)
    with Runners(course, 2) as runners:
        runners.warm(2, 300.0)
        first = _worker_pids(runners)
        runners.finish()  # no waiting: they exit side by side while the caller goes on
        assert runners._pool is not None and runners._pool._workers == []
        procs = [psutil.Process(p) for p in first if psutil.pid_exists(p)]
        _gone, alive = psutil.wait_procs(procs, 20)
        assert not alive
        again = runners.run(
            [Task("autograde", MODULE, s, fast=True) for s in students[:2]], lambda o: None,
            timeout=300.0,
        )  # fmt: skip
        assert all(o.ok for o in again), [o.message for o in again]
        assert not (_worker_pids(runners) & first)
