"""Raster evidence as a job: supply parcels against a land-cover raster and imagery (evidence, not verdicts).

:func:`run_evidence` reads the supply records, measures each parcel's built-up share (land cover) and
mean NDVI/NDBI (imagery) by exact coverage (:mod:`analysis.raster_evidence`), and lists the parcels whose
records and rasters disagree. Outputs: the sheets 遥感证据 (the evidence rows) and 遥感统计 (every parcel's
figures), the GeoPackage layer ``raster_evidence`` and a web-map layer.

Raster options in the project file (``[rasters.landcover]``, ``[rasters.imagery]``): ``path``,
``built_classes`` (replaces the profile's), ``date`` (the image date, YYYY-MM-DD: caveats when it predates
the records), ``band``, and ``assign_crs`` to read a raster in another CRS than it declares (a known
mislabel; reported).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd

from analysis.raster_evidence import RasterRule, built_share, compare_grids, evidence_rows, index_means
from analysis.report import Outputs
from analysis.supply import read_supply, zone_of
from geo.buildings import measure_buildings
from geo.crs import AnalysisCRS
from geo.errors import ProfileError
from geo.layers import LayerSpec
from geo.maps import add_layer, add_legend
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = ["EVIDENCE_ZH", "EvidenceRun", "run_evidence"]

log = logging.getLogger(__name__)

EVIDENCE_ZH = {
    "recorded_built_looks_vacant": "记载已建而影像显示空地",
    "recorded_idle_looks_built": "记载未动工而影像显示已建",
}
_COLOURS = {"recorded_built_looks_vacant": "#e6ab02", "recorded_idle_looks_built": "#7570b3"}


def _date(spec: LayerSpec | None) -> dt.date | None:
    raw = spec.get("date") if spec is not None else None
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError as exc:
        msg = f"raster {spec.label}: date {raw!r} is not YYYY-MM-DD"  # type: ignore[union-attr]
        raise ProfileError(msg) from exc


@dataclass
class EvidenceRun:
    """Everything one raster-evidence run produced."""

    parcels: gpd.GeoDataFrame
    stats: pd.DataFrame
    evidence: gpd.GeoDataFrame
    rule: RasterRule
    as_of: dt.date
    notes: list[str] = field(default_factory=list)

    def outputs(self) -> Outputs:
        """Return the sheets, the GeoPackage layer and the map layer."""
        ev = pd.DataFrame(self.evidence.drop(columns="geometry"))
        ev.insert(3, "evidence_zh", ev["evidence"].map(EVIDENCE_ZH))
        out = Outputs(sheets={"遥感证据": ev, "遥感统计": self.stats})
        located = self.evidence[self.evidence.geometry.notna()].reset_index(drop=True)
        out.layers["raster_evidence"] = located.assign(evidence_zh=located["evidence"].map(EVIDENCE_ZH))
        out.map_layers.append(lambda m, g=out.layers["raster_evidence"]: self._add_map(m, g))
        return out

    def _add_map(self, m: folium.Map, gdf: gpd.GeoDataFrame) -> None:
        if len(gdf) == 0:
            return
        add_layer(
            m,
            gdf.assign(_style_key=gdf["evidence"]),
            name="遥感证据（待实地核查）",
            show=False,
            style=lambda p: {
                "color": _COLOURS.get(p.get("_style_key", ""), "#333"),
                "weight": 3,
                "fillOpacity": 0.3,
                "fillColor": _COLOURS.get(p.get("_style_key", ""), "#333"),
            },
            fields={
                "parcel_id": "宗地编号",
                "evidence_zh": "证据",
                "recorded": "记载",
                "built_share": "建成比例",
                "ndvi_mean": "NDVI",
                "caveat": "注意",
                "note": "说明",
                "as_of": "判定日期",
            },
        )
        add_legend(m, "遥感证据（非认定结论）", {EVIDENCE_ZH[k]: c for k, c in _COLOURS.items()})


def _statistics(
    parcels: gpd.GeoDataFrame,
    landcover: LayerSpec | None,
    imagery: LayerSpec | None,
    rule: RasterRule,
    qa: QALog,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    shares = indices = None
    if landcover is not None:
        classes = tuple(float(c) for c in landcover.get("built_classes", rule.built_classes))
        shares = built_share(
            parcels,
            landcover.path,
            built_classes=classes,
            band=int(landcover.get("band", 1)),
            assign_crs=landcover.get("assign_crs"),
            layer="supply parcels",
            qa=qa,
        )
    if imagery is not None:
        swir = imagery.get("swir_band", rule.swir_band)
        indices = index_means(
            parcels,
            imagery.path,
            red_band=int(imagery.get("red_band", rule.red_band)),
            nir_band=int(imagery.get("nir_band", rule.nir_band)),
            swir_band=int(swir) if swir else None,
            assign_crs=imagery.get("assign_crs"),
            layer="supply parcels",
            qa=qa,
        )
    return shares, indices


def run_evidence(
    supply: LayerSpec | gpd.GeoDataFrame,
    *,
    profile: RuleProfile,
    qa: QALog,
    as_of: dt.date,
    landcover: LayerSpec | None = None,
    imagery: LayerSpec | None = None,
    zones: gpd.GeoDataFrame | None = None,
    analysis_crs: AnalysisCRS | None = None,
    idle_status: pd.Series | None = None,
    buildings: gpd.GeoDataFrame | None = None,
) -> EvidenceRun:
    """Measure the parcels on the rasters and list where records and rasters disagree.

    Raises
    ------
    ProfileError
        When neither a land-cover raster nor imagery is given.
    """
    if landcover is None and imagery is None:
        msg = "raster evidence needs [rasters.landcover] or [rasters.imagery] in the project file"
        raise ProfileError(msg)
    rule = RasterRule.from_profile(profile)
    records = (
        read_supply(supply, qa=qa, zones=zones, analysis_crs=analysis_crs)
        if isinstance(supply, LayerSpec)
        else supply.copy()
    )
    if zones is not None and "zone_id" not in records.columns:
        records["zone_id"] = zone_of(records, zones)
    notes = []
    if landcover is not None and imagery is not None:
        warn = compare_grids(landcover.path, imagery.path)
        if warn:
            notes.append(warn)
            qa.add("raster_grid", warn, layer=str(Path(imagery.path).name), severity="warning")
    shares, indices = _statistics(records, landcover, imagery, rule, qa)
    n_b = (
        measure_buildings(records.geometry[records.geometry.notna()], buildings)["n_buildings"]
        if buildings is not None
        else None
    )
    main = landcover if landcover is not None else imagery
    assert main is not None  # checked above
    ev = evidence_rows(
        records,
        rule=rule,
        as_of=as_of,
        shares=shares,
        indices=indices,
        idle_status=idle_status,
        n_buildings=n_b,
        raster=str(main.path.name),
        raster_date=_date(main),
    )
    stats = pd.DataFrame({"parcel_id": records["parcel_id"], "zone_id": records.get("zone_id")})
    for part in (shares, indices):
        if part is not None:
            stats = stats.join(part)
    stats["as_of"] = as_of.isoformat()
    log.info("raster evidence: %d parcels measured, %d evidence rows", len(stats), len(ev))
    return EvidenceRun(
        parcels=records, stats=stats.reset_index(drop=True), evidence=ev, rule=rule, as_of=as_of, notes=notes
    )
