"""The operator's map: folium pages over an offline relief, with their scripts inlined.

Why one package: the area map, the live mission map and (next) the operator console all
draw the same layers with the same scripts and styles, so the drawing (``render``), a
mission's layers (``mission``), the relief base layer (``_hillshade``) and the offline
copies of the web assets (``assets``) live together and are reached through this one
public surface.
"""

from dronewatch.map._hillshade import ReliefImage, relief_image
from dronewatch.map.assets import ASSETS, WebAssetError, assets_dir, fetch, inline, missing
from dronewatch.map.mission import ACCURACY_FLOOR_PX, mission_map
from dronewatch.map.render import (
    ZONE_STYLES,
    SavedMap,
    area_map,
    save_map,
    write_area_map,
)

__all__ = [
    "ACCURACY_FLOOR_PX",
    "ASSETS",
    "ZONE_STYLES",
    "ReliefImage",
    "SavedMap",
    "WebAssetError",
    "area_map",
    "assets_dir",
    "fetch",
    "inline",
    "missing",
    "mission_map",
    "relief_image",
    "save_map",
    "write_area_map",
]
