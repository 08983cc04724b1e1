"""``course demo``: complete LMS exports, an honest problem list and a summary for 80 columns.

One demo runs for real (nbgrader, the course's pipeline, worker processes) on
two modules and four students, through the command line with an 80-column
console; the other tests render the summary of a full class on all modules
without grading.
"""

from __future__ import annotations

import io
import random
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from course.cli import app
from course.cli.demo_cmd import problem_lines, summary_legend, summary_table
from course.coursefolder import init_course
from course.demo import SUMMARY_FILE, TESTWISE_FILE, _create_gradebook, class_summary
from course.export import PROBLEM_COLUMNS
from course.itemcheck import CHOICE_KINDS
from course.lessons import find_lessons
from course.lms import CANVAS_STUDENT_COLUMNS, MOODLE_USER_COLUMNS
from course.release import release_modules
from course.simulate import class_roster

MODULES = ["00-orientation", "01-close-reading"]
STUDENTS = ["s01-perfect", "s02-blank", "s03", "s04-testwise"]
WIDTH = 80

slow = [pytest.mark.nbgrader, pytest.mark.slow]


def _render(summary: pd.DataFrame, modules: list[str], title: str = "Simulated class") -> str:
    """Return the summary table and its legend as printed on an 80-column console."""
    out = Console(width=WIDTH, file=io.StringIO(), record=True, color_system=None)
    out.print(summary_table(summary, modules, title))
    for line in summary_legend(modules, forecasts="brier" in summary.columns):
        out.print(line, markup=False, highlight=False)
    return out.export_text()


def _assert_fits(text: str) -> None:
    lines = text.splitlines()
    assert lines
    too_long = [line for line in lines if len(line) > WIDTH]
    assert not too_long, too_long
    assert "…" not in text, text


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[str, Path]:
    """Run `course demo 00 01 --students 4` once, on an 80-column console."""
    folder = tmp_path_factory.mktemp("demo") / "course"
    result = CliRunner().invoke(
        app,
        ["demo", "00", "01", "--students", "4", "--course-dir", str(folder)],
        env={"COLUMNS": str(WIDTH)},
    )
    assert result.exit_code == 0, result.output
    return result.output, folder


# -- the real demo ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["canvas.csv", "moodle.csv"])
@pytest.mark.nbgrader
@pytest.mark.slow
def test_lms_exports_have_a_score_for_every_student(demo_run, name):
    """Once the written answers are graded, does every student have every score in the file?"""
    _, folder = demo_run
    table = pd.read_csv(folder / "exports" / name, dtype=str, keep_default_na=False)
    if name == "canvas.csv":
        table = table[table["Student"] != "Points Possible"]
        ids = table["SIS Login ID"]
        people = CANVAS_STUDENT_COLUMNS
    else:
        ids = table["Username"]
        people = MOODLE_USER_COLUMNS
    assert sorted(ids) == STUDENTS
    scores = table.drop(columns=people)
    assert list(scores.columns) == MODULES
    blank = [
        (s, m)
        for s, row in zip(ids, scores.to_dict("records"), strict=True)
        for m, v in row.items()
        if not v
    ]
    assert not blank, f"{name} has no score for {blank}"
    perfect = scores[ids.to_numpy() == "s01-perfect"].iloc[0]
    grades = pd.read_csv(folder / "exports" / "grades.csv")
    full = grades[grades["student_id"] == "s01-perfect"].set_index("module")["max_score"]
    assert {m: float(perfect[m]) for m in MODULES} == {m: float(full[m]) for m in MODULES}


@pytest.mark.nbgrader
@pytest.mark.slow
def test_written_answers_are_graded_as_formgrader_leaves_them(demo_run):
    """Does every written answer have a manual score and no "needs manual grade" flag?"""
    _, folder = demo_run
    from course.gradebook import open_gradebook

    with open_gradebook(folder) as gb:
        for module in MODULES:
            for notebook in gb.find_assignment(module).notebooks:
                written = [c for c in notebook.grade_cells if c.cell_type == "markdown"]
                assert written
                for cell in written:
                    for student in STUDENTS:
                        grade = gb.find_grade(cell.name, notebook.name, module, student)
                        assert not grade.needs_manual_grade, (module, cell.name, student)
                        assert grade.score is not None
    grades = pd.read_csv(folder / "exports" / "grades.csv")
    assert not grades["needs_manual_grade"].any()
    items = pd.read_csv(folder / "exports" / "items.csv")
    assert "needs manual grade" not in set(items["verdict"])


@pytest.mark.nbgrader
@pytest.mark.slow
def test_printed_summary_fits_80_columns_and_the_detail_is_in_a_file(demo_run):
    """Does the output fit 80 columns, untruncated, and name the per-module summary file?"""
    output, folder = demo_run
    too_long = [line for line in output.splitlines() if len(line) > WIDTH]
    assert not too_long, too_long
    table = output[output.index("Simulated class of 4") : output.index("Module columns")]
    assert "…" not in table, table
    for student in STUDENTS:
        assert student in table
    assert "100%" in table and "++ ++" in table  # the perfect student, in full
    detail = folder / "exports" / SUMMARY_FILE
    assert detail.exists()
    assert SUMMARY_FILE in output.replace("\n", "")
    summary = pd.read_csv(detail).set_index("student_id")
    assert list(summary.index) == STUDENTS
    assert summary.loc["s01-perfect", "percent"] == 100
    assert summary.loc["s02-blank", "percent"] == 0
    grades = pd.read_csv(folder / "exports" / "grades.csv")
    for row in grades.itertuples():
        assert summary.loc[row.student_id, row.module] == pytest.approx(row.percent)


@pytest.mark.nbgrader
@pytest.mark.slow
def test_testwise_student_is_graded_as_the_report_says(demo_run):
    """Does nbgrader give the cue-reading student the choice-item points the demo reports?"""
    output, folder = demo_run
    report = pd.read_csv(folder / "exports" / TESTWISE_FILE).set_index("module")
    assert list(report.index) == MODULES
    items = pd.read_csv(folder / "exports" / "items.csv")
    mine = items[items["student_id"] == "s04-testwise"]
    for module in MODULES:
        rows = mine[(mine["module"] == module) & mine["kind"].isin(CHOICE_KINDS)]
        assert len(rows) == report.loc[module, "choice_items"]
        assert rows["max_score"].sum() == pytest.approx(report.loc[module, "points"])
        graded = 100 * rows["score"].sum() / rows["max_score"].sum()
        assert graded == pytest.approx(report.loc[module, "testwise_percent"], abs=0.05)
        # It answers no other item and writes nothing.
        others = mine[(mine["module"] == module) & ~mine["kind"].isin(CHOICE_KINDS)]
        assert others["score"].fillna(0).sum() == 0
    flat = " ".join(output.split())
    assert "Test-wise student" in flat
    for module in MODULES:
        assert f"{module}: {report.loc[module, 'testwise_percent']:.0f}% vs" in flat


@pytest.mark.nbgrader
@pytest.mark.slow
def test_problem_output_matches_problems_csv(demo_run):
    """Does the demo report what problems.csv lists, never "No problems found" beside it?"""
    output, folder = demo_run
    problems = pd.read_csv(folder / "exports" / "problems.csv", keep_default_na=False)
    flat = " ".join(output.split())
    if problems.empty:
        assert "No problems found in any submission." in flat
        return
    assert "No problems found" not in flat
    assert f"{len(problems)} problem(s) listed in" in flat
    for kind in set(problems["kind"]):
        assert f"{kind}: " in flat
    # The blank student handed in no answers file; nothing else went wrong.
    assert set(problems["kind"]) == {"no-answers-file"}
    assert set(problems["student_id"]) == {"s02-blank"}


@pytest.mark.nbgrader
@pytest.mark.slow
def test_gradebook_holds_every_course_row_a_release_adds_before_releases_run_at_once(tmp_path):
    """Will modules released side by side find every course row, so none races to insert it?"""
    released, prepared = tmp_path / "released", tmp_path / "prepared"
    for folder in (released, prepared):
        init_course(folder, modules=["00"])
    release_modules(released, ["00-orientation"])  # one nbgrader process, as before
    _create_gradebook(prepared)

    def course_rows(folder: Path) -> set[str]:
        with sqlite3.connect(folder / "gradebook.db") as db:
            return {row[0] for row in db.execute("SELECT id FROM course")}

    assert course_rows(released)
    assert course_rows(prepared) == course_rows(released)


# -- the summary of a full class, without grading ----------------------------------------


def _full_class(students: int, *, forecasts: bool) -> tuple[pd.DataFrame, list[str]]:
    """A summary of every module for ``students`` students, as class_summary returns it."""
    modules = [lesson.id for lesson in find_lessons()]
    roster = class_roster(students, seed=7)
    rng = random.Random(7)
    rows = []
    for student in roster:
        for module in modules:
            if student.profile == "perfect":
                score = 20.0
            elif student.profile == "blank":
                score = 0.0
            else:
                score = round(rng.uniform(0, 20), 2)
            rows.append(
                {
                    "student_id": student.id,
                    "module": module,
                    "score": score,
                    "max_score": 20.0,
                    "percent": round(100 * score / 20, 1),
                }
            )
    grades = pd.DataFrame(rows)
    scores = None
    if forecasts:
        scores = pd.DataFrame(
            {
                "student_id": [s.id for s in roster],
                "locked": 3,
                "scored": 3,
                "brier": [None if s.profile == "blank" else rng.random() for s in roster],
            }
        )
    return class_summary(grades, roster, modules, scores), modules


@pytest.mark.parametrize(("students", "forecasts"), [(12, True), (120, True), (12, False)])
def test_summary_of_every_module_fits_80_columns(students, forecasts):
    """Does a class on every module print in 80 columns with no cell cut short?"""
    summary, modules = _full_class(students, forecasts=forecasts)
    assert len(modules) >= 10
    text = _render(summary, modules)
    _assert_fits(text)
    for student in summary["student_id"]:
        assert f" {student} " in text
    perfect = next(line for line in text.splitlines() if "s01-perfect" in line)
    assert "100%" in perfect and " ".join(["++"] * len(modules)) in perfect
    blank = next(line for line in text.splitlines() if "s02-blank" in line)
    assert " 0% " in blank and " ".join(["00"] * len(modules)) in blank


def test_module_cells_never_round_up_to_full_marks():
    """Is 99.96% shown as 99, 100% as ++ and a missing score as --?"""
    roster = class_roster(3, seed=1)
    grades = pd.DataFrame(
        [
            {
                "student_id": "s01-perfect",
                "module": "00-a",
                "score": 10.0,
                "max_score": 10.0,
                "percent": 100.0,
            },
            {
                "student_id": "s02-blank",
                "module": "00-a",
                "score": 0.0,
                "max_score": 10.0,
                "percent": 0.0,
            },
            {
                "student_id": "s03",
                "module": "00-a",
                "score": 9.996,
                "max_score": 10.0,
                "percent": 99.96,
            },
            {
                "student_id": "s03",
                "module": "01-b",
                "score": None,
                "max_score": 10.0,
                "percent": None,
            },
        ]
    )
    summary = class_summary(grades, roster, ["00-a", "01-b"])
    text = _render(summary, ["00-a", "01-b"])
    _assert_fits(text)
    row = next(line for line in text.splitlines() if " s03 " in line)
    assert "99 --" in row and "++" not in row
    assert "++ --" in next(line for line in text.splitlines() if "s01-perfect" in line)


def test_problem_lines_count_each_kind_and_name_the_students(tmp_path):
    """Do the problem lines count problems.csv by kind, and say nothing when it is empty?"""
    path = tmp_path / "problems.csv"
    pd.DataFrame(columns=PROBLEM_COLUMNS).to_csv(path, index=False)
    assert problem_lines(path) == []
    assert problem_lines(tmp_path / "absent.csv") == []
    assert problem_lines(None) == []
    rows = [
        ("s02", "00-a", "no-answers-file"),
        ("s02", "01-b", "no-answers-file"),
        *[(f"s{i:02d}", "00-a", "sandbox") for i in range(10, 18)],
        ("", "", "export-shrank"),
    ]
    pd.DataFrame(
        [
            {"student_id": s, "module": m, "kind": k, "problem": "p", "what_to_do": "w"}
            for s, m, k in rows
        ],
        columns=PROBLEM_COLUMNS,
    ).to_csv(path, index=False)
    lines = problem_lines(path)
    assert lines[0] == f"11 problem(s) listed in {path}:"
    assert lines[1:] == [
        "  export-shrank: 1 (not tied to a student)",
        "  no-answers-file: 2 (s02)",
        "  sandbox: 8 (s10, s11, s12, s13, s14, s15 and 2 more)",
    ]
