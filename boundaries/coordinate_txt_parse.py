"""Reading the boundary-coordinate exchange TXT: parsing, the X/Y check, the CRS, rings to polygons.

The internals of :func:`boundaries.coordinate_txt.read_boundary_txt` (see that module for the format and
the rules): :func:`parse_txt` splits a file into the ``[属性描述]`` values and parcels, :func:`axes_swapped`
judges the X/Y order from coordinate magnitudes, :func:`file_crs` / :func:`check_user_crs` find or check the
CRS, and :func:`parcels_frame` nests rings into polygons and checks declared counts and areas.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.crs import crs_label
from geo.errors import CRSError, DataError, EncodingError
from geo.gk import DATUM_LABELS, datum_of_label, gk_crs, gk_zone_of_crs
from geo.qa import QALog
from geo.units import M2_PER_HA, M2_PER_MU

__all__ = ["Parcel", "axes_swapped", "check_user_crs", "decode_text", "file_crs", "parcels_frame", "parse_txt"]

log = logging.getLogger(__name__)


@dataclass
class Parcel:
    """One parcel of the file: its header line number and fields, its coordinate rows, their decimals."""

    line: int
    fields: list[str]
    rows: list[tuple[int, str, int, float, float]]
    decimals: int = 3


def _decimals_of(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def decode_text(p: Path, encoding: str | None) -> str:
    """Return the file's text: in ``encoding``, else UTF-8 (BOM or not), else GB18030; raise naming the file."""
    raw = p.read_bytes()
    if encoding:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            msg = f"{p}: cannot be decoded as {encoding} ({exc}); try --encoding gb18030 or utf-8"
            raise EncodingError(msg) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="strict")


_SECTION = re.compile(r"^[\[【]\s*(属性描述|地块坐标)\s*[\]】]$")


def parse_txt(text: str, p: Path, qa: QALog) -> tuple[dict[str, str], list[Parcel]]:
    """Split the text into the ``[属性描述]`` values and the parcels; raise :class:`DataError` naming bad lines."""
    header: dict[str, str] = {}
    parcels: list[Parcel] = []
    section = None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace("，", ",")
        if not line:
            continue
        m = _SECTION.match(line.replace(" ", ""))
        if m:
            section = m.group(1)
            continue
        if section == "属性描述":
            key, sep, value = line.replace("＝", "=").partition("=")
            if sep:
                header[key.strip()] = value.strip()
            else:
                qa.add("txt_line", f"line {n} of [属性描述] is not key=value: {line!r}; ignored", layer=str(p))
        elif section == "地块坐标":
            fields = [f.strip() for f in line.split(",")]
            if fields[-1] == "@" or line.endswith("@"):
                parcels.append(Parcel(n, fields, []))
            else:
                _parcel_row(parcels, fields, n, line, p)
        else:
            msg = (
                f"{p}: line {n} ({line!r}) comes before the [属性描述] / [地块坐标] sections; is this a coordinate TXT?"
            )
            raise DataError(msg)
    if not parcels:
        msg = f"{p}: no parcel in [地块坐标] (a parcel starts with a line ending in '@')"
        raise DataError(msg)
    return header, parcels


def _parcel_row(parcels: list[Parcel], fields: list[str], n: int, line: str, p: Path) -> None:
    """Append one coordinate row (点号, 圈号, X, Y) to the current parcel, or raise naming the line."""
    if not parcels:
        msg = f"{p}: line {n} ({line!r}) is a coordinate row before any parcel header line (ending in '@')"
        raise DataError(msg)
    try:
        if len(fields) < 4:
            raise ValueError(len(fields))
        ring = int(float(fields[1]))
        a, b = float(fields[2]), float(fields[3])
    except ValueError as exc:
        msg = (
            f"{p}: line {n} ({line!r}) is not a coordinate row '点号,圈号,X,Y' (expected 4 comma-separated "
            "fields with numbers in the last three)"
        )
        raise DataError(msg) from exc
    parcels[-1].rows.append((n, fields[0], ring, a, b))
    if len(parcels[-1].rows) == 1:
        parcels[-1].decimals = 9
    parcels[-1].decimals = min(parcels[-1].decimals, _decimals_of(fields[2]), _decimals_of(fields[3]))


def _kind(v: float) -> str:
    if 1e7 <= v < 1e8:
        return "E8"
    if 1e6 <= v < 1e7:
        return "N"
    if 1e5 <= v < 1e6:
        return "E6"
    return "?"


def axes_swapped(parcels: list[Parcel], p: Path, *, trust_order: bool) -> bool:
    """Return True when X and Y are swapped in every row; raise when the rows disagree or cannot tell."""
    normal, swapped, unclear = [], [], []
    for parcel in parcels:
        for n, _, _, a, b in parcel.rows:
            ka, kb = _kind(abs(a)), _kind(abs(b))
            if ka == "N" and kb in ("E8", "E6"):
                normal.append(n)
            elif kb == "N" and ka in ("E8", "E6"):
                swapped.append(n)
            else:
                unclear.append(n)
    if normal and swapped:
        msg = (
            f"{p}: the X/Y order differs between rows: X (northing, 7 digits) first on lines "
            f"{_few(normal)}, Y (easting) first on lines {_few(swapped)}; correct the file"
        )
        raise DataError(msg)
    if unclear and not trust_order:
        msg = (
            f"{p}: lines {_few(unclear)} have coordinates whose magnitudes do not identify northing "
            "(7 digits) "
            "and easting (8 digits with the zone number, or 6); are they local or scaled coordinates? Pass "
            "the CRS explicitly (--crs) to read them in the declared X,Y order"
        )
        raise DataError(msg)
    return bool(swapped) and not normal


def _few(lines: list[int]) -> str:
    return ", ".join(map(str, lines[:5])) + (f" … ({len(lines)} in all)" if len(lines) > 5 else "")


def _int_in(text: str | None) -> int | None:
    m = re.search(r"\d+", text or "")
    return int(m.group()) if m else None


def file_crs(header: dict[str, str], eastings: np.ndarray, p: Path, qa: QALog) -> CRS:
    """Return the CRS the file's header and eastings declare; raise when they contradict each other."""
    zone_hdr = _int_in(header.get("带号"))
    prefixed = bool(np.all(eastings >= 1e7))
    if prefixed:
        zones = sorted({int(e // 1_000_000) for e in eastings})
        if len(zones) > 1:
            msg = f"{p}: the Y coordinates carry different zone numbers {zones}; one file holds one zone"
            raise DataError(msg)
        zone = zones[0]
        if zone_hdr is not None and zone_hdr != zone:
            msg = (
                f"{p}: the header says 带号={zone_hdr} but the Y coordinates begin with the zone "
                f"number {zone}; "
                "correct 带号 or the coordinates"
            )
            raise DataError(msg)
    elif zone_hdr is None:
        msg = (
            f"{p}: the Y coordinates have no zone prefix (6 digits) and the header has no 带号, so the "
            "Gauss-Krüger zone is unknown; add 带号 to the file or pass the CRS (--crs, e.g. EPSG:4547)"
        )
        raise CRSError(msg)
    else:
        zone = zone_hdr
    datum = datum_of_label(header.get("坐标系", ""))
    if datum is None:
        datum = "CGCS2000"
        qa.add(
            "txt_datum",
            f"坐标系={header.get('坐标系', '')!r} names no known datum ({', '.join(DATUM_LABELS.values())}); "
            "read as 2000国家大地坐标系 (CGCS2000); pass --crs if it is another",
            layer=str(p),
        )
    width = _int_in(header.get("几度分带")) or (3 if zone >= 24 else 6)
    return gk_crs(datum, width, zone, prefix=prefixed)


def check_user_crs(crs: CRS, eastings: np.ndarray, header: dict[str, str], p: Path) -> None:
    """Raise :class:`CRSError` when a CRS the user names contradicts the file (zone prefix, zone number)."""
    gk = gk_zone_of_crs(crs)
    if gk is None:
        return
    prefixed = bool(np.all(eastings >= 1e7))
    if gk.prefix != prefixed:
        msg = (
            f"{p}: --crs {crs_label(crs)} {'expects' if gk.prefix else 'does not expect'} the zone number in "
            f"the Y coordinates, but the file's Y values {'have' if prefixed else 'do not have'} it"
        )
        raise CRSError(msg)
    zone_hdr = _int_in(header.get("带号"))
    zone_file = int(eastings[0] // 1_000_000) if prefixed else zone_hdr
    if zone_file is not None and zone_file != gk.zone:
        msg = f"{p}: --crs {crs_label(crs)} is zone {gk.zone} but the file is in zone {zone_file}"
        raise CRSError(msg)


def _rings(parcel: Parcel, swapped: bool, p: Path, qa: QALog) -> list[np.ndarray]:
    order: list[int] = []
    by_ring: dict[int, list[tuple[float, float]]] = {}
    for _, _, ring, a, b in parcel.rows:
        n_, e_ = (b, a) if swapped else (a, b)
        if ring not in by_ring:
            order.append(ring)
            by_ring[ring] = []
        by_ring[ring].append((e_, n_))
    rings = []
    for r in order:
        xy = np.asarray(by_ring[r], dtype=float)
        if len(xy) and not np.array_equal(xy[0], xy[-1]):
            qa.add(
                "txt_ring_open",
                f"parcel on line {parcel.line}, ring {r}: not closed on its first point; closed",
                layer=str(p),
                feature=parcel.line,
                action="closed",
            )
            xy = np.vstack([xy, xy[:1]])
        if len(np.unique(xy[:-1], axis=0)) < 3:
            msg = f"{p}: parcel on line {parcel.line}, ring {r} has fewer than 3 distinct points"
            raise DataError(msg)
        rings.append(xy)
    return rings


def _nest(rings: list[np.ndarray]) -> shapely.Geometry:
    """Build (multi)polygons from rings by containment: a ring inside an odd number of rings is a hole."""
    polys = [shapely.Polygon(r) for r in rings]
    idx = sorted(range(len(polys)), key=lambda i: -abs(polys[i].area))
    parent: dict[int, int | None] = {}
    depth: dict[int, int] = {}
    for k, i in enumerate(idx):
        pt = shapely.Point(rings[i][0])
        cands = [j for j in idx[:k] if polys[j].covers(pt) and polys[j].covers(polys[i].representative_point())]
        parent[i] = cands[-1] if cands else None
        depth[i] = depth[cands[-1]] + 1 if cands else 0
    shells = [i for i in idx if depth[i] % 2 == 0]
    parts = [shapely.Polygon(rings[i], [rings[j] for j in idx if parent[j] == i and depth[j] % 2 == 1]) for i in shells]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _declared(fields: list[str], i: int) -> str:
    return fields[i] if len(fields) > i and fields[i] != "@" else ""


def parcels_frame(
    parcels: list[Parcel],
    header: dict[str, str],
    is_swapped: bool,
    target: CRS,
    p: Path,
    qa: QALog,
    zone_id: str,
) -> gpd.GeoDataFrame:
    """Nest each parcel's rings into polygons, check declared counts and areas, and return the parcel table."""
    rows, geoms = [], []
    for k, parcel in enumerate(parcels, start=1):
        if not parcel.rows:
            msg = f"{p}: the parcel on line {parcel.line} has no coordinate rows"
            raise DataError(msg)
        rings = _rings(parcel, is_swapped, p, qa)
        geom = _nest(rings)
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            qa.add(
                "txt_invalid",
                f"parcel on line {parcel.line} is not a valid polygon ({reason}); repaired",
                layer=str(p),
                feature=parcel.line,
                action="repaired",
            )
            geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
        f = parcel.fields
        area = float(geom.area)
        n_decl = _int_in(_declared(f, 0))
        n_rows, n_rings = len(parcel.rows), len(rings)
        if n_decl is not None and n_decl not in (n_rows, n_rows - n_rings, sum(len(r) for r in rings)):
            qa.add(
                "txt_point_count",
                f"parcel on line {parcel.line} declares {n_decl} points but lists {n_rows} rows",
                layer=str(p),
                feature=parcel.line,
            )
        # rounding the coordinates to d decimals moves a vertex ≤ 0.71·10⁻ᵈ m: the area ≤ perimeter × that
        slack_m2 = float(geom.length) * 0.71 * 10.0 ** (-parcel.decimals)
        area_decl = _area_check(_declared(f, 1), area, parcel.line, p, qa, slack_m2=slack_m2)
        rows.append(
            {
                "zone_id": zone_id,
                "parcel_no": k,
                "parcel_id": _declared(f, 2),
                "parcel_name": _declared(f, 3),
                "use": _declared(f, 6),
                "land_code": _declared(f, 7),
                "sheet": _declared(f, 5),
                "points_declared": n_decl,
                "points_listed": n_rows,
                "rings": n_rings,
                "area_ha_declared": area_decl,
                "area_m2": area,
                "area_ha": area / M2_PER_HA,
                "area_mu": area / M2_PER_MU,
                "source": f"{p}:{parcel.line}",
            }
        )
        geoms.append(geom)
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=target)
    gdf.attrs["header"] = dict(header)
    gdf.attrs["axes_swapped"] = is_swapped
    log.info("%s: read %d parcels in %s", p, len(gdf), crs_label(target))
    return gdf


def _area_check(text: str, area_m2: float, line: int, p: Path, qa: QALog, *, slack_m2: float) -> float | None:
    """Compare a declared area (公顷) with the rings' area; a mismatch beyond the rounding is a QA row.

    Allowed: half a unit of the declared area's last decimal, plus ``slack_m2`` (what rounding the listed
    coordinates can change: the declaring tool may have measured the unrounded polygon).
    """
    m = re.search(r"[-+]?\d+(\.\d*)?", text or "")
    if not m:
        return None
    value = float(m.group())
    decimals = len(m.group(1)) - 1 if m.group(1) else 0
    tol_ha = 0.5 * 10.0 ** (-decimals) + slack_m2 / M2_PER_HA + 1e-9
    if abs(value - area_m2 / M2_PER_HA) > tol_ha:
        qa.add(
            "txt_area",
            f"parcel on line {line} declares {value} 公顷 but its rings enclose "
            f"{area_m2 / M2_PER_HA:.4f} 公顷 ({area_m2:.2f} m²)",
            layer=str(p),
            feature=line,
            area_m2=area_m2,
        )
    return value
