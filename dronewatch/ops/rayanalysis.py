"""Frames analysed by workers of a Ray cluster, the findings kept by the flying process.

Why Ray: an existing engine that runs the same Python on one machine or many, moves
numpy frames cheaply and restarts nothing we would have to write. Each worker (an
actor holding one CPU) loads the detector and opens the DEM once, by its path (the
cluster's machines need dronewatch and the DEM at that path), then runs
:func:`dronewatch.thermal.detect` (detection and georeferencing) on each frame it is
sent and returns only the detections; the frame itself never leaves the flying
process's memory, which fuses and stores the findings as it always did.

Backpressure: at most ``in_flight_per_worker`` frames per worker are on the cluster
(one running, one queued there so a worker never waits for our poll) and at most
``max_waiting`` wait here for a free worker. When the queue is full the *oldest*
waiting frame is dropped and reported: the newest frame shows where the drone is now,
the one whose finding it can still turn back to; nothing queues without bound.

Faults: Ray is a ground-side helper, so by the fault policy
(:mod:`dronewatch.ops.faults`) its failures are DETECTION faults, whose action is
CONTINUE: the drone flies on. A detector error on one frame loses that frame, as in
process. A cluster that is gone or gives no answer for ``stall_after_s`` is given up
for the rest of the flight: the frames it held are lost (counted as failed
detections; analysing them here could repeat what killed a worker), the waiting ones
and every later frame are analysed in this process, and the operator is warned.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from dronewatch.geo import Terrain
from dronewatch.ops.analysis import (
    INSTALL_HINT,
    Analysed,
    AnalysisError,
    AnalysisOutcome,
    Dropped,
    Failed,
    InProcessAnalysis,
)
from dronewatch.thermal import Detection, Frame, default_detector, detect
from dronewatch.thermal.learned import ModelInfo

__all__ = ["LOCAL_WORKERS", "DetectorWorker", "RayAnalysis", "require_ray"]

LOCAL_WORKERS = 2  # the workers of a cluster this process starts: one per core here
#: How long (wall s) a Ray client waits for a lost ray:// server before giving up: the
#: flight loop is stalled meanwhile, so shorter than Ray's 30 s (the user may set it).
CLIENT_GRACE_S = "5"


def require_ray() -> ModuleType:
    """The ``ray`` module.

    Raises
    ------
    AnalysisError
        Ray is not installed; the message names the extra that installs it.
    """
    try:
        import ray
    except ImportError as exc:
        raise AnalysisError(f"analysis on a Ray cluster needs Ray, which is not installed "
                            f"here: {INSTALL_HINT}") from exc
    return ray


class DetectorWorker:
    """One worker: the detector and the DEM, loaded once when it starts."""

    def __init__(self, dem_path: str, model_path: str | None) -> None:
        import cv2

        if model_path is not None:  # the station's own model, not the package's
            os.environ["DRONEWATCH_DETECTOR_MODEL"] = model_path
        cv2.setNumThreads(1)  # a worker holds one CPU
        self._terrain = Terrain(dem_path)
        self._model = default_detector().info

    def model(self) -> ModelInfo:
        return self._model

    def analyse(self, frame: Frame) -> tuple[Detection, ...]:
        return tuple(detect(frame, self._terrain))


@dataclass(frozen=True, slots=True)
class _Sent:
    frame: Frame
    worker: int
    sent_s: float  # monotonic


_pools: dict[tuple[str, str, str], list[Any]] = {}  # (job, DEM, model): started workers
_pools_lock = threading.Lock()


@dataclass
class RayAnalysis:
    """Frames analysed by ``workers`` (Ray actor handles of :class:`DetectorWorker`);
    :meth:`start` connects and starts them."""

    ray: ModuleType
    workers: list[Any]
    terrain: Terrain  # the flying process's own, for the fallback
    in_flight_per_worker: int = 2
    max_waiting: int = 4
    stall_after_s: float = 30.0
    warn: Callable[[str], None] = lambda _: None
    pool_key: tuple[str, str, str] | None = None
    dropped: int = 0
    _sent: dict[Any, _Sent] = field(default_factory=dict)  # object ref -> frame
    _waiting: deque[tuple[Frame, float]] = field(default_factory=deque)
    _done: list[AnalysisOutcome] = field(default_factory=list)
    _fallback: InProcessAnalysis | None = None

    @classmethod
    def start(cls, address: str | None, terrain: Terrain, *, workers: int | None = None,
              start_within_s: float = 180.0, **options: Any) -> RayAnalysis:
        """Connect to the cluster at ``address`` (``ray://HOST:PORT``), or start one on
        this machine (None), unless this process is connected already; start the
        workers, or take the ones this process started there before.

        Raises
        ------
        AnalysisError
            No Ray, no cluster, no room for the workers within ``start_within_s``, or
            the workers' detector is not this station's.
        """
        ray = require_ray()
        model = os.environ.get("DRONEWATCH_DETECTOR_MODEL")
        with _pools_lock:
            _connect(ray, address, workers or LOCAL_WORKERS)
            key = (ray.get_runtime_context().get_job_id(), terrain.path, model or "")
            handles = _pools.get(key)
            if handles is None:
                count = workers or (LOCAL_WORKERS if address is None else
                                    max(int(ray.cluster_resources().get("CPU", 1)), 1))
                handles = _start_workers(ray, count, terrain.path, model, start_within_s)
                _pools[key] = handles
        return cls(ray, handles, terrain, pool_key=key, **options)

    @property
    def capacity(self) -> int:
        """The most frames pending at once: on the workers and waiting here."""
        return len(self.workers) * self.in_flight_per_worker + self.max_waiting

    @property
    def held(self) -> int:
        """Frames on the workers or waiting here: never more than :attr:`capacity`."""
        return len(self._sent) + len(self._waiting)

    @property
    def pending(self) -> int:
        fallback = self._fallback.pending if self._fallback is not None else 0
        return self.held + len(self._done) + fallback

    def submit(self, frame: Frame) -> None:
        if self._fallback is not None:
            self._fallback.submit(frame)
            return
        if len(self._waiting) >= self.max_waiting:
            oldest, _ = self._waiting.popleft()
            self.dropped += 1
            self._done.append(Dropped(oldest))
        self._waiting.append((frame, time.monotonic()))
        self._send_waiting()

    def collect(self, wait_s: float = 0.0) -> list[AnalysisOutcome]:
        deadline_s = time.monotonic() + wait_s
        while self._fallback is None and self._sent:
            try:
                ready, _ = self.ray.wait(list(self._sent), num_returns=len(self._sent),
                                         timeout=max(deadline_s - time.monotonic(), 0.0))
                for ref in ready:
                    self._done.append(self._outcome(ref))
                self._send_waiting()
            except Exception as exc:  # the cluster, not a frame: see the module's doc
                self._give_up(f"{type(exc).__name__}: {exc}")
                break
            oldest_s = min((s.sent_s for s in self._sent.values()), default=None)
            if oldest_s is not None and time.monotonic() - oldest_s > self.stall_after_s:
                self._give_up(f"no answer for {self.stall_after_s:.0f} s")
            if time.monotonic() >= deadline_s:
                break
        done, self._done = self._done, []
        if self._fallback is not None:
            done += self._fallback.collect()
        return done

    def close(self) -> None:
        """Forget the frames still pending; the workers stay for the next flight of
        this process (they go when the process or its Ray session ends)."""
        self._sent.clear()
        self._waiting.clear()
        self._done.clear()

    def __enter__(self) -> RayAnalysis:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send_waiting(self) -> None:
        """Send waiting frames, oldest first, to the least busy workers with room."""
        load = [0] * len(self.workers)
        for sent in self._sent.values():
            load[sent.worker] += 1
        while self._waiting:
            worker = min(range(len(load)), key=load.__getitem__)
            if load[worker] >= self.in_flight_per_worker:
                return
            frame, queued_s = self._waiting.popleft()
            try:
                ref = self.workers[worker].analyse.remote(frame)
            except Exception as exc:
                self._waiting.appendleft((frame, queued_s))
                self._give_up(f"{type(exc).__name__}: {exc}")
                return
            self._sent[ref] = _Sent(frame, worker, queued_s)
            load[worker] += 1

    def _outcome(self, ref: Any) -> AnalysisOutcome:
        """A finished frame's outcome; any error but the detector's is the cluster's
        (raised, with the frame still counted as sent)."""
        sent = self._sent[ref]
        try:
            detections = self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as exc:  # detect() raised: this frame only
            cause = getattr(exc, "cause", None) or exc
            del self._sent[ref]
            return Failed(sent.frame, f"{type(cause).__name__}: {cause}")
        del self._sent[ref]
        return Analysed(sent.frame, tuple(detections), time.monotonic() - sent.sent_s)

    def _give_up(self, why: str) -> None:
        """The cluster failed: its frames are lost, the rest analysed in this process."""
        self.warn(f"the analysis cluster failed ({why}): frames are analysed in this "
                  "process from now on")
        self._done += [Failed(s.frame, f"analysis cluster lost: {why}")
                       for s in self._sent.values()]
        self._sent.clear()
        with _pools_lock:  # the next flight starts new workers
            if self.pool_key is not None and _pools.get(self.pool_key) is self.workers:
                del _pools[self.pool_key]
        self._fallback = InProcessAnalysis(self.terrain)
        while self._waiting:
            self._fallback.submit(self._waiting.popleft()[0])


def _connect(ray: ModuleType, address: str | None, cpus: int, attempts: int = 2) -> None:
    """Join the cluster at ``address`` or start one here, unless connected already.

    Starting one is tried again once: Ray gives its services a fixed 30 s to come up,
    which a busy machine can miss.
    """
    if ray.is_initialized():
        return
    where = address or "on this machine"
    for attempt in range(1, attempts + 1):
        try:
            if address is None:
                ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
            else:
                os.environ.setdefault("RAY_CLIENT_RECONNECT_GRACE_PERIOD", CLIENT_GRACE_S)
                ray.init(address, log_to_driver=False)
            return
        except Exception as exc:
            with contextlib.suppress(Exception):
                ray.shutdown()
            if address is not None or attempt == attempts:
                raise AnalysisError(f"the Ray cluster {where} cannot be reached or started: "
                                    f"{type(exc).__name__}: {exc}") from exc


def _start_workers(ray: ModuleType, count: int, dem_path: str, model: str | None,
                   within_s: float) -> list[Any]:
    """``count`` workers with the detector loaded, checked to be this station's."""
    actor = ray.remote(num_cpus=1)(DetectorWorker)
    handles = [actor.remote(dem_path, model) for _ in range(count)]
    try:
        models = ray.get([h.model.remote() for h in handles], timeout=within_s)
    except Exception as exc:
        _kill(ray, handles)
        raise AnalysisError(f"the Ray cluster did not start {count} analysis workers within "
                            f"{within_s:.0f} s (each needs a CPU, dronewatch installed and "
                            f"the DEM at {dem_path}): {type(exc).__name__}: {exc}") from exc
    ours = default_detector().info
    if any(m != ours for m in models):
        _kill(ray, handles)
        raise AnalysisError("the Ray cluster's detector model is not this station's: "
                            "install the same dronewatch (and model) on the cluster")
    return handles


def _kill(ray: ModuleType, handles: list[Any]) -> None:
    for handle in handles:
        with contextlib.suppress(Exception):
            ray.kill(handle)
