"""The live camera panel: each drone's newest thermal frame, as a picture on request.

Why the flight only hands frames over and the web request renders them: the flight
thread must never wait for a browser; keeping a reference to the newest frame costs it
nothing, and a page that asks once a second (or not at all) gets a PNG stretched for
the eye in the palette it chose, at whatever rate the link delivers frames.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal

import cv2
import numpy as np
from fastapi import Depends, FastAPI, HTTPException, Request, Response

from dronewatch.console import auth
from dronewatch.geo import CameraPose
from dronewatch.ops.feed import FrameArchive
from dronewatch.thermal import Frame

__all__ = ["LatestFrames", "Palette", "frame_png", "routes"]

Palette = Literal["inferno", "white-hot", "black-hot"]
MAX_WIDTH_PX = 640


class LatestFrames:
    """The newest frame of each drone (thread-safe: written by flights, read by requests)."""

    def __init__(self) -> None:
        self._frames: dict[str, tuple[int, Frame]] = {}
        self._lock = threading.Lock()

    def put(self, drone_id: str, frame: Frame) -> None:
        with self._lock:
            count = self._frames.get(drone_id, (0, frame))[0] + 1
            self._frames[drone_id] = (count, frame)

    def get(self, drone_id: str) -> tuple[int, Frame] | None:
        with self._lock:
            return self._frames.get(drone_id)

    def watch(self, drone_id: str, source: Callable[[CameraPose, float], Frame]
              ) -> Callable[[CameraPose, float], Frame]:
        """``source`` as it was (its other methods too: a folder camera stays a frame
        archive for lost shots), keeping each frame it gives as the drone's newest."""
        keep = lambda frame: self.put(drone_id, frame)  # noqa: E731
        if isinstance(source, FrameArchive):
            return _WatchedArchive(source, keep)
        return _Watched(source, keep)


class _Watched:
    def __init__(self, source: Callable[[CameraPose, float], Frame],
                 keep: Callable[[Frame], None]) -> None:
        self._source, self._keep = source, keep

    def __call__(self, pose: CameraPose, time_s: float) -> Frame:
        frame = self._source(pose, time_s)
        self._keep(frame)
        return frame

    def __getattr__(self, name: str) -> object:
        return getattr(self._source, name)


class _WatchedArchive(_Watched):
    """A watched frame archive: frames_between is declared, so FrameArchive still
    matches (Python 3.12 checks protocols without calling __getattr__)."""

    def frames_between(self, start_unix_s: float, end_unix_s: float) -> list[Frame]:
        return self._source.frames_between(start_unix_s, end_unix_s)  # type: ignore[attr-defined]


def frame_png(frame: Frame, palette: Palette = "inferno") -> bytes:
    """The frame stretched between its 1st and 99th percentile, coloured, as a PNG."""
    pixels = frame.pixels.astype(np.float32)
    lo, hi = (float(v) for v in np.percentile(pixels, (1, 99)))
    grey = np.clip((pixels - lo) * (255.0 / max(hi - lo, 1e-6)), 0, 255).astype(np.uint8)
    if grey.shape[1] > MAX_WIDTH_PX:
        scale = MAX_WIDTH_PX / grey.shape[1]
        grey = cv2.resize(grey, (MAX_WIDTH_PX, round(grey.shape[0] * scale)),
                          interpolation=cv2.INTER_AREA)
    if palette == "inferno":
        picture = cv2.applyColorMap(grey, cv2.COLORMAP_INFERNO)
    else:
        picture = grey if palette == "white-hot" else 255 - grey
    ok, png = cv2.imencode(".png", picture)
    return png.tobytes() if ok else b""


def routes(app: FastAPI) -> None:
    @app.get("/api/drones/{drone_id}/frame.png", dependencies=[Depends(auth.signed_in)])
    async def frame(drone_id: str, request: Request, palette: Palette = "inferno") -> Response:
        import asyncio

        station = request.app.state.console
        if drone_id not in station.fleet.ids:
            raise HTTPException(404, f"no drone {drone_id!r}")
        newest = station.frames.get(drone_id)
        if newest is None:
            raise HTTPException(404, f"{drone_id} has sent no frame yet")
        count, shown = newest
        png = await asyncio.to_thread(frame_png, shown, palette)
        return Response(png, media_type="image/png", headers={
            "Cache-Control": "no-store", "X-Frame-Number": str(count),
            "X-Frame-Time-Unix-S": f"{shown.time_unix_s:.3f}"})
