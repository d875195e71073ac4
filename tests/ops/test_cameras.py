"""The camera word the edges pass on: a folder, or 'sim' for the rehearsal world."""

from __future__ import annotations

from dronewatch.config import default_dem_path
from dronewatch.geo import Terrain
from dronewatch.ops.cameras import camera_source
from dronewatch.ops.feed import DirectorySource


def test_a_folder_is_read_and_sim_renders_the_rehearsal_world(tmp_path):
    with Terrain(default_dem_path()) as terrain:
        folder = camera_source(str(tmp_path), terrain, seed=1, model="dji-m30t")
        assert isinstance(folder, DirectorySource) and folder.folder == tmp_path
        rendered = camera_source("sim", terrain, seed=1, model="dji-m30t")
        assert callable(rendered) and not isinstance(rendered, DirectorySource)
