"""Benchmark: how fast the console shows what happens, in the real browser.

    python -m tests.benchmarks.console [--json] [--drones N] [--findings K]

Starts N simulated drones (default 4) at the station's launch sites, the console on
uvicorn following them, and the system's headless Chromium logged in as an operator;
then stores K findings (default 20) at random moments and reports:

- ``finding_to_screen_ms_p95``: from ``add_finding`` returning to the page having drawn
  the finding (the store is polled every 0.2 s, so that is the floor's worst case);
- ``telemetry_to_screen_ms_p95``: from the server's snapshot of every drone's state to
  the page having drawn it; the snapshot itself lags the link by at most one poll
  (0.2 s) plus the vehicle's telemetry period, which this figure does not include.

Goals (issue 16): p95 <= 1000 ms finding-to-screen, <= 500 ms telemetry-to-screen.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.console import Fleet, Station, create_app
from dronewatch.console.auth import create_user
from dronewatch.geo import Terrain
from dronewatch.map.assets import assets_dir, fetch
from dronewatch.ops import plan_for_alarm
from dronewatch.store import Finding, FindingKind, FindingStatus, Store
from dronewatch.zones import load_zones
from tests.benchmarks._report import report
from tests.ops.rehearsal import drone, link

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "benchmark password"


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def _serve(station: Station) -> tuple[str, object, threading.Thread]:
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(station), host="127.0.0.1", port=port,
                                           log_level="warning", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}/", server, thread


def measure(drones: int, findings: int, folder: Path) -> dict[str, float]:
    from playwright.sync_api import expect, sync_playwright

    fetch()
    zones = load_zones(default_zones_path())
    sites = [zones.launch_sites[i % len(zones.launch_sites)] for i in range(drones)]
    with ExitStack() as stack:
        store = stack.enter_context(Store(folder / "store.sqlite"))
        terrain = stack.enter_context(Terrain(default_dem_path()))
        create_user(store, "olga", "operator", PASSWORD)
        sims = [stack.enter_context(drone(site)) for site in sites]
        fleet = stack.enter_context(Fleet([s.url for s in sims], link))
        station = Station(store, fleet, zones, default_zones_path(),
                          lambda r: plan_for_alarm(zones, terrain, r),
                          lambda *_: "not flown", assets_dir())
        url, server, thread = _serve(station)
        stack.callback(thread.join, 10)
        stack.callback(setattr, server, "should_exit", True)
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        stack.callback(browser.close)
        page = browser.new_page()
        page.goto(url)
        page.fill("#login-name", "olga")
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        expect(page.locator('li[data-connected="true"]')).to_have_count(drones,
                                                                         timeout=120_000)
        page.evaluate("() => { window.__telemetryLatencyMs = []; }")
        rng = random.Random(16)
        stored: dict[int, float] = {}
        for k in range(findings):
            time.sleep(rng.uniform(0.2, 0.8))
            site = rng.choice(sites)
            found = store.add_finding(Finding(
                FindingKind.PERSON, site.lat_deg + rng.uniform(-0.01, 0.01),
                site.lon_deg + rng.uniform(-0.01, 0.01), 4.0, 0.9, time.time(), time.time(),
                status=FindingStatus.ALARM, evidence_count=1 + k % 3))
            stored[found.id] = time.time() * 1000
        expect(page.locator("li[data-finding]")).to_have_count(findings, timeout=10_000)
        shown = page.evaluate("() => window.__findingShown")
        telemetry = page.evaluate("() => window.__telemetryLatencyMs")
    finding_ms = [shown[str(i)] - at for i, at in stored.items()]
    return {"finding_to_screen_ms_p95": round(_p95(finding_ms), 1),
            "telemetry_to_screen_ms_p95": round(_p95(telemetry), 1), "drones": drones,
            "findings": findings, "telemetry_events": len(telemetry),
            "finding_to_screen_ms_max": round(max(finding_ms), 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--drones", type=int, default=4)
    parser.add_argument("--findings", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        figures = measure(args.drones, args.findings, Path(folder))
    rows = [(k, str(v)) for k, v in figures.items()]
    report("console: what happens, to the screen", rows,
           {k: figures[k] for k in ("finding_to_screen_ms_p95", "telemetry_to_screen_ms_p95",
                                    "drones")}, as_json=args.json)


if __name__ == "__main__":
    main()
