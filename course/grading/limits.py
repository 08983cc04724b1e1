"""Resource limits for a student's kernel: address space and wall time.

The memory limit is an ``RLIMIT_AS`` set in the kernel process between
``fork`` and ``exec`` (a ``preexec_fn``), so it binds the student's code and
nothing else. The wall-time limit is kept by :class:`Deadline`, which the
course's execute step consults before each cell.
"""

from __future__ import annotations

import functools
import math
import sys
import time
from collections.abc import Callable

__all__ = [
    "CELL_TIMEOUT",
    "MEMORY_LIMIT_MIB",
    "NOTEBOOK_TIMEOUT",
    "Deadline",
    "address_space_limiter",
    "memory_limits_supported",
]

#: The grading limits' defaults, in one place (``course init`` options, the
#: ``configure`` arguments and the execute step's traits all use these).
#: Seconds one cell may run while a submission is graded.
CELL_TIMEOUT = 30
#: Seconds one whole notebook may run while it is graded (0: no limit).
NOTEBOOK_TIMEOUT = 600
#: MiB of address space a student's kernel may use while graded (0: no limit).
MEMORY_LIMIT_MIB = 4096


def memory_limits_supported() -> bool:
    """Return True where ``RLIMIT_AS`` can be set (Linux and other POSIX systems)."""
    if sys.platform.startswith("win"):
        return False
    try:
        import resource
    except ImportError:  # pragma: no cover - non-POSIX
        return False
    return hasattr(resource, "RLIMIT_AS")


def _limit_address_space(limit_bytes: int) -> None:
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit_bytes = min(limit_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def address_space_limiter(megabytes: int) -> Callable[[], None] | None:
    """Return a ``preexec_fn`` that caps a new process's address space, or None.

    Parameters
    ----------
    megabytes : int
        The limit in MiB; 0 or less means no limit.

    Returns
    -------
    callable or None
        None when there is no limit or the platform cannot set one.
    """
    if megabytes <= 0 or not memory_limits_supported():
        return None
    return functools.partial(_limit_address_space, int(megabytes) * 1024 * 1024)


class Deadline:
    """A wall-time budget for one notebook.

    Parameters
    ----------
    seconds : float
        The budget; 0 or less means none.
    clock : callable, default time.monotonic
        Where the time comes from (tests pass a fake clock).

    Examples
    --------
    >>> ticks = iter([0.0, 10.0, 95.0])
    >>> d = Deadline(90, clock=lambda: next(ticks))
    >>> d.cell_timeout(30)
    30
    >>> d.expired()
    True
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds if seconds > 0 else math.inf

    def remaining(self) -> float:
        """Return the seconds left (``inf`` without a budget)."""
        return self._end - self._clock()

    def expired(self) -> bool:
        """Return True once the budget is spent."""
        return self.remaining() <= 0

    def cell_timeout(self, per_cell: int | None) -> int | None:
        """Return the timeout for the next cell: the per-cell one, cut to what is left."""
        left = self.remaining()
        if math.isinf(left):
            return per_cell
        left_whole = max(1, math.ceil(left))
        return left_whole if not per_cell or per_cell <= 0 else min(per_cell, left_whole)
