"""Shared test helpers: real GeoTIFFs written with rasterio, and the shared data folder.

Every test runs with the station's data folder moved to a temporary directory and no
``DRONEWATCH_STORE`` from the operator's shell, so no test can write into a real store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def _no_real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point the default store under a temporary folder for the whole run.

    Why session-wide and in the environment: module fixtures and the subprocesses the
    tests start (the CLI, ``make demo``) read the default store too.
    """
    data = tmp_path_factory.mktemp("xdg-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(data))
        patch.delenv("DRONEWATCH_STORE", raising=False)
        yield data


def write_geotiff(
    path: Path,
    data: np.ndarray,
    *,
    crs: str,
    transform: Affine,
    nodata: float | None = -9999.0,
    scale: float | None = None,
) -> Path:
    """Write a single-band GeoTIFF the way a DEM is stored (tiled, compressed)."""
    profile = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
    }
    if data.shape[0] >= 256 and data.shape[1] >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data, 1)
        if scale is not None:
            ds.scales = (scale,)
    return path


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` beside the repository; the test is skipped when it is absent."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip("../shared/data is not present")
    return data
