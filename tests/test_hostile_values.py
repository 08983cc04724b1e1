"""Hostile submissions: any JSON an answers file can hold scores, or scores 0 with a message.

Property-based (Hypothesis): arbitrary JSON (None, booleans, integers of any
size, floats with NaN, infinities and -0.0, text with unpaired surrogates,
lists and objects, nested thousands of levels deep or thousands of entries
long) is put in every field of the answers file and of each record, for
every item kind of the fixture module and a module 00 forecast. The reader,
the validator, the scorer, the renderers and the item-analysis picks must
never raise; the score stays in ``0..points``, and an answer that is not
well formed earns 0 or comes with a message.
"""

from __future__ import annotations

import copy
import json
import math
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jupytext
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.answers import (
    FORMAT,
    MAX_FILE_DEPTH,
    VERSION,
    AnswerBook,
    ReadResult,
    answers_path,
    read_answers,
    validate_record,
)
from course.forecasts import first_locked, normalize, read_locked
from course.grading.score import describe_answer, describe_key, score_item
from course.items.spec import ItemSpec, specs_from_source
from course.keys import load_key
from course.render import render_html, render_text
from course.report.analysis import option_rates
from course.report.data import option_catalogue, picks_of

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
NB = "90-fixture"
KINDS = (
    "single_choice",
    "multiple_choice",
    "numeric",
    "classification",
    "ordering",
    "phrase_selection",
    "computed",
    "forecast",
)
VERDICTS = {"correct", "partial", "incorrect", "unanswered", "unreadable"}
FLOAT_MAX_INT = int(sys.float_info.max)
HOSTILE = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def _lesson_specs(path: Path) -> dict[str, ItemSpec]:
    specs: dict[str, ItemSpec] = {}
    for cell in jupytext.read(path).cells:
        if cell.cell_type == "code":
            specs.update((s.id, s) for s in specs_from_source(cell.source, where=path.name))
    return specs


FIXTURE_SPECS = _lesson_specs(FIXTURES / "lessons" / f"{NB}.md")
FIXTURE_KEY = load_key(FIXTURES / "keys" / f"{NB}.yaml")
FORECAST_SPEC = _lesson_specs(ROOT / "notebooks" / "00-orientation.md")["m00-fc-palmyra"]
FORECAST_KEY = load_key(ROOT / "autograde" / "keys" / "00-orientation.yaml").items["m00-fc-palmyra"]
#: Every (spec, key) pair: one item of each kind.
ITEMS = [(spec, FIXTURE_KEY.items[spec.id]) for spec in FIXTURE_SPECS.values()] + [
    (FORECAST_SPEC, FORECAST_KEY)
]
SPECS = {spec.id: spec for spec, _ in ITEMS}
KEYS = {spec.id: key for spec, key in ITEMS}


def test_the_fixtures_cover_every_item_kind():
    """Do the properties below run over one item of every kind?"""
    assert sorted({spec.kind for spec, _ in ITEMS}) == sorted(KINDS)


# -- strategies ---------------------------------------------------------------------------

#: Words the items and the format use, so that drawn data often almost fits.
WORDS = sorted(
    {
        *SPECS,
        *KINDS,
        *(oid for spec in SPECS.values() for oid in spec.options),
        *(sid for spec in SPECS.values() for sid in spec.statements),
        *(cid for spec in SPECS.values() for cid in spec.categories),
        "value",
        "kind",
        "saved_at",
        "revision",
        "history",
        "first_locked",
        "seed",
        "order",
        "probability",
        "reason",
        "locked",
        "locked_at",
    }
)
ODD_TEXTS = [
    "",
    " ",
    "\ud800",
    "a\udfffb",
    "\x00",
    "'\"<script>&",
    "2026-11-24T10:00:00.000Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999Z",
    "2026-11-24T10:00:00.000-23:59",
    "2026-13-45T99:99:99Z",
]


def _nest(value: Any, depth: int, how: str) -> Any:
    """Wrap ``value`` in ``depth`` lists or objects, without recursion."""
    for _ in range(depth):
        value = [value] if how == "list" else {"k": value}
    return value


huge_ints = st.builds(
    lambda digits, sign: sign * (10**digits + 7),
    st.integers(min_value=300, max_value=600),
    st.sampled_from([1, -1]),
)
ints = st.one_of(
    st.integers(),
    st.integers(min_value=-2, max_value=102),
    huge_ints,
    st.sampled_from([FLOAT_MAX_INT, FLOAT_MAX_INT + 1, -FLOAT_MAX_INT - 1, 2**53 + 1, 2**1024]),
)
floats = st.one_of(
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 70.0, 70.5, 225.0, 1e308, 5e-324]),
)
texts = st.one_of(st.text(max_size=12), st.sampled_from(WORDS + ODD_TEXTS))
scalars = st.one_of(st.none(), st.booleans(), ints, floats, texts)
keys = st.one_of(st.text(max_size=6), st.sampled_from(WORDS + ODD_TEXTS))
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6), st.dictionaries(keys, children, max_size=6)
    ),
    max_leaves=24,
)


def anything(max_depth: int = 3000) -> st.SearchStrategy[Any]:
    """Any JSON value: ordinary, nested up to ``max_depth`` levels, very long, or huge."""
    return st.one_of(
        json_values,
        st.builds(
            _nest,
            json_values,
            st.integers(min_value=5, max_value=max_depth),
            st.sampled_from(["list", "dict"]),
        ),
        st.builds(lambda v, n: [v] * n, scalars, st.integers(min_value=495, max_value=600)),
        st.builds(
            lambda n: {f"k{i}": i for i in range(n)}, st.integers(min_value=495, max_value=600)
        ),
        st.builds(lambda n: "a" * n, st.integers(min_value=19_990, max_value=20_010)),
    )


def forecasts(junk: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Forecast-shaped objects whose fields may be anything."""
    return st.fixed_dictionaries(
        {},
        optional={
            "probability": st.one_of(ints, floats, junk),
            "reason": st.one_of(texts, junk),
            "locked": st.one_of(st.booleans(), junk),
            "locked_at": st.one_of(texts, junk),
        },
    )


def plausible(spec: ItemSpec, junk: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Values shaped like an answer to ``spec``, made of its ids and of ``junk``."""
    ids = st.one_of(st.sampled_from(sorted(spec.options or spec.statements or ["x"])), junk)
    if spec.kind == "single_choice":
        return ids
    if spec.kind in {"multiple_choice", "phrase_selection", "ordering"}:
        return st.one_of(
            st.lists(ids, max_size=6),
            st.permutations(sorted(spec.options)).map(list),
        )
    if spec.kind == "classification":
        return st.dictionaries(
            st.one_of(st.sampled_from(sorted(spec.statements)), keys),
            st.one_of(st.sampled_from(sorted(spec.categories)), junk),
            max_size=4,
        )
    if spec.kind in {"numeric", "computed"}:
        return st.one_of(ints, floats)
    return forecasts(junk)


_FIELDS: dict[tuple[str, int], dict[str, st.SearchStrategy[Any]]] = {}


def _fields(spec: ItemSpec, junk: st.SearchStrategy[Any]) -> dict[str, st.SearchStrategy[Any]]:
    """What each field of a record for ``spec`` usually holds (built once: drawing is faster)."""
    cache_key = (spec.id, id(junk))
    if cache_key not in _FIELDS:
        value = st.one_of(plausible(spec, junk), plausible(spec, junk), junk)
        entry = st.fixed_dictionaries({"value": value, "saved_at": texts})
        _FIELDS[cache_key] = {
            "value": value,
            "kind": st.sampled_from([spec.kind, spec.kind, spec.kind, *KINDS]),
            "saved_at": st.one_of(st.just("2026-11-24T10:00:00.000Z"), texts),
            "revision": st.integers(min_value=1, max_value=600),
            "history": st.lists(st.one_of(entry, entry, junk), max_size=4),
            "first_locked": forecasts(junk),
            "seed": texts,
            "order": plausible(spec, junk),
        }
    return _FIELDS[cache_key]


@st.composite
def records(draw: st.DrawFn, spec: ItemSpec, junk: st.SearchStrategy[Any]) -> Any:
    """Answer records for ``spec``: each field usually fits, and is sometimes anything at all."""
    if draw(st.integers(min_value=0, max_value=19)) == 19:
        return draw(junk)  # a record that is not even an object
    record = {}
    for name, good in _fields(spec, junk).items():
        usually = draw(st.integers(min_value=0, max_value=7)) < 7
        record[name] = draw(good) if usually else draw(junk)
    if draw(st.integers(min_value=0, max_value=3)) == 3:
        for name in draw(st.sets(st.sampled_from(sorted(record)), max_size=3)):
            del record[name]
    return {**draw(st.dictionaries(keys, junk, max_size=3)), **record}


def item_records(junk: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[str, Any]]:
    """An item id of the fixtures with a record for it."""
    return st.sampled_from(sorted(SPECS)).flatmap(
        lambda item_id: st.tuples(st.just(item_id), records(SPECS[item_id], junk))
    )


#: Any JSON value at all, and one that a test can still write with json.dumps.
JUNK = anything()
FILE_JUNK = anything(max_depth=60)  # mostly within MAX_FILE_DEPTH; deeper files: below


# -- what a well-formed answer is -------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and -FLOAT_MAX_INT <= value <= FLOAT_MAX_INT
    )


def well_typed(spec: ItemSpec, value: Any) -> bool:
    """Is ``value`` of the type an answer to ``spec`` has (whatever ids it holds)?"""
    if spec.kind == "single_choice":
        return isinstance(value, str)
    if spec.kind in {"multiple_choice", "phrase_selection", "ordering"}:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if spec.kind == "classification":
        return isinstance(value, Mapping)
    if spec.kind in {"numeric", "computed"}:
        return _is_number(value)
    return True


def well_formed(spec: ItemSpec, value: Any) -> bool:
    """Is ``value`` an answer a widget of ``spec`` could have saved?"""
    if not well_typed(spec, value):
        return False
    if spec.kind == "single_choice":
        return value in spec.options
    if spec.kind in {"multiple_choice", "phrase_selection"}:
        return set(value) <= set(spec.options) and len(set(value)) == len(value)
    if spec.kind == "ordering":
        return sorted(value) == sorted(spec.options)
    if spec.kind == "classification":
        return set(value) <= set(spec.statements) and all(
            c is None or (isinstance(c, str) and c in spec.categories) for c in value.values()
        )
    return True


# -- checks shared by the properties ----------------------------------------------------------


def check_scoring(spec: ItemSpec, record: Any) -> None:
    """Score, describe, render and pick ``record`` for ``spec``: nothing may raise."""
    key = KEYS[spec.id]
    result = score_item(spec, key, record)
    assert 0 <= result.points <= spec.points
    assert result.max_points == spec.points
    assert result.verdict in VERDICTS
    assert all(isinstance(p, str) for p in [*result.problems, *result.details])
    assert isinstance(result.answer_text, str) and isinstance(result.correct_text, str)
    value = record.get("value") if isinstance(record, Mapping) else None
    kind = record.get("kind") if isinstance(record, Mapping) else None
    if (
        spec.kind != "forecast"
        and isinstance(record, Mapping)
        and kind in (spec.kind, None)
        and value is not None
    ):
        if not well_formed(spec, value):
            assert result.problems, (spec.id, value)
        if not well_typed(spec, value):
            assert result.points == 0 and result.verdict == "unreadable", (spec.id, value)
    if isinstance(record, Mapping) and kind not in (spec.kind, None):
        assert result.points == 0 and result.problems
    if spec.kind == "forecast":
        locked = first_locked(record) if isinstance(record, Mapping) else None
        if locked is None:
            assert result.points == 0
            if value is not None and kind in ("forecast", None):
                assert result.problems or result.details
        else:
            assert normalize(locked) == locked
    assert isinstance(describe_answer(spec, value), str)
    assert isinstance(describe_key(spec, key), str)
    saved_at = record.get("saved_at") if isinstance(record, Mapping) else None
    order = record.get("order") if isinstance(record, Mapping) else None
    for render in (render_html, render_text):
        assert isinstance(render(spec, value), str)
        assert isinstance(render(spec, value, saved_at=saved_at, order=order), str)
        for reveal in (False, True):
            out = render(spec, value, result=result, reveal=reveal, saved_at=saved_at)
            assert isinstance(out, str)
    picks = picks_of(spec, value)
    assert picks is None or all(p is None or isinstance(p, str) for p in picks)
    options = {row["option"] for row in option_catalogue(NB, spec, key.answer)}
    assert picks is None or {p for p in picks if p is not None} <= options


def check_writable(answers: Mapping[str, Any]) -> None:
    """Can every record the reader accepted be copied and written back as strict JSON?"""
    copy.deepcopy(dict(answers))
    json.dumps(dict(answers), allow_nan=False, ensure_ascii=False).encode("utf-8")


# -- records ----------------------------------------------------------------------------------


@HOSTILE
@given(st.sampled_from(sorted(SPECS)).flatmap(lambda i: st.tuples(st.just(i), JUNK)))
def test_any_value_of_any_record_field_scores_or_gets_a_message(case):
    """Whatever ``value`` holds, is the score in range, and 0 with a message if ill-formed?"""
    item_id, value = case
    spec = SPECS[item_id]
    record = {"value": value, "kind": spec.kind, "saved_at": "2026-11-24T10:00:00.000Z"}
    assert all(isinstance(p, str) for p in validate_record(item_id, record))
    check_scoring(spec, record)


@HOSTILE
@given(item_records(JUNK))
def test_any_record_is_validated_scored_and_rendered_without_raising(case):
    """Does any record, valid or not, give a list of problems, a score and a rendering?"""
    item_id, record = case
    problems = validate_record(item_id, record)
    assert isinstance(problems, list) and all(isinstance(p, str) for p in problems)
    assert all(item_id in p for p in problems)
    check_scoring(SPECS[item_id], record)
    if isinstance(record, Mapping) and not problems:
        check_writable({item_id: record})


@HOSTILE
@given(JUNK, JUNK)
def test_any_item_id_and_record_are_validated_without_raising(item_id, record):
    """Does the validator describe any id and any record in a few plain words?"""
    problems = validate_record(item_id, record)
    assert isinstance(problems, list) and all(isinstance(p, str) for p in problems)
    assert all(len(p) < 1000 for p in problems)


@HOSTILE
@given(st.one_of(forecasts(JUNK), JUNK))
def test_any_forecast_value_is_normalized_or_refused_with_a_reason(value):
    """Does normalize return a forecast or raise ValueError with a short reason, never more?"""
    try:
        forecast = normalize(value)
    except ValueError as exc:
        assert 0 < len(str(exc)) < 1000
    else:
        assert 0 <= forecast["probability"] <= 100
        assert normalize(forecast) == forecast


@settings(HOSTILE, max_examples=50)  # pandas per example: fewer keep the file fast
@given(st.lists(item_records(JUNK), max_size=12))
def test_option_pick_rates_are_computed_from_any_saved_values(cases):
    """Do hostile values give option picks, and pick rates from 0 to 1, without raising?"""
    picks, catalogue = [], []
    for student, (item_id, record) in enumerate(cases):
        spec = SPECS[item_id]
        value = record.get("value") if isinstance(record, Mapping) else None
        for option in picks_of(spec, value) or []:
            picks.append({"student_id": f"s{student}", "module": NB, "item_id": item_id,
                          "option": option})  # fmt: skip
    for spec, key in ITEMS:
        catalogue += option_catalogue(NB, spec, key.answer)
    rates = option_rates(
        pd.DataFrame(picks, columns=["student_id", "module", "item_id", "option"]),
        pd.DataFrame(catalogue, columns=["module", "item_id", "option", "label", "correct"]),
    )
    assert rates["rate"].dropna().between(0, 1).all()
    assert (rates["picks"] <= rates["answered"]).all()


# -- whole files ------------------------------------------------------------------------------


@st.composite
def answer_files(draw: st.DrawFn) -> dict[str, Any]:
    """An answers file whose every field is usually right and sometimes anything at all."""
    junk = FILE_JUNK

    def usually(good: Any) -> Any:
        return good if draw(st.integers(min_value=0, max_value=9)) < 8 else draw(junk)

    answers = draw(
        st.one_of(
            st.lists(item_records(junk), max_size=8).map(dict),
            st.dictionaries(keys, records(SPECS["f-single"], junk), max_size=3),
        )
    )
    data = draw(st.dictionaries(keys, junk, max_size=3))
    data.update(
        {
            "format": usually(FORMAT),
            "version": usually(VERSION),
            "notebook": usually(NB),
            "answers": usually(answers),
        }
    )
    for name in draw(st.sets(st.sampled_from(["format", "version", "notebook", "answers"]))):
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            del data[name]
    return data


@settings(HOSTILE, max_examples=100)  # each example writes files: fewer keep the file fast
@given(answer_files())
def test_any_answers_file_is_read_scored_and_saved_over_without_raising(data):
    """Is any file read into valid records and problems, scored, and safely saved over?"""
    with tempfile.TemporaryDirectory() as folder:
        path = answers_path(NB, folder)
        path.write_text(json.dumps(data), encoding="ascii")  # NaN, surrogates: escaped

        result = read_answers(path, notebook=NB)

        assert isinstance(result, ReadResult) and result.exists
        assert all(isinstance(p, str) and len(p) < 1000 for p in result.problems)
        for item_id, record in result.answers.items():
            assert validate_record(item_id, record) == []
        check_writable(result.answers)
        for item_id, spec in SPECS.items():
            check_scoring(spec, result.answers.get(item_id))
        assert isinstance(read_locked(NB, folder), dict)

        book = AnswerBook(NB, folder)
        assert isinstance(book.all(), dict)
        book.record("f-single", "b", kind="single_choice")
        again = read_answers(path, notebook=NB)
        assert again.answers["f-single"]["value"] == "b"
        assert set(again.answers) >= set(result.answers)


def _file_with(value_text: str) -> str:
    """The text of an answers file whose f-num value is ``value_text`` (raw JSON)."""
    return (
        f'{{"format": "{FORMAT}", "version": {VERSION}, "notebook": "{NB}", "answers": {{'
        '"f-single": {"value": "b", "kind": "single_choice", "saved_at": "2026-11-24T10:00:00Z"}, '
        f'"f-num": {{"value": {value_text}, "kind": "numeric", "saved_at": "2026-11-24T10:00:00Z"}}'
        "}}"
    )


@pytest.mark.parametrize("depth", [MAX_FILE_DEPTH + 1, 1_000, 5_000, 100_000])
@pytest.mark.parametrize("where", ["whole file", "inside a record", "in an extra field"])
def test_a_file_nested_thousands_of_levels_deep_is_refused_with_a_message(tmp_path, depth, where):
    """Is deep nesting refused by the reader, with a message, instead of a RecursionError?"""
    deep = "[" * depth + "]" * depth
    text = {
        "whole file": deep,
        "inside a record": _file_with(deep),
        "in an extra field": _file_with("1")[:-1] + f', "extra": {deep}}}',
    }[where]
    path = answers_path(NB, tmp_path)
    path.write_text(text, encoding="utf-8")

    result = read_answers(path, notebook=NB)

    assert result.unreadable and result.answers == {}
    assert any("levels deep" in p for p in result.problems)
    book = AnswerBook(NB, tmp_path)
    book.record("f-single", "a", kind="single_choice")
    assert book.value("f-single") == "a"


@pytest.mark.parametrize("text", ["[" * 100_000, "{" * 100_000, '{"a":' * 100_000])
def test_unclosed_deep_nesting_is_refused_with_a_message(tmp_path, text):
    """Is a file that only opens lists or objects refused without a RecursionError?"""
    path = answers_path(NB, tmp_path)
    path.write_text(text, encoding="utf-8")

    result = read_answers(path, notebook=NB)

    assert result.unreadable and result.problems


def test_nesting_inside_strings_is_not_counted(tmp_path):
    """Are brackets inside strings (and escaped quotes) left out of the depth count?"""
    path = answers_path(NB, tmp_path)
    path.write_text(_file_with('"\\"' + "[" * (MAX_FILE_DEPTH + 10) + '"'), encoding="utf-8")

    result = read_answers(path, notebook=NB)

    assert not result.unreadable
    assert result.answers["f-num"]["value"] == '"' + "[" * (MAX_FILE_DEPTH + 10)


@pytest.mark.parametrize("digits", [309, 310, 500, 4_300, 5_000, 100_000])
def test_an_integer_with_hundreds_of_digits_is_refused_by_name(tmp_path, digits):
    """Is an integer beyond float range refused for that item only, with the item named?"""
    path = answers_path(NB, tmp_path)
    path.write_text(_file_with("9" * digits), encoding="utf-8")

    result = read_answers(path, notebook=NB)

    assert not result.unreadable
    assert "f-single" in result.answers and "f-num" not in result.answers
    (problem,) = result.problems
    assert "f-num" in problem and "digits" in problem and len(problem) < 300
    scored = score_item(SPECS["f-num"], KEYS["f-num"], result.answers.get("f-num"))
    assert scored.points == 0


def test_the_largest_float_range_integer_is_read_and_scored(tmp_path):
    """Is an integer within float range (308 digits) a number like any other, worth 0 here?"""
    path = answers_path(NB, tmp_path)
    path.write_text(_file_with(str(FLOAT_MAX_INT)), encoding="utf-8")

    result = read_answers(path, notebook=NB)

    assert result.problems == []
    scored = score_item(SPECS["f-num"], KEYS["f-num"], result.answers["f-num"])
    assert scored.points == 0 and scored.verdict == "incorrect"
    assert "e+308" in scored.answer_text


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("NaN", "not finite"),
        ("-Infinity", "not finite"),
        ("1e999", "not finite"),
        ('"\\ud800"', "Unicode"),
        ('"' + "a" * 20_001 + '"', "20,000"),
        ("[" + ",".join(["1"] * 501) + "]", "500"),
        ("[[[[[[[[1]]]]]]]]", "levels deep"),
    ],
    ids=["nan", "-inf", "1e999", "surrogate", "long-text", "long-list", "deep-value"],
)
def test_values_beyond_the_documented_limits_are_refused_by_name(tmp_path, value, words):
    """Is each documented limit enforced by the reader, naming the item and the reason?"""
    path = answers_path(NB, tmp_path)
    path.write_text(_file_with(value), encoding="utf-8")

    result = read_answers(path, notebook=NB)

    assert "f-single" in result.answers and "f-num" not in result.answers
    (problem,) = result.problems
    assert "f-num" in problem and words in problem


def test_duplicated_keys_keep_the_last_occurrence(tmp_path):
    """Does the last of two equal keys win: at the top level, among records, within a record?"""
    path = answers_path(NB, tmp_path)
    text = _file_with('"first", "value": 225')
    text = text.replace('{"format"', '{"notebook": "another", "format"', 1)
    text = text.replace('"answers": {', '"answers": {"f-single": {"value": "a"}, ', 1)
    path.write_text(text, encoding="utf-8")

    result = read_answers(path, notebook=NB)

    assert result.problems == [] and result.notebook == NB
    assert result.answers["f-num"]["value"] == 225
    assert result.answers["f-single"]["value"] == "b"
