"""Layer specifications and loading in the analysis CRS.

A :class:`LayerSpec` says where a layer is (path, layer name, encoding, a CRS to assign when the file has
none) and which of its fields play which role; the CLI options and the project file both build specs.
:func:`load_zones` reads the zones and fixes the analysis CRS; :func:`load_near` reads another layer,
only what lies near the zones (a spatial filter in the file's own CRS), and brings it into the analysis
CRS, logging every transformation in the QA log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
from pyproj import CRS

from geo.crs import AnalysisCRS, choose_analysis_crs, crs_label, require_crs, suggest_crs
from geo.datum import to_datum_mask, to_wgs84_on_read
from geo.errors import CRSError
from geo.io import inspect_layer, mask_in_crs, read_layer
from geo.qa import QALog
from geo.zones import prepare_zones

__all__ = ["LayerSpec", "load_near", "load_zones", "read_spec"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LayerSpec:
    """Where a layer is and how to read it.

    Attributes
    ----------
    path : Path
    layer : str or None
    encoding : str or None
        Attribute encoding (Shapefiles); detected when None.
    crs : str or None
        CRS to assign when the file declares none (never a transformation).
    options : dict
        Role-specific settings (``id_field``, ``code_field``, ``scheme``, ``fields`` …); ``datum``
        (``"gcj02"``/``"bd09"``) converts a web-map layer to WGS 84 on reading (:mod:`geo.datum`).
    """

    path: Path
    layer: str | None = None
    encoding: str | None = None
    crs: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Return ``path`` or ``path:layer`` for messages."""
        return f"{self.path}:{self.layer}" if self.layer else str(self.path)

    def get(self, key: str, default: Any = None) -> Any:
        """Return a role-specific option."""
        return self.options.get(key, default)


def read_spec(spec: LayerSpec, *, qa: QALog, what: str, columns: list[str] | None = None) -> gpd.GeoDataFrame:
    """Read a whole layer as its spec describes it, converted from its declared ``datum`` to WGS 84.

    Parameters
    ----------
    spec : LayerSpec
        Path, layer, encoding, CRS to assign, and the option ``datum`` (``"gcj02"``/``"bd09"``/``"wgs84"``).
    qa : QALog, keyword-only
        Receives the datum row (:func:`geo.datum.to_wgs84_on_read`) when a shift is applied.
    what : str, keyword-only
        What the layer is, for messages (e.g. ``"supply layer"``).
    columns : list of str, optional, keyword-only
        Attribute columns to read (all when None).

    Returns
    -------
    GeoDataFrame
        In the file's CRS, or EPSG:4326 when a web-map datum was undone.
    """
    raw = read_layer(
        spec.path, spec.layer, encoding=spec.encoding, crs=spec.crs, columns=columns, what=f"{what} {spec.label}"
    )
    return to_wgs84_on_read(raw, spec.get("datum"), layer=spec.label, qa=qa)


def load_zones(
    spec: LayerSpec, *, crs: Any = None, qa: QALog, id_field: str | None = None, name_field: str | None = None
) -> tuple[gpd.GeoDataFrame, AnalysisCRS]:
    """Read and prepare the zone layer; choose the analysis CRS and bring the zones into it."""
    raw = read_spec(spec, qa=qa, what="zone layer")
    require_crs(raw, what=f"zone layer {spec.label}")
    acrs = choose_analysis_crs(raw, crs=crs, what=f"zone layer {spec.label}")
    qa.add(
        "analysis_crs",
        f"areas are measured in {acrs.label}: {acrs.reason}",
        layer=spec.label,
        severity="info",
    )
    if not raw.crs.equals(acrs.crs):
        qa.add(
            "transform",
            f"transformed from {crs_label(raw.crs)} to {acrs.label}",
            layer=spec.label,
            severity="info",
            action="transformed",
        )
        raw = raw.to_crs(acrs.crs)
    zones = prepare_zones(
        raw,
        id_field=id_field or spec.get("id_field"),
        name_field=name_field or spec.get("name_field"),
        layer=spec.label,
        qa=qa,
    )
    return zones, acrs


def load_near(
    spec: LayerSpec,
    zones: gpd.GeoDataFrame,
    acrs: AnalysisCRS,
    *,
    qa: QALog,
    what: str,
    pad_m: float = 50.0,
    columns: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read only the features of a layer that can touch the zones, in the analysis CRS.

    The filter is each zone's envelope padded by ``pad_m`` metres, expressed in the file's own CRS; the
    exact geometry work happens later, so the filter never changes a result, only what is read.
    """
    info = inspect_layer(spec.path, spec.layer, encoding=spec.encoding)
    src_crs = info.crs or (CRS.from_user_input(spec.crs) if spec.crs else None)
    if src_crs is None:
        hint = suggest_crs(info.bounds) if info.bounds else "unknown"
        msg = (
            f"{what} {spec.label} has no coordinate reference system (no .prj or CRS in the file). From its "
            f"coordinates it is likely {hint}; set it with `crs =` in the project file or --crs-in"
        )
        raise CRSError(msg)
    mask = to_datum_mask(mask_in_crs(zones.geometry.values, zones.crs, src_crs, pad_m=pad_m), spec.get("datum"))
    gdf = read_layer(
        spec.path,
        info.layer,
        encoding=info.encoding,
        mask=mask,
        crs=spec.crs,
        columns=columns,
        what=f"{what} {spec.label}",
    )
    if info.encoding and info.encoding.upper() != "UTF-8":
        qa.add("encoding", f"attribute text decoded as {info.encoding}", layer=spec.label, severity="info")
    if info.count is not None:
        qa.add(
            "read",
            f"read {len(gdf)} of {info.count} features (only those near the zones)",
            layer=spec.label,
            severity="info",
        )
    for fid in gdf.attrs.get("fixed_on_read", []):
        qa.add(
            "invalid_geometry",
            "geometry could not be parsed as stored (e.g. a ring of 2 points); fixed by shapely on reading",
            layer=spec.label,
            feature=fid,
            action="repaired",
        )
    gdf = to_wgs84_on_read(gdf, spec.get("datum"), layer=spec.label, qa=qa)
    own = require_crs(gdf, what=f"{what} {spec.label}")
    if not own.equals(acrs.crs):
        qa.add(
            "transform",
            f"transformed from {crs_label(own)} to the analysis CRS {acrs.label}",
            layer=spec.label,
            severity="info",
            action="transformed",
        )
        gdf = gdf.to_crs(acrs.crs)
    return gdf
