"""A synthetic world for planning tests: rolling terrain in a local frame and zone files."""

from __future__ import annotations

import json
import math

import numpy as np
import shapely
from rasterio.transform import from_origin

from dronewatch.geo import LocalFrame
from dronewatch.zones import ZoneSet, parse_zones
from tests.conftest import write_geotiff

FRAME = LocalFrame(44.8, 88.7)
HALF_M = 10_000.0
LAUNCH = (0.0, -6000.0)


def terrain_height(east: np.ndarray, north: np.ndarray) -> np.ndarray:
    return 700 + 40 * np.sin(east / 1500.0) + 30 * np.cos(north / 2000.0) + 0.004 * east


def write_dem(path):
    pixel = 30.0
    n = int(2 * HALF_M / pixel)
    centres = -HALF_M + pixel * (np.arange(n) + 0.5)
    east, north = np.meshgrid(centres, -centres)
    return write_geotiff(path, terrain_height(east, north).astype(np.float32),
                         crs=FRAME.crs.to_wkt(), transform=from_origin(-HALF_M, HALF_M, pixel,
                                                                        pixel))


def _geojson(geom_local: shapely.Geometry) -> dict:
    return json.loads(shapely.to_geojson(FRAME.geometry_to_wgs84(geom_local)))


def zone_set(no_fly: list[shapely.Geometry], extra: list[tuple[str, str, shapely.Geometry,
                                                               dict]] = ()) -> ZoneSet:
    """An 16 x 16 km operating area, a launch site south of centre, the given no-fly zones."""
    features = [("area", "operating_area", shapely.box(-8000, -8000, 8000, 8000),
                 {"max_alt_agl_m": 120})]
    features += [(f"nfz-{i}", "no_fly", g, {"reason": "test"}) for i, g in enumerate(no_fly)]
    features += list(extra)
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": fid, "name": fid, "kind": kind, **props},
         "geometry": _geojson(geom)} for fid, kind, geom, props in features]}
    lat, lon = FRAME.to_wgs84(*LAUNCH)
    doc["features"].append({"type": "Feature", "properties": {
        "id": "launch", "name": "launch", "kind": "launch_site",
        "home_alt_amsl_m": float(terrain_height(np.array(LAUNCH[0]), np.array(LAUNCH[1]))),
        "heading_deg": 0.0}, "geometry": {"type": "Point", "coordinates": [float(lon),
                                                                              float(lat)]}})
    return parse_zones(doc, source="synthetic")


def circle(x: float, y: float, r: float) -> shapely.Polygon:
    return shapely.Point(x, y).buffer(r, quad_segs=8)


def leg_samples(a, b, step_m: float = 10.0):
    """Points along a leg, with the straight-line altitude at each."""
    n = max(2, math.ceil(math.hypot(b.east_m - a.east_m, b.north_m - a.north_m) / step_m) + 1)
    t = np.linspace(0, 1, n)
    return (a.east_m + t * (b.east_m - a.east_m), a.north_m + t * (b.north_m - a.north_m),
            a.alt_amsl_m + t * (b.alt_amsl_m - a.alt_amsl_m))
