"""The ground station's side of the mission protocol, built for lossy radio links.

Why so defensive: QGroundControl and MAVSDK users report uploads that stop with
"vehicle did not request all items" on bad links. Every way a transfer can stall is
handled here: a lost MISSION_COUNT is re-sent until the vehicle asks; a lost item
or request is mended after one reply timeout (srtt + 4 rttvar, not the vehicle's 1 s
re-request) by the item and the next one behind it; duplicates and stale requests
are answered without harm (the INVALID_SEQUENCE they draw is expected); a
vehicle that stops asking (it timed out) gets the whole transfer again. A lost final
ACK is settled by what the vehicle holds: ArduPilot answers a re-sent final item with
MAV_MISSION_ERROR once the upload is over (it is no longer receiving), so ERROR or
silence after the final item leads to the stored count (MISSION_REQUEST_LIST) and, if
that fits, a download compared item by item; a list that does not fit is sent again.
Only a real refusal (NO_SPACE, DENIED, UNSUPPORTED_FRAME ...) or a dead link ends it
with an error.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from dronewatch.link._mavutil import MavMessage, MavMissionResult
from dronewatch.link.connection import Link, Subscription
from dronewatch.link.errors import LinkLostError, MissionTransferError
from dronewatch.link.readback import differences
from dronewatch.link.results import MissionResult
from dronewatch.missionitem import MissionItem, MissionType

__all__ = ["UploadReport", "clear", "download", "upload"]

#: Silence from the vehicle (on one item, or on the whole upload) before a transfer
#: gives up: far longer than any radio's round trip or a busy machine's stall.
_STALL_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class UploadReport:
    """How an upload went: for benchmarks and for the operator's log."""

    items: int
    seconds: float
    item_sends: int
    count_sends: int
    restarts: int
    verified: bool


def _result_name(code: int) -> str:
    try:
        return MavMissionResult(code).name
    except ValueError:
        return f"RESULT_{code}"


def _check_alive(link: Link, sysid: int, operation: str, progress: str) -> None:
    state = link.tracker(sysid).snapshot()
    if state.stale:
        raise LinkLostError(f"{operation}: link to vehicle {sysid} lost ({progress}; no "
                            f"heartbeat for {state.heartbeat_age_s:.1f} s)")


def _send_item(link: Link, sysid: int, seq: int, item: MissionItem, mission_type: int) -> None:
    link.send("mission_item_int", target_system=sysid, target_component=1, seq=seq,
              frame=item.frame, command=item.command, current=0,
              autocontinue=int(item.autocontinue), param1=item.param1, param2=item.param2,
              param3=item.param3, param4=item.param4, x=item.x, y=item.y, z=item.z,
              mission_type=mission_type)


class _Rtt:
    """A smoothed round-trip time and its spread, so waits fit the link.

    Why the spread (RFC 6298's srtt + 4 rttvar rather than a multiple of srtt): over a
    radio with 100-200 ms round trips, waiting four mean round trips before offering
    an item again costs more than the loss itself; the spread tells how long a reply
    may still be on its way. The mean is kept on the link (loopback or a 57600-baud
    radio), so each transfer starts from what the last one learnt rather than a guess.
    """

    def __init__(self, link: Link, initial_s: float) -> None:
        self.link = link
        if link.reply_srtt_s is None:
            link.reply_srtt_s = initial_s
        self.rttvar_s = self.srtt_s / 2

    @property
    def srtt_s(self) -> float:
        return self.link.reply_srtt_s or 0.0

    def sample(self, seconds: float) -> None:
        self.rttvar_s = 0.75 * self.rttvar_s + 0.25 * abs(self.srtt_s - seconds)
        self.link.reply_srtt_s = 0.875 * self.srtt_s + 0.125 * seconds

    @property
    def timeout_s(self) -> float:
        return min(max(self.srtt_s + 4.0 * self.rttvar_s, 0.02), 2.0)


class _Upload:
    """One upload's counters and the steps of one attempt."""

    def __init__(self, link: Link, sub: Subscription, sysid: int,
                 items: Sequence[MissionItem], mission_type: MissionType,
                 reply_timeout_s: float, stall_timeout_s: float) -> None:
        self.link, self.sub, self.sysid = link, sub, sysid
        self.items, self.mission_type = items, mission_type
        self.rtt = _Rtt(link, reply_timeout_s / 4.0)
        self.stall_timeout_s = stall_timeout_s
        self.item_sends = self.count_sends = 0
        self.refusal = MissionResult.TIMEOUT  # how the last attempt ended, for the final error

    def _send_count(self) -> None:
        self.link.send("mission_count", target_system=self.sysid, target_component=1,
                       count=len(self.items), mission_type=int(self.mission_type))
        self.count_sends += 1

    def _send(self, seq: int, sends: dict[int, int]) -> None:
        _send_item(self.link, self.sysid, seq, self.items[seq], int(self.mission_type))
        self.item_sends += 1
        sends[seq] = sends.get(seq, 0) + 1

    def attempt(self, number: int) -> str:
        """Run one transfer: "accepted", "doubt" (final ACK lost) or "restart".

        Waiting only for the vehicle's own re-requests (1 s on ArduPilot) makes a lossy
        link slow, so after a reply timeout the last item is sent again and the next
        one behind it: if the item was lost the vehicle takes both in order, if its
        request for the next was lost it takes the next (and answers the repeat with
        INVALID_SEQUENCE, harmless). Either way one timeout and one round trip mend it.
        """
        count = len(self.items)
        self.sub.drain()  # answers to an earlier attempt or a read-back
        self._send_count()
        last_seq: int | None = None  # the item the vehicle needs, as far as we know
        top = -1  # the highest item sent: the transfer can end only after the final one
        last_send_s = last_heard_s = time.monotonic()
        sends: dict[int, int] = {}  # per item: a round trip is timed only off a lone send
        silent_final = 0
        probed = False  # asked for the stored count: a DENIED may be its answer
        while True:
            msg = self.sub.get(0.01)
            now = time.monotonic()
            if msg is not None and msg.get("mission_type", 0) != self.mission_type:
                msg = None
            if msg is None:
                if now - last_send_s < self.rtt.timeout_s:
                    continue
                if last_seq is None:
                    _check_alive(self.link, self.sysid, "upload", "no request yet")
                    self._send_count()
                elif last_seq == count - 1 and silent_final >= 2:
                    probed = True
                    if _stored_count(self.link, self.sub, self.sysid, self.mission_type) == count:
                        return "doubt"
                    silent_final = 0
                else:
                    if now - last_heard_s > self.stall_timeout_s:
                        _check_alive(self.link, self.sysid, "upload", f"attempt {number + 1}")
                        return "restart"  # the vehicle gave up on us
                    silent_final += last_seq == count - 1
                    self._send(last_seq, sends)
                    if last_seq + 1 < count:
                        last_seq += 1
                        self._send(last_seq, sends)
                    top = max(top, last_seq)
                last_send_s = time.monotonic()
                continue
            last_heard_s = now
            if msg.type in ("MISSION_REQUEST", "MISSION_REQUEST_INT"):
                seq = msg["seq"]
                if not 0 <= seq < count:
                    raise MissionTransferError("upload", MissionResult.INVALID_SEQUENCE,
                                               f"vehicle asked for item {seq} of {count}")
                if last_seq is not None and seq == last_seq + 1 and sends.get(last_seq) == 1:
                    self.rtt.sample(now - last_send_s)
                self._send(seq, sends)
                last_seq, last_send_s, top = seq, time.monotonic(), max(top, seq)
                continue
            result = msg["type"]
            if result == MavMissionResult.INVALID_SEQUENCE:
                continue  # a repeat it already had: the item behind it was sent too
            if result == MavMissionResult.OPERATION_CANCELLED:
                return "restart"
            if result == MavMissionResult.DENIED and probed:
                continue  # the count probe was refused: the vehicle still waits for our item
            if result == MavMissionResult.ERROR:
                # Not receiving (any more): after our final item its ACCEPTED was lost;
                # before it, the vehicle dropped the transfer. What it holds decides.
                self.refusal = MissionResult.ERROR
                return "doubt" if top == count - 1 else "restart"
            if result != MavMissionResult.ACCEPTED:
                raise MissionTransferError("upload", _result_name(result),
                                           f"{count} items, {self.mission_type.name.lower()}")
            if count == 0 or top == count - 1:
                return "accepted"


def upload(link: Link, sysid: int, items: Sequence[MissionItem],
           mission_type: MissionType = MissionType.MISSION, *, verify: bool = False,
           reply_timeout_s: float = 0.5, stall_timeout_s: float = _STALL_TIMEOUT_S,
           attempts: int = 4) -> UploadReport:
    """Upload a list (for missions, item 0 is the home slot); see the module docstring.

    Raises
    ------
    MissionTransferError
        The vehicle refused (its MAV_MISSION_RESULT), never asked for every item, or
        the read-back differs.
    LinkLostError
        The vehicle went silent.
    """
    started = time.monotonic()
    with link.subscribe("MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK",
                        sysid=sysid) as sub:
        transfer = _Upload(link, sub, sysid, items, mission_type, reply_timeout_s,
                           stall_timeout_s)
        for number in range(attempts):
            outcome = transfer.attempt(number)
            if outcome == "doubt" and not _holds(link, sub, sysid, items, mission_type):
                continue  # the final ACK was lost and the vehicle holds something else
            if outcome == "restart":
                continue
            # A lost final ACK was settled by reading the list back, whatever was asked.
            checked = verify or outcome == "doubt"
            if verify and outcome != "doubt":
                _verify(link, sysid, items, mission_type)
            return UploadReport(len(items), time.monotonic() - started, transfer.item_sends,
                                transfer.count_sends, number, checked)
    raise MissionTransferError("upload", transfer.refusal,
                               f"vehicle did not take all {len(items)} items in "
                               f"{attempts} tries")


def _verify(link: Link, sysid: int, items: Sequence[MissionItem],
            mission_type: MissionType) -> None:
    problems = differences(items, download(link, sysid, mission_type), mission_type)
    if problems:
        raise MissionTransferError("upload", MissionResult.VERIFY_FAILED,
                                   "the vehicle holds different items than were sent: "
                                   + "; ".join(problems[:3]))


def _holds(link: Link, sub: Subscription, sysid: int, items: Sequence[MissionItem],
           mission_type: MissionType) -> bool:
    """Whether the vehicle holds exactly ``items``: its count first, then a download."""
    if _stored_count(link, sub, sysid, mission_type) != len(items):
        return False
    try:
        return not differences(items, download(link, sysid, mission_type), mission_type)
    except MissionTransferError:
        return False  # e.g. DENIED: it is receiving again; send the list again


def _stored_count(link: Link, sub: Subscription, sysid: int, mission_type: int) -> int | None:
    """How many items the vehicle holds now (None if it does not answer)."""
    with link.subscribe("MISSION_COUNT", sysid=sysid) as counts:
        for _ in range(6):  # 20 % loss each way: 6 tries all fail once in 500
            link.send("mission_request_list", target_system=sysid, target_component=1,
                      mission_type=mission_type)
            msg = counts.wait(lambda m: m.get("mission_type", 0) == mission_type, 0.3)
            if msg is not None:
                sub.drain()
                return msg["count"]
    return None


def _item(msg: MavMessage) -> MissionItem:
    return MissionItem(msg["command"], msg["frame"], msg["param1"], msg["param2"],
                       msg["param3"], msg["param4"], msg["x"], msg["y"], msg["z"],
                       bool(msg["autocontinue"]))


def download(link: Link, sysid: int, mission_type: MissionType = MissionType.MISSION, *,
             reply_timeout_s: float = 0.5, retries: int = 10,
             stall_timeout_s: float = _STALL_TIMEOUT_S, window: int = 8) -> list[MissionItem]:
    """Read a list back, with up to ``window`` item requests in flight at once.

    Why a window: on a lossy link each lost request or reply costs a timeout; asking
    for several items at once overlaps those waits (each request is answered on its
    own, as the protocol allows). A reply counts as never coming only after ``retries``
    asks *and* ``stall_timeout_s`` of silence on it: on loopback a round trip is ~2 ms,
    so ten asks alone span 0.2 s, shorter than one stall of a busy machine.

    Raises
    ------
    MissionTransferError
        The vehicle refused (e.g. DENIED while an upload runs) or stopped answering.
    """
    rtt = _Rtt(link, reply_timeout_s / 4.0)
    base = {"target_system": sysid, "target_component": 1, "mission_type": int(mission_type)}
    with link.subscribe("MISSION_COUNT", "MISSION_ITEM_INT", "MISSION_ACK", sysid=sysid) as sub:

        def refused(msg: MavMessage) -> None:
            # ERROR may be the late answer to an item re-sent after an upload ended;
            # a real read failure shows as an item that never comes (TIMEOUT).
            if msg.type == "MISSION_ACK" and msg["type"] not in (
                    MavMissionResult.ACCEPTED, MavMissionResult.INVALID_SEQUENCE,
                    MavMissionResult.ERROR):
                raise MissionTransferError("download", _result_name(msg["type"]))

        def given_up(asks: int, first_asked_s: float) -> bool:
            return asks >= retries and time.monotonic() - first_asked_s > stall_timeout_s

        count = None
        first_asked_s = time.monotonic()
        asks = 0
        while not given_up(asks, first_asked_s):
            asks += 1
            link.send("mission_request_list", **base)
            msg = sub.wait(lambda m: m.get("mission_type", 0) == mission_type
                           and m.type in ("MISSION_COUNT", "MISSION_ACK"), rtt.timeout_s * 2)
            if msg is not None:
                refused(msg)
                if msg.type == "MISSION_COUNT":
                    count = msg["count"]
                    break
            _check_alive(link, sysid, "download", "waiting for the count")
        if count is None:
            raise MissionTransferError("download", MissionResult.TIMEOUT, "no MISSION_COUNT")
        got: dict[int, MissionItem] = {}
        sent_at: dict[int, float] = {}
        first_sent_at: dict[int, float] = {}
        asks_of: dict[int, int] = {}
        next_seq = 0
        while len(got) < count:
            now = time.monotonic()
            while len(sent_at) < window and next_seq < count:
                sent_at[next_seq] = first_sent_at[next_seq] = now
                asks_of[next_seq] = 1
                link.send("mission_request_int", seq=next_seq, **base)
                next_seq += 1
            for seq, when in list(sent_at.items()):
                if now - when > rtt.timeout_s:
                    if given_up(asks_of[seq], first_sent_at[seq]):
                        _check_alive(link, sysid, "download", f"item {seq} of {count}")
                        raise MissionTransferError("download", MissionResult.TIMEOUT,
                                                   f"item {seq} never came")
                    asks_of[seq] += 1
                    sent_at[seq] = now
                    link.send("mission_request_int", seq=seq, **base)
            msg = sub.get(0.005)
            if msg is None or msg.get("mission_type", 0) != mission_type:
                continue
            refused(msg)
            if msg.type == "MISSION_ITEM_INT" and msg["seq"] in sent_at:
                seq = msg["seq"]
                if asks_of[seq] == 1:
                    rtt.sample(time.monotonic() - sent_at[seq])
                got[seq] = _item(msg)
                del sent_at[seq]
        link.send("mission_ack", type=int(MavMissionResult.ACCEPTED), **base)
        return [got[seq] for seq in range(count)]


def clear(link: Link, sysid: int, mission_type: MissionType = MissionType.MISSION, *,
          reply_timeout_s: float = 0.5, retries: int = 5) -> None:
    """Remove every item of one type.

    Raises
    ------
    MissionTransferError
        Refused (e.g. while an upload is running) or never acknowledged.
    """
    with link.subscribe("MISSION_ACK", sysid=sysid) as sub:
        for _ in range(retries):
            link.send("mission_clear_all", target_system=sysid, target_component=1,
                      mission_type=int(mission_type))
            ack = sub.wait(lambda m: m.get("mission_type", 0) == mission_type, reply_timeout_s)
            if ack is None:
                continue
            if ack["type"] != MavMissionResult.ACCEPTED:
                raise MissionTransferError("clear", _result_name(ack["type"]))
            return
    raise MissionTransferError("clear", MissionResult.TIMEOUT)
