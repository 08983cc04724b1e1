"""Keys never reach students: not in the wheel, the sdist, or a release."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest

from course.keys import load_key
from course.release import find_leaks

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_KEY = Path(__file__).parent / "fixtures" / "keys" / "90-fixture.yaml"


@pytest.fixture(scope="module")
def dists(built_dists):
    with zipfile.ZipFile(built_dists["wheel"]) as zf:
        wheel_files = {n: zf.read(n) for n in zf.namelist()}
    with tarfile.open(built_dists["sdist"]) as tf:
        sdist_files = {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}
    return {"wheel": wheel_files, "sdist": sdist_files}


def key_snippets():
    snippets = []
    for path in sorted((ROOT / "autograde" / "keys").glob("*.yaml")):
        key = load_key(path)
        snippets += [i.explanation[:60] for i in key.items.values() if len(i.explanation) > 30]
    return snippets


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_distribution_holds_no_keys_lessons_or_solutions(dists, kind):
    """Does the distribution leave out keys, lessons and every solution marker?"""
    files = dists[kind]
    names = list(files)
    assert not [n for n in names if "/autograde/" in n or n.startswith("autograde/")]
    assert not [n for n in names if "/notebooks/" in n or n.endswith(".yaml")]
    text = b"\n".join(files.values()).decode("utf-8", errors="replace")
    # The package's own code names the markers (it writes and checks them); data must not.
    data = b"\n".join(v for n, v in files.items() if not n.endswith(".py")).decode(
        "utf-8", errors="replace"
    )
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME"):
        assert marker not in data
    for snippet in key_snippets():
        assert snippet not in text


def test_wheel_ships_the_datasets_and_the_package(dists):
    """Does the wheel carry the essay for students?"""
    names = set(dists["wheel"])
    assert any(n.startswith("course/datasets/essay/") for n in names)
    assert "course/answers.py" in names


def test_find_leaks_catches_planted_key_material(tmp_path):
    """Does the release check find solutions, hidden tests, answers files and key text?"""
    key = load_key(FIXTURE_KEY)
    (tmp_path / "a.ipynb").write_text("x ### BEGIN HIDDEN TESTS y")
    (tmp_path / ".90-fixture.answers.json").write_text("{}")
    (tmp_path / "b.txt").write_text(
        key.items["f-single"].explanation + " " + key.items["f-multi"].explanation
    )
    leaks = "\n".join(find_leaks(tmp_path, key))
    assert "BEGIN HIDDEN TESTS" in leaks
    assert "answers file" in leaks
    assert "key text" in leaks


def test_find_leaks_passes_a_clean_release(fixture_course):
    """Is a real release of the fixture module free of key material?"""
    key = load_key(fixture_course / "autograde" / "keys" / "90-fixture.yaml")
    assert find_leaks(fixture_course / "release" / "90-fixture", key) == []
