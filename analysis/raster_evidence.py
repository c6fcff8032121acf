"""Raster evidence for R4/R5: built-up share and spectral indices per parcel, by exact coverage.

Evidence, never verdicts. Two kinds of rows come out, each for a field check:

``recorded_built_looks_vacant``
    The records say the parcel is built (it has an actual start date, a developed share above 0, or
    building footprints) but the land-cover raster shows a built-up share below ``vacant_below`` (or,
    from imagery alone, a mean NDVI above ``ndvi_vacant_above``).
``recorded_idle_looks_built``
    The records say the parcel is unstarted or idle (no actual start, or an R4 status of idle) but the
    built-up share is at least ``built_at_least`` (or the mean NDBI is above ``ndbi_built_above``).

Method. Zonal statistics use exactextract: every pixel a parcel touches is weighted by the exact
fraction of the pixel the parcel covers, so a parcel smaller than a pixel still gets a value (rasterstats
and centroid sampling give nothing or a whole pixel). The parcels are transformed into the raster's CRS
(never the raster into the parcels'); the comparison uses pyproj's ``CRS.equals`` (axis order ignored).
When the CRSs differ only by datum realisation (same projection, same parameters and ellipsoid, as
EPSG:3358 NAD83(HARN) vs EPSG:32119 NAD83 North Carolina) the shift the transformation applies at the
parcels is measured and reported: a raster whose *grid* equals another raster's while its declared CRS
differs is most likely mislabelled, and the report says so (:func:`compare_grids`).

- built share = Σ coverage of valid pixels in ``built_classes`` ÷ Σ coverage of valid pixels;
- valid share = Σ coverage of valid pixels ÷ the parcel's area in pixels (nodata and the part outside the
  raster are not valid); below ``min_valid_share`` a parcel cannot be read;
- NDVI = (nir − red)/(nir + red), NDBI = (swir − nir)/(swir + nir) per pixel, then the coverage-weighted mean.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource
from pyproj import CRS

from analysis.raster_crs import CRSCheck, compare_crs, compare_grids, raster_crs_label
from geo.errors import CRSError, DataError, InputError, ProfileError
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = [
    "CRSCheck",
    "RasterRule",
    "built_share",
    "compare_crs",
    "compare_grids",
    "evidence_rows",
    "index_means",
]


@dataclass(frozen=True)
class RasterRule:
    """Parameters of the raster evidence, from ``[rules."R5.raster"]``."""

    rule_id: str
    title: str
    source: str
    built_classes: tuple[float, ...]
    vacant_below: float
    built_at_least: float
    min_valid_share: float
    red_band: int
    nir_band: int
    swir_band: int | None
    ndvi_vacant_above: float
    ndbi_built_above: float

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R5.raster") -> RasterRule:
        """Build the rule; raise :class:`ProfileError` for missing values."""
        p = profile.rule(rule_id)
        try:
            swir = int(p.get("swir_band", 0)) or None
            return cls(
                rule_id=str(p.get("id", rule_id)),
                title=str(p["title"]),
                source=str(p["source"]),
                built_classes=tuple(float(c) for c in p["built_classes"]),
                vacant_below=float(p["vacant_below"]),
                built_at_least=float(p["built_at_least"]),
                min_valid_share=float(p["min_valid_share"]),
                red_band=int(p["red_band"]),
                nir_band=int(p["nir_band"]),
                swir_band=swir,
                ndvi_vacant_above=float(p["ndvi_vacant_above"]),
                ndbi_built_above=float(p["ndbi_built_above"]),
            )
        except KeyError as exc:
            msg = f'profile {profile.origin}: [rules."{rule_id}"] lacks {exc.args[0]!r}'
            raise ProfileError(msg) from exc


@dataclass(frozen=True)
class _Window:
    arrays: dict[int, np.ndarray]
    bounds: tuple[float, float, float, float]
    nodata: float | None
    crs: CRS
    pixel_area: float


def _raster_crs(ds: rasterio.DatasetReader, path: str | Path, assign_crs: Any) -> CRS:
    if assign_crs:
        return CRS.from_user_input(assign_crs)
    if ds.crs is None:
        msg = f"raster {path} declares no CRS; set `crs =` for it in the project file"
        raise CRSError(msg)
    return CRS.from_user_input(ds.crs)


def _read_window(
    path: str | Path, bands: list[int], bounds: tuple[float, float, float, float], assign_crs: Any = None
) -> _Window:
    """Read the pixels covering ``bounds`` (in the raster's CRS) of some bands."""
    p = Path(path)
    if not p.exists():
        msg = f"raster {p}: no such file"
        raise InputError(msg)
    with rasterio.open(p) as ds:
        t = ds.transform
        if t.b != 0 or t.d != 0:
            msg = f"raster {p} is rotated (transform {tuple(t)[:6]}); warp it to a north-up grid first"
            raise DataError(msg)
        for bnd in bands:
            if not 1 <= bnd <= ds.count:
                msg = f"raster {p} has {ds.count} band(s); band {bnd} was asked for (see the profile's bands)"
                raise DataError(msg)
        minx, miny, maxx, maxy = bounds
        c0 = max(0, math.floor((minx - t.c) / t.a))
        c1 = min(ds.width, math.ceil((maxx - t.c) / t.a))
        r0 = max(0, math.floor((maxy - t.f) / t.e))
        r1 = min(ds.height, math.ceil((miny - t.f) / t.e))
        crs = _raster_crs(ds, p, assign_crs)
        if c1 <= c0 or r1 <= r0:
            return _Window({}, (0.0, 0.0, 0.0, 0.0), ds.nodata, crs, abs(t.a * t.e))
        win = rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)
        arrays = {bnd: ds.read(bnd, window=win) for bnd in bands}
        wb = (t.c + c0 * t.a, t.f + r1 * t.e, t.c + c1 * t.a, t.f + r0 * t.e)
        return _Window(arrays, wb, ds.nodata, crs, abs(t.a * t.e))


def _in_raster_crs(
    parcels: gpd.GeoDataFrame, path: str | Path, assign_crs: Any, *, layer: str, qa: QALog
) -> tuple[gpd.GeoDataFrame, CRSCheck]:
    with rasterio.open(path) as ds:
        rcrs = _raster_crs(ds, path, assign_crs)
    if parcels.crs is None:
        msg = f"{layer} has no CRS; parcels must have one before raster statistics"
        raise CRSError(msg)
    located = parcels[parcels.geometry.notna() & ~parcels.geometry.is_empty]
    b = located.total_bounds if len(located) else np.zeros(4)
    label = str(assign_crs) if assign_crs else raster_crs_label(path)
    check = compare_crs(rcrs, parcels.crs, at_xy=((b[0] + b[2]) / 2, (b[1] + b[3]) / 2), raster_label=label)
    where = f"{Path(path).name}" + (f" (CRS {assign_crs} assigned in the project file)" if assign_crs else "")
    qa.add(
        "raster_crs",
        f"{where}: {check.message}",
        layer=layer,
        severity="info" if check.equal else "warning",
        action=check.action,
    )
    work = located if check.equal else located.to_crs(rcrs)
    return work, check


def _zonal(
    work: gpd.GeoDataFrame, win: _Window, array: np.ndarray, ops: list[str], nodata: Any
) -> pd.DataFrame:
    keyed = gpd.GeoDataFrame({"_key": np.arange(len(work))}, geometry=work.geometry.values, crs=work.crs)
    if nodata is not None and np.issubdtype(array.dtype, np.integer):
        nodata = int(nodata)
    src = NumPyRasterSource(
        array,
        xmin=win.bounds[0],
        ymin=win.bounds[1],
        xmax=win.bounds[2],
        ymax=win.bounds[3],
        nodata=nodata,
        srs_wkt=win.crs.to_wkt(),
    )
    res = exact_extract(src, keyed, ops, include_cols=["_key"], output="pandas")
    return res.set_index("_key").sort_index()


def built_share(
    parcels: gpd.GeoDataFrame,
    raster: str | Path,
    *,
    built_classes: tuple[float, ...],
    band: int = 1,
    assign_crs: Any = None,
    layer: str = "parcels",
    qa: QALog,
) -> pd.DataFrame:
    """Return the built-up share of each parcel from a land-cover raster, by exact coverage fractions.

    Parameters
    ----------
    parcels : GeoDataFrame
        Polygons in any CRS (transformed to the raster's; rows without geometry get NaN).
    raster : path
        A classified raster (one class value per pixel; the dataset's nodata is not land).
    built_classes : tuple of numbers, keyword-only
        Class values that count as built.
    band : int, keyword-only
    assign_crs : CRS-like, optional, keyword-only
        Use this CRS instead of the raster's declared one (a known mislabel).
    layer : str, keyword-only
        Name for QA rows.
    qa : QALog, keyword-only

    Returns
    -------
    DataFrame
        On the parcels' index: ``built_share`` (of valid pixels), ``valid_share`` (valid coverage ÷ the
        parcel's area in pixels), ``valid_pixels`` and ``parcel_pixels`` (coverage-weighted counts).
    """
    out = pd.DataFrame(
        np.nan, index=parcels.index, columns=["built_share", "valid_share", "valid_pixels", "parcel_pixels"]
    )
    work, _ = _in_raster_crs(parcels, raster, assign_crs, layer=layer, qa=qa)
    if len(work) == 0:
        return out
    win = _read_window(raster, [band], tuple(work.total_bounds), assign_crs)
    out.loc[work.index, "parcel_pixels"] = (work.geometry.area / win.pixel_area).to_numpy()
    if not win.arrays:
        out.loc[work.index, ["valid_pixels", "valid_share"]] = 0.0
        return out
    res = _zonal(work, win, win.arrays[band], ["cls=unique", "fr=frac", "n=count"], win.nodata)
    built = np.asarray(built_classes, dtype=float)
    share = [
        float(sum(f for c, f in zip(cl, fr, strict=True) if np.isclose(float(c), built).any()))
        if n > 0
        else np.nan
        for cl, fr, n in zip(res["cls"], res["fr"], res["n"], strict=True)
    ]
    out.loc[work.index, "built_share"] = share
    out.loc[work.index, "valid_pixels"] = res["n"].to_numpy(dtype=float)
    out["valid_share"] = out["valid_pixels"] / out["parcel_pixels"]
    return out


def _index(a: np.ndarray, b: np.ndarray, nodata: float | None) -> np.ndarray:
    a, b = a.astype("float64"), b.astype("float64")
    bad = (a + b) == 0
    if nodata is not None:
        bad |= (a == nodata) | (b == nodata)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (a - b) / (a + b)
    out[bad] = np.nan
    return out


def index_means(
    parcels: gpd.GeoDataFrame,
    imagery: str | Path,
    *,
    red_band: int,
    nir_band: int,
    swir_band: int | None = None,
    assign_crs: Any = None,
    layer: str = "parcels",
    qa: QALog,
) -> pd.DataFrame:
    """Return the coverage-weighted mean NDVI (and NDBI when a SWIR band is given) of each parcel.

    Returns
    -------
    DataFrame
        On the parcels' index: ``ndvi_mean``, ``ndbi_mean`` (NaN without SWIR), ``index_pixels``.
    """
    out = pd.DataFrame(np.nan, index=parcels.index, columns=["ndvi_mean", "ndbi_mean", "index_pixels"])
    work, _ = _in_raster_crs(parcels, imagery, assign_crs, layer=layer, qa=qa)
    if len(work) == 0:
        return out
    bands = [red_band, nir_band] + ([swir_band] if swir_band else [])
    win = _read_window(imagery, bands, tuple(work.total_bounds), assign_crs)
    if not win.arrays:
        return out
    ndvi = _index(win.arrays[nir_band], win.arrays[red_band], win.nodata)
    res = _zonal(work, win, ndvi, ["m=mean", "n=count"], np.nan)
    out.loc[work.index, "ndvi_mean"] = res["m"].to_numpy(dtype=float)
    out.loc[work.index, "index_pixels"] = res["n"].to_numpy(dtype=float)
    if swir_band:
        ndbi = _index(win.arrays[swir_band], win.arrays[nir_band], win.nodata)
        out.loc[work.index, "ndbi_mean"] = _zonal(work, win, ndbi, ["m=mean"], np.nan)["m"].to_numpy(
            dtype=float
        )
    return out


_IDLE = {"idle_fee", "reclaim", "stalled", "government_cause"}


def _date(v: Any) -> dt.date | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return None
    try:
        return pd.Timestamp(v).date()
    except (TypeError, ValueError):
        return None


def _recorded(
    rec: dict[str, Any], *, as_of: dt.date, idle_status: str | None, n_buildings: float
) -> tuple[str, str]:
    """Return ("built" | "unstarted" | "", what the records say)."""
    start = _date(rec.get("actual_start"))
    dev = rec.get("developed_share")
    dev = float(dev) if dev is not None and not (isinstance(dev, float) and math.isnan(dev)) else None
    says = []
    if start is not None and start <= as_of:
        says.append(f"started {start.isoformat()}")
    if dev is not None and dev > 0:
        says.append(f"developed {dev:.0%}")
    if n_buildings > 0:
        says.append(f"{int(n_buildings)} building(s) mapped")
    if says:
        return "built", "; ".join(says)
    if idle_status in _IDLE:
        return "unstarted", f"R4 status {idle_status}"
    if start is None and _date(rec.get("agreed_start")) is not None:
        return "unstarted", f"no actual start; agreed start {_date(rec.get('agreed_start'))}"
    return "", ""


def evidence_rows(
    parcels: gpd.GeoDataFrame,
    *,
    rule: RasterRule,
    as_of: dt.date,
    shares: pd.DataFrame | None = None,
    indices: pd.DataFrame | None = None,
    idle_status: pd.Series | None = None,
    n_buildings: pd.Series | None = None,
    raster: str = "",
    raster_date: dt.date | None = None,
) -> gpd.GeoDataFrame:
    """Return the evidence rows (see the module docstring), one per parcel that contradicts its records.

    Parameters
    ----------
    parcels : GeoDataFrame
        Supply records (``parcel_id``, ``actual_start``, ``agreed_start``, ``developed_share``,
        ``contract_date``, optionally ``zone_id``).
    rule : RasterRule, keyword-only
    as_of : date, keyword-only
    shares, indices : DataFrame, optional, keyword-only
        From :func:`built_share` and :func:`index_means`, on the parcels' index.
    idle_status : Series, optional, keyword-only
        R4 status per parcel (on the parcels' index).
    n_buildings : Series, optional, keyword-only
        Buildings mapped on each parcel.
    raster, raster_date : keyword-only
        What the evidence was read from, and the image date (caveats when it predates the records).

    Returns
    -------
    GeoDataFrame
        ``parcel_id, zone_id, evidence, recorded, built_share, valid_share, ndvi_mean, ndbi_mean, threshold,
        basis, caveat, raster, raster_date, rule_id, source, note, as_of`` and the parcel geometry.
    """
    rows, geoms = [], []
    for idx, rec in parcels.iterrows():
        d = rec.to_dict()
        kind, says = _recorded(
            d,
            as_of=as_of,
            idle_status=None if idle_status is None else idle_status.get(idx),
            n_buildings=float(n_buildings.get(idx, 0)) if n_buildings is not None else 0.0,
        )
        if not kind:
            continue
        s = shares.loc[idx] if shares is not None else None
        ix = indices.loc[idx] if indices is not None else None
        found = _judge_one(kind, s, ix, rule)
        if found is None:
            continue
        evidence, threshold, basis = found
        rows.append(
            {
                "parcel_id": str(d.get("parcel_id") or idx),
                "zone_id": d.get("zone_id"),
                "evidence": evidence,
                "recorded": says,
                "built_share": None if s is None else float(s["built_share"]),
                "valid_share": None if s is None else float(s["valid_share"]),
                "ndvi_mean": None if ix is None else float(ix["ndvi_mean"]),
                "ndbi_mean": None if ix is None else float(ix["ndbi_mean"]),
                "threshold": threshold,
                "basis": basis,
                "caveat": _caveat(evidence, d, raster_date),
                "raster": raster,
                "raster_date": raster_date.isoformat() if raster_date else "",
                "rule_id": rule.rule_id,
                "source": rule.source,
                "note": "evidence for a field check, not a verdict",
                "as_of": as_of.isoformat(),
            }
        )
        geoms.append(rec.geometry)
    cols = [
        "parcel_id",
        "zone_id",
        "evidence",
        "recorded",
        "built_share",
        "valid_share",
        "ndvi_mean",
        "ndbi_mean",
        "threshold",
        "basis",
        "caveat",
        "raster",
        "raster_date",
        "rule_id",
        "source",
        "note",
        "as_of",
    ]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry=geoms, crs=parcels.crs)


def _judge_one(
    kind: str, s: pd.Series | None, ix: pd.Series | None, rule: RasterRule
) -> tuple[str, float, str] | None:
    if s is not None and not math.isnan(s["built_share"]) and s["valid_share"] >= rule.min_valid_share:
        if kind == "built" and s["built_share"] < rule.vacant_below:
            return "recorded_built_looks_vacant", rule.vacant_below, "land-cover built share below threshold"
        if kind == "unstarted" and s["built_share"] >= rule.built_at_least:
            return (
                "recorded_idle_looks_built",
                rule.built_at_least,
                "land-cover built share at or above threshold",
            )
        return None
    if ix is None:
        return None
    if kind == "built" and not math.isnan(ix["ndvi_mean"]) and ix["ndvi_mean"] > rule.ndvi_vacant_above:
        return "recorded_built_looks_vacant", rule.ndvi_vacant_above, "mean NDVI above threshold (vegetated)"
    if kind == "unstarted" and not math.isnan(ix["ndbi_mean"]) and ix["ndbi_mean"] > rule.ndbi_built_above:
        return "recorded_idle_looks_built", rule.ndbi_built_above, "mean NDBI above threshold (built-up)"
    return None


def _caveat(evidence: str, rec: dict[str, Any], raster_date: dt.date | None) -> str:
    if raster_date is None:
        return "the image date is unknown: it may predate or postdate the records"
    start, contract = _date(rec.get("actual_start")), _date(rec.get("contract_date"))
    if evidence == "recorded_built_looks_vacant" and start is not None and raster_date < start:
        return f"the image ({raster_date}) predates the recorded start ({start}): vacant then is expected"
    if evidence == "recorded_idle_looks_built" and contract is not None and raster_date < contract:
        return f"the image ({raster_date}) predates the contract ({contract}): it may show older buildings"
    return ""
