"""A local metric frame for a mission area.

Why: distances, offsets and polygon operations need metres, and WGS84 degrees are
not metres. A transverse Mercator projection centred on the area keeps scale error
below 1e-5 within 30 km of the origin, so planar geometry in it is good to
centimetres, and pyproj gives exact round trips back to WGS84. The transform is a
bare PROJ pipeline, which pyproj builds in well under a millisecond, so a frame per
camera pose is affordable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer

__all__ = ["LocalFrame"]

G = TypeVar("G", bound=shapely.Geometry)


@dataclass(frozen=True, slots=True)
class LocalFrame:
    """East/north metres around an origin, through a transverse Mercator projection.

    Parameters
    ----------
    origin_lat_deg, origin_lon_deg
        WGS84 origin of the frame; (0, 0) metres there.
    """

    origin_lat_deg: float
    origin_lon_deg: float
    _pipeline: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # NumPy scalars repr as "np.float64(...)", which PROJ would not parse
        object.__setattr__(self, "origin_lat_deg", float(self.origin_lat_deg))
        object.__setattr__(self, "origin_lon_deg", float(self.origin_lon_deg))
        if not -85.0 <= self.origin_lat_deg <= 85.0:
            raise ValueError(f"origin latitude {self.origin_lat_deg} outside [-85, 85]")
        if not -180.0 <= self.origin_lon_deg <= 180.0:
            raise ValueError(f"origin longitude {self.origin_lon_deg} outside [-180, 180]")
        pipeline = Transformer.from_pipeline(
            "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
            f"+step {self._tmerc}"
        )
        object.__setattr__(self, "_pipeline", pipeline)

    @property
    def _tmerc(self) -> str:
        return (
            f"+proj=tmerc +lat_0={self.origin_lat_deg!r} +lon_0={self.origin_lon_deg!r} "
            "+k=1 +x_0=0 +y_0=0 +ellps=WGS84"
        )

    @property
    def crs(self) -> CRS:
        """The projected CRS of this frame (x = east metres, y = north metres)."""
        return CRS.from_proj4(f"{self._tmerc} +units=m +no_defs")

    def to_local(
        self, lat_deg: ArrayLike, lon_deg: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """WGS84 degrees to (east_m, north_m); scalars or arrays."""
        east, north = self._pipeline.transform(
            np.asarray(lon_deg, dtype=float), np.asarray(lat_deg, dtype=float)
        )
        return np.asarray(east, dtype=float), np.asarray(north, dtype=float)

    def to_wgs84(
        self, east_m: ArrayLike, north_m: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(east_m, north_m) to WGS84 (lat_deg, lon_deg); scalars or arrays."""
        lon, lat = self._pipeline.transform(
            np.asarray(east_m, dtype=float),
            np.asarray(north_m, dtype=float),
            direction="INVERSE",
        )
        return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)

    def geometry_to_local(self, geometry: G) -> G:
        """A shapely geometry in (lon, lat) degrees to (east, north) metres."""
        return shapely.transform(
            geometry, lambda xy: np.column_stack(self.to_local(xy[:, 1], xy[:, 0]))
        )

    def geometry_to_wgs84(self, geometry: G) -> G:
        """A shapely geometry in (east, north) metres to (lon, lat) degrees."""
        def back(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            lat, lon = self.to_wgs84(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        return shapely.transform(geometry, back)
