"""Is a layer labelled WGS 84 really GCJ-02 (or BD-09)? Measure its offset from a trusted reference.

Features of the layer are matched to the reference's (by a key field, else by overlap), the offsets of
their centroids are measured on the ellipsoid, and the median offset is compared with the shift each
web-map datum applies at that place (:func:`geo.datum.shift_m`). The answer is a warning with figures,
never an automatic fix: the user declares ``datum = "gcj02"`` for the layer to convert it on reading.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Geod

from geo.crs import choose_analysis_crs
from geo.datum import shift_m
from geo.errors import CRSError, ProfileError, SchemaError
from geo.profile import RuleProfile

__all__ = ["DatumCheck", "DatumCheckRule", "datum_offsets", "suspect_gcj02"]

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class DatumCheckRule:
    """Parameters of :func:`suspect_gcj02` (profile table ``[rules."QA.datum"]``)."""

    rule_id: str
    agree_m: float
    tolerance_share: float
    min_matched: int

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "QA.datum") -> DatumCheckRule:
        """Build the parameters from a profile; raise :class:`ProfileError` for missing or bad values."""
        p = profile.rule(rule_id)
        try:
            rule = cls(
                str(p.get("id", rule_id)), float(p["agree_m"]), float(p["tolerance_share"]), int(p["min_matched"])
            )
        except KeyError as exc:
            msg = f'profile {profile.origin}: [rules."{rule_id}"] lacks {exc.args[0]!r}'
            raise ProfileError(msg) from exc
        if rule.agree_m < 0 or not 0 < rule.tolerance_share < 1 or rule.min_matched < 1:
            msg = (
                f'profile {profile.origin}: [rules."{rule_id}"] needs agree_m ≥ 0, 0 < tolerance_share < 1 and '
                f"min_matched ≥ 1; got {rule.agree_m}, {rule.tolerance_share}, {rule.min_matched}"
            )
            raise ProfileError(msg)
        return rule


@dataclass(frozen=True)
class DatumCheck:
    """What :func:`suspect_gcj02` found: the measured offset and which datum explains it.

    ``finding`` is ``gcj02`` or ``bd09`` (the layer sits where that datum puts the reference: ``suspect``
    True), ``none`` (it agrees with the reference: False), ``unclear`` (an offset no datum explains: None)
    or ``cannot_decide`` (too few matched features: None). Offsets are layer − reference, medians over
    the matched features, in metres east and north.
    """

    layer: str
    reference: str
    method: str
    n_matched: int
    offset_east_m: float
    offset_north_m: float
    offset_m: float
    spread_m: float
    gcj02_east_m: float
    gcj02_north_m: float
    bd09_east_m: float
    bd09_north_m: float
    residual_none_m: float
    residual_gcj02_m: float
    residual_bd09_m: float
    finding: str
    suspect: bool | None
    message: str
    rule_id: str
    agree_m: float
    tolerance_share: float

    def to_json(self) -> dict[str, Any]:
        """Return the finding as a plain dict (NaN figures, when nothing matched, as None)."""
        return {k: None if isinstance(v, float) and np.isnan(v) else v for k, v in asdict(self).items()}


def _lonlat(gdf: gpd.GeoDataFrame, *, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        msg = f"{what} has no CRS; a datum check compares positions and needs one (set it with --crs-in)"
        raise CRSError(msg)
    return gdf if CRS.from_user_input(gdf.crs).to_epsg() == 4326 else gdf.to_crs(4326)


def _keys(gdf: gpd.GeoDataFrame, field: str, *, what: str) -> pd.Series:
    if field not in gdf.columns:
        cols = [c for c in gdf.columns if c != gdf.geometry.name]
        msg = f"{what} has no field {field!r} to match features by; its fields are {cols}"
        raise SchemaError(msg)
    keys = gdf[field].astype("string").str.strip()
    keys = keys.str.replace(r"\.0$", "", regex=True)  # 410102 read as a float
    return pd.Series(keys.to_numpy(), index=np.arange(len(gdf)))


def _pairs_by_field(a: pd.Series, b: pd.Series) -> pd.DataFrame:
    """Positions of features whose key occurs once in each layer (duplicated keys are left out)."""
    ua = a[a.notna() & ~a.duplicated(keep=False)]
    ub = b[b.notna() & ~b.duplicated(keep=False)]
    pos_b = pd.Series(ub.index, index=ub.to_numpy())
    hit = ua[ua.isin(pos_b.index)]
    return pd.DataFrame({"a": hit.index, "b": pos_b.loc[hit.to_numpy()].to_numpy(), "key": hit.to_numpy()})


def _pairs_by_overlap(a: NDArray[Any], b: NDArray[Any]) -> pd.DataFrame:
    """Each feature of ``a`` with the ``b`` feature it overlaps most, when that is ≥ half the smaller one."""
    ia, ib = shapely.STRtree(b).query(a, predicate="intersects")
    if not len(ia):
        return pd.DataFrame({"a": [], "b": [], "key": []})
    inter = shapely.area(shapely.intersection(a[ia], b[ib]))
    smaller = np.minimum(shapely.area(a[ia]), shapely.area(b[ib]))
    cand = pd.DataFrame({"a": ia, "b": ib, "share": inter / np.where(smaller > 0, smaller, np.inf)})
    best = cand.sort_values("share", ascending=False).drop_duplicates("a")
    best = best[best["share"] >= 0.5].sort_values("a")
    return pd.DataFrame({"a": best["a"].to_numpy(), "b": best["b"].to_numpy(), "key": best["a"].astype(str).to_numpy()})


def _match(
    lay: gpd.GeoDataFrame,
    ref: gpd.GeoDataFrame,
    metric: gpd.GeoSeries,
    ref_metric: gpd.GeoSeries,
    match_field: str | None,
    reference_field: str | None,
) -> tuple[pd.DataFrame, str]:
    if match_field is not None:
        rf = reference_field or match_field
        pairs = _pairs_by_field(_keys(lay, match_field, what="layer"), _keys(ref, rf, what="reference"))
        return pairs, f"matched by field {match_field}" + (f" = {rf}" if rf != match_field else "")
    best: tuple[pd.DataFrame, str] | None = None
    for col in [c for c in lay.columns if c in ref.columns and c not in (lay.geometry.name, ref.geometry.name)]:
        pairs = _pairs_by_field(_keys(lay, col, what="layer"), _keys(ref, col, what="reference"))
        if len(pairs) and (best is None or len(pairs) > len(best[0])):
            best = (pairs, f"matched by the common field {col}")
    if best is not None:
        return best
    pairs = _pairs_by_overlap(np.asarray(metric.values), np.asarray(ref_metric.values))
    return pairs, "matched by largest overlap (≥ half the smaller feature)"


def datum_offsets(
    gdf: gpd.GeoDataFrame,
    reference: gpd.GeoDataFrame,
    *,
    match_field: str | None = None,
    reference_field: str | None = None,
) -> gpd.GeoDataFrame:
    """Return the offset of each feature from its matching reference feature, beside the datums' shifts.

    Features are matched by ``match_field`` (``reference_field`` in the reference, default the same), else
    by the common field giving the most one-to-one matches, else by largest overlap. Centroids are taken
    in the reference's Gauss-Krüger zone (UTM outside China); the offset, layer − reference, is measured
    on the WGS 84 ellipsoid (pyproj.Geod) and split east/north by its azimuth.

    Returns
    -------
    GeoDataFrame
        One row per matched feature on the layer's index: ``key``, ``reference_index``, ``method``,
        ``offset_east_m``, ``offset_north_m``, ``offset_m``, the shifts ``gcj02_east_m``,
        ``gcj02_north_m``, ``bd09_east_m``, ``bd09_north_m`` at the reference centroid, and a line from
        the reference centroid to the layer's (EPSG:4326).
    """
    lay, ref = _lonlat(gdf, what="layer"), _lonlat(reference, what="reference")
    metric_crs = choose_analysis_crs(ref, what="reference").crs
    lay_m, ref_m = lay.geometry.to_crs(metric_crs), ref.geometry.to_crs(metric_crs)
    pairs, method = _match(lay, ref, lay_m, ref_m, match_field, reference_field)
    a, b = pairs["a"].to_numpy(dtype=int), pairs["b"].to_numpy(dtype=int)
    ca = gpd.GeoSeries(lay_m.iloc[a].centroid.values, crs=metric_crs).to_crs(4326)
    cb = gpd.GeoSeries(ref_m.iloc[b].centroid.values, crs=metric_crs).to_crs(4326)
    ax, ay, bx, by = ca.x.to_numpy(), ca.y.to_numpy(), cb.x.to_numpy(), cb.y.to_numpy()
    az, _, dist = _GEOD.inv(bx, by, ax, ay)
    az_r, d = np.radians(np.asarray(az)), np.asarray(dist)
    ge, gn = shift_m(bx, by, "gcj02")
    be, bn = shift_m(bx, by, "bd09")
    lines = shapely.linestrings(np.stack([np.column_stack([bx, by]), np.column_stack([ax, ay])], axis=1))
    out = gpd.GeoDataFrame(
        {
            "key": pairs["key"].astype(str).to_numpy(),
            "reference_index": ref.index[b],
            "method": method,
            "offset_east_m": d * np.sin(az_r),
            "offset_north_m": d * np.cos(az_r),
            "offset_m": d,
            "gcj02_east_m": ge,
            "gcj02_north_m": gn,
            "bd09_east_m": be,
            "bd09_north_m": bn,
        },
        geometry=lines,
        crs=4326,
        index=lay.index[a],
    )
    out.attrs["method"] = method
    return out


def suspect_gcj02(
    gdf: gpd.GeoDataFrame,
    reference: gpd.GeoDataFrame,
    *,
    rule: DatumCheckRule,
    match_field: str | None = None,
    reference_field: str | None = None,
    layer: str = "layer",
    reference_label: str = "reference",
) -> DatumCheck:
    """Tell whether a layer sits where GCJ-02 (or BD-09) would put a trusted reference: a warning, not a fix.

    The median offset of matched features (:func:`datum_offsets`) is compared with the shift each datum
    applies there (:func:`shift_m` at the reference centroids, median). The layer agrees with the reference
    when the offset is within ``rule.agree_m``; it is GCJ-02 (BD-09) when the offset differs from that
    datum's shift by at most ``rule.tolerance_share`` of the shift; else the offset is unexplained.

    Parameters
    ----------
    gdf : GeoDataFrame
        The suspect layer (usually labelled EPSG:4326), any CRS.
    reference : GeoDataFrame
        Trusted positions of the same features (Tianditu, CGCS2000 survey data), any CRS.
    rule : DatumCheckRule, keyword-only
        ``DatumCheckRule.from_profile(load_profile())``.
    match_field, reference_field : str, optional, keyword-only
        Key fields to match features (see :func:`datum_offsets`).
    layer, reference_label : str, keyword-only
        Names for the message.

    Returns
    -------
    DatumCheck
    """
    off = datum_offsets(gdf, reference, match_field=match_field, reference_field=reference_field)
    method = str(off.attrs["method"])
    med = {c: float(off[c].median()) if len(off) else float("nan") for c in off.columns if c.endswith("_m")}
    e, n = med["offset_east_m"], med["offset_north_m"]
    spread = (
        float(np.median(np.hypot(off["offset_east_m"] - e, off["offset_north_m"] - n))) if len(off) else float("nan")
    )
    res = {
        "none": float(np.hypot(e, n)),
        "gcj02": float(np.hypot(e - med["gcj02_east_m"], n - med["gcj02_north_m"])),
        "bd09": float(np.hypot(e - med["bd09_east_m"], n - med["bd09_north_m"])),
    }
    size = {
        "gcj02": np.hypot(med["gcj02_east_m"], med["gcj02_north_m"]),
        "bd09": np.hypot(med["bd09_east_m"], med["bd09_north_m"]),
    }
    if len(off) < rule.min_matched:
        finding, suspect = "cannot_decide", None
    elif res["none"] <= rule.agree_m:
        finding, suspect = "none", False
    else:
        fits = [k for k in ("gcj02", "bd09") if res[k] <= rule.tolerance_share * size[k]]
        finding, suspect = (min(fits, key=res.__getitem__), True) if fits else ("unclear", None)
    return DatumCheck(
        layer=layer,
        reference=reference_label,
        method=method,
        n_matched=len(off),
        offset_east_m=e,
        offset_north_m=n,
        offset_m=res["none"],
        spread_m=spread,
        gcj02_east_m=med["gcj02_east_m"],
        gcj02_north_m=med["gcj02_north_m"],
        bd09_east_m=med["bd09_east_m"],
        bd09_north_m=med["bd09_north_m"],
        residual_none_m=res["none"],
        residual_gcj02_m=res["gcj02"],
        residual_bd09_m=res["bd09"],
        finding=finding,
        suspect=suspect,
        rule_id=rule.rule_id,
        agree_m=rule.agree_m,
        tolerance_share=rule.tolerance_share,
        message=_check_message(finding, layer, reference_label, method, len(off), e, n, res, med, rule),
    )


def _check_message(
    finding: str,
    layer: str,
    ref: str,
    method: str,
    n: int,
    e: float,
    north: float,
    res: dict[str, float],
    med: dict[str, float],
    rule: DatumCheckRule,
) -> str:
    if finding == "cannot_decide":
        return (
            f"cannot decide, because only {n} features of {layer} matched {ref} ({method}); at least "
            f"{rule.min_matched} are needed ({rule.rule_id}). Give the key field with --match-field"
        )
    head = (
        f"{layer} lies {res['none']:.0f} m from {ref} (median offset {e:+.0f} m east, {north:+.0f} m north over "
        f"{n} features, {method}); here GCJ-02 shifts by {med['gcj02_east_m']:+.0f} m east, "
        f"{med['gcj02_north_m']:+.0f} m north (residual {res['gcj02']:.0f} m), BD-09 by "
        f"{med['bd09_east_m']:+.0f}/{med['bd09_north_m']:+.0f} m (residual {res['bd09']:.0f} m)"
    )
    tail = {
        "none": f": it agrees with the reference within {rule.agree_m:g} m — no datum shift",
        "gcj02": ": the layer is very likely GCJ-02 (AMap/Tencent) labelled as WGS 84. Nothing was changed; "
        'set `datum = "gcj02"` for this layer in the project file to convert it on reading',
        "bd09": ': the layer is very likely BD-09 (Baidu). Nothing was changed; set `datum = "bd09"` for '
        "this layer in the project file to convert it on reading",
        "unclear": ": the offset matches neither GCJ-02 nor BD-09 (within "
        f"{rule.tolerance_share:.0%} of their shift); check the layer's CRS and source with its provider",
    }[finding]
    reverse = float(np.hypot(e + med["gcj02_east_m"], north + med["gcj02_north_m"]))
    if finding == "unclear" and reverse <= rule.tolerance_share * float(
        np.hypot(med["gcj02_east_m"], med["gcj02_north_m"])
    ):
        tail += f"; the offset is minus the GCJ-02 shift (residual {reverse:.0f} m): the reference itself looks GCJ-02"
    return head + tail
