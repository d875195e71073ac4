"""DJI video subtitles (``.SRT``): where the drone was, and where its camera looked, per frame.

Why: a DJI aircraft records its thermal video with a subtitle file beside it (the same
name, ``.SRT``) and writes no flight log we can read; those subtitles are the only pose a
recorded search clip has. Three families are in the field (firmware decides, not model):

- bracketed, current (Mavic 3 series with the M3T, Matrice 30T, Matrice 4): one block a
  video frame, ``[latitude: 22.5] [longitude: 113.9] [rel_alt: 58.800 abs_alt: 102.379]``,
  and on the enterprise aircraft the gimbal, ``[gb_yaw: -88.9 gb_pitch: -90.0
  gb_roll: 0.0]``;
- bracketed, Mavic 2 era (Mavic 2, Air 2/2S, older Zenmuse H20 firmware): ``[latitude :
  31.45] [longtitude : 74.40]`` (misspelt, spaces before colons), ``[altitude: 117.0]``;
  early firmware wrote no ``-->`` timing line, only the wall clock, once a second;
- tuples, legacy (Mavic Pro, Phantom 4, Matrice 300): ``GPS(149.0251,-20.2533,16)`` is
  (longitude, latitude, satellites), but the Matrice 300's ``GPS(36.6146,-6.1120,0.0M)``,
  marked by its ``M``, is (latitude, longitude, accuracy); heights ``BAROMETER:80.1M``,
  ``H 85.80m`` above the take-off point; one block a second.

Only the enterprise bracketed family says where the camera looked. Without gimbal angles
a frame cannot be placed (a drone films forward as often as down), so such records
still draw the track but give no pose.

Times: a block's ``-->`` line places it in the video; its wall-clock line
(``2022-07-06 10:36:44.462``, ``2020-04-02 15:19:58,720,764``, ``2022.06.21 16:06:17``) is
the aircraft's local time with no zone, read as UTC like a DJI photo's EXIF time
(``ops.frameclock`` then chooses the zone).

Heights: ``abs_alt`` is the altitude a DJI photo writes as AbsoluteAltitude, above mean sea
level; ``rel_alt`` and the legacy heights are above the take-off point, which the
subtitles do not locate. A pose takes the former. A bare ``altitude`` is above sea level
on some aircraft (Air 2S) and above take-off on others: never trusted for a pose, where
1,400 m of Gobi plateau would be the difference.

Layouts vary in small ways too: fields on one line or several, ``gb_yaw: 45.0,gb_pitch:
-90.0`` with commas, ``dzoom_ratio: 10000`` for a ratio of 1.

A block without a usable position (no fix yet: 0, 0; out of range; NaN) is dropped and
counted, never read as Null Island.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dronewatch.errors import DronewatchError
from dronewatch.geo.attitude import Attitude, GimbalAttitude
from dronewatch.geo.projection import CameraPose

__all__ = ["SrtError", "SrtRecord", "SrtTelemetry", "read_srt", "srt_beside"]

_TIMING = re.compile(r"(\d+):(\d+):(\d+)[,.](\d+)\s*-->\s*(\d+):(\d+):(\d+)[,.](\d+)")
_WALL = re.compile(r"(\d{4})[-.:/](\d{1,2})[-.:/](\d{1,2})[ T]+(\d{1,2}):(\d{2}):(\d{2})"
                   r"(?:[.,](\d{1,6}))?(?:,(\d{3}))?")
_BRACKET = re.compile(r"\[([^\]]*)\]")
_PAIR = re.compile(r"([A-Za-z_]+)\s*:\s*([^\s\],]+)")
_TUPLE = re.compile(r"GPS\s*\(\s*([^,()]+),\s*([^,()]+)(?:,\s*([^,()]*))?\)", re.IGNORECASE)
_LEGACY_HEIGHT = re.compile(r"(?:BAROMETER|Hb|H)\s*[: ]\s*(-?[\d.]+)\s*m?\b", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|-?nan|-?inf", re.IGNORECASE)


class SrtError(DronewatchError, ValueError):
    """A subtitle file that gives no telemetry; names the file and why."""


@dataclass(frozen=True, slots=True)
class SrtRecord:
    """One subtitle block: a stretch of the video and the drone's state during it."""

    start_s: float  # into the video
    end_s: float
    wall_time_s: float | None  # the aircraft's zoneless wall clock, read as UTC
    lat_deg: float
    lon_deg: float
    abs_alt_m: float | None  # above mean sea level (see the module docstring)
    rel_alt_m: float | None  # above the take-off point
    #: (roll, pitch, yaw): pitch and roll held level by the gimbal, yaw from true north
    gimbal_rpy_deg: tuple[float, float, float] | None = None
    digital_zoom: float | None = None

    def pose(self) -> CameraPose | None:
        """The camera pose, or None without an absolute altitude or gimbal angles.

        DJI writes the gimbal's yaw from north, not from the drone's nose, and no flight
        attitude: the camera is the stabilised gimbal's, turned to that heading.
        """
        if self.abs_alt_m is None or self.gimbal_rpy_deg is None:
            return None
        roll, pitch, yaw = self.gimbal_rpy_deg
        try:
            return CameraPose(self.lat_deg, self.lon_deg, self.abs_alt_m, Attitude(0.0, 0.0, yaw),
                              GimbalAttitude(pitch, roll, 0.0, stabilised=True))
        except ValueError:  # a gimbal pitch no gimbal reaches
            return None


@dataclass(frozen=True, slots=True)
class SrtTelemetry:
    """What a subtitle file says, in video order; ``dropped`` counts blocks by reason."""

    path: str
    records: tuple[SrtRecord, ...]
    blocks: int
    dropped: tuple[tuple[str, int], ...] = ()
    _starts: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(r.start_s for r in self.records))

    def at(self, video_s: float) -> SrtRecord | None:
        """The record whose stretch of the video holds this time; None in a dropped one."""
        i = bisect.bisect_right(self._starts, video_s) - 1
        if i < 0:
            return None
        record = self.records[i]
        return record if video_s < record.end_s + 1e-6 else None

    @property
    def with_pose(self) -> int:
        return sum(r.pose() is not None for r in self.records)


def srt_beside(video: Path) -> Path | None:
    """The subtitle file DJI writes beside a video (``DJI_0001.MP4`` → ``DJI_0001.SRT``)."""
    for suffix in (".SRT", ".srt", ".Srt"):
        candidate = video.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def read_srt(path: Path | str) -> SrtTelemetry:
    """Every block of a DJI subtitle file with a usable position, in video order.

    Raises
    ------
    SrtError
        The file cannot be read, or not one block of it holds a DJI position and a time
        (a film's subtitles, an empty file, a drone that wrote exposure fields only).
    """
    path = Path(path)
    try:
        text = _decode(path.read_bytes())
    except OSError as exc:
        raise SrtError(f"{path}: unreadable: {exc}") from exc
    blocks = [b for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
              if b.strip()]
    dropped: Counter[str] = Counter()
    placed: list[_Block] = []
    for block in blocks:
        place, why = _place(_TAG.sub(" ", block))
        if place is None:
            dropped[why] += 1
            continue
        timing = _TIMING.search(block)
        placed.append(_Block(_clock_s(timing.groups()[:4]) if timing else None,
                             _clock_s(timing.groups()[4:]) if timing else None,
                             _wall_time(block), place))
    records = _timed(placed)
    if len(records) < len(placed):
        dropped["no time in the video"] += len(placed) - len(records)
    if not records:
        reasons = "; ".join(f"{n} {why}" for why, n in sorted(dropped.items()))
        raise SrtError(f"{path}: no DJI position in its {len(blocks)} subtitle block(s)"
                       + (f" ({reasons})" if reasons else ""))
    return SrtTelemetry(str(path), records, len(blocks), tuple(sorted(dropped.items())))


@dataclass(frozen=True, slots=True)
class _Place:
    lat_deg: float
    lon_deg: float
    abs_alt_m: float | None
    rel_alt_m: float | None
    gimbal_rpy_deg: tuple[float, float, float] | None
    digital_zoom: float | None


@dataclass(frozen=True, slots=True)
class _Block:
    start_s: float | None
    end_s: float | None
    wall_time_s: float | None
    place: _Place


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace").replace("\x00", "")


def _clock_s(parts: tuple[str, ...]) -> float:
    """``HH:MM:SS,mmm`` in seconds (DJI writes ``00:00:60,000`` for a minute: kept)."""
    hours, minutes, seconds, fraction = parts
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + float(f"0.{fraction}")


def _wall_time(block: str) -> float | None:
    found = _WALL.search(block)
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, micro = found.groups()
    try:
        stamp = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                         tzinfo=UTC).timestamp()
    except ValueError:  # an impossible date: no wall clock, the video time still holds
        return None
    if fraction:
        stamp += float(f"0.{fraction}") + (int(micro) / 1e6 if micro and len(fraction) == 3
                                           else 0.0)
    return stamp


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    found = _NUMBER.match(text.strip())
    if found is None:
        return None
    value = float(found.group())
    return value if math.isfinite(value) else None


def _place(text: str) -> tuple[_Place | None, str]:
    """The block's position, heights, gimbal and zoom; or (None, why it has none)."""
    pairs: dict[str, str] = {}
    for bracket in _BRACKET.findall(text):
        for key, value in _PAIR.findall(bracket):
            pairs.setdefault(key.lower(), value)
    lat = _number(pairs.get("latitude"))
    lon = _number(next((v for k, v in pairs.items() if k.startswith("lon")), None))
    abs_alt = _number(pairs.get("abs_alt"))
    rel_alt = _number(pairs.get("rel_alt"))
    legacy = _TUPLE.search(text)
    if lat is None and lon is None and legacy is not None:
        first, second, third = (g.strip() if g else "" for g in legacy.groups())
        if third.upper().endswith("M"):  # the Matrice 300: (latitude, longitude, accuracy)
            lat, lon = _number(first), _number(second)
        else:  # (longitude, latitude, satellites)
            lon, lat = _number(first), _number(second)
        height = _LEGACY_HEIGHT.search(text[legacy.end():])
        rel_alt = _number(height.group(1)) if height else None
    if lat is None or lon is None:
        return None, "no position" if lat is None and lon is None else "a position half written"
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None, "a position off the globe"
    if abs(lat) < 1e-6 and abs(lon) < 1e-6:
        return None, "no position fix (0, 0)"
    pitch, yaw = _number(pairs.get("gb_pitch")), _number(pairs.get("gb_yaw"))
    gimbal = None if pitch is None or yaw is None else \
        (_number(pairs.get("gb_roll")) or 0.0, pitch, yaw)  # the roll held level if unsaid
    zoom = _number(pairs.get("dzoom_ratio", pairs.get("dzoom")))
    if zoom is not None and zoom >= 100.0:  # some firmware writes the ratio times 10,000
        zoom /= 10000.0
    return _Place(lat, lon, abs_alt, rel_alt, gimbal, zoom), ""


def _timed(blocks: list[_Block]) -> tuple[SrtRecord, ...]:
    """Records with their stretch of the video; blocks without a timing line (early
    Mavic 2 firmware) are placed by their wall clock from the first block's, and a
    block with neither is left out."""
    first_wall = next((b.wall_time_s for b in blocks if b.wall_time_s is not None), None)
    starts = [b.start_s if b.start_s is not None else
              (b.wall_time_s - first_wall if b.wall_time_s is not None and first_wall is not None
               else None) for b in blocks]
    records = []
    for i, (block, start) in enumerate(zip(blocks, starts, strict=True)):
        if start is None:
            continue
        end = block.end_s
        if end is None or end <= start:
            later = next((s for s in starts[i + 1:] if s is not None and s > start), None)
            end = later if later is not None else start + 1.0
        p = block.place
        records.append(SrtRecord(start, end, block.wall_time_s, p.lat_deg, p.lon_deg,
                                 p.abs_alt_m, p.rel_alt_m, p.gimbal_rpy_deg, p.digital_zoom))
    return tuple(sorted(records, key=lambda r: r.start_s))
