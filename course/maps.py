"""A base map of Syria for the lessons: borders, the Euphrates and the course's places.

The map is drawn with matplotlib alone from small GeoJSON files shipped in the
course datasets (``geo/`` under :func:`course.data.datasets_dir`), so it needs
no network and no GIS library. The files are Natural Earth data (public
domain), clipped to a box around Syria; ``geo/provenance.md`` says which files,
which version and what was done to them.

Borders are drawn as Natural Earth draws them: by de facto control, in its own
words. Areas that Natural Earth lists as disputed (the Golan Heights among
them) are hatched and named in the legend; the course takes no position on any
border.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from course import maps
>>> ax = maps.base_map()
>>> ax.get_title()
'Syria and its neighbours: places in the course'
>>> "Euphrates" in maps.base_map_alt_text()
True
"""

from __future__ import annotations

import json
import math
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING

import pandas as pd

from . import data

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    import numpy as np
    from matplotlib.axes import Axes

__all__ = [
    "BBOX",
    "COLOURS",
    "GEO_FILES",
    "base_map",
    "base_map_alt_text",
    "geo_layer",
    "places_near_river",
]

#: The map's frame and the clipping box of the shipped files:
#: (west, south, east, north) in degrees.
BBOX = (34.0, 31.5, 43.5, 38.0)

#: The GeoJSON layers, relative to :func:`course.data.datasets_dir`.
GEO_FILES = {
    "countries": "geo/countries.geojson",
    "rivers": "geo/rivers.geojson",
    "disputed_areas": "geo/disputed_areas.geojson",
}

#: Colours from the Okabe–Ito palette (distinguishable with the common
#: colour-vision deficiencies) and neutral greys. Lines also differ in style,
#: and places are labelled, so no information rests on colour alone.
COLOURS = {
    "sea": "#DCEBF5",
    "syria": "#FFF3D6",
    "neighbour": "#EDEDED",
    "border": "#555555",
    "euphrates": "#0072B2",
    "tigris": "#56B4E9",
    "place": "#D55E00",
    "disputed": "#666666",
    "text": "#222222",
}

_KM_PER_DEGREE = 111.32
_SCALE_KM = 100
_COUNTRY_LABEL_MIN_AREA = 0.8  # square degrees inside the frame
_NEAR_RIVER_KM = 10.0
_TITLE = "Syria and its neighbours: places in the course"
_CREDIT = (
    "Borders and rivers: Natural Earth v4.0.0 (public domain), 1:50m borders, 1:10m rivers. "
    "Borders as Natural Earth draws them (de facto control);\nhatched: areas Natural Earth "
    "lists as disputed. The course takes no position on borders. Scale true at {lat:.2f}° N."
)


def _mid_lat() -> float:
    return (BBOX[1] + BBOX[3]) / 2


def geo_layer(name: str) -> dict:
    """Return one shipped GeoJSON layer as a dict (a ``FeatureCollection``).

    Parameters
    ----------
    name : str
        One of the keys of :data:`GEO_FILES`: ``"countries"`` (Natural Earth
        admin-0 countries, 1:50m), ``"rivers"`` (the Euphrates and the Tigris,
        1:10m) or ``"disputed_areas"`` (Natural Earth's disputed areas, 1:10m).

    Raises
    ------
    KeyError
        If ``name`` is not a known layer.

    Examples
    --------
    >>> layer = geo_layer("rivers")
    >>> sorted({f["properties"]["river"] for f in layer["features"]})
    ['Euphrates', 'Tigris']
    """
    if name not in GEO_FILES:
        raise KeyError(f"No map layer {name!r}. Choose one of: {', '.join(GEO_FILES)}.")
    return _read_layer(GEO_FILES[name])


@cache
def _read_layer(path: str) -> dict:
    return json.loads((data.datasets_dir() / path).read_text(encoding="utf-8"))


def _polygons(geometry: dict) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    return []


def _lines(geometry: dict) -> list[list[list[float]]]:
    if geometry["type"] == "LineString":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiLineString":
        return geometry["coordinates"]
    return []


def _ring_area_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    """Return (area, x, y) of a closed ring by the shoelace formula (area in deg²)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in pairwise(ring):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if area == 0:
        return 0.0, ring[0][0], ring[0][1]
    return abs(area) / 2, cx / (3 * area), cy / (3 * area)


def _km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _km_to_segment(p: tuple[float, float], a: list[float], b: list[float]) -> float:
    """Approximate distance in km from point p to segment ab (all lon, lat)."""
    k = math.cos(math.radians(p[1]))
    ax_, ay = (a[0] - p[0]) * k, a[1] - p[1]
    bx, by = (b[0] - p[0]) * k, b[1] - p[1]
    dx, dy = bx - ax_, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax_ * dx + ay * dy) / length2))
    return math.hypot(ax_ + t * dx, ay + t * dy) * _KM_PER_DEGREE


def places_near_river(
    river: str = "Euphrates", km: float = _NEAR_RIVER_KM, places: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return the places within ``km`` of a river line, nearest first.

    Distances are measured to the shipped river line (Natural Earth 1:10m,
    coordinates rounded to 0.001°), so they are good to a few kilometres.

    Parameters
    ----------
    river : str, default "Euphrates"
        ``"Euphrates"`` or ``"Tigris"``.
    km : float, default 10
        The largest distance to keep.
    places : pandas.DataFrame, optional
        Rows with ``name``, ``lat`` and ``lon`` (default: :func:`course.data.places`).

    Returns
    -------
    pandas.DataFrame
        The matching rows, with a column ``river_km``.

    Examples
    --------
    >>> near = places_near_river()
    >>> "Deir ez-Zor" in set(near["name"])
    True
    """
    frame = data.places() if places is None else places.copy()
    segments = [
        (a, b)
        for feature in geo_layer("rivers")["features"]
        if feature["properties"]["river"] == river
        for line in _lines(feature["geometry"])
        for a, b in pairwise(line)
    ]
    if not segments:
        raise ValueError(f"No river {river!r} in the map data; use 'Euphrates' or 'Tigris'.")
    frame["river_km"] = [
        min(_km_to_segment((float(lon), float(lat)), a, b) for a, b in segments)
        for lat, lon in zip(frame["lat"], frame["lon"], strict=True)
    ]
    near = frame[frame["river_km"] <= km]
    return near.sort_values("river_km").reset_index(drop=True)


def _check_places(places: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("name", "lat", "lon") if c not in places]
    if missing:
        raise ValueError(
            f"The places table has no column {', '.join(missing)}: it needs name, lat and lon "
            "(as in course.data.places())."
        )
    west, south, east, north = BBOX
    lat = pd.to_numeric(places["lat"], errors="coerce")
    lon = pd.to_numeric(places["lon"], errors="coerce")
    outside = ~(lat.between(south, north) & lon.between(west, east))
    if outside.any():
        names = ", ".join(str(n) for n in places.loc[outside, "name"])
        raise ValueError(
            f"These places are outside the map (lon {west}–{east}° E, lat {south}–{north}° N) "
            f"or have no coordinates: {names}. The base map covers Syria and its borders only; "
            "leave them out or plot them on a map of your own."
        )
    return places.assign(lat=lat.astype(float), lon=lon.astype(float))


def _draw_polygons(ax: Axes, feature: dict, **style: object) -> list:
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    patches = []
    for polygon in _polygons(feature["geometry"]):
        vertices: list[list[float]] = []
        codes: list[np.uint8] = []
        for ring in polygon:
            vertices += ring
            codes += [Path.MOVETO] + [Path.LINETO] * (len(ring) - 2) + [Path.CLOSEPOLY]
        patch = PathPatch(Path(vertices, codes), **style)
        ax.add_patch(patch)
        patches.append(patch)
    return patches


def _scale_bar(ax: Axes) -> None:
    from matplotlib.patches import Rectangle

    west, south, _, _ = BBOX
    degrees = _SCALE_KM / (_KM_PER_DEGREE * math.cos(math.radians(_mid_lat())))
    x0, y0, height = west + 0.35, south + 0.3, 0.07
    half = degrees / 2
    for i, colour in enumerate(("black", "white")):
        ax.add_patch(
            Rectangle(
                (x0 + i * half, y0),
                half,
                height,
                facecolor=colour,
                edgecolor="black",
                linewidth=0.8,
                zorder=6,
                gid="scale-bar",
            )
        )
    for value, x in ((0, x0), (_SCALE_KM // 2, x0 + half), (_SCALE_KM, x0 + degrees)):
        ax.text(x, y0 + height + 0.05, str(value), ha="center", va="bottom", fontsize=7, zorder=6)
    ax.text(x0 + degrees + 0.12, y0 + height / 2, "km", ha="left", va="center", fontsize=7)


def _north_arrow(ax: Axes) -> None:
    _, _, east, north = BBOX
    x = east - 0.35
    ax.annotate(
        "N",
        xy=(x, north - 0.25),
        xytext=(x, north - 0.95),
        ha="center",
        va="top",
        fontsize=10,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.2},
        zorder=6,
        gid="north-arrow",
    )


def _label_offsets(places: pd.DataFrame) -> list[tuple[int, int]]:
    """Put a label below its point when an earlier labelled place is close by.

    Labels are written to the right of their point, so a place is crowded when
    an earlier one lies within a label's width (about 1.3°) on the same line.
    """
    offsets: list[tuple[int, int]] = []
    placed: list[tuple[float, float]] = []
    for lon, lat in zip(places["lon"], places["lat"], strict=True):
        crowded = any(abs(lon - x) < 1.3 and abs(lat - y) < 0.25 for x, y in placed)
        offsets.append((5, -9) if crowded else (5, 3))
        placed.append((lon, lat))
    return offsets


def base_map(
    ax: Axes | None = None, *, places: pd.DataFrame | None = None, label: bool = True
) -> Axes:
    """Draw the base map of Syria: borders, the Euphrates and Tigris, and the places.

    The frame is longitude/latitude with a fixed aspect (one degree of latitude
    is drawn ``1 / cos(34.75°)`` times as long as one of longitude), so that a
    kilometre has the same length east–west and north–south in the middle of
    the map; the scale bar is true there. North is up.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure, 8 × 6.4 inches).
    places : pandas.DataFrame, optional
        The places to mark, with columns ``name``, ``lat`` and ``lon``
        (default: every row of :func:`course.data.places`).
    label : bool, default True
        Whether to write each place's name next to its point.

    Returns
    -------
    matplotlib.axes.Axes
        The axes. The river lines carry the gid ``"river-euphrates"`` or
        ``"river-tigris"`` and the places' points the gid ``"places"``.

    Raises
    ------
    ValueError
        If a place lacks coordinates or lies outside the map.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = base_map(label=False)
    >>> [c.get_gid() for c in ax.collections]
    ['places']
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    shown = _check_places(data.places() if places is None else places)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6.4))
    west, south, east, north = BBOX

    ax.set_facecolor(COLOURS["sea"])
    for feature in geo_layer("countries")["features"]:
        is_syria = feature["properties"]["adm0_a3"] == "SYR"
        patches = _draw_polygons(
            ax,
            feature,
            facecolor=COLOURS["syria" if is_syria else "neighbour"],
            edgecolor=COLOURS["border"],
            linewidth=1.1 if is_syria else 0.6,
            zorder=1,
        )
        for patch in patches:
            patch.set_gid(f"country-{feature['properties']['adm0_a3'].lower()}")
        _label_country(ax, feature, is_syria)
    for feature in geo_layer("disputed_areas")["features"]:
        _draw_polygons(
            ax,
            feature,
            facecolor="none",
            edgecolor=COLOURS["disputed"],
            hatch="////",
            linewidth=0.4,
            zorder=2,
            gid="disputed",
        )
    for feature in geo_layer("rivers")["features"]:
        river = feature["properties"]["river"]
        for line in _lines(feature["geometry"]):
            xs, ys = zip(*line, strict=True)
            ax.plot(
                xs,
                ys,
                color=COLOURS[river.lower()],
                linewidth=2.0 if river == "Euphrates" else 1.4,
                linestyle="-" if river == "Euphrates" else (0, (4, 1.5)),
                solid_capstyle="round",
                zorder=3,
                gid=f"river-{river.lower()}",
            )
    ax.text(
        38.4,
        36.7,
        "Euphrates",
        color=COLOURS["euphrates"],
        fontsize=8,
        style="italic",
        ha="left",
        va="center",
        zorder=4,
    )

    ax.scatter(
        shown["lon"],
        shown["lat"],
        s=36,
        marker="o",
        facecolor=COLOURS["place"],
        edgecolor="black",
        linewidth=0.7,
        zorder=5,
        gid="places",
    )
    if label:
        for (_, row), offset in zip(shown.iterrows(), _label_offsets(shown), strict=True):
            ax.annotate(
                str(row["name"]),
                (row["lon"], row["lat"]),
                xytext=offset,
                textcoords="offset points",
                fontsize=7.5,
                color=COLOURS["text"],
                zorder=6,
                bbox={
                    "boxstyle": "round,pad=0.1",
                    "facecolor": "white",
                    "alpha": 0.7,
                    "linewidth": 0,
                },
            )

    _scale_bar(ax)
    _north_arrow(ax)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1 / math.cos(math.radians(_mid_lat())))
    ax.set_xlabel("Longitude (° E)")
    ax.set_ylabel("Latitude (° N)")
    ax.set_title(_TITLE)
    ax.tick_params(labelsize=8)
    handles = [
        Patch(facecolor=COLOURS["syria"], edgecolor=COLOURS["border"], label="Syria"),
        Patch(facecolor=COLOURS["neighbour"], edgecolor=COLOURS["border"], label="Neighbours"),
        Patch(
            facecolor="white",
            edgecolor=COLOURS["disputed"],
            hatch="////",
            label="Disputed (Natural Earth)",
        ),
        Line2D([], [], color=COLOURS["euphrates"], linewidth=2, label="Euphrates"),
        Line2D(
            [], [], color=COLOURS["tigris"], linewidth=1.4, linestyle=(0, (4, 1.5)), label="Tigris"
        ),
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            markerfacecolor=COLOURS["place"],
            markeredgecolor="black",
            label="Place in the course",
        ),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=7.5, framealpha=0.9)
    ax.text(
        0,
        -0.09,
        _CREDIT.format(lat=_mid_lat()),
        transform=ax.transAxes,
        fontsize=6.5,
        va="top",
        color="#444444",
    )
    return ax


def _label_country(ax: Axes, feature: dict, is_syria: bool) -> None:
    parts = [_ring_area_centroid(polygon[0]) for polygon in _polygons(feature["geometry"])]
    area, x, y = max(parts)
    if area < _COUNTRY_LABEL_MIN_AREA:
        return
    name = feature["properties"]["name"]
    if is_syria:
        x, y = 38.9, 35.45  # between the places, clear of their labels
    ax.text(
        x,
        y,
        name.upper(),
        ha="center",
        va="center",
        fontsize=11 if is_syria else 8,
        color="#8A7A55" if is_syria else "#777777",
        fontweight="bold" if is_syria else "normal",
        zorder=2,
        gid="country-label",
    )


def base_map_alt_text(*, places: pd.DataFrame | None = None) -> str:
    """Return a text alternative for :func:`base_map`, built from the shipped data.

    Parameters
    ----------
    places : pandas.DataFrame, optional
        The same places as given to :func:`base_map` (default:
        :func:`course.data.places`).

    Examples
    --------
    >>> text = base_map_alt_text()
    >>> text.startswith("Map of Syria")
    True
    """
    shown = _check_places(data.places() if places is None else places)
    west, south, east, north = BBOX
    countries = [f["properties"]["name"] for f in geo_layer("countries")["features"]]
    neighbours = [name for name in countries if name != "Syria"]
    disputed = [f["properties"] for f in geo_layer("disputed_areas")["features"]]
    listed = "; ".join(
        f"{row['name']} ({row['lat']:.2f}° N, {row['lon']:.2f}° E)" for _, row in shown.iterrows()
    )
    near = places_near_river("Euphrates", places=shown)
    along = ", ".join(near["name"].astype(str)) or "none of them"
    golan = [p for p in disputed if p["name"] == "Golan Heights"]
    golan_text = (
        f' The Golan Heights are hatched; Natural Earth\'s note says "{golan[0]["note_brk"]}".'
        if golan and golan[0]["note_brk"]
        else ""
    )
    return (
        f"Map of Syria and its neighbours, longitude {west}–{east}° E and latitude "
        f"{south}–{north}° N, north up, with a {_SCALE_KM} km scale bar. Syria is shaded; "
        f"the other areas drawn, clipped by the frame, are {', '.join(neighbours)}; the "
        f"Mediterranean is on the west. Borders follow Natural Earth, which draws de facto "
        f"control; {len(disputed)} areas it lists as disputed are hatched "
        f"({', '.join(p['name'] for p in disputed)}).{golan_text} The Euphrates enters Syria "
        "from Turkey in the north, runs south and then south-east across the country and "
        "leaves it into Iraq in the east; the Tigris forms a short stretch of the border in "
        f"the far north-east. {len(shown)} places are marked: {listed}. Within "
        f"{_NEAR_RIVER_KM:.0f} km of the Euphrates line: {along}."
    )
