"""Sockets the simulated vehicle talks through, and a seeded lossy-link injector.

Why our own sockets rather than pymavlink's ``mavutil``: a vehicle serves several
ground stations at once (UDP peers and TCP clients, each with its own MAVLink
parser and signing state), and tests need to drop, duplicate, delay and reorder
packets reproducibly. Addresses are plain strings like ArduPilot's:
``udp:HOST:PORT`` (listen, answer whoever sends), ``udpout:HOST:PORT`` (send to a
fixed ground station), ``tcp:HOST:PORT`` (listen for TCP clients, as SITL does on 5760).
"""

from __future__ import annotations

import contextlib
import heapq
import random
import socket
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Endpoint", "FaultInjector", "LinkFaults", "open_endpoint"]

Peer = tuple[str, int]
_PEER_FORGET_S = 30.0  # wall seconds after which a silent UDP peer stops getting packets


@dataclass(frozen=True, slots=True)
class LinkFaults:
    """Per-packet probabilities of trouble on a UDP link, each way."""

    drop: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0
    delay_s: float = 0.3  # simulated seconds a delayed packet is held (so it lands out of order)

    def __post_init__(self) -> None:
        for name in ("drop", "duplicate", "delay"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"LinkFaults.{name} must be a probability")

    @property
    def active(self) -> bool:
        return self.drop > 0 or self.duplicate > 0 or self.delay > 0


class FaultInjector:
    """Applies :class:`LinkFaults` to a packet stream with its own seeded generator."""

    def __init__(self, faults: LinkFaults, seed: int) -> None:
        self.faults = faults
        self._rng = random.Random(seed)
        self._held: list[tuple[float, int, bytes, Peer]] = []
        self._order = 0
        self.dropped = 0

    def apply(self, data: bytes, peer: Peer, now_s: float) -> list[tuple[bytes, Peer]]:
        """What gets through now; delayed packets come out of :meth:`due` later."""
        f = self.faults
        if not f.active:
            return [(data, peer)]
        if self._rng.random() < f.drop:
            self.dropped += 1
            return []
        copies = 2 if self._rng.random() < f.duplicate else 1
        out = []
        for _ in range(copies):
            if self._rng.random() < f.delay:
                self._order += 1
                heapq.heappush(self._held, (now_s + f.delay_s, self._order, data, peer))
            else:
                out.append((data, peer))
        return out

    def due(self, now_s: float) -> list[tuple[bytes, Peer]]:
        """Delayed packets whose time has come."""
        out = []
        while self._held and self._held[0][0] <= now_s:
            _, _, data, peer = heapq.heappop(self._held)
            out.append((data, peer))
        return out


class Endpoint(Protocol):
    """A place packets come in and go out; peers are opaque keys."""

    def fileno(self) -> int: ...
    def receive(self, now_wall_s: float) -> list[tuple[bytes, Peer]]: ...
    def send(self, data: bytes, peer: Peer | None = None) -> None: ...
    def close(self) -> None: ...


class UdpServer:
    """Listens on a UDP port and answers every peer heard from recently."""

    def __init__(self, host: str, port: int) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((host, port))
        self._sock.setblocking(False)
        self.address = self._sock.getsockname()
        self._peers: dict[Peer, float] = {}

    def fileno(self) -> int:
        return self._sock.fileno()

    def receive(self, now_wall_s: float) -> list[tuple[bytes, Peer]]:
        out = []
        while True:
            try:
                data, peer = self._sock.recvfrom(65535)
            except (BlockingIOError, ConnectionRefusedError):
                break
            self._peers[peer] = now_wall_s
            out.append((data, peer))
        for peer, seen in list(self._peers.items()):
            if now_wall_s - seen > _PEER_FORGET_S:
                del self._peers[peer]
        return out

    def send(self, data: bytes, peer: Peer | None = None) -> None:
        targets = [peer] if peer is not None else list(self._peers)
        for target in targets:
            # UDP: a full buffer or a gone peer loses the packet, as radios do.
            with contextlib.suppress(BlockingIOError, ConnectionRefusedError):
                self._sock.sendto(data, target)

    def close(self) -> None:
        self._sock.close()


class UdpClient(UdpServer):
    """Sends to one fixed ground station address (like SITL's ``--out``)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__("127.0.0.1" if host in ("127.0.0.1", "localhost") else "0.0.0.0", 0)
        self._target = (host, port)
        self._peers[self._target] = float("inf")


class TcpServer:
    """Listens for TCP clients; every connected client gets every packet."""

    def __init__(self, host: str, port: int) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(4)
        self._sock.setblocking(False)
        self.address = self._sock.getsockname()
        self._clients: dict[Peer, socket.socket] = {}

    def fileno(self) -> int:
        return self._sock.fileno()

    def extra_filenos(self) -> list[int]:
        return [c.fileno() for c in self._clients.values()]

    def receive(self, now_wall_s: float) -> list[tuple[bytes, Peer]]:
        while True:
            try:
                conn, peer = self._sock.accept()
            except BlockingIOError:
                break
            conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._clients[peer] = conn
        out = []
        for peer, conn in list(self._clients.items()):
            try:
                data = conn.recv(65535)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                conn.close()
                del self._clients[peer]
                continue
            out.append((data, peer))
        return out

    def send(self, data: bytes, peer: Peer | None = None) -> None:
        for key, conn in list(self._clients.items()):
            if peer is not None and key != peer:
                continue
            try:
                conn.sendall(data)
            except OSError:
                conn.close()
                del self._clients[key]

    def close(self) -> None:
        for conn in self._clients.values():
            conn.close()
        self._sock.close()


def open_endpoint(url: str) -> UdpServer | UdpClient | TcpServer:
    """Open ``udp:HOST:PORT``, ``udpout:HOST:PORT`` or ``tcp:HOST:PORT``.

    Raises
    ------
    ValueError
        The address is not one of those forms.
    """
    scheme, _, rest = url.partition(":")
    host, _, port_text = rest.rpartition(":")
    if not host or not port_text.isdigit():
        raise ValueError(f"bad address {url!r}: expected udp:HOST:PORT, udpout:HOST:PORT or "
                         "tcp:HOST:PORT")
    port = int(port_text)
    if scheme in ("udp", "udpin"):
        return UdpServer(host, port)
    if scheme == "udpout":
        return UdpClient(host, port)
    if scheme == "tcp":
        return TcpServer(host, port)
    raise ValueError(f"bad address {url!r}: unknown scheme {scheme!r}")
