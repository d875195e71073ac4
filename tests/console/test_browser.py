"""The console end to end in the system's headless Chromium (Playwright, no browser
download): log in, plan an alarm on the page, launch the search on a simulated drone
(the real ``ops.run_search`` with the simulated thermal camera, a person sitting near
the alarm), watch the drone fly, hold and resume it, see the person's finding appear
live, confirm it and send the drone home. A screenshot is kept.

Skips when Chromium or the map's Leaflet files (fetched once from the npm registry) are
missing. The page may load nothing from outside the console: its CSP allows only 'self'.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from dronewatch.config import Settings
from dronewatch.console import create_app
from dronewatch.console.camera import LatestFrames
from dronewatch.console.serve import _flight
from dronewatch.map import assets as webassets
from tests.console.conftest import PASSWORD, make_station
from tests.ops.rehearsal import drone, link, rehearsal

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine")
LAT_OF_DRONE = "document.querySelector('li[data-drone=\"drone-1\"]').dataset.lat"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def artifacts(tmp_path) -> Path:
    chosen = os.environ.get("DRONEWATCH_TEST_ARTIFACTS")
    return Path(chosen) if chosen else tmp_path


@pytest.fixture
def served(store, tmp_path):
    """A real uvicorn console following one simulated drone, flying with ops.run_search."""
    import uvicorn

    try:
        webassets.fetch()
    except webassets.WebAssetError as exc:
        pytest.skip(f"Leaflet unavailable and the npm registry unreachable: {exc}")
    with rehearsal() as world:
        site = next(s for s in world.zones.launch_sites if s.id == "launch-south-post")
        frames = LatestFrames()
        fly = _flight(store, Settings(store=store.where), tmp_path, lambda _: world.camera.render,
                      frames)
        with drone(site) as sim:
            station = make_station(store, urls=[sim.url], connect=link, terrain=world.terrain,
                                   fly=fly, frames=frames)
            port = _free_port()
            server = uvicorn.Server(uvicorn.Config(create_app(station), host="127.0.0.1",
                                                   port=port, log_level="warning",
                                                   timeout_graceful_shutdown=1))
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            deadline = time.monotonic() + 30
            while not server.started and time.monotonic() < deadline:
                time.sleep(0.05)
            try:
                yield f"http://127.0.0.1:{port}/", station, world
            finally:
                deadline = time.monotonic() + 120  # let the flight end before the link does
                while station.fleet.busy("drone-1") and time.monotonic() < deadline:
                    time.sleep(0.5)
                server.should_exit = True
                thread.join(10)
                station.fleet.close()


def test_plan_launch_watch_hold_resume_confirm_the_person_found_and_rtl(served, store, artifacts):
    from playwright.sync_api import expect, sync_playwright

    url, _, world = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        outside, script_errors = [], []
        page.on("request", lambda r: outside.append(r.url)
                if not r.url.startswith((url, "data:", "blob:")) else None)
        page.on("pageerror", lambda e: script_errors.append(str(e)))
        page.on("dialog", lambda d: d.accept())  # "launch ...?", "HOLD drone-1?"
        page.goto(url)
        page.fill("#login-name", "olga")
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        expect(page.locator("#who")).to_contain_text("olga (operator)", timeout=30_000)
        item = page.locator('li[data-drone="drone-1"][data-connected="true"]')
        expect(item).to_have_count(1, timeout=60_000)
        expect(page.locator("#live")).to_have_text("live", timeout=30_000)
        expect(page.locator("img.relief")).to_have_count(1, timeout=30_000)  # the DEM's

        page.fill("#alarm-lat", f"{world.request.lat_deg:.6f}")
        page.fill("#alarm-lon", f"{world.request.lon_deg:.6f}")
        page.fill("#alarm-radius", "200")
        page.select_option("#alarm-pattern", "expanding-square")
        page.click("#alarm-plan")
        expect(page.locator("#plan-summary")).to_contain_text("expanding-square",
                                                              timeout=60_000)
        item.locator("button.launch").click()
        expect(item).not_to_have_attribute("data-mission", "", timeout=10_000)
        expect(page.locator("path.route-drone-1")).to_have_count(1, timeout=10_000)
        # functions, not strings: the console's CSP (rightly) forbids eval
        page.wait_for_function(f"() => {LAT_OF_DRONE} !== ''", timeout=60_000)
        start_lat = float(item.get_attribute("data-lat"))
        page.wait_for_function(f"(lat) => Math.abs(Number({LAT_OF_DRONE}) - lat) > 3e-4",
                               arg=start_lat, timeout=90_000)  # 30 m flown, on the map
        item.locator('button[data-action="hold"]').click()
        expect(item).to_have_attribute("data-mode", "LOITER", timeout=20_000)
        item.locator('button[data-action="resume"]').click()
        expect(item).to_have_attribute("data-mode", "AUTO", timeout=20_000)

        row = page.locator("li.finding.person").first
        expect(row).to_have_attribute("data-review", "new", timeout=120_000)
        finding_id = int(row.get_attribute("data-finding"))
        row.locator("input").fill("team sees a person waving")
        row.locator('button[data-next="confirmed"]').click()
        expect(row).to_have_attribute("data-review", "confirmed", timeout=10_000)
        expect(page.locator("#camera")).to_be_visible(timeout=10_000)  # the live frame
        page.wait_for_function(  # ... that the flight's detector has looked at (ops.shots)
            "() => /^[0-9]+$/.test(document.getElementById('camera').dataset.detections)",
            timeout=30_000)
        item.locator('button[data-action="rtl"]').click()  # person found: bring it home
        expect(item).to_have_attribute("data-mode", "RTL", timeout=20_000)
        page.screenshot(path=str(artifacts / "console.png"))
        link = page.locator("#export-csv").get_attribute("href")  # the false alarms
        exported = page.request.get(url.rstrip("/") + link)  # with the page's session
        assert exported.ok and exported.text().startswith("id,kind,")
        browser.close()

    from dronewatch.store.live import finding_by_id
    from dronewatch.store.reviews import reviews

    found = finding_by_id(store, finding_id)
    assert world.distance_m(found.lat_deg, found.lon_deg) < 15
    assert [(r.state.value, r.operator, r.note) for r in reviews(store, finding_id)] == [
        ("confirmed", "olga", "team sees a person waving")]
    assert [m.launched_by for m in _missions(store)] == ["olga"]
    assert outside == []  # nothing from the internet
    assert not script_errors, script_errors
    assert (artifacts / "console.png").stat().st_size > 10_000


def _missions(store):
    from dronewatch.store.models import Mission

    return [Mission(*row) for row in store._db.execute(
        "SELECT id, kind, name, launched_by, reason, created_unix_s, plan_json FROM missions")]
