"""The vehicle's MAVLink links: endpoints, one parser per peer, faults and signing.

Why a parser per peer: MAVLink framing, sequence numbers and signing streams are per
sender, and one vehicle may serve several ground stations over UDP and TCP at once.
With a signing key, unsigned or badly signed messages are dropped and counted, and
every message we send is signed.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable

from pymavlink.dialects.v20 import ardupilotmega as mav

from simulators.vehicle.config import VehicleConfig
from simulators.vehicle.transport import FaultInjector, open_endpoint

__all__ = ["VehicleLink"]

_SIGNING_EPOCH_UNIX_S = 1420070400  # MAVLink 2 signing timestamps count from 2015-01-01


def _signing_timestamp() -> int:
    return int((time.time() - _SIGNING_EPOCH_UNIX_S) * 100_000)


class VehicleLink:
    """All endpoints of one vehicle; ``handler(msg, peer)`` gets each good message."""

    def __init__(self, config: VehicleConfig,
                 handler: Callable[[mav.MAVLink_message, object], None]) -> None:
        self._handler = handler
        self._key = config.signing_key
        self.endpoints = [open_endpoint(url) for url in config.listen]
        self._encoder = self._mavlink(config.sysid)
        if self._key is not None:
            self._encoder.signing.sign_outgoing = True
        self._parsers: dict[tuple[int, object], mav.MAVLink] = {}
        self._faults_in = FaultInjector(config.faults, config.seed * 2 + 1)
        self._faults_out = FaultInjector(config.faults, config.seed * 2 + 2)
        self.errors = 0
        self.rejected_unsigned = 0

    def _mavlink(self, sysid: int = 0) -> mav.MAVLink:
        link = mav.MAVLink(None, srcSystem=sysid, srcComponent=1)
        link.robust_parsing = True
        if self._key is not None:
            link.signing.secret_key = self._key
            link.signing.link_id = 0
            link.signing.timestamp = _signing_timestamp()
        return link

    def filenos(self) -> list[int]:
        out = []
        for endpoint in self.endpoints:
            out.append(endpoint.fileno())
            out.extend(getattr(endpoint, "extra_filenos", list)())
        return out

    def poll(self, now_s: float) -> None:
        """Read everything waiting (and every delayed packet now due) and dispatch it."""
        wall = time.monotonic()
        arrived: list[tuple[bytes, tuple[int, object]]] = []
        for index, endpoint in enumerate(self.endpoints):
            for data, peer in endpoint.receive(wall):
                arrived.extend(self._faults_in.apply(data, (index, peer), now_s))
        arrived.extend(self._faults_in.due(now_s))
        for data, key in arrived:
            parser = self._parsers.get(key)
            if parser is None:
                parser = self._parsers[key] = self._mavlink()
            for msg in parser.parse_buffer(data) or ():
                if msg.get_type() == "BAD_DATA":
                    self.errors += 1
                    if "signature" in str(getattr(msg, "reason", "")):
                        self.rejected_unsigned += 1
                    continue
                try:
                    self._handler(msg, key)
                except Exception:  # one bad message must not bring the vehicle down
                    self.errors += 1
                    traceback.print_exc()
        for packet, key in self._faults_out.due(now_s):
            self._write(packet, key)

    def send(self, msg: mav.MAVLink_message, peer: object, now_s: float) -> None:
        """Send to one peer (as returned with a message) or, with None, to all."""
        packet = msg.pack(self._encoder)
        self._encoder.seq = (self._encoder.seq + 1) % 256  # pack() leaves counting to send()
        if peer is None:
            for index in range(len(self.endpoints)):
                for data, key in self._faults_out.apply(packet, (index, None), now_s):
                    self._write(data, key)
            return
        for data, key in self._faults_out.apply(packet, peer, now_s):
            self._write(data, key)

    def _write(self, data: bytes, key: object) -> None:
        index, peer = key
        self.endpoints[index].send(data, peer)

    def close(self) -> None:
        for endpoint in self.endpoints:
            endpoint.close()
