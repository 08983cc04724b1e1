"""Run nbgrader's own command line inside a course folder.

Each call is a separate process: a student's notebook that crashes, hangs or
kills its parent can end that process, never the ``course`` command.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NbgraderRun", "run_nbgrader"]


@dataclass
class NbgraderRun:
    """The outcome of one nbgrader command."""

    args: list[str]
    returncode: int
    log: str

    @property
    def ok(self) -> bool:
        """True if nbgrader exited 0."""
        return self.returncode == 0


def run_nbgrader(course_dir: str | Path, *args: str, timeout: float | None = None) -> NbgraderRun:
    """Run ``nbgrader ARGS`` with the course folder as working folder.

    Output goes to a temporary file rather than a pipe, so a background
    process left behind by a student's code cannot hold the call open.
    """
    env = dict(os.environ)
    env.setdefault("PYTHONWARNINGS", "ignore")
    # nbgrader runs helper programs (alembic) by name: find them beside this Python.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    cmd = [sys.executable, "-m", "nbgrader", *args]
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as log:
        try:
            proc = subprocess.run(
                cmd,
                cwd=course_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                timeout=timeout,
                start_new_session=True,
            )
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = -9
            log.write(f"\n[course] nbgrader {' '.join(args)} stopped after {timeout} s\n")
        log.seek(0)
        text = log.read()
    return NbgraderRun(args=list(args), returncode=code, log=text)
