"""The console end to end in the system's headless Chromium (Playwright, no browser
download): log in, watch a simulated drone fly on the map, see a finding appear the
moment it is stored, confirm it, and RTL the drone. A screenshot is kept.

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

from dronewatch.console import create_app
from dronewatch.map import assets as webassets
from tests.console.conftest import PASSWORD, make_station, person
from tests.ops.rehearsal import drone, link

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def artifacts(tmp_path) -> Path:
    chosen = os.environ.get("DRONEWATCH_TEST_ARTIFACTS")
    return Path(chosen) if chosen else tmp_path


@pytest.fixture
def served(store, terrain):
    """A real uvicorn console following one simulated drone."""
    import uvicorn

    try:
        webassets.fetch()
    except webassets.WebAssetError as exc:
        pytest.skip(f"Leaflet unavailable and the npm registry unreachable: {exc}")
    station = make_station(store, terrain=terrain)
    site = station.zones.launch_sites[0]
    with drone(site) as sim:
        station = make_station(store, urls=[sim.url], connect=link, terrain=terrain)
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
            yield f"http://127.0.0.1:{port}/", station
        finally:
            server.should_exit = True
            thread.join(10)
            station.fleet.close()


def _fly_north(vehicle, errors):
    try:
        vehicle.wait_ready(60)
        vehicle.set_mode("GUIDED")
        vehicle.arm()
        vehicle.takeoff(30)
        vehicle.wait_for(lambda s: s.alt_rel_m > 25, 60, "30 m")
        s = vehicle.state
        vehicle.goto(s.lat_deg + 0.01, s.lon_deg, 30)
    except BaseException as exc:  # reported by the test
        errors.append(exc)


def test_log_in_watch_a_drone_fly_see_a_finding_live_and_confirm_it(served, store,
                                                                     artifacts):
    from playwright.sync_api import expect, sync_playwright

    url, station = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        outside = []
        page.on("request", lambda r: outside.append(r.url)
                if not r.url.startswith((url, "data:", "blob:")) else None)
        page.on("dialog", lambda d: d.accept())
        script_errors = []
        page.on("pageerror", lambda e: script_errors.append(str(e)))
        page.goto(url)
        page.fill("#login-name", "olga")
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        expect(page.locator("#who")).to_contain_text("olga (operator)", timeout=30_000)
        assert not script_errors, script_errors
        item = page.locator('li[data-drone="drone-1"][data-connected="true"]')
        expect(item).to_have_count(1, timeout=60_000)
        expect(page.locator("#live")).to_have_text("live", timeout=30_000)

        errors: list[BaseException] = []
        flying = threading.Thread(target=_fly_north, args=(station.fleet.vehicle("drone-1"),
                                                           errors))
        flying.start()
        lat_of_drone = "document.querySelector('li[data-drone=\"drone-1\"]').dataset.lat"
        # functions, not strings: the console's CSP (rightly) forbids eval
        page.wait_for_function(f"() => {lat_of_drone} !== ''", timeout=60_000)
        start_lat = float(item.get_attribute("data-lat"))
        flying.join(120)
        assert not errors, errors
        page.wait_for_function(f"(lat) => Number({lat_of_drone}) > lat",
                               arg=start_lat + 0.0005, timeout=60_000)  # 55 m north

        stored = store.add_finding(person(station.zones))
        stored_at = time.monotonic()
        row = page.locator(f'li[data-finding="{stored.id}"]')
        expect(row).to_have_attribute("data-review", "new", timeout=5_000)
        appeared_s = time.monotonic() - stored_at
        row.locator("input").fill("team sees a person waving")
        row.locator('button[data-next="confirmed"]').click()
        expect(row).to_have_attribute("data-review", "confirmed", timeout=5_000)
        item.locator('button[data-action="rtl"]').click()
        expect(item).to_have_attribute("data-mode", "RTL", timeout=20_000)
        page.screenshot(path=str(artifacts / "console.png"))
        browser.close()

    assert appeared_s < 2.0  # on screen within a second or so of being stored
    from dronewatch.store.reviews import reviews

    assert [(r.state.value, r.operator, r.note) for r in reviews(store, stored.id)] == [
        ("confirmed", "olga", "team sees a person waving")]
    assert outside == []  # nothing from the internet
    assert not script_errors, script_errors
    assert (artifacts / "console.png").stat().st_size > 10_000
