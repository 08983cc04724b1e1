"""Ordering: every entry id once, in an order; credit for the pairs in the key's order."""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

from ..shortrepr import short_repr
from ._base import ItemKind, Scored, ids, practice_parts, register, unique_ids

if TYPE_CHECKING:
    from ..items.spec import ItemSpec
    from ..keys import ItemKey

__all__ = ["OrderingKind"]


@register
class OrderingKind(ItemKind):
    """A list of every entry id once; the share of pairs in the key's order."""

    name = "ordering"
    class_name = "Ordering"
    args = frozenset({"options"})
    minutes = 2.0

    def coerce(self, spec: ItemSpec, value: Any) -> Any:
        order = list(value) if isinstance(value, list | tuple) else None
        if order is None:
            raise ValueError(f"expected a list of entry ids, not {value!r}")
        unique_ids(order, list(spec.options), "entry")
        if len(order) != len(spec.options):
            raise ValueError("the order must list every entry exactly once")
        return order

    def entry_order(self, spec: ItemSpec, order: Sequence[str] | None = None) -> list[str]:
        """The entries in ``order`` (the order the student was shown), if it names each once.

        Otherwise alphabetically by text, since the authored order may be the
        answer. Any other ``order`` (say, read from a hostile answers file) is
        ignored.
        """
        if (
            isinstance(order, list | tuple)
            and all(isinstance(oid, str) for oid in order)
            and sorted(order) == sorted(spec.options)
        ):
            return list(order)
        return sorted(spec.options, key=lambda oid: (spec.options[oid].casefold(), oid))

    def question_parts(
        self, spec: ItemSpec, order: Sequence[str] | None = None
    ) -> list[tuple[str, list[str]]]:
        entries = [spec.options[oid] for oid in self.entry_order(spec, order)]
        return [("Entries to put in order", entries)]

    def spec_problem(self, fields: dict[str, Any]) -> str | None:
        return (
            "an ordering item needs at least three entries" if len(fields["options"]) < 3 else None
        )

    def describe(self, spec: ItemSpec, value: Any) -> str | None:
        if not isinstance(value, list):
            return None
        return " → ".join(
            spec.options.get(v, v) if isinstance(v, str) else short_repr(v) for v in value
        )

    def score(self, spec: ItemSpec, key: ItemKey, value: Any) -> Scored:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return 0.0, [], ["the saved order is not a list of entry ids"]
        if sorted(value) != sorted(spec.options):
            return 0.0, [], ["the saved order does not list each entry exactly once"]
        target = ids(key.answer)
        if len(target) < 2 or sorted(target) != sorted(spec.options):
            return 0.0, [], ["the key's order does not list every entry"]
        pos = {v: i for i, v in enumerate(value)}
        pairs = list(combinations(target, 2))
        right = sum(1 for a, b in pairs if pos[a] < pos[b])
        return right / len(pairs), [f"{right} of {len(pairs)} pairs in the right order"], []

    def simulate(self, spec: ItemSpec, key: ItemKey, right: bool, rng: random.Random) -> Any:
        order = ids(key.answer)
        if right:
            return order
        wrong = list(order)
        while wrong == order:
            i = rng.randrange(len(wrong) - 1)
            wrong[i], wrong[i + 1] = wrong[i + 1], wrong[i]
        return wrong

    def check_key(self, spec: ItemSpec, key: ItemKey) -> list[str]:
        if sorted(ids(key.answer)) != sorted(spec.options):
            return [f"{spec.id}: the key order must list each option id exactly once"]
        return []

    def practice_check(
        self, spec: ItemSpec, value: Any, order: list[str]
    ) -> tuple[bool, list[str]]:
        answer, _ = practice_parts(spec)
        target = list(answer or [])
        if list(value) == target:
            return True, []
        pos = {v: i for i, v in enumerate(value)}
        pairs = [(a, b) for a, b in combinations(target, 2) if a in pos and b in pos]
        good = sum(1 for a, b in pairs if pos[a] < pos[b])
        return False, [f"{good} of {len(pairs)} pairs are in the right order."]
