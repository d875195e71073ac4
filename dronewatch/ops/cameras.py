"""Where a flight's frames come from: a camera folder, live video, or the rehearsal world.

Why in ops and not the CLI: the command line, the patrol scheduler and the console all
pick the camera by the same word ('sim', a folder, a video URL); building the simulated
thermal world is rehearsal wiring, and a thin edge only parses the word and passes it on.
"""

from __future__ import annotations

from pathlib import Path

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import Terrain, camera_preset
from dronewatch.ops.feed import FrameSource, directory_source
from dronewatch.zones import load_zones

__all__ = ["camera_source", "rehearsal_camera"]


def rehearsal_camera(terrain: Terrain, *, seed: int, model: str) -> FrameSource:
    """A simulated ``model`` camera over the simulated thermal world of the district
    (people, hotspots, animals; ``seed`` places them), rendering from the reported pose."""
    from simulators.thermal import Clock, ThermalCamera, ThermalWorld

    world = ThermalWorld(default_dem_path(), load_zones(default_zones_path()), Clock(2.0),
                         seed=seed)
    return ThermalCamera(world, terrain, camera_preset(model), seed=seed).render


def camera_source(camera: str, terrain: Terrain, *, seed: int, model: str) -> FrameSource:
    """Frames from a folder, from live video (rtsp://, udp://, a video file), or
    (``sim``) rendered by a simulated ``model`` camera (:func:`rehearsal_camera`).

    Raises
    ------
    UnknownPresetError
        ``model`` is not a known camera preset.
    """
    from dronewatch.ops.video import is_video, video_camera  # PyAV only when it is needed

    if camera != "sim" and is_video(camera.partition("#")[0]):
        return video_camera(camera, camera_preset(model))
    if camera != "sim":
        return directory_source(Path(camera))
    return rehearsal_camera(terrain, seed=seed, model=model)
