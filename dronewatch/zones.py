"""The zone model of the operating area: loading, validating and querying zone files.

Why so strict: zones decide where a drone may fly. A file that is half right (a
no-fly zone with a typo in its kind, a ring that does not close) must never load as
if it were whole, so every feature is checked and every defect is reported at once,
naming the file, the feature id and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any

import shapely

from dronewatch._zonefile import (
    ZoneKind,
    check_zone_set,
    crs_transformer,
    declared_kind,
    parse_feature,
)
from dronewatch.errors import DronewatchError, ZoneFileError, ZoneProblem
from dronewatch.geo.frame import LocalFrame

__all__ = [
    "LaunchSite",
    "UnknownZoneError",
    "Zone",
    "ZoneKind",
    "ZoneSet",
    "load_zones",
    "off_the_map",
    "parse_zones",
]


class UnknownZoneError(DronewatchError, KeyError):
    """A zone id that the zone set does not hold."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True, eq=False)
class Zone:
    """One named zone: geometry in WGS84 (lon, lat) and its kind-specific properties."""

    id: str
    name: str
    kind: ZoneKind
    geometry: shapely.Geometry
    properties: Mapping[str, Any]

    def __repr__(self) -> str:
        return f"Zone(id={self.id!r}, kind={self.kind.value!r}, name={self.name!r})"


@dataclass(frozen=True, slots=True)
class LaunchSite:
    """Where drones take off: the home position that missions return to."""

    id: str
    name: str
    lat_deg: float
    lon_deg: float
    home_alt_amsl_m: float
    heading_deg: float


class ZoneSet:
    """A validated zone file with the queries planning and the map need.

    Geometric queries run in a local metric frame centred on the operating area, so
    margins are in metres and segments are straight lines on the ground.
    """

    def __init__(self, source: str, zones: Iterable[Zone]) -> None:
        self.source = source
        self.zones: tuple[Zone, ...] = tuple(zones)
        self._by_id = {z.id: z for z in self.zones}
        self.operating_area = self.of_kind(ZoneKind.OPERATING_AREA)[0]
        lon0, lat0 = self.operating_area.geometry.centroid.coords[0]
        self.frame = LocalFrame(lat0, lon0)
        self._local = {z.id: self.frame.geometry_to_local(z.geometry) for z in self.zones}
        for geom in self._local.values():
            shapely.prepare(geom)
        for zone in self.zones:
            shapely.prepare(zone.geometry)

    def __repr__(self) -> str:
        return f"ZoneSet({self.source!r}, {len(self.zones)} zones)"

    def __iter__(self) -> Iterator[Zone]:
        return iter(self.zones)

    def __len__(self) -> int:
        return len(self.zones)

    def get(self, zone_id: str) -> Zone:
        """The zone with this id.

        Raises
        ------
        UnknownZoneError
            No such id; the message lists the known ones.
        """
        try:
            return self._by_id[zone_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id))
            raise UnknownZoneError(
                f"{self.source}: no zone {zone_id!r}; known zones: {known}"
            ) from None

    def of_kind(self, kind: ZoneKind | str) -> tuple[Zone, ...]:
        """All zones of one kind, in file order."""
        kind = ZoneKind(kind)
        return tuple(z for z in self.zones if z.kind is kind)

    @property
    def launch_sites(self) -> tuple[LaunchSite, ...]:
        """The launch sites, as home positions."""
        return tuple(
            LaunchSite(
                z.id, z.name, z.geometry.y, z.geometry.x,
                float(z.properties["home_alt_amsl_m"]), float(z.properties["heading_deg"]),
            )
            for z in self.of_kind(ZoneKind.LAUNCH_SITE)
        )

    def local_geometry(self, zone_id: str) -> shapely.Geometry:
        """A zone's geometry in this set's local metric frame (east, north metres)."""
        self.get(zone_id)
        return self._local[zone_id]

    def zones_at(self, lat_deg: float, lon_deg: float) -> tuple[Zone, ...]:
        """Every zone whose area contains the point (boundary included)."""
        point = shapely.Point(lon_deg, lat_deg)
        return tuple(
            z for z in self.zones if z.kind is not ZoneKind.LAUNCH_SITE and z.geometry.covers(point)
        )

    def in_operating_area(self, lat_deg: float, lon_deg: float) -> bool:
        """Whether the point lies inside (or on) the operating-area boundary."""
        return bool(self.operating_area.geometry.covers(shapely.Point(lon_deg, lat_deg)))

    def no_fly_union(self) -> shapely.Geometry:
        """All no-fly zones as one geometry, in WGS84 (lon, lat)."""
        return shapely.union_all([z.geometry for z in self.of_kind(ZoneKind.NO_FLY)])

    def no_fly_union_local(self, margin_m: float = 0.0) -> shapely.Geometry:
        """All no-fly zones as one geometry in the local frame, grown by ``margin_m``."""
        union = shapely.union_all([self._local[z.id] for z in self.of_kind(ZoneKind.NO_FLY)])
        return union.buffer(margin_m) if margin_m > 0 else union

    def no_fly_crossed(
        self,
        start: tuple[float, float],
        end: tuple[float, float],
        *,
        margin_m: float = 0.0,
    ) -> tuple[Zone, ...]:
        """The no-fly zones a straight leg from ``start`` to ``end`` (lat, lon) touches.

        ``margin_m`` grows each zone first, so a leg that passes closer than the
        margin counts as crossing. An empty tuple means the leg is clear.
        """
        (lat_a, lon_a), (lat_b, lon_b) = start, end
        east, north = self.frame.to_local([lat_a, lat_b], [lon_a, lon_b])
        leg = shapely.LineString(list(zip(east, north, strict=True)))
        return tuple(
            z
            for z in self.of_kind(ZoneKind.NO_FLY)
            if shapely.dwithin(self._local[z.id], leg, margin_m)
        )

    def segment_crosses_no_fly(
        self, start: tuple[float, float], end: tuple[float, float], *, margin_m: float = 0.0
    ) -> bool:
        """Whether a straight leg touches any no-fly zone (grown by ``margin_m``)."""
        return bool(self.no_fly_crossed(start, end, margin_m=margin_m))


def off_the_map(zones: ZoneSet, bounds_wgs84: tuple[float, float, float, float]) -> str | None:
    """Why the zones do not fit a DEM with these (west, south, east, north) bounds, or None.

    Why: a file with every position written [lat, lon] can still be valid lon/lat
    (44° N 60° E read as 60° N 44° E); only the terrain it is meant for shows it. When
    the operating area misses the DEM but its mirror image lies on it, say "swapped".
    """
    dem = shapely.box(*bounds_wgs84)
    area = zones.operating_area.geometry
    if area.intersects(dem):
        return None
    mirrored = shapely.transform(area, lambda xy: xy[:, ::-1])
    if mirrored.intersects(dem):
        return ("the operating area lies off the DEM, but with its positions read as "
                "[lat, lon] it lies on it: the positions are swapped; GeoJSON positions are "
                "[lon, lat]")
    w, s_, e, n = bounds_wgs84
    return (f"the operating area lies off the DEM (lon {w:.4f}..{e:.4f}, lat {s_:.4f}.."
            f"{n:.4f}): is this the zone file for this terrain?")


def load_zones(path: str | PathLike[str]) -> ZoneSet:
    """Read and validate a zone GeoJSON file.

    Raises
    ------
    ZoneFileError
        The file cannot be read or parsed, or any feature is defective; the error
        lists every problem, and nothing is loaded.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ZoneFileError(source, [ZoneProblem(None, "file", f"cannot read: {exc}")]) from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = ZoneProblem(None, "file", f"not valid JSON at line {exc.lineno}: {exc.msg}")
        raise ZoneFileError(source, [problem]) from exc
    except RecursionError:
        problem = ZoneProblem(None, "file", f"nested too deeply to read (a zone file needs at "
                              f"most {MAX_DEPTH} levels of brackets)")
        raise ZoneFileError(source, [problem]) from None
    return parse_zones(document, source=source)


def _grouped(problems: list[ZoneProblem], at_least: int = 3) -> list[ZoneProblem]:
    """The same defect in many features (a whole file in the wrong CRS) said once."""
    by_defect: dict[tuple[str, str], list[str]] = {}
    for p in problems:
        if p.feature_id is not None:
            by_defect.setdefault((p.field, p.message), []).append(p.feature_id)
    out: list[ZoneProblem] = []
    for p in problems:
        ids = by_defect.get((p.field, p.message), [])
        if p.feature_id is None or len(ids) < at_least:
            out.append(p)
        elif ids[0] == p.feature_id:
            shown = ", ".join(ids[:4]) + (", ..." if len(ids) > 4 else "")
            out.append(ZoneProblem(None, p.field, f"{p.message} ({len(ids)} features: "
                                                  f"{shown})"))
    return out


MAX_DEPTH = 16  # a MultiPolygon position is 8 levels down; properties may nest a little


def _depth(document: Any) -> int:
    """How deeply lists and objects nest in a parsed document (iterative: no recursion)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            stack.extend((child, level + 1)
                         for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_zones(document: Any, *, source: str = "<zones>") -> ZoneSet:
    """Validate an already-parsed GeoJSON document; see :func:`load_zones`."""
    problems: list[ZoneProblem] = []
    if _depth(document) > MAX_DEPTH:
        problem = ZoneProblem(None, "file", f"nested more than {MAX_DEPTH} levels deep; a "
                              "FeatureCollection of Polygons, MultiPolygons and Points needs "
                              "at most 8")
        raise ZoneFileError(source, [problem])
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        problem = ZoneProblem(None, "type", "the file must be a GeoJSON FeatureCollection")
        raise ZoneFileError(source, [problem])
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise ZoneFileError(source, [ZoneProblem(None, "features", "no features")])
    to_wgs84 = crs_transformer(document.get("crs"), problems)
    seen: set[str] = set()
    parsed = [parse_feature(i, f, to_wgs84, seen, problems) for i, f in enumerate(features)]
    valid = [p for p in parsed if p is not None]
    check_zone_set(valid, [declared_kind(f) for f in features], problems)
    if problems:
        raise ZoneFileError(source, _grouped(problems))
    return ZoneSet(
        source,
        (Zone(p.id, p.name, p.kind, p.geometry, MappingProxyType(p.properties)) for p in valid),
    )


