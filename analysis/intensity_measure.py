"""The TD/T 1029 indicators of each zone, measured from the layers a project has (see analysis.intensity).

Areas come from the kernel (:func:`geo.kernel.area_by_class`, through :func:`geo.landuse.measure_landuse`
and :func:`geo.buildings.measure_buildings`); every indicator says "cannot decide, because …" when one of
its inputs is missing, names its basis, and marks a lower bound as such.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.buildings import measure_buildings
from geo.kernel import area_by_class
from geo.landuse import LanduseAreas

__all__ = ["INDICATORS", "Indicator", "measure_intensity"]

#: Indicator → (Chinese label, unit, higher is better).
INDICATORS: dict[str, tuple[str, str, bool]] = {
    "land_development_rate": ("土地开发率", "share", True),
    "land_supply_rate": ("土地供应率", "share", True),
    "built_up_rate": ("土地建成率", "share", True),
    "industrial_land_rate": ("工业用地率", "share", True),
    "composite_far": ("综合容积率", "ratio", True),
    "building_density": ("建筑密度", "share", True),
    "industrial_far": ("工业用地综合容积率", "ratio", True),
    "industrial_building_coefficient": ("工业用地建筑系数", "share", True),
    "investment_wan_per_ha": ("工业用地固定资产投入强度", "万元/公顷", True),
    "tax_wan_per_ha": ("工业用地地均税收", "万元/公顷", True),
    "idle_rate": ("闲置土地率", "share", False),
}


@dataclass(frozen=True)
class Indicator:
    """One indicator of one zone."""

    name: str
    value: float | None
    numerator: float | None
    denominator: float | None
    unit: str
    lower_bound: bool
    reason: str
    #: When the value is not known exactly: the interval it lies in (``high`` None: unbounded above).
    low: float | None = None
    high: float | None = None


def _ind(
    name: str,
    num: float | None,
    den: float | None,
    *,
    basis: str,
    missing: str = "",
    lower_bound: bool = False,
    scale: float = 1.0,
) -> Indicator:
    unit = INDICATORS[name][1]
    if num is None or den is None:
        return Indicator(name, None, num, den, unit, False, f"cannot decide, because {missing}")
    if den <= 0:
        return Indicator(
            name, None, num, den, unit, False, f"cannot decide, because the denominator is 0 ({basis})"
        )
    value = num / den * scale
    shown = f"{value:.2%}" if unit == "share" else f"{value:,.4g} {'' if unit == 'ratio' else unit}".rstrip()
    return Indicator(
        name,
        value,
        num,
        den,
        unit,
        lower_bound,
        ("at least " if lower_bound else "") + f"{shown} = {basis}",
        low=value if lower_bound else None,
    )


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _landuse_facts(landuse: LanduseAreas, zones: gpd.GeoDataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return per zone ind/con/housing areas (m²) and the union of industrial / construction pieces."""
    bd = landuse.breakdown
    rows = {}
    for zid in zones.index:
        z = bd[bd["zone"] == zid]
        ind = float(z.loc[z["category"] == "industrial", "area_m2"].sum())
        con = ind + float(z.loc[z["category"] == "other_construction", "area_m2"].sum())
        housing = float(z.loc[(z["group"] == "residential") & z["construction"], "area_m2"].sum())
        rows[zid] = {"industrial_m2": ind, "construction_m2": con, "housing_m2": housing}
    facts = pd.DataFrame.from_dict(rows, orient="index")
    geoms: dict[str, Any] = {"industrial": {}, "construction": {}}
    pieces = landuse.kernel.pieces
    if pieces is not None and len(pieces):
        cat = pieces["class"].map(bd.drop_duplicates("code").set_index("code")["category"])
        for kind, cats in (
            ("industrial", ("industrial",)),
            ("construction", ("industrial", "other_construction")),
        ):
            sel = pieces[cat.isin(cats).to_numpy()]
            for zid, grp in sel.groupby("zone"):
                geoms[kind][zid] = shapely.union_all(grp.geometry.values)
    return facts, geoms


def _series(geoms: Mapping[Any, Any], zones: gpd.GeoDataFrame) -> gpd.GeoSeries:
    keys = [z for z in zones.index if z in geoms and not geoms[z].is_empty]
    return gpd.GeoSeries([geoms[z] for z in keys], index=keys, crs=zones.crs)


def _supplied_union(zones: gpd.GeoDataFrame, supply: gpd.GeoDataFrame) -> gpd.GeoSeries:
    located = supply[supply.geometry.notna() & ~supply.geometry.is_empty]
    union = (
        shapely.union_all(shapely.make_valid(located.geometry.values)) if len(located) else shapely.Polygon()
    )
    inter = [shapely.intersection(g, union) for g in zones.geometry.values]
    return gpd.GeoSeries(inter, index=zones.index, crs=zones.crs)


def _enterprise_sums(
    enterprises: pd.DataFrame | None, zid: str, column: str
) -> tuple[float | None, int, int]:
    if enterprises is None or column not in enterprises.columns:
        return None, 0, 0
    e = enterprises[enterprises["zone_id"].astype(object) == zid]
    vals = pd.to_numeric(e[column], errors="coerce")
    known = int(vals.notna().sum())
    return (float(vals.sum()) if known else None), known, len(e) - known


def _supply_indicators(
    zid: str, zone_area: float, rates: Any, built_in_supplied: float | None, con_known: bool
) -> list[Indicator]:
    if rates is None:
        why = "no supply records (project file [layers.supply] with [layers.approved])"
        return [
            _ind(n, None, None, basis="", missing=why)
            for n in ("land_development_rate", "land_supply_rate", "built_up_rate", "idle_rate")
        ]
    appr, sup, both = (
        _get(rates, k) for k in ("approved_area_m2", "supplied_area_m2", "supplied_on_approved_m2")
    )
    dev = None if appr is None else appr + sup - (both or 0.0)
    no_appr = "no approved-land layer ([layers.approved]): land meeting supply conditions is unknown"
    out = [
        _ind(
            "land_development_rate",
            dev,
            zone_area,
            missing=no_appr,
            basis=f"(approved ∪ supplied) {dev or 0:,.0f} m² ÷ zone {zone_area:,.0f} m² "
            "(approved or supplied land stands for 已达到供地条件的土地)",
        ),
        _ind(
            "land_supply_rate",
            sup,
            dev,
            missing=no_appr,
            basis=f"supplied {sup:,.0f} m² ÷ (approved ∪ supplied) {dev or 0:,.0f} m²",
        ),
        _ind(
            "built_up_rate",
            built_in_supplied,
            sup,
            missing="no land-use layer to tell built land inside the supplied parcels"
            if not con_known
            else "the supplied parcels have no map polygons",
            basis=f"construction land inside supplied parcels {built_in_supplied or 0:,.0f} m² ÷ supplied "
            f"{sup:,.0f} m² (建设用地 for 已建成城镇建设用地)",
        ),
    ]
    idle = _get(rates, "idle_rate")
    idle_area = _get(rates, "idle_area_m2")
    ind = _ind(
        "idle_rate",
        idle_area if idle is not None else None,
        sup if idle is not None else None,
        missing=str(_get(rates, "idle_reason") or "the idle statuses are undecided").removeprefix(
            "cannot decide, because "
        ),
        basis=f"idle {idle_area or 0:,.0f} m² ÷ supplied {sup:,.0f} m² (R4 statuses)",
    )
    low, high = _get(rates, "idle_rate_low"), _get(rates, "idle_rate_high")
    if ind.value is None and low is not None and high is not None:
        ind = replace(ind, low=float(low), high=float(high))
    out.append(ind)
    return out


def _landuse_indicators(f: pd.Series | None, b: pd.Series | None, bi: pd.Series | None) -> list[Indicator]:
    no_lu = "no land-use layer ([layers.landuse])"
    no_b = "no buildings layer ([layers.buildings])"
    ind, con = (None, None) if f is None else (f["industrial_m2"], f["construction_m2"])
    out = [
        _ind(
            "industrial_land_rate",
            ind,
            con,
            missing=no_lu,
            basis=f"工矿仓储 {ind or 0:,.0f} m² ÷ construction land {con or 0:,.0f} m²",
        )
    ]
    if b is None or f is None:
        why = no_b if f is not None else no_lu
        return out + [
            _ind(n, None, None, basis="", missing=why)
            for n in (
                "composite_far",
                "building_density",
                "industrial_far",
                "industrial_building_coefficient",
            )
        ]
    lb = b["unknown_storey_footprint_m2"] > 0
    out.append(
        _ind(
            "composite_far",
            b["floor_area_low_m2"],
            con,
            lower_bound=bool(lb),
            basis=f"floor area {b['floor_area_low_m2']:,.0f} m² ÷ construction land {con:,.0f} m²"
            + (" (storeys unknown for part of the footprint)" if lb else ""),
        )
    )
    fp = b["footprint_building_m2"] + b["footprint_structure_m2"]
    out.append(
        _ind("building_density", fp, con, basis=f"footprint {fp:,.0f} m² ÷ construction land {con:,.0f} m²")
    )
    bi = bi if bi is not None else pd.Series(0.0, index=b.index)
    lbi = bi["unknown_storey_footprint_m2"] > 0
    out.append(
        _ind(
            "industrial_far",
            bi["floor_area_low_m2"],
            ind,
            lower_bound=bool(lbi),
            basis=f"floor area on 工矿仓储 {bi['floor_area_low_m2']:,.0f} m² ÷ 工矿仓储 {ind:,.0f} m²"
            + (" (storeys unknown for part of the footprint)" if lbi else ""),
        )
    )
    out.append(
        _ind(
            "industrial_building_coefficient",
            bi["footprint_total_m2"],
            ind,
            basis=f"buildings, structures and yards on 工矿仓储 {bi['footprint_total_m2']:,.0f} m² ÷ "
            f"工矿仓储 {ind:,.0f} m²",
        )
    )
    return out


def _money_indicators(
    zid: str, ind: float | None, enterprises: pd.DataFrame | None, supply: gpd.GeoDataFrame | None
) -> list[Indicator]:
    out = []
    no_ind = "no land-use layer to measure 工矿仓储 land"
    for name, col, what in (
        ("investment_wan_per_ha", "fixed_assets_yuan", "fixed assets"),
        ("tax_wan_per_ha", "tax_yuan", "tax"),
    ):
        total, known, missing = _enterprise_sums(enterprises, zid, col)
        basis = f"enterprise {what} {total or 0:,.0f} 元 over {known} enterprise(s)"
        if total is None and name == "investment_wan_per_ha" and supply is not None and "zone_id" in supply:
            s = supply[(supply["zone_id"].astype(object) == zid)]
            code2 = s["industry_code"].astype(str).str.extract(r"(\d{2})")[0].astype(float)
            vals = pd.to_numeric(
                s.loc[code2.between(13, 43).to_numpy(), "total_investment_yuan"], errors="coerce"
            )
            if vals.notna().any():
                total, known, missing = float(vals.sum()), int(vals.notna().sum()), int(vals.isna().sum())
                basis = (
                    f"supply records' total investment of manufacturing parcels {total:,.0f} 元 "
                    f"({known} parcels)"
                )
        why = (
            no_ind
            if ind is None
            else (
                f"no enterprise {what} figures for this zone"
                if enterprises is not None
                else "no enterprise table ([layers.enterprises])"
            )
        )
        extra = f"; {missing} without a figure (a lower bound)" if missing else ""
        out.append(
            _ind(
                name,
                total,
                ind,
                missing=why,
                lower_bound=missing > 0,
                basis=f"{basis} ÷ 工矿仓储 {(ind or 0) / 1e4:,.2f} 公顷{extra}",
            )
        )
    return out


def measure_intensity(
    zones: gpd.GeoDataFrame,
    *,
    landuse: LanduseAreas | None = None,
    supply_rates: Sequence[Any] | None = None,
    supply: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    enterprises: pd.DataFrame | None = None,
) -> tuple[dict[str, list[Indicator]], pd.DataFrame]:
    """Compute the TD/T 1029 indicators of each zone from the layers that are present.

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones (index = zone id) in the analysis CRS.
    landuse : LanduseAreas, optional, keyword-only
        The land survey measured in the zones (with pieces).
    supply_rates : sequence, optional, keyword-only
        Per-zone supply figures (:class:`analysis.unsupplied.ZoneSupply` or mappings with ``zone_id``,
        ``approved_area_m2``, ``supplied_area_m2``, ``supplied_on_approved_m2``, ``idle_area_m2``,
        ``idle_rate``, ``idle_reason``).
    supply : GeoDataFrame, optional, keyword-only
        Supply parcels (for built land inside them, and investment when there are no enterprise figures);
        ``zone_id`` column used when present.
    buildings : GeoDataFrame, optional, keyword-only
        From :func:`geo.buildings.prepare_buildings`.
    enterprises : DataFrame, optional, keyword-only
        Enterprise records with ``zone_id``, ``tax_yuan``, ``fixed_assets_yuan``.

    Returns
    -------
    (indicators, facts)
        Indicators by zone id, and per zone ``industrial_m2``, ``construction_m2``, ``housing_m2``
        (NaN without land use).
    """
    facts, geoms = _landuse_facts(landuse, zones) if landuse is not None else (None, None)
    b_zone = b_ind = None
    if buildings is not None and facts is not None and geoms is not None:
        b_zone = measure_buildings(zones.geometry, buildings)
        b_ind = measure_buildings(_series(geoms["industrial"], zones), buildings)
    built_in_sup: dict[str, float] = {}
    if supply is not None and geoms is not None and geoms["construction"]:
        con = _series(geoms["construction"], zones)
        work = gpd.GeoDataFrame({"c": ["construction"] * len(con)}, geometry=con.values, crs=zones.crs)
        sup = _supplied_union(zones, supply)
        sup = sup[~sup.is_empty]
        res = area_by_class(sup, work, class_column="c", keep_pieces=False) if len(sup) else None
        built_in_sup = {z: res.area(z) for z in sup.index} if res is not None else {}
    rates = {str(_get(r, "zone_id")): r for r in (supply_rates or [])}
    out: dict[str, list[Indicator]] = {}
    for zid, z in zones.iterrows():
        f = facts.loc[zid] if facts is not None else None
        zone_area = float(z.geometry.area)
        built = built_in_sup.get(zid, 0.0 if facts is not None and supply is not None else None)
        inds = _supply_indicators(str(zid), zone_area, rates.get(str(zid)), built, facts is not None)
        inds += _landuse_indicators(
            f,
            b_zone.loc[zid] if b_zone is not None else None,
            b_ind.loc[zid] if b_ind is not None and zid in b_ind.index else None,
        )
        inds += _money_indicators(
            str(zid), None if f is None else float(f["industrial_m2"]), enterprises, supply
        )
        out[str(zid)] = sorted(inds, key=lambda i: list(INDICATORS).index(i.name))
    if facts is None:
        facts = pd.DataFrame(
            np.nan, index=zones.index, columns=["industrial_m2", "construction_m2", "housing_m2"]
        )
    facts.index = facts.index.astype(str)
    return out, facts
