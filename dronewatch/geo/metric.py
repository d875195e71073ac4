"""Metres for degrees on the WGS84 ellipsoid: the one place that converts them.

Why one helper: the same conversion written by hand in several layers drifted to two
constants (111,320 and 111,132 m per degree) and to a sphere where the Earth is an
ellipsoid. Here the scale comes from the ellipsoid's radii of curvature, and distances
from pyproj's geodesic, so every layer agrees to the millimetre. Work that needs a
whole patch of ground in metres uses :class:`~dronewatch.geo.LocalFrame` instead.
"""

from __future__ import annotations

import math

from pyproj import Geod

__all__ = ["WGS84", "distance_m", "metres_per_degree"]

#: The WGS84 ellipsoid's geodesic calculator (pyproj, after Karney).
WGS84 = Geod(ellps="WGS84")
_A_M = 6_378_137.0  # WGS84 semi-major axis
_E2 = 6.694_379_990_14e-3  # WGS84 first eccentricity squared


def metres_per_degree(lat_deg: float) -> tuple[float, float]:
    """Ground metres in one degree of latitude and one of longitude at ``lat_deg``.

    Returns
    -------
    north_m, east_m
        Metres per degree along the meridian and along the parallel (the latter 0 at
        the poles). Exact on the ellipsoid for small steps; for a step of a kilometre
        the error is parts in 10^7.
    """
    sin_lat = math.sin(math.radians(lat_deg))
    w = math.sqrt(1.0 - _E2 * sin_lat * sin_lat)
    meridian_m = _A_M * (1.0 - _E2) / w**3
    prime_vertical_m = _A_M / w
    return (math.radians(meridian_m),
            math.radians(prime_vertical_m * math.cos(math.radians(lat_deg))))


def distance_m(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float) -> float:
    """The geodesic (shortest ground) distance between two WGS84 points, in metres."""
    _, _, metres = WGS84.inv(lon1_deg, lat1_deg, lon2_deg, lat2_deg)
    return float(metres)
