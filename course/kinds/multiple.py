"""Multiple choice: a list of option ids, with credit for hits less false picks."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ._base import (
    ChoiceKind,
    Scored,
    ids,
    pick_distractor,
    practice_parts,
    register,
    unique_ids,
)

if TYPE_CHECKING:
    from ..items.spec import ItemSpec
    from ..keys import ItemKey

__all__ = ["MultipleChoiceKind", "fraction_selection", "id_list"]


def id_list(values: list[str], limit: int = 10) -> str:
    """Return ids as a short comma-separated list, each cut to a readable length."""
    shown = ", ".join(i if len(i) <= 40 else i[:37] + "..." for i in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def fraction_selection(chosen: list[str], correct: set[str]) -> tuple[float, list[str]]:
    """Hits minus false picks, over the number of correct options (over-selection costs)."""
    if not correct:
        return 0.0, ["the key lists no correct choice"]
    hits = len(set(chosen) & correct)
    false = len(set(chosen) - correct)
    details = [f"{hits} of {len(correct)} correct choices selected"]
    if false:
        details.append(f"{false} incorrect choice(s) selected, each cancelling one correct one")
    return (hits - false) / len(correct), details


@register
class MultipleChoiceKind(ChoiceKind):
    """A list of option ids; each correct pick counts, each false pick cancels one."""

    name = "multiple_choice"
    class_name = "MultipleChoice"
    minutes = 1.5
    #: What the kind's ids are called in messages.
    id_word: ClassVar[str] = "option"
    cue_checked = True

    def blind_guesses(self, spec: ItemSpec) -> list[Any]:
        """Each option ticked with probability one half: every subset alike, the empty one too."""
        options = list(spec.options)
        return [
            list(c) for r in range(len(options) + 1) for c in itertools.combinations(options, r)
        ]

    def cue_answer(self, spec: ItemSpec, cues: Mapping[str, tuple[int, int, int]]) -> Any:
        """Every option with no absolute word that is at least as long as the median option."""
        lengths = sorted(c[2] for c in cues.values())
        median = lengths[len(lengths) // 2]
        return [o for o in spec.options if cues[o][0] == 0 and cues[o][2] >= median]

    def coerce(self, spec: ItemSpec, value: Any) -> Any:
        return unique_ids(value, list(spec.options), self.id_word)

    def describe(self, spec: ItemSpec, value: Any) -> str | None:
        if not isinstance(value, list):
            return None
        labels = [self.label(spec, v) for v in value if isinstance(v, str)]
        return "; ".join(labels) or "(none selected)"

    def score(self, spec: ItemSpec, key: ItemKey, value: Any) -> Scored:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return 0.0, [], ["the saved answer is not a list of option ids"]
        problems = []
        unknown = sorted(set(value) - set(spec.options))
        if unknown:
            problems.append(f"unknown option id(s) ignored: {id_list(unknown)}")
        repeated = sorted(v for v, n in Counter(value).items() if n > 1)
        if repeated:
            problems.append(f"option id(s) saved twice or more, counted once: {id_list(repeated)}")
        chosen = [v for v in dict.fromkeys(value) if v in spec.options]
        fraction, details = fraction_selection(chosen, set(ids(key.answer)))
        return fraction, details, problems

    def simulate(self, spec: ItemSpec, key: ItemKey, right: bool, rng: random.Random) -> Any:
        correct = ids(key.answer)
        if right:
            return [o for o in spec.options if o in correct]
        distractors = [o for o in key.misconceptions if o not in correct] or [
            o for o in spec.options if o not in correct
        ]
        chosen = set(correct)
        if len(chosen) > 1 or not distractors:
            chosen.discard(rng.choice(sorted(chosen)))
        if distractors:
            chosen.add(pick_distractor(distractors, rng))
        return [o for o in spec.options if o in chosen]

    def picks(self, spec: ItemSpec, value: Any) -> list[str | None] | None:
        if not isinstance(value, list):
            return None
        chosen = [v for v in value if isinstance(v, str) and v in spec.options]
        return list(dict.fromkeys(chosen)) or [None]

    def practice_check(
        self, spec: ItemSpec, value: Any, order: list[str]
    ) -> tuple[bool, list[str]]:
        answer, feedback = practice_parts(spec)
        right = set(answer or [])
        chosen = list(value)
        lines = [str(feedback[c]) for c in chosen if c in feedback]
        if set(chosen) == right:
            return True, lines
        missing = len(right - set(chosen))
        summary = []
        if set(chosen) - right:
            summary.append("at least one of your choices is not right")
        if missing:
            summary.append(f"{missing} right choice(s) not selected yet")
        return False, ["; ".join(summary).capitalize() + ".", *lines]
