"""Item specifications: what an item asks, independent of any widget.

An :class:`ItemSpec` is plain data (id, kind, prompt, options, points). The
widgets are built from it, the grader scores answers against it, and the
static renderer draws it where widgets cannot run. Specs are read from a
lesson's code cells without running them (:func:`specs_from_source`), so the
grader never needs the student's kernel to know what was asked.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..kinds import get_kind, kinds

__all__ = [
    "CLASS_KINDS",
    "ID_PATTERN",
    "ItemSpec",
    "SpecError",
    "find_start_call",
    "specs_from_source",
]

#: Item ids: lowercase letters, digits and hyphens, starting with a letter.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,63}$")


class _ClassKinds(Mapping[str, str]):
    """Public item class name -> item kind, read from the registry at each use.

    A kind registered after this module was imported is found too.
    """

    def _current(self) -> dict[str, str]:
        return {k.class_name: k.name for k in kinds().values() if k.class_name}

    def __getitem__(self, name: str) -> str:
        return self._current()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return f"CLASS_KINDS({self._current()!r})"


#: Public item class name -> item kind stored in answers and keys (from :mod:`course.kinds`),
#: a live, read-only view of the registry.
CLASS_KINDS: Mapping[str, str] = _ClassKinds()

# Keyword arguments every kind accepts in its constructor (each kind adds its ``args``).
_COMMON = {"id", "prompt", "points", "practice", "shuffle", "seed", "book"}
# Arguments that are expressions evaluated in the kernel, never literals.
_RUNTIME_ARGS = {"value", "book", "seed"}


class SpecError(ValueError):
    """Raise when an item's definition is incomplete or inconsistent."""


def _as_options(name: str, raw: Any, item_id: str) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    elif isinstance(raw, list | tuple):
        pairs = []
        for entry in raw:
            if not (isinstance(entry, list | tuple) and len(entry) == 2):
                raise SpecError(f"{item_id}: each of {name} must be an (id, text) pair")
            pairs.append((entry[0], entry[1]))
    else:
        raise SpecError(f"{item_id}: {name} must be a mapping of id to text")
    out: dict[str, str] = {}
    for key, text in pairs:
        if not isinstance(key, str) or not re.match(r"^[a-z0-9][a-z0-9_-]{0,39}$", key):
            raise SpecError(
                f"{item_id}: {name} id {key!r} must be short, lowercase letters, digits, - or _"
            )
        if not isinstance(text, str) or not text.strip():
            raise SpecError(f"{item_id}: {name} {key!r} needs a text")
        if key in out:
            raise SpecError(f"{item_id}: {name} id {key!r} is used twice")
        out[key] = text
    return out


@dataclass(frozen=True)
class ItemSpec:
    """What one item asks.

    Parameters
    ----------
    id : str
        Stable id, such as ``"m01-thesis"``; answers and keys use it.
    kind : str
        One of the values of :data:`CLASS_KINDS`.
    prompt : str
        The question, in Markdown-free plain text or simple HTML.
    points : float
        Points the item is worth (0 for practice items).
    options : dict
        Option id -> text (choice, ordering) or phrase id -> phrase (phrase selection).
    statements, categories : dict
        For classification: statement id -> text, category id -> label.
    passage : str
        For phrase selection: the passage the phrases are taken from.
    unit : str
        For numeric and computed answers.
    practice : dict or None
        For practice items only: ``{"answer": ..., "feedback": {...}}``; shown at once.
    resolution, as_of : str
        For forecasts: what exactly counts as YES, and the moment the forecast
        is made from (such as ``"April 2016"``).
    """

    id: str
    kind: str
    prompt: str
    points: float = 1.0
    options: dict[str, str] = field(default_factory=dict)
    statements: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    passage: str = ""
    source: str = ""
    unit: str = ""
    shuffle: bool = True
    practice: dict[str, Any] | None = None
    resolution: str = ""
    as_of: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, kind: str, **kwargs: Any) -> ItemSpec:
        """Validate constructor arguments and return the spec."""
        item_id = kwargs.get("id")
        if not isinstance(item_id, str) or not ID_PATTERN.match(item_id):
            raise SpecError(
                f"Item id {item_id!r} is invalid: use lowercase letters, digits and hyphens, "
                "starting with a letter (for example 'm01-thesis')."
            )
        item_kind = get_kind(kind)
        if item_kind is None:
            raise SpecError(f"{item_id}: unknown item kind {kind!r}")
        allowed = _COMMON | item_kind.args
        unknown = set(kwargs) - allowed
        if unknown:
            raise SpecError(f"{item_id}: unexpected argument(s) {', '.join(sorted(unknown))}")
        prompt = kwargs.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise SpecError(f"{item_id}: a prompt is required")
        practice = kwargs.get("practice")
        points = kwargs.get("points", 0 if practice else 1)
        if isinstance(points, bool) or not isinstance(points, int | float) or points < 0:
            raise SpecError(f"{item_id}: points must be a non-negative number")
        if practice is not None and points:
            raise SpecError(f"{item_id}: practice items are not graded, so they take no points")
        if practice is None and not points and item_kind.needs_points:
            raise SpecError(f"{item_id}: a graded item needs points > 0")
        options = _as_options("options", kwargs.get("options"), item_id)
        phrases = _as_options("phrases", kwargs.get("phrases"), item_id)
        statements = _as_options("statements", kwargs.get("statements"), item_id)
        categories = _as_options("categories", kwargs.get("categories"), item_id)
        passage = kwargs.get("passage", "")
        fields = {
            "options": options,
            "phrases": phrases,
            "statements": statements,
            "categories": categories,
            "passage": passage,
            "resolution": kwargs.get("resolution"),
        }
        problem = item_kind.spec_problem(fields)
        if problem:
            raise SpecError(f"{item_id}: {problem}")
        if practice is not None and not item_kind.has_practice:
            raise SpecError(f"{item_id}: {kind} items have no practice form")
        options = item_kind.spec_options(fields)
        if practice is not None and not isinstance(practice, Mapping):
            raise SpecError(f"{item_id}: practice must be a mapping with an 'answer'")
        return cls(
            id=item_id,
            kind=kind,
            prompt=prompt.strip(),
            points=float(points),
            options=options,
            statements=statements,
            categories=categories,
            passage=passage or "",
            source=str(kwargs.get("source", "")),
            unit=str(kwargs.get("unit", "")),
            shuffle=bool(kwargs.get("shuffle", True)),
            practice=dict(practice) if practice is not None else None,
            resolution=str(kwargs.get("resolution", "")),
            as_of=str(kwargs.get("as_of", "")),
        )

    @property
    def graded(self) -> bool:
        """True for items that carry points and are scored by the grader."""
        return self.practice is None and self.points > 0

    @property
    def option_ids(self) -> list[str]:
        """Option ids in authored order."""
        return list(self.options)

    def to_dict(self) -> dict[str, Any]:
        """Return the spec as plain data (for reports and JSON)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "prompt": self.prompt,
            "points": self.points,
            "options": dict(self.options),
            "statements": dict(self.statements),
            "categories": dict(self.categories),
            "passage": self.passage,
            "unit": self.unit,
            "resolution": self.resolution,
            "as_of": self.as_of,
        }


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _item_calls(tree: ast.AST, class_kinds: Mapping[str, str]) -> Iterable[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node.func) in class_kinds:
            yield node


def specs_from_source(source: str, *, where: str = "cell") -> list[ItemSpec]:
    """Return the item specs defined in a code cell's source, without running it.

    Item constructors must be called with keyword arguments whose values are
    literals (strings, numbers, lists, dicts), except ``value``, ``book`` and
    ``seed``, which are evaluated in the kernel.

    >>> specs_from_source('q = SingleChoice(id="m00-x", prompt="Pick", '
    ...                   'options={"a": "A", "b": "B"}, points=1)')[0].options
    {'a': 'A', 'b': 'B'}
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    specs = []
    class_kinds = dict(CLASS_KINDS)  # the registry, read once per cell
    for call in _item_calls(tree, class_kinds):
        name = _call_name(call.func)
        assert name is not None
        if call.args:
            raise SpecError(f"{where}: {name}(...) must use keyword arguments only")
        kwargs: dict[str, Any] = {}
        for kw in call.keywords:
            if kw.arg is None:
                raise SpecError(f"{where}: {name}(...) cannot use **kwargs")
            if kw.arg in _RUNTIME_ARGS:
                kwargs[kw.arg] = None
                continue
            try:
                kwargs[kw.arg] = ast.literal_eval(kw.value)
            except ValueError as exc:
                raise SpecError(
                    f"{where}: argument {kw.arg!r} of {name}(...) must be a literal"
                ) from exc
        for runtime in _RUNTIME_ARGS:
            kwargs.pop(runtime, None)
        specs.append(ItemSpec.build(class_kinds[name], **kwargs))
    return specs


def find_start_call(source: str) -> str | None:
    """Return the notebook name given to ``start("...")`` in a cell, if any."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and _call_name(node.func) == "start"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            return node.args[0].value
    return None
