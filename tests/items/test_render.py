"""Static rendering: question and answer everywhere, score only with a result, key only on reveal."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from course.grading.score import Result
from course.items.spec import ItemSpec
from course.render import format_saved_at, points_label, render_html, render_text

EVIL = "<script>alert('x')</script>"

SINGLE = ItemSpec.build(
    "single_choice",
    id="m01-thesis",
    prompt="What does the title claim? " + EVIL,
    options={"a": "A report & summary", "b": "A prediction " + EVIL},
    points=2,
)
ORDER = ItemSpec.build(
    "ordering",
    id="m01-order",
    prompt="Put in order.",
    options={"p1": "Alpha", "p2": "Charlie", "p3": "Bravo"},
    points=3,
)
PHRASE = ItemSpec.build(
    "phrase_selection",
    id="m01-phrase",
    prompt="Select the loaded phrases.",
    passage="an easy target for the Russian air force <b>dominating</b> the airspace",
    phrases={"p1": "easy target", "p2": "<b>dominating</b>"},
    source="¶9",
    points=2,
)
CLASSIFY = ItemSpec.build(
    "classification",
    id="m01-class",
    prompt="Sort.",
    statements={"s1": "One", "s2": "Two"},
    categories={"fact": "Factual", "pred": "Predictive"},
    points=2,
)
NUMERIC = ItemSpec.build("numeric", id="m01-num", prompt="How far?", unit="km", points=1)
PRACTICE = ItemSpec.build(
    "single_choice",
    id="m01-practice",
    prompt="Try it.",
    options={"a": "A", "b": "B"},
    practice={"answer": "b", "explanation": "PRACTICE-SECRET"},
)

CORRECT_TEXT = "b) A prediction (KEY-TEXT)"
EXPLANATION = "The title predicts the outcome (C41; S76) EXPLANATION-TEXT " + EVIL


def result(verdict="partial", points=1.5, max_points=2.0, **kw):
    return Result(
        item_id=SINGLE.id,
        kind=SINGLE.kind,
        points=points,
        max_points=max_points,
        verdict=verdict,
        answer="a",
        answer_text="a) A report & summary",
        correct_text=CORRECT_TEXT,
        explanation=EXPLANATION,
        **kw,
    )


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def parse(markup: str) -> _Tags:
    parser = _Tags()
    parser.feed(markup)
    return parser


def test_render_html_escapes_every_text():
    """Script tags in prompt, options, answer and explanation come out as text, not markup."""
    out = render_html(SINGLE, "b", result=result(), reveal=True)
    assert "<script" not in out
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in out
    assert "A report &amp; summary" in out
    assert "script" not in parse(out).tags
    assert EVIL in "".join(parse(out).text)  # the text itself is still shown


def test_render_html_escapes_the_passage_but_marks_the_phrases():
    """Markup inside a passage is escaped; only the course's own <mark> tags are added."""
    out = render_html(PHRASE, ["p2"])
    tags = parse(out).tags
    assert "b" not in tags
    assert tags.count("mark") == 2
    assert "&lt;b&gt;dominating&lt;/b&gt;" in out


def test_render_html_is_semantic():
    """A fieldset with a legend naming the item and its points, and lists for the options."""
    out = render_html(SINGLE, "a")
    tags = parse(out).tags
    assert tags[:2] == ["fieldset", "legend"]
    assert "ul" in tags and tags.count("li") == 2
    assert re.search(r"<legend>.*m01-thesis.*2 points</legend>", out)


@pytest.mark.parametrize("render", [render_html, render_text])
def test_rendering_shows_question_and_answer_but_no_score_without_a_result(render):
    """Without a result: the prompt, the options and the answer; no score, no key."""
    out = render(SINGLE, "a")
    if render is render_html:
        out = "".join(parse(out).text)
    assert "What does the title claim?" in out
    assert "Your answer: a) A report & summary" in out
    assert "b) A prediction" in out
    assert "Score" not in out
    assert "KEY-TEXT" not in out and "EXPLANATION-TEXT" not in out


@pytest.mark.parametrize("render", [render_html, render_text])
def test_rendering_shows_the_score_in_words_when_a_result_is_given(render):
    """The score reads 'Score: 1.5 / 2 (partly correct)', in words, not colour."""
    out = render(SINGLE, "a", result=result())
    assert "Score: 1.5 / 2 (partly correct)" in out


@pytest.mark.parametrize(
    ("verdict", "words"),
    [
        ("correct", "(correct)"),
        ("partial", "(partly correct)"),
        ("incorrect", "(incorrect)"),
        ("unanswered", "(no answer saved)"),
        ("unreadable", "(the saved answer could not be read)"),
    ],
)
def test_every_verdict_is_put_in_words(verdict, words):
    """Each grader verdict has a wording of its own."""
    assert words in render_text(SINGLE, "a", result=result(verdict=verdict))


@pytest.mark.parametrize("render", [render_html, render_text])
def test_rendering_without_reveal_never_shows_the_key_or_explanation(render):
    """With a result but reveal=False, neither correct_text nor the explanation appears."""
    out = render(SINGLE, "a", result=result(details=["1 of 2"]), reveal=False)
    assert "KEY-TEXT" not in out
    assert "EXPLANATION-TEXT" not in out
    assert "Correct answer" not in out and "Explanation" not in out


@pytest.mark.parametrize("render", [render_html, render_text])
def test_rendering_with_reveal_shows_the_key_and_explanation(render):
    """reveal=True (with a result) shows the correct answer and the explanation."""
    out = render(SINGLE, "a", result=result(), reveal=True)
    assert "KEY-TEXT" in out and "EXPLANATION-TEXT" in out


def test_reveal_without_a_result_shows_nothing_extra():
    """reveal=True alone reveals nothing: the key comes only from a grader result."""
    assert render_text(SINGLE, "a", reveal=True) == render_text(SINGLE, "a")


def test_practice_answers_are_never_rendered():
    """A practice item's own answer and explanation stay out of the static rendering."""
    out = render_text(PRACTICE, "a") + render_html(PRACTICE, "a", reveal=True)
    assert "PRACTICE-SECRET" not in out
    assert "Practice — not graded" in out


def test_ordering_entries_are_not_listed_in_the_authored_order():
    """Without the order shown, entries are listed alphabetically (the authored order may be the key)."""
    lines = render_text(ORDER, None).splitlines()
    start = lines.index("Entries to put in order:")
    assert [line.strip() for line in lines[start + 1 : start + 4]] == ["Alpha", "Bravo", "Charlie"]
    shown = render_text(ORDER, None, order=["p3", "p1", "p2"]).splitlines()
    assert [line.strip() for line in shown[start + 1 : start + 4]] == ["Bravo", "Alpha", "Charlie"]


def test_each_kind_describes_its_question_and_answer():
    """Statements and categories, the unit, and the numbered passage are all shown."""
    text = render_text(CLASSIFY, {"s1": "fact"})
    assert "Statements:" in text and "Categories:" in text
    assert "One → Factual; Two → (not classified)" in text
    assert "Unit: km" in render_text(NUMERIC, 192.5)
    assert "Your answer: 192.5 km" in render_text(NUMERIC, 192.5)
    phrase = render_text(PHRASE, ["p1"])
    assert "[1: easy target]" in phrase and "Passage (¶9):" in phrase
    assert "Your answer: (no answer saved)" in render_text(NUMERIC, None)


def test_saved_time_is_local_hh_mm_today_and_dated_otherwise():
    """A save today shows HH:MM; an older one shows its date too."""
    now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
    local = now.astimezone()
    same_day = local.replace(hour=10, minute=5)
    assert format_saved_at(same_day, now=now) == "10:05"
    earlier = (local - dt.timedelta(days=3)).replace(hour=10, minute=5)
    assert format_saved_at(earlier, now=now) == earlier.strftime("%Y-%m-%d") + " 10:05"
    assert format_saved_at("not a time") == ""
    assert "Saved " in render_text(SINGLE, "a", saved_at=dt.datetime.now(dt.UTC).isoformat())


def test_points_are_worded():
    """1 point, 2 points, 1.5 points; practice items are 'not graded'."""
    assert points_label(NUMERIC) == "1 point"
    assert points_label(SINGLE) == "2 points"
    assert points_label(PRACTICE) == "Practice — not graded"


# -- hostile values: always a rendering, never an exception ---------------------------------


@pytest.mark.parametrize("render", [render_html, render_text])
def test_a_number_beyond_float_range_is_rendered_briefly(render):
    """Is a 500-digit integer described by its length, not an OverflowError or 500 digits?"""
    out = render(NUMERIC, 10**500)
    assert "an integer of 501 digits" in out and "0" * 100 not in out


@pytest.mark.parametrize("render", [render_html, render_text])
@pytest.mark.parametrize(
    "value",
    [
        {"s1": ["fact"], "s2": {"x": 1}},  # classification: lists and objects as categories
        ["p1", ["p2"], {"p3": 1}],  # ordering: lists and objects as entries
        [[[[[[[[[[["deep"]]]]]]]]]]],
    ],
)
def test_lists_and_objects_where_ids_belong_are_rendered(render, value):
    """Are unhashable values where an id belongs described, not a TypeError?"""
    for spec in (CLASSIFY, ORDER, SINGLE, NUMERIC):
        assert isinstance(render(spec, value), str)


@pytest.mark.parametrize("render", [render_html, render_text])
@pytest.mark.parametrize(
    "order", [[1, "p1", "p2"], ["p1", ["p2"], "p3"], "p1p2p3", {"p1": 1}, ["p1", "p1", "p2"]]
)
def test_an_order_shown_that_is_not_a_list_of_entry_ids_is_ignored(render, order):
    """Is a bad ``order`` ignored (alphabetical listing), not a TypeError?"""
    out = render(ORDER, None, order=order)
    assert out.index("Alpha") < out.index("Bravo") < out.index("Charlie")


@pytest.mark.parametrize(
    "saved_at",
    [
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999Z",
        "2026-13-45T99:99:99Z",
        "x" * 100_000,
        ["2026-11-24T10:00:00.000Z"],
        10**400,
    ],
)
def test_a_saved_time_that_cannot_be_shown_is_left_out(saved_at):
    """Is a save time of any shape either shown or left out, never an exception?"""
    assert isinstance(format_saved_at(saved_at), str)
    assert isinstance(render_text(SINGLE, "a", saved_at=saved_at), str)
