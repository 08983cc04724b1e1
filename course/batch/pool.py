"""Keep ``jobs`` grading workers busy; stop the ones that hang, replace the ones that die.

Each worker (:mod:`course.batch.worker`) is a separate process that imports
nbgrader once and then grades one student per request. The pool sends a
worker its next task as soon as it answers the last one, so a slow student
holds up one worker, never the batch. A task that runs past ``task_timeout``
has its worker and everything the worker started (the student's kernel
included) killed, and the task is reported as failed; a worker that dies (for
example because a student's code killed it) fails its task the same way. A
fresh worker takes the place of either.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import psutil

from .tasks import PARENT_ENV, Outcome, Task

__all__ = ["WorkerPool", "default_jobs"]

#: Seconds a new worker may take to import nbgrader and load the config.
STARTUP_TIMEOUT = 120.0


def default_jobs() -> int:
    """Return the number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _kill_tree(pid: int) -> None:
    try:
        root = psutil.Process(pid)
        procs = [*root.children(recursive=True), root]
    except psutil.Error:
        return
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(procs, timeout=5)


class _Worker:
    """One worker process and the task it is working on."""

    def __init__(self, course_dir: Path) -> None:
        env = dict(os.environ)
        env.setdefault("PYTHONWARNINGS", "ignore")
        # nbgrader runs helper programs (alembic) by name: find them beside this Python.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        # The worker stops (with its kernel) when this process is gone (course.batch.worker).
        env[PARENT_ENV] = str(os.getpid())
        self.stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "course.batch.worker", str(course_dir)],
            cwd=course_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
            start_new_session=True,
        )
        assert self.proc.stdout is not None  # stdout=PIPE
        #: The worker's replies (the pipe of ``proc.stdout``).
        self.stdout: IO[bytes] = self.proc.stdout
        os.set_blocking(self.stdout.fileno(), False)
        self.buffer = b""
        self.ready = False
        self.task: Task | None = None
        self.task_id = 0
        self.timeout = 0.0
        self.sent_at = time.monotonic()
        self.deadline = self.sent_at + STARTUP_TIMEOUT
        self.done = 0

    @property
    def busy(self) -> bool:
        return self.task is not None

    def send(self, task_id: int, task: Task, timeout: float) -> None:
        self.task, self.task_id, self.timeout = task, task_id, timeout
        self.sent_at = time.monotonic()
        # A task sent before the worker is ready waits for its start-up first:
        # its own time starts when the worker says it is ready.
        self.deadline = self.sent_at + (timeout if self.ready else STARTUP_TIMEOUT)
        assert self.proc.stdin is not None
        self.proc.stdin.write(task.to_line(task_id))
        self.proc.stdin.flush()

    def read_lines(self) -> list[dict] | None:
        """Return the complete reply lines available, or None at end of file."""
        try:
            chunk = os.read(self.stdout.fileno(), 1 << 16)
        except BlockingIOError:
            return []
        if not chunk:
            return None
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def stderr_tail(self, limit: int = 600) -> str:
        with contextlib.suppress(OSError, ValueError):
            self.stderr.seek(0)
            text = self.stderr.read().decode("utf-8", "replace")
            lines = [ln for ln in text.splitlines() if ln.strip()]
            return " | ".join(lines[-3:])[-limit:]
        return ""

    def hang_up(self) -> None:
        """Close the worker's standard input: it finishes its task, if any, and exits."""
        with contextlib.suppress(OSError, ValueError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()

    def stop(self, *, kill: bool = False) -> None:
        if not kill and self.proc.poll() is None:
            self.hang_up()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill = True
        if kill or self.proc.poll() is None:
            _kill_tree(self.proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout, self.stderr):
            with contextlib.suppress(OSError, ValueError):
                if stream is not None:
                    stream.close()


class WorkerPool:
    """Run tasks on ``jobs`` worker processes.

    Parameters
    ----------
    course_dir : path-like
        The course folder (the workers' working folder).
    jobs : int
        How many workers run at once.
    task_timeout : float
        Seconds one task may take before its worker is killed.
    tasks_per_worker : int, optional
        Replace a worker after this many tasks (1 runs each task in a
        process of its own). Default: never.
    keep_workers : bool, default False
        Keep idle workers between calls of :meth:`run` (stopped by
        :meth:`close`), so a caller that runs one task at a time, such as a
        Dask task (:mod:`course.batch.cluster`), pays nbgrader's start-up once.
    """

    def __init__(
        self,
        course_dir: str | Path,
        jobs: int,
        *,
        task_timeout: float,
        tasks_per_worker: int | None = None,
        keep_workers: bool = False,
    ) -> None:
        self.course_dir = Path(course_dir).resolve()
        self.jobs = max(1, int(jobs))
        self.task_timeout = task_timeout
        self.tasks_per_worker = tasks_per_worker
        self.keep_workers = keep_workers
        self._workers: list[_Worker] = []
        self._leaving: list[_Worker] = []  # told to exit; close() waits for them

    def start(self, count: int) -> None:
        """Start up to ``count`` workers now, so they load nbgrader while the caller prepares.

        They take tasks in the next :meth:`run`; without ``keep_workers`` that
        run stops them at its end, as it stops the workers it starts itself.
        """
        while len(self._workers) < min(self.jobs, count):
            self._workers.append(_Worker(self.course_dir))

    def close(self) -> None:
        """Stop the workers kept between runs."""
        self.hang_up()  # all at once: they exit side by side
        for worker in [*self._leaving, *self._workers]:
            worker.stop(kill=bool(worker.busy))
        self._leaving.clear()
        self._workers.clear()

    def hang_up(self) -> None:
        """Tell the idle kept workers to exit, without waiting (:meth:`close` waits).

        A later :meth:`run` starts workers of its own.
        """
        for worker in [w for w in self._workers if not w.busy]:
            worker.hang_up()
            self._workers.remove(worker)
            self._leaving.append(worker)

    def run(
        self, tasks: Iterable[Task], on_done: Callable[[Outcome], None] | None = None
    ) -> list[Outcome]:
        """Run every task and return their outcomes, in the order the tasks were given."""
        queue = deque(enumerate(tasks))
        results: dict[int, Outcome] = {}
        total = len(queue)
        workers = self._workers
        selector = selectors.DefaultSelector()
        for kept in workers:
            selector.register(kept.stdout, selectors.EVENT_READ, kept)

        def finish(task_id: int, outcome: Outcome) -> None:
            results[task_id] = outcome
            if on_done is not None:
                on_done(outcome)

        def retire(worker: _Worker, *, kill: bool) -> None:
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(worker.stdout)
            worker.stop(kill=kill)
            workers.remove(worker)

        try:
            while len(results) < total:
                while queue and len(workers) < min(self.jobs, len(queue) + _busy(workers)):
                    worker = _Worker(self.course_dir)
                    workers.append(worker)
                    selector.register(worker.stdout, selectors.EVENT_READ, worker)
                for worker in workers:
                    if not worker.busy and queue:
                        self._send_next(worker, queue)
                now = time.monotonic()
                wait = max(0.0, min((w.deadline for w in workers), default=now + 1) - now)
                for key, _ in selector.select(timeout=min(wait, 5.0)):
                    worker = key.data
                    lines = worker.read_lines()
                    if lines is None:
                        self._died(worker, finish)
                        retire(worker, kill=True)
                        continue
                    for reply in lines:
                        if reply.get("ready"):
                            worker.ready = True
                            worker.sent_at = time.monotonic()
                            worker.deadline = worker.sent_at + (
                                worker.timeout if worker.busy else STARTUP_TIMEOUT
                            )
                            continue
                        if worker.task is not None and reply.get("id") == worker.task_id:
                            done_id, outcome = worker.task_id, _outcome(worker.task, reply)
                            worker.task = None
                            worker.done += 1
                            worker.deadline = time.monotonic() + STARTUP_TIMEOUT
                            more = not self.tasks_per_worker or worker.done < self.tasks_per_worker
                            if queue and more:  # the worker goes on while the outcome is judged
                                self._send_next(worker, queue)
                            finish(done_id, outcome)
                    if self.tasks_per_worker and worker.done >= self.tasks_per_worker:
                        retire(worker, kill=False)
                now = time.monotonic()
                for worker in list(workers):
                    if worker.deadline > now:
                        continue
                    if worker.busy:
                        assert worker.task is not None
                        limit = round(now - worker.sent_at)
                        finish(
                            worker.task_id,
                            Outcome(
                                worker.task,
                                ok=False,
                                message=f"stopped after {limit} s (time limit); "
                                "the notebook may loop forever or wait for input",
                                seconds=now - worker.sent_at,
                            ),
                        )
                        worker.task = None
                    retire(worker, kill=True)
        finally:
            for worker in list(workers):
                alive = worker.proc.poll() is None
                if self.keep_workers and alive and not worker.busy:
                    continue
                retire(worker, kill=bool(worker.busy))
            selector.close()
        return [results[i] for i in sorted(results)]

    def _send_next(self, worker: _Worker, queue: deque[tuple[int, Task]]) -> None:
        """Give ``worker`` the next task of ``queue`` (put back if the worker is gone)."""
        task_id, task = queue.popleft()
        try:
            worker.send(task_id, task, self.task_timeout)
        except OSError:
            queue.appendleft((task_id, task))  # the worker died: its reply pipe will say so
            worker.task = None
            worker.deadline = 0

    @staticmethod
    def _died(worker: _Worker, finish: Callable[[int, Outcome], None]) -> None:
        code = worker.proc.wait(timeout=10) if worker.proc.poll() is None else worker.proc.poll()
        detail = worker.stderr_tail()
        if worker.task is not None:
            finish(
                worker.task_id,
                Outcome(
                    worker.task,
                    ok=False,
                    message=f"the grading process stopped unexpectedly (exit code {code}; "
                    "student code may have killed it, or it ran out of memory)"
                    + (f": {detail}" if detail and not worker.ready else ""),
                    seconds=time.monotonic() - worker.sent_at,
                ),
            )
            worker.task = None
        elif not worker.ready:
            raise RuntimeError(
                f"A grading worker could not start (exit code {code}): {detail or 'no output'}"
            )


def _busy(workers: list[_Worker]) -> int:
    return sum(1 for w in workers if w.busy)


_EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception)): (.*)$")


def _reason(*texts: str) -> str:
    """Return the most specific error line of nbgrader's log or traceback."""
    for text in texts:
        for line in reversed(text.splitlines()):
            match = _EXCEPTION_LINE.match(line)
            if match and not match.group(1).endswith("NbGraderException"):
                return line.strip()[-300:]
    lines = [ln.strip() for text in texts for ln in text.splitlines() if ln.strip()]
    return lines[-1][-300:] if lines else "no output"


def _outcome(task: Task, reply: dict) -> Outcome:
    ok = bool(reply.get("ok"))
    return Outcome(
        task,
        ok=ok,
        message="" if ok else _reason(reply.get("log", ""), reply.get("error", "")),
        log=reply.get("log", ""),
        notes=list(reply.get("notes", [])),
        seconds=float(reply.get("seconds", 0.0)),
        peak_mib=float(reply.get("peak_mib", 0.0)),
    )
