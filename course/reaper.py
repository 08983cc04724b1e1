"""Stop processes a student's code left running after grading.

A notebook can start a detached background process that outlives its kernel.
On Linux the grading process registers as a *child subreaper*, so such
orphans are re-parented to it instead of to init; after each nbgrader run,
any descendant that did not exist before the run is stopped.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
from collections.abc import Iterator

import psutil

__all__ = ["reaping"]

_PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _descendants() -> dict[int, psutil.Process]:
    try:
        return {p.pid: p for p in psutil.Process().children(recursive=True)}
    except psutil.Error:
        return {}


#: Seconds a process found after the block gets to finish exiting on its own (a kernel
#: that is shutting down on a loaded machine) before it counts as left running.
EXIT_GRACE = 2.0


def _name(proc: psutil.Process) -> str:
    try:
        return proc.name() or str(proc.pid)
    except psutil.Error:
        return str(proc.pid)


@contextlib.contextmanager
def reaping(report: list[str] | None = None) -> Iterator[None]:
    """Stop, on exit, every descendant process started inside the block.

    A process already on its way out (it exits within :data:`EXIT_GRACE`
    seconds) is left to finish; each one still running then is killed, and
    ``report`` gets one line saying how many, with their program names.
    """
    _become_subreaper()
    before = set(_descendants())
    try:
        yield
    finally:
        found = [p for pid, p in _descendants().items() if pid not in before]
        _exited, leftovers = psutil.wait_procs(found, timeout=EXIT_GRACE) if found else ([], [])
        names = sorted({_name(p) for p in leftovers})
        for proc in leftovers:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        _gone, alive = psutil.wait_procs(leftovers, timeout=5)
        if leftovers and report is not None:
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            report.append(
                f"stopped {len(leftovers)} process(es) left running by student code ({shown})"
                + (f" ({len(alive)} did not stop)" if alive else "")
            )
