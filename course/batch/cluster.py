"""Grade on a Dask cluster: one Dask task per submission, graded as on this machine.

``course grade --scheduler ADDRESS`` (or the course setting ``scheduler``)
sends each task (:class:`course.batch.tasks.Task`) to a Dask cluster
(``distributed``). On the Dask worker, :func:`grade_on_worker` runs the task
in a grading worker process (:mod:`course.batch.worker`) exactly as
:class:`course.batch.pool.WorkerPool` runs it on one machine: the same
nbgrader pipelines, sandbox, limits, answer snapshot and fail-closed scoring,
the same time limit (the grading process is killed past it), and the same
outcome. The grading process is kept between tasks, one per Dask worker
thread, so nbgrader's start-up is paid once.

The outcomes come back to the machine that runs ``course grade``, which
judges them, retries failures once (a task whose Dask worker died included),
collects the problems and writes the exports, as with local workers.

What the cluster must share: the course folder, at the same path on every
machine (a shared filesystem), and the gradebook, which nbgrader on each
worker writes (PostgreSQL when there is more than one machine). See
``docs/grading-at-scale.md``.
"""

from __future__ import annotations

import asyncio
import atexit
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..gradebook import course_config
from .pool import WorkerPool
from .tasks import Outcome, Task

__all__ = [
    "ClusterError",
    "DaskCluster",
    "DaskRunner",
    "grade_on_worker",
    "scheduler_setting",
]

#: Seconds to wait for the scheduler, and then for its first worker.
CONNECT_TIMEOUT = 30.0
WORKER_TIMEOUT = 60.0

#: Seconds between two looks at the cluster while no task finishes.
POLL = 0.05

#: The install hint when ``distributed`` is missing.
INSTALL_HINT = "pip install 'claims-and-evidence[instructor,cluster]'"


class ClusterError(RuntimeError):
    """The Dask cluster cannot be used: not installed, not reachable, or without workers."""


def scheduler_setting(course_dir: str | Path) -> str | None:
    """Return the course's ``scheduler`` setting (``c.Grading.scheduler``), if any.

    ``course init`` writes the setting, commented out, in the course's
    ``nbgrader_config.py``; :func:`course.grading.config.configure` sets it.
    """
    value = course_config(course_dir).Grading.get("scheduler")
    text = str(value).strip() if value else ""
    return text or None


# -- the Dask worker's side -----------------------------------------------------------------

_POOLS: dict[tuple[str, int], WorkerPool] = {}
_POOLS_LOCK = threading.Lock()


def _close_pools() -> None:
    with _POOLS_LOCK:
        for pool in _POOLS.values():
            pool.close()
        _POOLS.clear()


atexit.register(_close_pools)


def grade_on_worker(course_dir: str, task: Task, timeout: float, fresh: bool = False) -> Outcome:
    """Run one task on this machine, in a grading worker process; return its outcome.

    This is the function a Dask worker runs. The grading process is the one
    :class:`~course.batch.pool.WorkerPool` starts, kept for the next task of
    the same Dask worker thread; with ``fresh`` the task gets a process of its
    own (the retry of a failed task, as on one machine).

    Parameters
    ----------
    course_dir : str
        The course folder, at the same path as on the machine that sent the task.
    task : Task
        What to do for which student and module.
    timeout : float
        Seconds the task may take before its grading process is killed.
    fresh : bool, default False
        Run the task in a grading process of its own.
    """
    folder = Path(course_dir)
    if not (folder / "nbgrader_config.py").is_file():
        return Outcome(
            task,
            ok=False,
            message=f"the course folder {course_dir} is not on the Dask worker "
            f"{socket.gethostname()}: every worker needs it at the same path (a shared "
            "filesystem; see docs/grading-at-scale.md)",
        )
    if fresh:
        return WorkerPool(folder, 1, task_timeout=timeout, tasks_per_worker=1).run([task])[0]
    key = (str(folder.resolve()), threading.get_ident())
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = WorkerPool(folder, 1, task_timeout=timeout, keep_workers=True)
    pool.task_timeout = timeout
    return pool.run([task])[0]


# -- the side of the machine that runs ``course grade`` ---------------------------------


class DaskRunner:
    """Run tasks on a Dask cluster; the same ``run`` as :class:`~course.batch.pool.WorkerPool`."""

    def __init__(
        self,
        client: Any,
        course_dir: Path,
        *,
        task_timeout: float,
        fresh: bool = False,
        address: str = "",
    ) -> None:
        self.client = client
        self.address = address or "its address"
        self.course_dir = course_dir
        self.task_timeout = task_timeout
        self.fresh = fresh

    def run(
        self, tasks: Iterable[Task], on_done: Callable[[Outcome], None] | None = None
    ) -> list[Outcome]:
        """Run every task on the cluster; return the outcomes in the order of the tasks.

        A task whose Dask worker died is run again by Dask's scheduler
        (``distributed.scheduler.allowed-failures``); a task that still fails,
        or raises on the worker, becomes a failed outcome with the reason. If
        the connection to the scheduler is lost (the scheduler stopped, say)
        and does not come back, every task without an outcome fails with that
        reason: the call always returns, with an outcome for every task.
        """
        from distributed import as_completed

        tasks = list(tasks)
        results: dict[int, Outcome] = {}

        def finish(number: int, outcome: Outcome) -> None:
            results[number] = outcome
            if on_done is not None:
                on_done(outcome)

        if not self._connected():
            for number, task in enumerate(tasks):
                finish(number, Outcome(task, ok=False, message=self._lost()))
            return [results[n] for n in sorted(results)]
        batch = uuid.uuid4().hex[:8]
        futures = {}
        for number, task in enumerate(tasks):
            future = self.client.submit(
                grade_on_worker,
                str(self.course_dir),
                task,
                self.task_timeout,
                self.fresh,
                key=f"course-{task.action}-{task.module}-{task.student}-{batch}-{number}",
                pure=False,
            )
            futures[future] = (number, task)
        waiting = as_completed(list(futures), loop=self.client.loop)
        while not waiting.is_empty():
            done = waiting.next_batch(block=False)
            if not done:
                if not self._connected():
                    break
                time.sleep(POLL)
                continue
            for future in done:
                number, task = futures[future]
                finish(number, self._outcome_of(future, task))
        for number, task in futures.values():
            if number not in results:
                finish(number, Outcome(task, ok=False, message=self._lost()))
        return [results[n] for n in sorted(results)]

    def _connected(self) -> bool:
        """Is the client connected to the scheduler? While it reconnects, wait to know."""
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while self.client.status == "connecting" and time.monotonic() < deadline:
            time.sleep(POLL)
        return bool(self.client.status == "running")

    def _lost(self) -> str:
        return (
            f"the connection to the Dask scheduler at {self.address} was lost "
            "and did not come back (was the scheduler stopped?); start it and its workers "
            "again, then run `course grade` again"
        )

    def _outcome_of(self, future: Any, task: Task) -> Outcome:
        if future.status == "cancelled" and self.client.status != "running":
            return Outcome(
                task,
                ok=False,
                message=f"the connection to the Dask scheduler at {self.address} was lost "
                "while this task ran",
            )
        return _outcome_of(future, task)


def _outcome_of(future: Any, task: Task) -> Outcome:
    """The outcome a finished future carries, or a failed one that says why."""
    if future.status == "finished":
        outcome = future.result()
        if isinstance(outcome, Outcome):
            return outcome
        return Outcome(task, ok=False, message=f"the Dask task returned {type(outcome).__name__}")
    try:
        error: BaseException | None = future.exception()
    except (Exception, asyncio.CancelledError) as exc:  # cancelled, or the scheduler is gone
        error = exc
    name = type(error).__name__ if error is not None else future.status
    detail = str(error).strip().splitlines()[0][:300] if error is not None and str(error) else ""
    if name == "KilledWorker":
        reason = "the Dask workers running it died, each time (out of memory, or killed)"
    elif isinstance(error, ModuleNotFoundError):
        reason = f"a Dask worker cannot import {error.name!r}: {INSTALL_HINT} on every worker"
    else:
        reason = f"the Dask task failed ({name}{': ' + detail if detail else ''})"
    return Outcome(task, ok=False, message=reason)


class DaskCluster:
    """A connection to a Dask scheduler that grades a course's submissions.

    Parameters
    ----------
    address : str
        The scheduler's address, e.g. ``tcp://10.0.0.5:8786``.
    course_dir : path-like
        The course folder; every Dask worker must see it at the same path.
    connect_timeout : float
        Seconds to wait for the scheduler, and again for a first worker.

    Raises
    ------
    ClusterError
        If ``distributed`` is not installed, the scheduler cannot be reached, or
        no worker joins it within ``connect_timeout`` (:data:`WORKER_TIMEOUT`).
    """

    def __init__(
        self, address: str, course_dir: str | Path, *, connect_timeout: float = CONNECT_TIMEOUT
    ) -> None:
        try:
            from distributed import Client
        except ImportError as exc:
            raise ClusterError(
                f"Grading on a Dask cluster needs Dask's distributed package: {INSTALL_HINT}"
            ) from exc
        self.address = address
        self.course_dir = Path(course_dir).resolve()
        try:
            self.client = Client(address, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(
                f"Could not reach the Dask scheduler at {address} ({type(exc).__name__}: "
                f"{exc}). Check the address, or start one with `dask scheduler` and its "
                "workers with `dask worker ADDRESS` (docs/grading-at-scale.md)."
            ) from exc
        try:
            self.client.wait_for_workers(1, timeout=max(connect_timeout, WORKER_TIMEOUT))
        except (OSError, TimeoutError) as exc:
            self.client.close()
            raise ClusterError(
                f"The Dask scheduler at {address} has no worker. Start workers with "
                f"`dask worker {address}` on machines that see the course folder "
                f"{self.course_dir} at the same path."
            ) from exc

    @property
    def dashboard_link(self) -> str | None:
        """The address of the cluster's Dask dashboard, if it serves one."""
        try:
            return str(self.client.dashboard_link) or None
        except Exception:  # no dashboard (bokeh missing, disabled)
            return None

    @property
    def workers(self) -> int:
        """How many Dask workers the scheduler has now."""
        return len(self.client.scheduler_info().get("workers", {}))

    @property
    def threads(self) -> int:
        """How many tasks the cluster runs at once (its workers' threads)."""
        return int(sum(self.client.nthreads().values()))

    def runner(self, *, task_timeout: float, fresh: bool = False) -> DaskRunner:
        """A runner of tasks on this cluster (see :func:`grade_on_worker` for ``fresh``)."""
        return DaskRunner(
            self.client,
            self.course_dir,
            task_timeout=task_timeout,
            fresh=fresh,
            address=self.address,
        )

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster keeps running)."""
        self.client.close()

    def __enter__(self) -> DaskCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
