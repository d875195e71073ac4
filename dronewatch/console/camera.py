"""The live camera panel: each drone's newest thermal frame, as a picture on request.

Why the flight only hands frames over and the web request renders them: the flight
thread must never wait for a browser; keeping a reference to the newest frame costs it
nothing, and a page that asks once a second (or not at all) gets a PNG stretched for
the eye in the palette it chose, at whatever rate the link delivers frames. The boxes
drawn on it are the flight's own detections in that frame (``ops.feed.DetectionTap``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import cv2
import numpy as np
from fastapi import Depends, FastAPI, HTTPException, Request, Response

from dronewatch.console import auth
from dronewatch.geo import CameraPose
from dronewatch.ops.feed import FrameArchive
from dronewatch.thermal import Detection, Frame

__all__ = ["LatestFrames", "Palette", "Shown", "frame_png", "routes"]

Palette = Literal["inferno", "white-hot", "black-hot"]
MAX_WIDTH_PX = 640
MARK_PX = 24  # the square drawn round a detection the detector gave no box for
# Boxes in colours no palette uses (BGR): persons green, hotspots cyan, vehicles blue.
BOX_COLOURS_BGR = {"person": (0, 255, 0), "hotspot": (255, 255, 0), "vehicle": (255, 128, 0)}


@dataclass(frozen=True, slots=True)
class Shown:
    """A drone's newest frame: its number since the console started, and what the flight
    detected in it (None until the flight has looked at it)."""

    number: int
    frame: Frame
    detections: tuple[Detection, ...] | None = None


class LatestFrames:
    """The newest frame of each drone (thread-safe: written by flights, read by requests)."""

    def __init__(self) -> None:
        self._frames: dict[str, Shown] = {}
        self._lock = threading.Lock()

    def put(self, drone_id: str, frame: Frame) -> None:
        with self._lock:
            old = self._frames.get(drone_id)
            self._frames[drone_id] = Shown((old.number if old else 0) + 1, frame)

    def saw(self, drone_id: str, frame: Frame, detections: Sequence[Detection]) -> None:
        """The flight's detections in ``frame``; kept only while it is still the newest
        (a late look at an older frame, found for a lost shot, has no place here)."""
        with self._lock:
            newest = self._frames.get(drone_id)
            if newest is not None and newest.frame is frame:
                self._frames[drone_id] = replace(newest, detections=tuple(detections))

    def get(self, drone_id: str) -> Shown | None:
        with self._lock:
            return self._frames.get(drone_id)

    def watch(self, drone_id: str, source: Callable[[CameraPose, float], Frame]
              ) -> Callable[[CameraPose, float], Frame]:
        """``source`` as it was (its other methods too: a folder camera stays a frame
        archive for lost shots), keeping each frame it gives as the drone's newest and
        the detections the flight tells it of (``ops.feed.DetectionTap``)."""
        if isinstance(source, FrameArchive):
            return _WatchedArchive(source, self, drone_id)
        return _Watched(source, self, drone_id)


class _Watched:
    def __init__(self, source: Callable[[CameraPose, float], Frame], frames: LatestFrames,
                 drone_id: str) -> None:
        self._source, self._frames, self._drone_id = source, frames, drone_id

    def __call__(self, pose: CameraPose, time_s: float) -> Frame:
        frame = self._source(pose, time_s)
        self._frames.put(self._drone_id, frame)
        return frame

    def saw(self, frame: Frame, detections: Sequence[Detection]) -> None:
        self._frames.saw(self._drone_id, frame, detections)

    def __getattr__(self, name: str) -> object:
        return getattr(self._source, name)


class _WatchedArchive(_Watched):
    """A watched frame archive: frames_between is declared, so FrameArchive still
    matches (Python 3.12 checks protocols without calling __getattr__)."""

    def frames_between(self, start_unix_s: float, end_unix_s: float) -> list[Frame]:
        return self._source.frames_between(start_unix_s, end_unix_s)  # type: ignore[attr-defined]


def _box(detection: Detection) -> tuple[float, float, float, float]:
    """The network's box (x, y, w, h), or a square of :data:`MARK_PX` on the spot."""
    if detection.box_px is not None:
        return detection.box_px
    return (detection.u_px - MARK_PX / 2, detection.v_px - MARK_PX / 2, MARK_PX, MARK_PX)


def frame_png(frame: Frame, palette: Palette = "inferno",
              detections: Sequence[Detection] = ()) -> bytes:
    """The frame stretched between its 1st and 99th percentile, coloured, with a box
    round each detection (in the kind's colour, labelled with its confidence), as a PNG."""
    pixels = frame.pixels.astype(np.float32)
    lo, hi = (float(v) for v in np.percentile(pixels, (1, 99)))
    grey = np.clip((pixels - lo) * (255.0 / max(hi - lo, 1e-6)), 0, 255).astype(np.uint8)
    scale = 1.0
    if grey.shape[1] > MAX_WIDTH_PX:
        scale = MAX_WIDTH_PX / grey.shape[1]
        grey = cv2.resize(grey, (MAX_WIDTH_PX, round(grey.shape[0] * scale)),
                          interpolation=cv2.INTER_AREA)
    if palette == "inferno":
        picture = cv2.applyColorMap(grey, cv2.COLORMAP_INFERNO)
    else:
        picture = cv2.cvtColor(grey if palette == "white-hot" else 255 - grey,
                               cv2.COLOR_GRAY2BGR)
    for detection in detections:
        x, y, w, h = (round(v * scale) for v in _box(detection))
        colour = BOX_COLOURS_BGR[detection.kind.value]
        cv2.rectangle(picture, (x, y), (x + w, y + h), colour, 2)
        cv2.putText(picture, f"{detection.kind.value} {detection.confidence:.0%}",
                    (x, max(y - 4, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1, cv2.LINE_AA)
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
        detections = newest.detections or ()
        png = await asyncio.to_thread(frame_png, newest.frame, palette, detections)
        return Response(png, media_type="image/png", headers={
            "Cache-Control": "no-store", "X-Frame-Number": str(newest.number),
            "X-Frame-Time-Unix-S": f"{newest.frame.time_unix_s:.3f}",
            # "" while the flight has not looked at the frame yet, else how many boxes
            "X-Detections": "" if newest.detections is None else str(len(detections))})
