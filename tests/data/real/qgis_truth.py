"""Independent truth for the Kotka test zones, computed by QGIS (run by hand, never by the test suite).

For each zone of ``kotka_zones.gpkg`` (layer ``zones``) this measures, with QGIS's own processing
algorithms, the area of the Kotka OSM ``landuse`` polygons

* whose ``landuse`` tag is industrial or quarry (the "industrial" set), and
* whose tag is in the construction set (residential, commercial, retail, industrial, quarry, railway,
  garages, construction, education, institutional, religious, military, landfill, brownfield,
  cemetery, depot, port),

each set dissolved before it is intersected with the zone (``native:calculatevectoroverlaps``, "Overlap
analysis", does the dissolve: it unions the overlay features that meet a zone, so overlapping
polygons count once), after ``native:fixgeometries`` on the landuse layer. Three measures:

* ``planar_3067``: zones reprojected to EPSG:3067 (ETRS-TM35FIN), ellipsoid NONE -> planar m²;
* ``planar_32635``: zones reprojected to EPSG:32635 (UTM 35N), ellipsoid NONE -> planar m²;
* ``ellipsoidal_wgs84``: zones kept in EPSG:4326, context ellipsoid EPSG:7030 (WGS 84) -> QgsDistanceArea's
  ellipsoidal area in m².

Overlap analysis reprojects the overlay layers to the zone layer's CRS itself. The zone area is measured
with a QgsDistanceArea set up exactly as the algorithm sets up its own (source CRS + context ellipsoid)
and checked against the one implied by the algorithm's ``*_pc`` field.

Run it with Debian's QGIS (``apt-get install qgis python3-qgis``) and its Python, from the repo root::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/data/real/qgis_truth.py

It writes ``tests/data/real/kotka_expected_qgis.csv``. It is not a test: it needs QGIS, which the
project does not depend on. Importing it does nothing (pytest's doctest collection imports every module).
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANDUSE = HERE / "osm_finland_kotka_test.gpkg"
ZONES = HERE / "kotka_zones.gpkg"
OUT_CSV = HERE / "kotka_expected_qgis.csv"

INDUSTRIAL = ("industrial", "quarry")
CONSTRUCTION = (
    "residential",
    "commercial",
    "retail",
    "industrial",
    "quarry",
    "railway",
    "garages",
    "construction",
    "education",
    "institutional",
    "religious",
    "military",
    "landfill",
    "brownfield",
    "cemetery",
    "depot",
    "port",
)
# measure name -> (CRS of the zones when the overlap is computed, ellipsoid of the processing context)
MEASURES = {
    "planar_3067": ("EPSG:3067", "NONE"),
    "planar_32635": ("EPSG:32635", "NONE"),
    "ellipsoidal_wgs84": ("EPSG:4326", "EPSG:7030"),
}


def in_list(values: tuple[str, ...]) -> str:
    """Return a QGIS expression ``"landuse" IN ('a', 'b')``."""
    return '"landuse" IN (' + ", ".join(f"'{v}'" for v in values) + ")"


def main() -> int:
    """Compute the figures with QGIS and write the CSV."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import (
        Qgis,
        QgsApplication,
        QgsCoordinateReferenceSystem,
        QgsDistanceArea,
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
    print(f"QGIS {Qgis.QGIS_VERSION}")

    feedback = QgsProcessingFeedback()
    tmp = Path(tempfile.mkdtemp(prefix="qgis-truth-"))

    def context(ellipsoid: str) -> QgsProcessingContext:
        ctx = QgsProcessingContext()
        ctx.setProject(QgsProject.instance())
        ctx.setEllipsoid(ellipsoid)
        return ctx

    def run(alg: str, params: dict, out_name: str, ellipsoid: str = "NONE") -> QgsVectorLayer:
        out = str(tmp / f"{out_name}.gpkg")
        params = {**params, "OUTPUT": out}
        processing.run(alg, params, context=context(ellipsoid), feedback=feedback)
        layer = QgsVectorLayer(out, out_name, "ogr")
        if not layer.isValid():
            msg = f"{alg}: no valid output in {out}"
            raise RuntimeError(msg)
        return layer

    landuse = QgsVectorLayer(f"{LANDUSE}|layername=landuse", "landuse", "ogr")
    zones = QgsVectorLayer(f"{ZONES}|layername=zones", "zones", "ogr")
    for lyr in (landuse, zones):
        if not lyr.isValid():
            msg = f"cannot open {lyr.source()}"
            raise RuntimeError(msg)
    print(f"landuse: {landuse.featureCount()} features, {landuse.crs().authid()}")
    print(f"zones: {zones.featureCount()} features, {zones.crs().authid()}")

    fixed = run("native:fixgeometries", {"INPUT": landuse}, "landuse_fixed")
    industrial = run(
        "native:extractbyexpression", {"INPUT": fixed, "EXPRESSION": in_list(INDUSTRIAL)}, "industrial"
    )
    construction = run(
        "native:extractbyexpression", {"INPUT": fixed, "EXPRESSION": in_list(CONSTRUCTION)}, "construction"
    )
    print(
        f"fixed: {fixed.featureCount()}, industrial set: {industrial.featureCount()}, "
        f"construction set: {construction.featureCount()}"
    )

    rows = []
    for measure, (crs, ellipsoid) in MEASURES.items():
        if crs == zones.crs().authid():
            z = zones
        else:
            z = run(
                "native:reprojectlayer",
                {"INPUT": zones, "TARGET_CRS": QgsCoordinateReferenceSystem(crs)},
                f"zones_{measure}",
            )
        over = run(
            "native:calculatevectoroverlaps",
            {"INPUT": z, "LAYERS": [industrial, construction]},
            f"overlap_{measure}",
            ellipsoid=ellipsoid,
        )
        da = QgsDistanceArea()
        da.setSourceCrs(over.crs(), QgsProject.instance().transformContext())
        da.setEllipsoid(ellipsoid)
        print(
            f"{measure}: layer CRS {over.crs().authid()}, ellipsoid {da.ellipsoid()!r}, "
            f"ellipsoidal={da.willUseEllipsoid()}, area unit {da.areaUnits()}"
        )
        for f in over.getFeatures():
            zone_area = da.measureArea(f.geometry())
            ind, cons = f["industrial_area"], f["construction_area"]
            for name, area, pc in (
                ("industrial", ind, f["industrial_pc"]),
                ("construction", cons, f["construction_pc"]),
            ):
                implied = 100 * area / pc if pc else zone_area
                if abs(implied - zone_area) > 1e-9 * zone_area:
                    msg = f"{measure} {f['zone_id']} {name}: zone area {zone_area} vs implied {implied}"
                    raise RuntimeError(msg)
            rows.append(
                {
                    "zone_id": f["zone_id"],
                    "measure": measure,
                    "zone_area_m2": repr(float(zone_area)),
                    "industrial_area_m2": repr(float(ind)),
                    "construction_area_m2": repr(float(cons)),
                }
            )
            print(f"  {f['zone_id']}: zone {zone_area:.3f} industrial {ind:.3f} construction {cons:.3f}")

    rows.sort(key=lambda r: (r["zone_id"], list(MEASURES).index(r["measure"])))
    with OUT_CSV.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {OUT_CSV}")
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
