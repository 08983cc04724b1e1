"""The locked cell under each question, seen by a student in a real browser.

A student opens the released fixture module in JupyterLab, runs all cells and
answers one question, then changes that answer. After each step, the output of
every grade cell (the locked cell under each graded question) must agree with
its question's own status line and with the answers file: the answered
question's cell shows the saved answer with the same save time, the others say
"not answered yet", and none says "No answer saved yet" or shows a widget
error.
"""

from __future__ import annotations

import json
import re

import pytest
from jupyterlab_driver import (
    KERNEL_TIMEOUT,
    UI_TIMEOUT,
    expect,
    open_notebook,
    run_all,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MODULE = "90-fixture"
NOTEBOOK = f"{MODULE}/{MODULE}.ipynb"
ANSWERS = f".{MODULE}.answers.json"
FIRST_CODE = f'start("{MODULE}")'
STALE = "No answer saved yet"


def item(page, item_id):
    """The rendered item, found by the "Question <id> ·" line under its prompt."""
    return page.locator(".jp-OutputArea-output .ce-item").filter(has_text=f"Question {item_id} ·")


def status(page, item_id):
    return item(page, item_id).locator("span[role=status]")


def grade_cells(page):
    """Every grade cell: the cells whose code calls show_saved."""
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-CodeCell").filter(
        has_text="show_saved("
    )


def grade_output(page, item_id):
    return (
        grade_cells(page)
        .filter(has_text=f'show_saved("{item_id}")')
        .locator(".jp-OutputArea-output")
    )


def saved(lab) -> dict:
    path = lab.root / MODULE / ANSWERS
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["answers"]


def _clean(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def check_grade_cells(page, lab, specs, answered: dict[str, str]) -> None:
    """Every grade cell's output agrees with its question's status and with the file.

    ``answered`` maps each answered item id to the answer text its line must show.
    """
    graded = [item_id for item_id, spec in specs.items() if spec.graded]
    expect(grade_cells(page)).to_have_count(len(graded))
    expect(page.locator(".ce-saved-answer")).to_have_count(len(graded), timeout=KERNEL_TIMEOUT)
    records = saved(lab)
    for item_id in graded:
        output = grade_output(page, item_id)
        expect(output).to_have_count(1)
        if item_id in answered:
            expect(output).to_contain_text(
                f"Saved answer for {item_id}: {answered[item_id]} (saved ", timeout=UI_TIMEOUT
            )
            expect(status(page, item_id)).to_have_text(re.compile(r"^Saved at \d\d:\d\d$"))
            when = status(page, item_id).inner_text().removeprefix("Saved at ")
            expect(output).to_contain_text(f"(saved {when})")
            assert records[item_id]["value"] is not None
        else:
            expect(output).to_contain_text(f"Question {item_id}: not answered yet.")
            expect(status(page, item_id)).to_have_text(re.compile(r"^Not (answered|recorded) yet$"))
            assert item_id not in records
    notebook_text = _clean(page.locator(".jp-NotebookPanel .jp-Notebook").inner_text())
    assert STALE not in notebook_text
    assert "Error displaying widget" not in notebook_text
    assert "Cannot show the saved answer" not in notebook_text


def test_grade_cells_follow_the_answer_after_run_all(page, student_lab, specs):
    """Run all, answer one question, change it: no grade cell contradicts its question."""
    lab = student_lab("view-student")
    open_notebook(page, lab, NOTEBOOK, FIRST_CODE)
    run_all(page, keyboard=False)
    expect(page.locator(".jp-OutputArea-output .ce-item")).to_have_count(
        len(specs), timeout=KERNEL_TIMEOUT
    )
    check_grade_cells(page, lab, specs, {})

    single = specs["f-single"]
    for choice in ("b", "c"):
        item(page, "f-single").get_by_role("radio", name=single.options[choice], exact=True).click()
        wait_until(
            lambda choice=choice: saved(lab).get("f-single", {}).get("value") == choice,
            f"the answers file to hold f-single = {choice}",
        )
        check_grade_cells(page, lab, specs, {"f-single": f"{choice}) {single.options[choice]}"})
