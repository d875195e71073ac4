"""A key mismatch is named "signature mismatch", not a vehicle that never gets ready."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dronewatch.link import NoHeartbeatError, SignatureMismatchError, connect
from tests.conftest import REPO

KEY = bytes(range(32))


def test_a_vehicle_signing_with_another_key_is_a_signature_mismatch(sim_url):
    url = sim_url("--signing-key", KEY.hex())
    with pytest.raises(SignatureMismatchError, match="signs with another MAVLink 2 key"):
        connect(url, signing_key=bytes(32), timeout_s=1.5)


def test_a_signing_vehicle_and_an_unsigned_station_is_a_signature_mismatch(sim_url):
    url = sim_url("--signing-key", KEY.hex())
    with pytest.raises(SignatureMismatchError, match="the station has no signing key"):
        connect(url, timeout_s=3.0)


def test_an_unsigned_vehicle_and_a_keyed_station_is_a_signature_mismatch(sim_url):
    with pytest.raises(SignatureMismatchError, match="the vehicle does not sign"):
        connect(sim_url(), signing_key=KEY, timeout_s=1.5)


def test_silence_stays_no_heartbeat():
    with pytest.raises(NoHeartbeatError) as err:
        connect("udpout:127.0.0.1:9", signing_key=KEY, timeout_s=0.5)
    assert not isinstance(err.value, SignatureMismatchError)


def test_a_fresh_process_keeps_its_key_after_the_switch_to_mavlink_2(sim_url):
    """pymavlink swaps its parser on the first MAVLink 2 packet; the key must survive."""
    url = sim_url("--signing-key", KEY.hex())
    script = ("import sys; from dronewatch.link import connect\n"
              f"v = connect({url!r}, signing_key=bytes(range(32)), timeout_s=10)\n"
              "v.request_message('AUTOPILOT_VERSION')\n"
              "print('signed', v.link.raw.signed_received > 0, v.link.raw.bad_signatures)\n"
              "v.close()")
    env = {k: v for k, v in os.environ.items() if k != "MAVLINK20"}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["signed", "True", "0"], result.stderr[-2000:]


def test_search_with_the_wrong_passphrase_says_signature_mismatch(sim_url, tmp_path):
    url = sim_url("--signing-key", "station passphrase")
    env = {k: v for k, v in os.environ.items() if k != "MAVLINK20"}
    result = subprocess.run(
        [sys.executable, "-m", "dronewatch.cli", "search", "--at", "44.6704,88.5857",
         "--drone", url, "--signing-key", "another passphrase", "--speedup", "10",
         "--store", str(tmp_path / "s.sqlite"), "--out-dir", str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "signature mismatch" in result.stderr and "signs with another" in result.stderr
    assert "Traceback" not in result.stderr and "GPS" not in result.stderr
