"""One course-wide timeline: the dated events of ``events.csv``, one row per kind.

Every event of :func:`course.data.events` inside the span is a point on the
row of its ``kind``. A date known to the day is a filled marker; a date known
only to the month or the year, or given as approximate, is a hollow marker in
the middle of that month or year, with a thin line over the whole month or
year, so that no day is invented. Events that last several days or months
have a line from start to end. The window in which the essay was written
(27 March to about late August 2016, see ``essay/provenance.md``) is shaded,
and the date in the address of the essay's stored copy (23 April 2016) is
marked.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from course import timeline
>>> ax = timeline.course_timeline()
>>> ax.get_title()
'Course timeline: dated events, 2011–2019'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from . import data

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.axes import Axes

__all__ = [
    "ESSAY_COPY_DATE",
    "ESSAY_WINDOW",
    "KIND_LABELS",
    "course_timeline",
    "course_timeline_alt_text",
    "event_intervals",
]

#: The rows of the timeline, top to bottom: each ``kind`` of events.csv and its label.
KIND_LABELS = {
    "military_operation": "Military operation",
    "capture": "Capture",
    "siege_broken": "Siege broken",
    "announcement": "Announcement",
    "sanction": "Sanction",
    "agreement": "Agreement",
    "other": "Other",
}

#: When the essay was written: the earliest possible date (the announcement of
#: Palmyra's recapture, 27 March 2016) and the estimated upper bound (about late
#: August 2016, an argument from silence). See ``essay/provenance.md``.
ESSAY_WINDOW = (pd.Timestamp("2016-03-27"), pd.Timestamp("2016-08-31"))

#: The date in the address of the essay's stored copy (see ``essay/provenance.md``).
ESSAY_COPY_DATE = pd.Timestamp("2016-04-23")

_SPAN = ("2011-01-01", "2019-12-31")
#: Okabe–Ito colours, one per row; the rows carry the same information.
_KIND_COLOURS = {
    "military_operation": "#0072B2",
    "capture": "#D55E00",
    "siege_broken": "#009E73",
    "announcement": "#CC79A7",
    "sanction": "#E69F00",
    "agreement": "#56B4E9",
    "other": "#000000",
}
_LABELLED = (
    "russian-intervention-begins",
    "palmyra-recapture-announced",
    "jarabulus-captured",
    "palmyra-lost-2016",
)
_TITLE = "Course timeline: dated events, {first}–{last}"


def _period(value: str, precision: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last day a date string at a precision can mean."""
    if precision == "day":
        day = pd.Timestamp(value)
        return day, day
    if precision == "month":
        first = pd.Timestamp(f"{value}-01")
        return first, first + pd.offsets.MonthEnd(0)
    first = pd.Timestamp(f"{value}-01-01")
    return first, pd.Timestamp(f"{value}-12-31")


def event_intervals(events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return each event with the interval its dates cover and where its point goes.

    Parameters
    ----------
    events : pandas.DataFrame, optional
        Rows as :func:`course.data.events` returns them (default: all of them).

    Returns
    -------
    pandas.DataFrame
        The events with four more columns: ``first`` and ``last`` (the first
        and last day the dates can mean: a month-precision date covers its
        whole month), ``point`` (the start day for day-precision dates, else
        the middle of the interval) and ``exact`` (True when the start is
        known to the day and not marked approximate).

    Examples
    --------
    >>> rows = event_intervals().set_index("event_id")
    >>> str(rows.loc["yarmouk-is-takeover", "last"].date())
    '2015-04-30'
    >>> bool(rows.loc["yarmouk-is-takeover", "exact"])
    False
    """
    frame = (data.events() if events is None else events).copy()
    firsts, lasts, points, exact = [], [], [], []
    for start, end, precision, approx in zip(
        frame["start_date"],
        frame["end_date"],
        frame["date_precision"],
        frame["date_approx"],
        strict=True,
    ):
        precision = str(precision)
        first, start_last = _period(str(start), precision)
        last = start_last if pd.isna(end) else _period(str(end), precision)[1]
        firsts.append(first)
        lasts.append(last)
        day = precision == "day"
        points.append(first if day else first + (start_last - first) / 2)
        exact.append(day and not bool(approx))
    frame["first"] = pd.to_datetime(firsts)
    frame["last"] = pd.to_datetime(lasts)
    frame["point"] = pd.to_datetime(points)
    frame["exact"] = exact
    return frame


def _when(event: pd.Series) -> str:
    """Write an event's date at its own precision (no invented day)."""
    if event["exact"]:
        return f"{event['point']:%d %b %Y}"
    if str(event["date_precision"]) == "day":
        return f"about {event['point']:%d %b %Y}"
    if str(event["date_precision"]) == "month":
        return f"{event['first']:%b %Y}"
    return f"{event['first']:%Y}"


def _in_span(span: tuple[str, str]) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    start, end = pd.Timestamp(span[0]), pd.Timestamp(span[1])
    if end <= start:
        raise ValueError(
            f"The span must end after it starts; got {span[0]} to {span[1]}. "
            "Give (first day, last day), for example ('2011-01-01', '2019-12-31')."
        )
    rows = event_intervals()
    unknown = sorted(set(rows["kind"].astype(str)) - set(KIND_LABELS))
    if unknown:
        raise ValueError(
            f"events.csv has kinds the timeline has no row for: {', '.join(unknown)}. "
            "Add them to course.timeline.KIND_LABELS."
        )
    shown = rows[(rows["point"] >= start) & (rows["point"] <= end)]
    before = int((rows["point"] < start).sum())
    after = int((rows["point"] > end).sum())
    return rows, shown.reset_index(drop=True), before, after


def course_timeline(
    ax: Axes | None = None, *, span: tuple[str, str] = _SPAN, labels: tuple[str, ...] = _LABELLED
) -> Axes:
    """Draw the course-wide timeline of the dated events, one row per kind.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure, 11 × 4.6 inches).
    span : (str, str), default ("2011-01-01", "2019-12-31")
        First and last day shown. Events outside it are counted in a note
        under the axis.
    labels : tuple of str
        Ids of events to number on the figure and describe under it (default:
        the start of the Russian air campaign, the announcement of Palmyra's
        recapture in March 2016, the capture of Jarabulus and IS's return to
        Palmyra in December 2016).

    Returns
    -------
    matplotlib.axes.Axes
        The axes. The points are two scatter collections, with gids
        ``"events-exact"`` (filled: the day is known) and ``"events-inexact"``
        (hollow: month, year or approximate); together they hold one point
        per event in the span.

    Raises
    ------
    KeyError
        If an id in ``labels`` is not an event in the span.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = course_timeline(labels=())
    >>> sorted(c.get_gid() for c in ax.collections if c.get_gid())
    ['events-exact', 'events-inexact']
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    _, shown, before, after = _in_span(span)
    missing = [event_id for event_id in labels if event_id not in set(shown["event_id"])]
    if missing:
        raise KeyError(
            f"No event {', '.join(missing)} in the span {span[0]} to {span[1]}; "
            "use ids from the event_id column of data.events()."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 4.6))
    kinds = list(KIND_LABELS)
    row = {kind: i for i, kind in enumerate(kinds)}
    y = shown["kind"].astype(str).map(row).astype(float)
    colours = [_KIND_COLOURS[str(k)] for k in shown["kind"]]

    low, high = ESSAY_WINDOW
    ax.axvspan(
        low,
        high,
        facecolor="#E8E8E8",
        edgecolor="#BBBBBB",
        hatch="..",
        linewidth=0,
        zorder=0,
        gid="essay-window",
    )
    ax.axvline(low, color="#444444", linewidth=0.8, zorder=1)
    ax.axvline(high, color="#444444", linewidth=0.8, linestyle=(0, (3, 2)), zorder=1)
    ax.axvline(
        ESSAY_COPY_DATE,
        color="black",
        linewidth=1.0,
        linestyle=":",
        zorder=1,
        gid="essay-copy-date",
    )
    ax.text(
        high + pd.Timedelta(days=20),
        -0.72,
        "essay written:\n27 Mar – about late Aug 2016",
        fontsize=7,
        ha="left",
        va="center",
        color="#333333",
    )

    for (_, event), yy, colour in zip(shown.iterrows(), y, colours, strict=True):
        if event["last"] > event["first"]:
            ax.plot(
                [event["first"], event["last"]],
                [yy, yy],
                color=colour,
                linewidth=2.5 if event["exact"] else 1.2,
                alpha=0.8,
                zorder=2,
                solid_capstyle="butt",
            )

    for exact, gid in ((True, "events-exact"), (False, "events-inexact")):
        keep = (shown["exact"] == exact).to_numpy()
        own = [colour for colour, k in zip(colours, keep, strict=True) if k]
        ax.scatter(
            shown.loc[keep, "point"],
            y[keep],
            s=34,
            marker="o",
            facecolor=own if exact else "white",
            edgecolor="black" if exact else own,
            linewidth=0.6 if exact else 1.3,
            zorder=3,
            gid=gid,
        )

    indexed = shown.set_index("event_id")
    keyed = []
    for n, event_id in enumerate(labels, start=1):
        event = indexed.loc[event_id]
        ax.annotate(
            str(n),
            (event["point"], row[str(event["kind"])]),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
            fontweight="bold",
            bbox={
                "boxstyle": "circle,pad=0.15",
                "facecolor": "white",
                "edgecolor": "#555555",
                "linewidth": 0.6,
            },
            zorder=5,
            gid="event-label",
        )
        keyed.append(f"{n}: {_when(event)}, {event['description']}")

    first, last = pd.Timestamp(span[0]), pd.Timestamp(span[1])
    ax.set_xlim(first, last)
    ax.set_ylim(len(kinds) - 0.4, -1.0)
    ax.set_yticks(range(len(kinds)), [KIND_LABELS[k] for k in kinds], fontsize=8)
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6, zorder=0)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title(_TITLE.format(first=first.year, last=last.year))
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            markerfacecolor="#777777",
            markeredgecolor="black",
            label="day known",
        ),
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            markerfacecolor="white",
            markeredgecolor="#777777",
            markeredgewidth=1.3,
            label="month or year only, or approximate",
        ),
        Line2D([], [], color="#777777", linewidth=2.5, label="lasts several days"),
        Line2D(
            [],
            [],
            color="#777777",
            linewidth=1.2,
            label="the month(s) or year it falls in,\nor approximate days",
        ),
        Patch(
            facecolor="#E8E8E8",
            edgecolor="#BBBBBB",
            hatch="..",
            label="essay written (dashed end: estimate)",
        ),
        Line2D([], [], color="black", linestyle=":", label="stored copy's address: 23 Apr 2016"),
    ]
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False
    )
    note = f"{len(shown)} events shown."
    if before or after:
        outside = " and ".join(
            text
            for text in (
                f"{before} before {first:%Y}" if before else "",
                f"{after} after {last:%Y}" if after else "",
            )
            if text
        )
        note += f" {outside} are outside this span."
    note += " Source: datasets/events.csv (each row cites its sources)."
    ax.text(
        0,
        -0.1,
        "\n".join([*keyed, note]),
        transform=ax.transAxes,
        fontsize=7,
        va="top",
        color="#444444",
    )
    return ax


def course_timeline_alt_text(*, span: tuple[str, str] = _SPAN) -> str:
    """Return a text alternative for :func:`course_timeline`, built from events.csv.

    Examples
    --------
    >>> course_timeline_alt_text().startswith("Timeline of")
    True
    """
    _, shown, before, after = _in_span(span)
    first, last = pd.Timestamp(span[0]), pd.Timestamp(span[1])
    per_kind = shown["kind"].astype(str).value_counts()
    rows = "; ".join(
        f"{label}: {int(per_kind.get(kind, 0))}" for kind, label in KIND_LABELS.items()
    )
    per_year = shown["point"].dt.year.value_counts().sort_index()
    years = ", ".join(f"{year}: {count}" for year, count in per_year.items())
    low, high = ESSAY_WINDOW
    inside = shown[(shown["point"] >= low) & (shown["point"] <= high)].sort_values("point")
    listed = "; ".join(
        f"{_when(row)} ({KIND_LABELS[str(row['kind'])].lower()}) {row['description']}"
        for _, row in inside.iterrows()
    )
    outside = (
        f" {before} earlier and {after} later events in events.csv are not shown."
        if before or after
        else ""
    )
    inexact = int((~shown["exact"]).sum())
    return (
        f"Timeline of {len(shown)} dated events from {first.year} to {last.year}, one row per "
        f"kind ({rows}). Events per year: {years}. {inexact} of them are dated only to the "
        "month or year, or approximately, and are drawn as hollow markers. A shaded band "
        f"marks when the essay was written, from {low:%d %B %Y} to about late {high:%B %Y} "
        f"(the end is an estimate), and a dotted line marks {ESSAY_COPY_DATE:%d %B %Y}, the "
        f"date in the address of the essay's stored copy. Inside that band: "
        f"{listed or 'no events'}.{outside}"
    )
