"""四至: a zone's four-side description — extreme points and the named feature beyond each side.

For each zone:

- **Extreme points.** The east-, west-, south- and north-most boundary points (max / min easting, min /
  max northing), named by their number in the boundary-point table (:mod:`boundaries.boundary_points`);
  ties within 1 mm go to the first in that table's order.
- **The sides.** Each edge of the zone's outer boundary (holes are ignored) faces the direction its
  outward normal is within 45° of, so the boundary splits into an east, north, west and south side.
- **The named feature beyond each side (东至、西至、南至、北至).** A side's region is the land within
  ``search_m`` metres outside its edges (a one-sided buffer of the side's edge chains, minus the zone).
  Among the named features (roads, rivers, place names) that reach into the region, the one nearest the
  zone wins; features within ``tie_m`` of the nearest are ranked by how much of the side they run along
  (the length of the side's edges they face: covered by their shadow cast back against the side's
  direction; for a neighbouring polygon, the shared boundary), then by name. Pieces of one name (road
  segments) count as one feature.
- **What never names a side.** A feature that runs *through* the zone — inside it and out beyond the
  opposite side too, like a road crossing the zone from west to east — does not bound it on that axis.
  A road, river or area that runs along less than ``min_along_share`` (default 20 %) of the side only
  crosses or touches it (a street leaving the zone); place-name points are exempt. With none left:
  "cannot name, because no named feature within N m", or "… within N m only: …" naming what was set
  aside and why.

Multi-part zones are described as a whole (the sides of all parts together).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from shapely.geometry.polygon import orient

from boundaries.boundary_points import boundary_points
from geo.crs import crs_label
from geo.errors import CRSError
from geo.io import find_field
from geo.qa import QALog

__all__ = [
    "NAME_FIELDS",
    "SIDES",
    "ExtremePoint",
    "FourSides",
    "SideName",
    "describe_four_sides",
    "four_sides_frame",
    "named_features",
    "side_chains",
    "side_region",
]

log = logging.getLogger(__name__)

#: Usual name fields, most Chinese first: OSM ``name:zh``, 名称, MC, 地名 DMMC, 河流 HLMC, 村 CUNMC,
#: 居民点 JMDMC, 坐落单位 ZLDWMC, road names, NAME.
NAME_FIELDS = (
    "name:zh",
    "name_zh",
    "名称",
    "MC",
    "DMMC",
    "HLMC",
    "CUNMC",
    "JMDMC",
    "ZLDWMC",
    "ROADNAME",
    "ROAD_NAME",
    "NAME",
    "name",
)
#: (side, label, unit direction (east, north)).
SIDES: tuple[tuple[str, str, tuple[float, float]], ...] = (
    ("east", "东至", (1.0, 0.0)),
    ("west", "西至", (-1.0, 0.0)),
    ("south", "南至", (0.0, -1.0)),
    ("north", "北至", (0.0, 1.0)),
)
_OPPOSITE = {"east": "west", "west": "east", "south": "north", "north": "south"}
_TIE_M = 0.001


@dataclass(frozen=True)
class ExtremePoint:
    """The east-, west-, south- or north-most boundary point of a zone."""

    side: str
    point: str
    northing_m: float
    easting_m: float


@dataclass(frozen=True)
class SideName:
    """The named feature beyond one side, or why there is none."""

    side: str
    label: str
    name: str | None
    layer: str | None
    distance_m: float | None
    along_m: float | None
    text: str
    reason: str


@dataclass(frozen=True)
class FourSides:
    """The 四至 of one zone."""

    zone_id: str
    zone_name: str
    extremes: tuple[ExtremePoint, ...]
    sides: tuple[SideName, ...]
    search_m: float
    names_data: str

    @property
    def text(self) -> str:
        """Return the four-side sentence, e.g. ``东至人民路，西至马颊河，南至胜利路，北至…``."""
        return "，".join(s.text for s in self.sides)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (plain values)."""
        return {
            "zone_id": self.zone_id,
            "zone_name": self.zone_name,
            "text": self.text,
            "search_m": self.search_m,
            "names_data": self.names_data,
            "extremes": [asdict(e) for e in self.extremes],
            "sides": [asdict(s) for s in self.sides],
        }


def named_features(
    layers: Mapping[str, gpd.GeoDataFrame], *, name_field: str | None = None, qa: QALog | None = None
) -> gpd.GeoDataFrame:
    """Combine road, river and place-name layers into one table of named features.

    Parameters
    ----------
    layers : mapping of label → GeoDataFrame
        Each in the zones' CRS; the label (e.g. ``"roads"``) is kept in the ``layer`` column.
    name_field : str, optional, keyword-only
        The name field in every layer (default: the first of :data:`NAME_FIELDS` present).
    qa : QALog, optional, keyword-only
        Receives a row per layer with features without a name (they are not used).

    Returns
    -------
    GeoDataFrame
        Columns ``name``, ``layer``, geometry; one row per named feature.
    """
    frames = []
    crs = None
    for label, gdf in layers.items():
        crs = crs or gdf.crs
        cols = [c for c in gdf.columns if c != gdf.geometry.name]
        field = find_field(cols, name_field, NAME_FIELDS, what="feature name", option="--name-field", source=label)
        names = gdf[field].astype(object).where(gdf[field].notna(), "").astype(str).str.strip()
        unnamed = int((names == "").sum())
        if unnamed and qa is not None:
            qa.add(
                "unnamed_feature",
                f"{unnamed} of {len(gdf)} features have no name in field {field!r}; they "
                "cannot name a side and are not used for 四至",
                layer=label,
                field=field,
                severity="info",
            )
        keep = (names != "").to_numpy() & gdf.geometry.notna().to_numpy()
        frames.append(
            gpd.GeoDataFrame(
                {"name": names[keep].to_numpy(), "layer": label},
                geometry=gdf.geometry[keep].to_numpy(),
                crs=gdf.crs,
            )
        )
    if not frames:
        return gpd.GeoDataFrame({"name": [], "layer": []}, geometry=[], crs=crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)


def _filled(geom: shapely.Geometry) -> shapely.Geometry:
    parts = getattr(geom, "geoms", [geom])
    return shapely.union_all([shapely.Polygon(p.exterior) for p in parts if isinstance(p, shapely.Polygon)])


def _chains(ring: np.ndarray, on_side: np.ndarray) -> list[np.ndarray]:
    """Return runs of consecutive edges marked ``on_side`` of a closed ring as vertex arrays."""
    n = len(on_side)
    if on_side.all():
        return [ring]
    start = int(np.flatnonzero(~on_side)[0]) + 1  # begin just after an edge not on the side
    order = [(start + k) % n for k in range(n)]
    chains, cur = [], []
    for i in order:
        if on_side[i]:
            cur = cur or [ring[i]]
            cur.append(ring[i + 1])
        elif cur:
            chains.append(np.asarray(cur))
            cur = []
    if cur:
        chains.append(np.asarray(cur))
    return chains


def side_chains(geom: shapely.Geometry, direction: tuple[float, float]) -> shapely.Geometry:
    """Return the edges of the zone's outer boundary that face ``direction``, as lines.

    An edge faces a direction when its outward normal is within 45° of it (each edge faces exactly one of
    east, north, west, south). Holes are ignored (the zone is filled first).

    >>> from shapely import box
    >>> side_chains(box(0, 0, 10, 10), (0.0, 1.0)).wkt
    'MULTILINESTRING ((10 10, 0 10))'
    """
    target = math.atan2(direction[1], direction[0])
    lines = []
    for poly in getattr(_filled(geom), "geoms", [_filled(geom)]):
        ring = np.asarray(orient(poly, 1.0).exterior.coords)[:, :2]
        d = np.diff(ring, axis=0)
        normal = np.arctan2(-d[:, 0], d[:, 1])  # outward normal (dy, -dx) of a counter-clockwise ring
        diff = (normal - target + math.pi) % (2 * math.pi) - math.pi
        on_side = (diff >= -math.pi / 4) & (diff < math.pi / 4) & (np.hypot(d[:, 0], d[:, 1]) > 0)
        if on_side.any():
            lines += [shapely.LineString(c) for c in _chains(ring, on_side)]
    return shapely.MultiLineString(lines)


def side_region(geom: shapely.Geometry, direction: tuple[float, float], search_m: float) -> shapely.Geometry:
    """Return the land within ``search_m`` m outside the zone's edges that face ``direction``.

    The region is a one-sided buffer, outward, of the side's edge chains (:func:`side_chains`), minus the
    zone.

    >>> from shapely import box
    >>> side_region(box(0, 0, 10, 10), (1.0, 0.0), 5.0).bounds
    (10.0, 0.0, 15.0, 10.0)
    """
    chains = side_chains(geom, direction)
    if chains.is_empty:
        return shapely.Polygon()
    pieces = [c.buffer(-search_m, single_sided=True, join_style="round") for c in chains.geoms]
    return shapely.difference(shapely.union_all(pieces), _filled(geom))


def _extremes(pts: pd.DataFrame) -> tuple[ExtremePoint, ...]:
    v = pts[~pts["closing"]]
    out = []
    for side, col, sign in (
        ("east", "easting_m", 1),
        ("west", "easting_m", -1),
        ("south", "northing_m", -1),
        ("north", "northing_m", 1),
    ):
        vals = v[col].to_numpy() * sign
        i = int(np.flatnonzero(vals >= vals.max() - _TIE_M)[0])
        r = v.iloc[i]
        out.append(ExtremePoint(side, str(r["point"]), float(r["northing_m"]), float(r["easting_m"])))
    return tuple(out)


_EMPTY = ["name", "layer", "distance_m", "along_m", "through", "point", "side_m"]


def _shadow(geom: shapely.Geometry, direction: tuple[float, float], dist: float) -> shapely.Geometry:
    """Return the area swept by moving ``geom`` back ``dist`` metres against ``direction`` (its "shadow")."""
    d = np.array([-direction[0] * dist, -direction[1] * dist])
    pieces, lines = [], []
    for part in shapely.get_parts(geom):
        if shapely.get_type_id(part) == 3:  # polygon: itself, moved, and the sweep of its rings
            pieces += [part, shapely.affinity.translate(part, d[0], d[1])]
            lines += list(shapely.get_parts(shapely.boundary(part)))
        elif shapely.get_type_id(part) in (1, 2):
            lines.append(part)
    for line in lines:
        xy = shapely.get_coordinates(line)
        if len(xy) >= 2:
            p, q = xy[:-1], xy[1:]
            pieces += [g for g in shapely.polygons(np.stack([p, q, q + d, p + d, p], axis=1)) if g.area > 0]
    return shapely.union_all(pieces) if pieces else shapely.Polygon()


def _candidates(
    filled: shapely.Geometry,
    names: gpd.GeoDataFrame,
    tree: shapely.STRtree,
    sides: Mapping[str, tuple[shapely.Geometry, shapely.Geometry]],
    side: str,
    direction: tuple[float, float],
    search_m: float,
) -> pd.DataFrame:
    """Rank-ready figures of every named feature reaching into a side's region (pieces of a name merged).

    ``along_m`` is the length of the side's edges the feature's part in the region faces: the edges its
    shadow, cast back against the side's direction by ``search_m``, covers. A road parallel to the side
    faces the stretch it runs along; a street leaving the zone at right angles faces almost nothing.
    """
    region, chains = sides[side]
    idx = tree.query(region, predicate="intersects")
    if len(idx) == 0:
        return pd.DataFrame(columns=_EMPTY)
    sub = names.iloc[idx]
    inner = shapely.buffer(filled, -1.0)
    opposite = sides[_OPPOSITE[side]][0]
    rows = []
    for name, group in sub.groupby("name", sort=True):
        feat = shapely.union_all(np.asarray(group.geometry.values, dtype=object))
        part = shapely.intersection(feat, region)
        if part.is_empty:
            continue
        shadow = _shadow(part, direction, search_m + 1.0)
        rows.append(
            {
                "name": name,
                "layer": str(group["layer"].iloc[0]),
                "distance_m": float(shapely.distance(part, filled)),
                "along_m": float(shapely.length(shapely.intersection(chains, shadow))),
                "through": bool(shapely.intersects(feat, inner) and shapely.intersects(feat, opposite)),
                "point": bool(shapely.get_type_id(feat) in (0, 4)),
                "side_m": float(chains.length),
            }
        )
    return pd.DataFrame(rows, columns=_EMPTY)


def _few(names: list[str], sep: str, more: str) -> str:
    return sep.join(names[:3]) + (more.format(len(names)) if len(names) > 3 else "")


def _cannot(label: str, search_m: float, through: list[str], short: list[str], share: float) -> tuple[str, str]:
    """Return the text and reason of a side that cannot be named (at most three names listed)."""
    if not through and not short:
        return (
            f"{label}：无法命名（{search_m:g} 米内无有名称的道路、河流或地名）",
            f"cannot name, because no named feature within {search_m:g} m",
        )
    zh = [f"{_few(through, '、', '等 {} 条')}穿越开发区"] if through else []
    en = [f"{_few(through, ', ', ' (of {})')} run(s) through the zone"] if through else []
    if short:
        zh.append(f"{_few(short, '、', '等 {} 处')}沿该边不足 {share:.0%}")
        en.append(f"{_few(short, ', ', ' (of {})')} run(s) along less than {share:.0%} of this side")
    return (
        f"{label}：无法命名（{search_m:g} 米内仅有：{'；'.join(zh)}）",
        f"cannot name, because within {search_m:g} m only: {'; '.join(en)}",
    )


def _pick(
    c: pd.DataFrame,
    side: str,
    label: str,
    *,
    search_m: float,
    tie_m: float,
    min_along_share: float,
    no_layer: bool,
) -> SideName:
    if no_layer:
        reason = "cannot name, because no roads, rivers or place-names layer was given"
        return SideName(side, label, None, None, None, None, f"{label}：无法命名（未提供道路、河流或地名图层）", reason)
    through = c["through"].astype(bool) if len(c) else pd.Series(dtype=bool)
    short = (~c["point"].astype(bool) & (c["along_m"] < min_along_share * c["side_m"])) if len(c) else through
    pool = c[~through & ~short] if len(c) else c
    if pool.empty:
        text, reason = _cannot(
            label,
            search_m,
            sorted(c.loc[through, "name"]) if len(c) else [],
            sorted(c.loc[~through & short, "name"]) if len(c) else [],
            min_along_share,
        )
        return SideName(side, label, None, None, None, None, text, reason)
    near = pool[pool["distance_m"] <= pool["distance_m"].min() + tie_m]
    best = near.sort_values(["along_m", "name"], ascending=[False, True]).iloc[0]
    reason = (
        f"nearest named feature beyond the side, {best['distance_m']:.1f} m from the boundary, along "
        f"{best['along_m']:.0f} m of its {best['side_m']:.0f} m"
    )
    return SideName(
        side,
        label,
        str(best["name"]),
        str(best["layer"]),
        float(best["distance_m"]),
        float(best["along_m"]),
        f"{label}{best['name']}",
        reason,
    )


def describe_four_sides(
    zones: gpd.GeoDataFrame,
    names: gpd.GeoDataFrame | None = None,
    *,
    search_m: float = 200.0,
    tie_m: float = 1.0,
    min_along_share: float = 0.2,
    points: gpd.GeoDataFrame | None = None,
    names_data: str = "",
) -> list[FourSides]:
    """Describe each zone's four sides (四至); see the module docstring for the method.

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones (``zone_id``, ``zone_name``) in a projected CRS in metres.
    names : GeoDataFrame, optional
        Named features from :func:`named_features`, in the zones' CRS; None: sides cannot be named.
    search_m : float, keyword-only
        How far beyond each side to look, in metres.
    tie_m : float, keyword-only
        Features this much farther than the nearest still compete on how much of the side they run along.
    min_along_share : float, keyword-only
        A road, river or area must run along at least this share of the side to name it (a road that only
        crosses or touches the side does not); place-name points are exempt.
    points : GeoDataFrame, optional, keyword-only
        The zones' boundary-point table (computed when not given).
    names_data : str, keyword-only
        Where the names came from, recorded in the result.

    Returns
    -------
    list of FourSides

    Raises
    ------
    CRSError
        When the named features are in another CRS than the zones.
    """
    if names is not None and names.crs is not None and not names.crs.equals(zones.crs):
        msg = (
            f"named features are in {crs_label(names.crs)} but the zones in {crs_label(zones.crs)}; "
            "bring them into the zones' CRS first (geo.layers.load_near does)"
        )
        raise CRSError(msg)
    pts = points if points is not None else boundary_points(zones)
    tree = shapely.STRtree(np.asarray(names.geometry.values, dtype=object)) if names is not None else None
    out = []
    for zid, zname, geom in zip(zones["zone_id"], zones["zone_name"], zones.geometry, strict=True):
        geo = {s: (side_region(geom, d, search_m), side_chains(geom, d)) for s, _, d in SIDES}
        filled = _filled(geom)
        sides = []
        for side, label, d in SIDES:
            cand = (
                _candidates(filled, names, tree, geo, side, d, search_m)
                if tree is not None and len(names)
                else pd.DataFrame(columns=_EMPTY)
            )
            sides.append(
                _pick(
                    cand,
                    side,
                    label,
                    search_m=search_m,
                    tie_m=tie_m,
                    min_along_share=min_along_share,
                    no_layer=names is None,
                )
            )
        out.append(
            FourSides(
                str(zid),
                str(zname),
                _extremes(pts[pts["zone_id"] == str(zid)]),
                tuple(sides),
                float(search_m),
                names_data,
            )
        )
    return out


def four_sides_frame(results: Sequence[FourSides]) -> pd.DataFrame:
    """Return one row per zone and side: the extreme point, the named feature, the text and the reason."""
    rows = []
    for r in results:
        ext = {e.side: e for e in r.extremes}
        for s in r.sides:
            e = ext[s.side]
            rows.append(
                {
                    "zone_id": r.zone_id,
                    "zone_name": r.zone_name,
                    "side": s.side,
                    "side_zh": s.label,
                    "point": e.point,
                    "northing_m": e.northing_m,
                    "easting_m": e.easting_m,
                    "name": s.name,
                    "layer": s.layer,
                    "distance_m": s.distance_m,
                    "along_m": s.along_m,
                    "text": s.text,
                    "reason": s.reason,
                    "search_m": r.search_m,
                    "names_data": r.names_data,
                    "sizhi": r.text,
                }
            )
    return pd.DataFrame(rows)
