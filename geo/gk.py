"""Gauss-Krüger zones of the Chinese datums: which EPSG code is which datum, zone width, zone and prefix.

Boundary documents (界址点坐标表, the 勘测定界 exchange TXT) name the datum (坐标系), the zone width
(几度分带), the zone number (带号) and, through the coordinates' magnitude, whether the easting carries
the zone number (8-digit eastings such as ``38 512 345.678``) or not (6 digits, false easting 500 km).
This module maps between those facts and EPSG codes, for CGCS2000 (2000国家大地坐标系), Xian 1980
(1980西安坐标系) and Beijing 1954 (1954北京坐标系), 3° and 6° zones, with and without the prefix:

========  =====  ======  ===============  =========
datum     width  prefix  EPSG             zones
========  =====  ======  ===============  =========
CGCS2000  3°     yes     4513–4533        25–45
CGCS2000  3°     no      4534–4554        25–45
CGCS2000  6°     yes     4491–4501        13–23
CGCS2000  6°     no      4502–4512        13–23
Xian 1980 3°     yes     2349–2369        25–45
Xian 1980 3°     no      2370–2390        25–45
Xian 1980 6°     yes     2327–2337        13–23
Xian 1980 6°     no      2338–2348        13–23
Beijing54 3°     yes     2401–2421        25–45
Beijing54 3°     no      2422–2442        25–45
Beijing54 6°     yes     21413–21423      13–23
Beijing54 6°     no      21473–21483      13–23
========  =====  ======  ===============  =========

Central meridian: 3° zone n → 3·n °E; 6° zone n → 6·n − 3 °E.

>>> z = gk_zone_of_crs(4526)
>>> (z.datum_label, z.width_deg, z.zone, z.prefix, z.central_meridian_deg)
('2000国家大地坐标系', 3, 38, True, 114.0)
>>> gk_zone_of_crs(4547).zone, gk_zone_of_crs(4547).prefix
(38, False)
>>> gk_crs("CGCS2000", 3, 38, prefix=False).to_epsg()
4547
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyproj import CRS

from geo.errors import CRSError

__all__ = ["DATUM_LABELS", "GKZone", "datum_of_label", "gk_crs", "gk_zone_of_crs"]

#: The datum names used in Chinese boundary documents (the TXT ``坐标系=`` value).
DATUM_LABELS = {
    "CGCS2000": "2000国家大地坐标系",
    "Xian1980": "1980西安坐标系",
    "Beijing1954": "1954北京坐标系",
}

# (datum, width, prefix) -> (first EPSG code, first zone); codes are consecutive by zone.
_RANGES: dict[tuple[str, int, bool], tuple[int, int]] = {
    ("CGCS2000", 3, True): (4513, 25),
    ("CGCS2000", 3, False): (4534, 25),
    ("CGCS2000", 6, True): (4491, 13),
    ("CGCS2000", 6, False): (4502, 13),
    ("Xian1980", 3, True): (2349, 25),
    ("Xian1980", 3, False): (2370, 25),
    ("Xian1980", 6, True): (2327, 13),
    ("Xian1980", 6, False): (2338, 13),
    ("Beijing1954", 3, True): (2401, 25),
    ("Beijing1954", 3, False): (2422, 25),
    ("Beijing1954", 6, True): (21413, 13),
    ("Beijing1954", 6, False): (21473, 13),
}
_N_ZONES = {3: 21, 6: 11}


@dataclass(frozen=True)
class GKZone:
    """The Gauss-Krüger facts of a CRS that boundary documents state."""

    epsg: int
    datum: str
    width_deg: int
    zone: int
    prefix: bool

    @property
    def datum_label(self) -> str:
        """Return the datum as boundary documents write it, e.g. ``2000国家大地坐标系``."""
        return DATUM_LABELS[self.datum]

    @property
    def central_meridian_deg(self) -> float:
        """Return the zone's central meridian in degrees east."""
        return float(3 * self.zone if self.width_deg == 3 else 6 * self.zone - 3)

    @property
    def crs(self) -> CRS:
        """Return the CRS."""
        return CRS.from_epsg(self.epsg)


def gk_zone_of_crs(crs: Any) -> GKZone | None:
    """Return the Gauss-Krüger facts of a CRS, or None when it is not one of the table's systems.

    Parameters
    ----------
    crs : anything pyproj accepts
        E.g. ``4526``, ``"EPSG:4547"`` or a :class:`pyproj.CRS`.

    Returns
    -------
    GKZone or None
    """
    epsg = CRS.from_user_input(crs).to_epsg(min_confidence=90)
    if epsg is None:
        return None
    for (datum, width, prefix), (first, zone0) in _RANGES.items():
        if first <= epsg < first + _N_ZONES[width]:
            return GKZone(epsg=epsg, datum=datum, width_deg=width, zone=zone0 + epsg - first, prefix=prefix)
    return None


def gk_crs(datum: str, width_deg: int, zone: int, *, prefix: bool) -> CRS:
    """Return the CRS of a datum, zone width and zone number, with or without the zone prefix.

    Raises
    ------
    CRSError
        For an unknown datum or width, or a zone outside the range defined for China.
    """
    key = (datum, int(width_deg), bool(prefix))
    if key not in _RANGES:
        msg = (
            f"no Gauss-Krüger system for datum {datum!r} with {width_deg}-degree zones; "
            f"known datums: {', '.join(DATUM_LABELS)}; zone widths 3 or 6"
        )
        raise CRSError(msg)
    first, zone0 = _RANGES[key]
    if not zone0 <= zone < zone0 + _N_ZONES[int(width_deg)]:
        msg = (
            f"zone {zone} is outside the {width_deg}-degree zones defined for China "
            f"({zone0}-{zone0 + _N_ZONES[int(width_deg)] - 1})"
        )
        raise CRSError(msg)
    return CRS.from_epsg(first + zone - zone0)


def datum_of_label(label: str) -> str | None:
    """Return the datum key for a document's ``坐标系`` text (``2000国家大地坐标系``, ``西安80`` …), or None.

    >>> datum_of_label("2000国家大地坐标系"), datum_of_label("1980西安坐标系"), datum_of_label("北京54")
    ('CGCS2000', 'Xian1980', 'Beijing1954')
    """
    text = (label or "").replace(" ", "").upper()
    if "2000" in text or "CGCS" in text:
        return "CGCS2000"
    if "西安" in text or "XIAN" in text or "80" in text:
        return "Xian1980"
    if "北京" in text or "BEIJING" in text or "54" in text:
        return "Beijing1954"
    return None
