"""The grader's snapshot of a submission's answers: read-only, frozen per collected submission."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from course.answers import MAX_BYTES, answers_filename, record_answer
from course.grading.snapshot import snapshot_dir, take_snapshot

STUDENT = "jdoe"
MODULE = "01-close-reading"


def _tree_state(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder``: its sha256 and mtime."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def course(tmp_path) -> tuple[Path, Path]:
    """A course root and a collected submission folder with a timestamp and an answers file."""
    root = tmp_path / "course"
    submitted = root / "submitted" / STUDENT / MODULE
    submitted.mkdir(parents=True)
    (submitted / "timestamp.txt").write_text("2026-11-24 10:00:00.000000 UTC\n", encoding="utf-8")
    (submitted / f"{MODULE}.ipynb").write_text("{}", encoding="utf-8")
    return root, submitted


def _snap(root: Path, submitted: Path, **kwargs):
    return take_snapshot(root, submitted, STUDENT, MODULE, MODULE, **kwargs)


def test_snapshot_copies_answers_without_modifying_submitted(course):
    """Does the snapshot hold the submitted answers, stored under grading/, with submitted/ untouched?"""
    root, submitted = course
    record_answer(MODULE, "m-single", "b", kind="single_choice", folder=submitted)
    before = _tree_state(submitted)

    snap = _snap(root, submitted)

    assert _tree_state(submitted) == before
    assert snap.exists and not snap.unreadable and not snap.reused
    assert snap.answers["m-single"]["value"] == "b"
    assert snap.problems == []
    stored = snapshot_dir(root, STUDENT, MODULE) / answers_filename(MODULE).lstrip(".")
    assert stored.read_bytes() == (submitted / answers_filename(MODULE)).read_bytes()


def test_snapshot_is_reused_when_timestamp_unchanged_even_if_submitted_was_rewritten(course):
    """If submitted/ is rewritten but timestamp.txt is the same, are the first answers scored and the change reported?"""
    root, submitted = course
    record_answer(MODULE, "m-single", "a", kind="single_choice", folder=submitted)
    _snap(root, submitted)
    # Student code run during the first grading rewrote the file in submitted/.
    record_answer(MODULE, "m-single", "b", kind="single_choice", folder=submitted)

    snap = _snap(root, submitted)

    assert snap.reused
    assert snap.answers["m-single"]["value"] == "a"
    assert any("changed after it was first graded" in p for p in snap.problems)


def test_reused_snapshot_reports_nothing_when_submitted_is_unchanged(course):
    """Is a second run on an unchanged submission reused silently?"""
    root, submitted = course
    record_answer(MODULE, "m-single", "a", kind="single_choice", folder=submitted)
    _snap(root, submitted)

    snap = _snap(root, submitted)

    assert snap.reused and snap.problems == []
    assert snap.answers["m-single"]["value"] == "a"


def test_snapshot_refreshes_when_timestamp_changes(course):
    """After a new collection (new timestamp.txt), are the new answers taken?"""
    root, submitted = course
    record_answer(MODULE, "m-single", "a", kind="single_choice", folder=submitted)
    _snap(root, submitted)
    record_answer(MODULE, "m-single", "b", kind="single_choice", folder=submitted)
    (submitted / "timestamp.txt").write_text("2026-11-25 09:00:00.000000 UTC\n", encoding="utf-8")

    snap = _snap(root, submitted)

    assert not snap.reused
    assert snap.answers["m-single"]["value"] == "b"
    assert snap.problems == []


def test_refresh_flag_takes_a_new_copy(course):
    """Does refresh=True take a new copy even when timestamp.txt is unchanged?"""
    root, submitted = course
    record_answer(MODULE, "m-single", "a", kind="single_choice", folder=submitted)
    _snap(root, submitted)
    record_answer(MODULE, "m-single", "b", kind="single_choice", folder=submitted)

    snap = _snap(root, submitted, refresh=True)

    assert not snap.reused
    assert snap.answers["m-single"]["value"] == "b"


def test_without_timestamp_every_run_takes_a_new_copy(course):
    """With no timestamp.txt to tie a copy to, is a stored copy never reused?"""
    root, submitted = course
    (submitted / "timestamp.txt").unlink()
    record_answer(MODULE, "m-single", "a", kind="single_choice", folder=submitted)
    _snap(root, submitted)
    record_answer(MODULE, "m-single", "b", kind="single_choice", folder=submitted)

    snap = _snap(root, submitted)

    assert not snap.reused
    assert snap.answers["m-single"]["value"] == "b"


def test_missing_answers_file_means_no_answers_not_unreadable(course):
    """Is a submission without an answers file scored as unanswered, with no error?"""
    root, submitted = course

    snap = _snap(root, submitted)

    assert snap.answers == {}
    assert not snap.exists and not snap.unreadable
    assert snap.problems == []


def test_huge_answers_file_is_unreadable_with_a_clear_message(course):
    """Is a file over MAX_BYTES refused (not copied) with a message giving its size and the limit?"""
    root, submitted = course
    (submitted / answers_filename(MODULE)).write_bytes(b" " * (MAX_BYTES + 10))
    before = _tree_state(submitted)

    snap = _snap(root, submitted)

    assert snap.exists and snap.unreadable and snap.answers == {}
    assert any(
        f"{MAX_BYTES + 10:,} bytes" in p and "2,000,000-byte limit" in p for p in snap.problems
    )
    assert not (snapshot_dir(root, STUDENT, MODULE) / answers_filename(MODULE).lstrip(".")).exists()
    assert _tree_state(submitted) == before


def test_corrupt_answers_file_is_unreadable_and_says_json(course):
    """Is a file that is not JSON reported unreadable, the problem naming JSON, submitted/ untouched?"""
    root, submitted = course
    (submitted / answers_filename(MODULE)).write_bytes(b'{"format": "claims-and-evidence/answ')
    before = _tree_state(submitted)

    snap = _snap(root, submitted)

    assert snap.exists and snap.unreadable and snap.answers == {}
    assert any("JSON" in p for p in snap.problems)
    assert _tree_state(submitted) == before


def test_snapshot_with_one_bad_record_keeps_the_good_ones(course):
    """Are valid records scored and the invalid one reported, without the file counting as unreadable?"""
    root, submitted = course
    record_answer(MODULE, "m-single", "a", kind="single_choice", folder=submitted)
    path = submitted / answers_filename(MODULE)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["answers"]["m-bad"] = {"kind": "single_choice", "saved_at": "2026-11-24T10:00:00.000Z"}
    path.write_text(json.dumps(data), encoding="utf-8")

    snap = _snap(root, submitted)

    assert not snap.unreadable
    assert list(snap.answers) == ["m-single"]
    assert any("m-bad" in p and "no value" in p for p in snap.problems)


def test_snapshot_to_dict_is_json_ready(course):
    """Can a snapshot be written as JSON with its answers and problems?"""
    root, submitted = course
    record_answer(MODULE, "m-single", "a", kind="single_choice", folder=submitted)

    data = json.loads(json.dumps(_snap(root, submitted).to_dict()))

    assert data["student"] == STUDENT and data["answers"]["m-single"]["value"] == "a"
