"""Module 08 items: the essay is scored only on what it says, and contested verdicts score fairly.

The essay's implied forecasts and their paragraph citations are read from the
lesson, the outcomes from the module's own key (``m08-resolve``), and every
score comes from the course's own code (``course.forecasts.brier`` and
``course.grading.score.score_item``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import pytest

from course.forecasts import brier
from course.grading.score import score_item
from course.items.spec import ItemSpec, specs_from_source
from course.keys import ItemKey, ModuleKey, load_key

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "08-hindsight.md"
KEY = ROOT / "autograde" / "keys" / "08-hindsight.yaml"
SILENT = "the essay is silent"


@pytest.fixture(scope="module")
def cells() -> list:
    return jupytext.read(LESSON).cells


@pytest.fixture(scope="module")
def specs(cells) -> dict[str, ItemSpec]:
    out = {}
    for cell in cells:
        if cell.cell_type == "code":
            for spec in specs_from_source(cell.source, where="08-hindsight"):
                out[spec.id] = spec
    return out


@pytest.fixture(scope="module")
def module_key() -> ModuleKey:
    return load_key(KEY)


@pytest.fixture(scope="module")
def keys(module_key) -> dict[str, ItemKey]:
    return module_key.items


@pytest.fixture(scope="module")
def essay_implied(cells) -> dict[str, int]:
    """The lesson's ``essay_implied`` dictionary, read without running the lesson."""
    for cell in cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == (
                "essay_implied"
            ):
                return ast.literal_eval(node.value)
    raise AssertionError("module 08 has no essay_implied cell")


@pytest.fixture(scope="module")
def coding_table(cells) -> dict[str, tuple[str, str]]:
    """The lesson's table of the essay's implied chances: forecast id -> (chance, why)."""
    rows = {}
    for cell in cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = re.match(r"\| `(m00-fc-[\w-]+)`: [^|]+\| ([^|]+) \| ([^|]+) \|$", line)
            if match:
                rows[match[1]] = (match[2].strip(), match[3].strip())
    assert rows, "module 08 has no table of the essay's implied chances"
    return rows


def _outcomes(keys: dict[str, ItemKey]) -> dict[str, int]:
    return {k: 1 if v == "yes" else 0 for k, v in keys["m08-resolve"].answer.items()}


def test_the_essay_brier_score_the_key_states_is_the_course_score(essay_implied, keys, module_key):
    """Do the essay's and the benchmarks' scores in the key equal brier() on the module's data?"""
    outcomes = _outcomes(keys)
    assert set(essay_implied) == set(outcomes)
    text = module_key.written["m08-reflection"].explanation
    stated = re.search(
        r"essay's implied forecasts\s+score (\d\.\d{3}), the coin flip (\d\.\d{3}) and the "
        r"base rate \(always (\d+)%\) (\d\.\d{3})",
        " ".join(text.split()),
    )
    assert stated, "the m08-reflection key no longer states the essay's Brier score"
    essay, coin, rate, base = stated.groups()
    assert brier({k: p / 100 for k, p in essay_implied.items()}, outcomes) == pytest.approx(
        float(essay)
    )
    assert float(essay) == pytest.approx(0.166)
    assert brier({k: 0.5 for k in outcomes}, outcomes) == pytest.approx(float(coin))
    assert int(rate) == round(100 * sum(outcomes.values()) / len(outcomes))
    assert brier({k: int(rate) / 100 for k in outcomes}, outcomes) == pytest.approx(float(base))


def test_no_silent_question_is_scored_against_the_essay(essay_implied, coding_table, keys):
    """Is every question the essay is silent on coded 50%, and every other one cited by ¶?"""
    assert set(coding_table) == set(essay_implied)
    for item_id, (chance, why) in coding_table.items():
        if SILENT in chance:
            assert essay_implied[item_id] == 50, item_id
        else:
            assert chance == f"{essay_implied[item_id]}%", item_id
            assert essay_implied[item_id] != 50, item_id
            assert re.search(r"¶\d+", why), f"{item_id}: no paragraph cited"
    # The two questions the essay never addresses are silent, not confident misses.
    assert SILENT in coding_table["m00-fc-deir-ez-zor"][0]
    assert SILENT in coding_table["m00-fc-palmyra"][0]
    # A silent question costs the essay exactly what it costs the coin flip.
    outcomes = _outcomes(keys)
    for item_id, probability in essay_implied.items():
        if probability == 50:
            assert brier({item_id: 0.5}, outcomes) == 0.25
    assert not any("confident miss" in (key.explanation or "") for key in keys.values())
    for key in keys.values():
        assert not any("confident miss" in str(text) for text in key.misconceptions.values())


@pytest.mark.parametrize("c24", ["notborne", "mixed"])
def test_m08_verdicts_accepts_both_defensible_c24_verdicts(specs, keys, c24):
    """Does each defensible verdict on C24 score full marks with the real scorer, with a reason?"""
    spec, key = specs["m08-verdicts"], keys["m08-verdicts"]
    answer = {"c11": "borne", "c20": "mixed", "c21": "mixed", "c23": "mixed", "c24": c24}
    result = score_item(spec, key, {"kind": spec.kind, "value": answer})
    assert result.points == spec.points
    assert result.verdict == "correct"
    reason = key.defensible["c24"][c24]
    assert re.search(r"\bS\d+", reason) and "C24" in reason


def test_m08_verdicts_borne_out_on_c24_does_not_score_full(specs, keys):
    """Does 'borne out' for the C24 prescription lose points with the real scorer?"""
    spec, key = specs["m08-verdicts"], keys["m08-verdicts"]
    answer = {"c11": "borne", "c20": "mixed", "c21": "mixed", "c23": "mixed", "c24": "borne"}
    result = score_item(spec, key, {"kind": spec.kind, "value": answer})
    assert result.points < spec.points
    assert result.verdict != "correct"
