"""The data-package validation that `course check` runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course.datacheck import validate_package

DATASETS = Path(__file__).resolve().parent.parent / "datasets"


@pytest.fixture()
def copy(tmp_path):
    target = tmp_path / "datasets"
    shutil.copytree(DATASETS, target)
    return target


def test_shipped_package_is_valid():
    """Does the shipped data package pass every check?"""
    assert validate_package(DATASETS) == []


def test_unknown_source_id_in_a_list_is_reported(copy):
    """Is an event citing a source that does not exist reported by id?"""
    events = copy / "events.csv"
    text = events.read_text(encoding="utf-8")
    events.write_text(text.replace(",S53,", ",S53;S999,", 1), encoding="utf-8")
    problems = validate_package(copy)
    assert any("S999" in p for p in problems)


def test_unseen_source_cannot_support_a_fact(copy):
    """Is a row resting on a source not marked seen reported?"""
    sources = copy / "sources.csv"
    lines = sources.read_text(encoding="utf-8").splitlines()
    lines = [ln[: -len("true")] + "false" if ln.startswith("S54,") else ln for ln in lines]
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = validate_package(copy)
    assert any("S54" in p and "not seen" in p for p in problems)


def test_verdict_column_is_refused(copy):
    """Does a verdict column in a shipped table fail the check?"""
    claims = copy / "claims.csv"
    lines = claims.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",verdict"] + [ln + ",supported" for ln in lines[1:]]
    claims.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = validate_package(copy)
    assert any("verdict" in p for p in problems)
