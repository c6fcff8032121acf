"""Re-create kotka_zones.gpkg: three hand-drawn test zones in the Kotka OSM extract (run by hand).

The vertices were drawn on a map of the ``landuse`` layer in EPSG:3067 (ETRS-TM35FIN, metres), then
transformed to EPSG:4326 like the source data and rounded to 1e-7 degree (about 1 cm):

* KT-A "Karhula south works": most of the large industrial area (ways 461415540 and 369836400, the
  latter lying wholly inside the former: the only overlap inside the construction set), the industrial
  strip 369849792, retail 369849791, several residential blocks, farmland and a farmyard;
* KT-B "Karhula north": part of industrial 413379433 and residential 328196553, and the corner where
  farmland 75391014 and the invalid farmland 106230775 overlap each other and residential 328196553;
* KT-C "Karhula southeast": four industrial polygons, farmland, and part of the invalid (self-
  intersecting) residential 328196531, so that the result depends on repairing it.

Run from the repo root: ``.venv/bin/python tests/data/real/make_kotka_zones.py``. Importing it does nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

ZONES_3067 = {
    ("KT-A", "Karhula south works"): [
        (496550, 6709700), (496700, 6709950), (496900, 6710060), (497100, 6709960), (497260, 6709850),
        (497190, 6709600), (497000, 6709500), (496800, 6709440), (496620, 6709560),
    ],
    ("KT-B", "Karhula north"): [
        (496400, 6710900), (496500, 6711250), (496750, 6711350), (496900, 6711460), (497060, 6711400),
        (496950, 6711200), (496800, 6711100), (496860, 6710850), (496650, 6710750),
    ],
    ("KT-C", "Karhula southeast"): [
        (497130, 6709520), (497300, 6709470), (497450, 6709660), (497700, 6709720), (497920, 6709610),
        (497870, 6709420), (497650, 6709350), (497480, 6709385), (497330, 6709345), (497180, 6709400),
    ],
}  # fmt: skip


def main() -> int:
    """Write kotka_zones.gpkg (layer ``zones``, EPSG:4326, fields zone_id and zone_name)."""
    import geopandas as gpd
    import shapely
    from shapely.geometry import Polygon

    z = gpd.GeoDataFrame(
        {"zone_id": [k[0] for k in ZONES_3067], "zone_name": [k[1] for k in ZONES_3067]},
        geometry=[Polygon(v) for v in ZONES_3067.values()],
        crs="EPSG:3067",
    ).to_crs("EPSG:4326")
    z["geometry"] = shapely.set_precision(z.geometry.values, 1e-7)
    if not z.is_valid.all():
        msg = "a zone became invalid"
        raise RuntimeError(msg)
    z.to_file(HERE / "kotka_zones.gpkg", layer="zones", driver="GPKG")
    return 0


if __name__ == "__main__":
    sys.exit(main())
