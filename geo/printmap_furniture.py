"""Map furniture for :mod:`geo.printmap`: page size, round lengths, the grid in km, the scale bar, the north
arrow, the CRS line, feature and point labels, and text wrapping for Chinese panels."""

from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.patches import Polygon, Rectangle
from pyproj import CRS, Proj, Transformer

from geo.gk import gk_zone_of_crs

__all__ = [
    "crs_text",
    "draw_grid",
    "draw_north_arrow",
    "draw_points",
    "draw_scale_bar",
    "fit_extent",
    "label_features",
    "meridian_convergence",
    "nice_length",
    "paper_pixels",
    "wrap_text",
]


def paper_pixels(paper_mm: tuple[float, float], dpi: int) -> tuple[int, int]:
    """Return the pixel size of a page.

    >>> paper_pixels((297, 210), 200)
    (2339, 1654)
    """
    return round(paper_mm[0] / 25.4 * dpi), round(paper_mm[1] / 25.4 * dpi)


def nice_length(target: float) -> float:
    """Return the round length (1, 2, 2.5 or 5 × 10^k) not above ``target``.

    >>> nice_length(730.0), nice_length(0.3), nice_length(2600)
    (500.0, 0.25, 2500.0)
    """
    k = math.floor(math.log10(target))
    for m in (5.0, 2.5, 2.0, 1.0):
        if m * 10**k <= target:
            return m * 10**k
    return 10.0 ** (k - 1) * 5


def fit_extent(bounds: np.ndarray, box_w: float, box_h: float, margin: float) -> tuple[float, float, float, float]:
    """Return the map extent (x0, x1, y0, y1): the bounds with ``margin``, widened to the frame's aspect."""
    minx, miny, maxx, maxy = bounds
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    w, h = w * (1 + 2 * margin), h * (1 + 2 * margin)
    if w / h < box_w / box_h:
        w = h * box_w / box_h
    else:
        h = w * box_h / box_w
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


def label_features(ax: object, gdf: gpd.GeoDataFrame, text_column: str, *, size: float, zorder: float) -> None:
    """Label each name once, on its largest visible piece (lines: along the line at its middle)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    view = shapely.box(x0, y0, x1, y1)
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    for text, group in gdf.groupby(text_column):
        geom = group.geometry.union_all().intersection(view)
        if geom.is_empty or not str(text).strip():
            continue
        parts = list(getattr(geom, "geoms", [geom]))
        best = max(parts, key=lambda g: g.length if "Line" in g.geom_type else g.area)
        angle = 0.0
        if "Line" in best.geom_type and best.length > 0:
            mid = best.interpolate(0.5, normalized=True)
            a = best.interpolate(max(0.0, 0.5 - 0.05), normalized=True)
            b = best.interpolate(min(1.0, 0.5 + 0.05), normalized=True)
            angle = math.degrees(math.atan2(b.y - a.y, b.x - a.x))
            angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
        else:
            mid = best.representative_point() if not best.is_empty else best
        ax.text(
            mid.x,
            mid.y,
            str(text),
            fontsize=size,
            rotation=angle,
            rotation_mode="anchor",
            ha="center",
            va="center",
            color="#222222",
            path_effects=halo,
            zorder=zorder + 5,
            clip_on=True,
        )


_NO_LINE_START = set("，。、；：）」』》！？,.;:)")


def wrap_text(text: str, width: int) -> list[str]:
    """Wrap text by display width (a CJK character counts 2), never inside a run of ASCII letters/digits."""

    tokens = re.findall(r"[A-Za-z0-9.,:%+\-]+|.", text)
    lines, cur, w = [], "", 0
    for tok in tokens:
        tw = sum(2 if ord(ch) > 0x2E80 else 1 for ch in tok)
        if w + tw > width and cur and tok not in _NO_LINE_START:
            lines.append(cur)
            cur, w = "", 0
        cur += tok
        w += tw
    return [*lines, cur] if cur else lines


def _decimals(step_km: float) -> int:
    for d in range(4):
        if abs(round(step_km, d) - step_km) < 1e-9:
            return d
    return 3


def draw_grid(ax: object, extent: tuple[float, float, float, float], crs: CRS, zone_prefix: int | None) -> None:
    """Draw the coordinate grid at a round interval, labelled in km (northing X, easting Y with the zone)."""
    x0, x1, y0, y1 = extent
    step = nice_length((x1 - x0) / 4)
    d = _decimals(step / 1000)
    xs = np.arange(math.ceil(x0 / step) * step, x1, step)
    ys = np.arange(math.ceil(y0 / step) * step, y1, step)
    ax.set_xticks(xs, [f"{v / 1000:.{d}f}" for v in xs], fontsize=7)
    ax.set_yticks(ys, [f"{v / 1000:.{d}f}" for v in ys], fontsize=7)
    ax.tick_params(top=True, right=True, direction="in", length=4)
    ax.grid(True, color="#888888", linewidth=0.4, linestyle=(0, (4, 3)), alpha=0.7, zorder=0.5)
    east = f"东坐标 Y（km{f'，含带号 {zone_prefix}' if zone_prefix else ''}）"
    ax.set_xlabel(east, fontsize=8)
    ax.set_ylabel("北坐标 X（km）", fontsize=8)
    ax.set_axisbelow(False)
    _ = crs


def draw_scale_bar(ax: object, extent: tuple[float, float, float, float], paper_width_m: float) -> str:
    """Draw a four-segment scale bar of a round length at the lower left; return the print scale ``1:N``."""
    x0, x1, y0, y1 = extent
    w, h = x1 - x0, y1 - y0
    length = nice_length(w / 5)
    bx, by, bh = x0 + 0.04 * w, y0 + 0.045 * h, 0.011 * h
    ax.add_patch(
        Rectangle(
            (bx - 0.015 * w, by - 0.035 * h),
            length + 0.05 * w,
            0.095 * h,
            facecolor="white",
            edgecolor="#999999",
            linewidth=0.5,
            alpha=0.9,
            zorder=20,
        )
    )
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (bx + i * length / 4, by),
                length / 4,
                bh,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
                zorder=21,
            )
        )
    unit, div = ("km", 1000.0) if length >= 1000 else ("m", 1.0)
    for v in (0, length / 2, length):
        ax.text(bx + v, by - 0.006 * h, f"{v / div:g}", ha="center", va="top", fontsize=6.5, zorder=22)
    ax.text(bx + length + 0.012 * w, by + bh / 2, unit, ha="left", va="center", fontsize=6.5, zorder=22)
    scale = w / paper_width_m
    mag = 10 ** max(0, math.floor(math.log10(scale)) - 2)
    label = f"1:{round(scale / mag) * mag:,.0f}"
    ax.text(
        bx,
        by + bh + 0.012 * h,
        f"比例尺 {label}（A4 原大打印）",
        ha="left",
        va="bottom",
        fontsize=6.5,
        zorder=22,
    )
    return label


def draw_north_arrow(ax: object) -> None:
    """Draw a north arrow (grid north) at the upper right of the map frame."""
    cx, y0, y1, hw = 0.94, 0.84, 0.93, 0.018
    t = ax.transAxes
    ax.add_patch(
        Rectangle(
            (cx - 0.035, y0 - 0.015),
            0.07,
            y1 - y0 + 0.075,
            transform=t,
            facecolor="white",
            edgecolor="#999999",
            linewidth=0.5,
            alpha=0.9,
            zorder=24,
        )
    )
    ax.add_patch(
        Polygon(
            [(cx, y1), (cx - hw, y0), (cx, y0 + 0.02)],
            closed=True,
            transform=t,
            facecolor="black",
            edgecolor="black",
            linewidth=0.8,
            zorder=25,
        )
    )
    ax.add_patch(
        Polygon(
            [(cx, y1), (cx + hw, y0), (cx, y0 + 0.02)],
            closed=True,
            transform=t,
            facecolor="white",
            edgecolor="black",
            linewidth=0.8,
            zorder=25,
        )
    )
    ax.text(
        cx,
        y1 + 0.012,
        "北",
        transform=t,
        ha="center",
        va="bottom",
        fontsize=10,
        fontweight="bold",
        zorder=25,
        path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
    )


def crs_text(crs: CRS) -> str:
    """Return the CRS as Chinese boundary documents state it (datum, zone width, zone, CM, prefix, EPSG)."""
    gk = gk_zone_of_crs(crs)
    epsg = crs.to_epsg()
    if gk is None:
        return f"{crs.name}" + (f"（EPSG:{epsg}）" if epsg else "")
    prefix = "，东坐标含带号" if gk.prefix else ""
    return (
        f"{gk.datum_label}，高斯-克吕格投影 {gk.width_deg}° 分带第 {gk.zone} 带（中央经线 "
        f"{gk.central_meridian_deg:g}°E{prefix}，EPSG:{gk.epsg}）"
    )


def meridian_convergence(crs: CRS, x: float, y: float) -> float | None:
    """Return the meridian convergence (degrees) at a point of the map, or None when it cannot be computed."""
    try:
        lon, lat = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True).transform(x, y)
        return float(Proj(crs).get_factors(lon, lat).meridian_convergence)
    except Exception:
        return None


def draw_points(ax: object, pts: gpd.GeoDataFrame, min_sep: float) -> None:
    """Mark every point; label them in order, skipping a label closer than ``min_sep`` to one placed."""
    halo = [patheffects.withStroke(linewidth=2, foreground="white")]
    ax.scatter(pts.geometry.x, pts.geometry.y, s=6, color="black", zorder=30)
    placed: list[tuple[float, float]] = []
    for x, y, label in zip(pts.geometry.x, pts.geometry.y, pts["point"], strict=True):
        if any(math.hypot(x - px, y - py) < min_sep for px, py in placed):
            continue
        placed.append((x, y))
        ax.annotate(
            str(label),
            (x, y),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=6,
            zorder=31,
            path_effects=halo,
        )
