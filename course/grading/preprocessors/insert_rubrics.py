"""InsertRubrics: show each written answer's rubric to the grader in formgrader."""

from __future__ import annotations

from pathlib import Path

from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..context import coursedir_of, load_module_key


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

    The inserted cell has no nbgrader metadata, so it is never graded, and
    ``FilterFeedback`` removes it from student feedback.
    """

    keys_dir = Unicode("", help="Folder of the answer key files.").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        root = Path(coursedir_of(self).root)
        keys_dir = Path(self.keys_dir) if self.keys_dir else root / "autograde" / "keys"
        module_key = load_module_key(keys_dir, info["assignment"])
        if module_key is None or not module_key.written:
            return nb, resources
        cells = []
        for cell in nb.cells:
            if cell.metadata.get("course", {}).get("role") == "rubric":
                continue  # never duplicate on re-grading
            cells.append(cell)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            written = module_key.written.get(grade_id) if grade_id else None
            if written is not None:
                rubric = new_markdown_cell(
                    rubric_markdown(written.item_id, written.rubric, written.explanation)
                )
                rubric.metadata["course"] = {"role": "rubric", "item": written.item_id}
                cells.append(rubric)
        nb.cells = cells
        return nb, resources
