"""The base map and the course timeline, drawn from the shipped data only.

The map layers in datasets/geo/ must be valid GeoJSON inside the map's box,
small, registered in the data package with a licence, and shipped in the
wheel; the figures must render to PNG with the Agg backend, show the
Euphrates and every place, and fetch nothing.
"""

from __future__ import annotations

import ast
import io
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from course import data, maps, timeline

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"
GEO = DATASETS / "geo"
LAYERS = ("countries", "rivers", "disputed_areas")
WEST, SOUTH, EAST, NORTH = 34.0, 31.5, 43.5, 38.0
NE_COMMIT = "90266457d82d3717e47313e72a921e31a087d2c4"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_bytes(ax) -> bytes:
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


def positions(geometry: dict) -> list[list[float]]:
    """Every position of a GeoJSON geometry, flattened."""
    kind, coords = geometry["type"], geometry["coordinates"]
    depth = {"Point": 0, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
    items = [coords]
    for _ in range(depth[kind]):
        items = [inner for outer in items for inner in outer]
    return items


@pytest.fixture(scope="module")
def map_ax():
    ax = maps.base_map()
    yield ax
    plt.close(ax.figure)


@pytest.fixture(scope="module")
def timeline_ax():
    ax = timeline.course_timeline()
    yield ax
    plt.close(ax.figure)


# --- the shipped files --------------------------------------------------------


@pytest.mark.parametrize("layer", LAYERS)
def test_geo_file_is_small_valid_geojson_inside_the_box(layer):
    """Is each layer a GeoJSON FeatureCollection, under 500 KB, inside the box, rounded to 0.001°?"""
    path = GEO / f"{layer}.geojson"
    assert path.stat().st_size < 500_000
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert collection["bbox"] == [WEST, SOUTH, EAST, NORTH]
    assert collection["features"]
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert feature["properties"]["name"]
        geometry = feature["geometry"]
        if geometry["type"] in ("Polygon", "MultiPolygon"):
            polygons = (
                [geometry["coordinates"]]
                if geometry["type"] == "Polygon"
                else geometry["coordinates"]
            )
            for ring in (ring for polygon in polygons for ring in polygon):
                assert len(ring) >= 4 and ring[0] == ring[-1], "rings must be closed"
        else:
            assert geometry["type"] in ("LineString", "MultiLineString")
            lines = (
                [geometry["coordinates"]]
                if geometry["type"] == "LineString"
                else geometry["coordinates"]
            )
            assert all(len(line) >= 2 for line in lines)
        for lon, lat in positions(geometry):
            assert WEST <= lon <= EAST and SOUTH <= lat <= NORTH, (layer, lon, lat)
            assert round(lon, 3) == lon and round(lat, 3) == lat


def test_layers_hold_syria_its_neighbours_and_the_euphrates():
    """Do the layers hold Syria and its neighbours, both rivers, and the Golan Heights as disputed?"""
    countries = {f["properties"]["adm0_a3"] for f in maps.geo_layer("countries")["features"]}
    assert {"SYR", "TUR", "IRQ", "JOR", "LBN", "ISR"} <= countries
    rivers = {f["properties"]["river"] for f in maps.geo_layer("rivers")["features"]}
    assert rivers == {"Euphrates", "Tigris"}
    disputed = {f["properties"]["name"] for f in maps.geo_layer("disputed_areas")["features"]}
    assert "Golan Heights" in disputed
    with pytest.raises(KeyError, match="Choose one of"):
        maps.geo_layer("roads")


def test_geo_files_are_registered_with_licence_and_provenance():
    """Is every geo file a resource of datapackage.json, with a licence and its Natural Earth source?"""
    descriptor = json.loads((DATASETS / "datapackage.json").read_text(encoding="utf-8"))
    by_path = {r["path"]: r for r in descriptor["resources"] if isinstance(r["path"], str)}
    for layer in LAYERS:
        resource = by_path[f"geo/{layer}.geojson"]
        assert resource["format"] == "geojson"
        assert resource["mediatype"] == "application/geo+json"
        assert resource["encoding"] == "utf-8"
        assert any("Public domain" in lic["title"] for lic in resource["licenses"])
        assert any(
            "Natural Earth" in src["title"] and NE_COMMIT in src["title"]
            for src in resource["sources"]
        )
        assert "Natural Earth" in resource["citation"]
    provenance = (GEO / "provenance.md").read_text(encoding="utf-8")
    assert NE_COMMIT in provenance
    assert "public domain map dataset" in provenance
    for name in (
        "ne_50m_admin_0_countries",
        "ne_10m_rivers_lake_centerlines",
        "ne_10m_admin_0_disputed_areas",
    ):
        assert name in provenance
    assert set(path.name for path in GEO.iterdir()) == {
        "countries.geojson",
        "rivers.geojson",
        "disputed_areas.geojson",
        "provenance.md",
    }, "only the three clipped layers and their provenance note belong in datasets/geo/"


@pytest.mark.parametrize("module", ["maps.py", "timeline.py"])
def test_nothing_is_fetched(module):
    """Do course/maps.py and course/timeline.py import no network library?"""
    tree = ast.parse((ROOT / "course" / module).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & {"urllib", "urllib3", "requests", "http", "httpx", "socket", "aiohttp"}


# --- the base map ------------------------------------------------------------


def test_base_map_renders_to_png(map_ax):
    """Does the base map render to a non-empty PNG with the Agg backend?"""
    png = png_bytes(map_ax)
    assert png.startswith(PNG_SIGNATURE)
    image = plt.imread(io.BytesIO(png))
    assert image.shape[0] > 300 and image.shape[1] > 300
    assert len({tuple(px) for px in image.reshape(-1, image.shape[2])[::97]}) > 10


def test_base_map_draws_the_euphrates_through_deir_ez_zor(map_ax):
    """Is the Euphrates a line on the map, passing within 5 km of Deir ez-Zor (on its banks)?"""
    lines = [line for line in map_ax.get_lines() if line.get_gid() == "river-euphrates"]
    assert lines
    points = [(x, y) for line in lines for x, y in line.get_xydata()]
    assert len(points) > 100
    place = data.places().set_index("place_id").loc["deir-ez-zor"]
    lat0 = math.radians(float(place["lat"]))
    nearest = min(
        math.hypot((x - place["lon"]) * math.cos(lat0), y - place["lat"]) * 111.32
        for x, y in points
    )
    assert nearest < 5
    assert any(line.get_gid() == "river-tigris" for line in map_ax.get_lines())


def test_base_map_marks_every_place(map_ax):
    """Is every row of places.csv a point, at its coordinates, with its name written beside it?"""
    places = data.places()
    [collection] = [c for c in map_ax.collections if c.get_gid() == "places"]
    drawn = sorted(map(tuple, collection.get_offsets().round(6).tolist()))
    expected = sorted(zip(places["lon"].round(6), places["lat"].round(6), strict=True))
    assert drawn == expected
    texts = {text.get_text() for text in map_ax.texts}
    assert set(places["name"]) <= texts


def test_base_map_frame_scale_bar_north_and_palette(map_ax):
    """Is the frame the box with a fixed lon/lat aspect, with a km scale bar, north arrow and title?"""
    assert map_ax.get_xlim() == (WEST, EAST)
    assert map_ax.get_ylim() == (SOUTH, NORTH)
    assert map_ax.get_aspect() == pytest.approx(1 / math.cos(math.radians((SOUTH + NORTH) / 2)))
    assert [p for p in map_ax.patches if p.get_gid() == "scale-bar"]
    texts = {text.get_text() for text in map_ax.texts}
    assert {"0", "50", "100", "km", "N"} <= texts
    assert map_ax.get_title() == "Syria and its neighbours: places in the course"
    legend = {text.get_text() for text in map_ax.get_legend().get_texts()}
    assert {"Euphrates", "Place in the course", "Disputed (Natural Earth)"} <= legend
    okabe_ito = {"#0072b2", "#56b4e9", "#d55e00"}
    used = {matplotlib.colors.to_hex(line.get_color()) for line in map_ax.get_lines()}
    assert used <= okabe_ito


def test_base_map_takes_other_places_and_refuses_ones_off_the_map():
    """Does base_map draw a given table, and explain a place outside the map?"""
    some = pd.DataFrame({"name": ["Palmyra"], "lat": [34.56], "lon": [38.27]})
    ax = maps.base_map(places=some, label=False)
    [collection] = [c for c in ax.collections if c.get_gid() == "places"]
    assert collection.get_offsets().tolist() == [[38.27, 34.56]]
    assert "Palmyra" not in {text.get_text() for text in ax.texts}
    plt.close(ax.figure)
    baghdad = pd.DataFrame({"name": ["Baghdad"], "lat": [33.3], "lon": [44.4]})
    with pytest.raises(ValueError, match="outside the map"):
        maps.base_map(places=baghdad)


def test_base_map_alt_text_names_what_the_map_shows():
    """Does the alt text name every place, the Euphrates, the scale and the disputed areas?"""
    text = maps.base_map_alt_text()
    for name in data.places()["name"]:
        assert name in text
    assert "Euphrates" in text and "100 km scale bar" in text and "north up" in text
    assert "Golan Heights" in text and "de facto" in text
    near = set(maps.places_near_river()["name"])
    assert {"Deir ez-Zor", "Raqqa"} <= near and "Damascus" not in near


# --- the timeline ------------------------------------------------------------


def test_timeline_renders_to_png(timeline_ax):
    """Does the course timeline render to a non-empty PNG with the Agg backend?"""
    png = png_bytes(timeline_ax)
    assert png.startswith(PNG_SIGNATURE) and len(png) > 10_000
    assert timeline_ax.get_title() == "Course timeline: dated events, 2011–2019"


def test_timeline_has_one_point_per_event_on_its_kind_row(timeline_ax):
    """Is every event from 2011 to 2019 one point, on the row of its kind, at its day if known?"""
    events = data.events()
    years = events["start_date"].str[:4].astype(int)
    expected = events[(years >= 2011) & (years <= 2019)]
    points = {c.get_gid(): c.get_offsets() for c in timeline_ax.collections if c.get_gid()}
    assert sum(len(points[gid]) for gid in ("events-exact", "events-inexact")) == len(expected)
    rows = [tick.get_text() for tick in timeline_ax.get_yticklabels()]
    assert rows == list(timeline.KIND_LABELS.values())
    exact = expected[(expected["date_precision"] == "day") & ~expected["date_approx"]]
    drawn = {(round(x, 6), round(y)) for x, y in points["events-exact"].tolist()}
    for _, event in exact.iterrows():
        x = round(float(mdates.date2num(event["start"])), 6)
        y = list(timeline.KIND_LABELS).index(str(event["kind"]))
        assert (x, y) in drawn, event["event_id"]


def test_timeline_marks_the_essay_window_and_copy_date(timeline_ax):
    """Are 27 March – late August 2016 shaded and 23 April 2016 (the stored copy's address) marked?"""
    [band] = [p for p in timeline_ax.patches if p.get_gid() == "essay-window"]
    xs = band.get_patch_transform().transform(band.get_path().vertices)[:, 0]
    assert min(xs) == pytest.approx(mdates.date2num(pd.Timestamp("2016-03-27")))
    assert max(xs) == pytest.approx(mdates.date2num(pd.Timestamp("2016-08-31")))
    [line] = [ln for ln in timeline_ax.get_lines() if ln.get_gid() == "essay-copy-date"]
    assert mdates.date2num(line.get_xdata()[0]) == mdates.date2num(pd.Timestamp("2016-04-23"))
    text = timeline.course_timeline_alt_text()
    assert "27 March 2016" in text and "23 April 2016" in text
    assert "60 dated events" in text and "5 earlier" in text


def test_timeline_explains_an_unknown_label_id():
    """Does a label id that is not an event say which ids to use?"""
    with pytest.raises(KeyError, match="event_id column"):
        timeline.course_timeline(labels=("no-such-event",))


# --- the installed wheel -------------------------------------------------------


PROBE = """
import matplotlib
matplotlib.use("Agg")
from course import data, maps, timeline
ax = maps.base_map()
ax.figure.savefig("map.png")
timeline.course_timeline().figure.savefig("timeline.png")
print(data.datasets_dir())
"""


def test_map_and_timeline_work_from_the_wheel(built_dists, tmp_path):
    """Does the wheel ship datasets/geo, and do both figures render from the installed copy?"""
    names = zipfile.ZipFile(built_dists["wheel"]).namelist()
    for layer in LAYERS:
        assert f"course/datasets/geo/{layer}.geojson" in names
    assert "course/datasets/geo/provenance.md" in names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(built_dists["wheel"])],
        check=True,
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "", "MPLCONFIGDIR": str(tmp_path / "mpl")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().startswith(str(target))
    for name in ("map.png", "timeline.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_SIGNATURE)
