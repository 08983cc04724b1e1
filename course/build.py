"""Turn a lesson into an nbgrader source notebook.

The build is a list of small steps, each with one job, run in order (like
nbgrader's preprocessor lists):

1. :func:`add_header_footer` writes the module header (objectives, minutes,
   skills, paragraphs) and footer (key points, what to check next) from the
   lesson's metadata.
2. :func:`mark_cells` gives every cell its nbgrader role: item cells and
   instructions are read-only, solution cells are autograded answers, written
   answers are manually graded.
3. :func:`insert_grade_cells` adds, after each graded item, a grade cell whose
   score the course's grader sets from the saved answer. For the student it
   shows the saved answer, kept up to date on every save
   (:func:`course.items.show_saved`). Its hidden part raises, so the cell
   fails closed (scores 0) if the grader step is missing.
4. :func:`clean` drops outputs, execution counts, widget state and authoring
   metadata.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from .items.spec import ItemSpec, specs_from_source
from .kinds import get_kind
from .lessons import Lesson

__all__ = [
    "BUILD_STEPS",
    "GRADE_CELL_TEMPLATE",
    "build_notebook",
    "cell_items",
    "write_source",
]

Step = Callable[[nbformat.NotebookNode, Lesson], nbformat.NotebookNode]

#: The grade cell after each graded item. In a student's kernel ``show_saved`` shows a
#: line that follows every save of the item; while nbgrader runs the notebook it prints the
#: saved answer once, and the course's grader writes the score over the cell's output.
GRADE_CELL_TEMPLATE = """\
# Your saved answer to the question above, updated as you answer. The course grader
# scores that saved answer, not this cell's output.
from course.items import show_saved

show_saved("{item_id}")
### BEGIN HIDDEN TESTS
raise AssertionError(
    "{item_id} is scored by the course's grading step, which is not configured for this "
    "course. Run `course init` to write nbgrader_config.py."
)
### END HIDDEN TESTS"""


def _has_work(spec: ItemSpec) -> bool:
    """Whether the solution cell before this item is the student's working for it."""
    kind = get_kind(spec.kind)
    return kind is not None and kind.has_work


def _nbgrader(grade_id: str, *, grade=False, solution=False, locked=False, task=False, points=None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": task,
    }
    if points is not None:
        meta["points"] = points
    return meta


def cell_items(cell: nbformat.NotebookNode) -> list[ItemSpec]:
    """Return the item specs defined in a code cell (empty for other cells)."""
    if cell.cell_type != "code":
        return []
    return specs_from_source(cell.source, where=f"cell {cell.source[:40]!r}")


def _bullets(values: tuple[str, ...]) -> str:
    return "\n".join(f"- {v}" for v in values)


def add_header_footer(nb: nbformat.NotebookNode, lesson: Lesson) -> nbformat.NotebookNode:
    """Add the module header and footer cells written from the lesson's metadata."""
    header = (
        f"# Module {lesson.number:02d}. {lesson.title}\n\n"
        f"**Estimated time:** {lesson.minutes} minutes · "
        f"**Essay paragraphs:** {lesson.paragraphs}\n\n"
        f"**Skills you practise:** {', '.join(lesson.skills)}\n\n"
        f"## Learning objectives\n\nBy the end of this module you will be able to:\n\n"
        f"{_bullets(lesson.objectives)}\n\n"
        "> Your answers are saved automatically as you give them (look for *Saved at HH:MM* "
        "under each question). Graded questions do not tell you whether you are right; you "
        "see that in your feedback. Run the cells from the top, in order."
    )
    if lesson.claims:
        header += f"\n\n*Fact-sheet claims covered:* {', '.join(lesson.claims)}"
    footer = "## Key points\n\n" + _bullets(lesson.key_points or ("(none listed)",))
    if lesson.next_checks:
        footer += "\n\n## What to check next\n\n" + _bullets(lesson.next_checks)
    nb.cells.insert(0, new_markdown_cell(header))
    nb.cells.append(new_markdown_cell(footer))
    nb.cells[0].metadata["course"] = {"role": "header"}
    nb.cells[-1].metadata["course"] = {"role": "footer"}
    return nb


def mark_cells(nb: nbformat.NotebookNode, lesson: Lesson) -> nbformat.NotebookNode:
    """Give every cell its nbgrader metadata."""
    module = lesson.id
    counters = {"md": 0, "code": 0, "work": 0}
    used_work_ids: set[str] = set()
    for index, cell in enumerate(nb.cells):
        course_meta = cell.metadata.get("course", {}) or {}
        role = course_meta.get("role")
        if role in {"header", "footer"}:
            cell.metadata["nbgrader"] = _nbgrader(f"{module}-{role}", locked=True)
            continue
        if cell.cell_type == "markdown":
            if "written" in course_meta:
                item_id = course_meta["written"]
                points = course_meta.get("points")
                if not isinstance(points, int | float) or points <= 0:
                    raise ValueError(f"{module}: written answer {item_id} needs points > 0")
                cell.metadata["nbgrader"] = _nbgrader(
                    item_id, grade=True, solution=True, points=float(points)
                )
                cell.source = "### BEGIN SOLUTION\n" + cell.source.strip() + "\n### END SOLUTION"
            else:
                counters["md"] += 1
                cell.metadata["nbgrader"] = _nbgrader(f"{module}-md-{counters['md']}", locked=True)
            continue
        if cell.cell_type != "code":
            continue
        specs = cell_items(cell)
        if len(specs) > 1:
            raise ValueError(f"{module}: one item per cell ({', '.join(s.id for s in specs)})")
        if specs:
            cell.metadata["nbgrader"] = _nbgrader(f"{specs[0].id}-item", locked=True)
        elif "### BEGIN SOLUTION" in cell.source:
            following = next(
                (s for c in nb.cells[index + 1 :] for s in cell_items(c) if _has_work(s)),
                None,
            )
            counters["work"] += 1
            grade_id = f"{following.id}-work" if following else f"{module}-work-{counters['work']}"
            if grade_id in used_work_ids:  # two solution cells before one computed item
                grade_id = f"{grade_id}-{counters['work']}"
            used_work_ids.add(grade_id)
            cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=True)
        elif course_meta.get("editable"):
            continue
        else:
            counters["code"] += 1
            cell.metadata["nbgrader"] = _nbgrader(f"{module}-code-{counters['code']}", locked=True)
    return nb


def insert_grade_cells(nb: nbformat.NotebookNode, lesson: Lesson) -> nbformat.NotebookNode:
    """Insert a fail-closed grade cell after every graded item cell."""
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        for spec in cell_items(cell):
            if not spec.graded:
                continue
            grade = new_code_cell(GRADE_CELL_TEMPLATE.format(item_id=spec.id))
            grade.metadata["nbgrader"] = _nbgrader(
                spec.id, grade=True, locked=True, points=spec.points
            )
            grade.metadata["course"] = {"role": "grade", "item": spec.id}
            cells.append(grade)
    nb.cells = cells
    return nb


def clean(nb: nbformat.NotebookNode, lesson: Lesson) -> nbformat.NotebookNode:
    """Remove outputs, execution counts, widget state and authoring metadata."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in list(cell.metadata):
            if key not in {"nbgrader", "course", "deletable", "editable"}:
                del cell.metadata[key]
        if "course" in cell.metadata and cell.metadata["course"].get("role") not in {"grade"}:
            del cell.metadata["course"]
    nb.metadata = nbformat.NotebookNode(
        {
            "kernelspec": {
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "name": "python3",
            },
            "language_info": {"name": "python"},
            "course": lesson.meta(),
        }
    )
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


BUILD_STEPS: list[Step] = [add_header_footer, mark_cells, insert_grade_cells, clean]


def build_notebook(lesson: Lesson, steps: list[Step] | None = None) -> nbformat.NotebookNode:
    """Return the nbgrader source notebook for ``lesson``."""
    if lesson.notebook is None:
        raise ValueError(f"{lesson.id}: the lesson has no notebook loaded")
    nb = copy.deepcopy(lesson.notebook)
    for step in steps or BUILD_STEPS:
        nb = step(nb, lesson)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{lesson.id[:2]}-{index:03d}"
    nbformat.validate(nb)
    return nb


def write_source(lesson: Lesson, source_dir: str | Path) -> Path:
    """Write ``source/<module>/<module>.ipynb`` under ``source_dir`` and return its path."""
    folder = Path(source_dir) / lesson.id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{lesson.id}.ipynb"
    nbformat.write(build_notebook(lesson), path)
    return path
