"""course.data works the same from an installed wheel as from the checkout."""

from __future__ import annotations

import json
import subprocess
import sys

from course import data

PROBE = """
import json
from course import data
out = {"dir": str(data.datasets_dir())}
for name in data.RESOURCES:
    df = data.load(name)
    out[name] = {"rows": len(df), "dtypes": {c: str(t) for c, t in df.dtypes.items()}}
ev = data.events()
out["events_start"] = str(ev["start"].dtype)
out["palmyra_sources"] = list(data.sources_for("palmyra")["source_id"])
out["essay_len"] = len(data.essay_text())
print(json.dumps(out))
"""


def probe_here() -> dict:
    out = {"dir": str(data.datasets_dir())}
    for name in data.RESOURCES:
        df = data.load(name)
        out[name] = {"rows": len(df), "dtypes": {c: str(t) for c, t in df.dtypes.items()}}
    out["events_start"] = str(data.events()["start"].dtype)
    out["palmyra_sources"] = list(data.sources_for("palmyra")["source_id"])
    out["essay_len"] = len(data.essay_text())
    return out


def test_loaders_from_the_wheel_match_the_checkout(built_dists, tmp_path):
    """Installed from the wheel, do the loaders give the same tables and dtypes?"""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(built_dists["wheel"])],
        check=True,
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    installed = json.loads(result.stdout)
    here = probe_here()
    assert installed["dir"].startswith(str(target)), "the wheel's own datasets must be used"
    for key in [*data.RESOURCES, "events_start", "palmyra_sources", "essay_len"]:
        assert installed[key] == here[key], key


def test_documented_dtypes():
    """Do the loaders return the dtypes the data dictionary documents?"""
    events = data.events()
    assert str(events["start"].dtype).startswith("datetime64")
    assert str(events["date_precision"].dtype) == "category"
    estimates = data.estimates()
    assert estimates["value"].dtype == "float64"
    assert str(estimates["derived"].dtype) == "boolean"
    places = data.places()
    assert places["lat"].dtype == "float64" and places["lon"].dtype == "float64"
    assert str(data.sources()["kind"].dtype) == "category"
