"""The console end to end in the system's headless Chromium (Playwright, no browser
download), with two simulated drones: log in, see both connected, plan an alarm on the
page and launch the search on drone-1 (the real ``ops.run_search`` with the simulated
thermal camera, a person sitting near the alarm), click a second alarm point on the map
and launch that search on drone-2, see both drones' markers move on the map, hold and
resume drone-1, see the person's finding appear live and confirm it, dismiss a false
alarm, and send drone-1 home. Screenshots are kept (``DRONEWATCH_TEST_ARTIFACTS``).

Skips when Chromium or the map's Leaflet files (fetched once from the npm registry) are
missing. The page may load nothing from outside the console: its CSP allows only 'self'.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import time
from pathlib import Path

import pytest

from dronewatch.config import Settings
from dronewatch.console import create_app
from dronewatch.console.camera import LatestFrames
from dronewatch.console.serve import _flight
from dronewatch.geo import LocalFrame
from dronewatch.map import assets as webassets
from tests.console.conftest import PASSWORD, make_station, person, serving
from tests.ops.rehearsal import SPEEDUP, drone, link, rehearsal

# Half the rehearsals' clock: the simulator (as ArduCopter) drops a mission upload silent
# for 8 of its seconds, a fifth of a wall second at 40x, and beside a browser and a
# second drone on two cores the console's upload once paused that long four times over.
CLOCK = SPEEDUP / 2

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine")
DRONES = ("drone-1", "drone-2")
# where a drone's marker is drawn on the map, in screen pixels (functions, not strings:
# the console's CSP (rightly) forbids eval)
MARKER_AT = """(id) => {
  const box = document.querySelector(`.leaflet-marker-icon[title="${id}"]`)
    ?.getBoundingClientRect();
  return box ? [box.x + box.width / 2, box.y + box.height / 2] : null;
}"""
MARKERS_MOVED = """([start, px]) => Object.entries(start).every(([id, [x, y]]) => {
  const box = document.querySelector(`.leaflet-marker-icon[title="${id}"]`)
    .getBoundingClientRect();
  return Math.hypot(box.x + box.width / 2 - x, box.y + box.height / 2 - y) > px;
})"""
SECOND_ALARM_M = (120.0, 120.0)  # east, north of the launch site: drone-2's small search


@pytest.fixture
def artifacts(tmp_path) -> Path:
    chosen = os.environ.get("DRONEWATCH_TEST_ARTIFACTS")
    return Path(chosen) if chosen else tmp_path


@pytest.fixture
def served(store, tmp_path):
    """A real uvicorn console following two simulated drones at one launch site, each
    flown with ops.run_search."""
    try:
        webassets.fetch()
    except webassets.WebAssetError as exc:
        pytest.skip(f"Leaflet unavailable and the npm registry unreachable: {exc}")
    with rehearsal() as world, contextlib.ExitStack() as sims:
        site = next(s for s in world.zones.launch_sites if s.id == "launch-south-post")
        frames = LatestFrames()
        fly = _flight(store, Settings(store=store.where), tmp_path, lambda _: world.camera.render,
                      frames)
        urls = [sims.enter_context(drone(site, speedup=CLOCK)).url for _ in DRONES]
        station = make_station(store, urls=urls, connect=functools.partial(link, speedup=CLOCK),
                               terrain=world.terrain, fly=fly, frames=frames)
        try:
            with serving(create_app(station)) as url:
                try:
                    yield url + "/", station, world, site
                finally:
                    deadline = time.monotonic() + 120  # let the flights end before the links
                    while any(map(station.fleet.busy, DRONES)) and time.monotonic() < deadline:
                        time.sleep(0.5)
        finally:
            station.fleet.close()


@pytest.mark.timeout(600)  # two drones, one detector and a browser on a shared machine
def test_two_drones_plan_launch_watch_hold_resume_confirm_dismiss_and_rtl(served, store,
                                                                           artifacts):
    from playwright.sync_api import expect, sync_playwright

    from dronewatch.store.live import finding_by_id
    from dronewatch.store.reviews import reviews

    url, _, world, site = served
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
        items = {d: page.locator(f'li[data-drone="{d}"][data-connected="true"]') for d in DRONES}
        for item in items.values():
            expect(item).to_have_count(1, timeout=60_000)
        expect(page.locator("#live")).to_have_text("live", timeout=30_000)
        expect(page.locator("img.relief")).to_have_count(1, timeout=30_000)  # the DEM's

        # drone-1: the alarm typed in
        page.fill("#alarm-lat", f"{world.request.lat_deg:.6f}")
        page.fill("#alarm-lon", f"{world.request.lon_deg:.6f}")
        _plan_and_launch(page, items["drone-1"], "200", expect)
        page.evaluate("(at) => state.map.setView(at, 16, { animate: false })",
                      [site.lat_deg, site.lon_deg])  # both drones' launch site, close up
        start = {d: page.evaluate(MARKER_AT, d) for d in DRONES}
        assert None not in start.values(), start
        # drone-1 on its way (its upload done: two at once swamp a busy station, see
        # ops.crew) before drone-2 is sent to a second alarm, clicked on the map
        _wait(page, MARKERS_MOVED, [{"drone-1": start["drone-1"]}, 10], 90_000)  # ≥ 17 m
        target = LocalFrame(site.lat_deg, site.lon_deg).to_wgs84(*SECOND_ALARM_M)
        x, y = page.evaluate("(at) => Object.values(state.map.latLngToContainerPoint(at))",
                             [float(target[0]), float(target[1])])
        page.locator("#map").click(position={"x": x, "y": y})
        assert abs(float(page.input_value("#alarm-lat")) - target[0]) < 2e-5  # ~2 m: 1 px
        assert abs(float(page.input_value("#alarm-lon")) - target[1]) < 3e-5
        _plan_and_launch(page, items["drone-2"], "40", expect)
        _wait(page, MARKERS_MOVED, [start, 10], 90_000)  # both moved on the map
        page.screenshot(path=str(artifacts / "console-two-drones.png"))

        item = items["drone-1"]
        item.locator('button[data-action="hold"]').click()
        expect(item).to_have_attribute("data-mode", "LOITER", timeout=20_000)
        item.locator('button[data-action="resume"]').click()
        expect(item).to_have_attribute("data-mode", "AUTO", timeout=20_000)

        # a false alarm, stored as a flight's detector stores one: live on the page, dismissed
        false_id = store.add_finding(person(world.zones, 0.002)).id
        _decide(page, false_id, "dismissed", "a sheep by the well", expect)
        row = page.locator("li.finding.person.new").first  # the person drone-1 finds
        expect(row).to_have_attribute("data-review", "new", timeout=120_000)
        finding_id = int(row.get_attribute("data-finding"))
        _decide(page, finding_id, "confirmed", "team sees a person waving", expect)
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
        assert f"\n{false_id},person," in exported.text()
        browser.close()

    found = finding_by_id(store, finding_id)
    assert world.distance_m(found.lat_deg, found.lon_deg) < 15
    assert [(r.state.value, r.operator, r.note) for r in reviews(store, finding_id)] == [
        ("confirmed", "olga", "team sees a person waving")]
    assert [(r.state.value, r.operator, r.note) for r in reviews(store, false_id)] == [
        ("dismissed", "olga", "a sheep by the well")]  # the audit log: who, and why
    assert [m.launched_by for m in _missions(store)] == ["olga", "olga"]
    assert outside == []  # nothing from the internet
    assert not script_errors, script_errors
    for shot in ("console-two-drones.png", "console.png"):
        assert (artifacts / shot).stat().st_size > 10_000


def _wait(page, function: str, arg: object, timeout_ms: float) -> None:
    """Wait for a page function; on a timeout, say what the drones' list showed."""
    from playwright.sync_api import TimeoutError as PageTimeout

    try:
        page.wait_for_function(function, arg=arg, timeout=timeout_ms)
    except PageTimeout:
        pytest.fail(f"waited {timeout_ms / 1000:.0f} s for {function!r}; the drones: "
                    f"{page.locator('#drones').inner_text()!r}; problem: "
                    f"{page.locator('#problem').inner_text()!r}")


def _plan_and_launch(page, item, radius_m: str, expect) -> None:
    """Plan the alarm in the form (expanding square) and launch it on the drone's item."""
    page.fill("#alarm-radius", radius_m)
    page.select_option("#alarm-pattern", "expanding-square")
    page.click("#alarm-plan")
    expect(page.locator("#plan")).to_contain_text(f"radius {radius_m} m", timeout=60_000)
    expect(page.locator("#plan-summary")).to_contain_text("expanding-square")
    drone_id = item.get_attribute("data-drone")
    item.locator("button.launch").click()
    expect(item).not_to_have_attribute("data-mission", "", timeout=10_000)
    expect(page.locator(f"path.route-{drone_id}")).to_have_count(1, timeout=10_000)


def _decide(page, finding_id: int, state: str, note: str, expect) -> None:
    """Wait for the finding on the page (live), then confirm or dismiss it with a note."""
    row = page.locator(f'li.finding[data-finding="{finding_id}"]')
    expect(row).to_have_attribute("data-review", "new", timeout=30_000)
    row.locator("input").fill(note)
    row.locator(f'button[data-next="{state}"]').click()
    expect(row).to_have_attribute("data-review", state, timeout=10_000)
    expect(row).to_contain_text(f"{state} by olga")


def _missions(store):
    from dronewatch.store.models import Mission

    return [Mission(*row) for row in store._db.execute(
        "SELECT id, kind, name, launched_by, reason, created_unix_s, plan_json FROM missions")]
