"""The key manifest, and everything that decides a score frozen before student code runs.

Unit tests of :mod:`course.grading.manifest`, the course's preprocessors run
for real on a course folder (``SnapshotAnswers`` freezes the key and the specs;
``ScoreAnswers`` and ``InsertRubrics`` never read them again), the ``course
keys`` and ``course grade`` commands through Typer's CliRunner, and one real
nbgrader run in which a student's code rewrites the key and its own snapshot.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell
from nbgrader.coursedir import CourseDirectory
from typer.testing import CliRunner

from course.answers import record_answer
from course.cli import app
from course.coursefolder import init_course
from course.grading.context import load_module_key, parse_key, source_specs
from course.grading.manifest import (
    MANIFEST_FORMAT,
    KeyManifestError,
    KeyState,
    key_states,
    manifest_path,
    read_manifest,
    update_manifest,
    verified_key,
    verify_keys,
    write_keys,
)
from course.grading.preprocessors import InsertRubrics, ScoreAnswers, SnapshotAnswers
from course.keys import KeyFileError, load_key

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
MODULE = "90-fixture"
STUDENT = "jdoe"
runner = CliRunner()


def _flat(text: str) -> str:
    """The text without any whitespace, so that words wrapped by the console still match."""
    return "".join(text.split())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _edit_keeping_mtime(path: Path, old: str, new: str) -> None:
    """Edit a file by hand, then put its modification time back."""
    info = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


@pytest.fixture
def course(tmp_path) -> Path:
    """A course folder with the fixture module (not released; no nbgrader needed)."""
    folder = tmp_path / "course"
    init_course(folder, lessons_dir=FIXTURES / "lessons", keys_dir=FIXTURES / "keys")
    return folder


def _key(course: Path) -> Path:
    return course / "autograde" / "keys" / f"{MODULE}.yaml"


# --- the manifest -------------------------------------------------------------------------


def test_init_writes_a_manifest_of_the_keys_it_copied(course):
    """Does `course init` record each copied key's SHA-256 and size, and who wrote it when?"""
    data = json.loads((course / "autograde" / "keys.manifest.json").read_text(encoding="utf-8"))

    assert data["format"] == MANIFEST_FORMAT and data["version"] == 1
    assert data["written_by"].startswith("course init") and data["written_at"]
    entry = data["keys"][f"{MODULE}.yaml"]
    fixture = FIXTURES / "keys" / f"{MODULE}.yaml"
    assert entry["sha256"] == _sha(fixture) and entry["size"] == fixture.stat().st_size
    assert entry["recorded_by"].startswith("course init") and entry["recorded_at"]
    assert _key(course).read_bytes() == fixture.read_bytes()


def test_manifest_sits_beside_the_key_folder(course):
    """Is the manifest outside autograde/keys/, so no glob of keys picks it up?"""
    assert (
        manifest_path(course / "autograde" / "keys") == course / "autograde" / "keys.manifest.json"
    )
    assert not list((course / "autograde" / "keys").glob("*.json"))


def test_states_unchanged_changed_new_deleted_and_missing_manifest(course):
    """Does each key get the right state, an edit that keeps the mtime included?"""
    keys_dir = course / "autograde" / "keys"
    (keys_dir / "91-extra.yaml").write_text("module: 91-extra\nitems: {}\n", encoding="utf-8")
    write_keys(keys_dir, {"92-gone.yaml": b"module: 92-gone\nitems: {}\n"}, by="test")
    (keys_dir / "92-gone.yaml").unlink()
    assert {s.module: s.state for s in key_states(keys_dir)} == {
        MODULE: KeyState.UNCHANGED,
        "91-extra": KeyState.NEW,
        "92-gone": KeyState.DELETED,
    }

    _edit_keeping_mtime(_key(course), "answer: b", "answer: a")
    assert {s.module: s.state for s in key_states(keys_dir, [MODULE])} == {MODULE: KeyState.CHANGED}

    manifest_path(keys_dir).unlink()
    states = {s.module: s.state for s in key_states(keys_dir)}
    assert states == {MODULE: KeyState.UNRECORDED, "91-extra": KeyState.UNRECORDED}
    assert KeyState.UNRECORDED.value == "missing from manifest"


def test_verify_refuses_a_changed_key_naming_the_file_and_the_fix(course):
    """Does verify_keys stop on an edited key, naming the file, --update and --force?"""
    _edit_keeping_mtime(_key(course), "answer: b", "answer: a")

    with pytest.raises(KeyManifestError) as caught:
        verify_keys(course, [MODULE])

    message = str(caught.value)
    assert str(_key(course)) in caught.value.problem
    assert "Nobody was graded" in caught.value.problem
    assert f"course keys {course} --update {MODULE}" in caught.value.hint
    assert f"course grade {course} --force" in caught.value.hint
    assert "What to do:" in message


def test_update_records_an_edit_and_then_verify_passes(course):
    """After --update, does the edited key pass, with the change reported?"""
    keys_dir = course / "autograde" / "keys"
    _edit_keeping_mtime(_key(course), "answer: b", "answer: a")

    before = update_manifest(keys_dir, [MODULE])

    assert [(s.module, s.state) for s in before] == [(MODULE, KeyState.CHANGED)]
    verify_keys(course, [MODULE])
    entry = read_manifest(keys_dir).keys[f"{MODULE}.yaml"]
    assert entry.sha256 == _sha(_key(course)) and entry.recorded_by.startswith("course keys")


def test_update_of_an_unknown_module_names_the_known_keys(course):
    """Does --update with a module that has no key say which keys exist?"""
    with pytest.raises(KeyManifestError) as caught:
        update_manifest(course / "autograde" / "keys", ["99-nope"])
    assert "99-nope.yaml" in caught.value.problem and MODULE in caught.value.hint


def test_update_drops_a_deleted_key(course):
    """Is a deleted key removed from the manifest by --update?"""
    keys_dir = course / "autograde" / "keys"
    _key(course).unlink()

    before = update_manifest(keys_dir)

    assert [s.state for s in before] == [KeyState.DELETED]
    assert read_manifest(keys_dir).keys == {}


def test_without_a_manifest_grading_is_refused_with_the_fix(course):
    """Is a course folder without a manifest refused, telling the instructor to run --update?"""
    manifest_path(course / "autograde" / "keys").unlink()

    with pytest.raises(KeyManifestError) as caught:
        verify_keys(course, [MODULE])

    assert "no key manifest" in caught.value.problem
    assert f"course keys {course} --update" in caught.value.hint


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 100_000,  # RecursionError in the JSON parser
        b'{"format": "claims-and-evidence/keys-manifest", "version": 1, "keys": {"a.yaml": '
        b'{"sha256": "' + b"0" * 64 + b'", "size": ' + b"9" * 5000 + b"}}}",  # huge int
        b'{"format": "claims-and-evidence/keys-manifest", "version": 1, "keys": {"a.yaml": '
        b'{"sha256": "' + b"0" * 64 + b'", "size": 10000000000000000000000}}}',
        b'{"format": "something-else", "version": 1, "keys": {}}',
        b"\xff\xfe not text",
    ],
)
def test_an_unusable_manifest_is_refused_never_crashes(course, payload):
    """Does a damaged manifest give a KeyManifestError (not RecursionError/ValueError)?"""
    manifest_path(course / "autograde" / "keys").write_bytes(payload)

    with pytest.raises(KeyManifestError) as caught:
        verify_keys(course, [MODULE])

    assert "keys.manifest.json" in caught.value.problem
    assert "--update" in caught.value.hint


def test_verified_key_returns_the_checked_bytes(course):
    """Does verified_key return the very bytes whose hash the manifest holds?"""
    frozen = verified_key(course, course / "autograde" / "keys", MODULE)

    assert frozen.data == _key(course).read_bytes()
    assert (
        frozen.sha256 == read_manifest(course / "autograde" / "keys").keys[f"{MODULE}.yaml"].sha256
    )
    assert verified_key(course, course / "autograde" / "keys", "91-nokey").data is None


def test_verified_key_refuses_a_key_that_is_not_a_regular_file(course):
    """Is a FIFO in place of the key refused at once, rather than blocking grading?"""
    _key(course).unlink()
    os.mkfifo(_key(course))

    with pytest.raises(KeyManifestError) as caught:
        verified_key(course, course / "autograde" / "keys", MODULE)
    assert str(_key(course)) in caught.value.problem


# --- key parsing from bytes ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [*sorted((ROOT / "autograde" / "keys").glob("*.yaml")), FIXTURES / "keys" / f"{MODULE}.yaml"],
    ids=lambda p: p.name,
)
def test_parse_key_from_bytes_equals_load_key(path):
    """Does parsing a key's bytes give exactly what course.keys.load_key gives?"""
    assert parse_key(path.read_bytes(), path) == load_key(path)


@pytest.mark.parametrize(
    "text",
    [
        "module: 90-fixture\nitems: {f-single: {answer: b, typo: 1}}\n",
        "module: other\nitems: {}\n",
        "just a string\n",
        "module: 90-fixture\nitems: [1, 2]\n",
        "module: 90-fixture\nitems: {f: {answer: [}\n",
    ],
)
def test_parse_key_refuses_what_load_key_refuses(tmp_path, text):
    """Does a malformed key raise the same KeyFileError from bytes as from the file?"""
    path = tmp_path / f"{MODULE}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KeyFileError) as from_file:
        load_key(path)
    with pytest.raises(KeyFileError) as from_bytes:
        parse_key(path.read_bytes(), path)
    assert str(from_bytes.value) == str(from_file.value)


def test_a_key_edit_that_keeps_the_mtime_is_seen(course):
    """Is an edit that keeps the key's modification time read (no (path, mtime) cache)?"""
    keys_dir = course / "autograde" / "keys"
    assert load_module_key(keys_dir, MODULE).items["f-single"].answer == "b"

    _edit_keeping_mtime(_key(course), "answer: b", "answer: c")

    assert load_module_key(keys_dir, MODULE).items["f-single"].answer == "c"


def test_a_source_edit_that_keeps_the_mtime_is_seen(course):
    """Are item specs read from the source's bytes, not cached by name and mtime?"""
    source = course / "source" / MODULE / f"{MODULE}.ipynb"
    assert source_specs(source)["f-single"].points == 1.0
    nb = nbformat.read(source, as_version=4)
    info = source.stat()
    for cell in nb.cells:
        if "f-single" in cell.source and "points=1" in cell.source:
            cell.source = cell.source.replace("points=1", "points=4", 1)
            break
    else:
        pytest.fail("the fixture's f-single item cell was not found")
    nbformat.write(nb, source)
    os.utime(source, ns=(info.st_atime_ns, info.st_mtime_ns))

    assert source_specs(source)["f-single"].points == 4.0


# --- the preprocessors, run for real without a kernel -------------------------------------


def _submit(course: Path, answers: dict[str, tuple[object, str]]) -> Path:
    folder = course / "submitted" / STUDENT / MODULE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "timestamp.txt").write_text("2026-11-24 10:00:00.000000 UTC\n", encoding="utf-8")
    for item_id, (value, kind) in answers.items():
        record_answer(MODULE, item_id, value, kind=kind, folder=folder)
    return folder


def _step(cls, course: Path):
    step = cls()
    step.coursedir = CourseDirectory(root=str(course))
    return step


def _resources() -> dict:
    return {"nbgrader": {"student": STUDENT, "assignment": MODULE, "notebook": MODULE}}


def _grade_cell_scores(nb) -> dict[str, float]:
    scores = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            result = [o for o in cell.outputs if o.output_type == "execute_result"]
            scores[meta["grade_id"]] = float(result[0]["data"]["text/plain"])
    return scores


def _source_nb(course: Path):
    return nbformat.read(course / "source" / MODULE / f"{MODULE}.ipynb", as_version=4)


def test_score_uses_the_key_frozen_before_the_kernel(course):
    """If the key is rewritten after SnapshotAnswers (as by a kernel), is the frozen key scored?"""
    _submit(
        course, {"f-single": ("b", "single_choice"), "f-order": (["p10", "p9", "p8"], "ordering")}
    )
    nb, resources = _step(SnapshotAnswers, course).preprocess(_source_nb(course), _resources())
    frozen = resources["course"]
    assert frozen["key_sha256"] == _sha(_key(course))
    assert set(frozen["specs"]) >= {"f-single", "f-order"}

    # What student code could do while its kernel runs: make every answer right.
    _key(course).write_text(
        _key(course).read_text(encoding="utf-8").replace("answer: [p8, p9, p10]",
                                                         "answer: [p10, p9, p8]"),
        encoding="utf-8",
    )  # fmt: skip
    nb, resources = _step(ScoreAnswers, course).preprocess(nb, resources)
    nb, resources = _step(InsertRubrics, course).preprocess(nb, resources)

    scores = _grade_cell_scores(nb)
    assert scores["f-single"] == 1.0 and scores["f-order"] == 0.0
    assert sum(scores.values()) == 1.0
    assert any("Rubric for f-written" in c.source for c in nb.cells)


def test_snapshot_step_refuses_a_changed_key_before_the_kernel(course):
    """Does SnapshotAnswers (nbgrader autograde used directly) refuse a key that was edited?"""
    _submit(course, {"f-single": ("b", "single_choice")})
    _edit_keeping_mtime(_key(course), "answer: b", "answer: a")

    with pytest.raises(KeyManifestError) as caught:
        _step(SnapshotAnswers, course).preprocess(_source_nb(course), _resources())

    message = str(caught.value)
    assert f"autograde/keys/{MODULE}.yaml" in message and "Not graded" in message
    assert f"course keys {course}" in message and f"--update {MODULE}" in message
    # The batch report keeps the last 300 characters of the exception's line in nbgrader's log.
    line = f"course.grading.manifest.KeyManifestError: {message}"
    assert f"keys/{MODULE}.yaml" in line[-300:]


def test_without_the_snapshot_step_every_grade_cell_scores_zero(course):
    """If SnapshotAnswers did not run, does ScoreAnswers score 0 without reading the key?"""
    _submit(course, {"f-single": ("b", "single_choice")})
    nb = _source_nb(course)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            cell.outputs = [  # what a kernel could leave: no error, so full credit in nbgrader
                nbformat.v4.new_output("execute_result", data={"text/plain": "99.0"})
            ]

    nb, resources = _step(ScoreAnswers, course).preprocess(nb, _resources())
    nb, resources = _step(InsertRubrics, course).preprocess(nb, resources)

    scores = _grade_cell_scores(nb)
    assert scores and set(scores.values()) == {0.0}
    assert any("no answers snapshot" in p for p in resources["course"]["problems"])
    assert not any("Rubric for" in c.source for c in nb.cells)


# --- the commands -------------------------------------------------------------------------


def _init(tmp_path) -> Path:
    folder = tmp_path / "c"
    result = runner.invoke(
        app,
        ["init", str(folder), "--lessons", str(FIXTURES / "lessons"), "--keys", str(FIXTURES / "keys")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder


def _fake_submission(course: Path) -> None:
    """A collected submission; enough for `course grade` to have someone to grade."""
    folder = _submit(course, {"f-single": ("b", "single_choice")})
    source = course / "source" / MODULE / f"{MODULE}.ipynb"
    (folder / f"{MODULE}.ipynb").write_bytes(source.read_bytes())


def _untouched(course: Path) -> set[str]:
    return {str(p.relative_to(course)) for p in course.rglob("*")}


def test_cli_keys_shows_each_state(tmp_path):
    """Does `course keys DIR` list unchanged keys, then a changed one with exit 1?"""
    course = _init(tmp_path)
    result = runner.invoke(app, ["keys", str(course)])
    assert result.exit_code == 0, result.output
    assert MODULE in result.output and "unchanged" in result.output

    _edit_keeping_mtime(_key(course), "answer: b", "answer: a")
    (course / "autograde" / "keys" / "91-extra.yaml").write_text("module: 91-extra\n")
    result = runner.invoke(app, ["keys", str(course)])
    assert result.exit_code == 1
    assert "changed" in result.output and "new" in result.output
    assert "--update" in _flat(result.output)


def test_cli_grade_stops_on_a_changed_key_before_grading_anyone(tmp_path):
    """Does `course grade` exit 1 naming the key file, with nothing graded or written?"""
    course = _init(tmp_path)
    _fake_submission(course)
    _edit_keeping_mtime(_key(course), "answer: b", "answer: a")
    before = _untouched(course)

    result = runner.invoke(app, ["grade", str(course)])

    assert result.exit_code == 1
    flat = _flat(result.output)
    assert f"{MODULE}.yaml" in flat and "waschanged" in flat
    assert "Nobodywasgraded" in flat and "--update" in flat and "--force" in flat
    assert _untouched(course) == before  # no gradebook, autograded/, grading/ or exports/
    assert not (course / "gradebook.db").exists()


def test_cli_grade_refuses_a_folder_without_a_manifest(tmp_path):
    """Is a course folder made before manifests refused, with `course keys DIR --update`?"""
    course = _init(tmp_path)
    _fake_submission(course)
    manifest_path(course / "autograde" / "keys").unlink()

    result = runner.invoke(app, ["grade", str(course)])

    assert result.exit_code == 1
    flat = _flat(result.output)
    assert "nokeymanifest" in flat and "coursekeys" in flat and "--update" in flat
    shown = runner.invoke(app, ["keys", str(course)])
    assert shown.exit_code == 1 and "missing from manifest" in shown.output


def test_cli_keys_update_reports_the_change_and_the_regrade(tmp_path):
    """Does --update say what changed and that `course grade DIR --force` re-scores?"""
    course = _init(tmp_path)
    _edit_keeping_mtime(_key(course), "answer: b", "answer: a")

    result = runner.invoke(app, ["keys", str(course), "--update", MODULE])

    assert result.exit_code == 0, result.output
    flat = _flat(result.output)
    assert f"{MODULE}:changed" in flat and "--force" in flat
    assert runner.invoke(app, ["keys", str(course)]).exit_code == 0
    verify_keys(course, [MODULE])


def test_cli_keys_update_of_an_unknown_module_fails_clearly(tmp_path):
    """Does --update with a module without a key exit 1 and list the keys that exist?"""
    course = _init(tmp_path)
    result = runner.invoke(app, ["keys", str(course), "--update", "99-nope"])
    assert result.exit_code == 1
    assert "99-nope.yaml" in _flat(result.output) and MODULE in result.output


def test_cli_keys_outside_a_course_folder_says_what_to_do(tmp_path):
    """Does `course keys` on a plain folder point at `course init`?"""
    result = runner.invoke(app, ["keys", str(tmp_path)])
    assert result.exit_code == 1 and "course init" in result.output


# --- real nbgrader ------------------------------------------------------------------------

FORGE = """\
import json, pathlib, yaml
key = pathlib.Path('../../../autograde/keys/90-fixture.yaml')
data = yaml.safe_load(key.read_text())
for item in data['items'].values():
    item['completion'] = True
data['items']['f-order']['answer'] = ['p10', 'p9', 'p8']
key.write_text(yaml.safe_dump(data))
copy = pathlib.Path('../../../grading/snapshots/{student}/90-fixture/90-fixture.answers.json')
answers = json.loads(copy.read_text())
order = answers['answers']['f-order']
order['value'] = ['p8', 'p9', 'p10']
answers['answers']['f-num'] = dict(order, value=225, kind='numeric')
answers['answers']['f-computed'] = dict(order, value=225, kind='computed')
copy.write_text(json.dumps(answers))
"""


@pytest.mark.nbgrader
@pytest.mark.slow
def test_student_code_that_rewrites_the_key_and_its_snapshot_gains_nothing(tmp_path):
    """A student's cell rewrites the key and its own stored snapshot during grading: does it
    score exactly its honest answers, and does the next run stop on the changed key?"""
    from course.gradebatch import grade_course
    from course.grading.snapshot import TAKEN_AGAIN, snapshot_dir
    from course.release import release_modules
    from course.simulate import SimStudent, submit_student

    course = tmp_path / "course"
    init_course(course, lessons_dir=FIXTURES / "lessons", keys_dir=FIXTURES / "keys", timeout=30)
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as fh:
        # Without isolation, so the kernel really can write to the course folder: this test
        # shows what the grader itself guarantees.
        fh.write('\nc.GuardedExecute.sandbox = "none"\n')
    release_modules(course, [MODULE])
    key_bytes = _key(course).read_bytes()
    student = "adv-forge"
    folder = submit_student(
        course,
        MODULE,
        SimStudent(student, "blank", 0),
        load_key(_key(course)),
        answers={"f-single": "b", "f-order": ["p10", "p9", "p8"]},
    )
    nb = nbformat.read(folder / f"{MODULE}.ipynb", as_version=4)
    nb.cells.insert(3, new_code_cell(FORGE.replace("{student}", student)))
    nbformat.write(nb, folder / f"{MODULE}.ipynb")
    copy = snapshot_dir(course, student, MODULE) / f"{MODULE}.answers.json"

    report = grade_course(course, [MODULE], feedback=False, jobs=1)

    grades = pd.read_csv(report.exports["grades"]).set_index("student_id")
    assert report.ungraded == 0
    assert float(grades.loc[student, "score"]) == 1.0  # f-single only, as answered
    assert _key(course).read_bytes() != key_bytes, "the student's cell did not run"
    assert json.loads(copy.read_text())["answers"]["f-order"]["value"] == ["p8", "p9", "p10"]

    with pytest.raises(KeyManifestError) as caught:
        grade_course(course, [MODULE], force=True, feedback=False, jobs=1)
    assert str(_key(course)) in caught.value.problem and "was changed" in caught.value.problem
    assert float(grades.loc[student, "score"]) == 1.0

    # The instructor restores the key; the forged snapshot copy is caught by its held hash.
    _key(course).write_bytes(key_bytes)
    report = grade_course(course, [MODULE], force=True, feedback=False, jobs=1)
    grades = pd.read_csv(report.exports["grades"]).set_index("student_id")
    assert float(grades.loc[student, "score"]) == 1.0
    assert any(TAKEN_AGAIN in p for p in report.problems[student])
