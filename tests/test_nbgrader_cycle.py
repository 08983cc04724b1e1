"""The whole nbgrader cycle on a simulated class, adversarial submissions included.

One real ``nbgrader autograde`` run grades every student below; each test
then checks one student's exact score. Every adversarial student answered
honestly ``f-single`` = b (1 point) and ``f-order`` reversed (0 points), then
tried to get more: they must score exactly 1.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import nbformat
import pandas as pd
import psutil
import pytest
from nbformat.v4 import new_code_cell

from course.answers import answers_filename
from course.gradebatch import grade_course
from course.keys import load_key
from course.simulate import SimStudent, submit_student

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]

MODULE = "90-fixture"
PERFECT_TOTAL = 14.0
HONEST = {"f-single": "b", "f-order": ["p10", "p9", "p8"]}

PARTLY = {
    "f-single": "b",  # 1
    "f-multi": ["a"],  # 1 of 2
    "f-num": 192,  # 0
    "f-class": {"s1": "factual"},  # 1 of 2
    "f-order": ["p9", "p8", "p10"],  # 2 of 3 pairs -> 2
    "f-phrase": ["p1", "p3"],  # 1 hit - 1 false -> 0
    "f-computed": 225,  # 2
}
ALL_WRONG = {
    "f-single": "a",
    "f-multi": ["c", "d"],
    "f-num": 10,
    "f-class": {"s1": "predictive", "s2": "factual"},
    "f-order": ["p10", "p9", "p8"],
    "f-phrase": ["p3"],
    "f-computed": 100,
}


def _add_cell(folder: Path, source: str, *, at: int | None = None) -> None:
    path = folder / f"{MODULE}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = new_code_cell(source)
    index = at if at is not None else 3  # after the setup cell
    nb.cells.insert(index, cell)
    nbformat.write(nb, path)


def _honest(course: Path, student: str) -> Path:
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    return submit_student(course, MODULE, SimStudent(student, "blank", 0), key, answers=HONEST)


ADVERSARIES = {}


def adversary(name):
    def register(fn):
        ADVERSARIES[name] = fn
        return fn

    return register


@adversary("adv-monkeypatch")
def _monkeypatch(course, folder):
    _add_cell(
        folder,
        "import course.grading.score as s, course.answers as a\n"
        "s.score_item = lambda *args, **kw: None\n"
        "a.read_answers = lambda *args, **kw: None\n"
        "import builtins; builtins.float = lambda *a: 99.0\n",
    )


@adversary("adv-replace-widgets")
def _replace(course, folder):
    _add_cell(
        folder,
        "class Fake:\n    value = 'b'\n    def __eq__(self, other): return True\n"
        "for name in ['q_single','q_multi','q_num','q_class','q_order','q_phrase','q_computed']:\n"
        "    globals()[name] = Fake()\n",
        at=len(nbformat.read(folder / f"{MODULE}.ipynb", as_version=4).cells) - 1,
    )


@adversary("adv-read-key")
def _read_key(course, folder):
    _add_cell(
        folder,
        "import yaml, pathlib\n"
        "from course.answers import AnswerBook\n"
        "key = yaml.safe_load(pathlib.Path('../../../autograde/keys/90-fixture.yaml').read_text())\n"
        "book = AnswerBook('90-fixture')\n"
        "book.record('f-multi', key['items']['f-multi']['answer'], kind='multiple_choice')\n"
        "book.record('f-num', key['items']['f-num']['value'], kind='numeric')\n"
        "import shutil\n"
        "shutil.copy(book.path, '../../../submitted/adv-read-key/90-fixture/.90-fixture.answers.json')\n",
    )


@adversary("adv-rewrite-answers")
def _rewrite(course, folder):
    _add_cell(
        folder,
        "import json, pathlib\n"
        "p = pathlib.Path('.90-fixture.answers.json')\n"
        "d = json.loads(p.read_text())\n"
        "d['answers']['f-order']['value'] = ['p8', 'p9', 'p10']\n"
        "d['answers']['f-computed'] = dict(d['answers']['f-order'], value=225, kind='computed')\n"
        "p.write_text(json.dumps(d))\n",
    )


@adversary("adv-background")
def _background(course, folder):
    _add_cell(
        folder,
        "import subprocess, sys, os\n"
        "code = ('import time, pathlib, os; '\n"
        "        'pathlib.Path(\"../../../adv-background.pid\").write_text(str(os.getpid())); '\n"
        "        'time.sleep(60)')\n"
        "subprocess.Popen([sys.executable, '-c', code], start_new_session=True,\n"
        "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "import time; time.sleep(1)\n",
    )


@adversary("adv-deleted-grade-cell")
def _deleted(course, folder):
    path = folder / f"{MODULE}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells = [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") not in {"f-single", "f-order"}
    ]
    nbformat.write(nb, path)


@adversary("adv-infinite-loop")
def _loop(course, folder):
    _add_cell(folder, "while True:\n    pass\n")


@adversary("adv-kill-kernel")
def _kill(course, folder):
    _add_cell(folder, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")


def _write_answers(folder: Path, payload: bytes) -> None:
    (folder / answers_filename(MODULE)).write_bytes(payload)


@pytest.fixture(scope="module")
def graded(fixture_course):
    """Submit the whole class and grade it once with the real pipeline."""
    course = fixture_course
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    submit_student(course, MODULE, SimStudent("perfect", "perfect", 1), key)
    submit_student(course, MODULE, SimStudent("blank", "blank", 0), key)
    submit_student(course, MODULE, SimStudent("all-wrong", "blank", 0), key, answers=ALL_WRONG)
    submit_student(course, MODULE, SimStudent("partly", "blank", 0), key, answers=PARTLY)
    for name, tamper in ADVERSARIES.items():
        tamper(course, _honest(course, name))
    # Broken answers files.
    folder = _honest(course, "bad-corrupt")
    _write_answers(folder, b"{not json at all \x00\xff")
    folder = _honest(course, "bad-huge")
    _write_answers(folder, b'{"pad": "' + b"x" * 3_000_000 + b'"}')
    folder = _honest(course, "bad-typed")
    data = json.loads((folder / answers_filename(MODULE)).read_text())
    data["answers"]["f-multi"] = dict(
        data["answers"]["f-single"], value={"a": 1}, kind="multiple_choice"
    )
    data["answers"]["f-num"] = dict(data["answers"]["f-single"], value="225", kind="numeric")
    data["answers"]["f-class"] = dict(
        data["answers"]["f-single"], value=["factual"], kind="classification"
    )
    (folder / answers_filename(MODULE)).write_text(json.dumps(data))
    folder = _honest(course, "bad-unknown-ids")
    data = json.loads((folder / answers_filename(MODULE)).read_text())
    data["answers"]["f-nonexistent"] = dict(data["answers"]["f-single"], value="a")
    data["answers"]["f-multi"] = dict(
        data["answers"]["f-single"], value=["zz", "yy"], kind="multiple_choice"
    )
    (folder / answers_filename(MODULE)).write_text(json.dumps(data))

    submitted = course / "submitted"
    before = {p: p.read_bytes() for p in submitted.rglob("*") if p.is_file()}
    started = time.time()
    report = grade_course(course, [MODULE], force=True)
    grades = pd.read_csv(report.exports["grades"]).set_index("student_id")
    return {
        "course": course,
        "report": report,
        "grades": grades,
        "items": pd.read_csv(report.exports["items"]),
        "submitted_before": before,
        "elapsed": time.time() - started,
    }


def score(graded, student):
    return float(graded["grades"].loc[student, "score"])


def test_perfect_student_gets_full_marks(graded):
    """Does the key's answer for every item earn every autograded point?"""
    assert score(graded, "perfect") == PERFECT_TOTAL
    assert graded["grades"].loc["perfect", "max_score"] == PERFECT_TOTAL + 2  # + written


def test_blank_student_scores_zero(graded):
    """Does a student who answered nothing score exactly 0?"""
    assert score(graded, "blank") == 0


def test_all_wrong_student_scores_zero(graded):
    """Does a wrong answer to every item score exactly 0, partial credit included?"""
    assert score(graded, "all-wrong") == 0


def test_partly_right_student_gets_exact_partial_credit(graded):
    """Is partial credit computed per type as documented (7 of 14)?"""
    assert score(graded, "partly") == 7.0
    items = graded["items"]
    mine = items[items["student_id"] == "partly"].set_index("item_id")["score"]
    assert mine["f-multi"] == 1 and mine["f-order"] == 2 and mine["f-phrase"] == 0


@pytest.mark.parametrize("student", sorted(ADVERSARIES))
def test_adversarial_submission_scores_its_honest_answers(graded, student):
    """Does tampering code earn nothing beyond the honest answers (1 point)?"""
    assert student not in graded["report"].failed.get(MODULE, [])
    assert score(graded, student) == 1.0


def test_background_process_is_stopped(graded):
    """Is a process started by student code gone after grading?"""
    pid_file = graded["course"] / "adv-background.pid"
    assert pid_file.exists(), "the background process never started"
    assert (
        not psutil.pid_exists(int(pid_file.read_text()))
        or psutil.Process(int(pid_file.read_text())).status() == psutil.STATUS_ZOMBIE
    )


def test_corrupt_answers_file_scores_zero_with_a_clear_message(graded):
    """Is an unreadable answers file worth 0 and reported, without stopping the batch?"""
    assert score(graded, "bad-corrupt") == 0
    problems = " ".join(graded["report"].problems["bad-corrupt"])
    assert "not valid JSON" in problems


def test_huge_answers_file_is_refused(graded):
    """Is an answers file over the size limit refused unread?"""
    assert score(graded, "bad-huge") == 0
    assert "limit" in " ".join(graded["report"].problems["bad-huge"])


def test_wrongly_typed_answers_score_zero_and_valid_ones_count(graded):
    """Do wrongly typed answers score 0 while the valid answer still counts?"""
    assert score(graded, "bad-typed") == 1.0
    assert any(
        "not a list" in p or "not a finite" in p for p in graded["report"].problems["bad-typed"]
    )


def test_unknown_item_and_option_ids_are_ignored(graded):
    """Are unknown ids ignored and reported, with the valid answers still scored?"""
    assert score(graded, "bad-unknown-ids") == 1.0
    assert any("zz" in p for p in graded["report"].problems["bad-unknown-ids"])


def test_every_student_is_listed_and_graded(graded):
    """Does the batch finish with every student graded?"""
    submitted = {p.name for p in (graded["course"] / "submitted").iterdir()}
    assert set(graded["grades"].index) == submitted
    assert graded["report"].ungraded == 0


def test_submitted_folder_is_never_modified_by_the_grader(graded):
    """Is every byte in submitted/ unchanged, except what student code itself rewrote?"""
    after = {p: p.read_bytes() for p in (graded["course"] / "submitted").rglob("*") if p.is_file()}
    changed = {p for p in after if graded["submitted_before"].get(p) != after[p]}
    tampered = {p for p in changed if "adv-" in str(p)}
    assert changed == tampered
    assert set(after) == set(graded["submitted_before"])


def test_regrading_uses_the_first_snapshot(graded):
    """After student code rewrote submitted/, does a re-grade still score the collected answers?"""
    course = graded["course"]
    report = grade_course(course, [MODULE], force=True, feedback=False)
    grades = pd.read_csv(report.exports["grades"]).set_index("student_id")
    assert float(grades.loc["adv-read-key", "score"]) == 1.0
    assert any("changed after" in p for p in report.problems.get("adv-read-key", []))


def test_feedback_hides_keys_and_rubrics_by_default(graded):
    """Does student feedback show the answer and score but no key, explanation or rubric?"""
    html = (graded["course"] / "feedback" / "partly" / MODULE / f"{MODULE}.html").read_text()
    assert "Scored by the course grader" in html
    assert "BEGIN HIDDEN TESTS" not in html
    assert "grading step, which is not configured" not in html
    assert "Correct answer:" not in html
    assert "Rubric for" not in html
    assert "Confuses the Palmyra battle paragraph" not in html


def test_feedback_shows_explanations_when_allowed(graded, tmp_path):
    """With show_explanations on, does feedback include the explanation with its sources?"""
    course = graded["course"]
    config = course / "nbgrader_config.py"
    original = config.read_text()
    try:
        config.write_text(original + "\nc.FilterFeedback.show_explanations = True\n")
        from course.nbgrader_cli import run_nbgrader

        run = run_nbgrader(course, "generate_feedback", MODULE, "--force", "--student", "partly")
        assert run.ok, run.log
        html = (course / "feedback" / "partly" / MODULE / f"{MODULE}.html").read_text()
        assert "Correct answer:" in html and "C32" in html
        assert "Rubric for" not in html
    finally:
        config.write_text(original)


def test_autograded_notebook_shows_rubric_to_the_grader(graded):
    """Does the grader's copy carry the written answer's rubric?"""
    nb = nbformat.read(
        graded["course"] / "autograded" / "partly" / MODULE / f"{MODULE}.ipynb", as_version=4
    )
    assert any("Rubric for f-written" in c.source for c in nb.cells)


def test_per_item_csv_lists_every_item(graded):
    """Does items.csv hold one row per student and item, written answers included?"""
    items = graded["items"]
    perfect = set(items[items["student_id"] == "perfect"]["item_id"])
    assert perfect == {
        "f-single", "f-multi", "f-num", "f-class", "f-order", "f-phrase", "f-computed", "f-written"
    }  # fmt: skip


def test_grade_cells_fail_closed_without_the_course_steps(fixture_course, tmp_path):
    """With nbgrader's default pipeline, does a perfect answer earn 0 instead of full credit?"""
    course = tmp_path / "plain"
    shutil.copytree(
        fixture_course,
        course,
        ignore=shutil.ignore_patterns(
            "submitted", "autograded", "feedback", "grading", "gradebook.db", "exports"
        ),
    )
    config = course / "nbgrader_config.py"
    config.write_text(
        "import os\nc = get_config()\nc.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))\n"
        "c.CourseDirectory.course_id = 'plain'\n"
    )
    from course.nbgrader_cli import run_nbgrader

    assert run_nbgrader(course, "generate_assignment", MODULE, "--force", "--create").ok
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    submit_student(course, MODULE, SimStudent("perfect", "perfect", 1), key)
    run = run_nbgrader(course, "autograde", MODULE, "--create", "--force")
    assert run.ok, run.log[-2000:]
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        assert gb.find_submission(MODULE, "perfect").score == 0
