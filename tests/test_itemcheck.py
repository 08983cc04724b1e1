"""Item-writing checks: answer-length cues, giveaways and the cue-reading student."""

from __future__ import annotations

from pathlib import Path

import pytest

from course import itemcheck
from course.build import build_notebook, cell_items
from course.itemcheck import LENGTH_RATIO, chance_points, giveaway_findings, length_findings
from course.items.spec import ItemSpec
from course.keys import ItemKey, load_key
from course.lessons import find_lessons

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _single(item_id: str, options: dict[str, str], prompt: str = "Which reading fits?") -> ItemSpec:
    return ItemSpec(id=item_id, kind="single_choice", prompt=prompt, points=1.0, options=options)


FAIR = {
    "a": "The post names no author.",
    "b": "The post gives no date.",
    "c": "The post cites one map.",
    "d": "The post quotes no one.",
}
LONG_RIGHT = {
    "a": "No author.",
    "b": "No date.",
    "c": "The post cites one map, which is a source a reader could check for themselves.",
    "d": "No quote.",
}


def test_a_correct_option_much_longer_than_its_distractors_is_flagged():
    """Is the long correct option flagged with its id and ratio, and a balanced one not?"""
    specs = {"x": _single("x", LONG_RIGHT), "y": _single("y", FAIR)}
    keys = {"x": ItemKey("x", answer="c"), "y": ItemKey("y", answer="c")}
    found = [f for f in length_findings("m", specs, keys) if f.check == "length"]
    assert [f.item_id for f in found] == ["x"]
    assert "option c" in found[0].message and f"{LENGTH_RATIO:g} times" in found[0].hint


def test_the_longest_option_keyed_right_too_often_is_flagged_for_the_module():
    """Is a module whose key is the longest option in 4 of 4 items flagged (fair share 1)?"""
    options = {
        "a": "A short one here.",
        "b": "Another short one.",
        "c": "A slightly longer option, one word more.",
        "d": "Short option four.",
    }
    specs = {f"i{n}": _single(f"i{n}", options) for n in range(4)}
    keys = {f"i{n}": ItemKey(f"i{n}", answer="c") for n in range(4)}
    module = [f for f in length_findings("m", specs, keys) if f.check == "longest-share"]
    assert len(module) == 1 and "longest in 4 single-choice items" in module[0].message
    keys = {f"i{n}": ItemKey(f"i{n}", answer="abcd"[n]) for n in range(4)}
    assert not [f for f in length_findings("m", specs, keys) if f.check == "longest-share"]


def test_a_key_point_that_restates_the_answer_is_a_giveaway():
    """Does a key point repeating six words of the correct option get flagged, with the words?"""
    spec = _single(
        "g",
        {
            "a": "It was borne out only at the edge of the map.",
            "b": "It was refuted by the record.",
            "c": "It cannot be judged.",
        },
    )
    keys = {"g": ItemKey("g", answer="a")}
    visible = {"key point 1": "A forecast can be borne out only at the edge of a claim."}
    (found,) = giveaway_findings("m", {"g": spec}, keys, visible)
    assert found.item_id == "g" and "key point 1" in found.message
    assert "borne out only at the edge of" in found.message
    assert giveaway_findings("m", {"g": spec}, keys, {"key point 1": "Forecasts differ."}) == []


def test_the_testwise_student_reads_cues_not_evidence():
    """Does it pick the longest option free of absolutes, mirroring the prompt?"""
    spec = _single(
        "t",
        {
            "a": "Always the regime, in every case and in all places, without exception.",
            "b": "The post names Palmyra and its distance from Raqqa.",
            "c": "A map.",
        },
        prompt="What does the post say about Palmyra?",
    )
    assert itemcheck.testwise_answer(spec) == "b"


def test_chance_is_computed_by_scoring_every_answer():
    """Is chance 1/4 of the points for four options, and 1/2 per option for multiple choice?"""
    spec = _single("c", FAIR)
    assert chance_points(spec, ItemKey("c", answer="a")) == pytest.approx(0.25)
    multi = ItemSpec(id="m", kind="multiple_choice", prompt="Tick", points=1.0, options=FAIR)
    chance = chance_points(multi, ItemKey("m", answer=["a", "b"]))
    assert 0 < chance < 1


def test_a_cue_free_module_leaves_the_testwise_student_near_chance():
    """With keys spread over balanced options, is the cue reader within 10 points of chance?"""
    specs = {f"i{n}": _single(f"i{n}", FAIR) for n in range(4)}
    keys = {f"i{n}": ItemKey(f"i{n}", answer="abcd"[n]) for n in range(4)}
    score = itemcheck.testwise_scores("m", specs, keys)
    assert score.items == 4 and abs(score.margin) <= 10


def test_cues_that_lead_away_from_the_key_are_a_cue_too():
    """If the keyed option is never the longest, does the module fail the check as well?"""
    specs = {f"i{n}": _single(f"i{n}", LONG_RIGHT) for n in range(4)}
    keys = {f"i{n}": ItemKey(f"i{n}", answer="a") for n in range(4)}
    score = itemcheck.testwise_scores("m", specs, keys)
    assert score.testwise_percent == 0 and score.chance_percent == 25
    assert score.margin < -itemcheck.TESTWISE_MARGIN and not score.near_chance


def test_the_course_modules_are_measured_from_their_keys():
    """Is every graded choice item of every module scored, with chance strictly between 0 and 100?"""
    for lesson in find_lessons(None, None):
        nb = build_notebook(lesson)
        specs = {s.id: s for c in nb.cells for s in cell_items(c)}
        key = load_key(ROOT / "autograde" / "keys" / f"{lesson.id}.yaml")
        choice = [
            s
            for s in specs.values()
            if s.graded and s.kind in ("single_choice", "multiple_choice") and s.id in key.items
        ]
        score = itemcheck.testwise_scores(lesson.id, specs, key.items)
        assert score.items == len(choice), lesson.id
        assert score.points == sum(s.points for s in choice), lesson.id
        assert 0 < score.chance_percent < 100, lesson.id
        assert 0 <= score.testwise_percent <= 100, lesson.id


def _cued_fixture(tmp_path: Path) -> tuple[Path, Path]:
    """Copy the fixture lesson and key, with the keyed option of f-single made far the longest."""
    lessons, keys = tmp_path / "lessons", tmp_path / "keys"
    lessons.mkdir()
    keys.mkdir()
    text = (FIXTURES / "lessons" / "90-fixture.md").read_text(encoding="utf-8")
    cued = text.replace(
        '"b": "¶9"',
        '"b": "¶9, the paragraph that gives the distance between the two cities in kilometres"',
    )
    assert cued != text
    (lessons / "90-fixture.md").write_text(cued, encoding="utf-8")
    (keys / "90-fixture.yaml").write_bytes((FIXTURES / "keys" / "90-fixture.yaml").read_bytes())
    return lessons, keys


def test_course_check_fails_on_a_cue_and_names_the_item(tmp_path):
    """Does `course check` fail with the item id and a hint when a keyed option is far longest?"""
    from course.checks import run_checks

    lessons, keys = _cued_fixture(tmp_path)
    report = run_checks(lessons, keys, execute=False)
    errors = [f.message for f in report.findings if f.error]
    cue = [m for m in errors if m.startswith("item writing:") and "f-single" in m]
    assert cue, errors
    assert any("distractors" in m and "shorten" in m for m in cue)
    assert not report.ok


def test_course_check_passes_the_course_with_item_writing_checks_on():
    """Does every module pass the item-writing and weighting checks, with its cue score reported?"""
    from course.checks import run_checks

    report = run_checks(execute=False)
    errors = [f"{f.area}: {f.message}" for f in report.findings if f.error]
    assert not errors, "\n".join(errors)
    for lesson in find_lessons(None, None):
        assert any(line.startswith(f"{lesson.id}: a cue-reading student") for line in report.passed)
        assert any(line.startswith(f"{lesson.id}: judgement and written") for line in report.passed)


@pytest.mark.parametrize("lesson", find_lessons(None, None), ids=lambda lesson: lesson.id)
def test_the_testwise_student_stays_near_chance_in_every_module(lesson):
    """Computed from the module's keys: is the cue reader within the margin of chance?"""
    nb = build_notebook(lesson)
    specs = {s.id: s for c in nb.cells for s in cell_items(c)}
    key = load_key(ROOT / "autograde" / "keys" / f"{lesson.id}.yaml")
    score = itemcheck.testwise_scores(lesson.id, specs, key.items)
    assert score.items >= 2, f"{lesson.id} has too few choice items to measure"
    assert abs(score.margin) <= itemcheck.TESTWISE_MARGIN, (
        f"{lesson.id}: cue reader {score.testwise_percent:.0f}% vs chance "
        f"{score.chance_percent:.0f}%"
    )


def test_the_course_as_a_whole_may_not_key_the_longest_option_too_often():
    """Is a course flagged when, summed over modules, the longest option is keyed too often?"""
    modules = {}
    for m in range(6):
        specs = {f"m{m}-{n}": _single(f"m{m}-{n}", LONG_RIGHT) for n in range(1)}
        keys = {item: ItemKey(item, answer="c") for item in specs}
        modules[f"0{m}"] = (specs, keys)
    for specs, keys in modules.values():
        ids, fair = itemcheck.longest_share(specs, keys)
        assert len(ids) <= fair + itemcheck.LONGEST_SLACK  # each module alone passes
    finding = itemcheck.course_longest_finding(modules)
    assert finding is not None and "6 single-choice items" in finding.message
    fair_modules = {
        "00": (
            {f"i{n}": _single(f"i{n}", FAIR) for n in range(4)},
            {f"i{n}": ItemKey(f"i{n}", answer="abcd"[n]) for n in range(4)},
        )
    }
    assert itemcheck.course_longest_finding(fair_modules) is None
