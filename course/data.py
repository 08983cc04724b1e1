"""Load the course's datasets: the essay, its paragraphs and the claims table.

Every lesson reads its data through this module, never from a path of its
own, so that the same code works in a checkout of the repository and in an
installed copy of the course. The files live under :func:`datasets_dir`:

- ``essay/the-assad-regime-cannot-and-will-not-defeat-isis.txt``: the essay,
  verbatim, as captured (web-page residue included);
- ``essay/provenance.md``: what is known about where the essay comes from;
- ``essay/paragraphs.csv``: the essay's paragraphs ¶1–¶10, one a row;
- ``claims.csv``: the 41 claims C1–C41 extracted from it (no verdicts).

Paragraph numbers count the essay's body paragraphs only: the title and the
two sub-headings are not numbered, and the web-page residue after ¶10 is not
part of the essay.

Examples
--------
>>> from course import data
>>> data.paragraph(8)[:17]
'Battle of Palmyra'
>>> data.claims().loc[0, "claim_id"]
'C1'
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from IPython.display import HTML

__all__ = [
    "CLAIM_TYPES",
    "ESSAY_FILE",
    "OPENING",
    "RESOURCES",
    "EssayParts",
    "claims",
    "claims_by_type",
    "datasets_dir",
    "essay_paragraphs",
    "essay_text",
    "estimates",
    "events",
    "glossary",
    "load",
    "paragraph",
    "places",
    "provenance",
    "show_essay",
    "sources",
    "sources_for",
    "split_essay",
]

#: The essay file, relative to :func:`datasets_dir`.
ESSAY_FILE = "essay/the-assad-regime-cannot-and-will-not-defeat-isis.txt"
_PARAGRAPHS_FILE = "essay/paragraphs.csv"
_PROVENANCE_FILE = "essay/provenance.md"
_CLAIMS_FILE = "claims.csv"

#: Section label of the paragraphs before the first sub-heading.
OPENING = "(opening)"

#: The claim types used in ``claims.csv`` (a claim can have several).
CLAIM_TYPES = (
    "factual",
    "causal",
    "predictive",
    "normative",
    "loaded",
    "interpretive",
    "intention",
    "opinion attribution",
    "evaluative",
)

# Lines that open the WordPress comment form captured after the essay.
_RESIDUE_MARKERS = ("One thought on", "Leave a Reply")
# Body blocks shorter than this are sub-headings, not paragraphs.
_HEADING_MAX_CHARS = 100


def datasets_dir() -> Path:
    """Return the folder holding the course's datasets.

    An installed course carries its data inside the package
    (``course/datasets``); a checkout of the repository keeps it in
    ``datasets/`` beside the ``course/`` package.

    Raises
    ------
    FileNotFoundError
        If neither folder exists.

    Examples
    --------
    >>> (datasets_dir() / ESSAY_FILE).is_file()
    True
    """
    package = Path(__file__).resolve().parent
    for folder in (package / "datasets", package.parent / "datasets"):
        if folder.is_dir():
            return folder
    raise FileNotFoundError(
        "The course datasets were not found: expected course/datasets (installed) or "
        "datasets/ beside the course package (repository checkout). Reinstall the course "
        "or run from a checkout."
    )


def essay_text() -> str:
    """Return the essay file exactly as shipped: title, body and page residue.

    Examples
    --------
    >>> essay_text().splitlines()[0]
    'The Assad regime cannot and will not defeat\\xa0ISIS'
    """
    return (datasets_dir() / ESSAY_FILE).read_text(encoding="utf-8")


class EssayParts(NamedTuple):
    """The parts of the captured page, as found by :func:`split_essay`."""

    title: str
    #: One dict per body paragraph: paragraph, section, first_words, text.
    paragraphs: list[dict[str, object]]
    #: The web-page residue after the last paragraph (not part of the essay).
    residue: str


def _first_words(text: str, n: int = 5) -> str:
    return " ".join(text.split()[:n]).rstrip(",;:.")


def split_essay(text: str) -> EssayParts:
    """Split the captured page into title, numbered paragraphs and residue.

    Blocks are separated by blank lines. The first block is the title; short
    blocks are sub-headings, which start a new section; the residue starts at
    the WordPress comment form ("One thought on …" or "Leave a Reply").
    Paragraph text is kept verbatim apart from whitespace at either end
    (including the no-break spaces some paragraphs end with).

    Parameters
    ----------
    text : str
        The page as captured, such as :func:`essay_text` returns.

    Returns
    -------
    EssayParts

    Examples
    --------
    >>> parts = split_essay("Title\\n\\nFirst paragraph, long enough." + " x" * 60
    ...                     + "\\n\\nA heading\\n\\nSecond one." + " y" * 60
    ...                     + "\\n\\n\\nLeave a Reply")
    >>> [(p["paragraph"], p["section"]) for p in parts.paragraphs]
    [(1, '(opening)'), (2, 'A heading')]
    >>> parts.residue
    'Leave a Reply'
    """
    blocks = [b.strip() for b in text.split("\n\n")]
    blocks = [b for b in blocks if b]
    if not blocks:
        raise ValueError("The essay text is empty.")
    title, body = blocks[0], blocks[1:]
    end = next(
        (i for i, b in enumerate(body) if b.startswith(_RESIDUE_MARKERS)),
        len(body),
    )
    section = OPENING
    paragraphs: list[dict[str, object]] = []
    for block in body[:end]:
        if len(block) < _HEADING_MAX_CHARS:
            section = block
            continue
        paragraphs.append(
            {
                "paragraph": len(paragraphs) + 1,
                "section": section,
                "first_words": _first_words(block),
                "text": block,
            }
        )
    return EssayParts(title=title, paragraphs=paragraphs, residue="\n\n".join(body[end:]))


def essay_paragraphs() -> pd.DataFrame:
    """Return the essay's body paragraphs ¶1–¶10, one a row.

    Returns
    -------
    pandas.DataFrame
        Columns ``paragraph`` (Int64, 1–10), ``section`` (category, in essay
        order: the sub-heading the paragraph sits under, or ``"(opening)"``),
        ``first_words`` and ``text`` (strings, verbatim).

    Examples
    --------
    >>> paras = essay_paragraphs()
    >>> paras.shape
    (10, 4)
    >>> paras.loc[paras["paragraph"] == 3, "section"].iloc[0]
    'Avoiding the Islamic State'
    >>> int(paras["text"].str.contains("Palmyra").sum())
    2
    """
    frame = pd.read_csv(
        datasets_dir() / _PARAGRAPHS_FILE,
        dtype={"paragraph": "Int64", "section": "string", "first_words": "string"},
        keep_default_na=False,
        encoding="utf-8",
    )
    frame["text"] = frame["text"].astype("string")
    order = list(dict.fromkeys(frame["section"]))
    frame["section"] = pd.Categorical(frame["section"], categories=order, ordered=True)
    return frame


def paragraph(n: int) -> str:
    """Return the verbatim text of paragraph ¶n of the essay.

    Parameters
    ----------
    n : int
        The paragraph number, 1 to 10.

    Raises
    ------
    ValueError
        If there is no paragraph ``n``.

    Examples
    --------
    >>> paragraph(1)[:19]
    'In the recent years'
    """
    paras = essay_paragraphs()
    match = paras.loc[paras["paragraph"] == n, "text"]
    if isinstance(n, bool) or match.empty:
        raise ValueError(
            f"There is no paragraph {n!r}: the essay has paragraphs 1 to {len(paras)} "
            "(the title and the sub-headings are not numbered)."
        )
    return str(match.iloc[0])


def claims() -> pd.DataFrame:
    """Return the 41 claims C1–C41 extracted from the essay, without verdicts.

    Returns
    -------
    pandas.DataFrame
        Columns ``claim_id`` (string, ``"C1"``…), ``paragraph`` (Int64; 0 is
        the title), ``quote`` (the essay's wording, shortened), ``claim_types``
        (string: one or more of :data:`CLAIM_TYPES`, separated by ``;``) and
        ``topic`` (category).

    See Also
    --------
    claims_by_type : the same claims, one row per claim and type.

    Examples
    --------
    >>> table = claims()
    >>> len(table)
    41
    >>> int(table.loc[table["claim_id"] == "C41", "paragraph"].iloc[0])
    0
    >>> int(table["claim_types"].str.contains("predictive").sum())
    5
    """
    frame = pd.read_csv(
        datasets_dir() / _CLAIMS_FILE,
        dtype={
            "claim_id": "string",
            "paragraph": "Int64",
            "quote": "string",
            "claim_types": "string",
            "topic": "category",
        },
        keep_default_na=False,
        encoding="utf-8",
    )
    return frame


def claims_by_type() -> pd.DataFrame:
    """Return one row per claim and claim type (a claim with two types gives two rows).

    Returns
    -------
    pandas.DataFrame
        Columns ``claim_id`` (string) and ``claim_type`` (category of
        :data:`CLAIM_TYPES`).

    Examples
    --------
    >>> long = claims_by_type()
    >>> long.loc[long["claim_id"] == "C20", "claim_type"].tolist()
    ['causal', 'predictive']
    """
    table = claims()
    long = (
        table.assign(claim_type=table["claim_types"].str.split(";"))
        .explode("claim_type")[["claim_id", "claim_type"]]
        .reset_index(drop=True)
    )
    long["claim_type"] = pd.Categorical(long["claim_type"].str.strip(), categories=CLAIM_TYPES)
    return long


def provenance() -> str:
    """Return the essay's provenance note (Markdown).

    Examples
    --------
    >>> provenance().startswith("# Provenance")
    True
    """
    return (datasets_dir() / _PROVENANCE_FILE).read_text(encoding="utf-8")


def show_essay(residue: bool = True) -> HTML:
    """Return the whole essay as HTML, with its paragraph numbers ¶1–¶10.

    The title and sub-headings are shown as headings and are not numbered.
    The page residue after ¶10 (the blog's comment form) is shown apart,
    marked as not part of the essay.

    Parameters
    ----------
    residue : bool, default True
        Whether to show the page residue after the essay.

    Returns
    -------
    IPython.display.HTML
        Displays in a notebook when it is the last expression of a cell.

    Examples
    --------
    >>> shown = show_essay()
    >>> "¶10" in shown.data and "not part of the essay" in shown.data
    True
    """
    from IPython.display import HTML

    parts = split_essay(essay_text())
    esc = html.escape
    out = [
        '<div class="course-essay" style="max-width:44em;line-height:1.5">',
        f"<h3>{esc(parts.title)}</h3>",
    ]
    section = OPENING
    for row in parts.paragraphs:
        if row["section"] != section:
            section = str(row["section"])
            out.append(f"<h4>{esc(section)}</h4>")
        n = row["paragraph"]
        out.append(
            f'<p id="essay-p{n}"><strong aria-label="paragraph {n}">¶{n}</strong> '
            f"{esc(str(row['text']))}</p>"
        )
    if residue and parts.residue:
        lines = "<br>".join(esc(line) for line in parts.residue.splitlines() if line.strip())
        out.append(
            '<div style="border-top:1px solid #999;margin-top:1em;padding-top:0.5em;'
            'color:#444;font-size:90%">'
            "<p><em>Page residue after the essay, as captured (not part of the essay):</em></p>"
            f"<p>{lines}</p></div>"
        )
    out.append(
        '<p style="font-size:90%"><em>Reproduced verbatim, errors included, for criticism and '
        "teaching. Author, blog, address and date of publication are unknown. Read the "
        "provenance note (<code>essay/provenance.md</code> in the course datasets) with "
        "<code>print(data.provenance())</code>.</em></p>"
    )
    out.append("</div>")
    return HTML("\n".join(out))


# --- the data package: tables loaded by name, typed from datapackage.json ----------

#: Tabular resources of ``datapackage.json`` that :func:`load` returns.
RESOURCES = ("sources", "claims", "paragraphs", "places", "events", "estimates", "glossary")


def _descriptor(root: Path | None = None) -> dict[str, Any]:
    import json

    folder = root or datasets_dir()
    descriptor: dict[str, Any] = json.loads(
        (folder / "datapackage.json").read_text(encoding="utf-8")
    )
    return descriptor


def _resource(name: str, root: Path | None = None) -> dict[str, Any]:
    resources: list[dict[str, Any]] = _descriptor(root)["resources"]
    for resource in resources:
        if resource["name"] == name:
            return resource
    raise KeyError(f"No resource {name!r} in datapackage.json; known: {', '.join(RESOURCES)}")


def load(name: str, root: Path | None = None) -> pd.DataFrame:
    """Load one table of the data package with the types its schema declares.

    Strings become pandas ``string`` columns (``category`` where the schema
    lists allowed values), integers ``Int64``, numbers ``float64``, booleans
    ``boolean``. Dates are kept as written (``"2015-09-30"``, ``"2015-04"``),
    because a month-precision date has no day; :func:`events` adds parsed
    columns for day-precision dates.

    Parameters
    ----------
    name : str
        One of :data:`RESOURCES`.
    root : Path, optional
        The folder of ``datapackage.json`` (default: :func:`datasets_dir`).

    Examples
    --------
    >>> from course import data
    >>> data.load("places").loc[0, "place_id"]
    'palmyra'
    >>> str(data.load("sources")["seen"].dtype)
    'boolean'
    """
    if name not in RESOURCES:
        raise KeyError(f"No table {name!r}; choose one of {', '.join(RESOURCES)}")
    folder = root or datasets_dir()
    resource = _resource(name, folder)
    fields = resource["schema"]["fields"]
    df = pd.read_csv(
        folder / resource["path"],
        dtype=str,
        keep_default_na=False,
        na_values=resource["schema"].get("missingValues", [""]),
        encoding="utf-8",
    )
    for field in fields:
        col, kind = field["name"], field["type"]
        if col not in df:
            continue
        enum = field.get("constraints", {}).get("enum")
        if kind == "integer":
            df[col] = pd.to_numeric(df[col]).astype("Int64")
        elif kind == "number":
            df[col] = pd.to_numeric(df[col]).astype("float64")
        elif kind == "boolean":
            df[col] = df[col].str.lower().map({"true": True, "false": False}).astype("boolean")
        elif enum:
            # A value outside the vocabulary becomes missing (the data package check reports it).
            known = df[col].where(df[col].isin(list(enum)))
            df[col] = pd.Categorical(known, categories=list(enum))
        else:
            df[col] = df[col].astype("string")
    return df


def sources() -> pd.DataFrame:
    """Return every source the course cites (S1…, plus ``ESSAY``), one row each.

    Only rows with ``seen`` true may support a fact; see ``access`` for how
    each was seen (original, mirror or republication, or secondhand).
    """
    return load("sources")


def places() -> pd.DataFrame:
    """Return the places named in the essay and the lessons, with coordinates and sources."""
    return load("places")


def _day_dates(values: pd.Series, precision: pd.Series) -> pd.Series:
    day = precision.astype("string") == "day"
    parsed = pd.to_datetime(values.where(day), format="%Y-%m-%d", errors="coerce")
    return parsed


def events() -> pd.DataFrame:
    """Return the dated events, with ``start`` and ``end`` parsed where the day is known.

    ``start_date`` and ``end_date`` keep the precision the sources give
    (``"2015-04"`` is April 2015, day unknown); ``start`` and ``end`` are
    timestamps for day-precision dates and NaT otherwise, so no day is invented.
    ``end`` equals ``start`` for one-day events.

    Examples
    --------
    >>> from course import data
    >>> ev = data.events().set_index("event_id")
    >>> str(ev.loc["russian-intervention-begins", "start"].date())
    '2015-09-30'
    """
    df = load("events")
    df["start"] = _day_dates(df["start_date"], df["date_precision"])
    end = df["end_date"].fillna(df["start_date"])
    df["end"] = _day_dates(end, df["date_precision"])
    return df


def estimates() -> pd.DataFrame:
    """Return the estimates: one row per source per quantity, so disagreement is data.

    Read ``counted`` before comparing two rows: sorties are not strikes, and a
    share of declared targets is not a share of strikes. ``party_claim`` names
    a party to the conflict when the figure is its own claim; ``derived`` rows
    are computed by the course from the rows named in ``derived_from``.
    """
    return load("estimates")


def glossary() -> pd.DataFrame:
    """Return the glossary: the actors and terms the lessons use, each with its sources.

    Returns
    -------
    pandas.DataFrame
        One row per entry. Columns ``term`` (string), ``kind`` (category:
        ``actor`` or ``term``), ``definition`` (string, neutral, in the
        course's own words), ``source_ids`` (string, ``;``-separated source
        ids, see :func:`sources`) and ``notes`` (string: other spellings,
        the essay's usage, cross-references).

    Examples
    --------
    >>> from course import data
    >>> table = data.glossary()
    >>> table.loc[table["term"] == "sortie", "kind"].item()
    'term'
    >>> "S122" in table.loc[table["term"] == "sortie", "source_ids"].item()
    True
    """
    return load("glossary")


def _ids_in(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return []
    return [part.strip() for part in str(value).split(";") if part.strip()]


def sources_for(row: pd.Series | str) -> pd.DataFrame:
    """Return the sources behind any row of any table: where does this number come from?

    Parameters
    ----------
    row : pandas.Series or str
        A row of :func:`events`, :func:`estimates`, :func:`places` or
        :func:`claims`, or the id of one (``"E001"``, ``"palmyra"``,
        ``"russian-intervention-begins"``, ``"C32"``). Derived rows lead to
        the sources of the rows they were computed from.

    Returns
    -------
    pandas.DataFrame
        The matching rows of :func:`sources`.

    Examples
    --------
    >>> from course import data
    >>> list(data.sources_for("palmyra")["source_id"])
    ['S88']
    >>> list(data.sources_for("C32")["source_id"])
    ['ESSAY']
    """
    if isinstance(row, str):
        row = _find_row(row)
    ids: list[str] = []
    pending = [row]
    seen_rows: set[str] = set()
    while pending:
        current = pending.pop()
        for col in ("source_id", "source_ids"):
            if col in current.index:
                ids += _ids_in(current[col])
        if "claim_id" in current.index and not any(c in current.index for c in ("source_id",)):
            ids.append("ESSAY")
        for ref in _ids_in(current.get("derived_from")):
            kind, _, key = ref.partition(":")
            if ref in seen_rows:
                continue
            seen_rows.add(ref)
            pending.append(
                _find_row(key, table={"estimate": "estimates", "place": "places"}.get(kind))
            )
    table = sources()
    wanted = list(dict.fromkeys(ids))
    out = table[table["source_id"].isin(wanted)].copy()
    out["_order"] = out["source_id"].map({sid: i for i, sid in enumerate(wanted)})
    return out.sort_values("_order").drop(columns="_order").reset_index(drop=True)


_ID_COLUMNS = {
    "estimates": "estimate_id",
    "events": "event_id",
    "places": "place_id",
    "claims": "claim_id",
}


def _find_row(key: str, table: str | None = None) -> pd.Series:
    tables = [table] if table else list(_ID_COLUMNS)
    for name in tables:
        df = load(name)
        match = df[df[_ID_COLUMNS[name]] == key]
        if not match.empty:
            return match.iloc[0]
    raise KeyError(f"No row with id {key!r} in {', '.join(tables)}")


#: The outlets with a lateral-reading card in ``datasets/lateral/`` (resource ``lateral-cards``).
LATERAL_OUTLETS = ("SOHR", "ISW", "Sputnik")


def lateral_cards(outlet: str | None = None) -> pd.DataFrame:
    """Return the lateral-reading source cards: what a search about each outlet finds.

    Module 02 asks who runs SOHR, what ISW is and who funds it, and who owns
    Sputnik. With internet, students find out in a new browser tab; without
    it, these cards give what such a search finds. Each row is one statement
    about one outlet, in the course's own words, with the page it rests on
    (``url``, and ``source_ids`` where a course source's affiliation note cites
    the same page), how that page was seen (``access``) and when it was read
    (``read_date``). ``topic`` says what the statement answers: ``what_it_is``,
    ``who_runs_it``, ``where_based`` or ``funding``.

    Parameters
    ----------
    outlet : str, optional
        One of :data:`LATERAL_OUTLETS` (any case); all cards when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per statement, every column a pandas ``string`` (empty cells are ``<NA>``).

    Raises
    ------
    ValueError
        If ``outlet`` has no card.

    Examples
    --------
    >>> from course import data
    >>> sorted(set(data.lateral_cards()["outlet"]))
    ['ISW', 'SOHR', 'Sputnik']
    >>> data.lateral_cards("sohr")["topic"].iloc[0]
    'what_it_is'
    """
    folder = datasets_dir()
    paths = _resource("lateral-cards", folder)["path"]
    frames = [
        pd.read_csv(
            folder / path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8"
        )
        for path in ([paths] if isinstance(paths, str) else paths)
    ]
    cards = pd.concat(frames, ignore_index=True).astype("string")
    if outlet is None:
        return cards
    wanted = {name.lower(): name for name in LATERAL_OUTLETS}.get(str(outlet).strip().lower())
    if wanted is None:
        raise ValueError(
            f"There is no source card for {outlet!r}. Choose one of "
            f"{', '.join(LATERAL_OUTLETS)}, or call data.lateral_cards() for all of them."
        )
    return cards[cards["outlet"] == wanted].reset_index(drop=True)
