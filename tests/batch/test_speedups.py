"""The grading workers' speed-ups change no result: same metadata errors, same modules."""

from __future__ import annotations

import copy
import subprocess
import sys

import jsonschema
import pytest

from course.batch.speedups import UNUSED_IMPORTS, _SchemaValidation

SCHEMA = {
    "type": "object",
    "properties": {
        "grade": {"type": "boolean"},
        "points": {"type": "number", "minimum": 0},
        "grade_id": {"type": "string", "pattern": "^[a-zA-Z0-9_\\-]+$"},
    },
    "required": ["grade", "grade_id"],
    "additionalProperties": False,
}

VALID = [{"grade": True, "grade_id": "q1"}, {"grade": False, "grade_id": "a-b_c", "points": 2}]
INVALID = [
    {"grade": "yes", "grade_id": "q1"},
    {"grade": True},
    {"grade": True, "grade_id": "bad id"},
    {"grade": True, "grade_id": "q1", "points": -1},
    {"grade": True, "grade_id": "q1", "extra": 1},
    [],
]


@pytest.mark.parametrize("instance", VALID)
def test_valid_metadata_passes(instance):
    _SchemaValidation().validate(instance, SCHEMA)


@pytest.mark.parametrize("instance", INVALID)
def test_invalid_metadata_raises_jsonschemas_own_error(instance):
    with pytest.raises(jsonschema.ValidationError) as theirs:
        jsonschema.validate(instance, SCHEMA)
    check = _SchemaValidation()
    for _ in range(2):  # the compiled check is kept: the second call raises the same
        with pytest.raises(jsonschema.ValidationError) as ours:
            check.validate(instance, SCHEMA)
        assert ours.value.message == theirs.value.message
        assert list(ours.value.path) == list(theirs.value.path)


def test_a_schema_loaded_again_is_compiled_once(monkeypatch):
    """nbgrader loads its schema afresh for every validator: equal schemas share one check."""
    import fastjsonschema

    compiled = []
    real = fastjsonschema.compile
    monkeypatch.setattr(fastjsonschema, "compile", lambda s: compiled.append(s) or real(s))
    check = _SchemaValidation()
    for _ in range(50):
        check.validate(VALID[0], copy.deepcopy(SCHEMA))
    assert len(compiled) == 1


def test_different_schemas_are_never_confused():
    """A schema whose object reuses a freed one's id still gets its own check."""
    strict = copy.deepcopy(SCHEMA)
    strict["required"] = ["grade", "grade_id", "points"]
    check = _SchemaValidation()
    for _ in range(40):  # fresh, short-lived objects: ids are reused
        check.validate(VALID[0], copy.deepcopy(SCHEMA))
        with pytest.raises(jsonschema.ValidationError, match="'points' is a required property"):
            check.validate(VALID[0], copy.deepcopy(strict))


def test_grading_worker_starts_without_the_unused_modules():
    """The worker module keeps them out even though its imports load jsonschema."""
    code = (
        "import sys, course.batch.worker, jsonschema\n"
        f"print(sorted(n for n in {UNUSED_IMPORTS!r} if sys.modules.get(n) is not None))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
