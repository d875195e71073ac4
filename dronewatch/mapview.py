"""Folium maps an operator reads at a glance: the area, its zones and (later) findings.

Why folium: it writes one self-contained HTML file that any browser at the station
opens. The shaded relief of our own DEM is always the base, so the map works with no
internet; online tiles are only an extra layer.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import folium

from dronewatch._hillshade import relief_image
from dronewatch.zones import Zone, ZoneKind, ZoneSet

__all__ = ["ZONE_STYLES", "area_map", "write_area_map"]

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
    west, south, east, north = zones.operating_area.geometry.bounds
    fmap = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=10,
        tiles=None,
        control_scale=True,
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
                    icon=folium.Icon(color="black", icon="home"),
                ).add_to(group)
                continue
            folium.GeoJson(
                zone.geometry.__geo_interface__,
                style_function=lambda _, z=zone: _zone_style(z),
                tooltip=f"{zone.name} ({ZONE_STYLES[zone.kind][1]})",
                popup=folium.Popup(_popup_html(zone), max_width=320),
            ).add_to(group)
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.get_root().html.add_child(folium.Element(_legend_html()))
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def write_area_map(
    zones: ZoneSet, dem_path: str | PathLike[str], out_path: str | PathLike[str]
) -> Path:
    """Render :func:`area_map` to one HTML file and return its path."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    area_map(zones, dem_path).save(str(out))
    return out
