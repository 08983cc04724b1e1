"""The item-analysis report of ``course report``.

* :mod:`.data` gathers scores, option picks, options, keys, skills and claims
  from a graded course folder;
* :mod:`.analysis` computes facility, discrimination, distractor pick rates,
  results by skill and claim, and per-module statistics (pure functions);
* :mod:`.plots` draws the figures (Okabe–Ito colours, alt text);
* :mod:`.html` writes the page, ``exports/report.html``.
"""

from .html import build_report, write_report

__all__ = ["build_report", "write_report"]
