"""A seeded simulated class, for the demo, tests and benchmarks.

Each simulated student gets a profile: ``perfect`` (every key answer),
``blank`` (the released notebook, untouched), ``wrong`` (a wrong answer to
every item), ``partial`` (right with some probability, otherwise a wrong
answer drawn the way real students err: the first distractors listed in a key
are the more common misconceptions) or ``testwise`` (no knowledge at all: it
answers the choice items from cues alone, picking the longest option, words
mirrored from the prompt and no absolutes, see
:func:`course.itemcheck.testwise_answer`, and leaves everything else blank;
a well-written module keeps it within
:data:`course.itemcheck.TESTWISE_MARGIN` points of chance). Answers are written with the public
answers API, exactly as the widgets write them (a forecast as a draft, then,
for most students, locked), and submissions are placed in
``submitted/<student>/<module>/`` with a ``timestamp.txt`` as nbgrader's
collect leaves them.
"""

from __future__ import annotations

import datetime as _dt
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .answers import AnswerBook
from .grading.context import source_specs
from .itemcheck import ModuleCueScore, testwise_answer, testwise_scores
from .items.spec import ItemSpec
from .keys import ItemKey, ModuleKey, load_key
from .kinds import get_kind
from .paths import CourseFolder

__all__ = [
    "SimStudent",
    "answer_for",
    "class_roster",
    "manual_score",
    "submit_class",
    "submit_student",
    "testwise_report",
]


@dataclass(frozen=True)
class SimStudent:
    """One simulated student."""

    id: str
    profile: str  # perfect, blank, wrong, partial or testwise
    ability: float  # chance of a right answer per item (partial)


def class_roster(n: int = 12, seed: int = 2016, *, testwise: bool = False) -> list[SimStudent]:
    """Return ``n`` students: one perfect, one blank, the rest partly right.

    With ``testwise`` (and ``n`` of 3 or more) the last student, ``sNN-testwise``,
    answers from cues alone instead; the others are the same as without it.
    """
    if n < 2:
        raise ValueError("A simulated class needs at least 2 students (one perfect, one blank).")
    rng = random.Random(seed)
    roster = [SimStudent("s01-perfect", "perfect", 1.0), SimStudent("s02-blank", "blank", 0.0)]
    for i in range(3, n + 1):
        ability = round(min(0.95, max(0.2, rng.betavariate(4, 2.5))), 2)
        roster.append(SimStudent(f"s{i:02d}", "partial", ability))
    if testwise and n >= 3:
        roster[-1] = SimStudent(f"s{n:02d}-testwise", "testwise", 0.0)
    return roster


def answer_for(spec: ItemSpec, key: ItemKey, right: bool, rng: random.Random) -> Any:
    """Return a value a student might save: the key's answer if ``right``, else a typical error.

    Each kind simulates its own answers (:meth:`course.kinds.ItemKind.simulate`).
    """
    kind = get_kind(spec.kind)
    if kind is None:
        raise ValueError(f"No simulated answers for kind {spec.kind!r}")
    return kind.simulate(spec, key, right, rng)


def _written_ids(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    out = []
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
            out.append((i, meta["grade_id"]))
    return out


def submit_student(
    course_dir: str | Path,
    module: str,
    student: SimStudent,
    key: ModuleKey,
    *,
    seed: int = 2016,
    answers: dict[str, Any] | None = None,
) -> Path:
    """Place one simulated submission in ``submitted/`` and return its folder.

    ``answers`` (item id -> value) overrides the profile for the items it names.
    """
    course = CourseFolder(course_dir)
    folder = course.submitted(student.id, module)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copyfile(course.release_notebook(module), folder / f"{module}.ipynb")
    (folder / "timestamp.txt").write_text(
        _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC"), encoding="utf-8"
    )
    if student.profile == "blank" and not answers:
        return folder
    rng = random.Random(f"{seed}:{student.id}:{module}")
    specs = source_specs(course.source_notebook(module))
    book = AnswerBook(module, folder)
    for item_id, spec in specs.items():
        if not spec.graded or item_id not in key.items:
            continue
        if answers and item_id in answers:
            value = answers[item_id]
        elif student.profile == "blank":
            continue
        elif student.profile == "testwise":
            value = testwise_answer(spec)
            if value is None:  # no cues to read: left blank
                continue
        else:
            right = student.profile == "perfect" or (
                student.profile == "partial" and rng.random() < student.ability
            )
            value = answer_for(spec, key.items[item_id], right, rng)
        kind = get_kind(spec.kind)
        saves = kind.simulate_saves(spec, value, rng) if kind is not None else [value]
        for saved in saves:
            book.record(item_id, saved, kind=spec.kind, keep_history=None)
    if student.profile not in {"blank", "testwise"}:
        nb = nbformat.read(folder / f"{module}.ipynb", as_version=4)
        for index, grade_id in _written_ids(nb):
            nb.cells[index].source = (
                f"(Simulated answer by {student.id} to {grade_id}.) The essay gives no author or "
                "date, so I would read laterally before trusting it (S109; C2)."
            )
        nbformat.write(nb, folder / f"{module}.ipynb")
    return folder


def submit_class(
    course_dir: str | Path, modules: list[str], roster: list[SimStudent], *, seed: int = 2016
) -> None:
    """Submit every roster student's answers to every module."""
    folder = CourseFolder(course_dir)
    for module in modules:
        key = load_key(folder.key(module))
        for student in roster:
            submit_student(course_dir, module, student, key, seed=seed)


def manual_score(student: SimStudent, points: float) -> float:
    """Return the score a grader following the rubric might give this student's written answer."""
    if student.profile == "perfect":
        return points
    if student.profile in {"blank", "wrong", "testwise"}:
        return 0.0
    return round(points * student.ability)


def testwise_report(course_dir: str | Path, modules: list[str]) -> list[ModuleCueScore]:
    """Score the test-wise student and a blind guess on each module's choice items.

    Computed from the course's own source notebooks and keys (the scores the
    ``testwise`` profile gets when graded), one entry per module.
    """
    folder = CourseFolder(course_dir)
    out = []
    for module in modules:
        key = load_key(folder.key(module))
        specs = source_specs(folder.source_notebook(module))
        out.append(testwise_scores(module, specs, key.items))
    return out
