"""A mission on the area map: planned route, flown track, findings and hotspot history.

Why apart from :mod:`dronewatch.map.render`: the area map is the station's fixed
ground; a mission adds what one flight planned, flew and found, with the popups and
legend a team reads in the field. Times are shown on the station's clock with UTC
beside, because the team reads its watches while logs and autopilots read UTC.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from os import PathLike
from zoneinfo import ZoneInfo

import folium
from folium.plugins import HeatMap, MarkerCluster

from dronewatch.config import DEFAULT_TIMEZONE
from dronewatch.map.render import LegendEntry, Swatch, base_map
from dronewatch.store.models import Finding, FindingKind, FindingStatus
from dronewatch.zones import ZoneSet

__all__ = ["ACCURACY_FLOOR_PX", "STATION_ZONE", "mission_map"]

#: The smallest on-screen radius of an accuracy circle: a finding 2 m across is a
#: fraction of a pixel at district zoom, and the team must still see where it is.
ACCURACY_FLOOR_PX = 6
ROUTE_COLOUR, TRACK_COLOUR = "#2563eb", "#111827"
# Leaflet awesome-marker colour names and the hex the legend shows for them.
STATION_ZONE = ZoneInfo(DEFAULT_TIMEZONE)  # for callers that have no settings at hand
_PIN_HEX = {"red": "#d63e2a", "purple": "#d252b9", "orange": "#f69730", "blue": "#38aadd"}


def _when(unix_s: float, zone: tzinfo) -> str:
    """Station time first, with its zone named, and UTC beside (dated when the day differs)."""
    utc = datetime.fromtimestamp(unix_s, UTC)
    local = utc.astimezone(zone)
    name = getattr(zone, "key", None) or local.tzname()
    utc_text = f"{utc:%H:%M:%S}" if utc.date() == local.date() else f"{utc:%Y-%m-%d %H:%M:%S}"
    return f"{local:%Y-%m-%d %H:%M:%S} {name} ({utc_text} UTC)"


def _times(n: int) -> str:
    return f"{n} time" if n == 1 else f"{n} times"


def _finding_popup(f: Finding, zone: tzinfo) -> str:
    rows = [("Found", _when(f.first_seen_unix_s, zone)),
            ("Last seen", _when(f.last_seen_unix_s, zone)),
            ("Position", f"{f.lat_deg:.6f}, {f.lon_deg:.6f}"),
            ("Accuracy", f"± {f.accuracy_m:.1f} m"), ("Confidence", f"{f.confidence:.0%}"),
            ("Seen", _times(f.evidence_count))]
    if f.peak_temp_c is not None:
        rows.append(("Peak temperature", f"{f.peak_temp_c:.1f} °C"))
    if f.area_m2 is not None:
        rows.append(("Area", f"{f.area_m2:.0f} m²"))
    table = "".join(f"<tr><th style='text-align:left;padding-right:8px'>{k}</th><td>{v}</td>"
                    "</tr>" for k, v in rows)
    thumb = ""
    if f.thumbnail_png:
        data = base64.b64encode(f.thumbnail_png).decode()
        thumb = f"<img class='dronewatch-thumb' src='data:image/png;base64,{data}' width='160'>"
    title = f.kind.value.title() + (" (to check)" if f.status is FindingStatus.TO_CHECK else "")
    return f"<b>{title} #{f.id}</b><table>{table}</table>{thumb}"


def _finding_layers(findings: Sequence[Finding],
                    ) -> list[tuple[str, str, str, list[Finding]]]:
    """(layer name, marker colour, icon, members): persons that raised the alarm apart
    from candidates to check, so the team goes to the red pins first."""
    def of(kind: FindingKind, to_check: bool = False) -> list[Finding]:
        return [f for f in findings
                if f.kind is kind and (f.status is FindingStatus.TO_CHECK) == to_check]
    return [("Persons: alarm", "red", "user", of(FindingKind.PERSON)),
            ("Persons: to check", "purple", "question", of(FindingKind.PERSON, True)),
            ("Hotspots", "orange", "fire", of(FindingKind.HOTSPOT)),
            ("Vehicles", "blue", "car", of(FindingKind.VEHICLE))]


def _accuracy(f: Finding, colour: str) -> list[folium.Circle | folium.CircleMarker]:
    """The circle in metres, and a ring of :data:`ACCURACY_FLOOR_PX` pixels under it, so
    the place stays visible when zoomed out (where the metric circle shrinks to nothing
    and the pin is folded into a cluster)."""
    tip = f"accuracy ± {f.accuracy_m:.1f} m"
    return [folium.Circle([f.lat_deg, f.lon_deg], radius=f.accuracy_m, color=colour,
                          weight=1, fill=True, fill_opacity=0.15, tooltip=tip),
            folium.CircleMarker([f.lat_deg, f.lon_deg], radius=ACCURACY_FLOOR_PX, color=colour,
                                weight=2, fill=True, fill_opacity=0.35, tooltip=tip)]


def mission_map(zones: ZoneSet, dem_path: str | PathLike[str], *,
                findings: Sequence[Finding] = (),
                planned: Sequence[tuple[float, float]] = (),
                flown: Sequence[tuple[float, float]] = (),
                hotspot_history: Sequence[Finding] = (),
                time_zone: tzinfo = STATION_ZONE) -> folium.Map:
    """The area map plus a mission: planned route, flown track, findings with popups and
    accuracy circles (clustered when many), a heat layer of hotspots across patrols, and
    a legend of what is drawn. Popup times are in ``time_zone`` (the station's) and UTC."""
    points = [*planned, *flown, *((f.lat_deg, f.lon_deg) for f in findings)]
    view = None
    if points:  # open on the mission, not on the whole district
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        view = ((min(lats), min(lons)), (max(lats), max(lons)))
    layers = [layer for layer in _finding_layers(findings) if layer[3]]
    legend = [*([LegendEntry(ROUTE_COLOUR, "Planned route", Swatch.DASHED)] if planned else []),
              *([LegendEntry(TRACK_COLOUR, "Flown track", Swatch.LINE)] if flown else []),
              *(LegendEntry(_PIN_HEX[colour], f"{label} (ring: position accuracy)", Swatch.DOT)
                for label, colour, _, _ in layers)]
    fmap = base_map(zones, dem_path, view=view, legend=legend)
    if planned:
        folium.PolyLine(list(planned), color=ROUTE_COLOUR, weight=2, dash_array="6 4",
                        tooltip="Planned route").add_to(
            folium.FeatureGroup(name="Planned route").add_to(fmap))
    if flown:
        folium.PolyLine(list(flown), color=TRACK_COLOUR, weight=3,
                        tooltip="Flown track").add_to(
            folium.FeatureGroup(name="Flown track").add_to(fmap))
    for label, colour, icon, members in layers:
        group = folium.FeatureGroup(name=f"{label} ({len(members)})")
        cluster = MarkerCluster(disableClusteringAtZoom=16).add_to(group)
        for f in members:
            folium.Marker([f.lat_deg, f.lon_deg], tooltip=f"{label.lower()} #{f.id}",
                          popup=folium.Popup(_finding_popup(f, time_zone), max_width=360),
                          icon=folium.Icon(color=colour, icon=icon, prefix="fa")).add_to(cluster)
            for circle in _accuracy(f, _PIN_HEX[colour]):
                circle.add_to(group)
        group.add_to(fmap)
    heat = [[f.lat_deg, f.lon_deg, f.peak_temp_c or 0.0] for f in hotspot_history
            if f.kind is FindingKind.HOTSPOT]
    if heat:
        peak = max(h[2] for h in heat) or 1.0
        HeatMap([[a, b, t / peak] for a, b, t in heat], name="Hotspots across patrols",
                radius=18).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap
