"""The answers file: every save lands, nothing is lost, nothing unreadable is deleted."""

from __future__ import annotations

import datetime
import hashlib
import json
import multiprocessing
import os
import re
import threading
import types
from pathlib import Path

import jsonschema
import pytest

import course.answers as answers_mod
from course.answers import (
    FORMAT,
    HISTORY_LIMIT,
    MAX_BYTES,
    MAX_ENTRIES,
    MAX_TEXT,
    VERSION,
    AnswerBook,
    answers_filename,
    answers_path,
    read_answers,
    record_answer,
)
from course.forecasts import first_locked, read_locked
from course.grading.score import score_item
from course.items.spec import ItemSpec
from course.keys import ItemKey
from course.kinds import kinds

NB = "01-close-reading"
SCHEMA_PATH = Path(answers_mod.__file__).parent / "schema" / "answers.schema.json"

SHAPES = {
    "single_choice": ("m-single", "b"),
    "multiple_choice": ("m-multi", ["a", "c"]),
    "numeric": ("m-num", 192.5),
    "computed": ("m-comp", 225),
    "classification": ("m-class", {"s1": "fact", "s2": "pred"}),
    "ordering": ("m-order", ["p3", "p1", "p2"]),
    "phrase_selection": ("m-phrase", ["p1", "p4"]),
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _leftovers(folder: Path) -> list[str]:
    """Every file in ``folder`` other than the answers file itself."""
    return sorted(p.name for p in folder.iterdir() if p.name != answers_filename(NB))


# -- recording and reading ------------------------------------------------------------


def test_recorded_answer_is_read_back_by_a_new_book(tmp_path):
    """Does an answer recorded by one book come back from a fresh book and from read_answers?"""
    AnswerBook(NB, tmp_path).record("m-single", "b", kind="single_choice")

    assert AnswerBook(NB, tmp_path).value("m-single") == "b"
    result = read_answers(answers_path(NB, tmp_path), notebook=NB)
    assert result.answers["m-single"]["value"] == "b"
    assert result.problems == [] and not result.unreadable and result.exists


def test_file_is_named_after_the_notebook_and_hidden(tmp_path):
    """Is the file `.<notebook>.answers.json` in the notebook's folder, whether or not .ipynb is given?"""
    record_answer(f"{NB}.ipynb", "m-single", "a", kind="single_choice", folder=tmp_path)

    assert [p.name for p in tmp_path.iterdir()] == [".01-close-reading.answers.json"]
    data = json.loads((tmp_path / ".01-close-reading.answers.json").read_text(encoding="utf-8"))
    assert (data["format"], data["version"], data["notebook"]) == (FORMAT, VERSION, NB)


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_value_shape_of_each_kind_is_preserved(tmp_path, kind):
    """Does each kind's value come back with the same JSON shape (list order, dict, number)?"""
    item_id, value = SHAPES[kind]
    record_answer(NB, item_id, value, kind=kind, folder=tmp_path)

    record = AnswerBook(NB, tmp_path).get(item_id)
    assert record["value"] == value
    assert type(record["value"]) is type(value)
    assert record["kind"] == kind


def test_extra_fields_are_stored_with_the_record(tmp_path):
    """Are a shuffle seed and the order shown kept alongside the value?"""
    record_answer(
        NB,
        "m-single",
        "c",
        kind="single_choice",
        folder=tmp_path,
        extra={"seed": "jdoe-m-single", "order": ["c", "a", "b"]},
    )

    record = AnswerBook(NB, tmp_path).get("m-single")
    assert record["seed"] == "jdoe-m-single"
    assert record["order"] == ["c", "a", "b"]


def test_saved_at_is_iso8601_utc_ending_in_z(tmp_path):
    """Is saved_at an ISO-8601 UTC time with milliseconds and a trailing Z?"""
    record = record_answer(NB, "m-single", "a", kind="single_choice", folder=tmp_path)

    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", record["saved_at"])


# -- revision and history ---------------------------------------------------------------


def test_revision_increments_and_history_keeps_earlier_values(tmp_path):
    """Does each save raise the revision by one and push the previous value onto the history?"""
    book = AnswerBook(NB, tmp_path)
    first = book.record("m-single", "a", kind="single_choice")
    book.record("m-single", "b", kind="single_choice")
    third = book.record("m-single", "c", kind="single_choice")

    assert first["revision"] == 1 and first["history"] == []
    assert third["revision"] == 3
    assert [h["value"] for h in third["history"]] == ["a", "b"]
    assert third["history"][0]["saved_at"] == first["saved_at"]
    assert AnswerBook(NB, tmp_path).get("m-single") == third


def test_history_is_capped_at_history_limit(tmp_path):
    """Does the history keep only the latest HISTORY_LIMIT earlier values, oldest first?"""
    book = AnswerBook(NB, tmp_path)
    saves = HISTORY_LIMIT + 5
    for n in range(saves):
        book.record("m-num", n, kind="numeric")

    record = book.get("m-num")
    assert record["revision"] == saves
    assert len(record["history"]) == HISTORY_LIMIT
    assert [h["value"] for h in record["history"]] == list(
        range(saves - 1 - HISTORY_LIMIT, saves - 1)
    )


def test_keep_history_none_keeps_every_earlier_value(tmp_path):
    """Does keep_history=None keep all earlier values, beyond HISTORY_LIMIT?"""
    book = AnswerBook(NB, tmp_path)
    saves = HISTORY_LIMIT + 5
    for n in range(saves):
        book.record("m-num", n, kind="numeric", keep_history=None)

    assert [h["value"] for h in book.get("m-num")["history"]] == list(range(saves - 1))


def test_answers_to_other_items_are_untouched_by_a_save(tmp_path):
    """Does saving one item leave every other item's record exactly as it was?"""
    book = AnswerBook(NB, tmp_path)
    other = book.record("m-multi", ["a", "b"], kind="multiple_choice")
    book.record("m-single", "a", kind="single_choice")
    book.record("m-single", "b", kind="single_choice")

    assert book.get("m-multi") == other


# -- the file on disk -------------------------------------------------------------------


def test_file_is_valid_against_the_json_schema(tmp_path):
    """Does a file holding every kind, extras and history validate against the published schema?"""
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for kind, (item_id, value) in SHAPES.items():
        record_answer(NB, item_id, value, kind=kind, folder=tmp_path)
    record_answer(
        NB,
        "m-single",
        "c",
        kind="single_choice",
        folder=tmp_path,
        extra={"seed": "s-1", "order": ["c", "b", "a"]},
    )

    data = json.loads(answers_path(NB, tmp_path).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)


def test_schema_rejects_what_the_reader_refuses():
    """Does the schema refuse another version, an unknown kind, a revision of 0, and the limits?"""
    validator = jsonschema.Draft202012Validator(_schema())
    good_record = {
        "value": "a",
        "kind": "single_choice",
        "saved_at": "2026-11-24T10:00:00.000Z",
        "revision": 1,
        "history": [],
    }
    good = {"format": FORMAT, "version": VERSION, "notebook": NB, "answers": {"x": good_record}}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "version": 2})
    assert not validator.is_valid({**good, "answers": {"x": {**good_record, "kind": "essay"}}})
    assert not validator.is_valid({**good, "answers": {"x": {**good_record, "revision": 0}}})
    for bad in (
        {"value": 10**400},
        {"value": "a" * (MAX_TEXT + 1)},
        {"note": ["a"] * (MAX_ENTRIES + 1)},
        {"history": [{"value": "a", "saved_at": "2026-11-24T10:00:00.000Z"}] * (MAX_ENTRIES + 1)},
    ):
        assert not validator.is_valid({**good, "answers": {"x": {**good_record, **bad}}})


def test_schema_kinds_match_the_writer():
    """Does the schema's kind enum list exactly the kinds the writer accepts (the registry's)?"""
    enum = _schema()["$defs"]["record"]["properties"]["kind"]["enum"]
    assert sorted(enum) == sorted(kinds())


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    """After many saves, is the answers file the only file in the folder?"""
    book = AnswerBook(NB, tmp_path)
    for n in range(20):
        book.record(f"m-{n % 3}", n, kind="numeric")

    assert _leftovers(tmp_path) == []


def test_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    """If the disk write fails mid-save, is the previous file intact and no temp file left?"""
    book = AnswerBook(NB, tmp_path)
    book.record("m-single", "a", kind="single_choice")
    before = answers_path(NB, tmp_path).read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(answers_mod.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        book.record("m-single", "b", kind="single_choice")

    assert answers_path(NB, tmp_path).read_bytes() == before
    assert _leftovers(tmp_path) == []


def test_file_is_readable_by_others(tmp_path):
    """Is the file group- and world-readable (0644), as nbgrader's exchange needs?"""
    record_answer(NB, "m-single", "a", kind="single_choice", folder=tmp_path)

    assert answers_path(NB, tmp_path).stat().st_mode & 0o777 == 0o644


# -- concurrency --------------------------------------------------------------------------


def test_writes_from_many_threads_lose_no_update(tmp_path):
    """Do 8 threads × 50 saves to different items all end up in the file?"""
    threads_n, saves = 8, 50
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            book = AnswerBook(NB, tmp_path)
            for n in range(saves):
                book.record(f"t{t}-i{n}", n, kind="numeric")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    answers = read_answers(answers_path(NB, tmp_path), notebook=NB).answers
    assert len(answers) == threads_n * saves
    assert all(answers[f"t{t}-i{n}"]["value"] == n for t in range(threads_n) for n in range(saves))
    assert _leftovers(tmp_path) == []


def test_writes_to_one_item_from_many_threads_count_every_revision(tmp_path):
    """Do 4 threads × 25 saves to the SAME item reach revision 100 (no save overwritten)?"""

    def work() -> None:
        book = AnswerBook(NB, tmp_path)
        for n in range(25):
            book.record("m-num", n, kind="numeric", keep_history=None)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    record = AnswerBook(NB, tmp_path).get("m-num")
    assert record["revision"] == 100
    assert len(record["history"]) == 99


def _process_worker(folder: str, worker: int, saves: int) -> None:
    book = AnswerBook(NB, folder)
    for n in range(saves):
        book.record(f"p{worker}-i{n}", n, kind="numeric")


def test_writes_from_several_processes_lose_no_update(tmp_path):
    """Do 4 separate processes × 25 saves (two kernels at once) all end up in the file?"""
    procs_n, saves = 4, 25
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters, like separate kernels
    procs = [
        ctx.Process(target=_process_worker, args=(str(tmp_path), w, saves)) for w in range(procs_n)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)

    assert [proc.exitcode for proc in procs] == [0] * procs_n
    answers = read_answers(answers_path(NB, tmp_path), notebook=NB).answers
    assert len(answers) == procs_n * saves
    assert all(answers[f"p{w}-i{n}"]["value"] == n for w in range(procs_n) for n in range(saves))
    assert _leftovers(tmp_path) == []


# -- opening and reading never write ------------------------------------------------------


def test_opening_a_book_never_creates_the_file(tmp_path):
    """Does opening a book (and reading from it) leave an empty folder empty?"""
    book = AnswerBook(NB, tmp_path)
    assert book.value("m-single", "none") == "none"
    assert book.all() == {}

    assert list(tmp_path.iterdir()) == []


def test_opening_a_book_never_modifies_the_file(tmp_path):
    """Does opening a book on an existing file leave its bytes and mtime unchanged?"""
    record_answer(NB, "m-single", "a", kind="single_choice", folder=tmp_path)
    path = answers_path(NB, tmp_path)
    before = (path.read_bytes(), path.stat().st_mtime_ns)

    book = AnswerBook(NB, tmp_path)
    book.all()

    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xffnot json at all\x80",
        b'{"format": "claims-and-evidence/answers", "version": 1, "notebook": "01-close-reading", "answers": {',
        b"[1, 2, 3]",
    ],
    ids=["garbage", "truncated", "list"],
)
def test_opening_a_book_on_a_corrupt_file_never_touches_it(tmp_path, content):
    """Does opening a book on a corrupt file leave it in place, byte for byte, and say why?"""
    path = answers_path(NB, tmp_path)
    path.write_bytes(content)

    book = AnswerBook(NB, tmp_path)

    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert book.problems


# -- unreadable files are set aside, never deleted ----------------------------------------


def _valid_file(notebook: str) -> bytes:
    data = {
        "format": FORMAT,
        "version": VERSION,
        "notebook": notebook,
        "answers": {
            "m-single": {
                "value": "a",
                "kind": "single_choice",
                "saved_at": "2026-11-24T10:00:00.000Z",
                "revision": 1,
                "history": [],
            }
        },
    }
    return json.dumps(data).encode()


UNREADABLE = {
    "garbage": (b"\x00\x01\xfe\xff garbage \x80\x81", "not valid JSON"),
    "wrong-format": (
        json.dumps({"format": "something-else", "version": 1, "answers": {}}).encode(),
        "not a Claims & Evidence answers file",
    ),
    "wrong-version": (_valid_file(NB).replace(b'"version": 1', b'"version": 2'), "version 2"),
    "json-list": (b'[{"value": "a"}]', "not a Claims & Evidence answers file"),
    "other-notebook": (_valid_file("02-other"), "belongs to notebook '02-other'"),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_unreadable_file_is_set_aside_intact_and_a_fresh_file_started(tmp_path, case):
    """Is an unreadable file moved aside with its bytes intact, a new file begun, and the student told?"""
    content, reason = UNREADABLE[case]
    path = answers_path(NB, tmp_path)
    path.write_bytes(content)

    book = AnswerBook(NB, tmp_path)
    assert any(reason in p for p in book.problems)
    book.record("m-multi", ["b"], kind="multiple_choice")

    aside = [p for p in tmp_path.iterdir() if p.name != path.name]
    assert len(aside) == 1
    assert re.fullmatch(
        r"\.01-close-reading\.answers\.unreadable-\d{8}T\d{6}\d{6}Z\.json", aside[0].name
    )
    assert aside[0].read_bytes() == content
    fresh = read_answers(path, notebook=NB)
    assert not fresh.unreadable and fresh.problems == []
    assert list(fresh.answers) == ["m-multi"]
    assert fresh.answers["m-multi"]["revision"] == 1
    assert any(aside[0].name in p and "Nothing was deleted" in p for p in book.problems)


def test_second_unreadable_file_gets_its_own_name_even_at_the_same_instant(tmp_path, monkeypatch):
    """If the file is corrupted twice within one clock tick, are both broken copies kept?"""
    frozen = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.UTC)

    class FrozenDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen

    monkeypatch.setattr(
        answers_mod, "_dt", types.SimpleNamespace(datetime=FrozenDatetime, UTC=datetime.UTC)
    )
    path = answers_path(NB, tmp_path)
    for n in range(2):
        path.write_bytes(b"broken %d" % n)
        AnswerBook(NB, tmp_path).record("m-single", "a", kind="single_choice")

    aside = sorted(p for p in tmp_path.iterdir() if p.name != path.name)
    assert sorted(p.read_bytes() for p in aside) == [b"broken 0", b"broken 1"]


def _file_with_bad_records(path: Path) -> bytes:
    data = json.loads(_valid_file(NB))
    data["answers"]["m-bad"] = {"value": "x", "kind": "essay", "saved_at": "2026-11-24T10:00:00Z"}
    data["answers"]["m-norev"] = {
        "value": 3,
        "kind": "numeric",
        "saved_at": "2026-11-24T10:00:00.000Z",
        "revision": 0,
    }
    content = json.dumps(data).encode()
    path.write_bytes(content)
    return content


def test_one_bad_record_keeps_the_good_ones_and_is_reported(tmp_path):
    """Does a file with invalid records still yield the valid ones, each bad one reported by id?"""
    path = answers_path(NB, tmp_path)
    _file_with_bad_records(path)

    result = read_answers(path, notebook=NB)

    assert list(result.answers) == ["m-single"]
    assert not result.unreadable
    assert any("m-bad" in p and "unknown kind 'essay'" in p for p in result.problems)
    assert any("m-norev" in p and "revision" in p for p in result.problems)
    assert any("m-bad" in p for p in AnswerBook(NB, tmp_path).problems)


def test_saving_over_bad_records_keeps_a_copy_of_the_file_first(tmp_path):
    """Before a save drops unreadable records, is the whole file copied aside intact, once, and the student told?"""
    path = answers_path(NB, tmp_path)
    content = _file_with_bad_records(path)

    book = AnswerBook(NB, tmp_path)
    book.record("m-multi", ["a"], kind="multiple_choice")
    book.record("m-multi", ["b"], kind="multiple_choice")

    aside = [p for p in tmp_path.iterdir() if p.name != path.name]
    assert len(aside) == 1
    assert aside[0].name.startswith(".01-close-reading.answers.unreadable-")
    assert aside[0].read_bytes() == content
    assert any(aside[0].name in p and "Nothing was deleted" in p for p in book.problems)
    fresh = read_answers(path, notebook=NB)
    assert fresh.problems == []
    assert set(fresh.answers) == {"m-single", "m-multi"}
    assert fresh.answers["m-single"] == json.loads(content)["answers"]["m-single"]


# -- read_answers: the grader's reader ---------------------------------------------------


def test_missing_file_is_no_answers_and_no_problem(tmp_path):
    """Is a missing file read as 'nothing answered' rather than as an error?"""
    result = read_answers(answers_path(NB, tmp_path), notebook=NB)

    assert (result.answers, result.problems, result.exists, result.unreadable) == (
        {},
        [],
        False,
        False,
    )


def test_read_answers_refuses_files_over_max_bytes_without_reading_them(tmp_path, monkeypatch):
    """Is a file over MAX_BYTES refused by its size alone, never opened?"""
    path = answers_path(NB, tmp_path)
    path.write_bytes(b" " * (MAX_BYTES + 1))

    def no_reading(self):
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    result = read_answers(path, notebook=NB)

    assert result.unreadable and result.exists and result.answers == {}
    assert "over the 2,000,000-byte limit" in result.problems[0]


def test_read_answers_accepts_a_file_at_exactly_max_bytes(tmp_path):
    """Is a valid file of exactly MAX_BYTES still read (the limit is inclusive)?"""
    path = answers_path(NB, tmp_path)
    body = _valid_file(NB)
    path.write_bytes(body + b" " * (MAX_BYTES - len(body)))
    assert path.stat().st_size == MAX_BYTES

    result = read_answers(path, notebook=NB)
    assert not result.unreadable and list(result.answers) == ["m-single"]


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_read_answers_never_writes_even_for_corrupt_files(tmp_path, case):
    """Does read_answers leave a corrupt file's bytes and mtime unchanged and create nothing?"""
    content, _ = UNREADABLE[case]
    path = answers_path(NB, tmp_path)
    path.write_bytes(content)
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = (_digest(path), path.stat().st_mtime_ns)

    result = read_answers(path, notebook=NB)

    assert result.unreadable
    assert (_digest(path), path.stat().st_mtime_ns) == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


# -- rejected values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        {"a", "b"},
        float("nan"),
        float("inf"),
        object(),
        {1: "a"},
        ("a", "b"),
        10**400,
        "a\ud800b",
        "a" * (MAX_TEXT + 1),
        [[[[[[[["deep"]]]]]]]],
        ["a"] * (MAX_ENTRIES + 1),
    ],
    ids=[
        "set",
        "nan",
        "inf",
        "object",
        "int-keys",
        "tuple",
        "huge-int",
        "surrogate",
        "long-text",
        "deep",
        "long-list",
    ],
)
def test_non_json_value_raises_and_leaves_the_file_unchanged(tmp_path, value):
    """Is a value that is not plain JSON refused with ValueError, the file left byte for byte?"""
    record_answer(NB, "m-single", "a", kind="single_choice", folder=tmp_path)
    path = answers_path(NB, tmp_path)
    before = (path.read_bytes(), path.stat().st_mtime_ns)

    with pytest.raises(ValueError, match="plain JSON"):
        AnswerBook(NB, tmp_path).record("m-single", value, kind="single_choice")

    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert _leftovers(tmp_path) == []


def test_unknown_kind_raises_and_creates_no_file(tmp_path):
    """Is an unknown item kind refused before anything is written?"""
    with pytest.raises(ValueError, match="Unknown item kind"):
        record_answer(NB, "m-single", "a", kind="essay", folder=tmp_path)

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["", "../01-close-reading", "sub/01", ".hidden"])
def test_invalid_notebook_names_are_refused(name):
    """Is a notebook name with a path, a leading dot or nothing at all refused?"""
    with pytest.raises(ValueError, match="Invalid notebook name"):
        answers_filename(name)


@pytest.mark.parametrize(
    "extra",
    [{"seed": float("nan")}, {"order": [[[[[[[["x"]]]]]]]]}, {"note": 10**400}, {1: "a"}],
    ids=["nan", "deep", "huge-int", "int-key"],
)
def test_extra_fields_that_are_not_plain_json_are_refused(tmp_path, extra):
    """Is an extra field the reader would refuse also refused by the writer, writing nothing?"""
    with pytest.raises(ValueError, match="plain JSON"):
        record_answer(NB, "m-single", "a", kind="single_choice", folder=tmp_path, extra=extra)

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("item_id", ["", "x" * 101, "a\udfff"], ids=["empty", "long", "surrogate"])
def test_invalid_item_ids_are_refused_by_the_writer(tmp_path, item_id):
    """Is an id the reader would refuse also refused by the writer, writing nothing?"""
    with pytest.raises(ValueError, match="Invalid item id"):
        record_answer(NB, item_id, "a", kind="single_choice", folder=tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_history_never_grows_beyond_the_format_limit(tmp_path):
    """With keep_history=None, does the record stay readable after more than 500 saves?"""
    path = answers_path(NB, tmp_path)
    history = [{"value": n, "saved_at": "2026-11-24T10:00:00.000Z"} for n in range(MAX_ENTRIES)]
    record = {
        "value": MAX_ENTRIES,
        "kind": "numeric",
        "saved_at": "2026-11-24T10:00:00.000Z",
        "revision": MAX_ENTRIES + 1,
        "history": history,
    }
    data = {"format": FORMAT, "version": VERSION, "notebook": NB, "answers": {"m-num": record}}
    path.write_text(json.dumps(data), encoding="utf-8")

    AnswerBook(NB, tmp_path).record("m-num", -1, kind="numeric", keep_history=None)

    result = read_answers(path, notebook=NB)
    assert result.problems == []
    saved = result.answers["m-num"]
    assert saved["value"] == -1 and saved["revision"] == MAX_ENTRIES + 2
    assert [h["value"] for h in saved["history"]] == list(range(1, MAX_ENTRIES + 1))


# -- forecasts: the first lock counts for good ------------------------------------------

FORECAST_NB = "00-orientation"
FORECAST = ItemSpec.build(
    "forecast",
    id="m00-fc-x",
    prompt="Will it happen?",
    resolution="YES if it happens before 2018.",
    points=1,
)
FORECAST_KEY = ItemKey("m00-fc-x", completion=True, outcome=1)


def _forecast(probability: int, reason: str, locked_at: str | None = None) -> dict:
    value = {"probability": probability, "reason": reason, "locked": locked_at is not None}
    return {**value, "locked_at": locked_at} if locked_at else value


@pytest.mark.parametrize("keep_history", ["default", 0, 1, None])
def test_the_first_lock_of_a_forecast_survives_any_number_of_later_saves(tmp_path, keep_history):
    """After a lock, 100 saves (one a later, different lock) never change what counts."""
    options = {} if keep_history == "default" else {"keep_history": keep_history}
    book = AnswerBook(FORECAST_NB, tmp_path)
    book.record("m00-fc-x", _forecast(30, "draft"), kind="forecast", **options)
    first = _forecast(70, "the first lock", "2026-11-24T10:00:00.000Z")
    book.record("m00-fc-x", first, kind="forecast", extra={"first_locked": first}, **options)
    for n in range(100):
        if n == 60:  # a later, different lock that claims to be the first
            later = _forecast(5, "a later lock", "2026-11-25T10:00:00.000Z")
            extra = {"first_locked": later}
        else:
            later, extra = _forecast(n, f"save {n}"), None
        book.record("m00-fc-x", later, kind="forecast", extra=extra, **options)

    record = AnswerBook(FORECAST_NB, tmp_path).get("m00-fc-x")
    assert record["revision"] == 102
    kept = {"default": HISTORY_LIMIT, 0: 0, 1: 1, None: 101}[keep_history]
    assert len(record["history"]) == kept
    assert record["first_locked"] == first
    assert first_locked(record) == first
    assert read_locked(FORECAST_NB, tmp_path) == {"m00-fc-x": 70}
    result = score_item(FORECAST, FORECAST_KEY, record)
    assert (result.points, result.answer) == (1.0, first)


def test_a_forecast_locked_by_its_value_alone_keeps_that_lock(tmp_path):
    """Is a lock saved without first_locked (by code) carried on as first_locked, whatever follows?"""
    book = AnswerBook(FORECAST_NB, tmp_path)
    first = _forecast(40, "locked by code", "2026-11-24T10:00:00.000Z")
    assert book.record("m00-fc-x", first, kind="forecast")["first_locked"] == first
    for n in range(HISTORY_LIMIT + 5):
        book.record("m00-fc-x", _forecast(n, "later"), kind="forecast", keep_history=0)

    assert read_locked(FORECAST_NB, tmp_path) == {"m00-fc-x": 40}
    assert book.get("m00-fc-x")["first_locked"] == first


def test_a_never_locked_forecast_gets_no_first_locked(tmp_path):
    """Does a forecast saved only as drafts stay unlocked, with no first_locked field?"""
    book = AnswerBook(FORECAST_NB, tmp_path)
    for n in range(3):
        record = book.record("m00-fc-x", _forecast(n, "draft"), kind="forecast")

    assert "first_locked" not in record
    assert read_locked(FORECAST_NB, tmp_path) == {}
