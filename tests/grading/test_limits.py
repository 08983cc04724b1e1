"""The kernel's memory limit and the notebook's time budget."""

from __future__ import annotations

import subprocess
import sys

import pytest

from course.grading.limits import Deadline, address_space_limiter, memory_limits_supported


def test_no_limit_means_no_preexec_function():
    """Does a limit of 0 leave the kernel unconstrained?"""
    assert address_space_limiter(0) is None


@pytest.mark.skipif(not memory_limits_supported(), reason="needs RLIMIT_AS")
def test_memory_limit_stops_a_large_allocation():
    """Does a process started with the limiter fail to allocate past its limit?"""
    code = "b = bytearray(1024 * 1024 * 1024)\nprint('allocated')"
    limited = subprocess.run(
        [sys.executable, "-c", code],
        preexec_fn=address_space_limiter(512),
        capture_output=True,
        text=True,
    )
    assert limited.returncode != 0 and "MemoryError" in limited.stderr
    free = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert free.returncode == 0 and "allocated" in free.stdout


def test_deadline_cuts_the_cell_timeout_to_what_is_left():
    """Is each cell's timeout the per-cell one, cut to the notebook's remaining time?"""
    now = [100.0]
    deadline = Deadline(60, clock=lambda: now[0])
    assert deadline.cell_timeout(30) == 30
    now[0] = 145.2
    assert deadline.cell_timeout(30) == 15
    assert not deadline.expired()
    now[0] = 160.0
    assert deadline.expired()


def test_no_budget_never_expires():
    """Does a budget of 0 mean no notebook limit?"""
    deadline = Deadline(0)
    assert not deadline.expired() and deadline.cell_timeout(30) == 30
    assert deadline.cell_timeout(None) is None
