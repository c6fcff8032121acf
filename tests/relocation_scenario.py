"""A small relocation scenario in EPSG:4526 (metres from the fixtures' false origin) for run and CLI tests.

- zone Z1 0..2000 × 0..2000
- villages: V1 point (500, 500) 3000 people; V2 polygon 1500..1700 × 1500..1700 (point on surface
  (1600, 1600)) 2500; V3 polygon 1900..2100 × 100..300, half inside: 2000 × 0.5 = 1000 to house;
  V4 point (5000, 5000) 700, outside.
- sites (point on surface = box centre): S1 2500..3300 × 0..800 (6400 places, centre (2900, 400));
  S2 −1500..−700 × 0..800 (6400, centre (−1100, 400)); S3 2500..3000 × 2500..3000 (2500: too small);
  S4 0..800 × 2500..3300 on 永久基本农田; S5 1000..1800 × 1000..1800 inside the zone.
- planning area −3000..8000 × −3000..8000; 永久基本农田 0..1000 × 2500..3500;
  生态保护红线 6000..7000 × 6000..7000.
- one road along y = 400 from x = −2000 to 4000.
- facilities: kindergarten (2900, 700), school (2900, 900), clinic (2000, 400), shop (3400, 400),
  bus stop (−1100, 600).
- DEM: 30 m cells over −3000..8000 × −3000..8000 rising 10 m per 100 m eastwards (slope 5.71°).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine
from shapely import LineString, Point

from tests.conftest import CRS, X0, Y0, b, zones_gdf


def pt(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


def build(tmp: Path) -> dict[str, Path]:
    """Write the scenario to ``tmp/scenario.gpkg`` and ``tmp/dem.tif``; return their paths."""
    gpkg = tmp / "scenario.gpkg"
    zones_gdf(("Z1", b(0, 0, 2000, 2000))).to_file(gpkg, layer="zones")
    gpd.GeoDataFrame(
        {
            "village_id": ["V1", "V2", "V3", "V4"],
            "CJMC": ["甲村", "乙村", "丙村", "丁村"],
            "population": [3000, 2500, 2000, 700],
        },
        geometry=[pt(500, 500), b(1500, 1500, 1700, 1700), b(1900, 100, 2100, 300), pt(5000, 5000)],
        crs=CRS,
    ).to_file(gpkg, layer="villages")
    gpd.GeoDataFrame(
        {"site_id": ["S1", "S2", "S3", "S4", "S5"], "site_name": ["东", "西", "小", "农田", "区内"]},
        geometry=[
            b(2500, 0, 3300, 800),
            b(-1500, 0, -700, 800),
            b(2500, 2500, 3000, 3000),
            b(0, 2500, 800, 3300),
            b(1000, 1000, 1800, 1800),
        ],
        crs=CRS,
    ).to_file(gpkg, layer="sites")
    for name, geom in (
        ("planning_area", b(-3000, -3000, 8000, 8000)),
        ("farmland", b(0, 2500, 1000, 3500)),
        ("redline", b(6000, 6000, 7000, 7000)),
    ):
        gpd.GeoDataFrame({"name": [name]}, geometry=[geom], crs=CRS).to_file(gpkg, layer=name)
    gpd.GeoDataFrame(
        {"name": ["主路"]}, geometry=[LineString([(X0 - 2000, Y0 + 400), (X0 + 4000, Y0 + 400)])], crs=CRS
    ).to_file(gpkg, layer="roads")
    gpd.GeoDataFrame(
        {
            "name": ["幼儿园", "小学", "卫生院", "超市", "公交站"],
            "kind": ["幼儿园", "小学", "卫生院", "超市", "公交站"],
        },
        geometry=[pt(2900, 700), pt(2900, 900), pt(2000, 400), pt(3400, 400), pt(-1100, 600)],
        crs=CRS,
    ).to_file(gpkg, layer="facilities")
    n = int(11_000 / 30)
    z = np.tile(np.arange(n) * 3.0, (n, 1)).astype("float32")
    dem = tmp / "dem.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        height=n,
        width=n,
        count=1,
        dtype="float32",
        crs=CRS,
        transform=Affine(30.0, 0.0, X0 - 3000, 0.0, -30.0, Y0 + 8000),
        nodata=-9999.0,
    ) as ds:
        ds.write(z, 1)
    return {"gpkg": gpkg, "dem": dem}
