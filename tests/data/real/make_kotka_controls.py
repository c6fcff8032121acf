"""Re-create kotka_controls.gpkg: three 三区三线 stand-in layers built from real OSM polygons (run by hand).

Kotka has no 永久基本农田, 生态保护红线 or 城镇开发边界, so R2 is tested on layers made from the OSM
extract's own polygons (``osm_finland_kotka_test.gpkg``), written in EPSG:3067 (ETRS-TM35FIN, metres):

* ``farmland`` (永久基本农田 stand-in): every ``landuse`` polygon tagged ``farmland``, ``meadow`` or
  ``greenhouse_horticulture`` (11), **unrepaired** (farmland 106230775 self-intersects) and **not
  dissolved**: farmland 75391014 and 106230775 overlap each other by about 1.7 ha, 4,856.6 m² of it inside
  zone KT-B, so a tool that sums per-polygon intersections counts that area twice;
* ``redline`` (生态保护红线 stand-in): the ``landuse=forest`` polygon plus every ``other_polygons``
  polygon tagged ``natural=wood`` or ``natural=water`` (the extract has 9 wood and no water polygons;
  ``natural`` is empty in ``landuse``), unrepaired (5 of the 10 self-intersect) and not dissolved (forest
  75391017 and wood 106231103 overlap by about 0.11 ha);
* ``urban_boundary`` (城镇开发边界 stand-in, **made up**: no real boundary is implied): the ``landuse``
  polygons tagged ``residential``, ``industrial``, ``retail`` or ``commercial``, repaired
  (``shapely.make_valid``, structure method, polygonal parts kept), unioned, and buffered outwards by
  50 m (``shapely.buffer``, round joins, 8 segments per quarter circle); one feature per disjoint part.

Every feature keeps the OSM way id and tag it came from (``urban_boundary``: the number of source polygons
in the part). The transformation EPSG:4326 → EPSG:3067 is pyproj's (``always_xy``), vertex by vertex.

Run from the repo root: ``.venv/bin/python tests/data/real/make_kotka_controls.py``. Importing it does
nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "osm_finland_kotka_test.gpkg"
OUT = HERE / "kotka_controls.gpkg"
CRS = "EPSG:3067"

FARMLAND_TAGS = ("farmland", "meadow", "greenhouse_horticulture")
REDLINE_LANDUSE = ("forest",)
REDLINE_NATURAL = ("wood", "water")
URBAN_TAGS = ("residential", "industrial", "retail", "commercial")
URBAN_BUFFER_M = 50.0
QUAD_SEGS = 8


def _polygonal(geom):
    """The polygonal part of a repaired geometry."""
    import shapely

    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def main() -> int:
    """Build the three layers and write them (the file is replaced)."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    landuse = gpd.read_file(SOURCE, layer="landuse").to_crs(CRS)
    other = gpd.read_file(SOURCE, layer="other_polygons").to_crs(CRS)
    keep = ["osm_way_id", "landuse", "natural", "geometry"]

    farmland = landuse.loc[landuse["landuse"].isin(FARMLAND_TAGS), keep]
    redline = pd.concat(
        [
            landuse.loc[landuse["landuse"].isin(REDLINE_LANDUSE), keep],
            other.loc[other["natural"].isin(REDLINE_NATURAL), keep],
        ],
        ignore_index=True,
    )
    src = landuse.loc[landuse["landuse"].isin(URBAN_TAGS)]
    fixed = [_polygonal(g) for g in shapely.make_valid(src.geometry.values, method="structure", keep_collapsed=False)]
    merged = shapely.buffer(shapely.union_all(fixed), URBAN_BUFFER_M, quad_segs=QUAD_SEGS)
    parts = list(shapely.get_parts(merged))
    urban = gpd.GeoDataFrame(
        {
            "part": list(range(1, len(parts) + 1)),
            "source_polygons": [int(shapely.intersects(src.geometry.values, p).sum()) for p in parts],
            "buffer_m": URBAN_BUFFER_M,
            "note": "made up for tests: OSM residential+industrial+retail+commercial, unioned, buffered 50 m",
        },
        geometry=parts,
        crs=CRS,
    )

    OUT.unlink(missing_ok=True)
    for name, gdf in (("farmland", farmland), ("redline", redline), ("urban_boundary", urban)):
        gdf = gpd.GeoDataFrame(gdf.reset_index(drop=True), geometry="geometry", crs=CRS)
        gdf.to_file(OUT, layer=name, driver="GPKG")
        invalid = int((~gdf.is_valid).sum())
        print(f"{name}: {len(gdf)} features ({invalid} invalid), {gdf.area.sum():,.1f} m² before dissolving")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
