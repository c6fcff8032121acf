"""Which zone a parcel lies in: the zone holding the largest part of its area (the shared kernel)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.kernel import area_by_class
from geo.qa import QALog

__all__ = ["zone_of_parcels"]


def zone_of_parcels(
    parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, layer: str = "parcels", qa: QALog | None = None
) -> pd.Series:
    """Return each parcel's zone id (the zone with the largest overlap), or None outside every zone.

    Parameters
    ----------
    parcels : GeoDataFrame
        Parcels in the zones' CRS (rows without geometry get None).
    zones : GeoDataFrame
        Prepared zones indexed by zone id.
    layer : str, keyword-only
        Name for QA rows.
    qa : QALog, optional, keyword-only
        When given, parcels split between zones are reported.

    Returns
    -------
    Series
        On the parcels' index, zone ids as text (object dtype).

    Examples
    --------
    >>> from shapely import box
    >>> z = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], index=["A", "B"], crs=4547)
    >>> p = gpd.GeoDataFrame(geometry=[box(8, 0, 11, 1), box(30, 0, 31, 1)], index=["p1", "p2"], crs=4547)
    >>> zone_of_parcels(p, z).tolist()
    ['A', None]
    """
    out = pd.Series([None] * len(parcels), index=parcels.index, dtype=object)
    geoms = parcels.geometry
    ok = np.flatnonzero(geoms.notna().to_numpy() & ~geoms.is_empty.to_numpy())
    if len(ok) == 0 or len(zones) == 0:
        return out
    work = gpd.GeoDataFrame({"_pos": [str(i) for i in ok]}, geometry=geoms.iloc[ok].values, crs=parcels.crs)
    res = area_by_class(zones.geometry, work, class_column="_pos", keep_pieces=False)
    t = res.table.sort_values(["class", "area_m2", "zone"], ascending=[True, False, True])
    for pos, grp in t.groupby("class", sort=False):
        i = int(pos)
        out.iloc[i] = str(grp["zone"].iloc[0])
        if qa is not None and len(grp) > 1:
            parts = ", ".join(f"{z} {a:,.2f} m²" for z, a in zip(grp["zone"], grp["area_m2"], strict=True))
            qa.add(
                "parcel_in_several_zones",
                f"parcel {parcels.index[i]} lies in several zones ({parts}); assigned to {out.iloc[i]}",
                layer=layer,
                feature=parcels.index[i],
                severity="info",
            )
    return out
