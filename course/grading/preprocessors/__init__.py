"""The course's nbgrader preprocessors, one step per module.

Sanitize pipeline: ``SanitizeCells`` first makes the submission's nbgrader
metadata agree with the source notebook (copies, forged grade cells, edited
points, broken metadata, cell ids); ``RestoreCells`` puts back cells a
student deleted, before nbgrader's ``OverwriteCells``.

Autograde pipeline (see :func:`course.grading.config.configure`)::

    SanitizeCells     hand the problems found by the sanitize pass to ScoreAnswers
    SnapshotAnswers   before any student code runs: freeze the answers file
    GuardedExecute    nbgrader's Execute; a crash, hang or dead kernel stops
                      execution but never the grading of this student
    ScoreAnswers      after the kernel is gone: score items from the snapshot
    InsertRubrics     show each written answer's rubric to the grader
    LimitOutputBytes  after nbgrader's LimitOutput: cap outputs in bytes, never
                      those of grade and item cells

Feedback pipeline: ``FilterFeedback`` removes rubrics, and correct answers and
explanations unless the instructor allows them; ``LimitOutputBytes`` caps
output sizes there too.
"""

from .filter_feedback import FilterFeedback
from .guarded_execute import GuardedExecute
from .insert_rubrics import InsertRubrics
from .limit_output_bytes import LimitOutputBytes
from .restore_cells import RestoreCells
from .sanitize_cells import SanitizeCells
from .score_answers import ScoreAnswers
from .snapshot_answers import SnapshotAnswers

__all__ = [
    "FilterFeedback",
    "GuardedExecute",
    "InsertRubrics",
    "LimitOutputBytes",
    "RestoreCells",
    "SanitizeCells",
    "ScoreAnswers",
    "SnapshotAnswers",
]
