"""Folium maps an operator reads at a glance: the area, its zones and its launch sites.

Why folium: it writes one self-contained HTML file that any browser at the station
opens. The shaded relief of our own DEM is always the base, so the map works with no
internet; online tiles are only an extra layer. A mission's layers (route, track,
findings) are drawn on this base by :mod:`dronewatch.map.mission`.
"""

from __future__ import annotations

import html as _html
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from os import PathLike
from pathlib import Path

import folium

from dronewatch.map._hillshade import relief_image
from dronewatch.map.assets import inline
from dronewatch.zones import Zone, ZoneKind, ZoneSet

__all__ = ["ZONE_STYLES", "LegendEntry", "SavedMap", "Swatch", "area_map", "base_map",
           "save_map", "write_area_map"]

#: Colour and label of each zone kind, used on the map and in its legend.
ZONE_STYLES: dict[ZoneKind, tuple[str, str]] = {
    ZoneKind.OPERATING_AREA: ("#1f2937", "Operating area"),
    ZoneKind.NO_FLY: ("#dc2626", "No-fly zone"),
    ZoneKind.COMBUSTION_HAZARD: ("#ea580c", "Spontaneous-combustion hazard"),
    ZoneKind.DISCHARGE_FORBIDDEN: ("#9333ea", "Forbidden discharge area"),
    ZoneKind.RESCUE_PRONE: ("#0891b2", "Rescue-prone Gobi"),
    ZoneKind.KEY_SITE: ("#2563eb", "Key company site"),
    ZoneKind.PATROL_AREA: ("#16a34a", "Patrol area"),
    ZoneKind.LAUNCH_SITE: ("#111827", "Launch sites (station and posts)"),
}

# Labels drawn on the map itself: dark text on a white halo reads on relief and on zones.
_LABEL_CSS = """<style>
.dronewatch-label{font:600 11px sans-serif;color:#111827;white-space:nowrap;
 text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;pointer-events:none}
.dronewatch-zone-label{display:inline-block;transform:translate(-50%,-50%);text-align:center}
.leaflet-tooltip.dronewatch-site-label{font:600 11px sans-serif;padding:1px 4px}
</style>"""


class Swatch(Enum):
    """How a legend entry is drawn: like the thing it explains on the map."""

    BOX = "box"  # a zone's fill
    LINE = "line"  # a solid line (the flown track)
    DASHED = "dashed"  # a dashed line (the planned route)
    DOT = "dot"  # a pin or an accuracy circle


@dataclass(frozen=True, slots=True)
class LegendEntry:
    """One row of the legend."""

    colour: str
    label: str
    swatch: Swatch = Swatch.BOX


def _swatch_html(entry: LegendEntry) -> str:
    base = "display:inline-block;margin-right:6px;vertical-align:middle;"
    if entry.swatch is Swatch.LINE:
        return f"<span style='{base}width:18px;border-top:3px solid {entry.colour}'></span>"
    if entry.swatch is Swatch.DASHED:
        return f"<span style='{base}width:18px;border-top:2px dashed {entry.colour}'></span>"
    if entry.swatch is Swatch.DOT:
        return (f"<span style='{base}width:12px;height:12px;border-radius:50%;"
                f"background:{entry.colour};opacity:.8'></span>")
    return (f"<span style='{base}width:12px;height:12px;background:{entry.colour};"
            "opacity:.8'></span>")


def _legend_html(mission: Sequence[LegendEntry]) -> str:
    """The zones always, and the mission's own layers under them when it has any."""
    def rows(entries: Sequence[LegendEntry]) -> str:
        return "".join(f"<div>{_swatch_html(e)}{_html.escape(e.label)}</div>" for e in entries)
    zones = rows([LegendEntry(colour, label) for colour, label in ZONE_STYLES.values()])
    section = f"<b>Mission</b>{rows(mission)}" if mission else ""
    return (
        "<div id='dronewatch-legend' style='position:fixed;bottom:30px;right:10px;z-index:9999;"
        "background:white;padding:8px 10px;border:1px solid #999;border-radius:4px;"
        f"font:12px sans-serif'>{section}<b>Zones</b>{zones}</div>"
    )


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


def _zone_names(zones: ZoneSet) -> folium.FeatureGroup:
    """Each zone's name written on it, so an operator reads the area without hovering.

    The operating area's outline needs no label (it is the whole map) and the launch
    sites carry their own; the layer can be switched off where names crowd.
    """
    group = folium.FeatureGroup(name="Zone names")
    for zone in zones:
        if zone.kind in (ZoneKind.OPERATING_AREA, ZoneKind.LAUNCH_SITE):
            continue
        where = zone.geometry.representative_point()  # inside the zone, even a crescent
        folium.Marker([where.y, where.x], icon=folium.DivIcon(
            html=(f"<div class='dronewatch-label dronewatch-zone-label'>"
                  f"{_html.escape(zone.name)}</div>"),
            icon_size=(0, 0), class_name="dronewatch-zone-name")).add_to(group)
    return group


def area_map(zones: ZoneSet, dem_path: str | PathLike[str]) -> folium.Map:
    """A map of the operating area: relief, zones by kind with popups and their names,
    launch sites."""
    fmap = base_map(zones, dem_path)
    _zone_names(zones).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def base_map(zones: ZoneSet, dem_path: str | PathLike[str], *,
             view: tuple[tuple[float, float], tuple[float, float]] | None = None,
             legend: Sequence[LegendEntry] = ()) -> folium.Map:
    """Relief, zones and launch sites, without the layer control (added last).

    The map opens on ``view`` ((south, west), (north, east)) or else the whole area;
    ``legend`` lists the layers a mission adds, above the zones.
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
                # Its own name always shown: a team sent "to the north post" must find it.
                folium.Marker(
                    [zone.geometry.y, zone.geometry.x],
                    tooltip=folium.Tooltip(_html.escape(zone.name), permanent=True,
                                           direction="right", offset=[12, -18], sticky=False,
                                           className="dronewatch-site-label"),
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
    fmap.get_root().header.add_child(folium.Element(_LABEL_CSS))
    fmap.get_root().html.add_child(folium.Element(_legend_html(legend)))
    if view is None:
        fmap.fit_bounds([[south, west], [north, east]])
    else:
        fmap.fit_bounds([list(view[0]), list(view[1])], padding=(30, 30))
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
