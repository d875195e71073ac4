"""The maps in a real browser: headless Chromium renders them offline without script
errors, with layers, pins and clusters; one screenshot is kept as a test artifact.

Chromium is Debian's (``make test`` installs it when missing). The map's scripts are
fetched once from the npm registry into the asset folder and inlined into the HTML,
and the browser is given no network at all, so this also proves the map works at a
station without internet. The screenshot goes to ``$DRONEWATCH_TEST_ARTIFACTS`` when set
(CI keeps it), else to the test's temporary folder: a test never writes into ``out/``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.map import assets as webassets
from dronewatch.map import mission_map, save_map
from dronewatch.store import Finding, FindingKind
from dronewatch.zones import load_zones

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Report script errors into the DOM, where --dump-dom shows them.
ERROR_PROBE = ("<script>window.__errors=[];window.addEventListener('error',function(e){"
               "document.documentElement.setAttribute('data-script-errors',"
               "(document.documentElement.getAttribute('data-script-errors')||'')+"
               "(e.message||'resource failed: '+(e.target&&(e.target.src||e.target.href)))"
               "+' | ')},true);</script>")


@pytest.fixture(scope="module")
def assets():
    try:
        webassets.fetch()
    except webassets.WebAssetError as exc:
        pytest.skip(f"map assets unavailable and the npm registry unreachable: {exc}")
    return webassets.assets_dir()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    """Where the kept screenshot goes: the CI's folder, or a temporary one."""
    chosen = os.environ.get("DRONEWATCH_TEST_ARTIFACTS")
    return Path(chosen) if chosen else tmp_path_factory.mktemp("test-artifacts")


@pytest.fixture(scope="module")
def mission_html(assets, tmp_path_factory):
    zones = load_zones(default_zones_path())
    site = zones.launch_sites[0]
    ok, png = cv2.imencode(".png", np.full((16, 16), 220, np.uint8))
    assert ok
    rng = np.random.default_rng(3)
    findings = [Finding(FindingKind.PERSON, site.lat_deg + 0.004, site.lon_deg + 0.003, 3.1,
                        0.93, 1.79e9, 1.79e9 + 90, 4, 31.5, 0.4, 1, png.tobytes(), 1)]
    findings += [Finding(FindingKind.HOTSPOT, site.lat_deg - 0.02 + rng.uniform(0, 0.01),
                         site.lon_deg + rng.uniform(0, 0.01), 4.0, 0.99, 1.79e9, 1.79e9, 2,
                         float(rng.uniform(70, 300)), float(rng.uniform(5, 80)), 1, None, k)
                 for k in range(2, 42)]  # many: they cluster
    route = [(site.lat_deg, site.lon_deg), (site.lat_deg + 0.006, site.lon_deg + 0.004)]
    fmap = mission_map(zones, default_dem_path(), findings=findings, planned=route,
                       flown=[route[0], (site.lat_deg + 0.005, site.lon_deg + 0.004)],
                       hotspot_history=findings)
    saved = save_map(fmap, tmp_path_factory.mktemp("map") / "mission.html")
    assert saved.offline, saved.online_links
    return saved.path


def test_the_saved_map_needs_nothing_from_the_internet(mission_html):
    html = mission_html.read_text()
    assert not re.findall(r'<script src="https?://', html)
    assert not re.findall(r'<link rel="stylesheet" href="https?://', html)
    assert "leaflet 1.9.3" not in html or "dist/leaflet.js" in html
    assert "url(data:font/woff2;base64," in html  # the icon font is inside


def chromium(*args: str, profile: Path, timeout: float = 90.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--host-resolver-rules=MAP * ~NOTFOUND",  # no internet at all
         "--virtual-time-budget=4000", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=timeout)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (make test installs it)")
def test_chromium_renders_layers_pins_and_clusters_without_errors(mission_html, tmp_path):
    probe = mission_html.with_name("probe.html")
    probe.write_text(mission_html.read_text().replace("<head>", "<head>" + ERROR_PROBE, 1))
    result = chromium("--dump-dom", probe.as_uri(), profile=tmp_path / "chromium")
    dom = result.stdout
    assert "leaflet-container" in dom, result.stderr[-2000:]
    errors = re.search(r'<html[^>]*data-script-errors="([^"]*)"', dom)
    assert errors is None, errors.group(1)
    assert "leaflet-control-layers" in dom and "leaflet-control-scale" in dom
    assert dom.count("leaflet-image-layer") >= 1  # the offline relief
    assert "leaflet-heatmap-layer" in dom
    assert "marker-cluster" in dom  # 40 hotspots are clustered
    assert dom.count("awesome-marker-icon-") >= 2  # launch sites and the person
    assert "Persons: alarm (1)" in dom and "dronewatch-legend" in dom


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (make test installs it)")
def test_a_screenshot_of_the_mission_map_is_kept(mission_html, artifacts, tmp_path):
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "mission-map.png"
    shot.unlink(missing_ok=True)
    chromium("--window-size=1280,900", f"--screenshot={shot}", mission_html.as_uri(),
             profile=tmp_path / "chromium")
    image = cv2.imread(str(shot))
    assert image is not None and image.shape[:2] == (900, 1280)
    assert image.std() > 20  # a drawn map, not a blank page


def test_a_tampered_download_is_refused(tmp_path, monkeypatch):
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w:gz") as archive:
        data = b"alert('not leaflet')"
        info = tarfile.TarInfo("package/dist/leaflet.js")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    good = hashlib.sha512(b"the real tarball").digest()
    import base64
    meta = ('{"dist": {"tarball": "https://example.invalid/t.tgz", "integrity": "sha512-'
            + base64.b64encode(good).decode() + '"}}').encode()
    monkeypatch.setattr(webassets, "_get",
                        lambda url, timeout_s: meta if "example" not in url else payload.getvalue())
    with pytest.raises(webassets.WebAssetError, match="does not match"):
        webassets.fetch(tmp_path)
    assert not any(tmp_path.iterdir())
