"""A practice item in a real browser: a wrong answer, then the right one, each with feedback at once.

Module 00 is released from the course's own lessons and opened in JupyterLab
by a student, who answers the practice item on where answers are saved: the
feedback appears under the question as soon as the option is clicked, says
"Not quite" with the reason for the wrong option, then "Correct" with the
explanation, and nothing about it is graded.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from jupyterlab_driver import (
    KERNEL_TIMEOUT,
    UI_TIMEOUT,
    JupyterLab,
    copy_tree,
    expect,
    open_notebook,
    run_all,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MODULE = "00-orientation"
NOTEBOOK = f"{MODULE}/{MODULE}.ipynb"
FIRST_CODE = f'start("{MODULE}")'
ITEM = "m00-practice-save"


@pytest.fixture(scope="module")
def module_00(tmp_path_factory) -> Path:
    """A course folder with the real module 00 built and released."""
    from course.coursefolder import init_course
    from course.release import release_modules

    course = tmp_path_factory.mktemp("practice") / "course"
    init_course(course, modules=[MODULE], timeout=60)
    release_modules(course, [MODULE])
    return course


@pytest.fixture
def lab(tmp_path, module_00, page):
    notebooks = tmp_path / "student" / "notebooks"
    copy_tree(module_00 / "release" / MODULE, notebooks / MODULE)
    home = tmp_path / "student" / "home"
    home.mkdir(parents=True)
    server = JupyterLab(home, notebooks, "practice-student")
    server.start()
    yield server
    server.stop()
    shutil.rmtree(tmp_path / "student", ignore_errors=True)


def test_a_practice_item_answers_back_at_once(page, lab, module_00):
    """Does a practice answer get 'Not quite' and why, then 'Correct' with the explanation?"""
    from course.grading.context import source_specs

    spec = source_specs(module_00 / "source" / MODULE / f"{MODULE}.ipynb")[ITEM]
    practice = spec.practice or {}
    right = practice["answer"]
    wrong = next(o for o in spec.options if o != right)

    open_notebook(page, lab, NOTEBOOK, FIRST_CODE)
    run_all(page, keyboard=False)
    box = page.locator(".jp-OutputArea-output .ce-item").filter(has_text=f"Question {ITEM} ·")
    expect(box).to_have_count(1, timeout=KERNEL_TIMEOUT)
    feedback = box.locator(".ce-feedback")

    box.get_by_role("radio", name=spec.options[wrong], exact=True).click()
    expect(feedback).to_contain_text("Not quite", timeout=UI_TIMEOUT)
    expect(feedback).to_contain_text(practice["feedback"][wrong][:40], timeout=UI_TIMEOUT)
    expect(feedback).to_have_attribute("role", "status")

    box.get_by_role("radio", name=spec.options[right], exact=True).click()
    expect(feedback).to_contain_text("Correct", timeout=UI_TIMEOUT)
    expect(feedback).to_contain_text(practice["explanation"][:40], timeout=UI_TIMEOUT)
    # Practice carries no points: the item says so, and nothing is scored.
    expect(box).to_contain_text(re.compile(r"practice", re.IGNORECASE))
