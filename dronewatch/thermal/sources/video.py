"""Live thermal video (H.264/H.265 over RTSP, UDP, or a file) as newest-first frames.

Why a thread that keeps only the newest frame: a gimbal streams 25-30 frames a second
and a detector on a station laptop looks at a few. Queueing frames for the detector
would fall further behind the drone every second; so a decoder thread reads every
packet as it comes (H.264 needs them all to decode the next) and keeps only the
newest frame, and whoever analyses takes that one when it is free. Frames nobody
took are counted as dropped. When even decoding falls behind (a loaded CPU), the
decoder skips all but key frames until it has caught up.

Capture time: each frame's presentation time is put on the station's clock by the
smallest arrival-minus-PTS offset seen so far (a frame cannot arrive before it was
sent, and a late frame does not move the mapping), minus the camera's latency
(``latency_s``: sensor to encoder output, which only the payload's data sheet or a
measurement knows). So a frame decoded late still says when it was taken, and its pose
is the telemetry's at that time. A file is played at its own frame rate, as a live
camera would send it.

Only grey (white-hot) streams are read as they are: a false-colour stream is refused
with its reason, never turned into grey levels that do not rise with temperature.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np

from dronewatch.errors import DronewatchError
from dronewatch.geo.camera import CameraModel
from dronewatch.thermal.frame import Frame, PixelUnit

__all__ = ["VIDEO_SCHEMES", "VIDEO_SUFFIXES", "StreamStats", "VideoError", "VideoStream",
           "is_video"]

VIDEO_SCHEMES = ("rtsp://", "rtsps://", "udp://", "tcp://", "rtp://", "srt://", "http://",
                 "https://")
VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".ts", ".m2ts", ".avi", ".h264", ".264", ".h265",
                  ".265", ".hevc")
# Container and stream tags are read "replace", not strict: PyAV decodes them all as
# UTF-8 when a video opens, and a camera writing its title in GBK, or one damaged byte
# of a copied file, would otherwise refuse the whole video for a tag we never use.
TAGS_AS_FOUND = "replace"
_MAX_CHROMA = 6.0  # mean |U-128|+|V-128| above this: a false-colour stream


class VideoError(DronewatchError, ValueError):
    """A video stream that cannot be read (or no longer can); names the stream."""


def is_video(camera: str) -> bool:
    """True for a stream URL or a video file name (by suffix)."""
    return camera.lower().startswith(VIDEO_SCHEMES) or \
        Path(camera).suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True, slots=True)
class StreamStats:
    """What the stream delivered: frames decoded, taken for analysis, dropped unseen
    (including those the decoder skipped to catch up), and the worst decoding lag."""

    decoded: int
    taken: int
    dropped: int
    skipped_by_decoder: int
    max_lag_s: float
    error: str = ""


class VideoStream:
    """A video stream read in a background thread; :meth:`newest` gives the latest frame.

    Parameters
    ----------
    url
        ``rtsp://``, ``udp://host:port`` (listens), ``tcp://``, ... or a video file.
    camera
        The camera's geometry; scaled to the stream's size when that differs.
    latency_s
        Seconds from exposure to the frame leaving the encoder, subtracted from times.
    keep_s
        How many seconds of recent frames are kept for :meth:`frames_between`.
    max_lag_s
        Decoding this far behind the stream makes the decoder skip to key frames.
    """

    def __init__(self, url: str, camera: CameraModel, *, latency_s: float = 0.0,
                 keep_s: float = 2.0, max_lag_s: float = 0.5,
                 open_timeout_s: float = 10.0) -> None:
        self.url, self.camera, self.latency_s = url, camera, latency_s
        self.keep_s, self.max_lag_s, self.open_timeout_s = keep_s, max_lag_s, open_timeout_s
        self._is_file = not url.lower().startswith(VIDEO_SCHEMES)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._recent: deque[Frame] = deque()
        self._newest: Frame | None = None
        self._last_taken = ""  # the source of the last frame taken (they move forward)
        self._decoded = self._taken = self._skipped = 0
        self._max_lag_s = 0.0
        self._error = ""
        self._ended = False
        self._offset_s: float | None = None
        self._thread = threading.Thread(target=self._run, name=f"video {url}", daemon=True)

    # -- the consumer's side -------------------------------------------------------
    def __enter__(self) -> VideoStream:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)

    @property
    def stats(self) -> StreamStats:
        with self._cond:
            waiting = int(self._newest is not None and self._newest.source != self._last_taken)
            return StreamStats(self._decoded, self._taken,
                               self._decoded - self._taken - waiting + self._skipped,
                               self._skipped, self._max_lag_s, self._error)

    @property
    def ended(self) -> bool:
        """The stream is over (a file played to its end, or an error)."""
        return self._ended

    def newest(self, timeout_s: float = 0.0, *, newer_than: float | None = None) -> Frame:
        """The newest frame (waiting up to ``timeout_s`` for one captured after
        ``newer_than``, when given); it counts as taken for analysis.

        Raises
        ------
        VideoError
            No frame (yet, or no newer one) within the timeout; the message says why
            (the stream's own error when it failed).
        """
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not self._fresh(newer_than):
                left = deadline - time.monotonic()
                if left <= 0 or self._ended:
                    break
                self._cond.wait(left)
            if not self._fresh(newer_than):
                why = self._error or ("no frame yet" if self._newest is None
                                      else "no newer frame")
                raise VideoError(f"{self.url}: {why}")
            assert self._newest is not None
            return self._take(self._newest)

    def nearest(self, time_unix_s: float, timeout_s: float = 0.0) -> Frame:
        """The kept frame captured nearest a time, waiting up to ``timeout_s`` for one
        captured at or after it (a shot's frame arrives after the shot, by the video's
        latency); it counts as taken.

        Raises
        ------
        VideoError
            No frame at all within the timeout.
        """
        with contextlib.suppress(VideoError):
            self.newest(timeout_s, newer_than=time_unix_s)
        with self._cond:
            if not self._recent:
                raise VideoError(f"{self.url}: {self._error or 'no frame yet'}")
            best = min(self._recent, key=lambda f: abs(f.time_unix_s - time_unix_s))
            return self._take(best)

    def _take(self, frame: Frame) -> Frame:
        if frame.source != self._last_taken:
            self._taken += 1
            self._last_taken = frame.source
        return frame

    def frames_between(self, start_unix_s: float, end_unix_s: float) -> list[Frame]:
        """The kept recent frames captured in [start, end], oldest first."""
        with self._cond:
            return [f for f in self._recent if start_unix_s <= f.time_unix_s <= end_unix_s]

    def _fresh(self, newer_than: float | None) -> bool:
        return self._newest is not None and (newer_than is None
                                             or self._newest.time_unix_s > newer_than)

    # -- the decoder thread ----------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._decode_one_connection()
            except (av.error.FFmpegError, OSError, VideoError, ValueError) as exc:
                message = str(exc) if isinstance(exc, VideoError) else \
                    f"{self.url}: {type(exc).__name__}: {exc}"
                with self._cond:
                    self._error = message.removeprefix(f"{self.url}: ")
                    self._cond.notify_all()
                if self._is_file or isinstance(exc, VideoError):
                    break
                self._stop.wait(1.0)  # a network stream: try again (the gimbal rebooted)
                continue
            if self._is_file:
                break
        with self._cond:
            self._ended = True
            if not self._error:
                self._error = "the stream ended"
            self._cond.notify_all()

    def _decode_one_connection(self) -> None:
        # a small probe: the first frames are not held back for seconds of analysis
        # ("fflags nobuffer" loses MPEG-TS over UDP altogether, so it is not set)
        options = {"probesize": "65536", "analyzeduration": "500000"}
        if self.url.lower().startswith("rtsp"):
            options["rtsp_transport"] = "tcp"
        if self.url.lower().startswith("udp://"):
            options.update(overrun_nonfatal="1", fifo_size="50000")
        with av.open(self.url, options=options, metadata_errors=TAGS_AS_FOUND,
                     timeout=(self.open_timeout_s, 1.0)) as box:
            if not box.streams.video:
                raise VideoError(f"{self.url}: no video stream in it")
            stream = box.streams.video[0]
            stream.thread_type = "SLICE"  # frame threads would hold frames back
            played_from: tuple[float, float] | None = None
            for packet in box.demux(stream):
                if self._stop.is_set():
                    return
                pictures = packet.decode()
                if not pictures and packet.size and stream.codec_context.skip_frame == "NONKEY":
                    self._skipped += 1
                for picture in pictures:
                    when = self._pts_s(picture, stream)
                    if self._is_file:
                        played_from = self._pace(when, played_from)
                    self._keep(picture, when, stream)

    def _pts_s(self, picture: av.VideoFrame, stream: av.video.stream.VideoStream) -> float:
        if picture.pts is None or stream.time_base is None:
            return time.monotonic()
        return float(picture.pts * stream.time_base)

    def _pace(self, pts_s: float, start: tuple[float, float] | None) -> tuple[float, float]:
        """Play a file at its own rate: wait until this frame is due."""
        if start is None:
            return (time.monotonic(), pts_s)
        due = start[0] + (pts_s - start[1])
        self._stop.wait(max(due - time.monotonic(), 0.0))
        return start

    def _keep(self, picture: av.VideoFrame, pts_s: float,
              stream: av.video.stream.VideoStream) -> None:
        arrived = time.time()
        offset = arrived - pts_s
        if self._offset_s is None or offset < self._offset_s:
            if self._offset_s is not None:  # frames kept so far were stamped too late
                self._restamp(offset - self._offset_s)
            self._offset_s = offset  # the fastest frame yet: the best mapping
        lag_s = offset - self._offset_s
        self._max_lag_s = max(self._max_lag_s, lag_s)
        context = stream.codec_context
        if lag_s > self.max_lag_s and context.skip_frame != "NONKEY":
            context.skip_frame = "NONKEY"  # behind: decode key frames only until caught up
        elif lag_s < self.max_lag_s / 2 and context.skip_frame != "DEFAULT":
            context.skip_frame = "DEFAULT"
        frame = Frame(self._grey(picture), PixelUnit.AGC_8BIT,
                      pts_s + self._offset_s - self.latency_s, self._camera_for(picture),
                      None, f"{self.url}@{pts_s:.3f}")
        with self._cond:
            self._newest = frame
            self._decoded += 1
            self._recent.append(frame)
            while self._recent and self._recent[0].time_unix_s < frame.time_unix_s - self.keep_s:
                self._recent.popleft()
            self._cond.notify_all()

    def _restamp(self, shift_s: float) -> None:
        """Move the kept frames' times by ``shift_s`` (the first frames of a stream come
        in a burst after the probe, later than they were sent)."""
        def moved(f: Frame) -> Frame:
            return replace(f, time_unix_s=f.time_unix_s + shift_s)

        with self._cond:
            self._recent = deque(moved(f) for f in self._recent)
            if self._newest is not None:
                self._newest = self._recent[-1] if self._recent else moved(self._newest)

    def _grey(self, picture: av.VideoFrame) -> np.ndarray:
        """The luma plane; refused when the chroma says the picture is false-colour."""
        if self._decoded == 0 and picture.format.name.startswith(("yuv", "yuvj")):
            yuv = picture.to_ndarray(format="yuv420p")
            h = picture.height
            chroma = yuv[h:].astype(np.int16) - 128
            if float(np.abs(chroma).mean()) * 2 > _MAX_CHROMA:
                raise VideoError(f"{self.url}: a false-colour (palette) stream; set the "
                                 "payload to white-hot grey video")
        return np.ascontiguousarray(picture.to_ndarray(format="gray"))

    def _camera_for(self, picture: av.VideoFrame) -> CameraModel:
        self.camera = self.camera.resized(picture.width, picture.height)
        return self.camera
