"""The fault policy of a flight: what the drone does when anything goes wrong on the ground.

Why one place: a drone in the air must never be left flying with nobody watching
because some error on the ground station ended the program. Every error that can
reach the flight loop (store, disk, camera, detection, the link, a signal, a bug) is
put in a class here, and each class has exactly one safe action: keep flying the
mission, hold where the drone is, or come home (RTL). The flight loop asks
:func:`classify` and :data:`POLICY`; nothing else decides.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import FrameType, MappingProxyType

from dronewatch.link import LinkError, Vehicle
from dronewatch.store import StoreError
from dronewatch.thermal import FrameError

__all__ = ["POLICY", "Fault", "FaultClass", "Outcome", "SafeAction", "SignalInterrupt",
           "bring_home", "classify", "signals_interrupt"]


class FaultClass(StrEnum):
    """Where an error came from, as far as the drone's safety goes."""

    STORE = "store"  # the store is unreachable, locked or full: findings go to the journal
    DISK = "disk"  # this machine's disk is full: nothing more can be kept here
    CAMERA = "camera"  # one shot without a usable frame
    CAMERA_BLIND = "camera blind"  # several shots in a row without a usable frame
    DETECTION = "detection"  # the detector failed on one frame
    LINK = "link"  # a command to the vehicle went unanswered
    SIGNAL = "signal"  # SIGINT (Ctrl-C) or SIGTERM: the operator or the system stops us
    BUG = "bug"  # anything else: our own mistake


class SafeAction(StrEnum):
    """What the drone is made to do about a fault."""

    CONTINUE = "continue"  # fly on: the mission still does its job (a shot is lost at most)
    HOLD = "hold"  # stop where it is and wait (the mission can be resumed)
    RTL = "rtl"  # come home and land


class Outcome(StrEnum):
    """How a flight ended, as recorded in the store and the report."""

    COMPLETED = "completed"
    LINK_LOST = "link lost"
    ABORTED = "aborted by operator (RTL)"
    FAULT_RTL = "returned on a fault (RTL)"
    TIMED_OUT = "timed out"
    NOT_LAUNCHED = "not launched"
    INTERRUPTED = "interrupted"  # found open at the next start: the ground process died


#: The station's policy, one safe action per class of fault.
POLICY: Mapping[FaultClass, SafeAction] = MappingProxyType({
    FaultClass.STORE: SafeAction.CONTINUE,  # the journal keeps the findings
    FaultClass.DISK: SafeAction.RTL,  # neither store nor journal can keep a finding
    FaultClass.CAMERA: SafeAction.CONTINUE,  # one shot lost; counted and shown
    FaultClass.CAMERA_BLIND: SafeAction.RTL,  # a blind search only burns battery
    FaultClass.DETECTION: SafeAction.CONTINUE,  # one frame not analysed; counted
    FaultClass.LINK: SafeAction.CONTINUE,  # the drone flies its mission or its failsafe
    FaultClass.SIGNAL: SafeAction.RTL,  # Ctrl-C / SIGTERM: home, as the README promises
    FaultClass.BUG: SafeAction.RTL,  # we cannot trust ourselves to watch any more
})

_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


class SignalInterrupt(KeyboardInterrupt):
    """SIGTERM (or SIGINT) turned into an interrupt, so both end a flight the same way."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass(frozen=True, slots=True)
class Fault:
    """One classified error with the action the policy gives it."""

    fault_class: FaultClass
    action: SafeAction
    message: str

    @classmethod
    def of(cls, exc: BaseException, policy: Mapping[FaultClass, SafeAction] = POLICY
           ) -> Fault:
        kind = classify(exc)
        text = str(exc) or type(exc).__name__
        if kind is FaultClass.SIGNAL:
            text = f"stopped by {text if isinstance(exc, SignalInterrupt) else 'Ctrl-C'}"
        elif kind is FaultClass.BUG:
            text = f"{type(exc).__name__}: {text}"
        return cls(kind, policy[kind], text)


def classify(exc: BaseException) -> FaultClass:
    """The class of an error that reached the flight loop.

    A full disk is told apart from a full or unreachable store: the first leaves
    nowhere to keep findings, the second leaves the journal.
    """
    if isinstance(exc, KeyboardInterrupt):
        return FaultClass.SIGNAL
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        return FaultClass.DISK
    if isinstance(exc, StoreError | sqlite3.Error) or type(exc).__module__.startswith(
            "psycopg"):
        return FaultClass.STORE
    if isinstance(exc, FrameError):
        return FaultClass.CAMERA
    if isinstance(exc, LinkError | TimeoutError):
        return FaultClass.LINK
    return FaultClass.BUG


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`SignalInterrupt` and SIGINT KeyboardInterrupt, whatever
    this process inherited for them.

    Why: a service manager stopping the station (or a shutdown) sends SIGTERM, whose
    default kills the process at once, leaving the drone with nobody watching. And a
    process started in the background by a shell inherits SIGINT *ignored*, so Ctrl-C
    (or a supervisor's SIGINT) would do nothing while the drone flies on: during a
    flight both must bring it home. Only the main thread can take signals; elsewhere
    this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise SignalInterrupt(signum)

    previous_term = signal.signal(signal.SIGTERM, interrupt)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)


def _homebound(vehicle: Vehicle) -> bool:
    state = vehicle.state
    return (not state.armed) or state.mode in ("RTL", "LAND", "SMART_RTL", "AUTO_RTL")


def bring_home(vehicle: Vehicle, say: Callable[[str], None], *, land_within_s: float | None,
               attempts: int = 5) -> str:
    """Send the drone home and wait until it is known to be on its way (or landed).

    Returns what is known at the end: "landed", "returning" or "link lost". A drone
    still armed on the ground (a take-off stopped early) is disarmed instead. With
    ``land_within_s`` the wait goes on until it has landed; a second Ctrl-C during that
    wait ends only the waiting, never the RTL.
    """
    for attempt in range(attempts):
        state = vehicle.state
        if state.stale and time.monotonic() - state.last_heartbeat_s > 5.0:
            say("no link to the vehicle: it flies its own failsafe")
            return "link lost"
        try:
            if not state.armed:
                return "landed"
            if state.alt_rel_m < 0.5 and not state.flying:
                vehicle.disarm()
            elif not _homebound(vehicle):
                vehicle.return_to_launch()
            vehicle.wait_for(lambda s: not s.armed or s.mode in ("RTL", "LAND", "SMART_RTL"),
                             max(2.0, 20.0 / max(vehicle.speedup, 1.0)), "RTL")
            break
        except (LinkError, TimeoutError) as exc:
            say(f"RTL not confirmed yet ({exc}); trying again ({attempt + 1}/{attempts})")
        except KeyboardInterrupt:  # Ctrl-C again: the drone still has to be sent home
            say("Ctrl-C again: still making sure the drone comes home")
    else:
        return "link lost" if vehicle.state.stale else "returning"
    if land_within_s is None:
        return "landed" if not vehicle.state.armed else "returning"
    try:
        vehicle.wait_for(lambda s: not s.armed or s.stale, land_within_s, "landed after RTL")
    except KeyboardInterrupt:
        say("no longer waiting: the drone is on its way home (RTL)")
        return "returning"
    except (LinkError, TimeoutError):
        return "returning"
    return "landed" if not vehicle.state.armed else "link lost"
