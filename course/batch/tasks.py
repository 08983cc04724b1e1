"""What a grading worker is asked to do, and what it answers.

Requests and replies travel as one JSON object per line.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ACTIONS", "PARENT_ENV", "Outcome", "Task"]

#: The environment variable that tells a worker which process started it: the worker
#: stops, with its kernel, when that process is gone.
PARENT_ENV = "COURSE_GRADER_PARENT"

#: ``autograde`` runs nbgrader's autograde for one student and module;
#: ``feedback`` runs nbgrader's generate_feedback for one student and module.
ACTIONS = ("autograde", "feedback")


@dataclass(frozen=True)
class Task:
    """One student's module to autograde, or to write feedback for."""

    action: str
    module: str
    student: str
    #: Score without running the notebook (see :mod:`course.batch.fastpath`).
    fast: bool = False
    #: Grade the blank released notebook in place of the submitted one (the last resort
    #: for a notebook nbgrader cannot process; the saved answers file still counts).
    blank: bool = False

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"Unknown action {self.action!r}; expected one of {ACTIONS}")

    def to_line(self, task_id: int) -> bytes:
        """Return the request line sent to a worker."""
        return (json.dumps({"id": task_id, **asdict(self)}) + "\n").encode("utf-8")

    @classmethod
    def from_request(cls, data: dict[str, Any]) -> Task:
        """Return the task of a decoded request line."""
        return cls(
            data["action"],
            data["module"],
            data["student"],
            bool(data.get("fast")),
            bool(data.get("blank")),
        )


@dataclass
class Outcome:
    """What became of one task."""

    task: Task
    ok: bool
    #: Why the task failed, in one line (empty when it succeeded).
    message: str = ""
    #: nbgrader's log of the task (its last lines).
    log: str = ""
    #: Processes left running by student code and stopped after the task.
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: Largest resident memory of the worker and of its kernels, in MiB.
    peak_mib: float = 0.0
