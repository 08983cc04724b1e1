"""ScoreAnswers: set each item's grade-cell score from the snapshot and the key."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ...paths import CourseFolder
from ...render import VERDICT_WORDS, format_points, render_html, render_text
from ..context import coursedir_of
from ..score import Result, score_item, unanswered


def _output(output_type: str, data: dict[str, Any] | None = None, **fields: Any) -> NotebookNode:
    """The output ``nbformat.v4.new_output`` makes, without its schema check of each output.

    The outputs written here are built from fixed fields and are valid by
    construction; the notebook is validated as a whole after the pass.
    Checking each one costs a schema validation per item per student.
    """
    output = NotebookNode(output_type=output_type)
    if output_type == "stream":
        output.name = "stdout"
        output.text = ""
    elif output_type in ("display_data", "execute_result"):
        output.metadata = NotebookNode()
        output.data = NotebookNode()
        if output_type == "execute_result":
            output.execution_count = None
    output.update(fields)
    if data is not None:
        output.data = data
    return output


def results_path(root: str | Path, student: str, assignment: str, notebook: str) -> Path:
    """Return where the per-item results of one notebook are written."""
    return CourseFolder(root).results_file(student, assignment, notebook)


class ScoreAnswers(NbGraderPreprocessor):
    """Score every course item from the answers snapshot, outside the kernel.

    Runs after ``Execute`` and before ``SaveAutoGrades``. The answers, the key
    and the item specs are the ones ``SnapshotAnswers`` froze in
    ``resources["course"]`` before the kernel started; nothing is read again
    after the kernel has run. If ``SnapshotAnswers`` did not run, every item
    scores 0 (fail closed) with a problem saying so.

    For each grade cell that belongs to an item of the trusted source notebook,
    the cell's outputs are replaced by: a plain-text note of the student's
    answer and score, a grader-only block with the correct answer and
    explanation (removed from feedback unless allowed), and the score as the
    ``execute_result`` that nbgrader reads. Scores are clamped to
    ``0..points``. Item cells get a static rendering of the snapshotted answer,
    so the autograded notebook shows what was scored, not what the student's
    code displayed.
    """

    keys_dir = Unicode(
        "",
        help="Folder of the answer key files (default: <course root>/autograde/keys). "
        "Read by SnapshotAnswers, before the kernel starts, unless SnapshotAnswers.keys_dir "
        "is set.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        root = Path(coursedir_of(self).root)
        course = resources.setdefault("course", {})
        snapshot = course.get("snapshot")
        specs = course.get("specs")
        problems = list(course.get("problems", []))
        if snapshot is None or specs is None:
            return self._fail_closed(nb, resources, root, problems)
        module_key = course.get("key")
        if module_key is None:
            problems.append(
                f"no answer key {course.get('key_path') or info['assignment'] + '.yaml'}"
            )
        problems.extend(snapshot.problems)

        restored = [
            c.metadata["nbgrader"]["grade_id"]
            for c in nb.cells
            if c.metadata.get("course", {}).get("restored") and "nbgrader" in c.metadata
        ]
        if restored:
            problems.append(f"deleted cells were restored from the source: {', '.join(restored)}")
        results: dict[str, Result] = {}
        for item_id, spec in specs.items():
            if not spec.graded:
                continue
            key = module_key.items.get(item_id) if module_key else None
            if snapshot.unreadable:
                results[item_id] = unanswered(
                    spec,
                    key,
                    problem="the answers file could not be read: " + "; ".join(snapshot.problems),
                )
            else:
                results[item_id] = score_item(spec, key, snapshot.answers.get(item_id))

        answers = snapshot.answers
        unknown = sorted(set(answers) - set(specs))
        if unknown:
            problems.append(f"answers to unknown item ids were ignored: {', '.join(unknown)}")
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            grade_id = meta.get("grade_id", "")
            if cell.cell_type != "code":
                continue
            if utils.is_grade(cell) and grade_id in results:
                self._write_grade_cell(cell, results[grade_id], float(meta.get("points", 0)))
            elif grade_id.endswith("-item") and grade_id[:-5] in specs:
                spec = specs[grade_id[:-5]]
                record = answers.get(spec.id) or {}
                value = record.get("value")
                result = results.get(spec.id)
                cell.outputs = [
                    _output(
                        "display_data",
                        data={
                            "text/html": render_html(spec, value, result=result),
                            "text/plain": render_text(spec, value, result=result),
                        },
                    )
                ]

        self._write_results(root, info, problems, results)
        course["results"] = results
        course["problems"] = problems
        return nb, resources

    def _fail_closed(self, nb, resources, root: Path, problems: list[str]):
        """Score every code grade cell 0: nothing frozen before the kernel ran can be used."""
        info = resources["nbgrader"]
        problems.append(
            "no answers snapshot was taken (SnapshotAnswers must run before Execute); "
            "every item scored 0"
        )
        self.log.error("%s/%s: %s", info["student"], info["assignment"], problems[-1])
        for cell in nb.cells:
            if cell.cell_type == "code" and utils.is_grade(cell):
                points = float(cell.metadata["nbgrader"].get("points", 0))
                zero = Result(
                    item_id=cell.metadata["nbgrader"].get("grade_id", ""),
                    kind="",
                    points=0.0,
                    max_points=points,
                    verdict="unreadable",
                    problems=["no answers snapshot"],
                )
                self._write_grade_cell(cell, zero, points)
        self._write_results(root, info, problems, {})
        course = resources["course"]
        course["results"] = {}
        course["problems"] = problems
        return nb, resources

    @staticmethod
    def _write_results(root: Path, info, problems: list[str], results: dict[str, Result]) -> None:
        path = results_path(root, info["student"], info["assignment"], info["notebook"])
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "student": info["student"],
            "assignment": info["assignment"],
            "notebook": info["notebook"],
            "problems": problems,
            "items": [
                {**r.as_row(), "details": r.details, "kind": r.kind, "value": r.answer}
                for r in results.values()
            ],
        }
        path.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")

    def _write_grade_cell(self, cell, result: Result, points: float) -> None:
        score = min(max(result.points, 0.0), points)
        if result.max_points != points:
            # The gradebook's points win (OverwriteCells restored them); rescale.
            score = (
                round(points * (result.points / result.max_points), 4) if result.max_points else 0.0
            )
            score = min(max(score, 0.0), points)
        lines = [
            f"Scored by the course grader from your saved answer: {format_points(score)} / "
            f"{format_points(points)} "
            f"({VERDICT_WORDS.get(result.verdict, result.verdict)}).",
            f"Your answer: {result.answer_text}",
        ]
        lines += [f"  {d}" for d in result.details]
        lines += [f"Note: {p}" for p in result.problems]
        reveal_text = f"Correct answer: {result.correct_text}\nWhy: {result.explanation}"
        reveal_html = (
            '<div class="course-reveal"><p><strong>Correct answer:</strong> '
            f"{html.escape(result.correct_text)}</p><p><strong>Why:</strong> "
            f"{html.escape(result.explanation)}</p></div>"
        )
        cell.outputs = [
            _output("stream", name="stdout", text="\n".join(lines) + "\n"),
            _output(
                "display_data",
                data={"text/plain": reveal_text, "text/html": reveal_html},
                metadata={"course": {"reveal": True}},
            ),
            _output(
                "execute_result",
                data={"text/plain": repr(float(score))},
                execution_count=cell.get("execution_count"),
            ),
        ]
