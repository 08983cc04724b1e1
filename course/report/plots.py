"""The report's figures: PNG bytes plus a text alternative for each.

Colours come from the Okabe–Ito palette, which stays distinguishable with
the common colour-vision deficiencies; no figure relies on colour alone
(markers, hatching and labels carry the same information). Every figure
returns its alt text, built from the numbers it shows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from .analysis import FACILITY_BAND, MIN_DISCRIMINATION

__all__ = [
    "OKABE_ITO",
    "Figure",
    "difficulty_discrimination_plot",
    "score_distribution_plot",
    "skill_plot",
]

#: Okabe & Ito (2008), "Color Universal Design": orange, sky blue, bluish green,
#: yellow, blue, vermillion, reddish purple, black.
OKABE_ITO = [
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000",
]  # fmt: skip
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
_HATCHES = ["", "//", "..", "xx", "\\\\", "++", "oo", "--"]


@dataclass(frozen=True)
class Figure:
    """One rendered figure."""

    png: bytes
    alt: str
    title: str


def _render(fig: plt.Figure, alt: str, title: str) -> Figure:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return Figure(png=buffer.getvalue(), alt=alt, title=title)


def score_distribution_plot(grades: pd.DataFrame) -> Figure:
    """Return a histogram of the percent score per module (10-point bins, 0–100)."""
    df = grades.dropna(subset=["percent"])
    modules = sorted(df["module"].unique())
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bins = list(range(0, 101, 10))
    parts = []
    for i, module in enumerate(modules):
        values = df.loc[df["module"] == module, "percent"].clip(0, 100)
        ax.hist(
            values,
            bins=bins,
            histtype="bar",
            alpha=0.75,
            label=module,
            color=OKABE_ITO[i % len(OKABE_ITO)],
            hatch=_HATCHES[i % len(_HATCHES)],
            edgecolor="black",
            linewidth=0.6,
        )
        parts.append(
            f"{module}: {len(values)} students, median {values.median():.0f} %, "
            f"range {values.min():.0f}–{values.max():.0f} %"
        )
    ax.set_xlabel("Score (% of the module's points)")
    ax.set_ylabel("Students")
    ax.set_xlim(0, 100)
    if modules:
        ax.legend(title="Module", frameon=False)
    title = "Score distribution per module"
    ax.set_title(title)
    alt = f"{title}, histogram in 10-point bins. " + (
        "; ".join(parts) if parts else "No graded submissions."
    )
    return _render(fig, alt, title)


def difficulty_discrimination_plot(items: pd.DataFrame) -> Figure:
    """Return a scatter of facility (x) against point-biserial discrimination (y)."""
    df = items.dropna(subset=["mean_fraction"])
    fig, ax = plt.subplots(figsize=(7, 4.2))
    low, high = FACILITY_BAND
    ax.axvspan(low, high, color="#E8E8E8", zorder=0, label=f"facility {low:.0%}–{high:.0%}")
    ax.axhline(MIN_DISCRIMINATION, color="black", linestyle="--", linewidth=0.8,
               label=f"discrimination {MIN_DISCRIMINATION}")  # fmt: skip
    ax.axhline(0, color="black", linewidth=0.5)
    for i, (module, part) in enumerate(df.groupby("module")):
        y = part["point_biserial"].fillna(0)
        ax.scatter(
            part["mean_fraction"], y, label=module, color=OKABE_ITO[i % len(OKABE_ITO)],
            marker=_MARKERS[i % len(_MARKERS)], edgecolor="black", linewidth=0.5, s=46,
        )  # fmt: skip
        for x_, y_, name in zip(part["mean_fraction"], y, part["item_id"], strict=True):
            ax.annotate(name, (x_, y_), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(min(-0.2, float(df["point_biserial"].min(skipna=True) or 0) - 0.05), 1.0)
    ax.set_xlabel("Facility (mean share of the item's points)")
    ax.set_ylabel("Discrimination (item–rest correlation)")
    title = "Item facility and discrimination"
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    in_band = df["mean_fraction"].between(low, high).sum()
    weak = (df["point_biserial"] < MIN_DISCRIMINATION).sum()
    negative = (df["point_biserial"] < 0).sum()
    alt = (
        f"{title}: scatter of {len(df)} items, facility on the x axis and discrimination on "
        f"the y axis. {in_band} items have facility between {low:.0%} and {high:.0%}; "
        f"{weak} items discriminate below {MIN_DISCRIMINATION}"
        + (f", {negative} of them negatively" if negative else "")
        + ". The item table below gives each item's values."
    )
    return _render(fig, alt, title)


def skill_plot(skills: pd.DataFrame, tag_type: str) -> Figure:
    """Return a horizontal bar chart of the mean share of points per skill or claim."""
    df = skills[skills["tag_type"] == tag_type].sort_values("mean_fraction")
    label = "source-criticism skill" if tag_type == "skill" else "fact-sheet claim"
    fig, ax = plt.subplots(figsize=(7, max(1.8, 0.32 * len(df) + 1)))
    bars = ax.barh(
        df["tag"], df["mean_fraction"] * 100, color=OKABE_ITO[4 if tag_type == "skill" else 2],
        edgecolor="black", linewidth=0.5,
    )  # fmt: skip
    for bar, value in zip(bars, df["mean_fraction"], strict=True):
        ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, f"{value:.0%}",
                va="center", fontsize=8)  # fmt: skip
    ax.set_xlim(0, 110)
    ax.set_xlabel("Mean share of points (%)")
    title = f"Results by {label}"
    ax.set_title(title)
    if len(df):
        weakest = df.iloc[0]
        strongest = df.iloc[-1]
        alt = (
            f"{title}: bar chart of {len(df)} {label}s. Weakest: {weakest['tag']} at "
            f"{weakest['mean_fraction']:.0%}; strongest: {strongest['tag']} at "
            f"{strongest['mean_fraction']:.0%}. The table beside it lists every value."
        )
    else:
        alt = f"{title}: no tagged items were graded."
    return _render(fig, alt, title)
