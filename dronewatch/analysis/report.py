"""The weekly report: one self-contained HTML file for the Monday meeting.

Why one file with everything inside (map scripts inlined, charts as PNG data): it is
mailed to the companies and offices and opened on PCs with no internet. Every number
in it is read from the store (:mod:`dronewatch.store.tallies`); nothing is typed in.
"""

from __future__ import annotations

import base64
import html
import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import folium
import matplotlib
import numpy as np
import shapely

from dronewatch.analysis import STATION_TZ
from dronewatch.analysis.areas import AreaTrend, HighIncidenceArea, compare_windows, find_areas
from dronewatch.analysis.warnings import forwardable, publish_warnings
from dronewatch.map import inline
from dronewatch.store import Store
from dronewatch.store.cases import Case, CaseKind, CaseStatus, cases
from dronewatch.store.tallies import WeekTally, places, week_tally
from dronewatch.store.warnings import PublishedWarning, published
from dronewatch.zones import ZoneKind, ZoneSet

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the file-only backend
from matplotlib.ticker import MaxNLocator

__all__ = ["WEEK_S", "WeekReport", "print_pdf", "write_week_report"]

WEEK_S = 7 * 86_400.0
HAZARD_KINDS = (CaseKind.COAL_SELF_IGNITION.value, CaseKind.ILLEGAL_DISCHARGE.value)
CHART_WEEKS = 8
MAP_POINTS_MAX = 2000  # the week's findings drawn; the rest are in the counts
_TREND_COLOUR = {AreaTrend.NEW: "#d7301f", AreaTrend.GROWING: "#fc8d59",
                 AreaTrend.STEADY: "#737373", AreaTrend.FADING: "#74a9cf"}
_CHART_ZONES = (ZoneKind.PATROL_AREA, ZoneKind.COMBUSTION_HAZARD, ZoneKind.DISCHARGE_FORBIDDEN)


@dataclass(frozen=True, slots=True)
class WeekReport:
    path: Path
    since_unix_s: float
    tally: WeekTally
    areas: tuple[HighIncidenceArea, ...]
    open_cases: tuple[Case, ...]


def _day(unix_s: float) -> str:
    """A date on the station's calendar (the meeting's weeks are the station's)."""
    return datetime.fromtimestamp(unix_s, STATION_TZ).strftime("%Y-%m-%d")


def write_week_report(store: Store, since_unix_s: float, out_path: Path, *,
                      zones: ZoneSet | None = None, now_unix_s: float | None = None
                      ) -> WeekReport:
    """Analyse the week from ``since_unix_s``, publish its warnings, write the HTML."""
    until = since_unix_s + WEEK_S
    now = datetime.now(UTC).timestamp() if now_unix_s is None else now_unix_s
    week = places(store, since_unix_s, until)
    areas = compare_windows(find_areas(week),
                            find_areas(places(store, since_unix_s - WEEK_S, since_unix_s)))
    publish_warnings(store, areas, since_unix_s, min(now, until - 1.0))
    tally = week_tally(store, since_unix_s, until, HAZARD_KINDS)
    open_cases = tuple(sorted(
        cases(store, statuses=(CaseStatus.OPEN, CaseStatus.ASSIGNED, CaseStatus.RECTIFIED)),
        key=lambda c: (c.owner or "~", c.due_unix_s or float("inf"), c.id)))
    parts = [
        f"<h1>Week of {_day(since_unix_s)} to {_day(until - 1)}</h1>",
        _summary(tally, len([a for a in areas if a.count])),
        "<h2>Map of the week</h2>",
        _map(week, areas, open_cases, published(store, since_unix_s, until), zones),
        "<h2>High-incidence areas</h2>", _areas_table(areas),
        "<h2>Warnings published</h2>", _warnings(store, since_unix_s, until),
        "<h2>Open cases by owner and due date</h2>", _cases_table(open_cases, until),
    ]
    if zones is not None:
        parts += ["<h2>Per zone, last weeks</h2>", _charts(store, zones, since_unix_s)]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(_page(f"dronewatch week {_day(since_unix_s)}", "\n".join(parts)),
                        encoding="utf-8")
    return WeekReport(out_path, since_unix_s, tally, tuple(areas), open_cases)


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            "</title><style>body{font-family:sans-serif;margin:2em;max-width:70em}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em}"
            "td.n{text-align:right}.overdue{color:#b00}</style></head><body>"
            f"{body}</body></html>")


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table class='{cls}'><tr>{head}</tr>{body}</table>"


def _summary(t: WeekTally, areas: int) -> str:
    rows = [("flights", str(t.flights)), ("flight hours", f"{t.flight_hours:.1f}"),
            ("area covered, km² (each flight's, summed)", f"{t.area_covered_km2:.2f}"),
            ("persons found", str(t.persons_found)), ("hotspots found", str(t.hotspots_found)),
            ("hazard cases opened", str(t.hazards_found)),
            ("hazards rectified", str(t.hazards_rectified)),
            ("hazards verified", str(t.hazards_verified)),
            ("hazards overdue (end of week)", str(t.hazards_overdue)),
            ("leads reported (not from a drone)", str(t.leads)),
            ("warnings published", str(t.warnings)), ("high-incidence areas", str(areas))]
    return _table(("", "this week"), rows, "summary")


def _areas_table(areas: list[HighIncidenceArea]) -> str:
    return _table(("rank", "centre", "radius m", "incidents", "week before", "trend"),
                  [(str(a.rank), f"{a.lat_deg:.5f}, {a.lon_deg:.5f}", f"{a.radius_m:.0f}",
                    str(a.count), str(a.previous_count), a.trend.value) for a in areas])


def _warnings(store: Store, since: float, until: float) -> str:
    items = "".join(f"<li>{html.escape(forwardable(w))}</li>"
                    for w in published(store, since, until))
    return f"<ul class='warnings'>{items}</ul>" if items else "<p>none</p>"


def _cases_table(open_cases: tuple[Case, ...], until: float) -> str:
    rows = [(c.owner or "(unassigned)", _day(c.due_unix_s - 1) if c.due_unix_s else "-",
             f"#{c.id}", c.kind.value, c.status.value, f"{c.lat_deg:.5f}, {c.lon_deg:.5f}",
             "overdue" if c.overdue(until) else "") for c in open_cases]
    return _table(("owner", "due", "case", "kind", "status", "place", ""), rows, "cases")


def _map(week: list, areas: list[HighIncidenceArea], open_cases: tuple[Case, ...],
         warnings: list[PublishedWarning], zones: ZoneSet | None) -> str:
    lats = [p.lat_deg for p in week] + [c.lat_deg for c in open_cases] or [44.8]
    lons = [p.lon_deg for p in week] + [c.lon_deg for c in open_cases] or [88.7]
    fmap = folium.Map(location=[float(np.median(lats)), float(np.median(lons))],
                      zoom_start=11, tiles=None, control_scale=True)
    outlines = folium.FeatureGroup(name="zones").add_to(fmap)
    for zone in (z for z in zones or () if z.kind in _CHART_ZONES):
        folium.GeoJson(shapely.geometry.mapping(zone.geometry), tooltip=zone.name,
                       style_function=lambda _: {"color": "#555", "weight": 1,
                                                 "fillOpacity": 0.05}).add_to(outlines)
    findings = folium.FeatureGroup(name="findings of the week").add_to(fmap)
    for p in week[:MAP_POINTS_MAX]:
        folium.CircleMarker([p.lat_deg, p.lon_deg], radius=2, color="#444", weight=1,
                            fill=True, tooltip=p.source).add_to(findings)
    layer = folium.FeatureGroup(name="high-incidence areas").add_to(fmap)
    biggest = max((a.count for a in areas), default=1) or 1
    for a in areas:  # drawn big enough to see at district scale, sized by incidents
        tip = f"area #{a.rank}: {a.count} incidents, {a.trend} (radius {a.radius_m:.0f} m)"
        folium.Circle([a.lat_deg, a.lon_deg], radius=max(a.radius_m, 50.0),
                      color=_TREND_COLOUR[a.trend], fill=True, fill_opacity=0.25,
                      tooltip=tip).add_to(layer)
        folium.CircleMarker([a.lat_deg, a.lon_deg], radius=8 + 12 * a.count / biggest,
                            color=_TREND_COLOUR[a.trend], weight=3, fill=False,
                            tooltip=tip).add_to(layer)
    marks = folium.FeatureGroup(name="open cases").add_to(fmap)
    for c in open_cases:
        folium.CircleMarker([c.lat_deg, c.lon_deg], radius=6, color="#b00", fill=True,
                            tooltip=f"case #{c.id} {c.kind} ({c.status})").add_to(marks)
    warned = folium.FeatureGroup(name="warnings").add_to(fmap)
    for w in (w for w in warnings if w.lat_deg is not None):
        # a plain DivIcon: core Leaflet only (marker plugins would load from a CDN)
        folium.Marker([w.lat_deg, w.lon_deg], tooltip=w.text, icon=folium.DivIcon(
            html="<div style='font-size:20px;color:#e6550d'>&#9888;</div>",
            class_name="dronewatch-warning")).add_to(warned)
    if lats and lons:
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    folium.LayerControl().add_to(fmap)
    page, _ = inline(fmap.get_root().render())
    return (f"<iframe class='map' style='width:100%;height:32em;border:0' "
            f"srcdoc=\"{html.escape(page, quote=True)}\"></iframe>")


def _charts(store: Store, zones: ZoneSet, since: float) -> str:
    """Incidents per week in each watched zone, the last ``CHART_WEEKS`` weeks."""
    start = since - (CHART_WEEKS - 1) * WEEK_S
    pts = places(store, start, since + WEEK_S)
    lon = np.array([p.lon_deg for p in pts])
    lat = np.array([p.lat_deg for p in pts])
    week_of = (np.array([p.time_unix_s for p in pts]) - start) // WEEK_S
    images = []
    for zone in (z for z in zones if z.kind in _CHART_ZONES):
        inside = shapely.contains_xy(zone.geometry, lon, lat) if len(pts) else np.array([])
        counts = np.bincount(week_of[inside].astype(int), minlength=CHART_WEEKS)[:CHART_WEEKS]
        fig, ax = plt.subplots(figsize=(4, 2), dpi=80)
        ax.bar(range(CHART_WEEKS), counts, color="#fc8d59")
        ax.set_ylim(0, max(1, int(counts.max())) * 1.1)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(zone.name, fontsize=9)
        ax.set_xticks(range(CHART_WEEKS), [_day(start + i * WEEK_S)[5:]
                                           for i in range(CHART_WEEKS)], fontsize=6)
        ax.tick_params(axis="y", labelsize=7)
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png")
        plt.close(fig)
        images.append(f"<img alt='{html.escape(zone.name)}' src='data:image/png;base64,"
                      f"{base64.b64encode(buf.getvalue()).decode()}'>")
    return "<div class='charts'>" + "".join(images) + "</div>"


def print_pdf(html_path: Path, timeout_s: float = 120.0) -> Path | None:
    """The report printed to PDF beside it by headless Chromium, or None when there is no
    Chromium (the HTML is the report; the PDF is for those who print it).

    Why Chromium: it draws the map and charts exactly as the HTML shows them, with no
    network (every host resolves to nothing), and it is what the station already has.
    """
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return None
    pdf = html_path.with_suffix(".pdf")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND",
                        "--virtual-time-budget=4000", f"--user-data-dir={profile}",
                        "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                        html_path.resolve().as_uri()],
                       capture_output=True, timeout=timeout_s, check=False)
    return pdf if pdf.is_file() and pdf.stat().st_size > 0 else None
