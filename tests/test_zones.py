"""Zone files: every defect has its own clear error; queries on a valid set."""

from __future__ import annotations

import copy
import json

import pytest
import shapely
from pyproj import Transformer

from dronewatch.errors import ZoneFileError
from dronewatch.zones import UnknownZoneError, ZoneKind, load_zones, parse_zones

W, S, E, N = 88.60, 44.70, 88.80, 44.85


def square(w, s, e, n):
    return [[[w, s], [e, s], [e, n], [w, n], [w, s]]]


def feature(fid, kind, coords, gtype="Polygon", **props):
    return {
        "type": "Feature",
        "properties": {"id": fid, "name": fid.replace("-", " ").title(), "kind": kind, **props},
        "geometry": {"type": gtype, "coordinates": coords},
    }


def valid_document():
    patrol = square(88.62, 44.72, 88.70, 44.80)
    patrol.append([[88.65, 44.75], [88.65, 44.76], [88.66, 44.76], [88.66, 44.75], [88.65, 44.75]])
    return {
        "type": "FeatureCollection",
        "features": [
            feature("area", "operating_area", square(W, S, E, N), max_alt_agl_m=120),
            feature("depot", "no_fly", square(88.72, 44.78, 88.74, 44.80), reason="explosives"),
            feature("patrol", "patrol_area", patrol, patrol_priority=1, min_alt_agl_m=60,
                    max_alt_agl_m=100),
            feature("heap", "combustion_hazard", square(88.63, 44.73, 88.64, 44.74),
                    patrol_priority=1, hotspot_threshold_c=60),
            feature("station", "launch_site", [88.70, 44.71], gtype="Point",
                    home_alt_amsl_m=720.5, heading_deg=0),
        ],
    }


def problems_of(document, tmp_path=None):
    with pytest.raises(ZoneFileError) as err:
        parse_zones(document, source="test.geojson")
    assert "test.geojson" in str(err.value)
    return err.value.problems


def only_problem(document):
    problems = problems_of(document)
    assert len(problems) == 1, problems
    return problems[0]


def test_valid_file_loads_with_every_zone(tmp_path):
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(valid_document()))
    zones = load_zones(path)
    assert [z.id for z in zones] == ["area", "depot", "patrol", "heap", "station"]
    assert zones.get("patrol").kind is ZoneKind.PATROL_AREA
    assert len(zones.get("patrol").geometry.interiors) == 1
    site = zones.launch_sites[0]
    assert (site.lat_deg, site.lon_deg, site.home_alt_amsl_m) == (44.71, 88.70, 720.5)


@pytest.mark.parametrize(
    ("mutate", "feature_id", "field", "words"),
    [
        (lambda d: d["features"][1]["properties"].update(kind="no-fly"), "depot", "kind",
         "unknown kind 'no-fly'"),
        (lambda d: d["features"][1]["properties"].pop("id"), "#1", "id", "non-empty string id"),
        (lambda d: d["features"][3]["properties"].update(id="depot"), "depot", "id", "duplicate"),
        (lambda d: d["features"][1]["properties"].pop("name"), "depot", "name", "name"),
        (lambda d: d["features"][1]["properties"].pop("reason"), "depot", "reason", "required"),
        (lambda d: d["features"][2]["properties"].update(patrol_priority="high"), "patrol",
         "patrol_priority", "whole number"),
        (lambda d: d["features"][3]["properties"].update(hotspot_threshold_c=True), "heap",
         "hotspot_threshold_c", "must be a number"),
        (lambda d: d["features"][0]["properties"].update(max_alt_agl_m=1000), "area",
         "max_alt_agl_m", "above the maximum 500"),
        (lambda d: d["features"][4]["properties"].update(heading_deg=-10), "station",
         "heading_deg", "below the minimum"),
        (lambda d: d["features"][1]["geometry"]["coordinates"][0].pop(), "depot", "geometry",
         "is not closed"),
        (lambda d: d["features"][1]["geometry"].update(
            coordinates=[[[88.72, 44.78], [88.73, 44.78], [88.72, 44.78]]]), "depot", "geometry",
         "at least 4 positions"),
        (lambda d: d["features"][1]["geometry"].update(coordinates=[[
            [88.72, 44.78], [88.74, 44.80], [88.74, 44.78], [88.72, 44.80], [88.72, 44.78]]]),
         "depot", "geometry", "Self-intersection"),
        (lambda d: d["features"][2]["geometry"]["coordinates"].__setitem__(1, square(
            88.75, 44.81, 88.76, 44.82)[0]), "patrol", "geometry", "invalid polygon"),
        (lambda d: d["features"][2].update(geometry={"type": "Point",
                                                     "coordinates": [88.7, 44.75]}),
         "patrol", "geometry", "needs a Polygon or MultiPolygon"),
        (lambda d: d["features"][4].update(geometry={"type": "Polygon",
                                                     "coordinates": square(88.7, 44.71, 88.71,
                                                                           44.72)}),
         "station", "geometry", "needs a Point"),
        (lambda d: d["features"][1]["geometry"]["coordinates"][0][1].__setitem__(0, "88.74"),
         "depot", "geometry", "positions must be"),
        (lambda d: d["features"][3]["geometry"].update(coordinates=square(88.9, 44.73, 88.95,
                                                                          44.74)),
         "heap", "geometry", "not inside the operating area"),
        (lambda d: d["features"][1]["geometry"].update(coordinates=square(89.9, 44.73, 89.95,
                                                                          44.74)),
         "depot", "geometry", "wholly outside"),
        (lambda d: d["features"][4]["geometry"].update(coordinates=[88.73, 44.79]), "station",
         "geometry", "launch site inside a no-fly zone"),
        (lambda d: d["features"][2]["properties"].update(max_alt_agl_m=150), "patrol",
         "max_alt_agl_m", "exceeds the operating area's 120"),
        (lambda d: d["features"][2]["properties"].update(min_alt_agl_m=110), "patrol",
         "min_alt_agl_m", "above max_alt_agl_m"),
        (lambda d: d["features"][1].update(id="other"), "depot", "id", "differs"),
        (lambda d: d["features"][1]["geometry"].update(
            coordinates=[[[630000, 4960000], [631000, 4960000], [631000, 4961000],
                          [630000, 4960000]]]), "depot", "geometry", "not WGS84"),
    ],
)
def test_each_defect_gets_its_own_clear_error(mutate, feature_id, field, words):
    document = valid_document()
    mutate(document)
    problem = only_problem(document)
    assert problem.feature_id == feature_id
    assert problem.field == field
    assert words in problem.message
    assert feature_id in str(problem) or feature_id.startswith("#")


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda d: d.update(type="Feature"), "FeatureCollection"),
        (lambda d: d.update(features=[]), "no features"),
        (lambda d: d["features"].pop(0), "exactly one operating_area"),
        (lambda d: d["features"].append(copy.deepcopy(d["features"][0]) | {}) or
         d["features"][-1]["properties"].update(id="area2"), "exactly one operating_area"),
        (lambda d: d["features"].pop(4), "no launch_site"),
        (lambda d: d.update(crs={"type": "name", "properties": {"name": "EPSG:999999"}}),
         "unknown CRS"),
    ],
)
def test_file_level_defects(mutate, words):
    document = valid_document()
    mutate(document)
    problems = problems_of(document)
    assert any(words in p.message for p in problems), problems


def test_every_defect_is_reported_and_nothing_is_half_loaded():
    document = valid_document()
    document["features"][1]["properties"]["kind"] = "nofly"
    document["features"][2]["properties"]["patrol_priority"] = 9
    document["features"][3]["geometry"]["coordinates"][0].pop()
    problems = problems_of(document)
    assert {(p.feature_id, p.field) for p in problems} == {
        ("depot", "kind"), ("patrol", "patrol_priority"), ("heap", "geometry")}


def test_unreadable_and_non_json_files_name_the_file(tmp_path):
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(ZoneFileError, match=r"(?s)broken\.geojson.*not valid JSON at line 1"):
        load_zones(broken)
    with pytest.raises(ZoneFileError, match="cannot read"):
        load_zones(tmp_path / "missing.geojson")


def test_projected_coordinates_with_a_crs_member_are_transformed(tmp_path):
    to_utm = Transformer.from_crs(4326, 32645, always_xy=True)
    document = valid_document()
    for f in document["features"]:
        geom = shapely.geometry.shape(f["geometry"])
        utm = shapely.transform(geom, lambda xy: __import__("numpy").column_stack(
            to_utm.transform(xy[:, 0], xy[:, 1])))
        f["geometry"] = json.loads(shapely.to_geojson(utm))
    document["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32645"}}
    zones = parse_zones(document)
    assert zones.launch_sites[0].lat_deg == pytest.approx(44.71, abs=1e-9)
    assert zones.get("depot").geometry.bounds == pytest.approx((88.72, 44.78, 88.74, 44.80),
                                                               abs=1e-9)


def test_crs84_and_epsg4326_members_mean_lon_lat():
    for name in ("urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326"):
        document = valid_document()
        document["crs"] = {"type": "name", "properties": {"name": name}}
        assert parse_zones(document).launch_sites[0].lon_deg == 88.70


@pytest.fixture
def zones():
    return parse_zones(valid_document())


def test_which_zones_contain_a_point(zones):
    assert {z.id for z in zones.zones_at(44.735, 88.635)} == {"area", "patrol", "heap"}
    assert {z.id for z in zones.zones_at(44.755, 88.655)} == {"area"}  # in the patrol's hole
    assert zones.zones_at(44.0, 88.0) == ()
    assert zones.in_operating_area(44.75, 88.75)
    assert not zones.in_operating_area(44.9, 88.75)


def test_union_of_no_fly_zones(zones):
    union = zones.no_fly_union()
    assert union.bounds == pytest.approx((88.72, 44.78, 88.74, 44.80))
    local = zones.no_fly_union_local(margin_m=100.0)
    assert local.area > zones.local_geometry("depot").area


def test_segment_crossing_a_no_fly_zone(zones):
    assert [z.id for z in zones.no_fly_crossed((44.77, 88.73), (44.81, 88.73))] == ["depot"]
    assert not zones.segment_crosses_no_fly((44.77, 88.70), (44.81, 88.70))
    # 88.745 passes ~400 m east of the depot: clear unless the margin is larger.
    assert not zones.segment_crosses_no_fly((44.77, 88.745), (44.81, 88.745), margin_m=300)
    assert zones.segment_crosses_no_fly((44.77, 88.745), (44.81, 88.745), margin_m=500)


def test_unknown_zone_id_lists_the_known_ones(zones):
    with pytest.raises(UnknownZoneError, match="known zones: area, depot"):
        zones.get("nope")
