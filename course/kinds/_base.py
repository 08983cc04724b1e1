"""The item-kind protocol and its registry.

An :class:`ItemKind` holds what one kind of item (single choice, ordering…)
means, independent of its widget: which values it stores, how a saved value
is described in words and drawn, and how it is scored against a key. Each
kind is one small class in a module of its own, registered with
:func:`register`; the rest of the course asks the registry (:func:`get_kind`)
instead of branching on the kind's name.

This module and the kinds import nothing from the grader at run time (keys
are only type hints), so a student's kernel can describe an answer without
loading :mod:`course.grading` or :mod:`course.keys`.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..shortrepr import short_repr

if TYPE_CHECKING:
    from ..items.spec import ItemSpec
    from ..keys import ItemKey

__all__ = [
    "ChoiceKind",
    "ItemKind",
    "Judgement",
    "Scored",
    "get_kind",
    "ids",
    "kinds",
    "number_text",
    "option_label",
    "pick_distractor",
    "practice_parts",
    "register",
    "registered",
    "text_of",
    "unique_ids",
    "unregister",
]

#: (fraction of full credit, details shown to the student, problems with the answer).
Scored = tuple[float, list[str], list[str]]

_REGISTRY: dict[str, ItemKind] = {}

K = TypeVar("K", bound="type[ItemKind]")


class ItemKind:
    """What one kind of item does with a saved value, whatever its widget.

    Subclasses set :attr:`name` (the kind stored in answers files and keys)
    and override the methods that apply to them.
    """

    #: The kind's name, as in ``ItemSpec.kind`` and the answers file.
    name: ClassVar[str] = ""
    #: Whether a key of this kind records how the question resolved (``outcome``).
    takes_outcome: ClassVar[bool] = False
    #: The item class a lesson calls (``SingleChoice``…), in :mod:`course.items`.
    class_name: ClassVar[str] = ""
    #: The constructor arguments of this kind, besides those every item takes.
    args: ClassVar[frozenset[str]] = frozenset()
    #: Whether a graded item of this kind must carry points (forecasts need not).
    needs_points: ClassVar[bool] = True
    #: Whether the kind has a practice form.
    has_practice: ClassVar[bool] = True
    #: A student's thinking time for one item of this kind, in minutes, on top of
    #: reading its words (see :mod:`course.minutes`).
    minutes: ClassVar[float] = 1.0

    # -- values ------------------------------------------------------------------------

    def coerce(self, spec: ItemSpec, value: Any) -> Any:
        """Return ``value`` in the shape an answers file stores, or raise ValueError.

        The widgets call it on every value set in code or read from the
        answers file; the message says what does not fit.
        """
        raise ValueError(f"items of kind {self.name!r} store no values")

    def carry(
        self, previous: Mapping[str, Any] | None, record: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Return the fields a new answer record keeps from the one it replaces.

        :meth:`course.answers.AnswerBook.record` stores them last, over any
        ``extra`` field of the same name, so nothing a later save passes can
        change them. ``previous`` is the record being replaced (None for the
        first save) and ``record`` the new one. Most kinds carry nothing.
        """
        return {}

    def counted(self, record: Mapping[str, Any]) -> Any:
        """Return the value of a saved record that counts: its ``value``, for most kinds."""
        return record.get("value")

    def spec_problem(self, fields: dict[str, Any]) -> str | None:
        """Return what is wrong with an item's arguments for this kind, or None.

        ``fields`` holds the parsed ``options``, ``phrases``, ``statements``,
        ``categories`` (dicts), ``passage`` and ``resolution``.
        """
        return None

    def spec_options(self, fields: dict[str, Any]) -> dict[str, str]:
        """Return the item's options (what :attr:`ItemSpec.options` holds)."""
        return dict(fields["options"])

    def describe(self, spec: ItemSpec, value: Any) -> str | None:
        """Return ``value`` in words for this item, or None if it is not of this kind's shape."""
        return None

    # -- static renderings (course.render) -----------------------------------------------

    def entry_order(self, spec: ItemSpec, order: Sequence[str] | None = None) -> list[str]:
        """Return the option ids in the order a static rendering lists them (as authored).

        ``order`` is the order the student was shown, as saved; kinds whose
        listing may give the answer away use it, the others ignore it.
        """
        return list(spec.options)

    def question_parts(
        self, spec: ItemSpec, order: Sequence[str] | None = None
    ) -> list[tuple[str, list[str]]]:
        """Return the question's lists as (heading, entries), such as its options."""
        return []

    def question_html(self, spec: ItemSpec) -> list[str]:
        """Return what the question shows before its lists (a passage), as escaped HTML."""
        return []

    def question_text(self, spec: ItemSpec) -> list[str]:
        """Return what the question shows before its lists (a passage), as lines of text."""
        return []

    def question_lines(self, spec: ItemSpec) -> list[tuple[str, str]]:
        """Return the (label, text) lines shown after the question's lists (a unit, a date)."""
        return []

    def thinking_minutes(self, spec: ItemSpec) -> float:
        """Return the thinking time for this item, in minutes (:attr:`minutes` by default)."""
        return self.minutes

    def score(self, spec: ItemSpec, key: ItemKey, value: Any) -> Scored:
        """Return (fraction of full credit, details, problems) for a saved ``value``.

        Never raises on a bad value: anything unusable scores 0 with a problem.
        """
        return 0.0, [], [f"items of kind {self.name!r} are not autograded"]

    def judge(self, spec: ItemSpec, key: ItemKey, record: Mapping[str, Any]) -> Judgement:
        """Return what a saved answer record (of this kind) is worth against ``key``.

        The value that counts (:meth:`counted`) is scored by :meth:`score`, or
        given full credit when the key grades for completion. The verdict is
        ``correct``, ``partial`` or ``incorrect`` by the credit, ``unreadable``
        when nothing could be scored and a problem says why, and
        ``unanswered`` when no value was saved. Never raises on a bad record.
        """
        value = self.counted(record)
        if value is None:
            return Judgement(None)
        scored: Scored = (
            (1.0, [self.completion_detail], []) if key.completion else self.score(spec, key, value)
        )
        fraction, details, problems = scored
        fraction = min(max(fraction, 0.0), 1.0)
        verdict = "correct" if fraction >= 1.0 else "partial" if fraction > 0 else "incorrect"
        if problems and fraction == 0 and not details:
            verdict = "unreadable"
        return Judgement(value, fraction, verdict, list(details), list(problems))

    #: The detail of full credit when the key grades for completion.
    completion_detail: ClassVar[str] = "completion credit for a saved answer"

    def completion_text(self, key: ItemKey) -> str:
        """Return the correct answer in words when the key grades for completion."""
        return "any saved answer (graded for completion)"

    #: Whether keys of this kind may give reasons for accepted answers (``defensible``).
    takes_defensible: ClassVar[bool] = False

    def check_defensible(self, spec: ItemSpec, key: ItemKey) -> list[str]:
        """Return the ways a key's ``defensible`` reasons do not fit its accepted answers.

        Each answer accepted beside another needs its own reason, and only
        those may have one. Kinds that take no reasons refuse any.
        """
        if not key.defensible:
            return []
        takers = [k.name for k in _REGISTRY.values() if k.takes_defensible]
        return [
            f"{spec.id}: defensible is for {' and '.join(n.replace('_', '-') for n in takers)} "
            f"keys; {spec.kind} keys list alternatives in accept or in the answer"
        ]

    def describe_key(self, spec: ItemSpec, key: ItemKey) -> str | None:
        """Return the key's correct answer in words (None: describe it as an answer)."""
        return None

    def check_key(self, spec: ItemSpec, key: ItemKey) -> list[str]:
        """Return the ways a key (not graded for completion) does not fit ``spec``."""
        return []

    def simulate(self, spec: ItemSpec, key: ItemKey, right: bool, rng: random.Random) -> Any:
        """Return a value a simulated student saves: the key's answer if ``right``, else an error.

        Wrong answers are drawn the way real students err: the misconceptions
        listed first in a key are the commoner ones.
        """
        raise ValueError(f"No simulated answers for kind {self.name!r}")

    #: Whether the solution cell before an item of this kind is the student's working for it
    #: (graded with it as ``<item id>-work``, as a pandas exercise's code is).
    has_work: ClassVar[bool] = False
    #: Whether the item-writing checks read this kind's options for cues (length, wording).
    cue_checked: ClassVar[bool] = False
    #: Whether an answer of this kind is exactly one option (the length-cue check).
    picks_one: ClassVar[bool] = False

    def blind_guesses(self, spec: ItemSpec) -> list[Any]:
        """Return every answer a blind guesser may give, each as likely (empty: none)."""
        return []

    def cue_answer(self, spec: ItemSpec, cues: Mapping[str, tuple[int, int, int]]) -> Any:
        """Return the answer of a student who reads only cues, never the evidence, or None.

        ``cues`` scores each option: (minus its absolute words, words mirrored
        from the prompt, its number of words).
        """
        return None

    def simulate_saves(self, spec: ItemSpec, value: Any, rng: random.Random) -> list[Any]:
        """Return the values a simulated student saves, in order, to end with ``value``.

        Most kinds save the answer once; a kind whose students draft first
        (forecasts) returns the drafts before it.
        """
        return [value]

    def catalogue(self, spec: ItemSpec, answer: Any) -> list[dict[str, Any]]:
        """Return the options a student can pick, for item analysis: option, label, correct.

        Empty for kinds without options to pick (numbers, orderings, forecasts).
        """
        return []

    def picks(self, spec: ItemSpec, value: Any) -> list[str | None] | None:
        """Return the catalogue options a saved value picks (``[None]``: none), or None.

        Only the item's own options count; nothing in any JSON value raises.
        """
        return None

    def practice_check(
        self, spec: ItemSpec, value: Any, order: list[str]
    ) -> tuple[bool, list[str]]:
        """Return (is the practice answer right, feedback lines) for a practice item's value.

        ``spec.practice`` holds the answer and the feedback; ``order`` is the
        order the student sees (statements are numbered in it).
        """
        return False, []


class ChoiceKind(ItemKind):
    """What single and multiple choice (and phrase selection) share: options to pick from."""

    args = frozenset({"options"})

    def spec_problem(self, fields: dict[str, Any]) -> str | None:
        return "a choice item needs at least two options" if len(fields["options"]) < 2 else None

    def label(self, spec: ItemSpec, option_id: str) -> str:
        """Return an option as the student saw it, such as ``b) text``."""
        return f"{option_id}) {spec.options.get(option_id, option_id)}"

    def check_key(self, spec: ItemSpec, key: ItemKey) -> list[str]:
        """No answer, unknown option ids, or a distractor without its misconception."""
        sid, opts = spec.id, set(spec.options)
        problems = []
        answer = ids(key.answer)
        if not answer:
            problems.append(f"{sid}: the key gives no answer")
        for a in answer:
            if a not in opts:
                problems.append(f"{sid}: key answer {a!r} is not an option id")
        for d in sorted(opts - set(answer) - set(key.misconceptions)):
            problems.append(f"{sid}: distractor {d!r} names no misconception")
        for m in sorted(set(key.misconceptions) - opts):
            problems.append(f"{sid}: misconception given for unknown option {m!r}")
        return problems

    def catalogue(self, spec: ItemSpec, answer: Any) -> list[dict[str, Any]]:
        correct = ids(answer)
        return [{"option": o, "label": t, "correct": o in correct} for o, t in spec.options.items()]

    def question_parts(
        self, spec: ItemSpec, order: Sequence[str] | None = None
    ) -> list[tuple[str, list[str]]]:
        return [("Options", [f"{oid}) {spec.options[oid]}" for oid in self.entry_order(spec)])]


@dataclass
class Judgement:
    """What one saved answer is worth, before points (see :meth:`ItemKind.judge`)."""

    #: The value that counts, shown as the student's answer (None: no answer).
    value: Any
    #: The fraction of full credit, 0 to 1.
    fraction: float = 0.0
    #: correct, partial, incorrect, unanswered or unreadable.
    verdict: str = "unanswered"
    #: Lines shown to the student about the credit.
    details: list[str] = field(default_factory=list)
    #: What was wrong with the answer.
    problems: list[str] = field(default_factory=list)


def register(cls: K) -> K:
    """Register an :class:`ItemKind` subclass under its :attr:`~ItemKind.name` (a decorator)."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no kind name")
    _REGISTRY[cls.name] = cls()
    return cls


def unregister(name: str) -> ItemKind | None:
    """Remove the kind called ``name`` from the registry; return it, or None if there was none."""
    return _REGISTRY.pop(name, None)


@contextlib.contextmanager
def registered(cls: type[ItemKind]) -> Iterator[ItemKind]:
    """Register ``cls`` for the duration of a ``with`` block (for tests), then restore the registry.

    A kind of the same name registered before the block is registered again after it.
    """
    earlier = _REGISTRY.get(cls.name)
    register(cls)
    try:
        yield _REGISTRY[cls.name]
    finally:
        if earlier is None:
            _REGISTRY.pop(cls.name, None)
        else:
            _REGISTRY[cls.name] = earlier


def get_kind(name: str) -> ItemKind | None:
    """Return the registered kind called ``name``, or None."""
    return _REGISTRY.get(name)


def kinds() -> dict[str, ItemKind]:
    """Return every registered kind, by name."""
    return dict(_REGISTRY)


# -- helpers the kinds share ---------------------------------------------------------------


def ids(value: Any) -> list[str]:
    """Return the string ids in ``value``: a single id or a list of them (others dropped)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


def option_label(spec: ItemSpec, option_id: str) -> str:
    """Return an option as the student saw it: ``b) text`` (each kind may word it its own way).

    Kinds with options to pick say how (:meth:`ChoiceKind.label`); for any
    other kind an option is shown as ``b) text``.
    """
    kind = _REGISTRY.get(spec.kind)
    if isinstance(kind, ChoiceKind):
        return kind.label(spec, option_id)
    return f"{option_id}) {spec.options.get(option_id, option_id)}"


def number_text(value: Any) -> str:
    """Return a number as ``%g`` text, or a short description if it is beyond float range."""
    try:
        return f"{float(value):g}"
    except (OverflowError, TypeError, ValueError):
        return short_repr(value)


def pick_distractor(options: list[str], rng: random.Random) -> str:
    """Pick a wrong option, the earlier (commoner) misconceptions more often."""
    weights = [1.0 / (i + 1) for i in range(len(options))]
    return rng.choices(options, weights=weights)[0]


def practice_parts(spec: ItemSpec) -> tuple[Any, dict[Any, Any]]:
    """Return a practice item's answer and its feedback mapping (empty if malformed)."""
    practice = spec.practice or {}
    feedback = practice.get("feedback") or {}
    return practice.get("answer"), dict(feedback) if isinstance(feedback, dict) else {}


def unique_ids(value: Any, known: Sequence[str], what: str) -> list[str]:
    """Return a list of known ids (any iterable of str) in authored order, or raise ValueError.

    >>> unique_ids(("b", "a"), ["a", "b", "c"], "option")
    ['a', 'b']
    """
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValueError(f"expected a list of {what} ids, not {value!r}")
    chosen = list(value)
    unknown = [v for v in chosen if v not in known]
    if unknown:
        raise ValueError(f"unknown {what} id(s): {', '.join(map(str, unknown))}")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"a {what} id is given twice")
    return [k for k in known if k in chosen]


def text_of(value: Any) -> str:
    """Return a string as it is and anything else as a short description."""
    return value if isinstance(value, str) else short_repr(value)
