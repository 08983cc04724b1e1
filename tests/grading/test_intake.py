"""Taking a submission in: regular files copied, everything else refused and named."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from course.grading import intake as intake_mod
from course.grading.intake import (
    INTAKE_DIRECTORY,
    intake_report_path,
    intake_submission,
    read_intake_report,
)

MODULE = "01-x"
BLANK = nbformat.writes(new_notebook(cells=[new_markdown_cell("blank release")]))


def _notebook(text: str) -> str:
    return nbformat.writes(new_notebook(cells=[new_markdown_cell(text)]))


@pytest.fixture
def course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    (root / "release" / MODULE).mkdir(parents=True)
    (root / "release" / MODULE / f"{MODULE}.ipynb").write_text(BLANK)
    for student in ("alice", "bob"):
        folder = root / "submitted" / student / MODULE
        folder.mkdir(parents=True)
        (folder / f"{MODULE}.ipynb").write_text(_notebook(f"by {student}"))
        (folder / f".{MODULE}.answers.json").write_text(f'{{"answers": "{student}"}}')
        (folder / "timestamp.txt").write_text("2026-12-01 10:00:00 UTC")
    return root


def _snapshot(root: Path) -> dict[str, tuple]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = os.lstat(path)
            kind = stat.S_IFMT(st.st_mode)
            data = path.read_bytes() if stat.S_ISREG(st.st_mode) else None
            link = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
            out[str(path.relative_to(root))] = (kind, data, link)
    return out


def _dest(course: Path, student: str = "alice") -> Path:
    return course / INTAKE_DIRECTORY / student / MODULE


def test_regular_files_are_copied_with_their_hashes(course):
    """Is an ordinary submission copied whole, with a SHA-256 for each file?"""
    result = intake_submission(course, "alice", MODULE)
    dest = _dest(course)
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        [f"{MODULE}.ipynb", f".{MODULE}.answers.json", "timestamp.txt"]
    )
    assert result.refused == [] and result.problems == []
    assert len(result.copied) == 3 and all(len(h) == 64 for h in result.copied.values())
    assert read_intake_report(course, "alice", MODULE)["problems"] == []


def test_symlinked_answers_file_is_refused_not_followed(course):
    """Is a link to a classmate's answers file refused and named, never read?"""
    folder = course / "submitted" / "alice" / MODULE
    (folder / f".{MODULE}.answers.json").unlink()
    os.symlink(f"../../bob/{MODULE}/.{MODULE}.answers.json", folder / f".{MODULE}.answers.json")
    result = intake_submission(course, "alice", MODULE)
    assert not (_dest(course) / f".{MODULE}.answers.json").exists()
    assert any(
        r.path == f".{MODULE}.answers.json" and "symbolic link" in r.reason for r in result.refused
    )
    assert "answers.json" in " ".join(result.problems)


def test_hard_link_to_a_file_outside_the_submission_is_refused(course):
    """Is a hard link to a classmate's file refused, while two links inside are fine?"""
    folder = course / "submitted" / "alice" / MODULE
    (folder / f".{MODULE}.answers.json").unlink()
    os.link(course / "submitted" / "bob" / MODULE / f".{MODULE}.answers.json",
            folder / f".{MODULE}.answers.json")  # fmt: skip
    os.link(folder / "timestamp.txt", folder / "copy-of-timestamp.txt")
    result = intake_submission(course, "alice", MODULE)
    reasons = {r.path: r.reason for r in result.refused}
    assert "hard link" in reasons[f".{MODULE}.answers.json"]
    assert (
        f"also submitted as submitted/bob/{MODULE}/.{MODULE}.answers.json"
        in (reasons[f".{MODULE}.answers.json"])
    )
    assert "timestamp.txt" in result.copied and "copy-of-timestamp.txt" in result.copied
    # The same file cannot be credited to either student: bob's name for it is refused too.
    bob = intake_submission(course, "bob", MODULE)
    assert "hard link" in {r.path: r.reason for r in bob.refused}[f".{MODULE}.answers.json"]


def test_fifo_socket_and_device_are_refused_without_blocking(course):
    """Are a named pipe, a socket and a device file refused (a FIFO would block a reader)?"""
    import socket

    folder = course / "submitted" / "alice" / MODULE
    os.mkfifo(folder / "data.csv")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "s.sock"))
    try:
        os.mknod(folder / "zero.bin", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
        device = True
    except PermissionError:
        device = False
    try:
        result = intake_submission(course, "alice", MODULE)
    finally:
        sock.close()
    reasons = {r.path: r.reason for r in result.refused}
    assert "named pipe" in reasons["data.csv"]
    assert "socket" in reasons["s.sock"]
    if device:
        assert "device file" in reasons["zero.bin"]


def test_refused_notebook_is_replaced_by_the_blank_release(course):
    """Is a notebook that is a link graded as the released blank one, and said so?"""
    folder = course / "submitted" / "alice" / MODULE
    (folder / f"{MODULE}.ipynb").unlink()
    os.symlink(f"../../bob/{MODULE}/{MODULE}.ipynb", folder / f"{MODULE}.ipynb")
    result = intake_submission(course, "alice", MODULE)
    assert (_dest(course) / f"{MODULE}.ipynb").read_text() == BLANK
    assert result.blank_notebooks == [MODULE]
    assert any("blank" in p for p in result.problems)


def test_linked_module_folder_is_refused_whole(course):
    """Is a module folder that links to a classmate's refused, and graded blank?"""
    folder = course / "submitted" / "alice" / MODULE
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    os.symlink(f"../bob/{MODULE}", folder)
    result = intake_submission(course, "alice", MODULE)
    assert sorted(p.name for p in _dest(course).iterdir()) == [f"{MODULE}.ipynb"]
    assert (_dest(course) / f"{MODULE}.ipynb").read_text() == BLANK
    assert "symbolic link" in " ".join(result.problems)


def test_linked_student_folder_is_refused_whole(course):
    """Is a student folder that is a link (to another student) refused?"""
    import shutil

    shutil.rmtree(course / "submitted" / "alice")
    os.symlink("bob", course / "submitted" / "alice")
    result = intake_submission(course, "alice", MODULE)
    assert "symbolic link" in " ".join(result.problems)
    assert not (_dest(course) / f".{MODULE}.answers.json").exists()


def test_subfolder_link_out_of_the_submission_is_not_followed(course, tmp_path):
    """Is a sub-folder link (to the keys, say) refused, and its target never copied?"""
    secret = tmp_path / "keys"
    secret.mkdir()
    (secret / "key.yaml").write_text("secret")
    folder = course / "submitted" / "alice" / MODULE
    os.symlink(secret, folder / "data")
    result = intake_submission(course, "alice", MODULE)
    assert not (_dest(course) / "data").exists()
    assert any(r.path == "data" for r in result.refused)


def test_deep_nesting_and_too_many_files_are_refused(course, monkeypatch):
    """Are folders nested past the limit and files past the count limit refused, not read?"""
    folder = course / "submitted" / "alice" / MODULE
    deep = folder
    for i in range(intake_mod.MAX_DEPTH + 3):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "bottom.txt").write_text("x")
    many = folder / "many"
    many.mkdir()
    for i in range(12):
        (many / f"f{i:02}.txt").write_text(str(i))
    monkeypatch.setattr(intake_mod, "MAX_FILES", 10)
    result = intake_submission(course, "alice", MODULE)
    text = " ".join(result.problems)
    assert "nested more than" in text
    assert "at most 10 files" in text
    assert len(result.copied) == 10


def test_oversized_file_is_refused(course, monkeypatch):
    """Is a file over the size limit refused unread, the rest still taken in?"""
    monkeypatch.setattr(intake_mod, "MAX_FILE_BYTES", 1000)
    folder = course / "submitted" / "alice" / MODULE
    (folder / "big.bin").write_bytes(b"x" * 5000)
    result = intake_submission(course, "alice", MODULE)
    assert any(r.path == "big.bin" and "limit" in r.reason for r in result.refused)
    assert f".{MODULE}.answers.json" in result.copied


def test_submitted_is_never_changed(course):
    """Is submitted/ byte-identical after taking in a submission full of hostile entries?"""
    folder = course / "submitted" / "alice" / MODULE
    os.mkfifo(folder / "pipe")
    os.symlink("/etc/passwd", folder / "passwd")
    before = _snapshot(course / "submitted")
    intake_submission(course, "alice", MODULE)
    intake_submission(course, "alice", MODULE)  # and again, over the first intake
    assert _snapshot(course / "submitted") == before


def test_report_is_written_beside_the_intake(course):
    """Is the intake report readable JSON with the refusals, outside the graded folder?"""
    folder = course / "submitted" / "alice" / MODULE
    os.mkfifo(folder / "pipe")
    intake_submission(course, "alice", MODULE)
    path = intake_report_path(course, "alice", MODULE)
    assert path.parent == course / INTAKE_DIRECTORY / "alice"
    data = json.loads(path.read_text())
    assert data["refused"] == [{"path": "pipe", "reason": "it is a named pipe (FIFO), not a file"}]
    path.write_text("[" * 100_000)  # a corrupted report reads as none, never raises
    assert read_intake_report(course, "alice", MODULE) is None


@pytest.mark.parametrize(
    "content",
    [b"not json", b"[" * 100_000, b'{"cells": 5, "nbformat": 4}', b"\xff\xfe"],
    ids=["text", "deep", "wrong-shape", "binary"],
)
def test_unreadable_notebook_is_replaced_by_the_blank_release(course, content):
    """Is a notebook nbformat cannot read graded as the blank release, with a message?"""
    (course / "submitted" / "alice" / MODULE / f"{MODULE}.ipynb").write_bytes(content)
    result = intake_submission(course, "alice", MODULE)
    assert (_dest(course) / f"{MODULE}.ipynb").read_text() == BLANK
    assert f"{MODULE}.ipynb" in " ".join(result.problems)
    assert f".{MODULE}.answers.json" in result.copied


def test_blank_fallback_replaces_a_readable_notebook_too(course):
    """With blank=True (the last resort), is the notebook replaced while answers are kept?"""
    result = intake_submission(course, "alice", MODULE, blank=True)
    assert (_dest(course) / f"{MODULE}.ipynb").read_text() == BLANK
    assert result.blank_notebooks == [MODULE]
    assert (_dest(course) / f".{MODULE}.answers.json").read_text() == '{"answers": "alice"}'
