"""The course's nbgrader preprocessors, one step per module.

Sanitize pipeline: ``RestoreCells`` puts back cells a student deleted,
before nbgrader's ``OverwriteCells``.

Autograde pipeline (see :func:`course.grading.config.configure`)::

    SnapshotAnswers   before any student code runs: freeze the answers file
    GuardedExecute    nbgrader's Execute; a crash, hang or dead kernel stops
                      execution but never the grading of this student
    ScoreAnswers      after the kernel is gone: score items from the snapshot
    InsertRubrics     show each written answer's rubric to the grader

Feedback pipeline: ``FilterFeedback`` removes rubrics, and correct answers and
explanations unless the instructor allows them.
"""

from .filter_feedback import FilterFeedback
from .guarded_execute import GuardedExecute
from .insert_rubrics import InsertRubrics
from .restore_cells import RestoreCells
from .score_answers import ScoreAnswers
from .snapshot_answers import SnapshotAnswers

__all__ = [
    "FilterFeedback",
    "GuardedExecute",
    "InsertRubrics",
    "RestoreCells",
    "ScoreAnswers",
    "SnapshotAnswers",
]
