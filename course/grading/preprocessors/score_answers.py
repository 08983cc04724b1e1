"""ScoreAnswers: set each item's grade-cell score from the snapshot and the key."""

from __future__ import annotations

import html
import json
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ...render import VERDICT_WORDS, render_html, render_text
from ..context import coursedir_of, load_module_key, source_specs
from ..score import Result, score_item, unanswered


def results_path(root: str | Path, student: str, assignment: str, notebook: str) -> Path:
    """Return where the per-item results of one notebook are written."""
    return Path(root) / "grading" / "results" / student / assignment / f"{notebook}.json"


class ScoreAnswers(NbGraderPreprocessor):
    """Score every course item from the answers snapshot, outside the kernel.

    Runs after ``Execute`` and before ``SaveAutoGrades``. For each grade cell
    that belongs to an item of the trusted source notebook, the cell's outputs
    are replaced by: a plain-text note of the student's answer and score, a
    grader-only block with the correct answer and explanation (removed from
    feedback unless allowed), and the score as the ``execute_result`` that
    nbgrader reads. Scores are clamped to ``0..points``. Item cells get a static
    rendering of the snapshotted answer, so the autograded notebook shows what
    was scored, not what the student's code displayed.
    """

    keys_dir = Unicode(
        "",
        help="Folder of the answer key files (default: <course root>/autograde/keys).",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = coursedir_of(self)
        root = Path(coursedir.root)
        source_nb = (
            Path(coursedir.format_path(coursedir.source_directory, ".", info["assignment"]))
            / f"{info['notebook']}.ipynb"
        )
        specs = source_specs(source_nb)
        keys_dir = Path(self.keys_dir) if self.keys_dir else root / "autograde" / "keys"
        module_key = load_module_key(keys_dir, info["assignment"])
        course = resources.setdefault("course", {})
        snapshot = course.get("snapshot")
        problems = list(course.get("problems", []))
        if module_key is None:
            problems.append(f"no answer key {info['assignment']}.yaml in {keys_dir}")
        if snapshot is None:
            problems.append(
                "no answers snapshot was taken (SnapshotAnswers must run before Execute); "
                "every item scored 0"
            )
        else:
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
            if snapshot is None:
                results[item_id] = unanswered(spec, key, problem="no answers snapshot")
            elif snapshot.unreadable:
                results[item_id] = unanswered(
                    spec,
                    key,
                    problem="the answers file could not be read: " + "; ".join(snapshot.problems),
                )
            else:
                results[item_id] = score_item(spec, key, snapshot.answers.get(item_id))

        answers = snapshot.answers if snapshot is not None else {}
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
                    new_output(
                        "display_data",
                        data={
                            "text/html": render_html(spec, value, result=result),
                            "text/plain": render_text(spec, value, result=result),
                        },
                    )
                ]

        path = results_path(root, info["student"], info["assignment"], info["notebook"])
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "student": info["student"],
            "assignment": info["assignment"],
            "notebook": info["notebook"],
            "problems": problems,
            "items": [
                {**r.as_row(), "details": r.details, "kind": r.kind} for r in results.values()
            ],
        }
        path.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
        course["results"] = results
        course["problems"] = problems
        return nb, resources

    def _write_grade_cell(self, cell, result: Result, points: float) -> None:
        score = min(max(result.points, 0.0), points)
        if result.max_points != points:
            # The gradebook's points win (OverwriteCells restored them); rescale.
            score = (
                round(points * (result.points / result.max_points), 4) if result.max_points else 0.0
            )
            score = min(max(score, 0.0), points)
        lines = [
            f"Scored by the course grader from your saved answer: {score:g} / {points:g} "
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
            new_output("stream", name="stdout", text="\n".join(lines) + "\n"),
            new_output(
                "display_data",
                data={"text/plain": reveal_text, "text/html": reveal_html},
                metadata={"course": {"reveal": True}},
            ),
            new_output(
                "execute_result",
                data={"text/plain": repr(float(score))},
                execution_count=cell.get("execution_count"),
            ),
        ]
