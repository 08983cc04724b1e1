"""Write the item-analysis report: one self-contained HTML page.

Figures are embedded as base64 PNGs, each with its alt text; every number
in a figure is also in a table, so the page reads fully without images.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
from pathlib import Path

import pandas as pd

from ..paths import CourseFolder
from . import analysis, plots
from .data import ReportData, load_report_data

__all__ = ["build_report", "write_report"]

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem;
       color: #111; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.92rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border: 1px solid #999; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flag td { background: #FFF4D6; }
img { max-width: 100%; height: auto; }
.bar { display: inline-block; height: 0.7rem; background: #0072B2; vertical-align: middle; }
.note { color: #333; font-size: 0.9rem; }
"""


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _pct(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.0%}"


def _figure(figure: plots.Figure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_esc(figure.alt)}">'
        f"<figcaption>{_esc(figure.title)}</figcaption></figure>"
    )


def _table(caption: str, headers: list[str], rows: list[list[str]], flags=None) -> str:
    head = "".join(f'<th scope="col">{_esc(h)}</th>' for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = ' class="flag"' if flags and flags[i] else ""
        cells = "".join(
            f'<td class="num">{c[4:]}</td>' if c.startswith("num:") else f"<td>{c}</td>"
            for c in row
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return (
        f"<table><caption>{_esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _modules_section(data: ReportData) -> str:
    summary = analysis.module_summary(data.grades, data.responses)
    rows = []
    for r in summary.itertuples():
        stats = [r.mean, r.median, r.sd, r.min, r.max]
        rows.append(
            [_esc(r.module), f"num:{r.students}"]
            + [f"num:{_num(v, 1)}" for v in stats]
            + [f"num:{_num(r.alpha)}"]
        )
    ungraded = data.grades[~data.grades["graded"].astype(bool)]
    note = (
        f'<p class="note">{len(ungraded)} submission(s) could not be graded and are left out: '
        + _esc(", ".join(f"{r.student_id} ({r.module})" for r in ungraded.itertuples()))
        + "</p>"
        if len(ungraded)
        else ""
    )
    return (
        "<h2>Scores per module</h2>"
        + _table(
            "Percent scores of graded submissions; alpha is Cronbach's alpha of the module's items",
            ["Module", "Students", "Mean %", "Median %", "SD", "Min %", "Max %", "Alpha"],
            rows,
        )
        + note
        + _figure(plots.score_distribution_plot(data.grades))
    )


def _items_section(items: pd.DataFrame, meta: pd.DataFrame) -> str:
    merged = items.merge(meta, on=["module", "item_id"], how="left")
    merged["kind"] = merged["kind"].fillna("written")
    rows, flags = [], []
    for r in merged.itertuples():
        rows.append(
            [
                _esc(r.module), _esc(r.item_id), _esc(r.kind), f"num:{int(r.n)}",
                f"num:{_pct(r.share_correct)}", f"num:{_pct(r.mean_fraction)}",
                f"num:{_num(r.point_biserial)}", f"num:{_num(r.upper_lower)}",
                _esc("; ".join(r.flags)),
            ]
        )  # fmt: skip
        flags.append(bool(r.flags))
    return (
        "<h2>Items: difficulty and discrimination</h2>"
        + _figure(plots.difficulty_discrimination_plot(items))
        + _table(
            "One row per item; flagged rows are highlighted and say why",
            [
                "Module",
                "Item",
                "Kind",
                "Students",
                "Share correct",
                "Facility",
                "Point-biserial",
                "Upper–lower 27 %",
                "Flags",
            ],
            rows,
            flags,
        )
    )


def _options_section(options: pd.DataFrame, meta: pd.DataFrame) -> str:
    if options.empty:
        return ""
    parts = [
        "<h2>Distractor analysis</h2>",
        '<p class="note">Pick rate = students who picked the option / students who saved '
        "an answer. A distractor no one picked is flagged: it does not distract.</p>",
    ]
    prompts = meta.set_index(["module", "item_id"])["prompt"].to_dict()
    for (module, item_id), part in options.groupby(["module", "item_id"], sort=True):
        rows, flags = [], []
        for r in part.itertuples():
            width = 0 if math.isnan(r.rate) else round(100 * r.rate)
            bar = f'<span class="bar" style="width:{width / 20:.1f}rem"></span>'
            rows.append(
                [
                    _esc(r.option), _esc(r.label), "correct" if r.correct else "distractor",
                    f"num:{r.picks}",
                    f"num:{_pct(r.rate)} {bar}",
                    "never picked" if r.never_picked else "",
                ]
            )  # fmt: skip
            flags.append(bool(r.never_picked))
        answered = int(part["answered"].max()) if len(part) else 0
        prompt = prompts.get((module, item_id), "")
        parts.append(
            _table(
                f"{module} / {item_id}: {prompt} ({answered} answered)",
                ["Option", "Text", "Key", "Picks", "Pick rate", "Flag"],
                rows,
                flags,
            )
        )
    return "".join(parts)


def _skills_section(skills: pd.DataFrame) -> str:
    parts = ["<h2>Skills and claims</h2>"]
    for tag_type, heading in (("skill", "Source-criticism skill"), ("claim", "Fact-sheet claim")):
        part = skills[skills["tag_type"] == tag_type]
        if part.empty:
            continue
        rows = [
            [_esc(r.tag), f"num:{r.items}", f"num:{r.responses}", f"num:{_pct(r.mean_fraction)}",
             f"num:{_pct(r.share_correct)}"]
            for r in part.itertuples()
        ]  # fmt: skip
        parts.append(_figure(plots.skill_plot(skills, tag_type)))
        parts.append(
            _table(
                f"Results by {heading.lower()}, weakest first",
                [heading, "Items", "Responses", "Mean share of points", "Share correct"],
                rows,
            )
        )
    return "".join(parts) if len(parts) > 1 else ""


_METHOD = """
<h2>How to read this report</h2>
<ul class="note">
<li><strong>Share correct</strong>: students with full credit on the item.
<strong>Facility</strong>: the mean share of the item's points (Moodle's facility
index). Items outside {low:.0%}–{high:.0%} are flagged.</li>
<li><strong>Point-biserial</strong>: the correlation between the item's score and the
student's rest score (module total without this item). Below {disc} is flagged as weak;
below 0 usually means a wrong key or a misleading question.</li>
<li><strong>Upper–lower 27 %</strong>: the facility in the top 27 % of the class (by module
total, ties by student id) minus that in the bottom 27 %.</li>
<li>Only graded submissions count; written answers count once manually graded.</li>
</ul>
"""


def build_report(data: ReportData, *, title: str = "Item analysis") -> str:
    """Return the report page for ``data``."""
    scored = data.responses.dropna(subset=["score"])
    options = analysis.option_rates(
        data.picks, data.catalogue[data.catalogue["item_id"].isin(scored["item_id"])]
    )
    items = analysis.item_table(scored, options)
    skills = analysis.skill_summary(scored, data.tags)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        f"<h1>{_esc(title)}</h1>",
        f'<p class="note">Modules: {_esc(", ".join(data.modules))}. Generated {stamp} by '
        "<code>course report</code> from the graded course folder; do not edit.</p>",
        _modules_section(data),
        _items_section(items, data.items) if not items.empty else "<p>No graded items yet.</p>",
        _options_section(options, data.items),
        _skills_section(skills),
        _METHOD.format(
            low=analysis.FACILITY_BAND[0],
            high=analysis.FACILITY_BAND[1],
            disc=analysis.MIN_DISCRIMINATION,
        ),
    ]
    return (
        "<!DOCTYPE html>\n<!-- PROGRAMMATICALLY GENERATED by `course report`; do not edit. -->\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
        f"<style>{_CSS}</style></head><body><main>{''.join(body)}</main></body></html>\n"
    )


def write_report(
    course_dir: str | Path, modules: list[str], output: str | Path | None = None
) -> Path:
    """Write the report (default ``exports/report.html``) and return its path."""
    course_dir = Path(course_dir)
    path = Path(output) if output else CourseFolder(course_dir).export("report.html")
    path.parent.mkdir(parents=True, exist_ok=True)
    page = build_report(load_report_data(course_dir, modules))
    path.write_text(page, encoding="utf-8")
    return path
