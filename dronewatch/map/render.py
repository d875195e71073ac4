"""Folium maps an operator reads at a glance: the area, its zones and (later) findings.

Why folium: it writes one self-contained HTML file that any browser at the station
opens. The shaded relief of our own DEM is always the base, so the map works with no
internet; online tiles are only an extra layer.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path

import folium
from folium.plugins import HeatMap, MarkerCluster

from dronewatch.map._hillshade import relief_image
from dronewatch.map.assets import inline
from dronewatch.store.models import Finding, FindingKind, FindingStatus
from dronewatch.zones import Zone, ZoneKind, ZoneSet

__all__ = ["ZONE_STYLES", "SavedMap", "area_map", "mission_map", "save_map", "write_area_map"]

#: Colour and label of each zone kind, used on the map and in its legend.
ZONE_STYLES: dict[ZoneKind, tuple[str, str]] = {
    ZoneKind.OPERATING_AREA: ("#1f2937", "Operating area"),
    ZoneKind.NO_FLY: ("#dc2626", "No-fly zone"),
    ZoneKind.COMBUSTION_HAZARD: ("#ea580c", "Spontaneous-combustion hazard"),
    ZoneKind.DISCHARGE_FORBIDDEN: ("#9333ea", "Forbidden discharge area"),
    ZoneKind.RESCUE_PRONE: ("#0891b2", "Rescue-prone Gobi"),
    ZoneKind.KEY_SITE: ("#2563eb", "Key company site"),
    ZoneKind.PATROL_AREA: ("#16a34a", "Patrol area"),
    ZoneKind.LAUNCH_SITE: ("#111827", "Launch site (police station)"),
}


def _zone_style(zone: Zone) -> dict[str, object]:
    colour = ZONE_STYLES[zone.kind][0]
    if zone.kind is ZoneKind.OPERATING_AREA:
        return {"color": colour, "weight": 3, "fillOpacity": 0.0, "dashArray": "8 6"}
    if zone.kind is ZoneKind.NO_FLY:
        return {"color": colour, "weight": 2, "fillColor": colour, "fillOpacity": 0.35}
    return {"color": colour, "weight": 2, "fillColor": colour, "fillOpacity": 0.15}


def _popup_html(zone: Zone) -> str:
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:8px'>{k}</th><td>{v}</td></tr>"
        for k, v in zone.properties.items()
        if k not in ("name",)
    )
    return f"<b>{zone.name}</b><table>{rows}</table>"


def _legend_html() -> str:
    items = "".join(
        f"<div><span style='display:inline-block;width:12px;height:12px;margin-right:6px;"
        f"background:{colour};opacity:.8'></span>{label}</div>"
        for colour, label in ZONE_STYLES.values()
    )
    return (
        "<div id='dronewatch-legend' style='position:fixed;bottom:30px;right:10px;z-index:9999;"
        "background:white;padding:8px 10px;border:1px solid #999;border-radius:4px;"
        f"font:12px sans-serif'><b>Zones</b>{items}</div>"
    )


def area_map(zones: ZoneSet, dem_path: str | PathLike[str]) -> folium.Map:
    """A map of the operating area: relief, zones by kind with popups, launch sites."""
    fmap = _base_map(zones, dem_path)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def _base_map(zones: ZoneSet, dem_path: str | PathLike[str], *,
              view: tuple[tuple[float, float], tuple[float, float]] | None = None) -> folium.Map:
    """Relief, zones and launch sites, without the layer control (added last).

    The map opens on ``view`` ((south, west), (north, east)) or else the whole area.
    """
    west, south, east, north = zones.operating_area.geometry.bounds
    fmap = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=10,
        tiles=None,
        control_scale=True,
        maxZoom=19,  # no tile layer is shown at first to set it, and clustering needs one
    )
    folium.TileLayer("OpenStreetMap", name="Online map (needs internet)", show=False).add_to(fmap)
    relief = relief_image(dem_path)
    folium.raster_layers.ImageOverlay(
        relief.rgba,
        bounds=[[relief.south_deg, relief.west_deg], [relief.north_deg, relief.east_deg]],
        name="Terrain relief (offline, from our DEM)",
        pixelated=False,
    ).add_to(fmap)
    for kind, (_, label) in ZONE_STYLES.items():
        members = zones.of_kind(kind)
        if not members:
            continue
        group = folium.FeatureGroup(name=label)
        for zone in members:
            if kind is ZoneKind.LAUNCH_SITE:
                folium.Marker(
                    [zone.geometry.y, zone.geometry.x],
                    tooltip=zone.name,
                    popup=folium.Popup(_popup_html(zone), max_width=320),
                    icon=folium.Icon(color="black", icon="house", prefix="fa"),
                ).add_to(group)
                continue
            folium.GeoJson(
                zone.geometry.__geo_interface__,
                style_function=lambda _, z=zone: _zone_style(z),
                tooltip=f"{zone.name} ({ZONE_STYLES[zone.kind][1]})",
                popup=folium.Popup(_popup_html(zone), max_width=320),
            ).add_to(group)
        group.add_to(fmap)
    fmap.get_root().html.add_child(folium.Element(_legend_html()))
    if view is None:
        fmap.fit_bounds([[south, west], [north, east]])
    else:
        fmap.fit_bounds([list(view[0]), list(view[1])], padding=(30, 30))
    return fmap


def _finding_popup(f: Finding) -> str:
    rows = [("Found", _utc(f.first_seen_unix_s)), ("Last seen", _utc(f.last_seen_unix_s)),
            ("Position", f"{f.lat_deg:.6f}, {f.lon_deg:.6f}"),
            ("Accuracy", f"± {f.accuracy_m:.1f} m"), ("Confidence", f"{f.confidence:.0%}"),
            ("Seen", f"{f.evidence_count} times")]
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


def _utc(unix_s: float) -> str:
    return datetime.fromtimestamp(unix_s, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def mission_map(zones: ZoneSet, dem_path: str | PathLike[str], *,
                findings: Sequence[Finding] = (),
                planned: Sequence[tuple[float, float]] = (),
                flown: Sequence[tuple[float, float]] = (),
                hotspot_history: Sequence[Finding] = ()) -> folium.Map:
    """The area map plus a mission: planned route, flown track, findings with popups and
    accuracy circles (clustered when many), and a heat layer of hotspots across patrols."""
    points = [*planned, *flown, *((f.lat_deg, f.lon_deg) for f in findings)]
    view = None
    if points:  # open on the mission, not on the whole district
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        view = ((min(lats), min(lons)), (max(lats), max(lons)))
    fmap = _base_map(zones, dem_path, view=view)
    if planned:
        folium.PolyLine(list(planned), color="#2563eb", weight=2, dash_array="6 4",
                        tooltip="Planned route").add_to(
            folium.FeatureGroup(name="Planned route").add_to(fmap))
    if flown:
        folium.PolyLine(list(flown), color="#111827", weight=3,
                        tooltip="Flown track").add_to(
            folium.FeatureGroup(name="Flown track").add_to(fmap))
    for label, colour, icon, members in _finding_layers(findings):
        if not members:
            continue
        group = folium.FeatureGroup(name=f"{label} ({len(members)})")
        cluster = MarkerCluster(disableClusteringAtZoom=16).add_to(group)
        for f in members:
            folium.Marker([f.lat_deg, f.lon_deg], tooltip=f"{label.lower()} #{f.id}",
                          popup=folium.Popup(_finding_popup(f), max_width=360),
                          icon=folium.Icon(color=colour, icon=icon, prefix="fa")).add_to(cluster)
            folium.Circle([f.lat_deg, f.lon_deg], radius=f.accuracy_m, color=colour,
                          weight=1, fill=True, fill_opacity=0.15).add_to(group)
        group.add_to(fmap)
    heat = [[f.lat_deg, f.lon_deg, f.peak_temp_c or 0.0] for f in hotspot_history
            if f.kind is FindingKind.HOTSPOT]
    if heat:
        peak = max(h[2] for h in heat) or 1.0
        HeatMap([[a, b, t / peak] for a, b, t in heat], name="Hotspots across patrols",
                radius=18).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


@dataclass(frozen=True, slots=True)
class SavedMap:
    """A written map file; ``online_links`` are scripts it still loads from the internet
    (none once ``dronewatch map assets`` has fetched them)."""

    path: Path
    online_links: tuple[str, ...]

    @property
    def offline(self) -> bool:
        return not self.online_links


def save_map(fmap: folium.Map, out_path: str | PathLike[str]) -> SavedMap:
    """Write one self-contained HTML file: scripts, styles, icons and fonts inside it.

    The file is written whole and then renamed into place, so a map being watched
    (a live mission map reloaded by a browser) is never seen half written.
    """
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    html, left = inline(fmap.get_root().render())
    partial = out.with_name(f".{out.name}.partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(out)
    return SavedMap(out, tuple(left))


def write_area_map(
    zones: ZoneSet, dem_path: str | PathLike[str], out_path: str | PathLike[str]
) -> SavedMap:
    """Render :func:`area_map` to one HTML file."""
    return save_map(area_map(zones, dem_path), out_path)
