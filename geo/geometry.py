"""Geometry checks and explicit repairs, each logged in the QA log.

Invalid rings break overlays (``TopologyException``) or give wrong areas; devzone repairs them with
``shapely.make_valid`` (structure method), keeps the polygonal parts, and records every repair with GEOS's
reason and location. Features without a usable geometry are kept out of the measurement and recorded,
so every input feature is accounted for.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import shapely

from geo.kernel import polygonal
from geo.qa import QALog

__all__ = ["reason_location", "repair_polygons"]

_LOC = re.compile(r"\[\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)")


def reason_location(reason: str) -> shapely.Point | None:
    """Return the point named in a GEOS validity reason such as ``'Self-intersection[3 4]'``.

    >>> reason_location("Ring Self-intersection[38590000.5 3958000.25]").wkt
    'POINT (38590000.5 3958000.25)'
    """
    m = _LOC.search(reason or "")
    return shapely.Point(float(m.group(1)), float(m.group(2))) if m else None


def repair_polygons(gdf: gpd.GeoDataFrame, *, layer: str, qa: QALog) -> gpd.GeoDataFrame:
    """Return the polygon features of a layer, valid, with every change recorded.

    - invalid polygons are repaired with ``make_valid`` (structure method), polygonal parts kept;
    - features with no geometry, an empty one, or a non-polygonal one are excluded from measurement;
    each is a QA row naming the feature (the layer's index label), GEOS's reason and the area change.

    Parameters
    ----------
    gdf : GeoDataFrame
        Any layer.
    layer : str, keyword-only
        The layer's name for the QA rows.
    qa : QALog, keyword-only
        Where the rows go.

    Returns
    -------
    GeoDataFrame
        The usable features (same index labels), valid and polygonal.
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    missing = np.array([g is None for g in geoms], dtype=bool)
    empty = ~missing & shapely.is_empty(np.where(missing, shapely.Point(), geoms))
    ok_geoms = np.where(missing | empty, shapely.Polygon(), geoms)
    types = shapely.get_type_id(ok_geoms)
    for idx in gdf.index[missing | empty]:
        qa.add(
            "missing_geometry",
            "feature has no geometry (or an empty one); it is not measured",
            layer=layer,
            feature=idx,
            action="excluded",
            area_m2=0.0,
        )
    invalid = ~(missing | empty) & ~shapely.is_valid(ok_geoms)
    out = ok_geoms.copy()
    if invalid.any():
        reasons = shapely.is_valid_reason(ok_geoms[invalid])
        fixed = polygonal(shapely.make_valid(ok_geoms[invalid], method="structure", keep_collapsed=False))
        # rebuilt MultiPolygons whose parts share an edge are invalid: dissolve those parts
        still = ~shapely.is_valid(fixed)
        if still.any():
            fixed[still] = [shapely.union_all(shapely.get_parts(g)) for g in fixed[still]]
        for idx, g0, g1, why in zip(gdf.index[invalid], ok_geoms[invalid], fixed, reasons, strict=True):
            a0, a1 = float(shapely.area(g0)), float(shapely.area(g1))
            qa.add(
                "invalid_geometry",
                f"invalid geometry ({why}); repaired with make_valid: area {a0:.2f} m² as stored → {a1:.2f} m²",
                layer=layer,
                feature=idx,
                action="repaired",
                area_m2=a1,
                geometry=reason_location(why) or shapely.point_on_surface(g1 if not g1.is_empty else g0),
            )
        out[invalid] = fixed
    nonpoly = ~(missing | empty) & ~np.isin(types, (3, 6)) & ~invalid
    for idx, t in zip(gdf.index[nonpoly], types[nonpoly], strict=True):
        qa.add(
            "not_polygon",
            f"feature is a {shapely.GeometryType(int(t)).name.title()}, not a polygon; "
            "it has no area and is not measured",
            layer=layer,
            feature=idx,
            action="excluded",
            area_m2=0.0,
        )
    usable = ~(missing | empty | nonpoly) & ~shapely.is_empty(out)
    result = gdf.loc[usable].copy()
    result = result.set_geometry(gpd.GeoSeries(out[usable], index=result.index, crs=gdf.crs))
    return result
