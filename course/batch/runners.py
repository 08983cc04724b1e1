"""Where a grading run's tasks run: this machine's workers, or a Dask cluster.

:class:`Runners` is what ``course.gradebatch`` hands its tasks to. On one
machine it keeps one :class:`~course.batch.pool.WorkerPool` for the whole run
(autograding, retries aside, and then feedback), so each worker imports
nbgrader once per run rather than once per phase, and :meth:`Runners.warm`
starts the workers while the run still checks the course folder and plans.
With a :class:`~course.batch.cluster.DaskCluster`, tasks go to the cluster.
A retry (``fresh=True``) always runs in a grading process of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .cluster import DaskCluster
from .pool import WorkerPool
from .tasks import Outcome, Task

__all__ = ["Runners"]


class Runners:
    """Run a grading run's tasks on ``jobs`` local workers, or on ``cluster``.

    Parameters
    ----------
    course_dir : path-like
        The course folder.
    jobs : int
        Local workers at most (ignored with a cluster).
    cluster : DaskCluster, optional
        Run tasks on this Dask cluster instead.

    Use as a context manager, or call :meth:`close`: the kept workers stop there.
    """

    def __init__(
        self, course_dir: str | Path, jobs: int, cluster: DaskCluster | None = None
    ) -> None:
        self.course_dir = Path(course_dir)
        self.jobs = max(1, int(jobs))
        self.cluster = cluster
        self._pool: WorkerPool | None = None

    def _kept(self, timeout: float) -> WorkerPool:
        if self._pool is None:
            self._pool = WorkerPool(
                self.course_dir, self.jobs, task_timeout=timeout, keep_workers=True
            )
        self._pool.task_timeout = timeout
        return self._pool

    def warm(self, tasks: int, timeout: float | None = None) -> None:
        """Start the workers ``tasks`` tasks will use, before the tasks are known one by one.

        Does nothing on a cluster (its workers are running) or for no task.
        ``timeout`` (a task's time limit) may wait until :meth:`run`.
        """
        if self.cluster is None and tasks > 0:
            self._kept(timeout or 0.0).start(min(self.jobs, tasks))

    def run(
        self,
        tasks: list[Task],
        on_done: Callable[[Outcome], None],
        *,
        timeout: float,
        fresh: bool = False,
    ) -> list[Outcome]:
        """Run ``tasks``, calling ``on_done`` as each finishes; return their outcomes.

        With ``fresh``, each task runs in a grading process of its own (a
        retry); otherwise on the run's kept workers, or on the cluster.
        """
        if self.cluster is not None:
            return self.cluster.runner(task_timeout=timeout, fresh=fresh).run(tasks, on_done)
        if fresh:
            pool = WorkerPool(
                self.course_dir,
                min(self.jobs, max(1, len(tasks))),
                task_timeout=timeout,
                tasks_per_worker=1,
            )
            return pool.run(tasks, on_done)
        return self._kept(timeout).run(tasks, on_done)

    def finish(self) -> None:
        """No more tasks: the kept workers exit while the caller goes on (:meth:`close` waits)."""
        if self._pool is not None:
            self._pool.hang_up()

    def close(self) -> None:
        """Stop the kept workers."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> Runners:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
