"""Cross-check of kotka_expected_qgis.csv with shapely and pyproj.Geod (run by hand, not a test).

The same recipe as qgis_truth.py, written independently of QGIS: repair the landuse polygons with
``shapely.make_valid`` (keeping their polygonal parts), dissolve each tag set with ``union_all``,
intersect with each zone and take the area:

* planar_3067 / planar_32635: zones and polygons reprojected (pyproj, vertex by vertex) to the CRS,
  overlay there, planar area;
* ellipsoidal_wgs84: overlay in EPSG:4326, area on the WGS 84 ellipsoid with ``pyproj.Geod``
  (GeographicLib; edges are geodesics between the vertices).

Prints the relative difference to QGIS for every figure and the largest one, and also what summing the
per-polygon intersections without the dissolve would give (the double counting QGIS avoids).

Run from the repo root: ``.venv/bin/python tests/data/real/crosscheck_shapely.py``.
Importing it does nothing.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def polygonal(geom):
    """Return the polygonal part of a repaired geometry (drop the lines and points make_valid may leave)."""
    import shapely

    if geom is None or geom.is_empty:
        return shapely.MultiPolygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def main() -> int:
    """Compute the figures, compare them with the QGIS CSV, print the table."""
    import numpy as np
    import pyogrio
    import shapely
    from pyproj import Geod, Transformer

    sys.path.insert(0, str(HERE))
    from qgis_truth import CONSTRUCTION, INDUSTRIAL, MEASURES

    _, _, lu_wkb, lu_fields = pyogrio.raw.read(str(HERE / "osm_finland_kotka_test.gpkg"), layer="landuse")
    meta, _, z_wkb, z_fields = pyogrio.raw.read(str(HERE / "kotka_zones.gpkg"), layer="zones")
    lu_meta = pyogrio.read_info(str(HERE / "osm_finland_kotka_test.gpkg"), layer="landuse")
    tags = np.asarray(lu_fields[list(lu_meta["fields"]).index("landuse")], dtype=object)
    zone_ids = list(z_fields[list(meta["fields"]).index("zone_id")])
    raw = shapely.from_wkb(lu_wkb)
    fixed = np.array([polygonal(g) for g in shapely.make_valid(raw)], dtype=object)
    zones = shapely.from_wkb(z_wkb)
    print(f"landuse: {len(raw)} polygons, {int((~shapely.is_valid(raw)).sum())} invalid before make_valid")

    sets = {"industrial": np.isin(tags, INDUSTRIAL), "construction": np.isin(tags, CONSTRUCTION)}
    geod = Geod(ellps="WGS84")

    def to_crs(geoms, crs):
        if crs == "EPSG:4326":
            return geoms
        t = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))

    def area(geom, measure):
        if measure == "ellipsoidal_wgs84":
            return abs(geod.geometry_area_perimeter(geom)[0]) if not geom.is_empty else 0.0
        return shapely.area(geom)

    ours = {}
    naive = {}
    for measure, (crs, _) in MEASURES.items():
        zs = to_crs(zones, crs)
        polys = to_crs(fixed, crs)
        dissolved = {k: shapely.union_all(polys[m]) for k, m in sets.items()}
        for zid, z in zip(zone_ids, zs, strict=True):
            ours[zid, measure] = {
                "zone_area_m2": area(z, measure),
                **{f"{k}_area_m2": area(shapely.intersection(z, d), measure) for k, d in dissolved.items()},
            }
            naive[zid, measure] = {
                f"{k}_area_m2": sum(area(shapely.intersection(z, p), measure) for p in polys[m])
                for k, m in sets.items()
            }

    with (HERE / "kotka_expected_qgis.csv").open(encoding="utf-8") as fh:
        qgis = list(csv.DictReader(fh))
    worst = {"planar": 0.0, "ellipsoidal": 0.0}
    cols = ("zone_area_m2", "industrial_area_m2", "construction_area_m2")
    print(f"{'zone':5} {'measure':18} " + " ".join(f"{c:>34}" for c in cols))
    for row in qgis:
        key = (row["zone_id"], row["measure"])
        cells = []
        for c in cols:
            q, s = float(row[c]), ours[key][c]
            rel = abs(s - q) / q
            kind = "ellipsoidal" if "ellipsoidal" in key[1] else "planar"
            worst[kind] = max(worst[kind], rel)
            cells.append(f"{q:14.3f} {s:14.3f} {rel:8.1e}")
        print(f"{key[0]:5} {key[1]:18} " + " ".join(cells))
    print("largest relative difference QGIS vs shapely:", {k: f"{v:.1e}" for k, v in worst.items()})
    print("without the dissolve (sum of per-polygon intersections), planar_3067:")
    for zid in zone_ids:
        d, n = ours[zid, "planar_3067"], naive[zid, "planar_3067"]
        extra = {k: n[k] - d[k] for k in n}
        print(
            f"  {zid}: industrial {n['industrial_area_m2']:.3f} (+{extra['industrial_area_m2']:.3f}), "
            f"construction {n['construction_area_m2']:.3f} (+{extra['construction_area_m2']:.3f})"
        )
    for zid in zone_ids:
        d = ours[zid, "planar_3067"]
        print(
            f"  {zid}: industrial / construction = {d['industrial_area_m2'] / d['construction_area_m2']:.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
