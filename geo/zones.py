"""Zone layers: ids, names, dissolving parts, and overlaps between zones.

Every check takes zones prepared here: one row per zone id (parts with the same id are dissolved, with a
QA row), valid polygons, in the analysis CRS, indexed by the zone id as text.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import DataError
from geo.geometry import repair_polygons
from geo.io import find_field
from geo.kernel import polygonal
from geo.qa import QALog

__all__ = ["ZONE_ID_FIELDS", "ZONE_NAME_FIELDS", "prepare_zones", "zone_overlaps"]

ZONE_ID_FIELDS = ("ZONE_ID", "zone_id", "KFQDM", "KFQBH", "BH", "DM", "ID", "CODE", "BSM")
ZONE_NAME_FIELDS = ("ZONE_NAME", "zone_name", "KFQMC", "MC", "NAME", "名称", "开发区名称")


def prepare_zones(
    zones: gpd.GeoDataFrame,
    *,
    id_field: str | None = None,
    name_field: str | None = None,
    layer: str = "zones",
    qa: QALog,
) -> gpd.GeoDataFrame:
    """Return one valid (multi)polygon per zone id, indexed by the id as text.

    Parameters
    ----------
    zones : GeoDataFrame
        The zone layer as read.
    id_field, name_field : str, optional, keyword-only
        Fields with the zone id and name; the usual names are tried when not given. Without an id
        field, the feature number is the id (logged).
    layer : str, keyword-only
        The layer's name for messages.
    qa : QALog, keyword-only

    Returns
    -------
    GeoDataFrame
        Columns ``zone_id``, ``zone_name``, geometry; index = ``zone_id``.

    Raises
    ------
    DataError
        When the layer is empty or has no polygons.
    """
    if len(zones) == 0:
        msg = f"{layer}: the zone layer is empty (0 features); check the file and layer name"
        raise DataError(msg)
    types = set(zones.geometry.geom_type.dropna().unique())
    if not types & {"Polygon", "MultiPolygon"}:
        msg = (
            f"{layer}: the zone layer has no polygons (geometry types: {', '.join(sorted(types)) or 'none'}); "
            "zones must be polygons (开发区四至范围面)"
        )
        raise DataError(msg)
    cols = [c for c in zones.columns if c != zones.geometry.name]
    if id_field is None:
        try:
            id_field = find_field(
                cols, None, ZONE_ID_FIELDS, what="zone id", option="--zone-id", source=layer
            )
        except Exception:
            id_field = None
            qa.add(
                "zone_id",
                "no zone id field found; zones are numbered by feature (name one with --zone-id)",
                layer=layer,
                severity="info",
            )
    else:
        id_field = find_field(cols, id_field, (), what="zone id", option="--zone-id", source=layer)
    if name_field is None:
        try:
            name_field = find_field(
                cols, None, ZONE_NAME_FIELDS, what="zone name", option="--zone-name", source=layer
            )
        except Exception:
            name_field = None
    else:
        name_field = find_field(cols, name_field, (), what="zone name", option="--zone-name", source=layer)
    ids = zones[id_field].astype(object) if id_field else pd.Series(zones.index, index=zones.index)
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    for idx in zones.index[blank.to_numpy()]:
        qa.add(
            "zone_id",
            f"zone feature has no id in field {id_field!r}; it is named 'feature {idx}'",
            layer=layer,
            feature=idx,
            field=id_field,
        )
    ids = ids.astype(str).str.strip().where(~blank, "feature " + zones.index.astype(str))
    names = zones[name_field].astype(str) if name_field else ids
    valid = repair_polygons(zones, layer=layer, qa=qa)
    frame = gpd.GeoDataFrame(
        {"zone_id": ids.loc[valid.index].to_numpy(), "zone_name": names.loc[valid.index].to_numpy()},
        geometry=valid.geometry.to_numpy(),
        crs=zones.crs,
    )
    if len(frame) == 0:
        msg = f"{layer}: none of the {len(zones)} zone features has a usable polygon"
        raise DataError(msg)
    dup = frame["zone_id"].duplicated(keep=False)
    for zid in frame.loc[dup, "zone_id"].unique():
        n = int((frame["zone_id"] == zid).sum())
        qa.add(
            "zone_parts",
            f"zone {zid} has {n} features; they are dissolved into one zone",
            layer=layer,
            zone=zid,
            field=id_field,
            severity="info",
            action="dissolved",
        )
    grouped = frame.groupby("zone_id", sort=False)
    geoms = grouped.geometry.agg(lambda s: shapely.union_all(np.asarray(s.values)))
    out = gpd.GeoDataFrame(
        {"zone_id": geoms.index.to_numpy(), "zone_name": grouped["zone_name"].first().to_numpy()},
        geometry=polygonal(np.asarray(geoms.to_numpy(), dtype=object)),
        crs=zones.crs,
    )
    out.index = pd.Index(out["zone_id"].to_numpy(), name="zone")
    return out


def zone_overlaps(
    zones: gpd.GeoDataFrame, *, layer: str = "zones", qa: QALog, tolerance_m2: float = 1.0
) -> pd.DataFrame:
    """Report pairs of zones that overlap by more than ``tolerance_m2`` (each a QA row with the overlap)."""
    geoms = np.asarray(zones.geometry.values, dtype=object)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    rows = []
    for i, j in zip(a[keep], b[keep], strict=True):
        inter = polygonal(np.array([shapely.intersection(geoms[i], geoms[j])], dtype=object))[0]
        area = float(shapely.area(inter))
        if area > tolerance_m2:
            zi, zj = zones.index[i], zones.index[j]
            rows.append({"zone_a": zi, "zone_b": zj, "area_m2": area})
            qa.add(
                "zone_overlap",
                f"zones {zi} and {zj} overlap by {area:.2f} m²; each is measured in full",
                layer=layer,
                zone=zi,
                area_m2=area,
                geometry=inter,
            )
    return pd.DataFrame(rows, columns=["zone_a", "zone_b", "area_m2"])
