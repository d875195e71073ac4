"""Encode frames into a real H.264/H.265 stream with PyAV, as a gimbal's encoder does."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import av
import numpy as np

__all__ = ["free_udp_port", "send_stream", "start_sending", "write_video"]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _encoder(out: av.container.OutputContainer, codec: str, fps: int, shape: tuple[int, int]):
    stream = out.add_stream(codec, rate=fps)
    stream.height, stream.width = shape
    stream.pix_fmt = "yuv420p"
    stream.options = {"preset": "ultrafast", "tune": "zerolatency"} if codec == "libx264" \
        else {"preset": "ultrafast", "x265-params": "log-level=error:bframes=0"}
    return stream


def send_stream(url: str, frames: list[np.ndarray], fps: int, *, start_s: float,
                codec: str = "libx264", colour: bool = False,
                sent: list[float] | None = None) -> list[float]:
    """Send frames as MPEG-TS to ``url`` in real time, frame i at ``start_s + i / fps``
    (time.time()); the times each was handed to the encoder (``sent`` fills as it goes)."""
    sent = [] if sent is None else sent
    with av.open(url, mode="w", format="mpegts") as out:
        stream = _encoder(out, codec, fps, frames[0].shape[:2])
        for i, pixels in enumerate(frames):
            picture = av.VideoFrame.from_ndarray(pixels, format="rgb24" if colour else "gray")
            picture.pts = i
            time.sleep(max(start_s + i / fps - time.time(), 0.0))
            sent.append(time.time())
            for packet in stream.encode(picture):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return sent


def start_sending(port: int, frames: list[np.ndarray], fps: int, *, start_s: float,
                  **kwargs: object) -> tuple[threading.Thread, list[float]]:
    """:func:`send_stream` to 127.0.0.1:port in a thread; the list fills as it sends."""
    sent: list[float] = []

    def run() -> None:
        send_stream(f"udp://127.0.0.1:{port}?pkt_size=1316", frames, fps, start_s=start_s,
                    sent=sent, **kwargs)  # type: ignore[arg-type]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, sent


def write_video(path: Path, frames: list[np.ndarray], fps: int, codec: str = "libx265", *,
                colour: bool = False, metadata: dict[str, str] | None = None,
                metadata_encoding: str = "utf-8") -> Path:
    """A video file (container by suffix) of grey frames, or of BGR ones in full colour
    (4:4:4, near-lossless: a palette recording's colours kept); ``metadata`` goes into
    the container (e.g. ``creation_time``), in ``metadata_encoding``."""
    with av.open(str(path), mode="w", metadata_encoding=metadata_encoding) as out:
        out.metadata.update(metadata or {})
        stream = _encoder(out, codec, fps, frames[0].shape[:2])
        if colour:
            stream.pix_fmt, stream.options = "yuv444p", {**stream.options, "crf": "12"}
        for i, pixels in enumerate(frames):
            picture = av.VideoFrame.from_ndarray(pixels, format="bgr24" if colour else "gray")
            picture.pts = i
            for packet in stream.encode(picture):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
