"""Single choice: one option id."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..shortrepr import short_repr
from ._base import (
    ChoiceKind,
    Scored,
    ids,
    pick_distractor,
    practice_parts,
    register,
)

if TYPE_CHECKING:
    from ..items.spec import ItemSpec
    from ..keys import ItemKey

__all__ = ["SingleChoiceKind"]


@register
class SingleChoiceKind(ChoiceKind):
    """One option id; full credit for any id the key accepts."""

    name = "single_choice"
    class_name = "SingleChoice"

    def coerce(self, spec: ItemSpec, value: Any) -> Any:
        if not isinstance(value, str) or value not in spec.options:
            raise ValueError(f"{value!r} is not one of this question's option ids")
        return value

    def describe(self, spec: ItemSpec, value: Any) -> str | None:
        return self.label(spec, value) if isinstance(value, str) else None

    def score(self, spec: ItemSpec, key: ItemKey, value: Any) -> Scored:
        if not isinstance(value, str):
            return 0.0, [], [f"the saved answer is not a single option id but {short_repr(value)}"]
        if value not in spec.options:
            return (
                0.0,
                [],
                [f"the saved option {short_repr(value)} is not one of this item's options"],
            )
        return (1.0 if value in ids(key.answer) else 0.0), [], []

    takes_defensible = True
    cue_checked = True
    picks_one = True

    def blind_guesses(self, spec: ItemSpec) -> list[Any]:
        """Each option alike."""
        return list(spec.options)

    def cue_answer(self, spec: ItemSpec, cues: Mapping[str, tuple[int, int, int]]) -> Any:
        """The option with the fewest absolute words, then the most mirrored, then the longest."""
        return max(spec.options, key=lambda o: cues[o])

    def check_defensible(self, spec: ItemSpec, key: ItemKey) -> list[str]:
        """Each option accepted beside another needs its own reason."""
        sid = spec.id
        problems: list[str] = []
        accepted = ids(key.answer)
        if len(accepted) > 1:
            for option in accepted:
                if not key.defensible.get(option):
                    problems.append(
                        f"{sid}: the key accepts {', '.join(accepted)}; give the reason "
                        f"{option!r} is defensible under defensible.{option}"
                    )
        extra = set(key.defensible) - (set(accepted) if len(accepted) > 1 else set())
        for option in sorted(extra):
            problems.append(
                f"{sid}: defensible.{option} explains an answer the key does not accept "
                f"beside another (list it in the answer, or drop the reason)"
            )
        return problems

    def describe_key(self, spec: ItemSpec, key: ItemKey) -> str | None:
        return " or ".join(self.label(spec, a) for a in ids(key.answer))

    def simulate(self, spec: ItemSpec, key: ItemKey, right: bool, rng: random.Random) -> Any:
        correct = ids(key.answer)
        if right:
            return correct[0]
        wrong = [o for o in key.misconceptions if o not in correct] or [
            o for o in spec.options if o not in correct
        ]
        return pick_distractor(wrong, rng)

    def picks(self, spec: ItemSpec, value: Any) -> list[str | None] | None:
        return [value] if isinstance(value, str) and value in spec.options else None

    def practice_check(
        self, spec: ItemSpec, value: Any, order: list[str]
    ) -> tuple[bool, list[str]]:
        answer, feedback = practice_parts(spec)
        accepted = [answer] if isinstance(answer, str) else list(answer or [])
        return value in accepted, [str(feedback[value])] if value in feedback else []
