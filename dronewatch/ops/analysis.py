"""Where a flight's frames are analysed: in this process, or handed to a cluster.

Why a seam: detection is the slowest step of a flight, and a regional centre with many
drones streaming has more frames than one machine can analyse. The flight hands each
frame that passed the shot checks to an :class:`Analysis` (``submit``) and takes back
whatever is done (``collect``), so the findings are fused and stored in the flying
process exactly as before, wherever the detector ran. In this process
(:class:`InProcessAnalysis`, the default) a frame is analysed the moment it is
submitted, as it always was; on a Ray cluster (:mod:`dronewatch.ops.rayanalysis`)
results come back later and a bounded number of frames waits, the oldest dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from dronewatch.errors import DronewatchError
from dronewatch.geo import Terrain
from dronewatch.thermal import Detection, Frame, detect

__all__ = ["LOCAL", "Analysed", "Analysis", "AnalysisError", "AnalysisOutcome", "Dropped",
           "Failed", "InProcessAnalysis", "check_analysis", "open_analysis"]

LOCAL = "local"
INSTALL_HINT = "pip install -e '.[cluster]'"


class AnalysisError(DronewatchError):
    """Frames cannot be analysed where the operator asked (no Ray, no cluster, no room
    for the workers, a different detector there); the message says which and the fix."""


@dataclass(frozen=True, slots=True)
class Analysed:
    """A frame's detections, ``latency_s`` (wall) after it was submitted."""

    frame: Frame
    detections: tuple[Detection, ...]
    latency_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Failed:
    """The detector failed on this frame (``reason``: the error); the frame is lost."""

    frame: Frame
    reason: str


@dataclass(frozen=True, slots=True)
class Dropped:
    """Never analysed: newer frames pushed it out of the full queue."""

    frame: Frame
    reason: str = "analysis overloaded"


AnalysisOutcome = Analysed | Failed | Dropped


class Analysis(Protocol):
    """Where frames are analysed. Every submitted frame comes back from ``collect``
    exactly once, as analysed, failed or dropped."""

    def submit(self, frame: Frame) -> None:
        """Hand a posed frame over; never blocks for long (the flight loop calls it)."""

    def collect(self, wait_s: float = 0.0) -> list[AnalysisOutcome]:
        """The outcomes ready now; with ``wait_s`` waits that long (wall) at most for
        the frames still pending."""

    @property
    def pending(self) -> int:
        """Frames submitted whose outcome has not been collected yet."""

    @property
    def dropped(self) -> int:
        """Frames dropped so far because the analysis could not keep up."""

    def close(self) -> None:
        """Let go of whatever the analysis holds (workers, connections)."""

    def __enter__(self) -> Analysis: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass
class InProcessAnalysis:
    """Detection in the flying process, at submit: what a station without a cluster does."""

    terrain: Terrain
    _done: list[AnalysisOutcome] = field(default_factory=list)

    def submit(self, frame: Frame) -> None:
        started = time.monotonic()
        try:
            outcome: AnalysisOutcome = Analysed(frame, tuple(detect(frame, self.terrain)),
                                                time.monotonic() - started)
        except Exception as exc:  # one frame lost, by the fault policy (DETECTION)
            outcome = Failed(frame, f"{type(exc).__name__}: {exc}")
        self._done.append(outcome)

    def collect(self, wait_s: float = 0.0) -> list[AnalysisOutcome]:
        done, self._done = self._done, []
        return done

    @property
    def pending(self) -> int:
        return len(self._done)

    @property
    def dropped(self) -> int:
        return 0

    def close(self) -> None:
        self._done.clear()

    def __enter__(self) -> InProcessAnalysis:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_analysis(where: str) -> str:
    """``where`` as given when it names a place frames can be analysed: ``local`` (this
    process), ``ray`` (a Ray cluster this process starts) or ``ray://HOST:PORT`` (a
    running one); Ray must be installed for the last two.

    Raises
    ------
    AnalysisError
        Anything else, or Ray is not installed (the message says how to install it).
    """
    if where == LOCAL:
        return where
    if where != "ray" and not (where.startswith("ray://") and where.rpartition(":")[2]
                               .isdigit()):
        raise AnalysisError(f"--analysis {where!r}: use 'local', 'ray' (a Ray cluster on "
                            "this machine) or 'ray://HOST:PORT' (a running Ray cluster)")
    from dronewatch.ops.rayanalysis import require_ray

    require_ray()
    return where


def open_analysis(where: str, terrain: Terrain, *,
                  warn: Callable[[str], None] = lambda _: None) -> Analysis:
    """The analysis ``where`` names (see :func:`check_analysis`), ready to take frames;
    a context manager that closes it. ``warn`` hears of a cluster lost mid-flight.

    Raises
    ------
    AnalysisError
        The cluster cannot be reached or cannot start its workers (nothing flies).
    """
    if check_analysis(where) == LOCAL:
        return InProcessAnalysis(terrain)
    from dronewatch.ops.rayanalysis import RayAnalysis

    return RayAnalysis.start(None if where == "ray" else where, terrain, warn=warn)
