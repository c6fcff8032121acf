"""Synthetic 三调 land-use parcels and development zones for the benchmarks.

The parcels are a true tessellation (no gaps, no overlaps): a grid of cells whose corners are jittered and
whose edges carry ``k`` jittered intermediate vertices shared with the neighbouring cell, so each parcel is
an irregular polygon of ``4k + 4`` vertices, like a surveyed 图斑. Codes (DLBM) follow a rural mix outside
the zones and an industrial mix inside them. The zones are irregular star-shaped polygons with many
vertices, some with a hole (a village left out) and some in two parts (一区多园), covering a small share of
the area, so most parcels lie outside them, as in a county or a province.

Everything is in EPSG:4526 (CGCS2000 3° Gauss-Krüger zone 38) around 38 590 000 E / 3 958 000 N and is
deterministic for a given seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

CRS = "EPSG:4526"
ORIGIN = (38_590_000.0, 3_958_000.0)

#: 三调 code → name, and the mixes outside / inside the zones (weights).
NAMES = {
    "0101": "水田",
    "0102": "水浇地",
    "0103": "旱地",
    "0201": "果园",
    "0301": "乔木林地",
    "0404": "其他草地",
    "05H1": "商业服务业设施用地",
    "0508": "物流仓储用地",
    "0601": "工业用地",
    "0602": "采矿用地",
    "0701": "城镇住宅用地",
    "0702": "农村宅基地",
    "08H2": "科教文卫用地",
    "0809": "公用设施用地",
    "0810": "公园与绿地",
    "1003": "公路用地",
    "1004": "城镇村道路用地",
    "1006": "农村道路",
    "1101": "河流水面",
    "1104": "坑塘水面",
    "1107": "沟渠",
    "1202": "设施农用地",
    "1203": "田坎",
}
RURAL = {
    "0103": 38,
    "0102": 16,
    "0101": 2,
    "0702": 10,
    "1006": 4,
    "1003": 2,
    "0301": 4,
    "0201": 3,
    "1104": 2,
    "1101": 2,
    "1107": 2,
    "0701": 4,
    "0601": 3,
    "0602": 1,
    "05H1": 2,
    "08H2": 1,
    "1202": 1,
    "1203": 2,
    "0404": 1,
}
ZONE_MIX = {
    "0601": 42,
    "0508": 6,
    "0701": 9,
    "05H1": 6,
    "1004": 8,
    "0810": 3,
    "0103": 9,
    "0102": 3,
    "0702": 5,
    "08H2": 3,
    "0809": 2,
    "1104": 1,
    "1107": 1,
}


@dataclass(frozen=True)
class Dataset:
    """Paths of one generated data set."""

    gpkg: Path
    parquet: Path
    zones_parquet: Path
    n_parcels: int
    n_zones: int

    @property
    def landuse_layer(self) -> str:
        return "dltb"

    @property
    def zones_layer(self) -> str:
        return "zones"


def tessellation(
    n: int,
    *,
    rng: np.random.Generator,
    cell_m: float = 80.0,
    k: int = 3,
    origin: tuple[float, float] = ORIGIN,
) -> np.ndarray:
    """Return ``n`` polygons tiling a near-square area without gaps or overlaps (row-major order)."""
    nx = math.ceil(math.sqrt(n))
    ny = math.ceil(n / nx)
    x0 = origin[0] - nx * cell_m / 2
    y0 = origin[1] - ny * cell_m / 2
    X, Y = np.meshgrid(x0 + np.arange(nx + 1) * cell_m, y0 + np.arange(ny + 1) * cell_m)
    X = X + rng.uniform(-0.25, 0.25, X.shape) * cell_m
    Y = Y + rng.uniform(-0.25, 0.25, Y.shape) * cell_m
    t = np.arange(1, k + 1) / (k + 1)
    # horizontal edges P[r, c] -> P[r, c+1] (rows 0..ny), wiggled in y; vertical edges P[r, c] -> P[r+1, c]
    hx = X[:, :-1, None] + (X[:, 1:] - X[:, :-1])[..., None] * t
    hy = Y[:, :-1, None] + (Y[:, 1:] - Y[:, :-1])[..., None] * t + rng.uniform(-0.06, 0.06, (ny + 1, nx, k)) * cell_m
    vx = X[:-1, :, None] + (X[1:] - X[:-1])[..., None] * t + rng.uniform(-0.06, 0.06, (ny, nx + 1, k)) * cell_m
    vy = Y[:-1, :, None] + (Y[1:] - Y[:-1])[..., None] * t

    def ring(px: np.ndarray, ph: np.ndarray, pv: np.ndarray) -> np.ndarray:
        # counter-clockwise: bottom edge, right edge, top edge reversed, left edge reversed, close
        return np.concatenate(
            [
                px[:-1, :-1, None],
                ph[:-1],
                px[:-1, 1:, None],
                pv[:, 1:],
                px[1:, 1:, None],
                ph[1:, :, ::-1],
                px[1:, :-1, None],
                pv[:, :-1, ::-1],
                px[:-1, :-1, None],
            ],
            axis=-1,
        )

    rx = ring(X, hx, vx).reshape(nx * ny, -1)[:n]
    ry = ring(Y, hy, vy).reshape(nx * ny, -1)[:n]
    geoms = shapely.polygons(np.stack([rx, ry], axis=-1))
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    if len(bad):
        msg = f"generator made {len(bad)} invalid parcels (first {bad[:5]})"
        raise AssertionError(msg)
    return geoms


def _star(cx: float, cy: float, radius: float, rng: np.random.Generator, m: int = 200) -> shapely.Polygon:
    theta = np.linspace(0, 2 * np.pi, m, endpoint=False)
    rho = np.ones(m)
    for h in range(2, 8):
        rho += rng.uniform(0, 0.12) * np.cos(h * theta + rng.uniform(0, 2 * np.pi))
    rho *= 1 + rng.uniform(-0.015, 0.015, m)
    return shapely.Polygon(np.column_stack([cx + radius * rho * np.cos(theta), cy + radius * rho * np.sin(theta)]))


def zones(
    n_zones: int,
    extent: tuple[float, float, float, float],
    *,
    rng: np.random.Generator,
    coverage: float = 0.08,
) -> gpd.GeoDataFrame:
    """Return irregular zones (KFQDM, KFQMC) covering about ``coverage`` of ``extent``; some have a hole,
    some two parts (two features with the same KFQDM)."""
    minx, miny, maxx, maxy = extent
    mean_area = coverage * (maxx - minx) * (maxy - miny) / n_zones
    placed: list[tuple[float, float, float]] = []
    rows: list[dict[str, object]] = []
    for i in range(n_zones):
        area = mean_area * float(np.clip(rng.lognormal(0.0, 0.45), 0.35, 2.5))
        radius = math.sqrt(area / math.pi)
        two_parts = i % 7 == 3
        reach = radius * (3.0 if two_parts else 1.4)
        for _ in range(5000):
            cx = rng.uniform(minx + reach + 200, maxx - reach - 200)
            cy = rng.uniform(miny + reach + 200, maxy - reach - 200)
            if all(math.hypot(cx - x, cy - y) > reach + r for x, y, r in placed):
                break
        else:
            msg = f"cannot place {n_zones} zones without overlap; lower the coverage"
            raise AssertionError(msg)
        placed.append((cx, cy, reach))
        zid, name = f"S41{i + 1:04d}", f"合成第{i + 1}产业集聚区"
        geom = _star(cx, cy, radius, rng)
        if i % 5 == 1:
            geom = geom.difference(_star(cx + 0.3 * radius, cy - 0.2 * radius, 0.18 * radius, rng))
        rows.append({"KFQDM": zid, "KFQMC": name, "geometry": geom})
        if two_parts:
            ang = rng.uniform(0, 2 * np.pi)
            d = 2.1 * radius
            rows.append(
                {
                    "KFQDM": zid,
                    "KFQMC": name,
                    "geometry": _star(cx + d * math.cos(ang), cy + d * math.sin(ang), 0.45 * radius, rng),
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def parcels(
    n: int, n_zones: int, *, seed: int = 20260101, coverage: float = 0.08
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return (parcels, zones): a 三调-like layer (BSM DLBM DLMC QSXZ ZLDWMC TBMJ SJNF) and its zones."""
    rng = np.random.default_rng(seed)
    geoms = tessellation(n, rng=rng)
    extent = tuple(shapely.total_bounds(geoms))
    zgdf = zones(n_zones, extent, rng=rng, coverage=coverage)
    cx, cy = shapely.get_coordinates(shapely.centroid(geoms)).T
    area_union = shapely.union_all(zgdf.geometry.values)
    shapely.prepare(area_union)
    inside = shapely.contains_xy(area_union, cx, cy)
    codes = np.empty(n, dtype=object)
    for mask, mix in ((~inside, RURAL), (inside, ZONE_MIX)):
        keys = np.array(list(mix), dtype=object)
        w = np.array(list(mix.values()), dtype=float)
        codes[mask] = rng.choice(keys, size=int(mask.sum()), p=w / w.sum())
    ids = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(10)
    village = np.floor((cx - extent[0]) / 2000).astype(int) * 100 + np.floor((cy - extent[1]) / 2000).astype(int)
    gdf = gpd.GeoDataFrame(
        {
            "BSM": ("410928" + ids).to_numpy(),
            "DLBM": codes,
            "DLMC": pd.Series(codes).map(NAMES).to_numpy(),
            "QSXZ": np.where(rng.random(n) < 0.85, "30", "10"),
            "ZLDWMC": pd.Series(village).map(lambda v: f"合成镇{v // 100}村{v % 100}").to_numpy(),
            "TBMJ": np.round(shapely.area(geoms), 2),
            "SJNF": np.full(n, 2023, dtype=np.int32),
        },
        geometry=geoms,
        crs=CRS,
    )
    return gdf, zgdf


def build(data_dir: Path, n: int, n_zones: int, *, seed: int = 20260101, force: bool = False) -> Dataset:
    """Write (once) the GeoPackage (layers ``dltb`` with a spatial index, ``zones``) and GeoParquet copies."""
    data_dir.mkdir(parents=True, exist_ok=True)
    stem = f"dltb_n{n}_z{n_zones}_s{seed}"
    ds = Dataset(
        data_dir / f"{stem}.gpkg",
        data_dir / f"{stem}.parquet",
        data_dir / f"{stem}_zones.parquet",
        n,
        n_zones,
    )
    if not force and ds.gpkg.exists() and ds.parquet.exists() and ds.zones_parquet.exists():
        return ds
    for p in (ds.gpkg, ds.parquet, ds.zones_parquet):
        p.unlink(missing_ok=True)
    gdf, zgdf = parcels(n, n_zones, seed=seed)
    tmp = ds.gpkg.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    pyogrio.write_dataframe(gdf, tmp, layer="dltb", driver="GPKG", layer_options={"SPATIAL_INDEX": "YES"})
    pyogrio.write_dataframe(zgdf, tmp, layer="zones", driver="GPKG", append=False)
    gdf.to_parquet(ds.parquet, write_covering_bbox=True, row_group_size=50_000)
    zgdf.to_parquet(ds.zones_parquet)
    tmp.rename(ds.gpkg)
    return ds
