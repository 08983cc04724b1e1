"""Exercise widgets: restore without writing, save every change by id, never leak correctness."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ipywidgets as widgets
import pytest

import course.items._base as base
from course.answers import AnswerBook, answers_path
from course.items import (
    Classification,
    ComputedAnswer,
    MultipleChoice,
    Numeric,
    Ordering,
    PhraseSelection,
    SingleChoice,
    show_saved,
    start,
)

NB = "90-fixture"
ROOT = Path(__file__).resolve().parents[2]

# One graded item of every type with: constructor, kwargs, a valid value, and a
# different valid value. Texts avoid words such as "correct" on purpose.
ITEMS = {
    "single_choice": (
        SingleChoice,
        {
            "id": "t-single",
            "prompt": "Which paragraph gives the distance?",
            "options": {"a": "¶8", "b": "¶9", "c": "¶10", "d": "¶11"},
            "points": 1,
        },
        "b",
        "d",
    ),
    "multiple_choice": (
        MultipleChoice,
        {
            "id": "t-multi",
            "prompt": "Which of these does ¶9 say?",
            "options": {"a": "Distance", "b": "Desert", "c": "Airspace", "d": "Withdrawal"},
            "points": 2,
        },
        ["a", "c"],
        ["b"],
    ),
    "numeric": (
        Numeric,
        {"id": "t-num", "prompt": "How far, in km?", "unit": "km", "points": 2},
        192.5,
        225.0,
    ),
    "classification": (
        Classification,
        {
            "id": "t-class",
            "prompt": "Sort each claim.",
            "statements": {"s1": "Deir Zour is 225 km away", "s2": "Assad cannot win", "s3": "X"},
            "categories": {"fact": "Factual", "pred": "Predictive"},
            "points": 2,
        },
        {"s1": "fact", "s3": "pred"},
        {"s2": "pred"},
    ),
    "ordering": (
        Ordering,
        {
            "id": "t-order",
            "prompt": "Put the paragraphs in essay order.",
            "options": {"p8": "Battle of Palmyra", "p9": "Unable", "p10": "Enjoy", "p11": "End"},
            "points": 3,
        },
        ["p11", "p9", "p8", "p10"],
        ["p10", "p11", "p8", "p9"],
    ),
    "phrase_selection": (
        PhraseSelection,
        {
            "id": "t-phrase",
            "prompt": "Select the loaded phrases.",
            "passage": "an easy target for the Russian air force dominating the Syrian airspace",
            "phrases": {
                "p1": "easy target",
                "p2": "dominating the Syrian airspace",
                "p3": "Russian air force",
            },
            "source": "¶9",
            "points": 2,
        },
        ["p1", "p3"],
        ["p2"],
    ),
    "computed": (
        ComputedAnswer,
        {"id": "t-comp", "prompt": "Record the distance.", "unit": "km", "points": 2},
        225.0,
        192.0,
    ),
}
KINDS = list(ITEMS)
CHOICE_KINDS = ["single_choice", "multiple_choice", "classification", "ordering"]


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A started notebook in an empty folder (the kernel's working folder)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(base, "_current_book", None)
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    return start(NB)


def make(kind, book=None, **extra):
    cls, kwargs, _, _ = ITEMS[kind]
    return cls(**{**kwargs, **extra}, **({"book": book} if book is not None else {}))


def walk(widget):
    """Every widget in an item's tree, depth first."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def find(item, cls):
    return [w for w in walk(item) if type(w) is cls]


def click(item, description):
    (button,) = [b for b in find(item, widgets.Button) if b.description == description]
    button.click()


def box_text(item, box):
    """The option text of a checkbox (phrase checkboxes are numbered "1. phrase")."""
    if item.kind == "phrase_selection":
        return box.description.split(". ", 1)[1]
    return box.description


def answer_by_controls(item, value):
    """Give ``value`` the way a student would: through the item's own controls."""
    kind = item.kind
    spec = item.spec
    if kind == "single_choice":
        find(item, widgets.RadioButtons)[0].value = value
    elif kind in {"multiple_choice", "phrase_selection"}:
        by_text = {box_text(item, box): box for box in find(item, widgets.Checkbox)}
        for oid, text in spec.options.items():
            by_text[text].value = oid in value
    elif kind == "numeric":
        find(item, widgets.Text)[0].value = f"{value}"
    elif kind == "classification":
        menus = find(item, widgets.Dropdown)
        for sid, menu in zip(item.order, menus, strict=True):
            menu.value = value.get(sid)
    elif kind == "ordering":
        listbox = find(item, widgets.Select)[0]
        # Selection sort with the Move up button, as a student would.
        for place, oid in enumerate(value):
            listbox.value = oid
            current = [v for _, v in listbox.options]
            for _ in range(current.index(oid) - place):
                click(item, "Move up")
        click(item, "Save this order")
    else:  # computed: running the cell again with a new value
        return type(item)(**{**ITEMS[kind][1], "value": value}, book=item.book)
    return item


def shown(item):
    """The answer the controls display, read from the widget tree."""
    kind = item.kind
    if kind == "single_choice":
        return find(item, widgets.RadioButtons)[0].value
    if kind in {"multiple_choice", "phrase_selection"}:
        texts = {box_text(item, box) for box in find(item, widgets.Checkbox) if box.value}
        return [oid for oid, text in item.spec.options.items() if text in texts]
    if kind == "numeric":
        text = find(item, widgets.Text)[0].value
        return float(text) if text else None
    if kind == "classification":
        menus = find(item, widgets.Dropdown)
        return {sid: m.value for sid, m in zip(item.order, menus, strict=True) if m.value}
    if kind == "ordering":
        return [v for _, v in find(item, widgets.Select)[0].options]
    html = " ".join(w.value for w in find(item, widgets.HTML))
    return html


def texts(item):
    """Every text the widget tree shows: values, labels, descriptions, tooltips, options."""
    out = []
    for w in walk(item):
        for name in ("value", "description", "tooltip", "placeholder"):
            v = getattr(w, name, None)
            if isinstance(v, str):
                out.append(v)
        for option in getattr(w, "options", ()) or ():
            out.append(str(option))
    return "\n".join(out)


def saved_value(item_id, folder="."):
    return AnswerBook(NB, folder).value(item_id)


# -- start ----------------------------------------------------------------------------


def test_creating_an_item_before_start_raises_with_setup_advice(tmp_path, monkeypatch):
    """An item made before start(...) raises a RuntimeError telling to run the setup cell."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(base, "_current_book", None)
    with pytest.raises(RuntimeError, match=r"Run the setup cell .* \(it calls start\(\.\.\.\)\)"):
        make("single_choice")
    assert not answers_path(NB, tmp_path).exists()


def test_book_argument_overrides_the_started_book(book, tmp_path):
    """An item given book= saves there, not to the book set by start."""
    other = AnswerBook("91-other", tmp_path)
    item = make("single_choice", book=other)
    item.value = "b"
    assert other.value("t-single") == "b"
    assert book.value("t-single") is None


def test_start_warns_that_nothing_was_deleted_when_the_file_is_corrupt(
    tmp_path, monkeypatch, capsys
):
    """A corrupt answers file gets a warning at start; the file is kept, then set aside."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(base, "_current_book", None)
    path = answers_path(NB, tmp_path)
    path.write_bytes(b"{not json")
    book = start(NB)
    out = capsys.readouterr().out
    assert "could not be read" in out and "Nothing was deleted" in out
    assert path.read_bytes() == b"{not json"
    item = make("single_choice")
    item.value = "a"
    kept = [p for p in tmp_path.iterdir() if "unreadable" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == b"{not json"
    assert book.value("t-single") == "a"
    assert "kept as" in texts(item)  # the item tells the student where the old file went


def test_start_is_silent_for_a_good_file(book, capsys):
    """Starting with no answers file (or a good one) shows no warning and writes nothing."""
    AnswerBook(NB).record("t-single", "a", kind="single_choice")
    before = book.path.read_bytes()
    started = start(NB)
    assert capsys.readouterr().out == ""
    assert isinstance(started, AnswerBook) and started.value("t-single") == "a"
    assert book.path.read_bytes() == before


def test_start_as_a_cells_last_line_says_where_answers_go(book):
    """The book start() returns displays a sentence, not an object address."""
    from IPython.lib.pretty import pretty

    assert pretty(book) == (
        f"Saving your answers for {NB} in .{NB}.answers.json, next to this notebook."
    )


# -- every item type --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_saved_answer_is_restored_into_the_controls(book, kind):
    """An answer recorded by AnswerBook.record comes back in the value and the controls."""
    _, kwargs, value, _ = ITEMS[kind]
    AnswerBook(NB).record(kwargs["id"], value, kind=kind)
    item = make(kind)
    assert item.value == value
    if kind == "computed":
        assert "225" in shown(item)
    else:
        assert shown(item) == value
    assert "Restored answer saved at" in texts(item)


@pytest.mark.parametrize("kind", KINDS)
def test_a_change_saves_the_value_in_its_stored_shape(book, kind):
    """A change through the controls is written at once, by id, in the documented shape."""
    _, kwargs, value, _ = ITEMS[kind]
    item = answer_by_controls(make(kind), value)
    stored = saved_value(kwargs["id"])
    assert stored == value
    assert type(stored) is type(value)
    record = AnswerBook(NB).get(kwargs["id"])
    assert record["kind"] == kind
    assert item.value == value
    assert 'role="status"' in item._status.value and "Saved at" in item._status.value


@pytest.mark.parametrize("kind", KINDS)
def test_constructing_never_writes_when_nothing_is_saved(book, kind):
    """Creating (and re-creating) an item with no saved answer leaves no file behind."""
    make(kind)
    make(kind)
    assert not book.path.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_constructing_never_rewrites_a_saved_answer(book, kind):
    """Re-running an item's cell over a saved answer leaves the file byte for byte as it was."""
    _, kwargs, value, _ = ITEMS[kind]
    extra = {"value": value} if kind == "computed" else {}
    AnswerBook(NB).record(kwargs["id"], value, kind=kind)
    before = (book.path.read_bytes(), book.path.stat().st_mtime_ns)
    make(kind, **extra)
    make(kind, **extra)
    assert (book.path.read_bytes(), book.path.stat().st_mtime_ns) == before


@pytest.mark.parametrize("kind", KINDS)
def test_two_items_saving_alternately_lose_nothing(book, kind):
    """Two items of one notebook, changed in turn, both keep every latest answer."""
    cls, kwargs, value, other = ITEMS[kind]
    first = make(kind)
    second = cls(**{**kwargs, "id": kwargs["id"] + "-2"})
    for a, b in [(value, other), (other, value), (value, other)]:
        first.value = a
        second.value = b
    fresh = AnswerBook(NB)
    assert fresh.value(kwargs["id"]) == value
    assert fresh.value(kwargs["id"] + "-2") == other
    assert fresh.get(kwargs["id"])["revision"] == 3
    assert fresh.get(kwargs["id"] + "-2")["revision"] == 3


@pytest.mark.parametrize("kind", KINDS)
def test_setting_value_in_code_behaves_like_a_change(book, kind):
    """item.value = x updates the controls and saves, like a student's change."""
    _, kwargs, value, other = ITEMS[kind]
    item = make(kind)
    item.value = value
    item.value = other
    assert saved_value(kwargs["id"]) == other
    if kind == "computed":
        assert "192" in shown(item)
    else:
        assert shown(item) == other


@pytest.mark.parametrize("kind", KINDS)
def test_saved_value_that_no_longer_fits_is_kept_and_the_widget_starts_empty(book, kind):
    """A saved answer with unknown ids is left in the file; the item starts empty with a note."""
    _, kwargs, _, _ = ITEMS[kind]
    bad = {
        "single_choice": "zz",
        "multiple_choice": ["zz"],
        "numeric": "two hundred",
        "classification": {"s9": "fact"},
        "ordering": ["p8"],
        "phrase_selection": ["zz"],
        "computed": [1],
    }[kind]
    AnswerBook(NB).record(kwargs["id"], bad, kind=kind)
    before = book.path.read_bytes()
    item = make(kind)
    assert item.value is None
    assert "no longer fits" in texts(item)
    assert book.path.read_bytes() == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_failed_save_is_reported_on_screen_and_never_raised(book, kind, monkeypatch):
    """If the disk refuses the save, the item says so and keeps the answer shown."""
    value = ITEMS[kind][2]
    item = make(kind)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(book, "record", refuse)
    item.value = value
    status = item._status.value
    assert "Not saved: Permission denied" in status
    assert "Your answer is still on screen" in status
    assert item.value == value


@pytest.mark.parametrize("kind", KINDS)
def test_static_rendering_travels_with_the_widget(book, kind):
    """The display bundle holds the widget view plus text and HTML of question and answer."""
    _, kwargs, value, _ = ITEMS[kind]
    item = make(kind)
    item.value = value
    bundle = item._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert kwargs["prompt"] in bundle["text/plain"]
    assert "Your answer:" in bundle["text/plain"]
    assert "(no answer saved)" not in bundle["text/plain"]
    assert "<fieldset" in bundle["text/html"]


# -- shuffling ------------------------------------------------------------------------


def display_order(item):
    kind = item.kind
    if kind == "single_choice":
        return [v for _, v in find(item, widgets.RadioButtons)[0].options]
    if kind == "multiple_choice":
        texts = [box.description for box in find(item, widgets.Checkbox)]
        return [next(k for k, t in item.spec.options.items() if t == x) for x in texts]
    if kind == "classification":
        html = [w.value for w in find(item, widgets.HTML) if "Statement" in w.value]
        return [next(k for k, t in item.spec.statements.items() if t in h) for h in html]
    return [v for _, v in find(item, widgets.Select)[0].options]


@pytest.mark.parametrize("kind", CHOICE_KINDS)
def test_students_see_different_orders_but_answers_are_stored_by_id(tmp_path, monkeypatch, kind):
    """Two students' default seeds shuffle differently; the stored answer is the same ids."""
    _, kwargs, value, _ = ITEMS[kind]
    orders, stored = {}, {}
    for student in ("alice", "bob"):
        folder = tmp_path / student
        folder.mkdir()
        monkeypatch.chdir(folder)
        monkeypatch.setenv("JUPYTERHUB_USER", student)
        start(NB)
        item = make(kind)
        orders[student] = display_order(item)
        answer_by_controls(item, value)
        record = AnswerBook(NB).get(kwargs["id"])
        stored[student] = record["value"]
        assert record["seed"] == f"{student}:{kwargs['id']}"
        assert record["order"] == orders[student]
    assert orders["alice"] != orders["bob"]
    assert sorted(orders["alice"]) == sorted(orders["bob"])
    assert stored["alice"] == stored["bob"] == value


@pytest.mark.parametrize("kind", CHOICE_KINDS)
def test_shuffle_false_keeps_the_authored_order(book, kind):
    """With shuffle=False every student sees the options as authored."""
    _, kwargs, _, _ = ITEMS[kind]
    authored = list(kwargs.get("statements") or kwargs["options"])
    assert display_order(make(kind, shuffle=False)) == authored


def test_the_same_seed_gives_the_same_order(book):
    """An explicit seed fixes the order, whoever runs the notebook."""
    assert display_order(make("single_choice", seed="s")) == display_order(
        make("single_choice", seed="s")
    )


def test_ordering_never_starts_in_the_authored_order(book):
    """The initial order is shuffled away from the authored one, which may be the answer."""
    _, kwargs, _, _ = ITEMS["ordering"]
    for n in range(30):
        assert display_order(make("ordering", seed=f"s{n}")) != list(kwargs["options"])


# -- item specifics -------------------------------------------------------------------------


def test_ordering_move_saves_and_save_button_saves_an_untouched_order(book):
    """Each move saves the order; 'Save this order' saves the order shown as it is."""
    item = make("ordering")
    start_order = display_order(item)
    click(item, "Save this order")
    assert saved_value("t-order") == start_order
    listbox = find(item, widgets.Select)[0]
    listbox.value = start_order[1]
    click(item, "Move up")
    moved = [start_order[1], start_order[0], *start_order[2:]]
    assert saved_value("t-order") == moved
    assert display_order(item) == moved
    assert [label.split(". ", 1)[0] for label, _ in listbox.options] == ["1", "2", "3", "4"]
    click(item, "Save this order")  # unchanged: saved again deliberately
    assert AnswerBook(NB).get("t-order")["revision"] == 3


def test_numeric_text_that_is_not_a_number_is_not_saved(book):
    """Typing words gives a clear note and saves nothing; an empty box changes nothing."""
    item = make("numeric")
    box = find(item, widgets.Text)[0]
    box.value = "about 200"
    assert "is not a number" in texts(item)
    assert not book.path.exists()
    box.value = "225 km"
    assert saved_value("t-num") == 225.0
    box.value = ""
    assert saved_value("t-num") == 225.0
    assert "unchanged" in texts(item)
    box.value = "1,5"
    assert saved_value("t-num") == 225.0 and "comma" in texts(item)


def test_computed_records_its_value_and_none_keeps_the_recorded_one(book):
    """A number is recorded as a float; None shows the earlier value and never overwrites it."""
    _, kwargs, _, _ = ITEMS["computed"]
    item = ComputedAnswer(**kwargs, value=None)
    assert "No value recorded yet: compute it in the cell above" in texts(item)
    assert not book.path.exists()
    ComputedAnswer(**kwargs, value=225)
    assert saved_value("t-comp") == 225.0
    again = ComputedAnswer(**kwargs, value=None)
    assert again.value == 225.0 and "Recorded value:" in texts(again)
    assert saved_value("t-comp") == 225.0


@pytest.mark.parametrize("bad", ["225", True, float("nan"), [225]])
def test_computed_rejects_values_that_are_not_numbers(book, bad):
    """Text, booleans, NaN and lists are not recorded, and a note says why."""
    _, kwargs, _, _ = ITEMS["computed"]
    ComputedAnswer(**kwargs, value=1.0)
    item = ComputedAnswer(**kwargs, value=bad)
    assert "is not a number, so it was not recorded" in texts(item)
    assert saved_value("t-comp") == 1.0


def test_classification_menus_start_on_choose_and_hold_only_classified(book):
    """Every menu offers '— choose —' first; choosing it again removes that statement."""
    item = make("classification")
    menus = find(item, widgets.Dropdown)
    assert [m.description for m in menus] == ["Statement 1", "Statement 2", "Statement 3"]
    assert all(m.options[0] == ("— choose —", None) and m.value is None for m in menus)
    menus[0].value = "fact"
    menus[1].value = "pred"
    menus[0].value = None
    assert saved_value("t-class") == {item.order[1]: "pred"}


def test_phrase_passage_marks_and_numbers_each_phrase(book):
    """The passage marks every phrase with <mark> and a number matching its checkbox."""
    item = make("phrase_selection")
    passage = next(w.value for w in find(item, widgets.HTML) if "<mark" in w.value)
    assert passage.count("<mark") == 3
    assert [b.description for b in find(item, widgets.Checkbox)] == [
        "1. easy target",
        "2. Russian air force",
        "3. dominating the Syrian airspace",
    ]


STATIC = widgets.HTML | widgets.Label


def test_every_control_has_a_label(book):
    """Every input control carries a description (its accessible name)."""
    for kind in KINDS:
        item = make(kind)
        for w in walk(item):
            if isinstance(w, widgets.ValueWidget) and not isinstance(w, STATIC):
                assert w.description, (kind, type(w).__name__)
        for button in find(item, widgets.Button):
            assert button.description and button.tooltip


# -- practice and graded -----------------------------------------------------------------

PRACTICE = {
    "answer": "b",
    "feedback": {"a": "¶8 is about the battle.", "b": "Yes: ¶9 gives 225 km."},
    "explanation": "The distance is in ¶9.",
}


def test_practice_item_gives_feedback_in_words_after_each_change(book):
    """A practice item says 'Not quite' with the option's feedback, then 'Correct'."""
    item = SingleChoice(**{**ITEMS["single_choice"][1], "points": None}, practice=PRACTICE)
    assert "Practice — not graded" in texts(item)
    item.value = "a"
    feedback = item._feedback.value
    assert "Not quite" in feedback and "¶8 is about the battle." in feedback
    assert 'aria-live="polite"' in feedback
    item.value = "b"
    feedback = item._feedback.value
    assert "Correct" in feedback and "Yes: ¶9 gives 225 km." in feedback
    assert "The distance is in ¶9." in feedback


def test_practice_feedback_is_shown_again_on_restore_without_writing(book):
    """A restored practice answer shows its feedback; restoring still writes nothing."""
    AnswerBook(NB).record("t-single", "a", kind="single_choice")
    before = book.path.read_bytes()
    item = SingleChoice(**{**ITEMS["single_choice"][1], "points": None}, practice=PRACTICE)
    assert "Not quite" in item._feedback.value
    assert book.path.read_bytes() == before


@pytest.mark.parametrize("kind", KINDS)
def test_graded_item_shows_no_correctness(book, kind):
    """A graded item's widget tree and static rendering never judge the answer."""
    _, _, value, _ = ITEMS[kind]
    item = make(kind)
    item.value = value
    shown_text = (texts(item) + item._repr_mimebundle_()["text/plain"]).lower()
    for word in ("correct", "not quite", "incorrect", "wrong", "explanation", "score"):
        assert word not in shown_text
    assert item._feedback is None


# -- show_saved -------------------------------------------------------------------------


def test_show_saved_prints_the_answer_and_time_without_judging_it(book, capsys):
    """show_saved prints the saved option with its text and the save time, nothing more."""
    item = make("single_choice")
    show_saved("t-single")
    assert capsys.readouterr().out == "No answer saved yet for t-single.\n"
    item.value = "b"
    show_saved("t-single")
    out = capsys.readouterr().out
    assert out.startswith("Saved answer for t-single: b) ¶9 (saved ")
    assert "correct" not in out.lower()


def test_show_saved_before_start_gives_advice_instead_of_raising(tmp_path, monkeypatch, capsys):
    """In a kernel where start(...) never ran, show_saved explains what to do."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(base, "_current_book", None)
    show_saved("t-single")
    assert "Run the setup cell" in capsys.readouterr().out


def test_importing_the_spec_does_not_import_ipywidgets():
    """The grader imports course.items.spec and course.render without loading widgets."""
    code = (
        "import sys, course.items.spec, course.render, course.grading.score\n"
        "assert 'ipywidgets' not in sys.modules, 'ipywidgets imported'\n"
        "from course.items import SingleChoice\n"
        "assert 'ipywidgets' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_answers_file_is_plain_json_with_seed_and_order(book):
    """The record holds the value plus the seed and the order shown."""
    item = make("multiple_choice")
    item.value = ["c", "a"]
    data = json.loads(book.path.read_text(encoding="utf-8"))
    record = data["answers"]["t-multi"]
    assert record["value"] == ["a", "c"]  # authored order, whatever order they were given in
    assert record["seed"] == "alice:t-multi" and record["order"] == item.order


PRACTICE_ANSWERS = {
    "multiple_choice": (["a", "c"], ["a", "b"]),
    "numeric": (192.5, 225.0),
    "classification": ({"s1": "fact", "s2": "pred", "s3": "fact"}, {"s1": "pred"}),
    "ordering": (["p8", "p9", "p10", "p11"], ["p11", "p10", "p9", "p8"]),
    "phrase_selection": (["p1", "p2"], ["p3"]),
    "computed": (225.0, 192.0),
}


@pytest.mark.parametrize("kind", list(PRACTICE_ANSWERS))
def test_practice_feedback_judges_every_item_type(book, kind):
    """Each practice type says 'Not quite' for a wrong answer and 'Correct' for the right one."""
    cls, kwargs, _, _ = ITEMS[kind]
    right, wrong = PRACTICE_ANSWERS[kind]
    practice = {"answer": right, "explanation": "Because of ¶9."}
    item = cls(**{**kwargs, "points": None}, practice=practice)
    item.value = wrong
    assert "Not quite" in item._feedback.value and "Because of ¶9." not in item._feedback.value
    item.value = right
    assert "Correct" in item._feedback.value and "Because of ¶9." in item._feedback.value
    assert saved_value(kwargs["id"]) == right
