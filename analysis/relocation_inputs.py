"""Reading the layers of a relocation run (R7): where they are, and each read into the analysis CRS.

Context layers are read within a padding of the zones (see :func:`analysis.relocation_run.run_relocation`);
polygons are repaired (QA rows); candidate sites get ids and names from their fields; a land-use layer
gives water (its ``water`` group) and the industrial land inside the zones (jobs); features of the road
layer whose kind is not a road (railways …) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from analysis.relocation import RelocationRule
from analysis.relocation_sites import Constraints, water_from_landuse
from geo.crs import AnalysisCRS
from geo.errors import DataError
from geo.geometry import repair_polygons
from geo.io import find_field
from geo.kernel import area_by_class
from geo.landuse import landuse_table
from geo.layers import LayerSpec, load_near
from geo.network import RoadNetwork
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = [
    "ROAD_KIND_FIELDS",
    "SITE_ID_FIELDS",
    "SITE_NAME_FIELDS",
    "RelocationInputs",
    "constraint_layers",
    "facilities_layer",
    "landuse_layers",
    "polygons",
    "read",
    "road_lines",
    "road_network",
    "site_frame",
]


SITE_ID_FIELDS = ("site_id", "SITE_ID", "DKBH", "DKDM", "ID", "BSM", "CODE")
SITE_NAME_FIELDS = ("site_name", "SITE_NAME", "DKMC", "name", "NAME", "MC", "名称")


@dataclass(frozen=True)
class RelocationInputs:
    """Where the layers of a relocation run are; None when not given."""

    villages: LayerSpec
    sites: LayerSpec | None = None
    planning_area: LayerSpec | None = None
    farmland: LayerSpec | None = None
    redline: LayerSpec | None = None
    roads: LayerSpec | None = None
    facilities: LayerSpec | None = None
    landuse: LayerSpec | None = None
    dem: LayerSpec | None = None

    def labels(self) -> tuple[tuple[str, str], ...]:
        """Return (role, source) for every layer given."""
        return tuple((k, v.label) for k, v in self.__dict__.items() if v is not None)


def read(
    spec: LayerSpec, zones: gpd.GeoDataFrame, *, acrs: AnalysisCRS, qa: QALog, what: str, pad_m: float
) -> gpd.GeoDataFrame:
    """Read the features of a layer within ``pad_m`` of the zones' envelopes, in the analysis CRS."""
    return load_near(spec, zones, acrs, qa=qa, what=what, pad_m=pad_m)


def polygons(
    spec: LayerSpec | None, zones: gpd.GeoDataFrame, *, acrs: AnalysisCRS, qa: QALog, what: str, pad_m: float
) -> gpd.GeoDataFrame | None:
    """Read a polygon layer like :func:`read` and repair it (QA rows); None when not given."""
    if spec is None:
        return None
    raw = read(spec, zones, acrs=acrs, qa=qa, what=what, pad_m=pad_m)
    return repair_polygons(raw, layer=spec.label, qa=qa)


def site_frame(raw: gpd.GeoDataFrame, spec: LayerSpec, *, qa: QALog) -> gpd.GeoDataFrame:
    """Return candidate sites with ``site_id``, ``site_name``, ``origin``, indexed by id, polygons repaired.

    Raises
    ------
    SchemaError
        When the id field named in the spec is missing.
    DataError
        When site ids repeat.
    """
    cols = [c for c in raw.columns if c != raw.geometry.name]
    idf = (
        find_field(
            cols, spec.get("id_field"), SITE_ID_FIELDS, what="site id", option="--site-id", source=spec.label
        )
        if spec.get("id_field") or any(c.lower() in {f.lower() for f in SITE_ID_FIELDS} for c in cols)
        else None
    )
    nf = spec.get("name_field") if spec.get("name_field") in cols else None
    nf = nf or next((c for c in cols if c.lower() in {f.lower() for f in SITE_NAME_FIELDS}), None)
    polys = repair_polygons(raw, layer=spec.label, qa=qa)
    ids = (
        polys[idf].astype(str).str.strip() if idf else pd.Series([f"S{i}" for i in polys.index], polys.index)
    )
    if ids.duplicated().any():
        dup = sorted(set(ids[ids.duplicated()]))[:20]
        msg = f"{spec.label}: site ids in {idf!r} repeat: {dup}; make them unique"
        raise DataError(msg)
    out = gpd.GeoDataFrame(
        {
            "site_id": ids.to_numpy(),
            "site_name": (polys[nf].astype(str) if nf else ids).to_numpy(),
            "origin": f"given ({spec.label})",
        },
        geometry=polys.geometry.to_numpy(),
        crs=polys.crs,
    )
    out.index = pd.Index(out["site_id"].to_numpy(), name="site")
    return out


def landuse_layers(
    spec: LayerSpec,
    zones: gpd.GeoDataFrame,
    *,
    acrs: AnalysisCRS,
    qa: QALog,
    profile: RuleProfile,
    pad_m: float,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str]:
    """Return (water polygons, industrial land inside the zones, code field) from a land-use layer."""
    lu = polygons(spec, zones, acrs=acrs, qa=qa, what="land-use layer", pad_m=pad_m)
    assert lu is not None
    cols = [c for c in lu.columns if c != lu.geometry.name]
    code_field, table = landuse_table(cols, source=spec.label, code_field=spec.get("code_field"),
                                      scheme=spec.get("scheme"), codes=profile.codes, qa=qa)
    water = water_from_landuse(lu, table=table, code_field=code_field)
    ind = lu[lu[code_field].map(lambda v: bool(getattr(table.classify(v), "industrial", False)))]
    ind = gpd.GeoDataFrame({"k": ["industrial"] * len(ind)}, geometry=ind.geometry.to_numpy(), crs=lu.crs)
    pieces = area_by_class(zones.geometry, ind, class_column="k").pieces if len(ind) else None
    return water, (pieces if pieces is not None else ind.iloc[:0]), code_field


ROAD_KIND_FIELDS = ("KIND", "kind", "TYPE", "type", "fclass", "DLLX")


def road_lines(
    roads: gpd.GeoDataFrame, spec: LayerSpec, *, rule: RelocationRule, qa: QALog
) -> gpd.GeoDataFrame:
    """Drop features whose kind is not a road (railways …: ``road_exclude_kinds``), with a QA row."""
    field = spec.get("kind_field") or next((f for f in ROAD_KIND_FIELDS if f in roads.columns), None)
    if field is None or not rule.road_exclude_kinds:
        return roads
    drop = roads[field].astype(str).str.strip().str.lower().isin(rule.road_exclude_kinds)
    if drop.any():
        kinds = sorted(set(roads.loc[drop, field].astype(str)))
        qa.add(
            "road_kind",
            f"{int(drop.sum())} feature(s) with {field} in {kinds} are not roads; left out of the network",
            layer=spec.label,
            field=field,
            action="excluded",
        )
    return roads[~drop]


def road_network(
    spec: LayerSpec | None,
    zones: gpd.GeoDataFrame,
    *,
    acrs: AnalysisCRS,
    qa: QALog,
    rule: RelocationRule,
    pad_m: float,
) -> RoadNetwork | None:
    """Build the road network: rail and the like left out, undershoots joined, islands dropped (profile)."""
    if spec is None:
        return None
    roads = road_lines(
        read(spec, zones, acrs=acrs, qa=qa, what="road layer", pad_m=pad_m), spec, rule=rule, qa=qa
    )
    network = RoadNetwork.from_lines(roads, noding=rule.noding, join_m=rule.road_join_m)
    if rule.road_keep == "largest":
        network, dropped = network.largest_part()
        if dropped:
            qa.add(
                "road_islands",
                f"{dropped} road segment(s) not connected to the main road network are left out "
                "(road_keep = 'largest'); points near them snap to the main network",
                layer=spec.label,
                action="excluded",
            )
    return network


def facilities_layer(
    spec: LayerSpec | None,
    zones: gpd.GeoDataFrame,
    *,
    acrs: AnalysisCRS,
    qa: QALog,
    rule: RelocationRule,
    pad_m: float,
) -> gpd.GeoDataFrame | None:
    """Read the facilities with their kinds (:func:`analysis.relocation_quality.facility_table`)."""
    from analysis.relocation_quality import facility_table

    if spec is None:
        return None
    raw = read(spec, zones, acrs=acrs, qa=qa, what="facility layer", pad_m=pad_m)
    return facility_table(
        raw,
        rule=rule,
        layer=spec.label,
        qa=qa,
        kind_field=spec.get("kind_field") or spec.get("type_field"),
        name_field=spec.get("name_field"),
    )


def constraint_layers(
    inputs: RelocationInputs,
    zones: gpd.GeoDataFrame,
    water: gpd.GeoDataFrame | None,
    *,
    acrs: AnalysisCRS,
    qa: QALog,
    pad_m: float,
) -> Constraints:
    """Read the planning area, 永久基本农田 and 生态保护红线 into the layers sites are judged against."""

    def read_polygons(spec: LayerSpec | None, what: str) -> gpd.GeoDataFrame | None:
        return polygons(spec, zones, acrs=acrs, qa=qa, what=what, pad_m=pad_m)

    return Constraints(
        zones=zones,
        planning_area=read_polygons(inputs.planning_area, "planning area"),
        farmland=read_polygons(inputs.farmland, "永久基本农田 layer"),
        redline=read_polygons(inputs.redline, "生态保护红线 layer"),
        water=water,
        labels=inputs.labels(),
    )
