"""What a student sees that is not a question: grade cells, the pack button, the lock button.

- The grade cell under each question shows, in a student's kernel, a live line
  that follows every save of the item, so it never contradicts the question's
  own status; while nbgrader runs the notebook it prints the saved answer once.
- Packing for an LMS is a button: running its cell writes nothing, and while
  nbgrader runs the notebook neither the button nor ``pack_submission`` shows,
  prints or writes anything.
- The forecast's lock button is a coloured button with a tooltip until it is
  used, then disabled and saying the forecast is locked.

The kernel tests start real IPython kernels (one as a student's, one with the
environment nbgrader gives a kernel it grades in); the last tests grade a
submission with the real nbgrader pipeline.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import course.items._base as base
from course import pack_button, pack_submission
from course.answers import answers_filename
from course.build import GRADE_CELL_TEMPLATE
from course.execution import NBGRADER_EXECUTION
from course.items import Forecast, SingleChoice, show_saved, start
from course.items._base import SavedAnswer
from course.items.forecast import LOCK_LABEL, LOCKED_LABEL
from course.packbutton import PACK_LABEL, PackButton

NB = "91-view"
ITEM = {
    "id": "t-single",
    "prompt": "Which paragraph gives the distance?",
    "options": {"a": "¶8", "b": "¶9", "c": "¶10"},
    "points": 1,
    "shuffle": False,
}
FORECAST = {
    "id": "t-forecast",
    "prompt": "Will IS take Palmyra back before 2018?",
    "resolution": "YES if IS again takes control of Palmyra before 1 January 2018.",
    "points": 1,
}
STALE = "No answer saved yet"
#: The grade cell as a student's notebook holds it (nbgrader removes the hidden tests).
STUDENT_GRADE_CELL = GRADE_CELL_TEMPLATE.format(item_id="t-single").split("### BEGIN HIDDEN TESTS")[
    0
]


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A started notebook in an empty folder (the kernel's working folder), not graded."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(NBGRADER_EXECUTION, raising=False)
    monkeypatch.setattr(base, "_current_book", None)
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    return start(NB)


def status_text(item) -> str:
    return re.sub(r"<[^>]+>", "", item._status.value)


def saved_time(text: str) -> str:
    match = re.search(r"\d\d:\d\d", text)
    assert match, text
    return match.group(0)


# -- the grade cell's line, in a student's kernel ------------------------------------------


def test_saved_answer_line_follows_every_save(book):
    """Does the line under a question change with each save, with the question's own time?"""
    item = SingleChoice(**ITEM)
    line = SavedAnswer("t-single")
    assert status_text(item) == "Not answered yet"
    assert line.text.startswith("Question t-single: not answered yet.")

    item.value = "b"
    assert line.text.startswith("Saved answer for t-single: b) ¶9 (saved ")
    assert saved_time(line.text) == saved_time(status_text(item))
    item.value = "c"
    assert line.text.startswith("Saved answer for t-single: c) ¶10 (saved ")
    assert "¶9" not in line.text and "¶10" in line.value
    for shown in (line.text, line.value):
        assert STALE not in shown and "correct" not in shown.lower()


def test_line_shown_before_the_item_or_the_setup_follows_later_saves(tmp_path, monkeypatch):
    """A line shown before start(...) and before the item ran: updated once the item saves?"""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(base, "_current_book", None)
    line = SavedAnswer("t-single")
    assert "setup cell" in line.text and STALE not in line.text

    start(NB)
    assert line.text.startswith("Question t-single: not answered yet.")
    item = SingleChoice(**ITEM)
    item.value = "a"
    assert line.text.startswith("Saved answer for t-single: a) ¶8 (saved ")


def test_line_restored_answer_and_cleared_answer_agree_with_the_question(book):
    """After a re-run the line shows the restored answer; a cleared answer reads unanswered."""
    SingleChoice(**ITEM).value = "b"
    again = SingleChoice(**ITEM)  # the cell runs again: restored, nothing written
    line = SavedAnswer("t-single")
    assert status_text(again).startswith("Restored answer saved")
    assert line.text.startswith("Saved answer for t-single: b) ¶9")
    assert saved_time(line.text) == saved_time(status_text(again))

    again.value = None
    assert status_text(again).startswith("Answer cleared; saved")
    assert line.text.startswith("Question t-single: not answered yet (answer cleared at ")
    assert STALE not in line.text


def test_line_follows_only_its_own_item_and_answers_file(book, tmp_path):
    """Do saves of another item, or to another notebook's file, leave the line alone?"""
    line = SavedAnswer("t-single")
    before = line.text
    other = SingleChoice(**{**ITEM, "id": "t-other"})
    other.value = "a"
    elsewhere = SingleChoice(**ITEM, book=base.AnswerBook("92-other", tmp_path / "other"))
    elsewhere.value = "c"
    assert line.text == before


def test_line_static_fallback_never_goes_out_of_date(book):
    """The text a viewer without the kernel shows names no answer and no state."""
    item = SingleChoice(**ITEM)
    line = SavedAnswer("t-single")
    fallback = line._repr_mimebundle_()["text/plain"]
    item.value = "b"
    assert line._repr_mimebundle_()["text/plain"] == fallback
    assert "t-single" in fallback and STALE not in fallback and "¶" not in fallback


def test_forecast_line_shows_the_locked_forecast(book):
    """A locked forecast's line shows the forecast that counts, as the item does."""
    item = Forecast(**FORECAST)
    line = SavedAnswer("t-forecast")
    item._reason.value = "Too far."
    item._slider.value = 70
    assert line.text.startswith("Saved answer for t-forecast: 70% (not locked): Too far.")
    item.lock()
    assert line.text.startswith("Saved answer for t-forecast: 70% (locked): Too far.")


def test_show_saved_under_grading_prints_plain_text_once(book, monkeypatch, capsys):
    """While nbgrader grades, show_saved prints the saved answer once and makes no live line."""
    item = SingleChoice(**ITEM)
    item.value = "b"
    monkeypatch.setenv(NBGRADER_EXECUTION, "autograde")
    count = len(base._views)
    show_saved("t-single")
    assert capsys.readouterr().out.startswith("Saved answer for t-single: b) ¶9 (saved ")
    assert len(base._views) == count


# -- the forecast's lock button ---------------------------------------------------------


def test_lock_button_is_styled_until_used_then_disabled_and_says_locked(book):
    """Is the button a coloured primary button with a tooltip, then disabled, reading locked?"""
    item = Forecast(**FORECAST)
    button = item._lock_button
    assert (button.description, button.button_style) == (LOCK_LABEL, "primary")
    assert not button.disabled and "cannot be changed" in button.tooltip

    item._reason.value = "Government forces are close."
    assert item.lock() is True
    assert button.disabled and button.description == LOCKED_LABEL
    assert button.button_style == "" and "locked" in button.tooltip

    again = Forecast(**FORECAST)  # the cell runs again: restored locked
    assert again._lock_button.disabled and again._lock_button.description == LOCKED_LABEL


# -- the pack button --------------------------------------------------------------------


def _notebook(folder: Path) -> Path:
    path = folder / f"{NB}.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("import course.items")]), path)
    return path


def test_pack_button_packs_only_when_pressed(book, tmp_path):
    """Showing the button writes nothing; a press writes the zip and says what it holds."""
    _notebook(tmp_path)
    SingleChoice(**ITEM).value = "b"
    box = pack_button(NB, student="jdoe")
    assert isinstance(box, PackButton) and not list(tmp_path.glob("*.zip"))
    assert box.button.description == PACK_LABEL and box.button.button_style == "primary"
    assert box.button.tooltip and 'role="status"' in box.status.value

    box.button.click()

    zip_path = tmp_path / f"jdoe__{NB}.zip"
    assert box.last_zip is not None and box.last_zip.resolve() == zip_path
    with zipfile.ZipFile(zip_path) as zf:
        assert sorted(zf.namelist()) == sorted([f"{NB}.ipynb", answers_filename(NB)])
    assert f"Packed jdoe__{NB}.zip" in box.status.value
    assert "upload it to your course page" in box.status.value


def test_pack_button_reports_a_problem_on_screen(book, tmp_path):
    """A wrong notebook name: no zip, no exception, and the line says what to do."""
    box = pack_button("02-missing", student="jdoe")
    box.button.click()
    assert box.last_zip is None and not list(tmp_path.glob("*.zip"))
    assert "Not packed: No notebook" in box.status.value and "press the button" in box.status.value


@pytest.mark.parametrize("mode", ["autograde", "validate"])
def test_packing_does_nothing_while_nbgrader_runs_the_notebook(
    book, tmp_path, capsys, monkeypatch, mode
):
    """Under nbgrader: no button, no zip, and nothing printed, by either function."""
    _notebook(tmp_path)
    SingleChoice(**ITEM).value = "b"
    monkeypatch.setenv(NBGRADER_EXECUTION, mode)
    assert pack_submission(NB, student="jdoe") is None
    assert pack_button(NB, student="jdoe") is None
    assert capsys.readouterr() == ("", "")
    assert not list(tmp_path.glob("*.zip"))


# -- real kernels: a student's, and one as nbgrader starts it -------------------------------


class Kernel:
    """A real IPython kernel in ``folder``; :meth:`run` returns a cell's iopub messages."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        from jupyter_client import KernelManager

        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(folder), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str) -> tuple[str, list[dict]]:
        msg_id = self.client.execute(code)
        messages = []
        while True:
            msg = self.client.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status":
                if msg["content"]["execution_state"] == "idle":
                    break
                continue
            messages.append(msg)
        reply = self.client.get_shell_msg(timeout=120)
        return reply["content"]["status"], messages

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def outputs(messages: list[dict]) -> list[dict]:
    """The cell's outputs (what the notebook shows), without widget traffic."""
    kinds = {"stream", "display_data", "execute_result", "error"}
    return [m for m in messages if m["msg_type"] in kinds]


def text_of(messages: list[dict]) -> str:
    parts = []
    for msg in messages:
        content = msg["content"]
        parts.append(content.get("text", ""))
        parts.append(str(content.get("data", "")))
        parts.append(" ".join(content.get("traceback", [])))
    return "\n".join(parts)


SETUP = f'from course.items import start, SingleChoice\nstart("{NB}")'
ITEM_CELL = f"q = SingleChoice(**{ITEM!r})\nq"
PACK_CELLS = (
    f'from course import pack_submission\npack_submission("{NB}", student="jdoe")',
    f'from course import pack_button\npack_button("{NB}", student="jdoe")',
)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != NBGRADER_EXECUTION}
    env.update(extra)
    return env


@pytest.mark.slow
def test_grade_cell_in_a_student_kernel_follows_the_answer(tmp_path):
    """Run all, then answer: the grade cell's live line changes, and nothing says unsaved."""
    _notebook(tmp_path)
    kernel = Kernel(tmp_path, _env(NB_USER="jdoe"))
    try:
        seen = []
        for code in (SETUP, ITEM_CELL):
            status, messages = kernel.run(code)
            assert status == "ok", text_of(messages)
            seen += messages
        status, grade = kernel.run(STUDENT_GRADE_CELL)
        assert status == "ok", text_of(grade)
        shown = outputs(grade)
        assert [m["msg_type"] for m in shown] == ["display_data"], text_of(shown)
        view = shown[0]["content"]["data"]["application/vnd.jupyter.widget-view+json"]
        assert "not answered yet" in text_of(grade)

        status, answer = kernel.run('q.value = "b"')  # as a click does
        assert status == "ok", text_of(answer)
        updates = [
            m["content"]["data"]["state"]["value"]
            for m in answer
            if m["msg_type"] == "comm_msg"
            and m["content"]["comm_id"] == view["model_id"]
            and "value" in m["content"]["data"].get("state", {})
        ]
        assert updates and "Saved answer for t-single: b) ¶9 (saved " in updates[-1]

        status, packs = kernel.run(PACK_CELLS[1])  # the button shows; nothing is packed
        assert status == "ok" and not list(tmp_path.glob("*.zip"))
        assert [m["msg_type"] for m in outputs(packs)] == ["execute_result"]
        assert STALE not in text_of(seen + grade + answer + packs)
    finally:
        kernel.stop()


@pytest.mark.slow
def test_grade_cell_and_packing_in_a_kernel_nbgrader_grades(tmp_path):
    """With NBGRADER_EXECUTION set: the saved answer printed once, no widget, nothing packed."""
    _notebook(tmp_path)
    kernel = Kernel(tmp_path, _env(NBGRADER_EXECUTION="autograde", NB_USER="jdoe"))
    try:
        for code in (SETUP, ITEM_CELL, 'q.value = "b"'):
            assert kernel.run(code)[0] == "ok"
        status, grade = kernel.run(GRADE_CELL_TEMPLATE.format(item_id="t-single"))
        assert status == "error"  # the hidden part fails closed
        streams = [m["content"]["text"] for m in outputs(grade) if m["msg_type"] == "stream"]
        assert len(streams) == 1 and streams[0].startswith("Saved answer for t-single: b) ¶9")
        assert not [m for m in outputs(grade) if m["msg_type"] == "display_data"]
        for code in PACK_CELLS:
            status, messages = kernel.run(code)
            assert status == "ok" and outputs(messages) == [], text_of(messages)
        assert not list(tmp_path.glob("*.zip"))
    finally:
        kernel.stop()


# -- real grading ---------------------------------------------------------------------

MODULE = "90-fixture"
STUDENT_CELLS = [
    # what the student guide used to say, and what it says now
    f'from course import pack_submission\npack_submission("{MODULE}")',
    f'from course import pack_button\npack_button("{MODULE}")',
    'from course.items import show_saved\nshow_saved("f-single")',
]


@pytest.fixture(scope="module", params=["none", "bubblewrap"])
def graded(request, tmp_path_factory):
    """One student, who added packing cells, graded with execution and given feedback."""
    from course.coursefolder import init_course
    from course.gradebatch import grade_course
    from course.grading.sandbox import probe_bubblewrap
    from course.keys import load_key
    from course.release import release_modules
    from course.simulate import SimStudent, submit_student

    if request.param == "bubblewrap" and not probe_bubblewrap()[0]:
        pytest.skip("bubblewrap cannot run here: " + probe_bubblewrap()[1])
    fixtures = Path(__file__).parent / "fixtures"
    course = tmp_path_factory.mktemp(f"view-{request.param}") / "course"
    init_course(
        course,
        lessons_dir=fixtures / "lessons",
        keys_dir=fixtures / "keys",
        timeout=30,
        sandbox=request.param,
    )
    release_modules(course, [MODULE])
    key = load_key(course / "autograde" / "keys" / f"{MODULE}.yaml")
    folder = submit_student(
        course, MODULE, SimStudent("packer", "blank", 0), key, answers={"f-single": "b"}
    )
    path = folder / f"{MODULE}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells += [new_code_cell(code) for code in STUDENT_CELLS]
    nbformat.write(nb, path)
    report = grade_course(course, [MODULE], force=True, feedback=True)
    return course, report


def _cells(nb, code: str):
    return next(c for c in nb.cells if c.cell_type == "code" and c.source == code)


@pytest.mark.nbgrader
@pytest.mark.slow
def test_grading_packs_nothing_and_prints_no_packing_advice(graded):
    """No zip anywhere in the course folder; the packing cells' outputs are empty."""
    course, report = graded
    assert report.ungraded == 0, report.problems
    assert not list(course.rglob("*.zip"))
    autograded = course / "autograded" / "packer" / MODULE / f"{MODULE}.ipynb"
    nb = nbformat.read(autograded, as_version=4)
    for code in STUDENT_CELLS[:2]:
        assert _cells(nb, code).outputs == [], code
    feedback = next((course / "feedback" / "packer" / MODULE).glob("*.html"))
    html = feedback.read_text(encoding="utf-8")
    assert "Upload this zip" not in html and PACK_LABEL not in html


@pytest.mark.nbgrader
@pytest.mark.slow
def test_grading_shows_the_saved_answer_to_the_instructor(graded):
    """show_saved prints plain text under nbgrader; the grade cell shows the scored answer."""
    course, _ = graded
    autograded = course / "autograded" / "packer" / MODULE / f"{MODULE}.ipynb"
    nb = nbformat.read(autograded, as_version=4)
    printed = _cells(nb, STUDENT_CELLS[2]).outputs
    assert [o.output_type for o in printed] == ["stream"]
    assert printed[0].text.startswith("Saved answer for f-single: b) ¶9")
    grade = next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "f-single"
    )
    text = "".join(o.get("text", "") for o in grade.outputs)
    assert "Your answer: b) ¶9" in text
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert "application/vnd.jupyter.widget-view+json" not in output.get("data", {})
