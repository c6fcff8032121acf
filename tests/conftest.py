"""Shared fixtures: small layers built from boxes in a real projected CRS (EPSG:4526), so every
expected area can be worked out by hand."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import settings
from shapely import box

# No unseeded randomness: property tests draw the same examples on every run and machine.
settings.register_profile("devzone", derandomize=True, print_blob=True)
settings.load_profile("devzone")

#: CGCS2000 3-degree Gauss-Krüger zone 38 with the zone number in the easting (Puyang).
CRS = "EPSG:4526"
#: A false origin near Puyang so coordinates look like real ones (8-digit eastings).
X0, Y0 = 38_590_000.0, 3_958_000.0

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "sample"
REAL = DATA / "real"
FETCHED = DATA / "fetched"


def b(x1: float, y1: float, x2: float, y2: float):
    """A box in local metres from the false origin."""
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def zones_gdf(*items: tuple[str, object]) -> gpd.GeoDataFrame:
    """Zones from (id, geometry) pairs."""
    return gpd.GeoDataFrame(
        {"ZONE_ID": [i for i, _ in items], "ZONE_NAME": [f"区{i}" for i, _ in items]},
        geometry=[g for _, g in items],
        crs=CRS,
    )


def landuse_gdf(*items: tuple[str, object]) -> gpd.GeoDataFrame:
    """Land use from (DLBM, geometry) pairs."""
    return gpd.GeoDataFrame({"DLBM": [c for c, _ in items]}, geometry=[g for _, g in items], crs=CRS)


@pytest.fixture
def tmp_layers(tmp_path: Path):
    """Write zones and land use to a GeoPackage and return (path, zones_layer, landuse_layer)."""

    def write(zones: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame) -> Path:
        p = tmp_path / "layers.gpkg"
        zones.to_file(p, layer="zones")
        landuse.to_file(p, layer="dltb")
        return p

    return write
