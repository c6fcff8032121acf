"""Independent R2 (三区三线) figures for the Kotka test zones, computed by QGIS (run by hand, not a test).

For each zone of ``kotka_zones.gpkg`` (layer ``zones``) this measures, with QGIS's own processing
algorithms, planar in EPSG:3067 (zones reprojected there; context ellipsoid NONE, so areas are planar m²),
against the three layers of ``kotka_controls.gpkg`` (made by ``make_kotka_controls.py``):

* ``farmland_overlap_m2``: area of the zone overlapping the ``farmland`` layer (永久基本农田 stand-in);
* ``redline_overlap_m2``: area overlapping the ``redline`` layer (生态保护红线 stand-in);
* ``inside_urban_m2``: area inside the ``urban_boundary`` layer (城镇开发边界 stand-in), and
  ``outside_urban_m2`` = zone area − inside;

each control layer first repaired with ``native:fixgeometries``; ``native:calculatevectoroverlaps``
(Overlap analysis) unions the overlay features that meet a zone, so overlapping control polygons count
once. Two further figures, by other QGIS algorithms, for checking:

* ``outside_urban_difference_m2``: ``native:difference`` (zone minus urban boundary), measured;
* ``*_naive_sum_m2``: ``native:intersection`` of the zones with each repaired control layer, one piece per
  zone × control polygon, summed without dissolving (what a per-polygon tool reports: overlapping
  control polygons count twice).

The zone area is measured with a ``QgsDistanceArea`` set up as the algorithm sets up its own (source CRS,
ellipsoid NONE) and checked against the one implied by each ``*_pc`` field.

Run it with Debian's QGIS (``apt-get install qgis python3-qgis``) and its Python, from the repo root::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/data/real/qgis_truth_r2.py

It writes ``tests/data/real/kotka_expected_qgis_r2.csv``. It is not a test: it needs QGIS, which the
project does not depend on. Importing it does nothing.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONTROLS = HERE / "kotka_controls.gpkg"
ZONES = HERE / "kotka_zones.gpkg"
OUT_CSV = HERE / "kotka_expected_qgis_r2.csv"
CRS = "EPSG:3067"
LAYERS = ("farmland", "redline", "urban_boundary")
COLUMNS = (
    "zone_id",
    "measure",
    "zone_area_m2",
    "farmland_overlap_m2",
    "redline_overlap_m2",
    "inside_urban_m2",
    "outside_urban_m2",
    "outside_urban_difference_m2",
    "farmland_naive_sum_m2",
    "redline_naive_sum_m2",
    "farmland_pieces",
    "redline_pieces",
)


def main() -> int:
    """Compute the figures with QGIS and write the CSV."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import (
        Qgis,
        QgsApplication,
        QgsCoordinateReferenceSystem,
        QgsDistanceArea,
        QgsGeometry,
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProject,
        QgsVectorLayer,
    )

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    import processing
    from processing.core.Processing import Processing

    Processing.initialize()
    print(f"QGIS {Qgis.QGIS_VERSION}, GEOS {Qgis.geosVersion()}")

    feedback = QgsProcessingFeedback()
    tmp = Path(tempfile.mkdtemp(prefix="qgis-truth-r2-"))

    def context() -> QgsProcessingContext:
        ctx = QgsProcessingContext()
        ctx.setProject(QgsProject.instance())
        ctx.setEllipsoid("NONE")
        return ctx

    def run(alg: str, params: dict, out_name: str) -> QgsVectorLayer:
        out = str(tmp / f"{out_name}.gpkg")
        processing.run(alg, {**params, "OUTPUT": out}, context=context(), feedback=feedback)
        layer = QgsVectorLayer(out, out_name, "ogr")
        if not layer.isValid():
            msg = f"{alg}: no valid output in {out}"
            raise RuntimeError(msg)
        return layer

    def opened(path: Path, layer: str) -> QgsVectorLayer:
        lyr = QgsVectorLayer(f"{path}|layername={layer}", layer, "ogr")
        if not lyr.isValid():
            msg = f"cannot open {lyr.source()}"
            raise RuntimeError(msg)
        invalid = sum(not f.geometry().isGeosValid() for f in lyr.getFeatures())
        print(f"{layer}: {lyr.featureCount()} features ({invalid} invalid), {lyr.crs().authid()}")
        return lyr

    zones = opened(ZONES, "zones")
    fixed = {name: run("native:fixgeometries", {"INPUT": opened(CONTROLS, name)}, name) for name in LAYERS}
    for name, lyr in fixed.items():
        invalid = sum(not f.geometry().isGeosValid() for f in lyr.getFeatures())
        print(f"{name} after native:fixgeometries: {lyr.featureCount()} features, {invalid} invalid")
    z = run("native:reprojectlayer", {"INPUT": zones, "TARGET_CRS": QgsCoordinateReferenceSystem(CRS)}, "zones")
    over = run("native:calculatevectoroverlaps", {"INPUT": z, "LAYERS": list(fixed.values())}, "overlaps")
    da = QgsDistanceArea()
    da.setSourceCrs(over.crs(), QgsProject.instance().transformContext())
    da.setEllipsoid("NONE")
    print(f"overlaps: CRS {over.crs().authid()}, ellipsoidal={da.willUseEllipsoid()}, area unit {da.areaUnits()}")

    def measured(layer: QgsVectorLayer) -> tuple[dict[str, float], dict[str, int]]:
        area: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        for f in layer.getFeatures():
            g: QgsGeometry = f.geometry()
            area[f["zone_id"]] += da.measureArea(g)
            count[f["zone_id"]] += 1
        return area, count

    outside_diff, _ = measured(run("native:difference", {"INPUT": z, "OVERLAY": fixed["urban_boundary"]}, "outside"))
    naive = {
        name: measured(run("native:intersection", {"INPUT": z, "OVERLAY": fixed[name]}, f"naive_{name}"))
        for name in ("farmland", "redline")
    }

    rows = []
    for f in over.getFeatures():
        zid = f["zone_id"]
        zone_area = da.measureArea(f.geometry())
        for name in LAYERS:
            area, pc = f[f"{name}_area"], f[f"{name}_pc"]
            implied = 100 * area / pc if pc else zone_area
            if abs(implied - zone_area) > 1e-9 * zone_area:
                msg = f"{zid} {name}: zone area {zone_area} vs implied {implied}"
                raise RuntimeError(msg)
        inside = float(f["urban_boundary_area"])
        row = {
            "zone_id": zid,
            "measure": "planar_3067",
            "zone_area_m2": float(zone_area),
            "farmland_overlap_m2": float(f["farmland_area"]),
            "redline_overlap_m2": float(f["redline_area"]),
            "inside_urban_m2": inside,
            "outside_urban_m2": float(zone_area) - inside,
            "outside_urban_difference_m2": float(outside_diff.get(zid, 0.0)),
            "farmland_naive_sum_m2": float(naive["farmland"][0].get(zid, 0.0)),
            "redline_naive_sum_m2": float(naive["redline"][0].get(zid, 0.0)),
            "farmland_pieces": naive["farmland"][1].get(zid, 0),
            "redline_pieces": naive["redline"][1].get(zid, 0),
        }
        rows.append({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
        print("  " + ", ".join(f"{k} {v}" for k, v in row.items()))

    rows.sort(key=lambda r: r["zone_id"])
    with OUT_CSV.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(COLUMNS), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {OUT_CSV}")
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
