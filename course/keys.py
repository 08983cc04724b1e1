"""Answer keys: grader-side files under ``autograde/keys/``, one per module.

A key file is YAML. Every setting is declared here with its meaning; an
unknown setting is an error, so a typo cannot silently weaken a key.

.. code-block:: yaml

    module: 01-close-reading
    items:
      m01-thesis:
        answer: b                 # option id, or a list of defensible ids
        explanation: The title predicts ... (C41; S76, S82)
        misconceptions:           # one per distractor option: the error it stands for
          a: Reads the title as a report of events, not a prediction.
      m01-distance:
        value: 192
        tolerance: 2
        accept:                   # other defensible values, each with its reason
          - {value: 225, tolerance: 0, note: the essay's own figure}
    written:
      m01-assumptions:
        rubric:
          - {level: 3, label: Full, description: ...}

Keys never leave the grader: they are not in the wheel, the sdist, released
notebooks or (unless the instructor allows explanations) feedback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .items.spec import ItemSpec
from .kinds import get_kind

__all__ = [
    "CITATION",
    "DEFAULT_DEMAND",
    "DEMANDS",
    "ItemKey",
    "KeyFileError",
    "ModuleKey",
    "WrittenKey",
    "check_key_against_spec",
    "load_key",
    "load_keys",
    "parse_key_bytes",
]

#: Fact-sheet claim ids (C1-C41) and source ids (S1...) cited in explanations.
CITATION = re.compile(r"\b([CS])(\d{1,3})\b")

_ITEM_FIELDS = {
    "answer": "the correct option id(s), order, mapping or phrase ids",
    "value": "the correct number (numeric and computed items)",
    "tolerance": "absolute tolerance around value (default 0)",
    "accept": "other defensible numeric values: list of {value, tolerance, note}",
    "explanation": "why the answer is right, citing claim ids (C#) and source ids (S#)",
    "misconceptions": "for each distractor id: the misconception it stands for",
    "skills": "source-criticism skills the item practises",
    "claims": "fact-sheet claim ids the item is about",
    "about_course": "true for items about how the course works (no citation needed)",
    "completion": "true to award full points for any saved answer (forecasts: any locked one)",
    "outcome": "forecasts only: how the question resolved, 1 (YES) or 0 (NO), for Brier scores",
    "defensible": (
        "where the key accepts more than one answer, why each is defensible: "
        "{option id: reason} or, for classification, {statement id: {category id: reason}}"
    ),
    "demand": "what the item asks of a student: judgement, lookup, calculation or completion",
}

#: What an item may ask of a student (``demand``), and the default for each item kind.
DEMANDS = ("judgement", "lookup", "calculation", "completion")
DEFAULT_DEMAND = {"numeric": "calculation", "computed": "calculation", "forecast": "completion"}
_WRITTEN_FIELDS = {
    "rubric": "list of {level, label, description}, highest level first",
    "explanation": "what a strong answer contains, with C#/S# ids",
    "skills": "source-criticism skills the task practises",
    "claims": "fact-sheet claim ids the task is about",
}


class KeyFileError(ValueError):
    """Raise when a key file is malformed."""


@dataclass(frozen=True)
class ItemKey:
    """The key of one autograded item."""

    item_id: str
    answer: Any = None
    value: float | None = None
    tolerance: float = 0.0
    accept: tuple[dict[str, Any], ...] = ()
    explanation: str = ""
    misconceptions: dict[str, str] = field(default_factory=dict)
    skills: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()
    about_course: bool = False
    completion: bool = False
    outcome: int | None = None
    defensible: dict[str, Any] = field(default_factory=dict)
    demand: str | None = None

    def citations(self) -> set[str]:
        """Return the C# and S# ids cited in the explanation and misconceptions."""
        text = " ".join([self.explanation, *self.misconceptions.values(), *self.reasons()])
        return {f"{m.group(1)}{int(m.group(2))}" for m in CITATION.finditer(text)}

    def reasons(self) -> list[str]:
        """Return the reasons given in ``defensible``, in key order."""
        out: list[str] = []
        for value in self.defensible.values():
            out.extend(value.values() if isinstance(value, Mapping) else [value])
        return [str(v) for v in out]

    def full_explanation(self) -> str:
        """Return the explanation followed by why each other accepted answer is defensible."""
        parts = [self.explanation] if self.explanation else []
        for target, value in self.defensible.items():
            if isinstance(value, Mapping):
                for category, reason in value.items():
                    parts.append(f"Also accepted for {target}: {category}. {reason}")
            else:
                parts.append(f"Also accepted: {target}. {value}")
        return " ".join(parts)

    def demand_for(self, kind: str) -> str:
        """Return what the item asks of a student (``demand``, else the default for ``kind``)."""
        return self.demand or DEFAULT_DEMAND.get(kind, "judgement")


@dataclass(frozen=True)
class WrittenKey:
    """The rubric of one manually graded written answer."""

    item_id: str
    rubric: tuple[dict[str, Any], ...]
    explanation: str = ""
    skills: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModuleKey:
    """All keys of one module."""

    module: str
    items: dict[str, ItemKey]
    written: dict[str, WrittenKey]
    path: Path | None = None


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise KeyFileError(f"{where}: expected a string or a list of strings")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise KeyFileError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _item_key(item_id: str, raw: Any, where: str) -> ItemKey:
    if not isinstance(raw, Mapping):
        raise KeyFileError(f"{where}: the key of {item_id} must be a mapping")
    unknown = set(raw) - set(_ITEM_FIELDS)
    if unknown:
        raise KeyFileError(
            f"{where}: unexpected setting(s) {', '.join(sorted(unknown))} in {item_id}; "
            f"known settings: {', '.join(_ITEM_FIELDS)}"
        )
    accept = []
    for i, alt in enumerate(raw.get("accept") or []):
        if not isinstance(alt, Mapping) or "value" not in alt:
            raise KeyFileError(f"{where}: {item_id}.accept[{i}] needs a value")
        accept.append(
            {
                "value": _number(alt["value"], f"{where}: {item_id}.accept[{i}].value"),
                "tolerance": _number(alt.get("tolerance", 0), f"{where}: {item_id}.accept[{i}]"),
                "note": str(alt.get("note", "")),
            }
        )
    outcome = raw.get("outcome")
    if outcome is not None and (isinstance(outcome, bool) or outcome not in (0, 1)):
        raise KeyFileError(f"{where}: {item_id}.outcome must be 1 (YES) or 0 (NO), not {outcome!r}")
    misconceptions = raw.get("misconceptions") or {}
    if not isinstance(misconceptions, Mapping):
        raise KeyFileError(f"{where}: {item_id}.misconceptions must map option ids to text")
    defensible = raw.get("defensible") or {}
    if not isinstance(defensible, Mapping) or not all(
        isinstance(v, str | Mapping) for v in defensible.values()
    ):
        raise KeyFileError(
            f"{where}: {item_id}.defensible must map option ids to reasons, or statement ids "
            f"to {{category id: reason}}"
        )
    demand = raw.get("demand")
    if demand is not None and demand not in DEMANDS:
        raise KeyFileError(
            f"{where}: {item_id}.demand must be one of {', '.join(DEMANDS)}, not {demand!r}"
        )
    return ItemKey(
        item_id=item_id,
        answer=raw.get("answer"),
        value=_number(raw["value"], f"{where}: {item_id}.value") if "value" in raw else None,
        tolerance=_number(raw.get("tolerance", 0), f"{where}: {item_id}.tolerance"),
        accept=tuple(accept),
        explanation=str(raw.get("explanation", "")).strip(),
        misconceptions={str(k): str(v).strip() for k, v in misconceptions.items()},
        skills=_strs(raw.get("skills"), f"{where}: {item_id}.skills"),
        claims=_strs(raw.get("claims"), f"{where}: {item_id}.claims"),
        about_course=bool(raw.get("about_course", False)),
        completion=bool(raw.get("completion", False)),
        outcome=int(outcome) if outcome is not None else None,
        defensible={
            str(k): (
                {str(c): str(r).strip() for c, r in v.items()}
                if isinstance(v, Mapping)
                else str(v).strip()
            )
            for k, v in defensible.items()
        },
        demand=demand,
    )


def _written_key(item_id: str, raw: Any, where: str) -> WrittenKey:
    if not isinstance(raw, Mapping):
        raise KeyFileError(f"{where}: the rubric of {item_id} must be a mapping")
    unknown = set(raw) - set(_WRITTEN_FIELDS)
    if unknown:
        raise KeyFileError(
            f"{where}: unexpected setting(s) {', '.join(sorted(unknown))} in {item_id}"
        )
    rubric = raw.get("rubric")
    if not isinstance(rubric, list) or len(rubric) < 3:
        raise KeyFileError(f"{where}: {item_id}.rubric must list at least three levels")
    for i, level in enumerate(rubric):
        if not isinstance(level, Mapping) or not {"level", "label", "description"} <= set(level):
            raise KeyFileError(f"{where}: {item_id}.rubric[{i}] needs level, label and description")
    return WrittenKey(
        item_id=item_id,
        rubric=tuple(dict(level) for level in rubric),
        explanation=str(raw.get("explanation", "")).strip(),
        skills=_strs(raw.get("skills"), f"{where}: {item_id}.skills"),
        claims=_strs(raw.get("claims"), f"{where}: {item_id}.claims"),
    )


def parse_key_bytes(data: bytes, path: str | Path) -> ModuleKey:
    """Check and return the key held in ``data``, the bytes of the key file ``path``.

    The grader parses exactly the bytes it checked against the key manifest
    (:mod:`course.grading.manifest`), so nothing read later can differ.

    Raises
    ------
    KeyFileError
        If the bytes are not a well-formed key; the message names the setting.
    """
    path = Path(path)
    where = path.name
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise KeyFileError(f"{where}: not UTF-8 text ({exc})") from exc
    except yaml.YAMLError as exc:
        raise KeyFileError(f"{where}: not valid YAML ({exc})") from exc
    if not isinstance(raw, Mapping):
        raise KeyFileError(f"{where}: a key file must be a mapping with 'module' and 'items'")
    unknown = set(raw) - {"module", "items", "written"}
    if unknown:
        raise KeyFileError(f"{where}: unexpected top-level setting(s) {', '.join(sorted(unknown))}")
    module = raw.get("module")
    if not isinstance(module, str) or module != path.stem:
        raise KeyFileError(f"{where}: 'module' must be {path.stem!r} (the file's name)")
    items = raw.get("items") or {}
    written = raw.get("written") or {}
    if not isinstance(items, Mapping) or not isinstance(written, Mapping):
        raise KeyFileError(f"{where}: 'items' and 'written' must be mappings keyed by item id")
    return ModuleKey(
        module=module,
        items={str(k): _item_key(str(k), v, where) for k, v in items.items()},
        written={str(k): _written_key(str(k), v, where) for k, v in written.items()},
        path=path,
    )


def load_key(path: str | Path) -> ModuleKey:
    """Load and check the shape of one key file.

    Raises
    ------
    KeyFileError
        If the file is not a well-formed key; the message names the setting.
    """
    path = Path(path)
    return parse_key_bytes(path.read_bytes(), path)


def load_keys(keys_dir: str | Path) -> dict[str, ModuleKey]:
    """Load every ``*.yaml`` key in ``keys_dir``, keyed by module id."""
    keys_dir = Path(keys_dir)
    if not keys_dir.is_dir():
        raise FileNotFoundError(
            f"No answer keys at {keys_dir}. Keys live in the course repository's "
            "autograde/keys/ folder; pass --keys to point at it."
        )
    return {p.stem: load_key(p) for p in sorted(keys_dir.glob("*.yaml"))}


def check_key_against_spec(spec: ItemSpec, key: ItemKey) -> list[str]:
    """Return the ways ``key`` does not fit ``spec`` (unknown option ids, missing parts)."""
    problems: list[str] = []
    sid = spec.id
    kind = get_kind(spec.kind)
    if key.outcome is not None and not (kind and kind.takes_outcome):
        problems.append(f"{sid}: only forecasts take an outcome")
    if kind is not None and not key.completion:
        problems.extend(kind.check_key(spec, key))
    if kind is not None:
        problems.extend(kind.check_defensible(spec, key))
    elif key.defensible:
        problems.append(f"{sid}: defensible is not used by {spec.kind} keys")
    if not key.explanation:
        problems.append(f"{sid}: the key has no explanation")
    elif not key.about_course and not key.citations():
        problems.append(f"{sid}: the explanation cites no claim (C#) or source (S#) id")
    return problems
