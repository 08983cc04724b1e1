"""The grader's snapshot of a submission's answers: read-only, frozen per collected submission."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from course.answers import MAX_BYTES, answers_filename, record_answer
from course.grading.snapshot import (
    HASH_FORMAT,
    TAKEN_AGAIN,
    hash_path,
    snapshot_dir,
    take_snapshot,
)

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


def test_without_timestamp_a_changed_answers_file_is_taken_again(course):
    """With no timestamp.txt, does a changed answers file get a new copy?"""
    root, submitted = course
    (submitted / "timestamp.txt").unlink()
    record_answer(MODULE, "m-single", "a", kind="single_choice", folder=submitted)
    _snap(root, submitted)
    record_answer(MODULE, "m-single", "b", kind="single_choice", folder=submitted)

    snap = _snap(root, submitted)

    assert not snap.reused
    assert snap.answers["m-single"]["value"] == "b"


def test_without_timestamp_unchanged_bytes_reuse_the_snapshot_untouched(course):
    """With no timestamp.txt but the same bytes, is the snapshot reused, byte for byte?"""
    root, submitted = course
    (submitted / "timestamp.txt").unlink()
    record_answer(MODULE, "m-single", "a", kind="single_choice", folder=submitted)
    _snap(root, submitted)
    store = root / "grading"
    before = {p: p.read_bytes() for p in store.rglob("*") if p.is_file()}

    snap = _snap(root, submitted)

    assert snap.reused and snap.answers["m-single"]["value"] == "a"
    assert {p: p.read_bytes() for p in store.rglob("*") if p.is_file()} == before


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


# --- the hash held outside the snapshot folder --------------------------------------------


def _copy_path(root: Path) -> Path:
    return snapshot_dir(root, STUDENT, MODULE) / answers_filename(MODULE).lstrip(".")


def _meta_path(root: Path) -> Path:
    return snapshot_dir(root, STUDENT, MODULE) / f"{MODULE}.snapshot.json"


def _held_path(root: Path) -> Path:
    return hash_path(root, STUDENT, MODULE, MODULE)


def _first_then_rewritten(root: Path, submitted: Path) -> None:
    """A first snapshot of answer "a"; then submitted/ says "b" (same collection)."""
    record_answer(MODULE, "m-single", "a", kind="single_choice", folder=submitted)
    _snap(root, submitted)
    record_answer(MODULE, "m-single", "b", kind="single_choice", folder=submitted)


def test_snapshot_hash_is_held_outside_the_snapshot_folder(course):
    """Is the SHA-256 of the copy and of its record written under grading/hashes/?"""
    root, submitted = course
    record_answer(MODULE, "m-single", "a", kind="single_choice", folder=submitted)

    _snap(root, submitted)

    held = json.loads(_held_path(root).read_text(encoding="utf-8"))
    assert _held_path(root).is_relative_to(root / "grading" / "hashes")
    assert not _held_path(root).is_relative_to(root / "grading" / "snapshots")
    assert held["format"] == HASH_FORMAT and held["version"] == 1
    assert held["copy_sha256"] == hashlib.sha256(_copy_path(root).read_bytes()).hexdigest()
    assert held["meta_sha256"] == hashlib.sha256(_meta_path(root).read_bytes()).hexdigest()


def test_reused_snapshot_and_hash_are_byte_identical(course):
    """Does a run that reuses a snapshot leave its copy, record and hash untouched?"""
    root, submitted = course
    record_answer(MODULE, "m-single", "a", kind="single_choice", folder=submitted)
    _snap(root, submitted)
    before = {
        **_tree_state(root / "grading" / "snapshots"),
        **_tree_state(root / "grading" / "hashes"),
    }

    snap = _snap(root, submitted)

    assert snap.reused and snap.problems == []
    after = {
        **_tree_state(root / "grading" / "snapshots"),
        **_tree_state(root / "grading" / "hashes"),
    }
    assert after == before


def test_forged_snapshot_copy_is_reported_and_taken_again(course):
    """If the stored copy is rewritten (as by student code), is it retaken from submitted/?"""
    root, submitted = course
    _first_then_rewritten(root, submitted)
    forged = json.loads(_copy_path(root).read_text(encoding="utf-8"))
    forged["answers"]["m-single"]["value"] = "c"
    _copy_path(root).write_text(json.dumps(forged), encoding="utf-8")

    snap = _snap(root, submitted)

    assert not snap.reused
    assert snap.answers["m-single"]["value"] == "b"  # the submission, not the forgery
    assert any(p.startswith(TAKEN_AGAIN) for p in snap.problems)
    again = _snap(root, submitted)  # the retaken snapshot is trusted again
    assert again.reused and again.problems == [] and again.answers["m-single"]["value"] == "b"


def test_forged_snapshot_record_is_reported_and_taken_again(course):
    """If the record is rewritten (say, to match a forged copy), is the snapshot retaken?"""
    root, submitted = course
    _first_then_rewritten(root, submitted)
    meta = json.loads(_meta_path(root).read_text(encoding="utf-8"))
    meta["sha256"] = hashlib.sha256((submitted / answers_filename(MODULE)).read_bytes()).hexdigest()
    _meta_path(root).write_text(json.dumps(meta), encoding="utf-8")

    snap = _snap(root, submitted)

    assert not snap.reused and snap.answers["m-single"]["value"] == "b"
    assert any(TAKEN_AGAIN in p and "record" in p for p in snap.problems)


def test_deleted_hash_is_reported_and_the_snapshot_taken_again(course):
    """With no held hash for a stored snapshot, is it retaken and reported?"""
    root, submitted = course
    _first_then_rewritten(root, submitted)
    _held_path(root).unlink()

    snap = _snap(root, submitted)

    assert not snap.reused and snap.answers["m-single"]["value"] == "b"
    assert any(TAKEN_AGAIN in p for p in snap.problems)
    assert _held_path(root).exists()


def test_deleted_copy_is_reported_and_taken_again(course):
    """If the stored copy is deleted, is the snapshot retaken and reported?"""
    root, submitted = course
    _first_then_rewritten(root, submitted)
    _copy_path(root).unlink()

    snap = _snap(root, submitted)

    assert not snap.reused and snap.answers["m-single"]["value"] == "b"
    assert any(TAKEN_AGAIN in p for p in snap.problems)


@pytest.mark.parametrize("target", ["meta", "hash"])
@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 200_000,  # RecursionError in the JSON parser
        b'{"size": ' + b"9" * 5000 + b"}",  # an int over Python's digit limit
        b'{"submitted_timestamp": "2026-11-24 10:00:00.000000 UTC", "sha256": null, '
        b'"size": 99999999999999999999999999999}',
        b"\xff\xfe\x00 not text",
        b"null",
    ],
    ids=["nested", "huge-int-text", "huge-int", "binary", "null"],
)
def test_corrupt_record_or_hash_never_raises_and_is_retaken(course, target, payload):
    """Does a damaged record or hash file make the snapshot be retaken, never raise?"""
    root, submitted = course
    _first_then_rewritten(root, submitted)
    (_meta_path(root) if target == "meta" else _held_path(root)).write_bytes(payload)

    snap = _snap(root, submitted)

    assert not snap.reused and snap.answers["m-single"]["value"] == "b"
    assert any(TAKEN_AGAIN in p for p in snap.problems)


def test_snapshot_of_an_earlier_collection_without_a_hash_is_replaced_silently(course):
    """A snapshot from before held hashes, of an earlier collection: replaced, no problem?"""
    root, submitted = course
    _first_then_rewritten(root, submitted)
    _held_path(root).unlink()
    (submitted / "timestamp.txt").write_text("2026-11-25 09:00:00.000000 UTC\n", encoding="utf-8")

    snap = _snap(root, submitted)

    assert not snap.reused and snap.problems == [] and snap.answers["m-single"]["value"] == "b"


# --- what the answers file in submitted/ may be -------------------------------------------


def _answers_elsewhere(tmp_path: Path) -> Path:
    """A valid answers file outside the submission (answer "b")."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    record_answer(MODULE, "m-single", "b", kind="single_choice", folder=elsewhere)
    return elsewhere / answers_filename(MODULE)


def _assert_refused(snap, *words: str) -> None:
    assert snap.exists and snap.unreadable and snap.answers == {}
    assert len(snap.problems) == 1, snap.problems
    assert answers_filename(MODULE) in snap.problems[0]
    for word in words:
        assert word in snap.problems[0]


def test_symlinked_answers_file_is_not_followed(course, tmp_path):
    """Is an answers file that is a symbolic link refused, its target never read?"""
    root, submitted = course
    (submitted / answers_filename(MODULE)).symlink_to(_answers_elsewhere(tmp_path))

    snap = _snap(root, submitted)

    _assert_refused(snap, "is a symbolic link; it was not followed")
    assert not _copy_path(root).exists()
    again = _snap(root, submitted)  # reused: still refused, with the same message
    assert again.reused
    _assert_refused(again, "symbolic link")


def test_fifo_answers_file_is_refused_without_blocking(course):
    """Is a named pipe in place of the answers file refused at once (nothing ever writes it)?"""
    root, submitted = course
    os.mkfifo(submitted / answers_filename(MODULE))

    snap = _snap(root, submitted)

    _assert_refused(snap, "named pipe", "not a regular file")


def test_hardlinked_answers_file_is_refused(course, tmp_path):
    """Is an answers file with a second name (a hard link) refused?"""
    root, submitted = course
    os.link(_answers_elsewhere(tmp_path), submitted / answers_filename(MODULE))

    snap = _snap(root, submitted)

    _assert_refused(snap, "2 hard links", "not read")


def test_folder_in_place_of_the_answers_file_is_refused(course):
    """Is a folder named like the answers file refused with a message?"""
    root, submitted = course
    (submitted / answers_filename(MODULE)).mkdir()

    snap = _snap(root, submitted)

    _assert_refused(snap, "folder")


def test_symlinked_snapshot_copy_is_retaken_not_followed(course, tmp_path):
    """If the stored copy is replaced by a link to forged answers, is it retaken?"""
    root, submitted = course
    _first_then_rewritten(root, submitted)
    forged = _answers_elsewhere(tmp_path)
    _copy_path(root).unlink()
    _copy_path(root).symlink_to(forged)

    snap = _snap(root, submitted)

    assert not snap.reused and any(TAKEN_AGAIN in p for p in snap.problems)
    assert not _copy_path(root).is_symlink()
    assert forged.exists()  # the link's target was neither followed nor removed
