"""InsertRubrics: show each written answer's rubric to the grader in formgrader."""

from __future__ import annotations

import re

from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode


def rubric_markdown(item_id: str, rubric, explanation: str = "") -> str:
    """Return the grader-facing Markdown for one rubric."""
    lines = [f"**Rubric for {item_id}** (for the grader; removed from student feedback)", ""]
    lines += ["| Level | | What the answer shows |", "|---|---|---|"]
    for level in rubric:
        desc = str(level["description"]).replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {level['level']} | {level['label']} | {desc} |")
    if explanation:
        lines += ["", f"*A strong answer:* {explanation}"]
    return "\n".join(lines)


class InsertRubrics(NbGraderPreprocessor):
    """Insert, after each manually graded written answer, its rubric from the key.

    The key is the one ``SnapshotAnswers`` checked against the key manifest and
    froze in ``resources["course"]["key"]`` before the kernel started; it is
    never read again after the kernel has run. Without it (``SnapshotAnswers``
    did not run), no rubric is inserted.

    The inserted cell has no nbgrader metadata, so it is never graded, and
    ``FilterFeedback`` removes it from student feedback.
    """

    keys_dir = Unicode(
        "", help="Unused: the key comes from SnapshotAnswers (kept for older configs)."
    ).tag(config=True)

    def preprocess(self, nb, resources):
        course = resources.get("course", {})
        if "key" not in course:
            info = resources["nbgrader"]
            self.log.warning(
                "%s/%s: no rubrics inserted: no key was frozen before the kernel ran "
                "(SnapshotAnswers must run before Execute)",
                info["student"],
                info["assignment"],
            )
            return nb, resources
        module_key = course["key"]
        if module_key is None or not module_key.written:
            return nb, resources
        kept = [c for c in nb.cells if c.metadata.get("course", {}).get("role") != "rubric"]
        taken = {c.get("id") for c in kept}
        cells = []
        for cell in kept:  # a rubric from an earlier grading is never duplicated
            cells.append(cell)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            written = module_key.written.get(grade_id) if grade_id else None
            if written is not None:
                rubric = new_markdown_cell(
                    rubric_markdown(written.item_id, written.rubric, written.explanation),
                    id=rubric_cell_id(written.item_id, taken),
                )
                taken.add(rubric.id)
                rubric.metadata["course"] = {"role": "rubric", "item": written.item_id}
                cells.append(rubric)
        nb.cells = cells
        return nb, resources


def rubric_cell_id(item_id: str, taken: set[str | None]) -> str:
    """The id of an item's rubric cell: the same at every grading, unique in the notebook.

    >>> rubric_cell_id("m01-thesis", set())
    'rubric-m01-thesis'
    >>> rubric_cell_id("m01-thesis", {"rubric-m01-thesis"})
    'rubric-m01-thesis-2'
    """
    base = "rubric-" + re.sub(r"[^A-Za-z0-9_-]", "-", item_id)
    base = base[:56]  # cell ids are at most 64 characters (nbformat 4.5)
    found, number = base, 1
    while found in taken:
        number += 1
        found = f"{base}-{number}"
    return found
