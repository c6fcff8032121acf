"""Read a land-use layer near the zones and measure it with the kernel, the same way for every job.

:func:`measure_spec` is what the R3 (conflicts) and proposal jobs use: read only what lies near the zones,
find the code field, choose the code scheme (stated in a QA row when guessed), and measure with
:func:`geo.landuse.measure_landuse` using the R1 overlap precedence of the profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from geo.codes import CodeTable
from geo.crs import AnalysisCRS
from geo.landuse import LanduseAreas, landuse_table, measure_landuse
from geo.layers import LayerSpec, load_near
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = ["MeasuredLayer", "measure_spec"]


@dataclass(frozen=True)
class MeasuredLayer:
    """A land-use layer as read (near the zones), its code table and its measurement in the zones."""

    spec: LayerSpec
    gdf: gpd.GeoDataFrame
    code_field: str
    table: CodeTable
    areas: LanduseAreas | None

    @property
    def data(self) -> str:
        """Return the data label (``source`` option or path:layer)."""
        return str(self.spec.get("source") or self.spec.label)

    @property
    def date(self) -> str:
        """Return the data's date (``date`` option), or ``""``."""
        return str(self.spec.get("date", "") or "")


def measure_spec(
    spec: LayerSpec,
    zones: gpd.GeoDataFrame,
    acrs: AnalysisCRS,
    *,
    profile: RuleProfile,
    qa: QALog,
    what: str = "land-use layer",
    pad_m: float = 50.0,
    measure: bool = True,
) -> MeasuredLayer:
    """Read a land-use layer near the zones and measure each code inside each zone.

    Parameters
    ----------
    spec : LayerSpec
        The layer; options ``code_field``, ``scheme``, ``source``, ``date``.
    zones : GeoDataFrame
        Prepared zones in the analysis CRS.
    acrs : AnalysisCRS
    profile : RuleProfile, keyword-only
        Code-table options and the R1 overlap precedence.
    qa : QALog, keyword-only
    what : str, keyword-only
        The layer's role for messages.
    pad_m : float, keyword-only
        How far beyond each zone's envelope to read (the proposal needs the neighbours).
    measure : bool, keyword-only
        Measure the layer in the zones (else ``areas`` is None: read and classified only).

    Returns
    -------
    MeasuredLayer
    """
    gdf = load_near(spec, zones, acrs, qa=qa, what=what, pad_m=pad_m)
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    code_field, table = landuse_table(
        cols,
        source=spec.label,
        code_field=spec.get("code_field"),
        scheme=spec.get("scheme"),
        codes=profile.codes,
        qa=qa,
    )
    precedence = tuple(
        profile.rule("R1").get(
            "overlap_precedence", ("other_construction", "non_construction", "unknown", "industrial")
        )
    )
    if not measure:
        return MeasuredLayer(spec=spec, gdf=gdf, code_field=code_field, table=table, areas=None)
    areas = measure_landuse(
        zones, gdf, table=table, code_field=code_field, precedence=precedence, layer=spec.label, qa=qa
    )
    return MeasuredLayer(spec=spec, gdf=gdf, code_field=code_field, table=table, areas=areas)
