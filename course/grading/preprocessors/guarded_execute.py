"""GuardedExecute: run the notebook, but never let it stop the grading."""

from __future__ import annotations

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Integer

from ..limits import Deadline, address_space_limiter


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
    """

    memory_limit = Integer(
        4096,
        help="MiB of address space a student's kernel may use; 0 for no limit.",
    ).tag(config=True)

    notebook_timeout = Integer(
        600,
        help="Seconds one notebook may run in total; 0 for no limit.",
    ).tag(config=True)

    def start_new_kernel(self, **kwargs):
        limiter = address_space_limiter(self.memory_limit)
        if limiter is not None:
            kwargs.setdefault("preexec_fn", limiter)
        return super().start_new_kernel(**kwargs)

    def preprocess(self, nb, resources, km=None):
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
