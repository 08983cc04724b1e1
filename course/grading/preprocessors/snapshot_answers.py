"""SnapshotAnswers: freeze the submitted answers before the kernel starts."""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from ..context import coursedir_of
from ..snapshot import take_snapshot


class SnapshotAnswers(NbGraderPreprocessor):
    """Read the answers file from ``submitted/`` into the grading resources.

    Runs in the grader's process, before ``Execute``: nothing the student's
    code does later in this run can change what is scored. ``submitted/`` is
    only read.
    """

    refresh = Bool(
        False,
        help="Take a new snapshot even if one exists for the same collected submission.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = coursedir_of(self)
        submitted = coursedir.format_path(
            coursedir.submitted_directory, info["student"], info["assignment"]
        )
        snap = take_snapshot(
            coursedir.root,
            submitted,
            info["student"],
            info["assignment"],
            info["notebook"],
            refresh=self.refresh,
        )
        for problem in snap.problems:
            self.log.warning("%s/%s: %s", info["student"], info["assignment"], problem)
        resources.setdefault("course", {})["snapshot"] = snap
        return nb, resources
