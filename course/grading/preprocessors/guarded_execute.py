"""GuardedExecute: run the notebook, but never let it stop the grading."""

from __future__ import annotations

import os
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Bool, Enum, Integer

from ..context import coursedir_of
from ..limits import MEMORY_LIMIT_MIB, NOTEBOOK_TIMEOUT, Deadline, address_space_limiter
from ..sandbox import (
    MODES,
    Isolation,
    SandboxedKernelManager,
    SandboxPlan,
    resolve_isolation,
    throwaway_copy,
)


class GuardedExecute(Execute):
    """nbgrader's ``Execute``, made safe for hostile or broken notebooks.

    A dead kernel, a cell that hangs past the timeout or any other failure
    ends execution for this notebook and is recorded as a problem; the cells
    run so far keep their outputs, and the course's scoring step still scores
    every item from the snapshot.

    Two limits bound what a student's code can take. ``memory_limit`` caps
    the kernel's address space (``RLIMIT_AS``); an allocation beyond it fails
    inside the kernel with ``MemoryError``. ``notebook_timeout`` caps the wall
    time of the whole notebook: each cell's timeout is cut to what is left,
    and once it is spent the remaining cells are not run. A grade cell that
    was not run gets an error output, so it scores 0 instead of nbgrader's
    full credit for a cell without output.

    ``sandbox`` isolates the kernel (:mod:`course.grading.sandbox`): with
    bubblewrap, it runs on a throwaway copy of the submission, cannot see the
    course folder and has no network. Without isolation (``sandbox="none"``, or
    ``"auto"`` where bubblewrap cannot run), the kernel runs as the grader's
    user, and the submission's problem list says so.
    """

    sandbox = Enum(
        list(MODES),
        default_value="auto",
        help="Isolation of the student's kernel: 'bubblewrap' (required), 'auto' (bubblewrap "
        "where it works, otherwise none, reported on every submission) or 'none'.",
    ).tag(config=True)

    sandbox_network = Bool(False, help="Whether a sandboxed kernel keeps network access.").tag(
        config=True
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
        self._plan: SandboxPlan | None = None

    def isolation(self) -> Isolation:
        """Return the isolation kernels get (SandboxError if required and absent)."""
        return resolve_isolation(self.sandbox, network=self.sandbox_network)

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if self._plan is not None and isinstance(km, SandboxedKernelManager):
            km.prepare_sandbox(self._plan)
        return km

    memory_limit = Integer(
        MEMORY_LIMIT_MIB,
        help="MiB of address space a student's kernel may use; 0 for no limit.",
    ).tag(config=True)

    notebook_timeout = Integer(
        NOTEBOOK_TIMEOUT,
        help="Seconds one notebook may run in total; 0 for no limit.",
    ).tag(config=True)

    def start_new_kernel(self, **kwargs):
        limiter = address_space_limiter(self.memory_limit)
        if limiter is not None:
            kwargs.setdefault("preexec_fn", limiter)
        return super().start_new_kernel(**kwargs)

    def preprocess(self, nb, resources, km=None):
        isolation = self.isolation()
        course = resources.setdefault("course", {})
        course["isolation"] = isolation
        if not isolation.active:
            self._problem(resources, isolation.problem() or "graded without isolation")
            return self._run(nb, resources, km)
        workdir = resources.get("metadata", {}).get("path") or os.getcwd()
        with throwaway_copy(workdir) as (copy, runtime):
            self._plan = SandboxPlan(
                bwrap=isolation.bwrap or "bwrap",
                workdir=copy,
                runtime_dir=runtime,
                course_root=Path(coursedir_of(self).root),
                network=isolation.network,
            )
            try:
                return self._run(nb, resources, km)
            finally:
                self._plan = None

    def _run(self, nb, resources, km=None):
        self._deadline = Deadline(self.notebook_timeout)
        self._skipped = 0
        per_cell = self.timeout
        try:
            nb, resources = super().preprocess(nb, resources, km=km)
        except Exception as exc:
            message = f"execution stopped early: {type(exc).__name__}: {str(exc)[:300]}"
            self._problem(resources, message)
        finally:
            self.timeout = per_cell
        if self._skipped:
            self._problem(
                resources,
                f"the notebook time limit ({self.notebook_timeout} s) was reached; "
                f"{self._skipped} cell(s) were not run",
            )
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return super().preprocess_cell(cell, resources, index)
        if self._deadline.expired():
            self._skip(cell)
            return cell, resources
        per_cell = self.timeout
        self.timeout = self._deadline.cell_timeout(per_cell)
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            self.timeout = per_cell

    def _skip(self, cell) -> None:
        self._skipped += 1
        if utils.is_grade(cell):
            cell.outputs = [
                new_output(
                    "error",
                    ename="NotebookTimeoutError",
                    evalue="not run: the notebook time limit was reached",
                    traceback=[
                        "NotebookTimeoutError: not run: the notebook time limit was reached"
                    ],
                )
            ]

    def _problem(self, resources, message: str) -> None:
        info = resources.get("nbgrader", {})
        self.log.warning("%s/%s: %s", info.get("student"), info.get("assignment"), message)
        resources.setdefault("course", {}).setdefault("problems", []).append(message)
