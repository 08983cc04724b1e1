"""The grader's reaper: a process started during grading and left running is stopped and named."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from course.reaper import EXIT_GRACE, reaping

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux reaper")


def _start(code: str) -> subprocess.Popen:
    """A detached Python process running ``code``, as student code can start one."""
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)


def test_a_process_left_running_is_stopped_and_named():
    notes: list[str] = []
    with reaping(notes):
        proc = _start("import time; time.sleep(120)")
    proc.wait(timeout=10)  # already reaped by the reaper: it was stopped, not left running
    assert len(notes) == 1, notes
    assert notes[0].startswith("stopped 1 process(es) left running by student code (python")


def test_a_process_already_exiting_is_left_to_finish_and_not_counted():
    """A process that ends within the grace (a kernel shutting down) is not 'left running'."""
    notes: list[str] = []
    started = time.monotonic()
    with reaping(notes):
        proc = _start(f"import time; time.sleep({EXIT_GRACE / 4})")
    proc.wait(timeout=10)
    assert notes == []
    assert time.monotonic() - started < EXIT_GRACE + 5


def test_nothing_started_means_no_note_and_no_wait():
    notes: list[str] = []
    started = time.monotonic()
    with reaping(notes):
        pass
    assert notes == []
    assert time.monotonic() - started < EXIT_GRACE


def test_processes_from_before_the_block_are_left_alone():
    before = _start("import time; time.sleep(120)")
    try:
        notes: list[str] = []
        with reaping(notes):
            pass
        assert notes == []
        assert psutil.Process(before.pid).is_running()
    finally:
        before.kill()
        before.wait(timeout=10)
