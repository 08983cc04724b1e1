"""A student's session in a real browser: answer, save, restore after restart and reload, grade.

Two students work on the released fixture module (one item of every kind)
in JupyterLab, each in a server of their own:

- ``mouse-student`` clicks, and gives the key's answers (14 of 14 points);
- ``keyboard-student`` uses only the keyboard (Tab, Shift+Tab, arrows inside
  an open menu, Home/End, Space, Enter) and gives a known partly right set
  (7 of 14 points, as in tests/test_nbgrader_cycle.py).

Each test checks the answers file from outside the browser after answering,
restarts the kernel and runs all cells, reloads the page, and checks after
each step that every answer is on screen and unchanged in the file. Then the
student's folder is submitted, and the last test grades both submissions with
the real nbgrader pipeline.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from jupyterlab_driver import (
    KERNEL_TIMEOUT,
    UI_TIMEOUT,
    JupyterLab,
    cell_with,
    copy_tree,
    expect,
    open_notebook,
    restart_and_run_all,
    run_all,
    save_notebook,
    select_cell_by_keyboard,
    tab_to,
    toolbar_button,
    wait_kernel_idle,
    wait_notebook_loaded,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MODULE = "90-fixture"
NOTEBOOK = f"{MODULE}/{MODULE}.ipynb"
ANSWERS = f".{MODULE}.answers.json"
FIRST_CODE = f'start("{MODULE}")'
WORK_CELL = "# YOUR CODE HERE"  # the student's code cell for the computed answer
WRITTEN_CELL = "YOUR ANSWER HERE"  # the written (manually graded) answer

#: The key's answers: 14 of 14 autograded points.
PERFECT = {
    "f-single": "b",
    "f-multi": ["a", "b"],
    "f-num": 225.0,
    "f-class": {"s1": "factual", "s2": "predictive"},
    "f-order": ["p8", "p9", "p10"],
    "f-phrase": ["p1", "p2"],
    "f-computed": 225.0,
}
#: Partly right: 7 of 14 points, item by item as below.
PARTLY = {
    "f-single": "b",  # 1 of 1
    "f-multi": ["a"],  # 1 of 2
    "f-num": 192.0,  # 0 of 2
    "f-class": {"s1": "factual"},  # 1 of 2 (s2 left unclassified)
    "f-order": ["p9", "p8", "p10"],  # 2 of 3 (two of three pairs in order)
    "f-phrase": ["p1", "p3"],  # 0 of 2 (one hit, one false pick)
    "f-computed": 225.0,  # 2 of 2
}
PARTLY_ITEM_SCORES = {
    "f-single": 1,
    "f-multi": 1,
    "f-num": 0,
    "f-class": 1,
    "f-order": 2,
    "f-phrase": 0,
    "f-computed": 2,
}
STUDENTS = {
    "mouse-student": {
        "answers": PERFECT,
        "score": 14.0,
        "code": "import pandas as pd; distance = int(pd.Series([150, 75]).sum())",
        "written": "Roads bend around the desert, so the road distance is longer (mouse).",
    },
    "keyboard-student": {
        "answers": PARTLY,
        "score": 7.0,
        "code": "distance = 225",
        "written": "A straight line ignores the route that vehicles take (keyboard).",
    },
}


# -- the items on screen -------------------------------------------------------------


def item(page, item_id):
    """The rendered item, found by the "Question <id> ·" line under its prompt."""
    return page.locator(".jp-OutputArea-output .ce-item").filter(has_text=f"Question {item_id} ·")


def status(page, item_id):
    """The saved indicator (a polite live region)."""
    return item(page, item_id).locator("span[role=status]")


def _clean(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def _phrase_name(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\d+\. {re.escape(text)}$")


def statement_numbers(page, spec) -> dict[str, int]:
    """Statement id -> the number shown for it ("Statement 2."), which is shuffled."""
    shown = item(page, spec.id).locator(".ce-statement").all_inner_texts()
    numbers = {}
    for line in shown:
        match = re.match(r"Statement (\d+)\.\s*(.*)$", _clean(line))
        assert match, line
        sid = next(s for s, text in spec.statements.items() if _clean(text) == match.group(2))
        numbers[sid] = int(match.group(1))
    return numbers


def button(box, label: str):
    # Not exact: ipywidgets puts the icon's glyph (a Font Awesome character) in the name.
    return box.get_by_role("button", name=label)


def listbox(page, item_id):
    return item(page, item_id).get_by_role("listbox", name="Your order", exact=True)


def shown_order(page, spec) -> list[str]:
    texts = [_clean(t) for t in listbox(page, spec.id).locator("option").all_inner_texts()]
    by_text = {_clean(text): oid for oid, text in spec.options.items()}
    return [by_text[re.sub(r"^\d+\. ", "", t)] for t in texts]


def on_screen(page, spec):
    """What the item shows, in the shape of a saved answer (None when nothing is chosen)."""
    box = item(page, spec.id)
    kind = spec.kind
    if kind == "single_choice":
        chosen = [
            oid
            for oid, text in spec.options.items()
            if box.get_by_role("radio", name=text, exact=True).is_checked()
        ]
        return chosen[0] if len(chosen) == 1 else chosen or None
    if kind == "multiple_choice":
        return [
            oid
            for oid, text in spec.options.items()
            if box.get_by_role("checkbox", name=text, exact=True).is_checked()
        ]
    if kind == "phrase_selection":
        return [
            pid
            for pid, text in spec.options.items()
            if box.get_by_role("checkbox", name=_phrase_name(text)).is_checked()
        ]
    if kind == "numeric":
        text = box.get_by_role("textbox", name=re.compile(r"^Your answer")).input_value()
        return float(text) if text.strip() else None
    if kind == "classification":
        labels = {label: cid for cid, label in spec.categories.items()}
        out = {}
        for sid, n in statement_numbers(page, spec).items():
            menu = box.get_by_role("combobox", name=f"Statement {n}", exact=True)
            label = _clean(
                menu.evaluate("s => s.selectedIndex < 0 ? '' : s.options[s.selectedIndex].text")
            )
            if label in labels:
                out[sid] = labels[label]
        return out
    if kind == "ordering":
        return shown_order(page, spec)
    if kind == "computed":
        match = re.search(r"Recorded value:\s*(-?[\d.]+)", box.locator(".ce-recorded").inner_text())
        return float(match.group(1)) if match else None
    raise AssertionError(f"no screen reader for {kind}")


def check_on_screen(page, specs, expected, when: str = "answering") -> None:
    """Every item shows the expected answer (waiting for late widget updates)."""
    for item_id, value in expected.items():
        seen = []

        def shows(item_id=item_id, value=value, seen=seen):
            seen.append(on_screen(page, specs[item_id]))
            return seen[-1] == value

        try:
            wait_until(shows, item_id, timeout=UI_TIMEOUT / 1000)
        except AssertionError:
            shown = seen[-1] if seen else "nothing readable"
            raise AssertionError(
                f"after {when}, {item_id} shows {shown!r} instead of {value!r}"
            ) from None


# -- the answers file, read outside the browser ----------------------------------------------


def saved_values(lab: JupyterLab) -> dict:
    path = lab.root / MODULE / ANSWERS
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {item_id: record["value"] for item_id, record in data["answers"].items()}


def wait_saved(lab: JupyterLab, expected: dict, timeout: float = 30) -> None:
    wait_until(
        lambda: all(saved_values(lab).get(k) == v for k, v in expected.items()),
        f"the answers file to hold {expected}",
        timeout=timeout,
    )


def answers_bytes(lab: JupyterLab) -> bytes:
    return (lab.root / MODULE / ANSWERS).read_bytes()


# -- answering by mouse --------------------------------------------------------------


def answer_by_mouse(page, spec, value) -> None:
    box = item(page, spec.id)
    kind = spec.kind
    if kind == "single_choice":
        box.get_by_role("radio", name=spec.options[value], exact=True).click()
    elif kind in {"multiple_choice", "phrase_selection"}:
        for oid, text in spec.options.items():
            name = text if kind == "multiple_choice" else _phrase_name(text)
            box_ = box.get_by_role("checkbox", name=name, exact=isinstance(name, str))
            if box_.is_checked() != (oid in value):
                box_.click()
    elif kind == "numeric":
        field = box.get_by_role("textbox", name=re.compile(r"^Your answer"))
        field.click()
        page.keyboard.type(f"{value:g}")
        box.get_by_role("heading").click()  # leaving the box saves it
    elif kind == "classification":
        # A native <select> opens a popup outside the page; select_option is Playwright's
        # way of choosing in it.
        numbers = statement_numbers(page, spec)
        for sid, cid in value.items():
            menu = box.get_by_role("combobox", name=f"Statement {numbers[sid]}", exact=True)
            menu.select_option(label=spec.categories[cid])
    elif kind == "ordering":
        order_by_mouse(page, spec, value)
    else:
        raise AssertionError(f"no mouse answer for {kind}")


def order_by_mouse(page, spec, target) -> None:
    """Selection sort: click the entry that belongs at each place, then Move up."""
    box = item(page, spec.id)
    current = shown_order(page, spec)
    moved = False
    for place, wanted in enumerate(target):
        at = current.index(wanted)
        if at == place:
            continue
        listbox(page, spec.id).locator("option").nth(at).click()
        for _ in range(at - place):
            button(box, "Move up").click()
            i = current.index(wanted)
            current[i - 1], current[i] = current[i], current[i - 1]
            wait_until(lambda: shown_order(page, spec) == current, f"the order {current}")
        moved = True
    if not moved:
        button(box, "Save this order").click()


def code_by_mouse(page, code: str) -> None:
    """Write the computed answer's code, run it and the recording cell with the Run button."""
    cell = cell_with(page, WORK_CELL)
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(code)
    run = toolbar_button(page, "notebook:run-cell-and-select-next")
    run.click()  # the code cell
    run.click()  # the recording cell below it


def written_by_mouse(page, text: str) -> None:
    cell = cell_with(page, WRITTEN_CELL)
    cell.locator(".jp-RenderedMarkdown").dblclick()
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    toolbar_button(page, "notebook:run-cell-and-select-next").click()


# -- answering with the keyboard only ------------------------------------------------------


def press_on(page, control, key: str) -> None:
    tab_to(page, control)
    page.keyboard.press(key)


def answer_by_keyboard(page, lab, spec, value) -> None:
    box = item(page, spec.id)
    kind = spec.kind
    if kind == "single_choice":
        press_on(page, box.get_by_role("radio", name=spec.options[value], exact=True), "Space")
    elif kind == "multiple_choice":
        # Change of mind first: tick a wrong option, see it saved, untick it.
        wrong = next(oid for oid in spec.options if oid not in value)
        other = box.get_by_role("checkbox", name=spec.options[wrong], exact=True)
        press_on(page, other, "Space")
        wait_saved(lab, {spec.id: [wrong]})
        page.keyboard.press("Space")
        wait_saved(lab, {spec.id: []})
        for oid in value:
            press_on(page, box.get_by_role("checkbox", name=spec.options[oid], exact=True), "Space")
    elif kind == "phrase_selection":
        for pid in value:
            control = box.get_by_role("checkbox", name=_phrase_name(spec.options[pid]))
            press_on(page, control, "Space")
    elif kind == "numeric":
        field = box.get_by_role("textbox", name=re.compile(r"^Your answer"))
        tab_to(page, field)
        page.keyboard.type("abc")
        page.keyboard.press("Enter")
        expect(box.locator(".ce-note")).to_contain_text("is not a number")
        for _ in range(3):
            page.keyboard.press("Backspace")
        page.keyboard.type(f"{value:g}")
        page.keyboard.press("Enter")
    elif kind == "classification":
        numbers = statement_numbers(page, spec)
        categories = list(spec.categories)
        for sid, cid in value.items():
            menu = box.get_by_role("combobox", name=f"Statement {numbers[sid]}", exact=True)
            tab_to(page, menu)
            # Space opens the menu's list; arrows move inside the open list; Enter chooses.
            page.keyboard.press("Space")
            for _ in range(categories.index(cid) + 1):  # entry 0 is "— choose —"
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
            expect(menu).to_have_value(spec.categories[cid])
    elif kind == "ordering":
        order_by_keyboard(page, spec, value)
    else:
        raise AssertionError(f"no keyboard answer for {kind}")


def order_by_keyboard(page, spec, target) -> None:
    """Build the order from the bottom, as the student guide says.

    In JupyterLab the arrow keys move between cells, so inside the list only
    Home and End select an entry. Take the bottom entry (End) and move it up
    (Tab to Move up, Enter) into its place among the entries already placed at
    the top; repeat until every entry is placed. The selection follows the moved entry.
    """
    box = item(page, spec.id)
    current = shown_order(page, spec)
    if current == target:
        press_on(page, button(box, "Save this order"), "Enter")
        return
    rank = {oid: n for n, oid in enumerate(target)}
    size = len(current)
    for placed in range(size):
        entry = current[-1]
        place = sum(1 for oid in current[:placed] if rank[oid] < rank[entry])
        moves = size - 1 - place
        if not moves:
            continue
        press_on(page, listbox(page, spec.id), "End")
        expect(listbox(page, spec.id)).to_have_js_property("selectedIndex", size - 1)
        tab_to(page, button(box, "Move up"))
        for _ in range(moves):
            page.keyboard.press("Enter")
            i = current.index(entry)
            current[i - 1], current[i] = current[i], current[i - 1]
            wait_until(lambda: shown_order(page, spec) == current, f"the order {current}")
    assert current == target


def code_by_keyboard(page, code: str) -> None:
    """Arrow keys to the code cell, Enter to edit, type, Shift+Enter twice."""
    select_cell_by_keyboard(page, WORK_CELL)
    page.keyboard.press("Enter")
    expect(cell_with(page, WORK_CELL).locator(".cm-content")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")  # runs the code cell, moves to the recording cell
    page.keyboard.press("Shift+Enter")  # runs the recording cell


def written_by_keyboard(page, text: str) -> None:
    select_cell_by_keyboard(page, WRITTEN_CELL)
    page.keyboard.press("Enter")
    expect(cell_with(page, WRITTEN_CELL).locator(".cm-content")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Shift+Enter")


# -- the scenario -----------------------------------------------------------------


def wait_items_rendered(page, specs) -> None:
    items = page.locator(".jp-OutputArea-output .ce-item")
    expect(items).to_have_count(len(specs), timeout=KERNEL_TIMEOUT)
    expect(page.locator(".jupyter-widgets-disconnected")).to_have_count(0)


def check_restored(page, lab, specs, expected, saved_file: bytes, when: str) -> None:
    """After a restart or a reload: every answer on screen, marked restored, file untouched."""
    # The last locked cell printed "No answer saved yet" in the first run (the computed
    # answer came later), so its saved answer on screen means every cell ran again.
    last = page.locator(".jp-OutputArea-output").filter(has_text="Saved answer for f-computed:")
    expect(last).to_have_count(1, timeout=KERNEL_TIMEOUT)
    wait_kernel_idle(page)
    wait_items_rendered(page, specs)
    check_on_screen(page, specs, expected, when)
    for item_id in expected:
        expect(status(page, item_id), f"{item_id} after {when}").to_have_text(
            re.compile(r"^Restored answer")
        )
        # The locked cell under each item prints the saved answer.
        expect(
            page.locator(".jp-OutputArea-output").filter(has_text=f"Saved answer for {item_id}:")
        ).to_have_count(1)
    assert saved_values(lab) == expected, f"answers file after {when}"
    assert answers_bytes(lab) == saved_file, f"restoring after {when} must not write"


def written_in_notebook(lab: JupyterLab) -> str:
    nb = nbformat.read(lab.root / NOTEBOOK, as_version=4)
    cell = next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "f-written"
    )
    return cell.source


def submit(lab: JupyterLab, course: Path, student: str) -> None:
    """Place the student's folder in submitted/, as nbgrader's collect leaves it."""
    folder = course / "submitted" / student / MODULE
    if folder.exists():
        shutil.rmtree(folder)
    copy_tree(lab.root / MODULE, folder)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    (folder / "timestamp.txt").write_text(stamp, encoding="utf-8")


@pytest.mark.parametrize("student", ["mouse-student", "keyboard-student"])
def test_student_answers_are_saved_restored_and_submitted(
    student, page, student_lab, specs, released_course
):
    """Answer every item in the browser; the file holds it, restart and reload restore it."""
    assert set(specs) == set(PERFECT), "the fixture module changed: update this test"
    plan = STUDENTS[student]
    keyboard = student.startswith("keyboard")
    expected = plan["answers"]
    lab = student_lab(student)

    open_notebook(page, lab, NOTEBOOK, FIRST_CODE)
    run_all(page, keyboard=keyboard)
    wait_items_rendered(page, specs)
    for item_id in expected:
        expect(status(page, item_id)).to_have_text(
            "Not recorded yet" if item_id == "f-computed" else "Not answered yet"
        )
    assert saved_values(lab) == {}

    # The computed answer comes from the student's code; the written answer is Markdown.
    if keyboard:
        code_by_keyboard(page, plan["code"])
        written_by_keyboard(page, plan["written"])
    else:
        code_by_mouse(page, plan["code"])
        written_by_mouse(page, plan["written"])
    wait_saved(lab, {"f-computed": expected["f-computed"]}, timeout=KERNEL_TIMEOUT / 1000)
    expect(status(page, "f-computed")).to_have_text(re.compile(r"^Saved"))

    for item_id, value in expected.items():
        if item_id == "f-computed":
            continue
        if keyboard:
            answer_by_keyboard(page, lab, specs[item_id], value)
        else:
            answer_by_mouse(page, specs[item_id], value)
        wait_saved(lab, {item_id: value})
        expect(status(page, item_id)).to_have_text(re.compile(r"^Saved"))

    # Outside the browser: the file holds exactly these answers.
    wait_saved(lab, expected)
    assert saved_values(lab) == expected
    check_on_screen(page, specs, expected)
    save_notebook(page, keyboard=keyboard)
    wait_until(lambda: written_in_notebook(lab) == plan["written"], "the written answer on disk")
    saved_file = answers_bytes(lab)

    # A new kernel: every item must come back from the answers file.
    restart_and_run_all(page, keyboard=keyboard)
    check_restored(page, lab, specs, expected, saved_file, "a kernel restart and Run All")

    # A reload: the page reconnects to the running kernel.
    save_notebook(page, keyboard=keyboard)
    page.reload()
    wait_notebook_loaded(page, FIRST_CODE)
    check_restored(page, lab, specs, expected, saved_file, "a page reload")
    expect(cell_with(page, plan["written"])).to_have_count(1)

    submit(lab, released_course, student)


def test_submissions_are_graded_from_the_browser_answers(chromium_path, released_course):
    """The folders the students left in the browser tests earn exactly their scores."""
    from course.gradebatch import grade_course

    submitted = released_course / "submitted"
    absent = [s for s in STUDENTS if not (submitted / s / MODULE / ANSWERS).is_file()]
    assert not absent, f"no browser submission from {absent}: the tests above failed or did not run"

    report = grade_course(released_course, [MODULE], force=True)
    assert report.ungraded == 0, report.problems
    grades = pd.read_csv(report.exports["grades"]).set_index("student_id")
    for student, plan in STUDENTS.items():
        assert float(grades.loc[student, "score"]) == plan["score"], student
        assert float(grades.loc[student, "max_score"]) == 16.0  # 14 autograded + 2 written
    items = pd.read_csv(report.exports["items"])
    mine = items[items["student_id"] == "keyboard-student"].set_index("item_id")["score"]
    assert {k: float(mine[k]) for k in PARTLY_ITEM_SCORES} == PARTLY_ITEM_SCORES
    autograded = released_course / "autograded" / "mouse-student" / MODULE / f"{MODULE}.ipynb"
    assert STUDENTS["mouse-student"]["written"] in autograded.read_text(encoding="utf-8")
