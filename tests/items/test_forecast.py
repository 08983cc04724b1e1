"""Forecast item: drafts are revisions, the first lock counts for good, history is kept whole."""

from __future__ import annotations

import json

import ipywidgets as widgets
import pytest

import course.items._base as base
import course.items.forecast as forecast_module
from course.answers import HISTORY_LIMIT, AnswerBook
from course.forecasts import first_locked, read_locked, record_forecast
from course.grading.score import score_item
from course.items import Forecast, start
from course.items.spec import SpecError, specs_from_source
from course.keys import ItemKey

NB = "90-fixture"
ARGS = {
    "id": "t-forecast",
    "prompt": "Will IS take Palmyra back before 2018?",
    "resolution": "YES if IS again takes control of Palmyra before 1 January 2018.",
    "as_of": "April 2016",
    "points": 1,
}
KEY = ItemKey("t-forecast", explanation="Resolved YES (S75).", completion=True, outcome=1)


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A started notebook in an empty folder (the kernel's working folder)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(base, "_current_book", None)
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    return start(NB)


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def record(item_id="t-forecast"):
    return AnswerBook(NB).get(item_id)


def answer(item, probability, reason):
    """Give a forecast the way a student does: the slider, then the reason box."""
    item._slider.value = probability
    item._reason.value = reason


def scored_probability(item_id="t-forecast"):
    result = score_item(Forecast(**ARGS).spec, KEY, record(item_id))
    return result.points, (result.answer or {}).get("probability")


def test_changes_before_locking_are_saved_as_unlocked_revisions(book):
    """Is every draft saved, unlocked, without a first_locked value?"""
    item = Forecast(**ARGS)
    answer(item, 70, "Government forces are stretched.")
    saved = record()
    assert saved["value"] == {
        "probability": 70,
        "reason": "Government forces are stretched.",
        "locked": False,
    }
    assert saved["revision"] == 2 and "first_locked" not in saved
    assert item.locked is None and not item._slider.disabled


def test_locking_needs_a_reason_and_says_so(book):
    """Does the lock refuse an empty reason, with a note, and save nothing new?"""
    item = Forecast(**ARGS)
    item._slider.value = 60
    before = record()
    assert item.lock() is False
    assert "Write a short reason first" in item._note.value
    assert record() == before and item.locked is None


def test_locking_saves_the_first_locked_value_and_freezes_the_controls(book):
    """Does Lock save locked: true with a time, store first_locked and disable every control?"""
    item = Forecast(**ARGS)
    answer(item, 70, "Stretched.")
    button = next(w for w in walk(item) if isinstance(w, widgets.Button))
    button.click()
    saved = record()
    assert saved["value"]["locked"] is True and saved["value"]["locked_at"].endswith("Z")
    assert saved["first_locked"] == saved["value"]
    assert item._slider.disabled and item._reason.disabled and button.disabled
    assert "Locked" in item._lock_state.value and "70%" in item._lock_state.value
    assert scored_probability() == (1.0, 70)


def test_a_change_after_locking_never_alters_the_scored_value(book):
    """Do later changes, by code, by the controls or by a raw write, leave 70% as what counts?"""
    item = Forecast(**ARGS)
    answer(item, 70, "Stretched.")
    item.lock()
    item.value = {"probability": 5, "reason": "Changed my mind."}
    assert record()["value"]["probability"] == 5  # kept as a new revision …
    assert record()["value"]["locked"] is True
    assert scored_probability() == (1.0, 70)  # … but never what counts
    item._slider.value = 95  # a control changed from code after the lock
    assert scored_probability() == (1.0, 70)
    assert item.lock() is False  # locking again changes nothing
    # A revision written without first_locked (not by the widget) cannot unlock it either:
    # the writer carries the first lock onto it.
    AnswerBook(NB).record("t-forecast", {"probability": 1, "locked": False}, kind="forecast")
    assert record()["first_locked"]["probability"] == 70
    assert scored_probability() == (1.0, 70)
    assert read_locked(NB, ".") == {"t-forecast": 70}


def test_the_full_history_is_kept_in_the_answers_file(book):
    """Are all revisions kept, more than the usual history limit, with the lock among them?"""
    item = Forecast(**ARGS)
    for p in range(HISTORY_LIMIT + 10):
        item._slider.value = p
    item._reason.value = "Why."
    item.lock()
    item.value = {"probability": 99, "reason": "Later."}
    data = json.loads(book.path.read_text(encoding="utf-8"))["answers"]["t-forecast"]
    values = [entry["value"] for entry in data["history"]] + [data["value"]]
    # 35 slider moves, the reason, the lock and a later change: every save, none dropped.
    assert len(values) == data["revision"] == HISTORY_LIMIT + 10 + 3
    assert [v["probability"] for v in values[1 : HISTORY_LIMIT + 10]] == list(
        range(1, HISTORY_LIMIT + 10)
    )
    locked = [v for v in values if v["locked"]]
    assert locked[0] == data["first_locked"] and locked[0]["probability"] == HISTORY_LIMIT + 9


def test_a_locked_forecast_is_restored_locked_without_writing(book):
    """Does re-running the cell show the first locked value, disabled, and write nothing?"""
    item = Forecast(**ARGS)
    answer(item, 70, "Stretched.")
    item.lock()
    item.value = {"probability": 5, "reason": "Changed."}
    before = book.path.read_bytes()
    again = Forecast(**ARGS)
    assert book.path.read_bytes() == before
    assert again.locked["probability"] == 70
    assert (again._slider.value, again._reason.value) == (70, "Stretched.")
    assert again._slider.disabled and again._reason.disabled
    assert "Restored" in again._status.value and "Locked" in again._lock_state.value
    assert "70% (locked)" in again._repr_mimebundle_()["text/plain"]


def test_a_draft_is_restored_unlocked(book):
    """Does a saved draft come back in the controls, still editable and lockable?"""
    item = Forecast(**ARGS)
    answer(item, 35, "Too far away.")
    again = Forecast(**ARGS)
    assert (again._slider.value, again._reason.value) == (35, "Too far away.")
    assert not again._slider.disabled and again.locked is None
    assert again.lock() is True and first_locked(record())["probability"] == 35


def test_controls_are_labelled_and_keyboard_operable(book):
    """Has every control an accessible name, the slider 0–100 with arrow keys and a readout?"""
    item = Forecast(**ARGS)
    assert isinstance(item._slider, widgets.IntSlider)
    assert (item._slider.min, item._slider.max, item._slider.step) == (0, 100, 1)
    assert item._slider.readout and "%" in item._slider.description
    assert isinstance(item._reason, widgets.Textarea) and item._reason.description
    for w in walk(item):
        if isinstance(w, widgets.ValueWidget) and not isinstance(w, widgets.HTML):
            assert w.description
        if isinstance(w, widgets.Button):
            assert w.description == "Lock my forecast" and w.tooltip
    html = " ".join(w.value for w in walk(item) if isinstance(w, widgets.HTML))
    assert "April 2016" in html and "How it resolves" in html and ARGS["resolution"] in html
    assert 'role="status"' in item._status.value


def test_a_graded_forecast_shows_no_correctness(book):
    """Does the item never say right or wrong, nor reveal how the question resolved?"""
    item = Forecast(**ARGS)
    answer(item, 70, "Stretched.")
    item.lock()
    shown = " ".join(
        str(getattr(w, name, ""))
        for w in walk(item)
        for name in ("value", "description", "tooltip", "placeholder")
    )
    shown = (shown + item._repr_mimebundle_()["text/plain"]).lower()
    for word in ("correct", "incorrect", "wrong", "score", "resolved yes", "resolved no"):
        assert word not in shown


def test_record_forecast_writes_what_the_widget_writes(book, tmp_path):
    """Do record_forecast (fixtures, simulation) and the widget leave the same records?"""
    item = Forecast(**ARGS)
    answer(item, 70, "Stretched.")
    item.lock()
    item.value = {"probability": 5, "reason": "Changed."}
    other = AnswerBook(NB, tmp_path / "other")
    (tmp_path / "other").mkdir()
    record_forecast(other, "t-forecast", 70, "")
    record_forecast(other, "t-forecast", 70, "Stretched.")
    record_forecast(other, "t-forecast", 70, "Stretched.", lock=True)
    record_forecast(other, "t-forecast", 5, "Changed.")

    def shape(rec):
        def strip(v):
            return {k: x for k, x in v.items() if k != "locked_at"}

        return (
            [strip(h["value"]) for h in rec["history"]],
            strip(rec["value"]),
            strip(rec["first_locked"]),
            rec["revision"],
        )

    assert shape(other.get("t-forecast")) == shape(record())


def test_drafts_stop_at_the_revision_cap_but_locking_still_saves(book, monkeypatch):
    """Past MAX_REVISIONS, is a draft refused with a message while the lock is still saved?"""
    monkeypatch.setattr(forecast_module, "MAX_REVISIONS", 3)
    item = Forecast(**ARGS)
    answer(item, 10, "One.")  # revisions 1 and 2
    item._slider.value = 20  # revision 3
    item._slider.value = 30  # refused
    assert record()["revision"] == 3 and "Not saved" in item._status.value
    assert item.lock() is True
    assert record()["revision"] == 4 and first_locked(record())["probability"] == 30


def test_typing_a_number_moves_the_slider_and_saves_once(book):
    """Does the number box (for keyboard users) set the slider, save one revision, and follow it?"""
    item = Forecast(**ARGS)
    item._number.value = 65
    assert item._slider.value == 65
    assert record()["value"]["probability"] == 65 and record()["revision"] == 1
    item._slider.value = 40
    assert item._number.value == 40 and record()["revision"] == 2
    item._reason.value = "Why."
    item.lock()
    assert item._number.disabled and item._number.value == 40


def test_a_forecast_needs_a_resolution():
    """Is a forecast without a resolution refused when the lesson is read?"""
    with pytest.raises(SpecError, match="resolution"):
        specs_from_source('f = Forecast(id="m00-fc-x", prompt="Will it?", points=1)')
    (spec,) = specs_from_source(
        'f = Forecast(id="m00-fc-x", prompt="Will it?", resolution="YES if so.", '
        'as_of="April 2016", points=1)'
    )
    assert (spec.kind, spec.resolution, spec.as_of, spec.graded) == (
        "forecast",
        "YES if so.",
        "April 2016",
        True,
    )
