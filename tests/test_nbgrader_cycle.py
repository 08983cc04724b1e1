"""The whole nbgrader cycle on a simulated class, hostile submissions included.

The class below is graded three times with the real pipeline: with execution,
with the fast path (``--fast``), and re-graded with execution (``--force``).
Each test then checks exact scores in every run. Every adversarial student
answered honestly ``f-single`` = b (1 point) and ``f-order`` reversed
(0 points), then tried to get more, or to leave itself ungraded: each must
score exactly what its honest, readable answers earn (:data:`EXPECTED`), be
graded in every run, and leave ``submitted/``, the keys and the grader's
snapshots byte-identical. Student kernels run in the bubblewrap sandbox
(``course.grading.sandbox``); CI installs it, elsewhere the sandbox-only
checks skip with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from pathlib import Path

import nbformat
import pandas as pd
import psutil
import pytest
from nbformat.v4 import new_code_cell

from course.answers import answers_filename
from course.gradebatch import grade_course
from course.grading.sandbox import probe_bubblewrap
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
#: Students whose expected score differs from the honest 1 point (see each adversary).
EXPECTED: dict[str, float] = {}
#: A string in the command line of every process an adversary starts and leaves behind.
MARKER = "course-adversary-marker-7319"
SANDBOX_OK, SANDBOX_DETAIL = probe_bubblewrap()
needs_sandbox = pytest.mark.skipif(
    not SANDBOX_OK and not os.environ.get("CI"),
    reason=f"bubblewrap sandbox unavailable: {SANDBOX_DETAIL}",
)


def adversary(name, expected: float = 1.0):
    def register(fn):
        ADVERSARIES[name] = fn
        EXPECTED[name] = expected
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
    # Reads the key through the course folder (absolute path, so it works from the
    # throwaway copy too) and forges answers, also into submitted/.
    _add_cell(
        folder,
        "import yaml, pathlib\n"
        "from course.answers import AnswerBook\n"
        f"key = yaml.safe_load(pathlib.Path({str(course)!r}, 'autograde/keys/90-fixture.yaml').read_text())\n"
        "book = AnswerBook('90-fixture')\n"
        "book.record('f-multi', key['items']['f-multi']['answer'], kind='multiple_choice')\n"
        "book.record('f-num', key['items']['f-num']['value'], kind='numeric')\n"
        "import shutil\n"
        f"shutil.copy(book.path, pathlib.Path({str(course)!r}, 'submitted/adv-read-key/90-fixture/.90-fixture.answers.json'))\n",
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


@adversary("adv-edit-key")
def _edit_key(course, folder):
    # Makes every answer right in the key, by relative and by absolute path.
    code = (
        "import pathlib\n"
        "for p in [pathlib.Path('../../../autograde/keys/90-fixture.yaml'),\n"
        f"          pathlib.Path({str(course)!r}, 'autograde/keys/90-fixture.yaml')]:\n"
        "    try:\n"
        "        p.write_text('module: 90-fixture\\nitems: {}\\n')\n"
        "    except OSError as exc:\n"
        "        print('refused:', exc)\n"
    )
    _add_cell(folder, code)


@adversary("adv-forge-snapshot")
def _forge_snapshot(course, folder):
    # Overwrites its own grader-side snapshot with a perfect answers file.
    code = (
        "import pathlib, shutil\n"
        f"snap = pathlib.Path({str(course)!r}, 'grading/snapshots/adv-forge-snapshot/90-fixture')\n"
        f"perfect = pathlib.Path({str(course)!r}, 'submitted/perfect/90-fixture/.90-fixture.answers.json')\n"
        "try:\n"
        "    snap.mkdir(parents=True, exist_ok=True)\n"
        "    shutil.copy(perfect, snap / '90-fixture.answers.json')\n"
        "except OSError as exc:\n"
        "    print('refused:', exc)\n"
    )
    _add_cell(folder, code)


@adversary("adv-background")
def _background(course, folder):
    _add_cell(
        folder,
        "import subprocess, sys\n"
        f"code = 'import time; time.sleep(120)  # {MARKER}'\n"
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


@adversary("adv-copied-grade-cell")
def _copied_grade_cell(course, folder):
    # A copy of a grade cell pasted at the top of the notebook.
    path = folder / f"{MODULE}.ipynb"
    nb = nbformat.read(path, as_version=4)
    grade = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "f-num")
    twin = nbformat.from_dict(json.loads(json.dumps(grade)))
    twin["id"] = "pasted-copy"
    nb.cells.insert(1, twin)
    nbformat.write(nb, path)


@adversary("adv-own-grade-cell")
def _own_grade_cell(course, folder):
    # A cell of the student's own, marked as a grade cell worth 100 points.
    path = folder / f"{MODULE}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = new_code_cell("print('all correct')")
    cell.metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "locked": False,
        "points": 100,
        "grade_id": "my-bonus",
        "schema_version": 3,
    }
    nb.cells.insert(3, cell)
    nbformat.write(nb, path)


@adversary("adv-huge-output")
def _huge_output(course, folder):
    _add_cell(folder, "print('x' * 40_000_000)\nprint('y' * 40_000_000)\n")


@adversary("adv-infinite-loop")
def _loop(course, folder):
    _add_cell(folder, "while True:\n    pass\n")


@adversary("adv-kill-kernel")
def _kill(course, folder):
    _add_cell(folder, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")


# -- hostile files: refused, never followed or read; 0 for what could not be read ----------


@adversary("file-symlink-answers", expected=0.0)
def _symlink_answers(course, folder):
    # The answers file is a link to a classmate's: refused, so every widget item scores 0.
    target = folder / answers_filename(MODULE)
    target.unlink()
    os.symlink(f"../../perfect/{MODULE}/{answers_filename(MODULE)}", target)


@adversary("file-hardlink-answers", expected=0.0)
def _hardlink_answers(course, folder):
    # A hard link to a forged perfect answers file kept outside submitted/.
    forged = course.parent / "forged.answers.json"
    shutil.copyfile(course / "submitted" / "perfect" / MODULE / answers_filename(MODULE), forged)
    target = folder / answers_filename(MODULE)
    target.unlink()
    os.link(forged, target)


@adversary("file-symlink-notebook")
def _symlink_notebook(course, folder):
    # The notebook links to a classmate's: graded as the blank notebook; answers still count.
    target = folder / f"{MODULE}.ipynb"
    target.unlink()
    os.symlink(f"../../perfect/{MODULE}/{MODULE}.ipynb", target)


@adversary("file-fifo")
def _fifo(course, folder):
    os.mkfifo(folder / "data.csv")


@adversary("file-fifo-notebook")
def _fifo_notebook(course, folder):
    (folder / f"{MODULE}.ipynb").unlink()
    os.mkfifo(folder / f"{MODULE}.ipynb")


@adversary("file-device")
def _device(course, folder):
    # A character device like /dev/zero (only root can make one; otherwise a FIFO stands in).
    try:
        os.mknod(folder / "zero.bin", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    except PermissionError:
        os.mkfifo(folder / "zero.bin")


@adversary("file-linked-folder", expected=0.0)
def _linked_folder(course, folder):
    # The whole module folder is a link to a classmate's submission.
    shutil.rmtree(folder)
    os.symlink(f"../perfect/{MODULE}", folder)


@adversary("file-escape-subfolder")
def _escape_subfolder(course, folder):
    # A sub-folder that is a link out of the submission (to the course's keys).
    os.symlink("../../../autograde/keys", folder / "data")


# -- malformed values: 0 for that item, the rest still count -------------------------------


def _edit_answers(folder: Path, edit) -> None:
    path = folder / answers_filename(MODULE)
    data = json.loads(path.read_text())
    edit(data["answers"])
    path.write_text(json.dumps(data))


@adversary("value-deep-record")
def _deep_record(course, folder):
    def edit(answers):
        deep: object = "a"
        for _ in range(40):  # deeper than a record may be, within the file's depth limit
            deep = [deep]
        answers["f-multi"] = dict(answers["f-single"], value=deep, kind="multiple_choice")

    _edit_answers(folder, edit)


@adversary("value-deep-file", expected=0.0)
def _deep_file(course, folder):
    # Nested too deep for any JSON reader: the file cannot be read at all.
    path = folder / answers_filename(MODULE)
    text = path.read_text()
    path.write_text(text[:-2] + ', "pad": ' + "[" * 100_000 + "]" * 100_000 + "}\n")


@adversary("value-huge-int")
def _huge_int(course, folder):
    def edit(answers):
        answers["f-num"] = dict(answers["f-single"], value=10**400, kind="numeric")
        answers["f-computed"] = dict(answers["f-single"], value=-(10**500), kind="computed")

    _edit_answers(folder, edit)


@adversary("value-wrong-shapes")
def _wrong_shapes(course, folder):
    def edit(answers):
        answers["f-class"] = dict(
            answers["f-single"], value={"s1": ["factual"], "s2": {"x": 1}}, kind="classification"
        )
        answers["f-order"] = dict(answers["f-order"], value=[["p10"], {"p9": 1}, "p8"])
        answers["f-phrase"] = dict(answers["f-single"], value=[[], {}], kind="phrase_selection")

    _edit_answers(folder, edit)


def _write_answers(folder: Path, payload: bytes) -> None:
    (folder / answers_filename(MODULE)).write_bytes(payload)


def _fingerprint(root: Path) -> dict[str, object]:
    """Every entry under ``root``, by lstat: bytes of regular files, targets of links."""
    out: dict[str, object] = {}
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = os.lstat(path)
            rel = str(path.relative_to(root))
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(st.st_mode):
                out[rel] = ("file", path.read_bytes())
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir",)
            else:
                out[rel] = ("special", stat.S_IFMT(st.st_mode))
    return out


def _marked_processes() -> list[int]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmd = " ".join(proc.info.get("cmdline") or [])
        if MARKER in cmd and proc.info.get("status") != psutil.STATUS_ZOMBIE:
            found.append(proc.pid)
    return found


RUNS = ("execute", "fast", "force")


@pytest.fixture(scope="module")
def graded(fixture_course):
    """Submit the whole class, then grade it three times with the real pipeline."""
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

    submitted_before = _fingerprint(course / "submitted")
    keys_before = _fingerprint(course / "autograde")
    runs = {}
    snapshots = {}
    for run in RUNS:
        started = time.time()
        report = grade_course(course, [MODULE], force=True, fast=run == "fast")
        runs[run] = {
            "report": report,
            "grades": pd.read_csv(report.exports["grades"]).set_index("student_id"),
            "items": pd.read_csv(report.exports["items"]),
            "elapsed": time.time() - started,
            "leftover": _marked_processes(),
            "submitted": _fingerprint(course / "submitted"),
            "keys": _fingerprint(course / "autograde"),
        }
        snapshots[run] = _fingerprint(course / "grading" / "snapshots")
    return {
        "course": course,
        "runs": runs,
        "report": runs["execute"]["report"],
        "grades": runs["execute"]["grades"],
        "items": runs["execute"]["items"],
        "submitted_before": submitted_before,
        "keys_before": keys_before,
        "snapshots": snapshots,
    }


def score(graded, student, run="execute"):
    return float(graded["runs"][run]["grades"].loc[student, "score"])


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


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("student", sorted(ADVERSARIES))
def test_hostile_submission_scores_its_honest_answers(graded, student, run):
    """In every run, does a hostile submission earn exactly what its honest answers earn?"""
    report = graded["runs"][run]["report"]
    assert student not in report.failed.get(MODULE, []), report.problems.get(student)
    assert score(graded, student, run) == EXPECTED[student], report.problems.get(student)


@pytest.mark.parametrize("run", RUNS)
def test_every_student_is_graded_in_every_run(graded, run):
    """Does every run finish with every student graded, none left out?"""
    submitted = {p.name for p in (graded["course"] / "submitted").iterdir()}
    assert set(graded["runs"][run]["grades"].index) == submitted
    assert graded["runs"][run]["report"].ungraded == 0


@pytest.mark.parametrize("run", RUNS)
def test_submitted_and_keys_are_byte_identical_after_grading(graded, run):
    """Are submitted/ and the keys exactly as they were, links and pipes included?"""
    assert graded["runs"][run]["submitted"] == graded["submitted_before"]
    assert graded["runs"][run]["keys"] == graded["keys_before"]


def test_snapshots_are_byte_identical_across_regrades(graded):
    """Once taken, are the grader's snapshots unchanged by the fast run and the forced re-grade?"""
    snaps = graded["snapshots"]
    assert snaps["execute"], "no snapshots were taken"
    assert snaps["fast"] == snaps["execute"]
    assert snaps["force"] == snaps["execute"]


@pytest.mark.parametrize("run", RUNS)
def test_no_process_is_left_running(graded, run):
    """Is every process started by student code gone once a run ends?"""
    assert graded["runs"][run]["leftover"] == []


@needs_sandbox
def test_grading_ran_in_the_sandbox(graded):
    """Did every executed run isolate student kernels with bubblewrap (and say so)?"""
    for run in ("execute", "force"):
        isolation = graded["runs"][run]["report"].isolation
        assert isolation is not None and isolation.active, isolation
        assert "bubblewrap" in isolation.mechanism
        for student, problems in graded["runs"][run]["report"].problems.items():
            assert not any("without isolation" in p for p in problems), (student, problems)


@needs_sandbox
def test_sandboxed_code_could_not_touch_the_course_folder(graded):
    """Did the key-editing and snapshot-forging cells fail inside the sandbox?"""
    course = graded["course"]
    nb = nbformat.read(course / "autograded" / "adv-edit-key" / MODULE / f"{MODULE}.ipynb", 4)
    text = json.dumps(nb)
    assert "refused:" in text and "Scored by the course grader" in text
    snap = course / "grading" / "snapshots" / "adv-forge-snapshot" / MODULE
    assert (snap / "90-fixture.answers.json").read_bytes() != (
        course / "submitted" / "perfect" / MODULE / answers_filename(MODULE)
    ).read_bytes()


@pytest.mark.parametrize(
    ("student", "words"),
    [
        ("file-symlink-answers", ["answers.json", "symbolic link"]),
        ("file-hardlink-answers", ["answers.json", "hard link"]),
        ("file-symlink-notebook", ["90-fixture.ipynb", "symbolic link", "blank"]),
        ("file-fifo", ["data.csv", "named pipe"]),
        ("file-fifo-notebook", ["90-fixture.ipynb", "named pipe", "blank"]),
        ("file-linked-folder", ["symbolic link"]),
        ("file-escape-subfolder", ["data", "symbolic link"]),
        ("value-deep-file", ["answers file"]),
    ],
)
def test_hostile_files_are_refused_with_a_message_naming_the_file(graded, student, words):
    """Is each refused file named in the student's problem list, with the reason?"""
    for run in RUNS:
        problems = " ".join(graded["runs"][run]["report"].problems.get(student, []))
        for word in words:
            assert word in problems, (run, word, problems)


def test_refused_answers_file_zeroes_each_widget_item_with_a_message(graded):
    """Does every widget item of a student whose answers file was refused say why it scored 0?"""
    items = graded["items"]
    mine = items[items["student_id"] == "file-symlink-answers"]
    widget = mine[mine["item_id"] != "f-written"]
    assert (widget["score"] == 0).all()
    assert widget["problems"].fillna("").str.contains("symbolic link").all(), widget


def test_huge_output_is_cut_in_the_graded_notebook_and_feedback(graded):
    """Are the graded notebook and the feedback page small despite 80 MB of printed output?"""
    course = graded["course"]
    graded_nb = course / "autograded" / "adv-huge-output" / MODULE / f"{MODULE}.ipynb"
    feedback = course / "feedback" / "adv-huge-output" / MODULE / f"{MODULE}.html"
    assert graded_nb.stat().st_size < 5_000_000
    assert feedback.stat().st_size < 5_000_000


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
