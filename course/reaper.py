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


@contextlib.contextmanager
def reaping(report: list[str] | None = None) -> Iterator[None]:
    """Stop, on exit, every descendant process started inside the block."""
    _become_subreaper()
    before = set(_descendants())
    try:
        yield
    finally:
        leftovers = [p for pid, p in _descendants().items() if pid not in before]
        for proc in leftovers:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        _gone, alive = psutil.wait_procs(leftovers, timeout=5)
        if leftovers and report is not None:
            report.append(
                f"stopped {len(leftovers)} process(es) left running by student code"
                + (f" ({len(alive)} did not stop)" if alive else "")
            )
