"""Classification: a category for each statement; credit per statement classified right."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..shortrepr import short_repr
from ._base import ItemKind, Scored, ids, practice_parts, register, text_of
from .multiple import id_list

if TYPE_CHECKING:
    from ..items.spec import ItemSpec
    from ..keys import ItemKey

__all__ = ["PER_STATEMENT_MINUTES", "ClassificationKind"]

#: Extra thinking time per statement of a classification, in minutes.
PER_STATEMENT_MINUTES = 0.5


@register
class ClassificationKind(ItemKind):
    """A mapping of statement id to category id; each statement counts alike."""

    name = "classification"
    class_name = "Classification"
    args = frozenset({"statements", "categories"})
    minutes = 1.0

    def coerce(self, spec: ItemSpec, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError(f"expected a mapping of statement id to category id, not {value!r}")
        unknown = [k for k in value if k not in spec.statements]
        if unknown:
            raise ValueError(f"unknown statement id(s): {', '.join(map(str, unknown))}")
        bad = [v for v in value.values() if v is not None and v not in spec.categories]
        if bad:
            raise ValueError(f"unknown category id(s): {', '.join(map(str, bad))}")
        return {sid: value[sid] for sid in spec.statements if value.get(sid) is not None}

    def question_parts(
        self, spec: ItemSpec, order: Sequence[str] | None = None
    ) -> list[tuple[str, list[str]]]:
        """The statements (in authored order) and the categories."""
        return [
            ("Statements", [f"{sid}) {text}" for sid, text in spec.statements.items()]),
            ("Categories", list(spec.categories.values())),
        ]

    def thinking_minutes(self, spec: ItemSpec) -> float:
        """:attr:`minutes`, plus :data:`PER_STATEMENT_MINUTES` per statement."""
        return self.minutes + PER_STATEMENT_MINUTES * len(spec.statements)

    def spec_problem(self, fields: dict[str, Any]) -> str | None:
        if len(fields["statements"]) < 2 or len(fields["categories"]) < 2:
            return "classification needs two or more statements and categories"
        return None

    def describe(self, spec: ItemSpec, value: Any) -> str | None:
        if not isinstance(value, Mapping):
            return None
        parts = []
        for sid, text in spec.statements.items():
            cat = value.get(sid)
            label = spec.categories.get(cat) if isinstance(cat, str) else None
            if label is None:
                label = "(not classified)" if cat is None else f"{text_of(cat)} (not a category)"
            parts.append(f"{text} → {label}")
        return "; ".join(parts)

    def score(self, spec: ItemSpec, key: ItemKey, value: Any) -> Scored:
        if not isinstance(value, Mapping):
            return 0.0, [], ["the saved answer is not a statement → category mapping"]
        answer = key.answer if isinstance(key.answer, Mapping) else {}
        right = 0
        problems = []
        for stmt in spec.statements:
            cat = value.get(stmt)
            if cat is None:
                continue
            if not isinstance(cat, str) or cat not in spec.categories:
                problems.append(f"unknown category {short_repr(cat)} for statement {stmt}")
                continue
            if cat in ids(answer.get(stmt)):
                right += 1
        unknown = sorted(str(s) for s in value if s not in spec.statements)
        if unknown:
            problems.append(f"unknown statement id(s) ignored: {id_list(unknown)}")
        total = len(spec.statements)
        return right / total, [f"{right} of {total} statements classified correctly"], problems

    takes_defensible = True

    def check_defensible(self, spec: ItemSpec, key: ItemKey) -> list[str]:
        """Each category accepted beside another for a statement needs its own reason."""
        sid = spec.id
        problems: list[str] = []
        answer = key.answer if isinstance(key.answer, Mapping) else {}
        for stmt, cats in answer.items():
            accepted = ids(cats)
            given = key.defensible.get(stmt, {})
            if not isinstance(given, Mapping):
                problems.append(f"{sid}: defensible.{stmt} must map category ids to reasons")
                continue
            if len(accepted) > 1:
                for cat in accepted:
                    if not given.get(cat):
                        problems.append(
                            f"{sid}: {stmt} accepts {', '.join(accepted)}; give the reason "
                            f"{cat!r} is defensible under defensible.{stmt}.{cat}"
                        )
            for cat in sorted(set(given) - set(accepted) if len(accepted) > 1 else set(given)):
                problems.append(
                    f"{sid}: defensible.{stmt}.{cat} explains an answer the key does not accept "
                    f"beside another (list it in the answer, or drop the reason)"
                )
        for stmt in sorted(set(key.defensible) - set(answer)):
            problems.append(f"{sid}: defensible names {stmt!r}, which is not a statement id")
        return problems

    def describe_key(self, spec: ItemSpec, key: ItemKey) -> str | None:
        if not isinstance(key.answer, Mapping):
            return None
        parts = []
        for sid, text in spec.statements.items():
            cats = ids(key.answer.get(sid))
            parts.append(f"{text} → {' or '.join(spec.categories.get(c, c) for c in cats)}")
        return "; ".join(parts)

    def check_key(self, spec: ItemSpec, key: ItemKey) -> list[str]:
        sid = spec.id
        if not isinstance(key.answer, Mapping):
            return [f"{sid}: the key must map each statement id to a category id"]
        problems = []
        if set(key.answer) != set(spec.statements):
            problems.append(f"{sid}: the key must cover exactly the statement ids")
        for stmt, cats in key.answer.items():
            for cat in ids(cats):
                if cat not in spec.categories:
                    problems.append(f"{sid}: {stmt} -> {cat!r} is not a category id")
            if not ids(cats):
                problems.append(f"{sid}: statement {stmt} has no category in the key")
        return problems

    def simulate(self, spec: ItemSpec, key: ItemKey, right: bool, rng: random.Random) -> Any:
        answer = key.answer if isinstance(key.answer, Mapping) else {}
        out = {}
        for stmt in spec.statements:
            correct = ids(answer.get(stmt))
            if right:
                out[stmt] = correct[0]
            else:
                others = [c for c in spec.categories if c not in correct]
                out[stmt] = rng.choice(others) if others else correct[0]
        return out

    def catalogue(self, spec: ItemSpec, answer: Any) -> list[dict[str, Any]]:
        """One option per statement and category, ``"<statement>:<category>"``."""
        key = answer if isinstance(answer, Mapping) else {}
        return [
            {
                "option": f"{sid}:{cid}",
                "label": f"{statement} → {category}",
                "correct": cid in ids(key.get(sid)),
            }
            for sid, statement in spec.statements.items()
            for cid, category in spec.categories.items()
        ]

    def picks(self, spec: ItemSpec, value: Any) -> list[str | None] | None:
        if not isinstance(value, Mapping):
            return None
        pairs: list[str | None] = [
            f"{sid}:{cid}"
            for sid, cid in value.items()
            if isinstance(sid, str)
            and sid in spec.statements
            and isinstance(cid, str)
            and cid in spec.categories
        ]
        return pairs or [None]

    def practice_check(
        self, spec: ItemSpec, value: Any, order: list[str]
    ) -> tuple[bool, list[str]]:
        answer, feedback = practice_parts(spec)
        categories: Mapping[Any, Any] = answer if isinstance(answer, Mapping) else {}
        lines = []
        classified = 0
        for n, sid in enumerate(order, start=1):
            cat = value.get(sid)
            allowed = ids(categories.get(sid))
            if cat is None:
                lines.append(f"Statement {n}: not classified yet.")
            elif cat in allowed:
                classified += 1
            else:
                extra = f" {feedback[sid]}" if sid in feedback else ""
                lines.append(f"Statement {n}: not quite.{extra}")
        total = len(spec.statements)
        if classified == total:
            return True, []
        return False, [f"{classified} of {total} statements classified correctly.", *lines]
