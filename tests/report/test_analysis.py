"""Item analysis on a hand-made class of five, with values worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from course.report.analysis import (
    cronbach_alpha,
    difficulty,
    item_table,
    module_summary,
    option_rates,
    point_biserial,
    skill_summary,
    upper_lower,
)

#: student -> (q1 of 1 point, q2 of 2 points, q3 of 1 point); totals a 4, b 2, c 3, d 0, e 2.
SCORES = {"a": (1, 2, 1), "b": (1, 1, 0), "c": (0, 2, 1), "d": (0, 0, 0), "e": (1, 0, 1)}
POINTS = {"q1": 1.0, "q2": 2.0, "q3": 1.0}


@pytest.fixture
def responses() -> pd.DataFrame:
    rows = [
        {
            "student_id": s,
            "module": "m",
            "item_id": item,
            "score": float(v),
            "max_score": POINTS[item],
        }
        for s, values in SCORES.items()
        for item, v in zip(POINTS, values, strict=True)
    ]
    # A written answer not yet graded has no score and must be ignored.
    rows.append({"student_id": "a", "module": "m", "item_id": "w", "score": None, "max_score": 2.0})
    return pd.DataFrame(rows)


def test_difficulty_is_share_correct_and_mean_fraction(responses):
    """Is facility the share with full credit and the mean share of points?"""
    table = difficulty(responses)
    assert table.loc[("m", "q1")].tolist() == [5, 0.6, 0.6]
    assert table.loc[("m", "q2")].tolist() == [5, 0.4, 0.5]
    assert ("m", "w") not in table.index


def test_point_biserial_correlates_with_the_rest_score(responses):
    """Is the item correlated with the total *without* itself?"""
    # q1 = [1,1,0,0,1]; rest = [3,1,3,0,1]; covariance 0.04, SDs sqrt(0.24) and 1.2.
    expected = 0.04 / (math.sqrt(0.24) * 1.2)
    assert point_biserial(responses).loc[("m", "q1")] == pytest.approx(expected)


def test_point_biserial_is_nan_without_variance():
    """Is an item everyone got right given no discrimination value rather than a number?"""
    r = pd.DataFrame(
        {"student_id": list("abc") * 2, "module": "m", "item_id": ["q"] * 3 + ["z"] * 3,
         "score": [1, 1, 1, 1, 0, 0], "max_score": 1}
    )  # fmt: skip
    assert math.isnan(point_biserial(r).loc[("m", "q")])


def test_upper_lower_groups_rank_by_total_with_ties_by_id(responses):
    """With 40 % groups (2 of 5), are a, c upper and e, d lower (b outranks e on a tie)?"""
    index = upper_lower(responses, share=0.4)
    assert index.loc[("m", "q1")] == 0.0
    assert index.loc[("m", "q2")] == 1.0
    assert index.loc[("m", "q3")] == 0.5


def test_upper_lower_uses_27_percent_by_default():
    """Of ten students, are the top three and bottom three compared?"""
    r = pd.DataFrame(
        {"student_id": [f"s{i}" for i in range(10)], "module": "m", "item_id": "q",
         "score": [1, 1, 1, 0, 1, 0, 1, 0, 0, 0], "max_score": 1}
    )  # fmt: skip
    # Ranked by total (this item only): s0 s1 s2 s4 s6 | s3 s5 s7 s8 s9 -> groups of 3.
    assert upper_lower(r).iloc[0] == 1.0


def test_cronbach_alpha_by_hand(responses):
    """Is alpha k/(k-1) * (1 - sum of item variances / total variance) = 1.5 * 0.6/2.2?"""
    assert cronbach_alpha(responses) == pytest.approx(1.5 * (1 - 1.6 / 2.2))


def test_option_rates_flag_the_distractor_no_one_picks():
    """Are pick rates per answering student, with an unpicked distractor flagged?"""
    picks = pd.DataFrame(
        {"student_id": ["a", "b", "c", "d"], "module": "m", "item_id": "q",
         "option": ["x", "y", "x", None]}
    )  # fmt: skip
    catalogue = pd.DataFrame(
        {"module": "m", "item_id": ["q"] * 3 + ["r"], "option": ["x", "y", "z", "x"],
         "label": ["X", "Y", "Z", "X"], "correct": [True, False, False, True]}
    )  # fmt: skip
    out = option_rates(picks, catalogue).set_index(["item_id", "option"])
    assert out.loc[("q", "x"), "rate"] == 0.5  # 2 of 4 who answered (d picked nothing)
    assert out.loc[("q", "y"), "rate"] == 0.25
    assert bool(out.loc[("q", "z"), "never_picked"])
    assert not bool(out.loc[("q", "x"), "never_picked"])
    assert not bool(out.loc[("r", "x"), "never_picked"])  # no one answered r: no flag
    assert math.isnan(out.loc[("r", "x"), "rate"])


def test_skill_and_claim_summary(responses):
    """Are results pooled over every item tagged with a skill or claim?"""
    tags = pd.DataFrame(
        [("m", "q1", "skill", "S1"), ("m", "q2", "skill", "S1"), ("m", "q3", "skill", "S2"),
         ("m", "q1", "claim", "C1")],
        columns=["module", "item_id", "tag_type", "tag"],
    )  # fmt: skip
    out = skill_summary(responses, tags).set_index("tag")
    assert out.loc["S1", "items"] == 2 and out.loc["S1", "responses"] == 10
    assert out.loc["S1", "mean_fraction"] == pytest.approx(0.55)
    assert out.loc["S1", "share_correct"] == pytest.approx(0.5)
    assert out.loc["C1", "mean_fraction"] == pytest.approx(0.6)
    assert list(out.index) == ["C1", "S1", "S2"]  # claims first, then weakest skill first


def test_item_table_flags(responses):
    """Are hard, easy, weak and unpicked-distractor items flagged in words?"""
    options = pd.DataFrame(
        {"module": ["m"], "item_id": ["q1"], "option": ["z"], "never_picked": [True]}
    )
    table = item_table(responses.dropna(subset=["score"]), options).set_index("item_id")
    flags = " ".join(table.loc["q1", "flags"])
    assert "weak discrimination" in flags and "no one picked: z" in flags
    assert table.loc["q2", "flags"] == [] or "facility" not in " ".join(table.loc["q2", "flags"])


def test_module_summary():
    """Are per-module statistics computed from graded submissions only?"""
    grades = pd.DataFrame({"module": ["m", "m", "m", "n"], "percent": [50.0, 100.0, None, 20.0]})
    out = module_summary(grades).set_index("module")
    assert out.loc["m", "students"] == 2 and out.loc["m", "mean"] == 75.0
    assert out.loc["n", "max"] == 20.0
