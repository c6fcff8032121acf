"""CRS rules: the 3-degree Gauss-Krüger zones of Henan, the analysis CRS choice, suggestions, units."""

from __future__ import annotations

import geopandas as gpd
import pytest
from pyproj import CRS
from shapely import box

from geo.crs import choose_analysis_crs, gk3_crs, gk3_zone_of, is_projected_metres, require_crs, suggest_crs
from geo.errors import CRSError


@pytest.mark.parametrize(
    ("lon", "zone", "prefixed", "plain"),
    [
        (110.5, 37, 4525, 4546),  # western Henan (Sanmenxia), CM 111°E
        (112.49, 37, 4525, 4546),
        (112.51, 38, 4526, 4547),  # Zhengzhou 113.6, Puyang 115.0: CM 114°E
        (115.0, 38, 4526, 4547),
        (115.51, 39, 4527, 4548),  # eastern Henan (Shangqiu 116.6), CM 117°E
    ],
)
def test_gk3_zones_of_henan(lon, zone, prefixed, plain):
    assert gk3_zone_of(lon) == zone
    assert gk3_crs(lon).to_epsg() == prefixed
    assert gk3_crs(lon, zone_prefix=False).to_epsg() == plain
    # the CRS really is the zone: its central meridian is 3 * zone
    params = {p.name: p.value for p in CRS.from_epsg(prefixed).coordinate_operation.params}
    assert params["Longitude of natural origin"] == pytest.approx(3 * zone)
    assert params["False easting"] == pytest.approx(zone * 1_000_000 + 500_000)


def test_gk3_outside_china():
    with pytest.raises(CRSError, match="outside the CGCS2000 zones"):
        gk3_crs(10.0)


def test_units_are_read_from_axis_info():
    assert is_projected_metres(CRS.from_epsg(4526))
    assert not is_projected_metres(CRS.from_epsg(4490))
    assert not is_projected_metres(CRS.from_epsg(2277))  # Texas state plane, US survey feet
    # CGCS2000 GK declares northing first (X = north), but the unit test must not care about order
    assert CRS.from_epsg(4526).axis_info[0].direction == "north"


def test_choose_in_china_from_geographic():
    z = gpd.GeoDataFrame(geometry=[box(114.9, 35.7, 115.1, 35.8)], crs=4490)
    a = choose_analysis_crs(z)
    assert a.crs.to_epsg() == 4526 and "zone 38" in a.reason


def test_choose_outside_china_is_utm():
    z = gpd.GeoDataFrame(geometry=[box(26.93, 60.52, 26.97, 60.54)], crs=4326)
    assert choose_analysis_crs(z).crs.to_epsg() == 32635


def test_projected_layer_keeps_its_own_crs_and_user_choice_wins():
    z = gpd.GeoDataFrame(geometry=[box(38_590_000, 3_958_000, 38_591_000, 3_959_000)], crs=4526)
    assert choose_analysis_crs(z).crs.to_epsg() == 4526
    assert choose_analysis_crs(z, crs="EPSG:4547").crs.to_epsg() == 4547
    with pytest.raises(CRSError, match="not a projected CRS in metres"):
        choose_analysis_crs(z, crs="EPSG:4490")


def test_no_crs_suggests_from_magnitudes():
    z = gpd.GeoDataFrame(geometry=[box(38_590_000, 3_958_000, 38_591_000, 3_959_000)])
    with pytest.raises(CRSError, match=r"likely EPSG:4526 .*zone 38"):
        require_crs(z, what="zone layer zones.shp")
    assert "degrees" in suggest_crs((113.5, 34.7, 113.8, 34.9))
    assert "EPSG:4546/4547/4548" in suggest_crs((590_000, 3_958_000, 591_000, 3_959_000))
