"""`course check` draws the course-wide base map and timeline from the shipped data."""

from __future__ import annotations

from course.checks import CheckReport, check_figures


def test_the_map_and_the_timeline_render_with_alt_text():
    """Do both figures render to PNG from the shipped data, with alt text, as course check says?"""
    report = CheckReport()
    check_figures(report)
    assert [f.message for f in report.findings] == []
    assert report.passed == [
        "data: the base map of Syria renders from the shipped data, with alt text",
        "data: the course timeline renders from the shipped data, with alt text",
    ]


def test_lessons_use_the_base_map_and_the_timeline_with_their_current_alt_text():
    """Do modules 03 and 05 draw the base map (03 also the timeline), with alt text that matches?"""
    from pathlib import Path

    from course import data
    from course.maps import base_map_alt_text
    from course.timeline import course_timeline_alt_text

    notebooks = Path(__file__).resolve().parent.parent / "notebooks"
    context = (notebooks / "03-context.md").read_text(encoding="utf-8")
    numbers = (notebooks / "05-tracing-numbers.md").read_text(encoding="utf-8")
    assert "base_map(places=places)" in context and "course_timeline()" in context
    assert f"Figure alt text: {base_map_alt_text()}" in context
    assert f"Figure alt text: {course_timeline_alt_text()}" in context
    places = data.places()
    two = places[places["place_id"].isin(["palmyra", "deir-ez-zor"])]
    assert "base_map(places=two)" in numbers
    assert f"Figure alt text: {base_map_alt_text(places=two)}" in numbers
