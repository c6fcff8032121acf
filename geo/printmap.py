"""Static print maps (PNG and PDF) with matplotlib: the ground floor every check can draw with.

A print map has a map frame in a projected CRS (equal scale in both directions), a coordinate grid with
tick labels in kilometres in that CRS (northing X, easting Y, as Gauss-Krüger maps label them), a scale
bar of a round length, a north arrow (grid north; the meridian convergence is printed), a legend, an
information panel, a title, the date and a footer naming the data and the basemap ("底图：无" when no
tiles are drawn: none are, so nothing needs an 审图号 but the data themselves).

Chinese text needs a CJK font: matplotlib's default (DejaVu Sans) has no Chinese glyphs and draws boxes.
:func:`find_cjk_font` looks, in order, at the ``DEVZONE_CJK_FONT`` environment variable (a .ttf/.ttc/.otf
file), at fontconfig (``fc-list :lang=zh``), and at the usual paths on Debian/Ubuntu, macOS and Windows;
a font is accepted only if it has glyphs for the characters of :data:`PROBE_TEXT`. Without one, a
:class:`~geo.errors.DevzoneError` says how to install one. Any glyph still missing when a map is drawn
(matplotlib's "Glyph … missing from font(s)" warning) is an error too: a map is never saved with boxes.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager
from matplotlib.ft2font import FT2Font
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from pyproj import CRS

from geo.errors import DevzoneError
from geo.printmap_furniture import (
    crs_text,
    draw_grid,
    draw_north_arrow,
    draw_points,
    draw_scale_bar,
    fit_extent,
    label_features,
    meridian_convergence,
    nice_length,
    paper_pixels,
    wrap_text,
)

__all__ = [
    "FONT_ENV",
    "PROBE_TEXT",
    "MapLayer",
    "cjk_font",
    "draw_print_map",
    "find_cjk_font",
    "nice_length",
    "paper_pixels",
]

log = logging.getLogger(__name__)

#: Environment variable naming a CJK font file.
FONT_ENV = "DEVZONE_CJK_FONT"
#: Characters a font must cover to be used (zone, boundary, farmland, red line, north, scale).
PROBE_TEXT = "开发区四至界址点永久基本农田生态保护红线城镇边界东西南北比例尺图例公顷亩"
#: fontconfig families preferred, in order (Simplified Chinese first).
PREFERRED = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)
KNOWN_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
)
_INSTALL_HINT = (
    "install one: on Debian/Ubuntu `sudo apt-get install fonts-wqy-zenhei` (or fonts-noto-cjk; "
    "`make install` does it when run as root), on other systems any Chinese TrueType/OpenType font; "
    f"or set {FONT_ENV}=/path/to/font.ttf"
)


def _covers(path: str | Path, text: str = PROBE_TEXT) -> bool:
    try:
        font = FT2Font(str(path))
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) != 0 for ch in text)


def _fontconfig_candidates() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    res = subprocess.run(
        ["fc-list", ":lang=zh", "file", "family"], capture_output=True, text=True, check=False, timeout=30
    )
    found: list[tuple[int, str]] = []
    for line in res.stdout.splitlines():
        path, _, fams = line.partition(":")
        rank = min((i for i, f in enumerate(PREFERRED) if f in fams), default=len(PREFERRED))
        found.append((rank, path.strip()))
    return [p for _, p in sorted(set(found))]


def find_cjk_font() -> Path:
    """Return the path of a font with Chinese glyphs (see the module docstring for the search order).

    Raises
    ------
    DevzoneError
        When ``DEVZONE_CJK_FONT`` names a missing file or a font without Chinese glyphs, or when no CJK font
        is found; the message says how to install one.
    """
    env = os.environ.get(FONT_ENV, "").strip()
    if env:
        if not Path(env).is_file():
            msg = f"{FONT_ENV}={env}: no such font file; point it at a .ttf/.ttc/.otf font with Chinese glyphs"
            raise DevzoneError(msg)
        if not _covers(env):
            msg = f"{FONT_ENV}={env}: this font has no glyphs for Chinese text (e.g. {PROBE_TEXT[:4]}); {_INSTALL_HINT}"
            raise DevzoneError(msg)
        return Path(env)
    for cand in [*_fontconfig_candidates(), *KNOWN_PATHS]:
        if Path(cand).is_file() and _covers(cand):
            return Path(cand)
    msg = "no font with Chinese glyphs found for print maps (matplotlib's default draws boxes); " + _INSTALL_HINT
    raise DevzoneError(msg)


@functools.lru_cache(maxsize=4)
def _registered(path: str) -> str:
    fontManager.addfont(path)
    return FontProperties(fname=path).get_name()


def cjk_font() -> tuple[Path, str]:
    """Return the CJK font's path and family name, registered with matplotlib's font manager."""
    path = find_cjk_font()
    return path, _registered(str(path))


@dataclass(frozen=True)
class MapLayer:
    """One layer of a print map.

    ``column`` + ``colours`` draw categories (legend ``labels`` per category); otherwise one style.
    ``text_column`` labels features (lines along their longest visible piece, others at a point inside).
    """

    gdf: gpd.GeoDataFrame
    label: str
    facecolor: str = "none"
    edgecolor: str = "#333333"
    linewidth: float = 0.6
    linestyle: str = "solid"
    alpha: float = 1.0
    hatch: str | None = None
    zorder: float = 2
    column: str | None = None
    colours: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    legend: bool = True
    text_column: str | None = None
    text_size: float = 7.0
    markersize: float = 10.0


def _draw_layer(ax: object, layer: MapLayer, handles: list, view: shapely.Geometry) -> None:
    """Draw the part of a layer inside ``view``; a layer with nothing in view gets no legend entry."""
    gdf = layer.gdf
    if gdf is None or len(gdf) == 0:
        return
    gdf = gdf[gdf.intersects(view)]
    if len(gdf) == 0:
        return
    groups = (
        [(k, gdf[gdf[layer.column] == k], c) for k, c in layer.colours.items()]
        if layer.column
        else [(None, gdf, layer.facecolor)]
    )
    for key, sub, colour in groups:
        if len(sub) == 0:
            continue
        kind = sub.geometry.geom_type.iloc[0]
        label = layer.labels.get(key, str(key)) if key is not None else layer.label
        if "Polygon" in kind:
            sub.plot(
                ax=ax,
                facecolor=colour,
                edgecolor=layer.edgecolor,
                linewidth=layer.linewidth,
                linestyle=layer.linestyle,
                alpha=layer.alpha,
                hatch=layer.hatch,
                zorder=layer.zorder,
            )
            handle = Patch(
                facecolor=colour,
                edgecolor=layer.edgecolor,
                hatch=layer.hatch,
                alpha=layer.alpha,
                linewidth=max(layer.linewidth, 0.6),
                linestyle=layer.linestyle,
                label=label,
            )
        elif "Line" in kind:
            line_colour = colour if colour != "none" else layer.edgecolor
            sub.plot(
                ax=ax,
                color=line_colour,
                linewidth=layer.linewidth,
                linestyle=layer.linestyle,
                alpha=layer.alpha,
                zorder=layer.zorder,
            )
            handle = Line2D(
                [],
                [],
                color=line_colour,
                linewidth=max(layer.linewidth, 1.0),
                linestyle=layer.linestyle,
                label=label,
            )
        else:
            pt_colour = colour if colour != "none" else layer.edgecolor
            sub.plot(ax=ax, color=pt_colour, markersize=layer.markersize, zorder=layer.zorder)
            handle = Line2D([], [], color=pt_colour, marker="o", linestyle="", label=label)
        if layer.legend:
            handles.append(handle)
    if layer.text_column:
        label_features(ax, gdf, layer.text_column, size=layer.text_size, zorder=layer.zorder)


def draw_print_map(
    focus: gpd.GeoDataFrame,
    layers: Sequence[MapLayer],
    *,
    title: str,
    date: str,
    out_png: str | Path | None = None,
    out_pdf: str | Path | None = None,
    subtitle: str = "",
    info: Sequence[str] = (),
    footer: Sequence[str] = (),
    points: gpd.GeoDataFrame | None = None,
    zone_prefix: int | None = None,
    paper_mm: tuple[float, float] = (297.0, 210.0),
    dpi: int = 200,
    margin: float = 0.12,
) -> dict[str, Path]:
    """Draw one print map and save it as PNG and/or PDF.

    Parameters
    ----------
    focus : GeoDataFrame
        What the map frame is fitted to (the zone), in a projected CRS in metres; every layer in that CRS.
    layers : sequence of MapLayer
        Drawn in order (later on top); each with a legend entry unless ``legend=False``.
    title, date : str, keyword-only
        The title, and the date printed under it (制图日期).
    out_png, out_pdf : path, optional, keyword-only
    subtitle : str, keyword-only
    info : sequence of str, keyword-only
        Lines of the information panel (wrapped to its width).
    footer : sequence of str, keyword-only
        Lines at the foot: data sources, basemap ("底图：无"), CRS, producer.
    points : GeoDataFrame, optional, keyword-only
        Boundary points to mark and label (column ``point``).
    zone_prefix : int, optional, keyword-only
        The Gauss-Krüger zone number carried by the eastings (named in the axis label).
    paper_mm : (width, height), keyword-only
        Page size in millimetres (A4 landscape by default).
    dpi : int, keyword-only
        PNG resolution; the PNG is exactly :func:`paper_pixels` in size.
    margin : float, keyword-only
        Space around the focus, as a fraction of its size.

    Returns
    -------
    dict
        ``{"png": path, "pdf": path}`` for the files written.

    Raises
    ------
    DevzoneError
        When no CJK font is found, or a character of the text has no glyph in it.
    """
    crs = CRS.from_user_input(focus.crs)
    if not crs.is_projected:
        msg = f"print maps are drawn in a projected CRS in metres; the focus layer is in {crs.name}"
        raise DevzoneError(msg)
    _, family = cjk_font()
    rc = {
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "pdf.fonttype": 42,
        "hatch.linewidth": 0.6,
        "svg.fonttype": "none",
    }
    written: dict[str, Path] = {}
    fm_log = logging.getLogger("matplotlib.font_manager")
    level = fm_log.level
    fm_log.setLevel(logging.ERROR)  # "Failed to find font weight normal … now using 500": single-weight CJK fonts
    try:
        caught = _render(
            focus,
            layers,
            crs,
            rc,
            written,
            out_png=out_png,
            out_pdf=out_pdf,
            dpi=dpi,
            title=title,
            date=date,
            subtitle=subtitle,
            info=info,
            footer=footer,
            points=points,
            zone_prefix=zone_prefix,
            paper_mm=paper_mm,
            margin=margin,
        )
    finally:
        fm_log.setLevel(level)
    missing = sorted({str(w.message) for w in caught if "missing from font" in str(w.message)})
    if missing:
        for p in written.values():
            p.unlink(missing_ok=True)
        msg = (
            f"the print map's text has characters the font {family} cannot draw ({'; '.join(missing[:3])}); "
            f"nothing was saved; set {FONT_ENV} to a font that covers them"
        )
        raise DevzoneError(msg)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return written


def _render(
    focus: gpd.GeoDataFrame,
    layers: Sequence[MapLayer],
    crs: CRS,
    rc: dict,
    written: dict[str, Path],
    *,
    out_png: str | Path | None,
    out_pdf: str | Path | None,
    dpi: int,
    **kw: object,
) -> list:
    with mpl.rc_context(rc), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = _compose(focus, layers, crs, dpi=dpi, **kw)  # type: ignore[arg-type]
        for kind, path in (("png", out_png), ("pdf", out_pdf)):
            if path is not None:
                p = Path(path)
                p.parent.mkdir(parents=True, exist_ok=True)
                fig.savefig(p, dpi=dpi, format=kind)
                written[kind] = p
        if not written:
            fig.canvas.draw()
    return list(caught)


def _compose(
    focus: gpd.GeoDataFrame,
    layers: Sequence[MapLayer],
    crs: CRS,
    *,
    title: str,
    date: str,
    subtitle: str,
    info: Sequence[str],
    footer: Sequence[str],
    points: gpd.GeoDataFrame | None,
    zone_prefix: int | None,
    paper_mm: tuple[float, float],
    dpi: int,
    margin: float,
) -> Figure:
    w_px, h_px = paper_pixels(paper_mm, dpi)
    fig = Figure(figsize=(w_px / dpi, h_px / dpi), dpi=dpi, facecolor="white")
    rect = (0.06, 0.17, 0.62, 0.72)
    ax = fig.add_axes(rect)
    box_w, box_h = fig.get_figwidth() * rect[2], fig.get_figheight() * rect[3]
    extent = fit_extent(np.asarray(focus.total_bounds, dtype=float), box_w, box_h, margin)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal", adjustable="box")
    handles: list = []
    for layer in layers:
        _draw_layer(ax, layer, handles, shapely.box(extent[0], extent[2], extent[1], extent[3]))
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    if points is not None and len(points):
        draw_points(ax, points, min_sep=0.025 * (extent[1] - extent[0]))
    draw_grid(ax, extent, crs, zone_prefix)
    scale = draw_scale_bar(ax, extent, box_w * 0.0254)
    draw_north_arrow(ax)
    fig.text(0.5, 0.955, title, ha="center", va="center", fontsize=16, fontweight="bold")
    fig.text(
        0.5,
        0.915,
        "  ".join(t for t in (subtitle, f"制图日期：{date}") if t),
        ha="center",
        va="center",
        fontsize=9,
        color="#333333",
    )
    panel = fig.add_axes((0.71, 0.17, 0.27, 0.72))
    panel.set_axis_off()
    leg = panel.legend(
        handles=handles,
        loc="upper left",
        frameon=True,
        fontsize=8,
        title="图例",
        title_fontsize=9,
        borderaxespad=0.0,
        handlelength=2.2,
        handleheight=1.2,
    )
    leg.get_frame().set_edgecolor("#999999")
    FigureCanvasAgg(fig)
    box = leg.get_window_extent(fig.canvas.get_renderer()).transformed(panel.transAxes.inverted())
    lines = [seg for line in info for seg in (wrap_text(line, 44) or [""])]
    panel.text(
        0.0,
        box.y0 - 0.04,
        "\n".join(lines),
        ha="left",
        va="top",
        fontsize=7.5,
        linespacing=1.45,
        transform=panel.transAxes,
    )
    gamma = meridian_convergence(crs, (extent[0] + extent[1]) / 2, (extent[2] + extent[3]) / 2)
    foot = [
        *footer,
        f"坐标系：{crs_text(crs)}；指北针为坐标北（网格北）"
        + (f"，图幅中心子午线收敛角 {gamma:+.2f}°" if gamma is not None else "")
        + f"；比例尺 {scale}",
    ]
    foot = [seg for line in foot for seg in wrap_text(line, 230)]
    fig.text(0.06, 0.02, "\n".join(foot), ha="left", va="bottom", fontsize=6.5, color="#333333", linespacing=1.5)
    return fig
