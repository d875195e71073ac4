"""DJI video subtitles, in each family's own layout as the aircraft write them.

The blocks below follow the layouts of published DJI files (the bracketed current one
with the enterprise gimbal fields; the Mavic 2 era's misspelt ``longtitude`` and
microsecond clock; the legacy tuples, longitude first except the Matrice 300's, whose
``M`` marks latitude first, with its ``00:00:59,000 --> 00:00:60,000``); the numbers are
ours.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dronewatch.thermal.sources.srt import SrtError, read_srt, srt_beside

ENTERPRISE = """\
1
00:00:00,000 --> 00:00:00,033
<font size="28">FrameCnt: 1, DiffTime: 33ms
2024-06-11 21:40:05.120
[iso: 100] [shutter: 1/30.0] [fnum: 1.0] [ev: 0] [color_md: default] [focal_len: 40.00] \
[dzoom_ratio: 2.00], [latitude: 39.412345] [longitude: 109.812345] \
[rel_alt: 80.200 abs_alt: 1402.700] [gb_yaw: -88.9 gb_pitch: -60.0 gb_roll: 0.0] </font>

2
00:00:00,033 --> 00:00:00,066
<font size="28">FrameCnt: 2, DiffTime: 33ms
2024-06-11 21:40:05.153
[iso: 100] [shutter: 1/30.0] [fnum: 1.0] [ev: 0] [color_md: default] [focal_len: 40.00] \
[dzoom_ratio: 2.00], [latitude: 39.412350] [longitude: 109.812340] \
[rel_alt: 80.300 abs_alt: 1402.800] [gb_yaw: -88.8 gb_pitch: -60.1 gb_roll: 0.1] </font>

3
00:00:00,066 --> 00:00:00,100
<font size="28">FrameCnt: 3, DiffTime: 34ms
2024-06-11 21:40:05.187
[iso: 100] [latitude: 0.000000] [longitude: 0.000000] [rel_alt: 0.000 abs_alt: 0.000] </font>
"""

MAVIC2_ERA = """\
1
00:00:00,000 --> 00:00:00,033
<font size="36">SrtCnt : 1, DiffTime : 33ms
2020-04-02 15:19:58,720,764
[iso : 100] [shutter : 1/500.0] [fnum : 280] [ev : 0] [ct : 5300] [color_md : default] \
[focal_len : 240] [latitude : 39.45] [longtitude : 109.40] [altitude: 1413.98] </font>
"""

NO_TIMING = """\
1
2017.08.05 14:11:51,393,525
[latitude : 39.451] [longtitude : 109.401]

2
2017.08.05 14:11:52,393,525
[latitude : 39.452] [longtitude : 109.402]
"""

LEGACY = """\
1
00:00:00,000 --> 00:00:01,000
HOME(109.4011,39.4522) 2018.05.02 11:02:03
GPS(109.4012,39.4523,16) BAROMETER:85.2

2
00:00:01,000 --> 00:00:02,000
HOME(109.4011,39.4522) 2018.05.02 11:02:04
GPS (0.0, 0.0, 0) BAROMETER:85.2
"""

MATRICE_300 = """\
60
00:00:59,000 --> 00:00:60,000
2022.06.21 16:07:16
GPS(39.4153,109.4130,0.0M) BAROMETER:83.8M

61
00:01:00,000 --> 00:01:01,000
2022.06.21 16:07:17
GPS(39.4154,109.4132,0.0M) BAROMETER:84.0M
"""


def _write(tmp_path, text: str, name: str = "DJI_0001.SRT", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_an_enterprise_clip_gives_each_frame_its_pose_time_and_zoom(tmp_path):
    telemetry = read_srt(_write(tmp_path, ENTERPRISE))
    assert telemetry.blocks == 3 and len(telemetry.records) == 2
    assert telemetry.dropped == (("no position fix (0, 0)", 1),)  # not Null Island
    first, second = telemetry.records
    assert (first.start_s, first.end_s) == pytest.approx((0.0, 0.033))
    assert first.wall_time_s == pytest.approx(
        datetime(2024, 6, 11, 21, 40, 5, 120000, tzinfo=UTC).timestamp())
    assert (first.lat_deg, first.lon_deg) == (39.412345, 109.812345)
    assert (first.abs_alt_m, first.rel_alt_m, first.digital_zoom) == (1402.7, 80.2, 2.0)
    assert second.gimbal_rpy_deg == (0.1, -60.1, -88.8)
    pose = first.pose()
    assert pose is not None and pose.alt_amsl_m == 1402.7
    # the gimbal's yaw is from north (DJI writes no flight attitude): the camera looks
    # 60 degrees down towards the west
    forward = pose.camera_to_ned()[:, 2]
    assert math.degrees(math.asin(forward[2])) == pytest.approx(60.0)
    assert math.degrees(math.atan2(forward[1], forward[0])) == pytest.approx(-88.9)
    assert telemetry.at(0.02) is first and telemetry.at(0.05) is second
    assert telemetry.at(0.08) is None  # in the block that had no fix
    assert telemetry.at(-1.0) is None and telemetry.with_pose == 2


def test_the_mavic_2_eras_spelling_and_clock_are_read(tmp_path):
    (record,) = read_srt(_write(tmp_path, MAVIC2_ERA)).records
    # a bare "altitude" is above sea level on some aircraft, above take-off on others
    assert (record.lat_deg, record.lon_deg, record.abs_alt_m) == (39.45, 109.40, None)
    assert record.wall_time_s == pytest.approx(
        datetime(2020, 4, 2, 15, 19, 58, 720764, tzinfo=UTC).timestamp())
    assert record.gimbal_rpy_deg is None and record.pose() is None  # no gimbal: no pose


def test_fields_over_several_lines_with_commas_and_a_zoom_times_ten_thousand(tmp_path):
    text = ("1\n00:00:00,033 --> 00:00:00,066\n<font size=\"28\">FrameCnt: 1, DiffTime: 33ms\n"
            "2024-06-12 14:23:01.033\n[focal_len: 24.00] [dzoom_ratio: 10000, delta:0]\n"
            "[latitude: 39.123456] [longitude: 109.567890]\n[altitude: 80.5] [abs_alt: 1430.5]\n"
            "[gb_yaw: 45.0,gb_pitch: -90.0,gb_roll: 0.5]</font>\n")
    (record,) = read_srt(_write(tmp_path, text)).records
    assert record.gimbal_rpy_deg == (0.5, -90.0, 45.0) and record.digital_zoom == 1.0
    assert (record.abs_alt_m, record.rel_alt_m) == (1430.5, None)
    no_roll = read_srt(_write(tmp_path, text.replace(",gb_roll: 0.5", ""), "b.srt")).records
    assert no_roll[0].gimbal_rpy_deg == (0.0, -90.0, 45.0)
    no_yaw = read_srt(_write(tmp_path, text.replace("gb_yaw: 45.0,", ""), "c.srt")).records
    assert no_yaw[0].gimbal_rpy_deg is None and no_yaw[0].pose() is None


def test_blocks_without_a_timing_line_are_placed_by_their_clock(tmp_path):
    first, second = read_srt(_write(tmp_path, NO_TIMING)).records
    assert (first.start_s, first.end_s, second.start_s) == pytest.approx((0.0, 1.0, 1.0))
    assert second.lon_deg == 109.402


def test_legacy_tuples_are_longitude_first_but_the_matrice_300s_latitude_first(tmp_path):
    legacy = read_srt(_write(tmp_path, LEGACY))
    (record,) = legacy.records
    assert (record.lat_deg, record.lon_deg, record.rel_alt_m) == (39.4523, 109.4012, 85.2)
    assert legacy.dropped == (("no position fix (0, 0)", 1),)
    m300 = read_srt(_write(tmp_path, MATRICE_300, "m300.srt")).records
    assert [(r.lat_deg, r.lon_deg, r.rel_alt_m) for r in m300] == [
        (39.4153, 109.4130, 83.8), (39.4154, 109.4132, 84.0)]
    assert (m300[0].start_s, m300[0].end_s) == (59.0, 60.0)  # "00:00:60,000" is a minute


@pytest.mark.parametrize(("encoding", "newline"), [("utf-8-sig", "\r\n"), ("utf-16", "\n")])
def test_windows_line_ends_and_other_encodings_read_alike(tmp_path, encoding, newline):
    path = _write(tmp_path, ENTERPRISE.replace("\n", newline), encoding=encoding)
    assert read_srt(path).records == read_srt(_write(tmp_path, ENTERPRISE, "b.SRT")).records


@pytest.mark.parametrize(("text", "why"), [
    ("1\n00:00:00,000 --> 00:00:02,000\nWhere are you going?\n", "no DJI position"),
    ("", "no DJI position in its 0 subtitle block"),
    ("1\n00:00:00,000 --> 00:00:01,000\n[latitude: 95.5] [longitude: 10.0]\n",
     "a position off the globe"),
    ("1\n00:00:00,000 --> 00:00:01,000\n[latitude: nan] [longitude: 10.0]\n",
     "a position half written"),
])
def test_a_file_with_no_position_is_refused_naming_it_and_why(tmp_path, text, why):
    path = _write(tmp_path, text, "film.srt")
    with pytest.raises(SrtError, match=why) as raised:
        read_srt(path)
    assert str(raised.value).startswith(str(path))


def test_the_subtitles_beside_a_video_are_found_by_its_name(tmp_path):
    video = tmp_path / "DJI_0001.MP4"
    assert srt_beside(video) is None
    _write(tmp_path, ENTERPRISE)
    assert srt_beside(video) == tmp_path / "DJI_0001.SRT"


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(ENTERPRISE.splitlines() + LEGACY.splitlines()
                                + MATRICE_300.splitlines() + ["", "[latitude: 1e400]",
                                                              "GPS(,)", "\x00\xff"]),
                max_size=40),
       st.binary(max_size=64))
def test_any_deformed_file_gives_records_on_the_globe_or_a_clear_refusal(tmp_path, lines, junk):
    path = tmp_path / "fuzz.srt"
    path.write_bytes("\n".join(lines).encode("utf-8", errors="replace") + junk)
    try:
        telemetry = read_srt(path)
    except SrtError as exc:
        assert str(exc).startswith(str(path))
        return
    starts = [r.start_s for r in telemetry.records]
    assert starts == sorted(starts) and telemetry.records
    for r in telemetry.records:
        assert -90 <= r.lat_deg <= 90 and -180 <= r.lon_deg <= 180 and r.end_s > r.start_s
        assert all(math.isfinite(v) for v in (r.start_s, r.lat_deg, r.lon_deg))
