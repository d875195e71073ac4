"""The drone's own camera in a rehearsal: a frame file for every shot, whatever the radio loses.

Why: a real payload camera fires on the autopilot's trigger and writes its picture (to
its card, a companion computer, a synced folder) whether or not the CAMERA_FEEDBACK
reaches the ground station. To rehearse a lossy link fairly, the simulated camera
must do the same: it listens to the vehicle on its own, loss-free endpoint (on board
there is no radio between autopilot and camera) and writes each shot into a folder,
stamped with its capture time and, like many cores (Boson, Tau), without a pose.
The station then reads that folder as it would a real camera's (``--camera FOLDER``).
"""

from __future__ import annotations

import os
import queue
import threading
import time
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Self

from pymavlink import mavutil

from dronewatch.geo import Attitude, CameraPose, GimbalAttitude
from dronewatch.thermal import write_frame
from simulators.thermal.camera import ThermalCamera

__all__ = ["OnboardCamera"]

_CAMERA_COMPONENT = 100  # MAV_COMP_ID_CAMERA


class OnboardCamera:
    """Writes ``IR_<image index>.tiff`` (+ sidecar) into ``folder`` at every shot.

    Parameters
    ----------
    vehicle_url
        The vehicle's own endpoint, e.g. ``udpout:127.0.0.1:PORT`` (not the station's
        lossy one).
    camera
        Renders what the camera sees at the shot's pose.
    folder
        Where the frames go (made if missing).
    with_pose
        Write the shot's pose into the sidecar too (a camera that records its pose).
    """

    def __init__(self, vehicle_url: str, camera: ThermalCamera, folder: Path, *,
                 sysid: int = 1, with_pose: bool = False) -> None:
        self.camera, self.folder, self.with_pose = camera, Path(folder), with_pose
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / ".partial").mkdir(exist_ok=True)
        self.written = 0
        self._conn = mavutil.mavlink_connection(vehicle_url, source_system=sysid,
                                                source_component=_CAMERA_COMPONENT,
                                                dialect="ardupilotmega")
        self._stop = threading.Event()
        self._shots: queue.Queue[tuple[object, float]] = queue.Queue()
        # one thread hears the trigger and notes the time, one renders: the capture
        # time must not wait for the frames before it to be drawn
        self._threads = [threading.Thread(target=target, name=f"onboard-camera-{name}",
                                          daemon=True)
                         for name, target in (("trigger", self._run), ("sensor", self._develop))]
        for thread in self._threads:
            thread.start()

    def _develop(self) -> None:
        while not self._stop.is_set() or not self._shots.empty():
            try:
                msg, captured_unix_s = self._shots.get(timeout=0.05)
            except queue.Empty:
                continue
            self._shoot(msg, captured_unix_s)

    def _run(self) -> None:
        next_heartbeat = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_heartbeat:  # so the vehicle keeps sending to this endpoint
                self._conn.mav.heartbeat_send(mavutil.mavlink.MAV_TYPE_CAMERA,
                                              mavutil.mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)
                next_heartbeat = now + 0.5
            msg = self._conn.recv_match(type="CAMERA_FEEDBACK", blocking=True, timeout=0.05)
            if msg is not None:
                self._shots.put((msg, time.time()))

    def _shoot(self, msg: object, captured_unix_s: float) -> None:
        m = msg  # CAMERA_FEEDBACK, MAVLink units
        pose = CameraPose(m.lat / 1e7, m.lng / 1e7, float(m.alt_msl),  # type: ignore[attr-defined]
                          Attitude(float(m.roll), float(m.pitch),  # type: ignore[attr-defined]
                                   float(m.yaw) % 360.0),  # type: ignore[attr-defined]
                          GimbalAttitude(-90.0, 0.0, 0.0))
        frame = self.camera.render(pose, captured_unix_s)
        if not self.with_pose:
            frame = replace(frame, pose=None)
        name = f"IR_{int(m.img_idx):05d}.tiff"  # type: ignore[attr-defined]
        partial = write_frame(frame, self.folder / ".partial" / name)
        # the sidecar first, then the image: a reader never sees an image without it
        os.replace(partial.with_suffix(".json"), (self.folder / name).with_suffix(".json"))
        os.replace(partial, self.folder / name)
        self.written += 1

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
