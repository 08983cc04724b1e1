"""FilterFeedback: keep grader-only material out of student feedback."""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool


class FilterFeedback(NbGraderPreprocessor):
    """Remove rubrics, and correct answers and explanations unless allowed.

    Students always see their own answer, their score and the verdict. With
    ``show_explanations = True`` (set by the instructor, typically after the
    deadline) they also see the correct answer and the explanation with its
    sources.
    """

    show_explanations = Bool(
        False,
        help="Show each item's correct answer and explanation in student feedback.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        nb.cells = [
            cell for cell in nb.cells if cell.metadata.get("course", {}).get("role") != "rubric"
        ]
        if not self.show_explanations:
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs = [
                        out
                        for out in cell.outputs
                        if not out.get("metadata", {}).get("course", {}).get("reveal")
                    ]
        return nb, resources
