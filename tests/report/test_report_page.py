"""The report page: every figure has alt text, and flags are in words."""

from __future__ import annotations

import re

import pandas as pd

from course.items.spec import ItemSpec
from course.report.data import ReportData, option_catalogue, picks_of
from course.report.html import build_report


def _data() -> ReportData:
    students = ["a", "b", "c", "d"]
    responses = pd.DataFrame(
        [(s, "m", "x-q", "single_choice", float(s in "ab"), 1.0) for s in students]
        + [(s, "m", "w", "written", float(s == "a"), 1.0) for s in students],
        columns=["student_id", "module", "item_id", "kind", "score", "max_score"],
    )
    grades = pd.DataFrame(
        [(s, "m", 100.0 * (s in "ab"), s != "d") for s in students],
        columns=["student_id", "module", "percent", "graded"],
    )
    spec = ItemSpec.build(
        "single_choice", id="x-q", prompt="Which one?", options={"a": "A", "b": "B", "c": "C"}
    )
    catalogue = pd.DataFrame(option_catalogue("m", spec, "a"))
    picks = pd.DataFrame(
        [(s, "m", "x-q", "a" if s in "ab" else "b") for s in students],
        columns=["student_id", "module", "item_id", "option"],
    )
    return ReportData(
        modules=["m"],
        grades=grades,
        responses=responses,
        items=pd.DataFrame(
            [("m", "x-q", "single_choice", "Which one?")],
            columns=["module", "item_id", "kind", "prompt"],
        ),
        picks=picks,
        catalogue=catalogue,
        tags=pd.DataFrame(
            [("m", "x-q", "skill", "lateral reading"), ("m", "x-q", "claim", "C32")],
            columns=["module", "item_id", "tag_type", "tag"],
        ),
    )


def test_every_image_has_alt_text():
    """Does each embedded figure carry a descriptive alt attribute?"""
    page = build_report(_data())
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) == 4  # scores, items, skills, claims
    for tag in images:
        alt = re.search(r'alt="([^"]*)"', tag)
        assert alt and len(alt.group(1)) > 40, tag[:80]
    assert 'src="data:image/png;base64,' in page


def test_unpicked_distractor_is_flagged_in_words():
    """Is option c, which no one picked, named in the item table and the option table?"""
    page = build_report(_data())
    assert "distractor(s) no one picked: c" in page
    assert "never picked" in page


def test_ungraded_submissions_are_named():
    """Is a submission that could not be graded named, not silently dropped?"""
    page = build_report(_data())
    assert "1 submission(s) could not be graded" in page and "d (m)" in page


def test_skills_and_claims_sections():
    """Are results shown by skill and by claim?"""
    page = build_report(_data())
    assert "lateral reading" in page and "C32" in page


def test_picks_of_reads_each_kind():
    """Are saved values turned into picked options, ignoring unknown ids?"""
    single = ItemSpec.build("single_choice", id="x-s", prompt="p", options={"a": "A", "b": "B"})
    multi = ItemSpec.build("multiple_choice", id="x-t", prompt="p", options={"a": "A", "b": "B"})
    assert picks_of(single, "b") == ["b"]
    assert picks_of(single, "zz") is None
    assert picks_of(multi, ["a", "zz", "a"]) == ["a"]
    assert picks_of(multi, []) == [None]
