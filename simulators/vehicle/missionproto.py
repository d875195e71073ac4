"""The vehicle's side of the MAVLink mission protocol, for missions, fences and rally points.

Why so literal: dronewatch's link layer must survive exactly what ArduPilot does, so
this follows ArduPilot's MissionItemProtocol: items are asked for with the legacy
MISSION_REQUEST (#40), a silent GCS is asked again after 1 s and dropped after 8 s,
an out-of-order item gets MISSION_ACK INVALID_SEQUENCE (and the transfer goes on), a
second uploader gets DENIED, downloads are refused while an upload runs, and items
read back in non-INT frames. An item that arrives when no upload of its type is
running (typically the ground station re-sending the final item because it never saw
the ACCEPTED) is answered with MISSION_ACK MAV_MISSION_ERROR, as ArduPilot does: the
list on the vehicle is complete, the ground station must verify rather than give up.
One deliberate difference: a transfer is applied only when complete (ArduPilot
replaces mission items as they arrive), so a broken upload never leaves half a mission.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pymavlink.dialects.v20 import ardupilotmega as mav

from simulators.vehicle.missionitems import MissionItem, check_fence, check_item, read_back

__all__ = ["MissionServer"]

Peer = tuple[str, int]
Send = Callable[[mav.MAVLink_message, "Peer | None"], None]

RE_REQUEST_S = 1.0
UPLOAD_TIMEOUT_S = 8.0
CAPACITY = {
    mav.MAV_MISSION_TYPE_MISSION: 1000,
    mav.MAV_MISSION_TYPE_FENCE: 200,
    mav.MAV_MISSION_TYPE_RALLY: 20,
}
_TYPE_NAMES = {
    mav.MAV_MISSION_TYPE_MISSION: "mission",
    mav.MAV_MISSION_TYPE_FENCE: "fence",
    mav.MAV_MISSION_TYPE_RALLY: "rally",
}


@dataclass
class _Upload:
    mission_type: int
    count: int
    sysid: int
    compid: int
    peer: Peer | None
    last_receive_s: float
    last_request_s: float
    items: list[MissionItem] = field(default_factory=list)


class MissionServer:
    """Stores the three item lists and runs transfers; time is simulated seconds.

    Parameters
    ----------
    send
        Sends a message to one peer (the channel the request came on).
    say
        Sends a STATUSTEXT (severity, text).
    home_item
        The current home as mission item 0, for read-back.
    on_stored
        Told the mission type after a completed upload or clear.
    """

    def __init__(
        self,
        send: Send,
        say: Callable[[int, str], None],
        home_item: Callable[[], MissionItem],
        on_stored: Callable[[int], None],
    ) -> None:
        self._send = send
        self._say = say
        self._home_item = home_item
        self._on_stored = on_stored
        self.stores: dict[int, list[MissionItem]] = {t: [] for t in CAPACITY}
        self._upload: _Upload | None = None

    def items(self, mission_type: int) -> list[MissionItem]:
        """The stored items of one type (for missions, item 0 is the home slot)."""
        return self.stores[mission_type]

    @property
    def receiving(self) -> bool:
        return self._upload is not None

    # -- dispatch ----------------------------------------------------------------------
    def handle(self, msg: mav.MAVLink_message, peer: Peer | None, now_s: float) -> bool:
        """Handle a mission-protocol message; False when it is not one."""
        kind = msg.get_type()
        handler = {
            "MISSION_COUNT": self._count,
            "MISSION_ITEM_INT": self._item,
            "MISSION_ITEM": self._item,
            "MISSION_REQUEST_LIST": self._request_list,
            "MISSION_REQUEST_INT": self._request,
            "MISSION_REQUEST": self._request,
            "MISSION_CLEAR_ALL": self._clear_all,
            "MISSION_ACK": lambda *_: None,  # the end of a download: nothing to do
        }.get(kind)
        if handler is None:
            return False
        handler(msg, peer, now_s)
        return True

    def tick(self, now_s: float) -> None:
        """Re-request a missing item after 1 s; cancel a transfer silent for 8 s."""
        up = self._upload
        if up is None:
            return
        if now_s - up.last_receive_s > UPLOAD_TIMEOUT_S:
            self._upload = None
            self._ack(up.sysid, up.compid, up.peer, up.mission_type,
                      mav.MAV_MISSION_OPERATION_CANCELLED)
            self._say(mav.MAV_SEVERITY_WARNING, f"{_TYPE_NAMES[up.mission_type].title()} "
                      "upload timeout")
            return
        if now_s - up.last_request_s > RE_REQUEST_S:
            self._request_next(up, now_s)

    # -- helpers -----------------------------------------------------------------------
    def _ack(self, sysid: int, compid: int, peer: Peer | None, mission_type: int,
             result: int) -> None:
        self._send(mav.MAVLink_mission_ack_message(sysid, compid, result, mission_type), peer)

    def _reply_ack(self, msg: mav.MAVLink_message, peer: Peer | None, result: int) -> None:
        mission_type = getattr(msg, "mission_type", mav.MAV_MISSION_TYPE_MISSION)
        self._ack(msg.get_srcSystem(), msg.get_srcComponent(), peer, mission_type, result)

    def _request_next(self, up: _Upload, now_s: float) -> None:
        up.last_request_s = now_s
        self._send(mav.MAVLink_mission_request_message(
            up.sysid, up.compid, len(up.items), up.mission_type), up.peer)

    @staticmethod
    def _type_of(msg: mav.MAVLink_message) -> int:
        return getattr(msg, "mission_type", mav.MAV_MISSION_TYPE_MISSION)

    # -- upload ------------------------------------------------------------------------
    def _count(self, msg: mav.MAVLink_message, peer: Peer | None, now_s: float) -> None:
        mission_type = self._type_of(msg)
        if mission_type not in CAPACITY:
            self._reply_ack(msg, peer, mav.MAV_MISSION_UNSUPPORTED)
            return
        up = self._upload
        if up is not None and (msg.get_srcSystem(), msg.get_srcComponent()) != (up.sysid,
                                                                                 up.compid):
            self._reply_ack(msg, peer, mav.MAV_MISSION_DENIED)
            return
        if msg.count > CAPACITY[mission_type]:
            self._upload = None
            self._reply_ack(msg, peer, mav.MAV_MISSION_NO_SPACE)
            self._say(mav.MAV_SEVERITY_WARNING,
                      f"Only {CAPACITY[mission_type]} items are supported")
            return
        if msg.count == 0:
            self._upload = None
            self.stores[mission_type] = []
            self._reply_ack(msg, peer, mav.MAV_MISSION_ACCEPTED)
            self._on_stored(mission_type)
            return
        self._upload = _Upload(mission_type, msg.count, msg.get_srcSystem(),
                               msg.get_srcComponent(), peer, now_s, now_s)
        self._request_next(self._upload, now_s)

    def _item(self, msg: mav.MAVLink_message, peer: Peer | None, now_s: float) -> None:
        up = self._upload
        if up is None or self._type_of(msg) != up.mission_type:
            # Not receiving this type (any more): ArduPilot's MissionItemProtocol answers
            # MAV_MISSION_ERROR, e.g. to a re-sent final item after its ACCEPTED was lost.
            self._reply_ack(msg, peer, mav.MAV_MISSION_ERROR)
            return
        if msg.seq != len(up.items):
            self._reply_ack(msg, peer, mav.MAV_MISSION_INVALID_SEQUENCE)
            return
        if (msg.get_srcSystem(), msg.get_srcComponent()) != (up.sysid, up.compid):
            self._reply_ack(msg, peer, mav.MAV_MISSION_DENIED)
            return
        if msg.get_type() == "MISSION_ITEM":
            self._say(mav.MAV_SEVERITY_WARNING,
                      "got MISSION_ITEM; GCS should send MISSION_ITEM_INT")
        item = MissionItem.from_message(msg)
        is_home = up.mission_type == mav.MAV_MISSION_TYPE_MISSION and item.seq == 0
        result = mav.MAV_MISSION_ACCEPTED if is_home else check_item(item)
        if result != mav.MAV_MISSION_ACCEPTED:
            self._upload = None
            self._reply_ack(msg, peer, result)
            return
        up.items.append(item)
        up.last_receive_s = now_s
        if len(up.items) < up.count:
            self._request_next(up, now_s)
            return
        self._upload = None
        if up.mission_type == mav.MAV_MISSION_TYPE_FENCE:
            result = check_fence(up.items)
            if result != mav.MAV_MISSION_ACCEPTED:
                self._reply_ack(msg, peer, result)
                return
        self.stores[up.mission_type] = up.items
        self._reply_ack(msg, peer, mav.MAV_MISSION_ACCEPTED)
        if up.mission_type == mav.MAV_MISSION_TYPE_MISSION:
            self._say(mav.MAV_SEVERITY_INFO, "Flight plan received")
        elif up.mission_type == mav.MAV_MISSION_TYPE_FENCE:
            self._say(mav.MAV_SEVERITY_INFO, "Fence Indexed OK")
        self._on_stored(up.mission_type)

    def _clear_all(self, msg: mav.MAVLink_message, peer: Peer | None, now_s: float) -> None:
        mission_type = self._type_of(msg)
        if self.receiving or mission_type not in (*CAPACITY, mav.MAV_MISSION_TYPE_ALL):
            self._reply_ack(msg, peer, mav.MAV_MISSION_ERROR)
            return
        for t in CAPACITY if mission_type == mav.MAV_MISSION_TYPE_ALL else (mission_type,):
            self.stores[t] = []
            self._on_stored(t)
        self._reply_ack(msg, peer, mav.MAV_MISSION_ACCEPTED)

    # -- download ----------------------------------------------------------------------
    def _request_list(self, msg: mav.MAVLink_message, peer: Peer | None, now_s: float) -> None:
        mission_type = self._type_of(msg)
        if self.receiving or mission_type not in CAPACITY:
            self._reply_ack(msg, peer, mav.MAV_MISSION_DENIED)
            return
        self._send(mav.MAVLink_mission_count_message(
            msg.get_srcSystem(), msg.get_srcComponent(), len(self.stores[mission_type]),
            mission_type), peer)

    def _request(self, msg: mav.MAVLink_message, peer: Peer | None, now_s: float) -> None:
        mission_type = self._type_of(msg)
        if self.receiving:
            self._reply_ack(msg, peer, mav.MAV_MISSION_DENIED)
            return
        store = self.stores.get(mission_type, [])
        if not 0 <= msg.seq < len(store):
            self._reply_ack(msg, peer, mav.MAV_MISSION_INVALID_SEQUENCE)
            return
        if mission_type == mav.MAV_MISSION_TYPE_MISSION and msg.seq == 0:
            item = self._home_item()
        else:
            item = read_back(store[msg.seq])
        sysid, compid = msg.get_srcSystem(), msg.get_srcComponent()
        common = (item.param1, item.param2, item.param3, item.param4)
        if msg.get_type() == "MISSION_REQUEST_INT":
            reply = mav.MAVLink_mission_item_int_message(
                sysid, compid, item.seq, item.frame, item.command, 0, item.autocontinue,
                *common, item.x, item.y, item.z, mission_type)
        else:
            reply = mav.MAVLink_mission_item_message(
                sysid, compid, item.seq, item.frame, item.command, 0, item.autocontinue,
                *common, item.x / 1e7, item.y / 1e7, item.z, mission_type)
        self._send(reply, peer)
