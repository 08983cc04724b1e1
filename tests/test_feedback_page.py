"""The student's feedback page: honest while written answers wait, each score once, no cut lines.

A small course (one module: a single choice, a classification and an
ordering item whose partial scores are thirds, and a written answer) is
graded for real through ``course grade --fast``: nbgrader, the course's
pipeline and worker processes. Its written answers are then graded through
nbgrader's Gradebook API as formgrader's grade handler does, one autograded
score is changed by hand, and ``course grade`` runs again without ``--force``
(the students are skipped as unchanged, and their feedback is written again).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from course.cli import app
from course.cli.grade_cmd import provisional_summary
from course.coursefolder import init_course
from course.gradebatch import GradeReport
from course.gradebook import open_gradebook
from course.keys import load_key
from course.release import release_modules
from course.simulate import SimStudent, submit_student

MODULE = "91-feedback"
WRITTEN = "fb-written"
#: item id -> points; "fb-class" and "fb-order" score thirds for ana (1.3333 and 0.3333).
ITEMS = {"fb-single": 1.0, "fb-class": 2.0, "fb-order": 1.0}
ANA = {
    "fb-single": "b",
    "fb-class": {"s1": "factual", "s2": "predictive", "s3": "predictive"},  # 2 of 3
    "fb-order": ["p10", "p8", "p9"],  # 1 of 3 pairs
}
LONG_PROMPT = "Which paragraph gives the distance " + "and a very long line " * 30 + "?"

LESSON = f'''\
---
jupytext:
  formats: md:myst
  text_representation: {{extension: .md, format_name: myst}}
kernelspec: {{display_name: Python 3 (ipykernel), language: python, name: python3}}
course:
  id: {MODULE}
  number: 91
  title: "Feedback page fixture"
  minutes: 5
  paragraphs: "¶9"
  claims: [C32]
  skills: ["RLH close reading"]
  objectives: ["Answer three items and one written question."]
  key_points: ["Feedback shows each score once."]
  next_checks: ["Nothing: this module exists for the tests."]
---

A fixture lesson for the feedback page.

```{{code-cell}} ipython3
from course.items import start, SingleChoice, Classification, Ordering
start("{MODULE}")
```

```{{code-cell}} ipython3
q_single = SingleChoice(
    id="fb-single",
    prompt="{LONG_PROMPT}",
    options={{"a": "¶8", "b": "¶9", "c": "¶10"}},
    points=1,
)
q_single
```

```{{code-cell}} ipython3
q_class = Classification(
    id="fb-class",
    prompt="Classify each claim.",
    statements={{"s1": "Deir Zour is about 225 km away", "s2": "The regime cannot win", "s3": "Palmyra is in the desert"}},
    categories={{"factual": "Factual", "predictive": "Predictive"}},
    points=2,
)
q_class
```

```{{code-cell}} ipython3
q_order = Ordering(
    id="fb-order",
    prompt="Put the paragraphs in essay order.",
    options={{"p8": "Battle of Palmyra …", "p9": "Islamic State was unable …", "p10": "Assad regime and Islamic state enjoy …"}},
    points=1,
)
q_order
```

Why might a straight-line distance differ from the essay's figure?

+++ {{"course": {{"written": "{WRITTEN}", "points": 2}}}}

Write your answer here.
'''

KEY = f"""\
module: {MODULE}
items:
  fb-single:
    answer: b
    explanation: The distance claim is in ¶9 (C32).
  fb-class:
    answer: {{s1: factual, s2: predictive, s3: factual}}
    explanation: Distances and places are factual (C32); the title predicts (C41).
  fb-order:
    answer: [p8, p9, p10]
    explanation: The paragraphs run ¶8, ¶9, ¶10 (C25, C32, C37).
written:
  {WRITTEN}:
    explanation: Road versus great-circle distance (C32; S100).
    rubric:
      - {{level: 3, label: Full, description: Distinguishes road from straight-line distance.}}
      - {{level: 2, label: Partial, description: Names one reason without a source.}}
      - {{level: 1, label: Minimal, description: Restates the figure.}}
"""

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]


# -- helpers ------------------------------------------------------------------------------


class _Text(HTMLParser):
    """The text a reader sees: everything outside <style>, <script> and <head>."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"style", "script", "head", "title"}:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in {"style", "script", "head", "title"}:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _visible(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def _page(course: Path, student: str) -> str:
    return (course / "feedback" / student / MODULE / f"{MODULE}.html").read_text(encoding="utf-8")


def _item(page: str, item_id: str) -> str:
    """Return the text of an item's rendering (its fieldset)."""
    found = re.search(rf'<fieldset [^>]*data-item-id="{item_id}".*?</fieldset>', page, re.S)
    assert found, f"no rendering of {item_id}"
    return _visible(found.group(0))


def _grade(args: list[str]) -> str:
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def _grade_by_hand(course: Path, student: str, grade_id: str, score: float) -> None:
    """Set a manual score as formgrader's GradeHandler.put does."""
    with open_gradebook(course) as gb:
        grade = gb.find_grade(grade_id, MODULE, MODULE, student)
        grade.manual_score = score
        grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
        gb.db.commit()


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict[str, object]:
    """Grade two students, keep their provisional pages, grade by hand and grade again."""
    root = tmp_path_factory.mktemp("feedback")
    (root / "lessons").mkdir()
    (root / "keys").mkdir()
    (root / "lessons" / f"{MODULE}.md").write_text(LESSON, encoding="utf-8")
    (root / "keys" / f"{MODULE}.yaml").write_text(KEY, encoding="utf-8")
    folder = root / "course"
    init_course(folder, lessons_dir=root / "lessons", keys_dir=root / "keys", timeout=5)
    release_modules(folder, [MODULE])
    key = load_key(folder / "autograde" / "keys" / f"{MODULE}.yaml")
    submit_student(folder, MODULE, SimStudent("ana", "partial", 0.5), key, answers=ANA)
    submit_student(folder, MODULE, SimStudent("ben", "perfect", 1.0), key)

    first = _grade(["grade", str(folder), "--fast", "--jobs", "2"])
    before = {s: _page(folder, s) for s in ("ana", "ben")}
    _grade_by_hand(folder, "ana", WRITTEN, 4 / 3)
    _grade_by_hand(folder, "ben", WRITTEN, 2.0)
    _grade_by_hand(folder, "ana", "fb-single", 0.5)  # a grader changes an autograded score
    second = _grade(["grade", str(folder), "--fast", "--jobs", "2"])
    after = {s: _page(folder, s) for s in ("ana", "ben")}
    return {"folder": folder, "first": first, "second": second, "before": before, "after": after}


# -- provisional feedback -----------------------------------------------------------------


def test_feedback_is_marked_provisional_while_written_answers_wait(course):
    """Does a page written before manual grading open with the provisional notice?"""
    for student, page in course["before"].items():
        text = _visible(page)
        assert text.startswith("Provisional feedback."), (student, text[:200])
        assert "1 written answer is not graded yet, so the score shown is not final" in text
        assert 'role="status"' in page


def test_a_waiting_written_answer_reads_not_graded_yet_not_zero(course):
    """Does the written answer say "Not graded yet" instead of a score of 0 / 2?"""
    text = _visible(course["before"]["ana"])
    assert "Your written answer Not graded yet" in text
    assert "Score: 0 / 2" not in text


def test_cli_names_the_students_with_provisional_feedback(course):
    """Does `course grade` say whose feedback is provisional and what to do next?"""
    line = (
        "Provisional feedback (written answers not graded yet) for ana and ben. Grade the "
        "written answers in formgrader, run `course grade` again to rewrite the feedback, "
        "then release feedback."
    )
    assert line in course["first"]
    assert "Provisional feedback" not in course["second"]


def test_feedback_of_unchanged_students_is_rewritten_after_manual_grading(course):
    """After hand grading and a plain re-run, is the notice gone and are the hand scores shown?"""
    assert "2 graded (2 unchanged since the last run)" in course["second"]
    for student, page in course["after"].items():
        text = _visible(page)
        assert "Provisional" not in text, student
        assert "not final" not in text and "Not graded yet" not in text
    ana = _visible(course["after"]["ana"])
    assert "Your written answer Score: 1.33 / 2" in ana
    assert "Score: 3.5 / 6" in ana  # 0.5 + 1.3333 + 0.3333 + 1.3333, the total
    assert "Score: 0.5 / 1 (set by your instructor)" in _item(course["after"]["ana"], "fb-single")


# -- each score once, two decimals, no cut lines -------------------------------------------


@pytest.mark.parametrize("when", ["before", "after"])
def test_each_score_appears_exactly_once(course, when):
    """Is each item's score shown once (in the item), each written score once, the total once?"""
    for student, page in course[when].items():
        text = _visible(page)
        # One per item, one per written answer (or its "Not graded yet"), and the total.
        scores = re.findall(r"Score: [\d.]+ / [\d.]+", text)
        pending = text.count("Not graded yet")
        assert len(scores) + pending == len(ITEMS) + 1 + 1, (student, scores)
        for item_id in ITEMS:
            assert _item(page, item_id).count("Score:") == 1, (student, item_id)
        assert "Scored by the course grader from your saved answer:" not in text
        assert "output_execute_result" not in page
        assert "show_saved(" not in text  # the grade cells students never wrote


@pytest.mark.parametrize("when", ["before", "after"])
def test_no_number_has_more_than_two_decimals(course, when):
    """Are partial scores (thirds here) rounded to 2 decimals, without trailing zeros?"""
    for student, page in course[when].items():
        text = _visible(page)
        assert not re.findall(r"\d+\.\d{3,}", text), student
        numbers = [n for pair in re.findall(r"Score: ([\d.]+) / ([\d.]+)", text) for n in pair]
        assert numbers and not [n for n in numbers if re.search(r"\.\d*0$|\.$", n)], numbers
    ana = course[when]["ana"]
    assert "Score: 1.33 / 2 (partly correct)" in _item(ana, "fb-class")
    assert "Score: 0.33 / 1 (partly correct)" in _item(ana, "fb-order")


def test_long_lines_wrap_instead_of_being_cut(course):
    """Do code and output blocks wrap long lines, with the whole long prompt on the page?"""
    page = course["after"]["ana"]
    styles = " ".join(re.findall(r"<style[^>]*>(.*?)</style>", page, re.S))
    assert re.search(r"pre[^{]*\{[^}]*white-space: pre-wrap;[^}]*overflow-wrap: anywhere", styles)
    assert LONG_PROMPT.split()[-2] in _item(page, "fb-single")
    assert page.count("<body") == 1


# -- the command-line line, without grading -------------------------------------------------


def test_provisional_line_names_eight_students_then_counts_the_rest():
    """Does the line name at most eight students and say how many more there are?"""
    report = GradeReport(provisional={f"s{n:02d}": [MODULE] for n in range(1, 12)})
    line = provisional_summary(report)
    assert line is not None
    assert "for s01, s02, s03, s04, s05, s06, s07, s08 and 3 more." in line
    assert "s09" not in line
    assert provisional_summary(GradeReport()) is None
    one = provisional_summary(GradeReport(provisional={"ana": [MODULE]}))
    assert one is not None and "for ana." in one
