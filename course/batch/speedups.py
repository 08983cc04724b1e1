"""Speed-ups for a long-lived nbgrader process that change no result.

nbgrader is written for one process per command, so each gradebook access
builds a new SQLAlchemy engine (losing the engine's cache of compiled
queries) and each cell-metadata check re-validates nbgrader's JSON schema
itself before validating the cell. In a worker that grades hundreds of
students these two costs are about half of the time of a student graded
without execution. :func:`install` makes both reusable:

* ``nbgrader.api.create_engine`` returns one engine per database URL. A
  closed ``Gradebook`` still disposes of it, which closes its connections;
  the next use opens new ones, so no connection or lock outlives a student.
* nbgrader's schema check keeps one validator per schema and reports the
  same error ``jsonschema.validate`` would (its best match).

Only :mod:`course.batch.worker` calls :func:`install`.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["install"]


class _SchemaValidation:
    """Stand-in for the ``jsonschema`` module inside nbgrader's metadata checks."""

    def __init__(self) -> None:
        import jsonschema

        self._jsonschema = jsonschema
        self.ValidationError = jsonschema.ValidationError
        self._validators: dict[int, Any] = {}

    def validate(self, instance: Any, schema: dict) -> None:
        """Validate as ``jsonschema.validate`` does, checking each schema once."""
        validator = self._validators.get(id(schema))
        if validator is None:
            cls = self._jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = self._validators[id(schema)] = cls(schema)
        error = self._jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error


def install() -> None:
    """Make gradebook engines and schema validators reusable in this process."""
    import nbgrader.api
    import nbgrader.nbgraderformat.common as common

    if getattr(nbgrader.api.create_engine, "course_reused", False):
        return
    create = nbgrader.api.create_engine

    @functools.lru_cache(maxsize=8)
    def reused_engine(url: str, **kwargs: Any) -> Any:
        return create(url, **kwargs)

    reused_engine.course_reused = True  # type: ignore[attr-defined]
    nbgrader.api.create_engine = reused_engine
    common.jsonschema = _SchemaValidation()
