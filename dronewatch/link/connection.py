"""A MAVLink link: one background reader, per-vehicle state, subscriptions, GCS heartbeat.

Why one reader: callers must never loop over ``recv_match`` (pymavlink's habit), and
two readers on one socket steal each other's messages. The reader thread folds every
message into the sender's :class:`StateTracker` and hands it to every matching
:class:`Subscription`; commands and transfers wait on subscriptions.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from os import PathLike
from types import TracebackType
from typing import Any, Self

from dronewatch.link._mavutil import MavMessage, RawConnection
from dronewatch.link.errors import LinkError, NoHeartbeatError, SignatureMismatchError
from dronewatch.link.state import StateTracker

__all__ = ["Link", "Subscription"]

_GCS_TYPE, _INVALID_AUTOPILOT = 6, 8
_NOT_AUTOPILOTS = {_INVALID_AUTOPILOT}


class Subscription:
    """Messages of some types (from one vehicle, or all), queued until read.

    Use as a context manager so it is removed when done; iterate, or :meth:`get` /
    :meth:`wait` with a timeout.
    """

    def __init__(self, link: Link, types: frozenset[str], sysid: int | None,
                 maxsize: int = 10_000) -> None:
        self._link = link
        self.types = types
        self.sysid = sysid
        self._queue: queue.Queue[MavMessage] = queue.Queue(maxsize)
        self.dropped = 0

    def offer(self, msg: MavMessage) -> None:
        if (not self.types or msg.type in self.types) and self.sysid in (None, msg.sysid):
            try:
                self._queue.put_nowait(msg)
            except queue.Full:
                self.dropped += 1

    def get(self, timeout_s: float) -> MavMessage | None:
        """The next message, or None after ``timeout_s``."""
        try:
            return self._queue.get(timeout=max(timeout_s, 0.0))
        except queue.Empty:
            return None

    def wait(self, predicate: Callable[[MavMessage], bool] = lambda m: True,
             timeout_s: float = 5.0) -> MavMessage | None:
        """The first message that satisfies ``predicate`` within ``timeout_s``, else None."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            msg = self.get(left)
            if msg is not None and predicate(msg):
                return msg
        return None

    def drain(self) -> list[MavMessage]:
        """Everything queued now."""
        out = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out

    def __iter__(self) -> Iterator[MavMessage]:
        while not self._link.closed:
            msg = self.get(0.2)
            if msg is not None:
                yield msg

    def close(self) -> None:
        self._link._remove(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class Link:
    """An open MAVLink connection to one or more vehicles.

    Parameters
    ----------
    url
        ``udp:HOST:PORT`` / ``udpin:`` (listen), ``udpout:HOST:PORT`` (send to),
        ``tcp:HOST:PORT``, or a serial device ``/dev/ttyUSB0,57600``.
    heartbeat_hz
        Our GCS heartbeat rate; a vehicle's GCS failsafe counts these.
    stale_after_s
        A vehicle silent this long is marked stale.
    signing_key
        32-byte MAVLink 2 signing key: we sign everything and drop unsigned messages.
    tlog_path
        Write every message both ways to this telemetry log.
    """

    def __init__(self, url: str, *, source_system: int = 255, heartbeat_hz: float = 1.0,
                 stale_after_s: float = 3.0, signing_key: bytes | None = None,
                 tlog_path: str | PathLike[str] | None = None) -> None:
        self.raw = RawConnection(url, source_system=source_system, signing_key=signing_key,
                                 tlog_path=tlog_path)
        self.url = url
        self._signing = signing_key is not None
        self.stale_after_s = stale_after_s
        self.heartbeat_hz = heartbeat_hz
        self.closed = False
        self._trackers: dict[int, StateTracker] = {}
        self._subs: list[Subscription] = []
        self._lock = threading.Lock()
        self._first_heartbeat = threading.Condition(self._lock)
        self._listeners: list[Callable[[MavMessage], None]] = []
        self.error: LinkError | None = None
        #: smoothed round trip of request/reply exchanges (mission transfers), seconds
        self.reply_srtt_s: float | None = None
        self._reader = threading.Thread(target=self._read, name="mavlink-reader", daemon=True)
        self._beater = threading.Thread(target=self._beat, name="gcs-heartbeat", daemon=True)
        self._reader.start()
        self._beater.start()

    # -- lifetime ----------------------------------------------------------------------
    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._reader.join(timeout=2.0)
        self._beater.join(timeout=2.0)
        self.raw.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- threads -----------------------------------------------------------------------
    def _read(self) -> None:
        while not self.closed:
            try:
                msg = self.raw.receive(0.1)
            except LinkError as exc:
                self.error = exc
                time.sleep(0.1)
                continue
            if msg is None:
                continue
            self._dispatch(msg)

    def _dispatch(self, msg: MavMessage) -> None:
        if msg.type == "HEARTBEAT" and (msg["type"] == _GCS_TYPE
                                        or msg["autopilot"] in _NOT_AUTOPILOTS):
            return  # another ground station, not a vehicle
        with self._lock:
            tracker = self._trackers.get(msg.sysid)
            if tracker is None and msg.type == "HEARTBEAT":
                tracker = self._trackers[msg.sysid] = StateTracker(msg.sysid, self.stale_after_s)
            subs = list(self._subs)
            listeners = list(self._listeners)
        if tracker is not None:
            tracker.update(msg)
            if msg.type == "HEARTBEAT":
                with self._first_heartbeat:
                    self._first_heartbeat.notify_all()
        for sub in subs:
            sub.offer(msg)
        for listener in listeners:
            listener(msg)

    def _beat(self) -> None:
        while not self.closed:
            try:
                self.raw.send("heartbeat", type=_GCS_TYPE, autopilot=_INVALID_AUTOPILOT,
                              base_mode=0, custom_mode=0, system_status=4, mavlink_version=3)
            except LinkError as exc:
                self.error = exc
            deadline = time.monotonic() + 1.0 / self.heartbeat_hz
            while not self.closed and time.monotonic() < deadline:
                time.sleep(min(0.05, 1.0 / self.heartbeat_hz))

    # -- use ---------------------------------------------------------------------------
    def send(self, name: str, **fields: Any) -> None:
        """Send one message by name (see :meth:`RawConnection.send`)."""
        self.raw.send(name, **fields)

    def subscribe(self, *types: str, sysid: int | None = None) -> Subscription:
        """Queue messages of ``types`` (all types if none) from ``sysid`` (all if None)."""
        sub = Subscription(self, frozenset(types), sysid)
        with self._lock:
            self._subs.append(sub)
        return sub

    def add_listener(self, listener: Callable[[MavMessage], None]) -> None:
        """Call ``listener`` on the reader thread for every message (keep it quick)."""
        with self._lock:
            self._listeners.append(listener)

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def tracker(self, sysid: int) -> StateTracker:
        with self._lock:
            return self._trackers[sysid]

    @property
    def sysids(self) -> list[int]:
        """Vehicles heard so far."""
        with self._lock:
            return sorted(self._trackers)

    def signature_mismatch(self) -> str:
        """Why signed and unsigned (or differently keyed) sides do not hear each other."""
        dropped = self.raw.bad_signatures
        if not self._signing:
            return (f"signature mismatch on {self.url}: the vehicle signs its messages and "
                    "the station has no signing key, so the vehicle drops our requests; give "
                    "its key (--signing-key or signing_key_file)")
        if self.raw.signed_received:
            return (f"signature mismatch on {self.url}: the vehicle signs with another "
                    f"MAVLink 2 key ({dropped} messages dropped); use the vehicle's key")
        return (f"signature mismatch on {self.url}: the vehicle does not sign its messages "
                f"but the station has a signing key ({dropped} messages dropped); set the "
                "key on the vehicle or use none here")

    def wait_vehicle(self, sysid: int | None = None, timeout_s: float = 10.0) -> int:
        """Wait for a vehicle's heartbeat; its sysid.

        Raises
        ------
        NoHeartbeatError
            No (matching) vehicle was heard within ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        with self._first_heartbeat:
            while True:
                found = [s for s in self._trackers if sysid in (None, s)]
                if found:
                    return min(found)
                left = deadline - time.monotonic()
                if left <= 0:
                    who = f"vehicle {sysid}" if sysid is not None else "any vehicle"
                    if self.raw.bad_signatures:
                        raise SignatureMismatchError(self.signature_mismatch())
                    raise NoHeartbeatError(f"no heartbeat from {who} on {self.url} within "
                                           f"{timeout_s:g} s")
                self._first_heartbeat.wait(left)
