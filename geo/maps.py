"""Web maps (Folium) that a planner opens in a browser.

- Display copies are simplified in the analysis CRS (default 0.5 m) and transformed to EPSG:4326;
  analysis data are never changed.
- Every attribute value is HTML-escaped before it reaches a tooltip or popup (folium inserts values as
  raw HTML).
- Basemaps: ``osm`` (OpenStreetMap), ``tianditu`` (天地图, CGCS2000 ≈ WGS 84, no shift; the key is read
  from the ``TIANDITU_KEY`` environment variable and ends up in the HTML file: share it accordingly), or
  ``none`` (no tiles: for intranets that block tile servers). folium loads Leaflet from a CDN; on an
  intranet without it, the map needs the CDN allowed (see the README).
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import DevzoneError

__all__ = [
    "BASEMAPS",
    "CATEGORY_COLOURS",
    "VERDICT_COLOURS",
    "add_layer",
    "add_legend",
    "base_map",
    "display_copy",
    "escape_frame",
    "inline_assets",
]

log = logging.getLogger(__name__)

BASEMAPS = ("osm", "tianditu", "none")
VERDICT_COLOURS = {"pass": "#1a9850", "fail": "#d73027", "cannot decide": "#fdae61"}
CATEGORY_COLOURS = {
    "industrial": "#7b3294",
    "other_construction": "#f4a582",
    "non_construction": "#a6d96a",
    "unknown": "#969696",
    "uncovered": "#ffffff",
}
_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)


def escape_frame(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Return ``df[columns]`` with every value as HTML-escaped text (floats to 2 decimals).

    >>> escape_frame(pd.DataFrame({"a": ["<b>x</b>"], "n": [1.234]}), ["a", "n"]).iloc[0].tolist()
    ['&lt;b&gt;x&lt;/b&gt;', '1.23']
    """
    out = pd.DataFrame(index=df.index)
    for c in columns:
        col = df[c]
        if pd.api.types.is_float_dtype(col):
            out[c] = col.map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
        else:
            out[c] = col.map(
                lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else html.escape(str(v))
            )
    return out


def display_copy(gdf: gpd.GeoDataFrame, *, simplify_m: float = 0.5) -> gpd.GeoDataFrame:
    """Return a simplified EPSG:4326 copy for display (the input is not changed)."""
    g = gdf.copy()
    if simplify_m > 0 and g.crs is not None and g.crs.is_projected:
        g = g.set_geometry(g.geometry.simplify(simplify_m, preserve_topology=True))
    return g.to_crs(4326)


def base_map(bounds_4326: Sequence[float], *, basemap: str = "osm") -> folium.Map:
    """Return a map fitted to ``(minx, miny, maxx, maxy)`` in degrees, with the chosen basemap.

    Raises
    ------
    DevzoneError
        For an unknown basemap, or ``tianditu`` without ``TIANDITU_KEY``.
    """
    if basemap not in BASEMAPS:
        msg = f"unknown basemap {basemap!r}; use one of {', '.join(BASEMAPS)}"
        raise DevzoneError(msg)
    minx, miny, maxx, maxy = bounds_4326
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=True)
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", attr="© OpenStreetMap contributors").add_to(m)
    elif basemap == "tianditu":
        key = os.environ.get("TIANDITU_KEY", "").strip()
        if not key:
            msg = "basemap tianditu needs a key in the TIANDITU_KEY environment variable (天地图开发者密钥)"
            raise DevzoneError(msg)
        log.warning("the Tianditu key is written into the map's HTML; share the file accordingly")
        for layer, name, overlay in (("vec", "天地图 矢量", False), ("cva", "天地图 注记", True)):
            folium.TileLayer(
                _TIANDITU.format(layer=layer, key=key),
                name=name,
                attr="© 天地图 (审图号见天地图网站)",
                subdomains="01234567",
                overlay=overlay,
            ).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def add_layer(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    style: Callable[[Mapping[str, Any]], dict[str, Any]] | dict[str, Any],
    fields: Mapping[str, str],
    show: bool = True,
    simplify_m: float = 0.5,
    max_features: int = 20_000,
) -> None:
    """Add a GeoDataFrame (any projected CRS) as a GeoJSON layer with an escaped tooltip and popup.

    Parameters
    ----------
    m : folium.Map
    gdf : GeoDataFrame
    name : str, keyword-only
        Layer name in the layer control.
    style : dict or callable, keyword-only
        A Leaflet style, or a function of the feature's properties returning one.
    fields : mapping, keyword-only
        Column → label shown in the popup (values are escaped).
    show : bool, keyword-only
        Whether the layer is on when the map opens.
    simplify_m, max_features : keyword-only
        Display simplification; above ``max_features`` features the rest are left off the map (logged).
    """
    if len(gdf) == 0:
        return
    if len(gdf) > max_features:
        log.warning(
            "%s: %d features; only the %d largest are drawn on the web map", name, len(gdf), max_features
        )
        gdf = gdf.loc[gdf.geometry.area.sort_values(ascending=False).index[:max_features]]
    disp = display_copy(gdf, simplify_m=simplify_m)
    cols = list(fields)
    props = escape_frame(disp, cols)
    for c in ("_style_key",):
        if c in disp.columns:
            props[c] = disp[c].astype(str)
    data = gpd.GeoDataFrame(props, geometry=disp.geometry.values, crs=4326).reset_index(drop=True)
    style_fn = style if callable(style) else (lambda _f, s=style: s)
    folium.GeoJson(
        data.__geo_interface__,
        name=name,
        show=show,
        style_function=lambda f: style_fn(f["properties"]),
        tooltip=folium.GeoJsonTooltip(fields=cols[:2], aliases=[fields[c] for c in cols[:2]]),
        popup=folium.GeoJsonPopup(fields=cols, aliases=[fields[c] for c in cols]),
    ).add_to(m)


def add_legend(m: folium.Map, title: str, items: Mapping[str, str]) -> None:
    """Add a legend box (label → colour; labels escaped) to the map's legend panel.

    All legends of a map stack in one scrollable panel at the bottom left, each collapsible, so the
    legends of several checks never cover each other.
    """
    root = m.get_root()
    if not getattr(m, "_devzone_legend_panel", False):
        root.html.add_child(
            folium.Element(
                '<div id="devzone-legends" style="position:fixed;bottom:52px;left:12px;z-index:9999;'
                'max-height:70vh;overflow-y:auto;display:flex;flex-direction:column;gap:6px"></div>'
            )
        )
        m._devzone_legend_panel = True  # type: ignore[attr-defined]
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:14px;background:{html.escape(c)};'
        f'border:1px solid #555;margin-right:6px"></span>{html.escape(label)}</div>'
        for label, c in items.items()
    )
    box = (
        '<details open style="background:white;padding:6px 10px;border:1px solid #999;border-radius:4px;'
        f'font:12px sans-serif"><summary><b>{html.escape(title)}</b></summary>{rows}</details>'
    )
    text = json.dumps(box, ensure_ascii=False)
    script = f'document.getElementById("devzone-legends").insertAdjacentHTML("beforeend", {text});'
    root.html.add_child(folium.Element(f"<script>{script}</script>"))


_CDN_TAG = re.compile(
    r'<script src="(?P<js>https?://[^"]+)"></script>|<link rel="stylesheet" href="(?P<css>https?://[^"]+)"\s*/?>'
)


def _vendor(name: str) -> str:
    return resources.files("geo.data").joinpath("vendor", name).read_text(encoding="utf-8")


def inline_assets(page: str) -> str:
    """Return a saved folium page that needs no CDN: Leaflet inlined, the unused CDN libraries removed.

    folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs, which government intranets often
    block; devzone's maps use Leaflet (GeoJSON layers, popups, tooltips, circle markers, the layer
    control) and, where a folium.Popup is used, jQuery. Both are vendored (Leaflet 1.9.4 BSD-2, jQuery
    3.7.1 MIT) and written into the page; the rest is dropped. Tile basemaps still need their server.
    """

    def repl(m: re.Match[str]) -> str:
        url = m.group("js") or m.group("css")
        if url.endswith("/leaflet.js"):
            return "<script>/* Leaflet 1.9.4, BSD-2-Clause, inlined */\n" + _vendor("leaflet.js") + "</script>"
        if "jquery" in url and url.endswith(".min.js") and "$(" in page:  # folium.Popup builds its HTML with $()
            return "<script>/* jQuery 3.7.1, MIT, inlined */\n" + _vendor("jquery.min.js") + "</script>"
        if url.endswith("/leaflet.css"):
            return "<style>/* Leaflet 1.9.4 */\n" + _vendor("leaflet.css") + "</style>"
        return f"<!-- devzone: {html.escape(url)} not needed offline, left out -->"

    return _CDN_TAG.sub(repl, page)
