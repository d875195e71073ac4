"""Live thermal video in the operator's jobs: a camera for searches and patrols, and a
watcher that analyses the stream as fast as the CPU allows.

Why two ways: in a search or patrol the autopilot fires the camera along the survey
legs and says where it was in CAMERA_FEEDBACK; with a video payload, each such shot
takes the video frame captured at the shot's time (:class:`VideoCamera`), so the shot's
pose is the frame's and coverage is what was planned. Watching a stream (a hand-flown
drone, the command room's live picture) has no shots: :func:`watch_video` takes the
newest frame whenever the detector is free, poses it from the telemetry at the frame's
capture time, and never falls behind real time; frames it had no time for are counted
as dropped.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from dronewatch.geo import CameraModel, CameraPose, Terrain
from dronewatch.ops.record import FindingRecorder
from dronewatch.thermal import Frame, FrameError, default_detector, detect
from dronewatch.thermal.sources.video import StreamStats, VideoError, VideoStream, is_video

__all__ = ["DEFAULT_LATENCY_S", "VideoCamera", "VideoWatchReport", "is_video", "parse_camera",
           "video_camera", "watch_video"]

DEFAULT_LATENCY_S = 0.1  # exposure to arrival, typical of a gimbal's H.264 over Ethernet


def parse_camera(text: str) -> tuple[str, float]:
    """A ``--camera`` video value and its latency: ``URL_OR_FILE[#latency=SECONDS]``.

    Why in the value: a station may watch two payloads with different encoders; the
    latency belongs to the stream, not to the station.

    Raises
    ------
    ValueError
        The latency is not a number of seconds between 0 and 10.
    """
    url, _, fragment = text.partition("#")
    latency_s = DEFAULT_LATENCY_S
    if fragment:
        key, _, value = fragment.partition("=")
        try:
            latency_s = float(value) if key == "latency" else float("nan")
        except ValueError:
            latency_s = float("nan")
        if not 0 <= latency_s <= 10:
            raise ValueError(f"{text!r}: the part after '#' must be latency=SECONDS (0-10)")
    return url, latency_s


class VideoCamera:
    """A video stream as the flight loop's camera: at each shot, the frame captured
    nearest the shot's time (waiting ``wait_s`` for it to arrive); also a record of the
    last seconds of frames for shots lost on the link (``frames_between``).

    The frame has no pose of its own: captured at the shot's time, it takes the shot's.
    """

    def __init__(self, stream: VideoStream, *, wait_s: float = 0.5) -> None:
        self.stream, self.wait_s = stream, wait_s
        stream.start()

    def __call__(self, pose: CameraPose, time_s: float) -> Frame:
        try:
            return self.stream.nearest(time_s, self.wait_s)
        except VideoError as exc:
            raise FrameError(self.stream.url, str(exc).removeprefix(f"{self.stream.url}: ")) \
                from exc

    def frames_between(self, start_unix_s: float, end_unix_s: float) -> list[Frame]:
        return self.stream.frames_between(start_unix_s, end_unix_s)

    @property
    def stats(self) -> StreamStats:
        return self.stream.stats

    def close(self) -> None:
        self.stream.close()


def video_camera(camera: str, model: CameraModel) -> VideoCamera:
    """The camera for a ``--camera`` stream URL or video file (see :func:`parse_camera`)."""
    url, latency_s = parse_camera(camera)
    return VideoCamera(VideoStream(url, model, latency_s=latency_s))


@dataclass(frozen=True, slots=True)
class VideoWatchReport:
    """What watching a stream did: frames analysed, not analysed (why), the stream's
    own figures, and how far behind the stream the analysis was: wall seconds from a
    frame's arrival (its capture time plus the stream's latency) to the start of its
    analysis, at most about one detection's time when nothing queues."""

    analysed: int
    skipped: tuple[tuple[str, int], ...]
    stream: StreamStats
    max_behind_s: float
    mean_behind_s: float


def watch_video(stream: VideoStream, pose_at: Callable[[float], CameraPose | None],
                terrain: Terrain, recorder: FindingRecorder, *,
                stop: threading.Event | None = None, idle_s: float = 5.0,
                clock: Callable[[], float] = time.time) -> VideoWatchReport:
    """Analyse the newest frame, again and again, until ``stop`` or the stream ends.

    ``pose_at`` gives the camera pose at a capture time (the telemetry's, e.g.
    :meth:`dronewatch.thermal.PoseTrack.at`), None when the telemetry has a gap there:
    that frame is skipped and counted, never posed by a guess.

    Raises
    ------
    VideoError
        No frame came for ``idle_s`` seconds (the stream's reason in the message).
    ModelError
        The detector's model cannot be loaded.
    """
    stop = stop or threading.Event()
    default_detector()  # the model is loaded (or refused) before the first frame
    skipped: Counter[str] = Counter()
    ages: list[float] = []
    last = float("-inf")
    stream.start()
    while not stop.is_set():
        try:
            frame = stream.newest(idle_s, newer_than=last)
        except VideoError:
            if stream.ended or stop.is_set():
                break
            raise
        last = frame.time_unix_s
        ages.append(clock() - frame.time_unix_s - stream.latency_s)
        pose = pose_at(frame.time_unix_s)
        if pose is None:
            skipped["no telemetry at its time"] += 1
            continue
        frame = frame.with_pose(pose)
        try:
            detections = detect(frame, terrain)
        except Exception as exc:  # one frame lost, as in a search
            skipped[f"detection failed ({type(exc).__name__})"] += 1
            continue
        recorder.add(frame, detections)
    analysed = len(ages) - sum(skipped.values())
    return VideoWatchReport(analysed, tuple(sorted(skipped.items())), stream.stats,
                            max(ages, default=0.0), sum(ages) / len(ages) if ages else 0.0)
