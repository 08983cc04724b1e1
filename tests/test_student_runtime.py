"""A student's kernel loads the widgets and the data, never the grader, the keys or YAML."""

from __future__ import annotations

import json
import subprocess
import sys

#: What a student's kernel must not import: grading code, key files and their parser.
GRADER = ("course.grading", "course.keys", "course.checks", "course.gradebatch", "yaml", "nbgrader")

SCRIPT = """
import json, os, sys, tempfile
os.chdir(tempfile.mkdtemp())
from course.items import (start, SingleChoice, MultipleChoice, Numeric, Classification,
                          Ordering, PhraseSelection, ComputedAnswer, Forecast, show_saved)
from course import data
from course import pack_button
start("90-fixture")
q = SingleChoice(id="f-single", prompt="Which?", options={"a": "A", "b": "B"}, points=1)
q.value = "b"
p = SingleChoice(id="f-practice", prompt="Which?", options={"a": "A", "b": "B"},
                 practice={"answer": "b", "feedback": {"a": "No.", "b": "Yes."}})
p.value = "a"
q._repr_mimebundle_()
data.essay_paragraphs(); data.events(); data.places()
pack_button("90-fixture.ipynb")
print(json.dumps(sorted(sys.modules)))
"""


def test_the_student_runtime_imports_no_grader_code():
    """After a lesson's setup, items, practice feedback, data and the pack button: no grader?"""
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=120
    )
    modules = json.loads(out.stdout.strip().splitlines()[-1])
    loaded = [m for m in modules if any(m == g or m.startswith(g + ".") for g in GRADER)]
    assert loaded == [], f"a student's kernel loaded grader code: {loaded}"
    assert "course.items._base" in modules and "course.data" in modules
