"""The zone file format: which kinds exist, what each must carry, and the checks.

Why apart from the model: the rules of the file (properties per kind, ring closure,
CRS handling, cross-feature rules) are long and change with the format, while the
model and its queries in :mod:`dronewatch.zones` stay small. Every defect is reported
at once with the feature id and field at fault.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from dronewatch.errors import ZoneProblem

__all__ = ["ParsedZone", "ZoneKind", "check_zone_set", "crs_transformer", "parse_feature"]

Complaint = Callable[[str, str], None]


class ZoneKind(StrEnum):
    """What a zone is for; the value is the ``kind`` property in the file."""

    OPERATING_AREA = "operating_area"
    NO_FLY = "no_fly"
    COMBUSTION_HAZARD = "combustion_hazard"
    DISCHARGE_FORBIDDEN = "discharge_forbidden"
    RESCUE_PRONE = "rescue_prone"
    KEY_SITE = "key_site"
    PATROL_AREA = "patrol_area"
    LAUNCH_SITE = "launch_site"


@dataclass(frozen=True, slots=True)
class _Prop:
    """One kind-specific property: its JSON type and allowed range."""

    name: str
    type: type
    minimum: float | None = None
    maximum: float | None = None


_PRIORITY = _Prop("patrol_priority", int, 1, 5)
_MIN_ALT = _Prop("min_alt_agl_m", float, 10, 500)
_REQUIRED: dict[ZoneKind, tuple[_Prop, ...]] = {
    ZoneKind.OPERATING_AREA: (_Prop("max_alt_agl_m", float, 10, 500),),
    ZoneKind.NO_FLY: (_Prop("reason", str),),
    ZoneKind.COMBUSTION_HAZARD: (_PRIORITY, _Prop("hotspot_threshold_c", float, 0, 1000)),
    ZoneKind.DISCHARGE_FORBIDDEN: (_PRIORITY, _Prop("operator", str)),
    ZoneKind.RESCUE_PRONE: (_PRIORITY, _MIN_ALT),
    ZoneKind.KEY_SITE: (_PRIORITY, _Prop("company", str)),
    ZoneKind.PATROL_AREA: (_PRIORITY, _MIN_ALT, _Prop("max_alt_agl_m", float, 10, 500)),
    ZoneKind.LAUNCH_SITE: (
        _Prop("home_alt_amsl_m", float, -500, 9000),
        _Prop("heading_deg", float, 0, 360),
    ),
}
_POINT_KINDS = {ZoneKind.LAUNCH_SITE}
_MAY_CROSS_BOUNDARY = {ZoneKind.NO_FLY}  # a no-fly zone may straddle the border, it is harmless
_BOUNDARY_TOLERANCE_DEG = 1e-7  # about 1 cm: coordinates are stored to 7 decimals
_MAX_LAT_DEG = 85.0  # the local metric frame's limit; beyond it a file has lat/lon swapped


@dataclass(frozen=True, slots=True)
class ParsedZone:
    """A feature that passed every check of its own."""

    id: str
    name: str
    kind: ZoneKind
    geometry: shapely.Geometry
    properties: Mapping[str, Any]


def crs_transformer(crs_member: Any, problems: list[ZoneProblem]) -> Transformer | None:
    """A transformer to WGS84 for a legacy GeoJSON ``crs`` member, None when already WGS84."""
    if crs_member is None:
        return None
    name = crs_member.get("properties", {}).get("name") if isinstance(crs_member, dict) else None
    if not isinstance(name, str):
        problems.append(ZoneProblem(None, "crs", "expected {'type': 'name', 'properties': "
                                    "{'name': 'EPSG:...'}}"))
        return None
    try:
        crs = CRS.from_user_input(name)
    except CRSError:
        problems.append(ZoneProblem(None, "crs", f"unknown CRS {name!r}"))
        return None
    if crs.is_geographic and crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return None  # GeoJSON's lon/lat order whatever the axis order of EPSG:4326 says
    return Transformer.from_crs(crs, 4326, always_xy=True)


def parse_feature(
    index: int,
    feature: Any,
    to_wgs84: Transformer | None,
    seen: set[str],
    problems: list[ZoneProblem],
) -> ParsedZone | None:
    """Check one feature; add its problems and return a Zone only when it has none."""
    before = len(problems)
    props = feature.get("properties") if isinstance(feature, dict) else None
    raw_id = props.get("id") if isinstance(props, dict) else None
    label = raw_id if isinstance(raw_id, str) and raw_id else f"#{index}"

    def bad(field: str, message: str) -> None:
        problems.append(ZoneProblem(label, field, message))

    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        bad("type", "not a GeoJSON Feature")
        return None
    if not isinstance(props, dict):
        bad("properties", "missing or not an object")
        return None
    if not (isinstance(raw_id, str) and raw_id.strip()):
        bad("id", "every feature needs a non-empty string id in its properties")
    elif raw_id in seen:
        bad("id", "duplicate id; ids must be unique")
    else:
        seen.add(raw_id)
    if "id" in feature and feature["id"] != raw_id:
        bad("id", f"feature id {feature['id']!r} differs from properties.id {raw_id!r}")
    name = props.get("name")
    if not (isinstance(name, str) and name.strip()):
        bad("name", "every feature needs a non-empty name")
    try:
        kind = ZoneKind(props.get("kind"))
    except ValueError:
        known = ", ".join(k.value for k in ZoneKind)
        bad("kind", f"unknown kind {props.get('kind')!r}; known kinds: {known}")
        return None
    for spec in _REQUIRED[kind]:
        _check_property(spec, props, bad)
    geometry = _parse_geometry(feature.get("geometry"), kind, to_wgs84, bad)
    if len(problems) > before or geometry is None:
        return None
    return ParsedZone(raw_id, name, kind, geometry, dict(props))


def _check_property(spec: _Prop, props: Mapping[str, Any], bad: Complaint) -> None:
    value = props.get(spec.name)
    if value is None:
        bad(spec.name, f"required for this kind ({spec.type.__name__})")
        return
    if spec.type is str:
        if not (isinstance(value, str) and value.strip()):
            bad(spec.name, f"must be a non-empty string, got {value!r}")
        return
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if spec.type is int and not (numeric and float(value).is_integer()):
        bad(spec.name, f"must be a whole number, got {value!r}")
        return
    if not numeric or not math.isfinite(value):
        bad(spec.name, f"must be a number, got {value!r}")
        return
    if spec.minimum is not None and value < spec.minimum:
        bad(spec.name, f"{value} is below the minimum {spec.minimum}")
    if spec.maximum is not None and value > spec.maximum:
        bad(spec.name, f"{value} is above the maximum {spec.maximum}")


def _parse_geometry(
    geometry: Any, kind: ZoneKind, to_wgs84: Transformer | None, bad: Complaint
) -> shapely.Geometry | None:
    """Structural checks on raw coordinates, then shapely's validity; None on any defect."""
    allowed = ("Point",) if kind in _POINT_KINDS else ("Polygon", "MultiPolygon")
    if not isinstance(geometry, dict) or geometry.get("type") not in allowed:
        got = geometry.get("type") if isinstance(geometry, dict) else geometry
        bad("geometry", f"a {kind.value} needs a {' or '.join(allowed)} geometry, got {got!r}")
        return None
    coords = geometry.get("coordinates")
    gtype = geometry["type"]
    polygons = [coords] if gtype == "Polygon" else coords if gtype == "MultiPolygon" else None
    ok = _check_point(coords, bad) if gtype == "Point" else _check_polygons(polygons, bad)
    if not ok:
        return None
    shape = shapely.geometry.shape({"type": gtype, "coordinates": _flat(coords)})
    if to_wgs84 is not None:
        shape = shapely.transform(
            shape, lambda xy: shapely.get_coordinates(
                shapely.points(*to_wgs84.transform(xy[:, 0], xy[:, 1]))
            )
        )
    if to_wgs84 is not None and to_wgs84.source_crs.is_projected and _looks_like_degrees(
            coords):
        bad("geometry", f"coordinates look like degrees (lon/lat), but the file's crs "
            f"{to_wgs84.source_crs.to_string()} is projected, in metres: drop the 'crs' "
            "member for lon/lat, or give the coordinates in metres")
        return None
    lon_min, lat_min, lon_max, lat_max = shape.bounds
    if not (-180 <= lon_min <= lon_max <= 180 and -90 <= lat_min <= lat_max <= 90):
        bad("geometry", "coordinates are not WGS84 lon/lat (projected coordinates need a "
            "'crs' member naming their EPSG code)")
        return None
    if lat_min < -_MAX_LAT_DEG or lat_max > _MAX_LAT_DEG:
        bad("geometry", f"latitudes beyond ±{_MAX_LAT_DEG:g}°, where no drone flies: are "
            "the positions [lat, lon]? GeoJSON positions are [lon, lat]")
        return None
    if not shape.is_valid:
        bad("geometry", f"invalid polygon: {shapely.is_valid_reason(shape)}")
        return None
    if kind not in _POINT_KINDS and shape.area == 0:
        bad("geometry", "polygon has no area")
        return None
    return shape


def _flat(coords: Any) -> Any:
    """A checked coordinate array with its positions cut to [x, y].

    Why: GeoJSON lets a position carry an altitude, and files mix [lon, lat] with
    [lon, lat, alt] within one ring, which shapely cannot build; a zone's vertices'
    altitudes are not used (its height limits are properties).
    """
    if coords and isinstance(coords[0], int | float):
        return coords[:2]
    return [_flat(item) for item in coords]


def _looks_like_degrees(coords: Any) -> bool:
    """Whether every number of a (checked) coordinate array fits lon ±180 / lat ±90.

    Why: metres of a projected CRS are hundreds of thousands; a whole zone within
    180 m of the projection's false origin is not a real zone, it is degrees.
    """
    flat = shapely.get_coordinates(shapely.geometry.shape({"type": "MultiPoint", "coordinates":
                                                           list(_positions(coords))}))
    return bool(len(flat)) and bool((abs(flat[:, 0]) <= 180).all()
                                    and (abs(flat[:, 1]) <= 90).all())


def _positions(coords: Any) -> Any:
    """Every [x, y] position of a checked coordinate array, without recursion."""
    stack = [coords]
    while stack:
        item = stack.pop()
        if item and isinstance(item[0], int | float):
            yield item[:2]
        else:
            stack.extend(item)


def _check_point(coords: Any, bad: Complaint) -> bool:
    if not _is_position(coords):
        bad("geometry", f"a point needs [lon, lat], got {coords!r}")
        return False
    return True


def _check_polygons(polygons: Any, bad: Complaint) -> bool:
    if not isinstance(polygons, list) or not polygons:
        bad("geometry", "missing polygon coordinates")
        return False
    for p, rings in enumerate(polygons):
        if not isinstance(rings, list) or not rings:
            bad("geometry", f"polygon {p} has no rings")
            return False
        for r, ring in enumerate(rings):
            what = "outer ring" if r == 0 else f"hole {r}"
            if not isinstance(ring, list) or not all(_is_position(pos) for pos in ring):
                bad("geometry", f"polygon {p} {what}: positions must be [lon, lat] numbers")
                return False
            if len(ring) < 4:
                bad("geometry", f"polygon {p} {what}: needs at least 4 positions, has {len(ring)}")
                return False
            if list(ring[0][:2]) != list(ring[-1][:2]):
                bad("geometry", f"polygon {p} {what} is not closed: first position {ring[0]} "
                    f"differs from last {ring[-1]}")
                return False
    return True


def _is_position(pos: Any) -> bool:
    return (
        isinstance(pos, list)
        and len(pos) in (2, 3)
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in pos)
        and all(math.isfinite(c) for c in pos)
    )


def declared_kind(feature: Any) -> ZoneKind | None:
    """The kind a feature says it is, whether or not the rest of it is sound."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    try:
        return ZoneKind(props.get("kind")) if isinstance(props, dict) else None
    except ValueError:
        return None


def check_zone_set(
    zones: list[ParsedZone], declared: list[ZoneKind | None], problems: list[ZoneProblem]
) -> None:
    """Rules across features: one operating area, a launch site, zones inside the area.

    ``declared`` holds every feature's stated kind, so a defective operating area is
    reported once, for its own defect, and not again as "missing".
    """
    declared_areas = declared.count(ZoneKind.OPERATING_AREA)
    if declared_areas != 1:
        message = f"exactly one operating_area needed, found {declared_areas}"
        problems.append(ZoneProblem(None, "kind", message))
    if ZoneKind.LAUNCH_SITE not in declared:
        problems.append(ZoneProblem(None, "kind", "no launch_site: missions need a home"))
    areas = [z for z in zones if z.kind is ZoneKind.OPERATING_AREA]
    if declared_areas != 1 or len(areas) != 1:
        return
    boundary = areas[0].geometry.buffer(_BOUNDARY_TOLERANCE_DEG)
    max_alt = float(areas[0].properties["max_alt_agl_m"])
    no_fly = [z.geometry for z in zones if z.kind is ZoneKind.NO_FLY]
    for zone in zones:
        if zone is areas[0]:
            continue
        if zone.kind in _MAY_CROSS_BOUNDARY:
            if not boundary.intersects(zone.geometry):
                problems.append(ZoneProblem(zone.id, "geometry",
                                            "lies wholly outside the operating area"))
        elif not boundary.covers(zone.geometry):
            problems.append(ZoneProblem(zone.id, "geometry",
                                        f"not inside the operating area {areas[0].id!r}"))
        if zone.kind is ZoneKind.LAUNCH_SITE and any(g.covers(zone.geometry) for g in no_fly):
            problems.append(ZoneProblem(zone.id, "geometry", "launch site inside a no-fly zone"))
        zone_max = zone.properties.get("max_alt_agl_m")
        if zone.kind is ZoneKind.PATROL_AREA and zone_max is not None:
            if zone_max > max_alt:
                message = f"{zone_max} m exceeds the operating area's {max_alt} m"
                problems.append(ZoneProblem(zone.id, "max_alt_agl_m", message))
            if zone.properties["min_alt_agl_m"] > zone_max:
                problems.append(ZoneProblem(zone.id, "min_alt_agl_m",
                                            "above max_alt_agl_m"))
