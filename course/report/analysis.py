"""Item analysis: pure functions on small tables, no files.

The statistics follow the quiz reports of Moodle and Canvas:

* **facility** (difficulty): ``share_correct``, the share of students with
  full credit, and ``mean_fraction``, the mean share of the item's points
  (Moodle's facility index; the two agree for right/wrong items);
* **discrimination**: ``point_biserial``, the correlation between the item's
  score and the student's *rest* score (their module total without this item,
  so the item is not correlated with itself), and ``upper_lower``, the mean
  share of points in the top 27 % of the class (by module total) minus that in
  the bottom 27 %;
* **distractor analysis**: each option's pick rate among students who saved
  an answer, with every distractor that no one picked flagged;
* **reliability**: Cronbach's alpha per module.

Tables in and out are :class:`pandas.DataFrame`; ``responses`` has one row per
student and item with columns ``student_id``, ``module``, ``item_id``,
``score`` and ``max_score`` (rows without a score are ignored).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "FACILITY_BAND",
    "MIN_DISCRIMINATION",
    "UPPER_LOWER_SHARE",
    "cronbach_alpha",
    "difficulty",
    "item_flags",
    "item_table",
    "module_summary",
    "option_rates",
    "point_biserial",
    "skill_summary",
    "upper_lower",
]

#: Share of the class in each of the upper and lower groups.
UPPER_LOWER_SHARE = 0.27
#: Facility outside this band is flagged (practitioners' rule of thumb).
FACILITY_BAND = (0.30, 0.70)
#: Discrimination below this is flagged.
MIN_DISCRIMINATION = 0.25

_KEY = ["module", "item_id"]


def _scored(responses: pd.DataFrame) -> pd.DataFrame:
    """Return the rows with a score and positive points, with a ``fraction`` column."""
    df = responses.dropna(subset=["score", "max_score"])
    df = df[df["max_score"] > 0].copy()
    df["score"] = df["score"].astype(float)
    df["fraction"] = df["score"] / df["max_score"].astype(float)
    return df


def difficulty(responses: pd.DataFrame) -> pd.DataFrame:
    """Return each item's facility.

    Returns
    -------
    pandas.DataFrame
        Indexed by (module, item_id): ``n`` (students scored), ``share_correct``
        (full credit) and ``mean_fraction`` (mean share of the points).

    Examples
    --------
    >>> r = pd.DataFrame({"student_id": ["a", "b", "c", "d"], "module": "m", "item_id": "q",
    ...                   "score": [2, 1, 0, 2], "max_score": 2})
    >>> difficulty(r).loc[("m", "q")].tolist()
    [4.0, 0.5, 0.625]
    """
    df = _scored(responses)
    df["full"] = df["fraction"] >= 1 - 1e-9
    out = df.groupby(_KEY).agg(
        n=("fraction", "size"), share_correct=("full", "mean"), mean_fraction=("fraction", "mean")
    )
    return out.astype(float)


def _scores_wide(df: pd.DataFrame) -> pd.DataFrame:
    return df.pivot_table(index="student_id", columns="item_id", values="score", aggfunc="first")


def point_biserial(responses: pd.DataFrame) -> pd.Series:
    """Return each item's corrected point-biserial (item–rest) correlation.

    For each module, a student's rest score is their total over the module's
    scored items minus this item. The Pearson correlation of item score and
    rest score over the students scored on the item is the point-biserial
    for right/wrong items; it is NaN when either varies not at all.

    Examples
    --------
    >>> r = pd.DataFrame({"student_id": list("abcd") * 2, "module": "m",
    ...                   "item_id": ["q1"] * 4 + ["q2"] * 4,
    ...                   "score": [1, 1, 0, 0, 1, 0, 1, 0], "max_score": 1})
    >>> point_biserial(r).round(3).tolist()
    [0.0, 0.0]
    """
    df = _scored(responses)
    values = {}
    for module, part in df.groupby("module"):
        wide = _scores_wide(part)
        total = wide.sum(axis=1, skipna=True)
        for item in wide.columns:
            x = wide[item]
            mask = x.notna()
            values[(module, item)] = _pearson(x[mask], (total - x)[mask])
    index = pd.MultiIndex.from_tuples(list(values), names=_KEY)
    return pd.Series(list(values.values()), index=index, name="point_biserial", dtype=float)


def _pearson(x: pd.Series, y: pd.Series) -> float:
    if len(x) < 2:
        return math.nan
    x = x.astype(float).to_numpy()
    y = y.astype(float).to_numpy()
    sx, sy = x.std(), y.std()
    if sx == 0 or sy == 0:
        return math.nan
    return float(((x - x.mean()) * (y - y.mean())).mean() / (sx * sy))


def _groups(totals: pd.Series, share: float) -> tuple[list[str], list[str]]:
    """Return the upper and lower groups: ranked by total, ties by student id."""
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    n = len(ranked)
    size = max(1, math.floor(share * n + 0.5)) if n else 0
    size = min(size, n // 2)
    upper = [s for s, _ in ranked[:size]]
    lower = [s for s, _ in ranked[n - size :]] if size else []
    return upper, lower


def upper_lower(responses: pd.DataFrame, share: float = UPPER_LOWER_SHARE) -> pd.Series:
    """Return each item's upper–lower discrimination index.

    In each module, students are ranked by module total (ties by student id);
    the top and bottom ``share`` of the class (rounded, at least one student,
    never overlapping) form the groups. The index is the mean share of the
    item's points in the upper group minus that in the lower group.

    Examples
    --------
    >>> r = pd.DataFrame({"student_id": list("abcd"), "module": "m", "item_id": "q",
    ...                   "score": [1, 1, 0, 0], "max_score": 1})
    >>> float(upper_lower(r, share=0.5).iloc[0])
    1.0
    """
    df = _scored(responses)
    values = {}
    for module, part in df.groupby("module"):
        totals = part.groupby("student_id")["score"].sum()
        upper, lower = _groups(totals, share)
        for item, rows in part.groupby("item_id"):
            frac = rows.set_index("student_id")["fraction"]
            up = frac.reindex(upper).dropna()
            low = frac.reindex(lower).dropna()
            values[(module, item)] = (
                float(up.mean() - low.mean()) if len(up) and len(low) else math.nan
            )
    index = pd.MultiIndex.from_tuples(list(values), names=_KEY)
    return pd.Series(list(values.values()), index=index, name="upper_lower", dtype=float)


def item_flags(row: pd.Series) -> list[str]:
    """Return what an instructor should look at in one row of :func:`item_table`."""
    flags = []
    low, high = FACILITY_BAND
    if row["mean_fraction"] < low:
        flags.append(f"hard: facility under {low:.0%}")
    elif row["mean_fraction"] > high:
        flags.append(f"easy: facility over {high:.0%}")
    rpb = row["point_biserial"]
    if pd.notna(rpb) and rpb < 0:
        flags.append("negative discrimination: check the key")
    elif pd.notna(rpb) and rpb < MIN_DISCRIMINATION:
        flags.append(f"weak discrimination: under {MIN_DISCRIMINATION}")
    if row.get("unpicked_distractors"):
        flags.append(f"distractor(s) no one picked: {row['unpicked_distractors']}")
    return flags


def item_table(responses: pd.DataFrame, options: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return one row per item: facility, both discrimination indices and flags.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per student and item (see the module docstring).
    options : pandas.DataFrame, optional
        As returned by :func:`option_rates`; adds ``unpicked_distractors``.
    """
    table = difficulty(responses).join(point_biserial(responses)).join(upper_lower(responses))
    if options is not None and not options.empty:
        unpicked = (
            options[options["never_picked"]]
            .groupby(_KEY)["option"]
            .agg(lambda s: ", ".join(map(str, s)))
            .rename("unpicked_distractors")
        )
        table = table.join(unpicked)
    if "unpicked_distractors" not in table:
        table["unpicked_distractors"] = ""
    table["unpicked_distractors"] = table["unpicked_distractors"].fillna("")
    table["flags"] = [item_flags(row) for _, row in table.iterrows()]
    return table.reset_index()


def option_rates(picks: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Return each option's pick rate among the students who answered the item.

    Parameters
    ----------
    picks : pandas.DataFrame
        One row per student and picked option: ``student_id``, ``module``,
        ``item_id``, ``option``. A student who saved an answer but picked
        nothing has one row with ``option`` missing.
    catalogue : pandas.DataFrame
        Every option of every item: ``module``, ``item_id``, ``option``,
        ``label``, ``correct``.

    Returns
    -------
    pandas.DataFrame
        The catalogue with ``answered`` (students who saved an answer),
        ``picks``, ``rate`` (picks / answered) and ``never_picked`` (a
        distractor no one picked, among items someone answered).

    Examples
    --------
    >>> picks = pd.DataFrame({"student_id": ["a", "b", "c"], "module": "m",
    ...                       "item_id": "q", "option": ["x", "x", "y"]})
    >>> cat = pd.DataFrame({"module": "m", "item_id": "q", "option": ["x", "y", "z"],
    ...                     "label": ["X", "Y", "Z"], "correct": [True, False, False]})
    >>> option_rates(picks, cat)[["option", "picks", "never_picked"]].values.tolist()
    [['x', 2, False], ['y', 1, False], ['z', 0, True]]
    """
    answered = picks.groupby(_KEY)["student_id"].nunique().rename("answered")
    counts = (
        picks.dropna(subset=["option"])
        .groupby([*_KEY, "option"])["student_id"]
        .nunique()
        .rename("picks")
    )
    out = catalogue.merge(answered.reset_index(), on=_KEY, how="left")
    out = out.merge(counts.reset_index(), on=[*_KEY, "option"], how="left")
    out["answered"] = out["answered"].fillna(0).astype(int)
    out["picks"] = out["picks"].fillna(0).astype(int)
    out["rate"] = np.where(
        out["answered"] > 0, out["picks"] / out["answered"].clip(lower=1), np.nan
    )
    out["never_picked"] = (
        (~out["correct"].astype(bool)) & (out["picks"] == 0) & (out["answered"] > 0)
    )
    return out


def skill_summary(responses: pd.DataFrame, tags: pd.DataFrame) -> pd.DataFrame:
    """Return results by tag (source-criticism skill or fact-sheet claim).

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per student and item.
    tags : pandas.DataFrame
        ``module``, ``item_id``, ``tag_type`` (``skill`` or ``claim``) and ``tag``.

    Returns
    -------
    pandas.DataFrame
        One row per tag: ``items``, ``responses``, ``mean_fraction`` and
        ``share_correct``, sorted by tag type, then weakest first.
    """
    columns = ["tag_type", "tag", "items", "responses", "mean_fraction", "share_correct"]
    df = _scored(responses).merge(tags, on=_KEY)
    if df.empty:
        return pd.DataFrame(columns=columns)
    df["full"] = df["fraction"] >= 1 - 1e-9
    df["item"] = df["module"] + "/" + df["item_id"]
    out = (
        df.groupby(["tag_type", "tag"])
        .agg(
            items=("item", "nunique"),
            responses=("fraction", "size"),
            mean_fraction=("fraction", "mean"),
            share_correct=("full", "mean"),
        )
        .reset_index()
    )
    return out.sort_values(["tag_type", "mean_fraction", "tag"], ignore_index=True)[columns]


def cronbach_alpha(responses: pd.DataFrame) -> float:
    """Return Cronbach's alpha of one module, over the items scored for every student.

    Items some students have no score for (written answers not yet graded)
    are left out; NaN with fewer than two items or students.

    Examples
    --------
    >>> r = pd.DataFrame({"student_id": list("abc") * 2, "module": "m",
    ...                   "item_id": ["q1"] * 3 + ["q2"] * 3,
    ...                   "score": [2, 1, 0, 2, 1, 0], "max_score": 2})
    >>> cronbach_alpha(r)
    1.0
    """
    wide = _scores_wide(_scored(responses)).dropna(axis=1, how="any")
    k = wide.shape[1]
    if k < 2 or len(wide) < 2:
        return math.nan
    total_var = wide.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return math.nan
    return float(k / (k - 1) * (1 - wide.var(ddof=1).sum() / total_var))


def module_summary(grades: pd.DataFrame, responses: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return per-module score statistics from ``grades.csv``-style rows.

    Returns
    -------
    pandas.DataFrame
        One row per module: ``students`` (graded), ``mean``, ``median``,
        ``sd``, ``min`` and ``max`` of the percent score, and ``alpha`` when
        ``responses`` is given.
    """
    df = grades.dropna(subset=["percent"])
    out = df.groupby("module")["percent"].agg(
        students="size", mean="mean", median="median", sd="std", min="min", max="max"
    )
    if responses is not None:
        out["alpha"] = [
            cronbach_alpha(responses[responses["module"] == module]) for module in out.index
        ]
    return out.reset_index()
