"""Item-writing checks: cues a test-wise student could use instead of reasoning.

Two cues are measured on the choice items of a module (single and multiple
choice), from the lesson and its key:

- **answer length**: a correct option much longer than the distractors, or
  correct options that are the longest in more than their fair share of
  items (:func:`length_findings`);
- **giveaways**: a correct option that shares a long run of words with
  something the student reads in the notebook: a key point, a heading, the
  prompt or other text (:func:`giveaway_findings`).

:func:`testwise_scores` plays a student who uses no knowledge, only cues: it
picks the longest option, mirrors the prompt's words and avoids absolute
words ("always", "only"…). It is compared with chance, computed from the
same keys by scoring every possible answer. The thresholds are documented
in the authoring guide ("Item-writing checks").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .items.spec import ItemSpec
from .keys import ItemKey
from .kinds import get_kind, kinds

__all__ = [
    "ABSOLUTE_WORDS",
    "GIVEAWAY_WORDS",
    "LENGTH_RATIO",
    "LONGEST_SLACK",
    "TESTWISE_MARGIN",
    "ItemFinding",
    "ModuleCueScore",
    "chance_points",
    "giveaway_findings",
    "length_findings",
    "testwise_answer",
    "testwise_scores",
]

#: A correct option may be at most this many times the mean length (in words) of its distractors.
LENGTH_RATIO = 1.5
#: In a module, the correct option may be the strictly longest in at most its fair share of
#: single-choice items (the sum of 1/options) plus this many.
LONGEST_SLACK = 1.0
#: A run of this many words shared by a correct option and student-visible text is a giveaway.
GIVEAWAY_WORDS = 6
#: Percentage points by which the cue-reading student may beat chance in a module.
TESTWISE_MARGIN = 10.0
#: Words a test-wise student avoids: options that contain them are rarely keyed right.
ABSOLUTE_WORDS = frozenset(
    [
        "always",
        "never",
        "only",
        "all",
        "none",
        "every",
        "entirely",
        "completely",
        "certainly",
        "proves",
        "must",
        "cannot",
    ]
)
#: The kinds whose options the checks read for cues (:attr:`course.kinds.ItemKind.cue_checked`).
CHOICE_KINDS = tuple(k.name for k in kinds().values() if k.cue_checked)


def _cue_checked(spec: ItemSpec) -> bool:
    kind = get_kind(spec.kind)
    return kind is not None and kind.cue_checked and bool(spec.options)


_WORD = re.compile(r"[\w’']+", re.UNICODE)
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "by",
        "for",
        "with",
        "as",
        "at",
        "it",
        "its",
        "this",
        "that",
        "which",
        "what",
        "who",
        "from",
        "not",
        "no",
        "than",
    ]
)


@dataclass(frozen=True)
class ItemFinding:
    """One cue found in one item (or a module), with a concrete hint."""

    module: str
    item_id: str
    check: str  # "length", "longest-share" or "giveaway"
    message: str
    hint: str

    def __str__(self) -> str:
        where = f"{self.item_id}: " if self.item_id else ""
        return f"{where}{self.message} ({self.hint})"


def words(text: str) -> list[str]:
    """Return the lower-case words of ``text`` (markup and punctuation dropped)."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _correct_ids(spec: ItemSpec, key: ItemKey) -> set[str]:
    answer = key.answer
    if isinstance(answer, str):
        return {answer}
    if isinstance(answer, Iterable):
        return {str(a) for a in answer}
    return set()


def _choice_items(
    specs: Mapping[str, ItemSpec], keys: Mapping[str, ItemKey]
) -> list[tuple[ItemSpec, ItemKey]]:
    return [
        (spec, keys[item_id])
        for item_id, spec in specs.items()
        if spec.graded and _cue_checked(spec) and item_id in keys
    ]


def longest_share(
    specs: Mapping[str, ItemSpec], keys: Mapping[str, ItemKey]
) -> tuple[list[str], float]:
    """Return the single-choice items whose one correct option is strictly the longest,
    and the number chance alone would give (the sum of ``1 / number of options``)."""
    longest_ids: list[str] = []
    fair = 0.0
    for spec, key in _choice_items(specs, keys):
        kind = get_kind(spec.kind)
        if kind is None or not kind.picks_one:
            continue
        right = _correct_ids(spec, key)
        lengths = {o: len(words(text)) for o, text in spec.options.items()}
        fair += 1 / len(lengths)
        (option,) = sorted(right) if len(right) == 1 else (None,)
        others = [n for o, n in lengths.items() if o != option]
        if option in lengths and all(lengths[option] > n for n in others):
            longest_ids.append(spec.id)
    return longest_ids, fair


def course_longest_finding(
    modules: Mapping[str, tuple[Mapping[str, ItemSpec], Mapping[str, ItemKey]]],
) -> ItemFinding | None:
    """Over the whole course: is the correct option the longest more often than chance allows?

    ``modules`` maps each module id to its specs and keys. The limit is the
    fair share over every single-choice item of the course plus
    :data:`LONGEST_SLACK`, as for one module.
    """
    longest_ids: list[str] = []
    fair = 0.0
    for specs, keys in modules.values():
        ids, share = longest_share(specs, keys)
        longest_ids += ids
        fair += share
    if len(longest_ids) <= fair + LONGEST_SLACK:
        return None
    return ItemFinding(
        "course",
        "",
        "longest-share",
        f"over the course the correct option is the longest in {len(longest_ids)} single-choice "
        f"items ({', '.join(longest_ids)}); chance alone would make it about {fair:.1f}",
        "make a distractor the longest option in some of these items",
    )


def length_findings(
    module: str, specs: Mapping[str, ItemSpec], keys: Mapping[str, ItemKey]
) -> list[ItemFinding]:
    """Return the answer-length cues of a module's choice items.

    An item is flagged when a correct option is more than :data:`LENGTH_RATIO`
    times the mean length of the distractors. The module is flagged when the
    correct option is the strictly longest in more single-choice items than
    the fair share (the sum of ``1 / number of options``) plus
    :data:`LONGEST_SLACK`.
    """
    found = []
    longest_ids, fair = longest_share(specs, keys)
    longest = len(longest_ids)
    for spec, key in _choice_items(specs, keys):
        right = _correct_ids(spec, key)
        lengths = {o: len(words(text)) for o, text in spec.options.items()}
        distractors = [n for o, n in lengths.items() if o not in right]
        if not distractors or not right:
            continue
        mean = sum(distractors) / len(distractors)
        for option in sorted(right & set(lengths)):
            if mean and lengths[option] > LENGTH_RATIO * mean:
                found.append(
                    ItemFinding(
                        module,
                        spec.id,
                        "length",
                        f"the correct option {option} has {lengths[option]} words, "
                        f"{lengths[option] / mean:.1f} times the distractors' mean of {mean:.0f}",
                        "shorten it, or lengthen the distractors with the same care "
                        f"(at most {LENGTH_RATIO:g} times their mean)",
                    )
                )
    if longest > fair + LONGEST_SLACK:
        found.append(
            ItemFinding(
                module,
                "",
                "longest-share",
                f"the correct option is the longest in {longest} single-choice items "
                f"({', '.join(longest_ids)}); chance alone would make it about {fair:.1f}",
                "make a distractor the longest option in some of these items",
            )
        )
    return found


def _runs(tokens: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def _longest_shared(a: Sequence[str], b: Sequence[str]) -> str:
    match = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match()
    return " ".join(a[match.a : match.a + match.size])


def giveaway_findings(
    module: str,
    specs: Mapping[str, ItemSpec],
    keys: Mapping[str, ItemKey],
    visible: Mapping[str, str],
) -> list[ItemFinding]:
    """Return the correct options that share :data:`GIVEAWAY_WORDS` words in a row with text.

    Parameters
    ----------
    visible : mapping of str to str
        What the student reads, by a name for the hint ("key point 2",
        "heading 'Sourcing'", "prompt of m02-date"…).
    """
    found = []
    texts = {name: _runs(words(text), GIVEAWAY_WORDS) for name, text in visible.items()}
    for spec, key in _choice_items(specs, keys):
        for option in sorted(_correct_ids(spec, key) & set(spec.options)):
            runs = _runs(words(spec.options[option]), GIVEAWAY_WORDS)
            for name, theirs in texts.items():
                if runs & theirs:
                    run = _longest_shared(words(spec.options[option]), words(visible[name]))
                    found.append(
                        ItemFinding(
                            module,
                            spec.id,
                            "giveaway",
                            f"the correct option {option} repeats {name}: “{run}”",
                            "reword the option or that text so the answer is not read off it",
                        )
                    )
    return found


def _cue_score(text: str, prompt_words: set[str]) -> tuple[int, int, int]:
    tokens = words(text)
    absolutes = sum(1 for t in tokens if t in ABSOLUTE_WORDS)
    mirrored = len({t for t in tokens if t not in _STOP} & prompt_words)
    return (-absolutes, mirrored, len(tokens))


def testwise_answer(spec: ItemSpec) -> str | list[str] | None:
    """Return the answer of a student who reads only cues, never the evidence.

    Single choice: the option with the fewest absolute words, then the most
    words mirrored from the prompt, then the most words. Multiple choice: every
    option with no absolute word that is at least as long as the median option.
    """
    kind = get_kind(spec.kind)
    if kind is None or not _cue_checked(spec):
        return None
    prompt_words = {t for t in words(spec.prompt) if t not in _STOP}
    cues = {o: _cue_score(text, prompt_words) for o, text in spec.options.items()}
    answer: str | list[str] | None = kind.cue_answer(spec, cues)
    return answer


def _points(spec: ItemSpec, key: ItemKey, value: object) -> float:
    from .grading.score import score_item

    return score_item(spec, key, {"kind": spec.kind, "value": value}).points


def chance_points(spec: ItemSpec, key: ItemKey) -> float:
    """Return the expected points of a blind guess, computed by scoring every possible answer.

    Single choice: each option alike. Multiple choice: each option ticked with
    probability one half (every subset alike, the empty one included).
    """
    kind = get_kind(spec.kind)
    guesses = kind.blind_guesses(spec) if kind is not None else []
    if not guesses:
        return 0.0
    return sum(_points(spec, key, g) for g in guesses) / len(guesses)


@dataclass(frozen=True)
class ModuleCueScore:
    """How a cue-reading student and a blind guesser score on a module's choice items."""

    module: str
    items: int
    points: float
    testwise: float
    chance: float

    @property
    def testwise_percent(self) -> float:
        """The test-wise student's score, in percent of the choice items' points."""
        return 100 * self.testwise / self.points if self.points else 0.0

    @property
    def chance_percent(self) -> float:
        """A blind guess's expected score, in percent of the choice items' points."""
        return 100 * self.chance / self.points if self.points else 0.0

    @property
    def margin(self) -> float:
        """Percentage points by which the test-wise student beats chance."""
        return self.testwise_percent - self.chance_percent

    @property
    def near_chance(self) -> bool:
        """True when the test-wise student is within :data:`TESTWISE_MARGIN` points of chance.

        Both ways: far above chance, cues lead to the answer; far below, they
        lead away from it, and a student who learns to do the opposite of the
        cue reader scores well without reading.
        """
        return abs(self.margin) <= TESTWISE_MARGIN


def testwise_scores(
    module: str, specs: Mapping[str, ItemSpec], keys: Mapping[str, ItemKey]
) -> ModuleCueScore:
    """Score the test-wise student and chance on a module's choice items, from its key."""
    items = _choice_items(specs, keys)
    points = sum(spec.points for spec, _ in items)
    testwise = sum(_points(spec, key, testwise_answer(spec)) for spec, key in items)
    chance = sum(chance_points(spec, key) for spec, key in items)
    return ModuleCueScore(module, len(items), float(points), float(testwise), float(chance))
