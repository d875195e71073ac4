"""A recorded thermal video looked at after the flight: frames taken every so often, each
with the time it was shot and, from DJI's subtitles beside it, the camera's pose.

Why sample: a 30 Hz camera records 1,800 frames a minute of nearly the same ground; at
search speeds (5-10 m/s, 60-120 m up) a person stays in view for 8-20 s. Looking at a
frame every half second gives each person 16 or more looks, as many as the fuser can
use, for a sixtieth of the work; ``every_s`` sets it.

Why two passes: the frames' times and poses come from the container's packet times and
the subtitles, without decoding a pixel, so an analysis knows its whole flight (its
zone, its shots, its track) before it decodes anything; :class:`ClipReader` then decodes
forward once, giving each chosen frame as analysis reaches it.

The frame's clock: the subtitles' wall clock where they have one (zoneless local time,
see :mod:`.srt`); else the container's ``creation_time`` (UTC) plus the frame's time
into the video; else the file's modification time minus the video's length (the
recording ended when the file was closed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import av
import numpy as np

from dronewatch.errors import DronewatchError
from dronewatch.geo.camera import CameraModel
from dronewatch.geo.projection import CameraPose
from dronewatch.thermal.frame import Frame, PixelUnit
from dronewatch.thermal.sources.overlay import overlay_mask
from dronewatch.thermal.sources.palette import PaletteError, palette_to_intensity
from dronewatch.thermal.sources.rjpeg import visible_camera_letter
from dronewatch.thermal.sources.srt import SrtError, SrtTelemetry, read_srt, srt_beside
from dronewatch.thermal.sources.video import TAGS_AS_FOUND

__all__ = ["CLIP_SUFFIXES", "ClipError", "ClipReader", "ClipShot", "ClipShots", "clip_shots",
           "is_clip"]

CLIP_SUFFIXES = (".mp4", ".mov", ".mkv", ".ts", ".m2ts", ".avi")


class ClipError(DronewatchError, ValueError):
    """A video that cannot be read, or a frame of it; names the file (and the time) and
    says what is wrong, ``reason`` starting with a short kind as a frame file's does."""

    def __init__(self, where: Path | str, reason: str) -> None:
        self.where, self.reason = str(where), reason
        super().__init__(f"{where}: {reason}")


def is_clip(path: Path) -> bool:
    """A recorded video file, by its suffix."""
    return path.suffix.lower() in CLIP_SUFFIXES


@dataclass(frozen=True, slots=True)
class ClipShot:
    """One frame chosen from a clip, known before it is decoded."""

    source: str  # "path@12.500s": the frame's name in reports and findings
    path: Path
    video_s: float  # time into the video (its first frame at 0, as the subtitles count)
    pts_s: float  # the container's presentation time of the frame
    time_unix_s: float
    time_zone_known: bool  # False: the subtitles' wall clock, zone to be chosen
    pose: CameraPose | None
    digital_zoom: float = 1.0  # the subtitles' ``dzoom_ratio``: the picture is a crop


@dataclass(frozen=True, slots=True)
class ClipShots:
    """The frames chosen from a clip and what its subtitles gave (or why not)."""

    path: Path
    shots: tuple[ClipShot, ...]
    telemetry: SrtTelemetry | None
    subtitles_note: str  # "" when the subtitles were read; else why there are none


def _frame_times_s(path: Path) -> tuple[list[float], float | None]:
    """Every frame's presentation time in seconds, in order (from the packets, nothing
    decoded), and the container's creation time (UTC), if it states one."""
    try:
        with av.open(str(path), metadata_errors=TAGS_AS_FOUND) as box:
            if not box.streams.video:
                raise ClipError(path, "no video stream in it")
            stream = box.streams.video[0]
            base = stream.time_base
            times = sorted(float(p.pts * base) for p in box.demux(stream)
                           if p.pts is not None and p.size and base is not None)
            created = _created_s(box.metadata.get("creation_time", ""))
    except av.error.FFmpegError as exc:
        raise ClipError(path, f"not a readable video: {exc}") from exc
    if not times:
        raise ClipError(path, "no frames in it")
    return times, created


def _created_s(text: str) -> float | None:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None or when.year < 2000:  # unset (1904/1970) or of no zone
        return None
    return when.timestamp()


def _chosen(times_s: list[float], every_s: float) -> list[float]:
    """The first frame at or after each multiple of ``every_s``."""
    chosen: list[float] = []
    due = 0.0
    for t in times_s:
        if t + 1e-6 >= due:
            chosen.append(t)
            due = (math.floor(t / every_s + 1e-6) + 1) * every_s
    return chosen


def clip_shots(path: Path, every_s: float) -> ClipShots:
    """The frames to look at, every ``every_s`` seconds of video, with time and pose.

    Raises
    ------
    ClipError
        The file is a DJI payload's visible-light video, is not a readable video, or
        holds no frames.
    """
    if (letter := visible_camera_letter(path.name)) is not None:
        raise ClipError(path, f"visible-light video: a DJI _{letter} file (wide, zoom or "
                              "visible camera), not the thermal camera's")
    pts, created = _frame_times_s(path)
    times = [t - pts[0] for t in pts]
    telemetry, note = None, "no subtitle file beside it"
    if (srt := srt_beside(path)) is not None:
        try:
            telemetry, note = read_srt(srt), ""
        except SrtError as exc:
            note = str(exc)
    ended = path.stat().st_mtime - times[-1]
    shots = []
    for video_s in _chosen(times, every_s):
        record = telemetry.at(video_s) if telemetry is not None else None
        if record is not None and record.wall_time_s is not None:
            when, known = record.wall_time_s + (video_s - record.start_s), False
        else:
            when, known = (created if created is not None else ended) + video_s, True
        shots.append(ClipShot(f"{path}@{video_s:.3f}s", path, video_s, video_s + pts[0], when,
                              known, record.pose() if record is not None else None,
                              (record.digital_zoom or 1.0) if record is not None else 1.0))
    return ClipShots(path, tuple(shots), telemetry, note)


class ClipReader:
    """Decodes clips forward, handing out the chosen frames as grey levels.

    A frame asked for before the last one given reopens the video (analysis goes
    forward in time, so it does not happen in practice). Palette recordings are turned
    back into grey as a palette photo is, or refused frame by frame.
    """

    def __init__(self, camera: CameraModel | None) -> None:
        self.camera = camera
        self._open: dict[Path, tuple[av.container.InputContainer, object, float]] = {}

    def __enter__(self) -> ClipReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for box, _, _ in self._open.values():
            box.close()
        self._open.clear()

    def frame(self, shot: ClipShot) -> Frame:
        """The chosen frame's pixels, time and pose.

        Raises
        ------
        ClipError
            No camera to place it by, the video ends before it, or its picture is in a
            palette that cannot be turned back into grey.
        """
        if self.camera is None:
            raise ClipError(shot.source, "no camera: a video names none; give one "
                            "(--camera-model)")
        picture = self._decode_to(shot)
        try:
            levels = palette_to_intensity(picture)
        except PaletteError as exc:
            raise ClipError(shot.source, f"unknown palette: {exc}") from exc
        height, width = levels.levels.shape
        cam = self.camera.resized(width, height, digital_zoom=shot.digital_zoom)
        mask = overlay_mask(levels.levels, extra=levels.off_palette)
        return Frame(levels.levels, PixelUnit.AGC_8BIT, shot.time_unix_s, cam, shot.pose,
                     shot.source, mask if mask.any() else None,
                     time_zone_known=shot.time_zone_known)

    def _decode_to(self, shot: ClipShot) -> np.ndarray:
        """The picture shown at the shot's time: decoding on from the last one given,
        else from the key frame before it (after an earlier frame, or an error)."""
        path, pts_s = shot.path, shot.pts_s
        opened = self._open.get(path)
        if opened is not None and opened[2] > pts_s - 1e-3:
            self._open.pop(path)[0].close()
            opened = None
        if opened is None:
            opened = self._open_at(shot)
        box, pictures, _ = opened
        stream = box.streams.video[0]
        try:
            for picture in pictures:  # type: ignore[attr-defined]
                if picture.pts is None or stream.time_base is None:
                    continue
                at_s = float(picture.pts * stream.time_base)
                if at_s + 1e-3 >= pts_s:
                    self._open[path] = (box, pictures, at_s)
                    return picture.to_ndarray(format="bgr24")
        except av.error.FFmpegError as exc:
            self._open.pop(path, None)
            box.close()  # the next frame starts again from its own key frame
            raise ClipError(shot.source, f"undecodable: {exc}") from exc
        self._open.pop(path, None)
        box.close()
        raise ClipError(shot.source, "the video ends before this frame")

    def _open_at(self, shot: ClipShot) -> tuple[av.container.InputContainer, object, float]:
        try:
            box = av.open(str(shot.path), metadata_errors=TAGS_AS_FOUND)
            stream = box.streams.video[0]
            stream.thread_type = "AUTO"
            if stream.time_base is not None:  # to the key frame at or before the shot
                box.seek(int(shot.pts_s / stream.time_base), stream=stream, backward=True)
        except av.error.FFmpegError as exc:
            raise ClipError(shot.path, f"not a readable video: {exc}") from exc
        return box, box.decode(stream), math.nan
