"""The README's two fresh-machine commands exist, and the main job runs.

The demo runs as ``make demo`` with its output folder in a temporary directory: the
operator's ``out/`` (a map they may be looking at, the demo's store) is never touched.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

from tests.conftest import REPO


def readme_commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", (REPO / "README.md").read_text(), re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_opens_with_exactly_the_two_commands():
    assert readme_commands() == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command():
    lines = [ln.strip() for ln in (REPO / ".ci" / "run").read_text().splitlines()]
    assert "make test" in lines


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_finds_the_lost_worker_and_writes_the_map(tmp_path):
    """The main job as the README runs it (a full search against the simulator)."""
    started = time.time()
    result = subprocess.run(["make", "demo", f"DEMO_OUT={tmp_path}"], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"found at ([\d.]+), ([\d.]+): ([\d.]+) m from the truth", result.stdout)
    assert found, result.stdout
    assert float(found.group(3)) <= 3.0  # the target location error
    produced = tmp_path / "mission-map.html"
    assert produced.stat().st_mtime >= started - 1
    assert (tmp_path / "dronewatch.sqlite").is_file()  # the demo's own store
    said = "".join(result.stdout.split())  # the console may wrap a long path
    assert f"store:{(tmp_path / 'dronewatch.sqlite').resolve()}" in said
    assert "PERSON" in result.stdout and "completed" in result.stdout
