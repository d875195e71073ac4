"""Build the modelled operating area: a DEM GeoTIFF and the zones GeoJSON, from one seed.

Why one script for both: the zones sit on features of the terrain (a hazard zone on
a pit wall, a patrol area over a spoil heap), so both come from the same feature
list and can never drift apart. Everything is modelled, not surveyed.

    python mapdata/build_area.py            # rewrites mapdata/dem.tif and zones.geojson
    python mapdata/build_area.py --check    # exit 1 if the committed files are stale
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from rasterio.transform import from_origin
from scipy import ndimage

HERE = Path(__file__).resolve().parent
SEED = 20261123
CRS_EPSG = 32645  # WGS 84 / UTM zone 45N
PIXEL_M = 30.0
SIZE_PX = 1500  # 45 km x 45 km
WEST_M, NORTH_M = 612_000.0, 4_985_000.0
NODATA = -9999.0


@dataclass(frozen=True)
class Ellipse:
    """An elliptical feature in UTM metres: pits and spoil heaps."""

    name: str
    x_m: float
    y_m: float
    semi_major_m: float
    semi_minor_m: float
    rotation_deg: float
    height_m: float  # depth for pits, height for heaps
    bench_m: float

    def radius(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        """Normalised elliptical radius: 1 on the rim."""
        a = np.radians(self.rotation_deg)
        dx, dy = x - self.x_m, y - self.y_m
        u = dx * np.cos(a) + dy * np.sin(a)
        v = -dx * np.sin(a) + dy * np.cos(a)
        return np.hypot(u / self.semi_major_m, v / self.semi_minor_m)

    def polygon(self, scale: float = 1.0) -> shapely.Polygon:
        """The outline at ``scale`` times the rim, in UTM metres."""
        t = np.linspace(0, 2 * np.pi, 73)[:-1]
        a = np.radians(self.rotation_deg)
        u = self.semi_major_m * scale * np.cos(t)
        v = self.semi_minor_m * scale * np.sin(t)
        return shapely.Polygon(
            np.column_stack(
                [self.x_m + u * np.cos(a) - v * np.sin(a), self.y_m + u * np.sin(a) + v * np.cos(a)]
            )
        )


PITS = (
    Ellipse("Hongsha No.1 open pit", 628_000, 4_968_000, 2200, 1300, 20, 130, 15),
    Ellipse("Heishan open pit", 644_000, 4_972_000, 1600, 1000, -15, 95, 12),
    Ellipse("Baiyang open pit", 640_000, 4_952_000, 1100, 800, 40, 70, 10),
)
HEAPS = (
    Ellipse("Hongsha outer spoil heap", 624_300, 4_971_800, 1100, 800, 10, 55, 11),
    Ellipse("Heishan outer spoil heap", 648_300, 4_969_000, 900, 700, -30, 40, 10),
    Ellipse("Baiyang spoil heap", 643_600, 4_949_300, 700, 500, 0, 30, 10),
)
STATION_XY = (633_500.0, 4_958_500.0)
DEPOT_XY = (620_500.0, 4_961_000.0)
CHEM_PLANT_XY = (652_000.0, 4_960_000.0)
FLARES_XY = (652_700.0, 4_959_500.0)
POWER_PLANT_XY = (648_000.0, 4_955_000.0)
#: Forward launch points a patrol car drives a drone to (the station is 10-20 km away).
FORWARD_POSTS = (
    ("launch-north-post", "North forward post (Hongsha road)", 627_000.0, 4_966_000.0, 300.0),
    ("launch-east-post", "East forward post (chemical plant road)", 647_500.0, 4_964_500.0, 90.0),
    ("launch-south-post", "South forward post (Gobi track)", 627_500.0, 4_947_000.0, 270.0),
)


def _grid() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """UTM coordinates of every pixel centre."""
    xs = WEST_M + PIXEL_M * (np.arange(SIZE_PX) + 0.5)
    ys = NORTH_M - PIXEL_M * (np.arange(SIZE_PX) + 0.5)
    return np.meshgrid(xs, ys)


def _noise(rng: np.random.Generator, cells: int) -> NDArray[np.float64]:
    """Smooth unit-variance noise with ``cells`` features across the map."""
    coarse = rng.standard_normal((cells + 3, cells + 3))
    fine = ndimage.zoom(coarse, (SIZE_PX + 1) / (cells + 3), order=3, mode="reflect")
    return fine[:SIZE_PX, :SIZE_PX] / max(fine.std(), 1e-9)


def _terrace(depth: NDArray[np.float64], bench_m: float) -> NDArray[np.float64]:
    """Benches: flat for 70 % of each step, then a steep face down to the next one."""
    steps = depth / bench_m
    return bench_m * (np.floor(steps) + np.clip((steps % 1.0 - 0.7) / 0.3, 0.0, 1.0))


def _washes(rng: np.random.Generator, x: NDArray, y: NDArray) -> tuple[NDArray, list]:
    """Carve dry washes running from the northern uplands south-west; return depth and lines."""
    carve = np.zeros_like(x)
    lines = []
    for start_x in (618_000.0, 633_000.0, 645_000.0, 656_000.0):
        heading = np.radians(195.0 + rng.uniform(-8, 8))
        px, py = start_x, NORTH_M
        pts = [(px, py)]
        while WEST_M < px < WEST_M + SIZE_PX * PIXEL_M and py > NORTH_M - SIZE_PX * PIXEL_M:
            heading += np.radians(rng.normal(0, 12))
            heading = np.clip(heading, np.radians(170), np.radians(225))
            px, py = px + 300 * np.sin(heading), py + 300 * np.cos(heading)
            pts.append((px, py))
        line = shapely.LineString(pts)
        lines.append(line)
        mask = np.ones_like(x, dtype=bool)
        dense = line.segmentize(PIXEL_M / 2)
        cols = ((np.array(dense.coords)[:, 0] - WEST_M) / PIXEL_M).astype(int)
        rows = ((NORTH_M - np.array(dense.coords)[:, 1]) / PIXEL_M).astype(int)
        ok = (cols >= 0) & (cols < SIZE_PX) & (rows >= 0) & (rows < SIZE_PX)
        mask[rows[ok], cols[ok]] = False
        dist = ndimage.distance_transform_edt(mask) * PIXEL_M
        depth, width = rng.uniform(4, 8), rng.uniform(40, 80)
        carve = np.maximum(carve, depth * np.exp(-((dist / width) ** 2)))
    return carve, lines


def build_dem(seed: int = SEED) -> tuple[NDArray[np.float32], list[shapely.LineString]]:
    """The DEM (metres AMSL, rounded to 0.1 m) and the dry-wash centre lines."""
    rng = np.random.default_rng(seed)
    x, y = _grid()
    fx = (x - WEST_M) / (SIZE_PX * PIXEL_M)
    fy = (NORTH_M - y) / (SIZE_PX * PIXEL_M)
    z = 820.0 - 120.0 * fy - 90.0 * (1 - fx) * fy
    for cells, amplitude in ((5, 28.0), (14, 9.0), (40, 3.0), (160, 0.6)):
        z += amplitude * _noise(rng, cells)
    z = 700.0 + 170.0 * np.tanh((z - 700.0) / 170.0)  # keep the plain within 530..870 m
    carve, washes = _washes(rng, x, y)
    z -= carve
    for heap in HEAPS:
        r = heap.radius(x, y)
        rise = heap.height_m * np.clip((1.0 - r) / 0.45, 0.0, 1.0)
        z += _terrace(rise, heap.bench_m)
    for pit in PITS:
        r = pit.radius(x, y)
        rim = float(np.mean(z[(r > 1.0) & (r < 1.2)]))
        depth = pit.height_m * np.clip((1.0 - r) / 0.4, 0.0, 1.0)
        inside = r < 1.0
        z = np.where(inside, np.minimum(z, rim - _terrace(depth, pit.bench_m)), z)
    return np.round(z, 1).astype(np.float32), washes


def write_dem(path: Path, dem: NDArray[np.float32]) -> None:
    """A tiled, compressed GeoTIFF in UTM 45N with nodata set."""
    profile = {
        "driver": "GTiff",
        "width": SIZE_PX,
        "height": SIZE_PX,
        "count": 1,
        "dtype": "float32",
        "crs": f"EPSG:{CRS_EPSG}",
        "transform": from_origin(WEST_M, NORTH_M, PIXEL_M, PIXEL_M),
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 3,
        "zlevel": 9,
    }
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(dem, 1)
        ds.update_tags(
            SOURCE="modelled by mapdata/build_area.py, not surveyed", SEED=str(SEED), UNITS="m AMSL"
        )


def _rect(cx: float, cy: float, w: float, h: float, rot_deg: float = 0.0) -> shapely.Polygon:
    box = shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    return shapely.affinity.rotate(box, rot_deg, origin=(cx, cy))


def _height_at(dem: NDArray[np.float32], x: float, y: float) -> float:
    col = int((x - WEST_M) / PIXEL_M)
    row = int((NORTH_M - y) / PIXEL_M)
    return float(dem[row, col])


def build_zones(dem: NDArray[np.float32], washes: list[shapely.LineString]) -> dict:
    """The zones FeatureCollection, in WGS84 (RFC 7946), coordinates to 7 decimals (1 cm)."""
    import shapely.affinity

    pit_a, pit_b, pit_c = PITS
    heap_a, heap_b, _ = HEAPS
    operating_area = shapely.Polygon(
        [(614_000, 4_942_000), (640_000, 4_941_500), (655_500, 4_943_000), (655_000, 4_966_000),
         (653_500, 4_983_000), (630_000, 4_983_500), (613_500, 4_982_000), (614_500, 4_962_000)]
    )
    north_wall = pit_a.polygon(1.0).difference(pit_a.polygon(0.7)).intersection(
        shapely.box(pit_a.x_m - 3000, pit_a.y_m, pit_a.x_m + 3000, pit_a.y_m + 3000)
    )
    chem_compound = _rect(CHEM_PLANT_XY[0] - 1300, CHEM_PLANT_XY[1] + 900, 500, 400)
    features = [
        ("op-area", "Gobi coal district operating area", "operating_area", operating_area,
         {"max_alt_agl_m": 120.0}),
        ("nfz-explosives-depot", "Mine explosives depot", "no_fly",
         shapely.Point(DEPOT_XY).buffer(1000, quad_segs=16),
         {"reason": "explosives storage; overflight forbidden"}),
        ("nfz-flare-stacks", "Coal-chemical plant flare stacks", "no_fly",
         _rect(*FLARES_XY, 800, 600, 15).buffer(300, quad_segs=8),
         {"reason": "flare stacks: hot plumes and gas"}),
        ("hz-hongsha-north-face", "Hongsha pit north coal face", "combustion_hazard",
         north_wall, {"patrol_priority": 1, "hotspot_threshold_c": 60.0}),
        ("hz-hongsha-spoil", "Hongsha outer spoil heap", "combustion_hazard",
         heap_a.polygon(1.0), {"patrol_priority": 1, "hotspot_threshold_c": 60.0}),
        ("hz-heishan-seam", "Heishan pit exposed seam", "combustion_hazard",
         pit_b.polygon(0.9).intersection(shapely.box(pit_b.x_m - 3000, pit_b.y_m - 3000,
                                                     pit_b.x_m + 3000, pit_b.y_m - 200)),
         {"patrol_priority": 2, "hotspot_threshold_c": 60.0}),
        ("dc-evaporation-ponds", "Chemical plant evaporation pond area", "discharge_forbidden",
         _rect(CHEM_PLANT_XY[0] - 500, CHEM_PLANT_XY[1] - 1800, 1500, 1000, 10),
         {"patrol_priority": 2, "operator": "Gobi Coal Chemical Co."}),
        ("dc-east-wash", "East dry wash below the chemical plant", "discharge_forbidden",
         washes[3].intersection(shapely.box(645_000, 4_945_000, 657_000, 4_959_000))
         .buffer(150, quad_segs=4).intersection(operating_area.buffer(-200)),
         {"patrol_priority": 3, "operator": "Gobi Coal Chemical Co."}),
        ("rp-south-gobi", "South Gobi flats", "rescue_prone",
         shapely.Polygon([(616_000, 4_943_500), (628_000, 4_943_500), (629_000, 4_951_000),
                          (616_500, 4_952_500)]),
         {"patrol_priority": 2, "min_alt_agl_m": 60.0}),
        ("rp-west-gobi", "West Gobi between the washes", "rescue_prone",
         shapely.Polygon([(615_500, 4_954_000), (622_000, 4_954_000), (621_000, 4_958_500),
                          (615_500, 4_958_000)]),
         {"patrol_priority": 3, "min_alt_agl_m": 60.0}),
        ("ks-hongsha-office", "Hongsha Coal Co. site office", "key_site",
         _rect(pit_a.x_m + 2600, pit_a.y_m - 1400, 600, 400), {"patrol_priority": 3,
                                                               "company": "Hongsha Coal Co."}),
        ("ks-heishan-office", "Heishan Energy site office", "key_site",
         _rect(pit_b.x_m - 2300, pit_b.y_m + 400, 500, 400), {"patrol_priority": 3,
                                                              "company": "Heishan Energy"}),
        ("ks-baiyang-office", "Baiyang Mining site office", "key_site",
         _rect(pit_c.x_m - 1800, pit_c.y_m + 600, 400, 300), {"patrol_priority": 4,
                                                              "company": "Baiyang Mining"}),
        ("ks-chem-plant", "Gobi Coal Chemical Co. plant", "key_site",
         _rect(*CHEM_PLANT_XY, 1400, 1000, 10), {"patrol_priority": 2,
                                                 "company": "Gobi Coal Chemical Co."}),
        ("ks-power-plant", "Shamo power plant", "key_site",
         _rect(*POWER_PLANT_XY, 900, 700), {"patrol_priority": 3, "company": "Shamo Power"}),
        ("pa-hongsha", "Hongsha pit and spoil heap patrol", "patrol_area",
         shapely.union(north_wall.buffer(250), heap_a.polygon(1.1)).simplify(20),
         {"patrol_priority": 1, "min_alt_agl_m": 60.0, "max_alt_agl_m": 120.0}),
        ("pa-heishan", "Heishan pit and spoil heap patrol", "patrol_area",
         shapely.union(pit_b.polygon(1.0), heap_b.polygon(1.1)).buffer(100).simplify(20),
         {"patrol_priority": 2, "min_alt_agl_m": 60.0, "max_alt_agl_m": 120.0}),
        ("pa-chem-plant", "Chemical plant surroundings patrol", "patrol_area",
         shapely.Polygon(_rect(CHEM_PLANT_XY[0] - 700, CHEM_PLANT_XY[1] + 300, 2600, 2400)
                         .exterior.coords, [chem_compound.exterior.coords]),
         {"patrol_priority": 1, "min_alt_agl_m": 80.0, "max_alt_agl_m": 120.0}),
        ("pa-south-gobi", "South Gobi search-and-rescue patrol", "patrol_area",
         shapely.Polygon([(623_000, 4_945_500), (626_000, 4_945_300), (626_200, 4_948_000),
                          (623_300, 4_948_300)]),
         {"patrol_priority": 3, "min_alt_agl_m": 60.0, "max_alt_agl_m": 100.0}),
    ]
    for fid, _, _, geom, _ in features:
        if geom.is_empty or geom.area < 10_000:
            raise RuntimeError(f"zone {fid} came out empty or tiny: change the features")
    to_wgs84 = Transformer.from_crs(CRS_EPSG, 4326, always_xy=True)

    def wgs84(geom: shapely.Geometry) -> dict:
        geom = shapely.transform(geom, lambda xy: np.column_stack(to_wgs84.transform(*xy.T)))
        geom = shapely.set_precision(shapely.normalize(geom), 1e-7)
        return json.loads(shapely.to_geojson(geom))

    out = [
        {"type": "Feature", "id": fid,
         "properties": {"id": fid, "name": name, "kind": kind, **props}, "geometry": wgs84(geom)}
        for fid, name, kind, geom, props in features
    ]
    home_alt = round(_height_at(dem, *STATION_XY), 1)
    out.append(
        {"type": "Feature", "id": "launch-station",
         "properties": {"id": "launch-station", "name": "Border police station helipad",
                        "kind": "launch_site", "home_alt_amsl_m": home_alt, "heading_deg": 0.0},
         "geometry": wgs84(shapely.Point(STATION_XY))}
    )
    for fid, name, x, y, heading in FORWARD_POSTS:
        out.append(
            {"type": "Feature", "id": fid,
             "properties": {"id": fid, "name": name, "kind": "launch_site",
                            "home_alt_amsl_m": round(_height_at(dem, x, y), 1),
                            "heading_deg": heading},
             "geometry": wgs84(shapely.Point(x, y))}
        )
    return {
        "type": "FeatureCollection",
        "name": "Gobi coal district (modelled)",
        "features": out,
    }


def zones_text(zones: dict) -> str:
    """GeoJSON with one feature a line, so a change to one zone is a one-line diff."""
    head = {k: v for k, v in zones.items() if k != "features"}
    lines = [json.dumps(f, ensure_ascii=False) for f in zones["features"]]
    return json.dumps(head)[:-1] + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder for dem.tif, zones.geojson")
    parser.add_argument("--check", action="store_true", help="only compare with the files there")
    args = parser.parse_args(argv)
    dem, washes = build_dem()
    text = zones_text(build_zones(dem, washes))
    if args.check:
        with rasterio.open(args.out / "dem.tif") as ds:
            stale_dem = not np.allclose(ds.read(1), dem, atol=0.11)
        stale_zones = (args.out / "zones.geojson").read_text() != text
        if stale_dem or stale_zones:
            print("stale: " + " ".join(n for n, s in (("dem.tif", stale_dem),
                                                      ("zones.geojson", stale_zones)) if s))
            return 1
        print("dem.tif and zones.geojson match the seed")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    write_dem(args.out / "dem.tif", dem)
    (args.out / "zones.geojson").write_text(text)
    print(f"wrote {args.out / 'dem.tif'} and {args.out / 'zones.geojson'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
