"""Reading and writing layers.

Which engine does what, and why:

- **fiona** inspects: it lists a file's layers and reads a layer's schema, CRS and feature count without
  reading the features (:func:`inspect_layer`), so a wrong layer or field name is reported before any
  bulk read; it also streams records where one feature at a time is the natural unit.
- **pyogrio** reads and writes in bulk (vectorised, several times faster than fiona for whole layers),
  with a spatial filter so only what the zones can touch is read (:func:`read_layer` ``mask``).
- **geopandas.read_parquet** reads GeoParquet (the GDAL in the pyogrio wheels has no Parquet driver),
  with a bbox filter on the covering column when the file has one.
- Shapefile text encoding: a ``.cpg`` is trusted but checked; without one, the ``.dbf`` bytes are decoded
  as UTF-8 and, failing that, as GB18030 (a superset of GBK/GB2312, the usual encoding of Chinese
  shapefiles); the choice is logged. ``encoding=`` overrides detection.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fiona
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.transformer import Transformer

from geo.crs import crs_label
from geo.errors import DataError, EncodingError, InputError, SchemaError

__all__ = [
    "LayerInfo",
    "detect_encoding",
    "find_field",
    "inspect_layer",
    "list_layers",
    "mask_in_crs",
    "read_layer",
    "read_table",
    "write_layer",
]

log = logging.getLogger(__name__)

_PARQUET = {".parquet", ".geoparquet"}
_DEFAULT_LAYER = {".pbf": "multipolygons", ".osm": "multipolygons"}


@dataclass(frozen=True)
class LayerInfo:
    """What :func:`inspect_layer` learns without reading features."""

    path: str
    layer: str
    geometry_type: str
    crs: CRS | None
    fields: dict[str, str]
    count: int | None
    encoding: str | None
    bounds: tuple[float, float, float, float] | None = None


def _check_path(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        msg = (
            f"{p}: no such file or folder; check the path (relative paths are taken from the current folder)"
        )
        raise InputError(msg)
    return p


def list_layers(path: str | Path) -> list[str]:
    """Return the layer names of a vector data source (fiona).

    Raises
    ------
    InputError
        When the file is missing or not a vector data source GDAL can open.
    """
    p = _check_path(path)
    if p.suffix.lower() in _PARQUET:
        return [p.stem]
    try:
        return list(fiona.listlayers(p))
    except Exception as exc:  # fiona raises DriverError and others, all meaning "cannot open"
        msg = (
            f"{p}: cannot be opened as a vector data source ({exc}); is it a GPKG, SHP, GeoJSON, GDB or PBF?"
        )
        raise InputError(msg) from exc


def _choose_layer(path: Path, layer: str | None) -> str | None:
    if path.suffix.lower() in _PARQUET:
        return None
    names = list_layers(path)
    if layer is None:
        default = _DEFAULT_LAYER.get(path.suffix.lower())
        if default:
            return default
        if len(names) == 1:
            return names[0]
        msg = f"{path} has {len(names)} layers ({', '.join(names)}); name one with --*-layer or `layer =`"
        raise InputError(msg)
    if layer not in names:
        msg = f"{path} has no layer {layer!r}; its layers are: {', '.join(names)}"
        raise InputError(msg)
    return layer


def _dbf_text_bytes(dbf: Path, limit: int = 2_000_000) -> bytes:
    """Return the raw bytes of the character fields of a .dbf (up to ``limit`` bytes of records)."""
    with dbf.open("rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            return b""
        header_len, record_len = struct.unpack("<HH", head[8:12])
        fields = []
        pos = 1
        fh.seek(32)
        while fh.tell() < header_len - 1:
            desc = fh.read(32)
            if not desc or desc[0] == 0x0D:
                break
            ftype, flen = chr(desc[11]), desc[16]
            if ftype == "C":
                fields.append((pos, flen))
            pos += flen
        fh.seek(header_len)
        data = fh.read(min(limit, record_len * 200_000))
    out = bytearray()
    for start in range(0, len(data) - record_len + 1, record_len):
        rec = data[start : start + record_len]
        for fpos, flen in fields:
            out += rec[fpos : fpos + flen].rstrip(b" \x00") + b"\n"
    return bytes(out)


def detect_encoding(path: str | Path) -> str | None:
    """Detect the text encoding of a Shapefile's .dbf; None for other formats.

    Returns ``'UTF-8'``, ``'GB18030'`` or the encoding named by the ``.cpg`` file.

    Raises
    ------
    EncodingError
        When the bytes are neither UTF-8 nor GB18030, or contradict the ``.cpg``.
    """
    p = Path(path)
    if p.suffix.lower() != ".shp":
        return None
    dbf = p.with_suffix(".dbf")
    if not dbf.exists():
        dbf = p.with_suffix(".DBF")
        if not dbf.exists():
            return None
    raw = _dbf_text_bytes(dbf)
    cpg = p.with_suffix(".cpg")
    if cpg.exists():
        declared = cpg.read_text(errors="replace").strip() or "UTF-8"
        try:
            raw.decode(_python_codec(declared))
        except (UnicodeDecodeError, LookupError) as exc:
            msg = (
                f"{p}: the .cpg says {declared!r} but the .dbf text is not valid {declared} ({exc}); "
                "fix or delete the .cpg, or pass the right encoding (e.g. --encoding GB18030)"
            )
            raise EncodingError(msg) from exc
        return declared
    if not any(b > 0x7F for b in raw):
        return "UTF-8"
    try:
        raw.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        msg = (
            f"{p}: the attribute text is neither UTF-8 nor GBK/GB18030 and there is no .cpg; "
            "pass the encoding with --encoding (e.g. BIG5, CP1252)"
        )
        raise EncodingError(msg) from exc
    log.info("%s: no .cpg and the .dbf text is not UTF-8; decoding it as GB18030 (GBK)", p)
    return "GB18030"


def _python_codec(name: str) -> str:
    n = name.strip().upper().replace("_", "-")
    aliases = {"936": "gb18030", "CP936": "gb18030", "GBK": "gb18030", "GB2312": "gb18030", "65001": "utf-8"}
    return aliases.get(n, n.lower())


def inspect_layer(path: str | Path, layer: str | None = None, *, encoding: str | None = None) -> LayerInfo:
    """Describe a layer without reading its features (fiona): geometry type, CRS, fields, count."""
    p = _check_path(path)
    if p.suffix.lower() in _PARQUET:
        return _parquet_info(p)
    name = _choose_layer(p, layer)
    enc = encoding or detect_encoding(p)
    kwargs: dict[str, Any] = {"layer": name, "allow_unsupported_drivers": True}
    if enc:
        kwargs["encoding"] = enc
    with fiona.open(p, **kwargs) as src:
        crs = CRS.from_user_input(src.crs.to_wkt()) if src.crs else None
        try:
            count: int | None = len(src) if p.suffix.lower() not in _DEFAULT_LAYER else None
        except TypeError:
            count = None
        try:
            bounds: tuple[float, float, float, float] | None = tuple(src.bounds)
        except Exception:  # some drivers cannot tell bounds without a scan
            bounds = None
        return LayerInfo(
            path=str(p),
            layer=str(name),
            geometry_type=str(src.schema.get("geometry")),
            crs=crs,
            fields=dict(src.schema["properties"]),
            count=count,
            encoding=enc,
            bounds=bounds,
        )


def _parquet_info(p: Path) -> LayerInfo:
    """Describe a GeoParquet file from its metadata (no GDAL driver needed)."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(p)
    raw = (schema.metadata or {}).get(b"geo")
    meta = json.loads(raw) if raw else None
    if not meta:
        msg = f"{p}: a Parquet file without GeoParquet 'geo' metadata; write it with geopandas.to_parquet"
        raise InputError(msg)
    col = meta["primary_column"]
    crs_json = meta["columns"][col].get("crs")
    crs = CRS.from_user_input(crs_json) if crs_json else CRS.from_epsg(4326)
    fields = {f.name: str(f.type) for f in schema if f.name != col}
    return LayerInfo(
        str(p),
        p.stem,
        ",".join(meta["columns"][col].get("geometry_types", [])),
        crs,
        fields,
        pq.ParquetFile(p).metadata.num_rows,
        None,
    )


def mask_in_crs(
    geoms: Iterable[shapely.Geometry], src_crs: Any, dst_crs: Any, *, pad_m: float = 50.0
) -> shapely.Geometry:
    """Return a filter polygon around ``geoms`` (in ``src_crs``) expressed in ``dst_crs``.

    Each geometry's envelope, padded by ``pad_m`` metres, is transformed with densified edges, so the
    filter never cuts off a feature that the exact measurement needs.
    """
    src, dst = CRS.from_user_input(src_crs), CRS.from_user_input(dst_crs)
    boxes = []
    tr = None if src.equals(dst) else Transformer.from_crs(src, dst, always_xy=True)
    for g in geoms:
        if g is None or g.is_empty:
            continue
        minx, miny, maxx, maxy = g.bounds
        minx, miny, maxx, maxy = minx - pad_m, miny - pad_m, maxx + pad_m, maxy + pad_m
        if tr is not None:
            minx, miny, maxx, maxy = tr.transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
        boxes.append(shapely.box(minx, miny, maxx, maxy))
    return shapely.union_all(boxes)


def read_layer(
    path: str | Path,
    layer: str | None = None,
    *,
    encoding: str | None = None,
    mask: shapely.Geometry | None = None,
    columns: Sequence[str] | None = None,
    crs: Any = None,
    what: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector layer into a GeoDataFrame (pyogrio; GeoParquet through geopandas).

    Parameters
    ----------
    path : str or Path
        GPKG, Shapefile, GeoJSON, FileGDB (folder), GeoParquet, OSM PBF or any GDAL vector format.
    layer : str, optional
        Layer name; optional when the source has one layer (OSM PBF: ``multipolygons``).
    encoding : str, optional, keyword-only
        Text encoding of a Shapefile's attributes; detected when not given.
    mask : shapely geometry, optional, keyword-only
        Read only features intersecting it (in the layer's CRS; see :func:`mask_in_crs`).
    columns : sequence of str, optional, keyword-only
        Attribute columns to read.
    crs : optional, keyword-only
        CRS to assign when the file declares none (never a transformation).
    what : str, optional, keyword-only
        Name of the layer's role for messages, e.g. ``"zone layer"``.

    Returns
    -------
    GeoDataFrame
        Index labels are the features' positions in the source (``fid``), so QA rows can name them;
        with a ``mask`` the rows are in fid order (the order of the layer).

    Raises
    ------
    InputError, EncodingError

    Notes
    -----
    Speed without changing the result: fields of plain types (text, integer, real, date-time) in UTF-8
    come through Arrow (``use_arrow``, the same frame several times faster); a mask made of scattered
    parts (zones across a province) is read part by part when the driver has a spatial index, so the
    index is asked about each zone's surroundings instead of the envelope of all of them.
    """
    p = _check_path(path)
    label = what or str(p)
    if p.suffix.lower() in _PARQUET:
        gdf = _read_parquet(p, columns, mask)
    else:
        name = _choose_layer(p, layer)
        enc = encoding or detect_encoding(p)
        kwargs: dict[str, Any] = {"layer": name, "fid_as_index": True}
        if enc:
            kwargs["encoding"] = enc
        osm = p.suffix.lower() in _DEFAULT_LAYER
        if mask is not None and not osm:
            kwargs["mask"] = mask
        if columns is not None:
            kwargs["columns"] = list(columns)
        if osm:
            # OSM has no spatial index (GDAL scans it anyway) and holds rings GEOS cannot parse (2-point
            # rings), which a GDAL spatial filter would raise on: read all, let shapely fix what it cannot
            # parse, and name the fixed features (gdf.attrs["fixed_on_read"]) for the QA log
            kwargs["on_invalid"] = "fix"
        try:
            gdf = pyogrio.read_dataframe(p, **kwargs) if osm else _read_ogr(p, kwargs)
        except UnicodeDecodeError as exc:
            msg = f"{p}: attribute text cannot be decoded as {enc or 'UTF-8'}; pass --encoding (e.g. GB18030)"
            raise EncodingError(msg) from exc
        except pyogrio.errors.DataSourceError as exc:
            msg = f"{p}: cannot be read ({exc})"
            raise InputError(msg) from exc
    if p.suffix.lower() in _DEFAULT_LAYER:
        strict = pyogrio.read_dataframe(
            p, layer=kwargs["layer"], columns=[], fid_as_index=True, on_invalid="ignore"
        )
        fixed = strict.index[strict.geometry.isna().to_numpy()]
        if mask is not None:
            near = np.zeros(len(gdf), dtype=bool)
            near[gdf.sindex.query(mask, predicate="intersects")] = True
            gdf = gdf[near | gdf.geometry.isna().to_numpy()]
        gdf.attrs["fixed_on_read"] = [f for f in fixed if f in gdf.index]
    if gdf.crs is None and crs is not None:
        log.info("%s: no CRS in the file; using %s as given", label, crs_label(CRS.from_user_input(crs)))
        gdf = gdf.set_crs(crs)
    log.info("%s: read %d features from %s", label, len(gdf), p)
    return gdf


#: OGR field types that pyogrio turns into the same pandas columns with and without Arrow.
_ARROW_SAFE = {"OFTString", "OFTInteger", "OFTInteger64", "OFTReal", "OFTDateTime"}


def _read_ogr(p: Path, kwargs: dict[str, Any]) -> gpd.GeoDataFrame:
    """Read with pyogrio: through Arrow when that gives the same frame; a scattered mask part by part."""
    info = pyogrio.read_info(p, layer=kwargs["layer"], encoding=kwargs.get("encoding"))
    kw = dict(kwargs)
    enc = str(kw.get("encoding") or "UTF-8").upper().replace("-", "").replace("_", "")
    arrow_ok = pyogrio.__gdal_version__ >= (3, 8, 0) and "ogr_types" in info  # pyogrio ≥ 0.10, its wheels
    if arrow_ok and enc == "UTF8" and set(info["ogr_types"]) <= _ARROW_SAFE:
        kw["use_arrow"] = True
        kw["batch_size"] = 8000  # GDAL's default 65 536-row batches cost ~100 MB more at the peak
    mask = kw.pop("mask", None)
    if mask is None:
        return pyogrio.read_dataframe(p, **kw)
    parts = shapely.get_parts(mask)
    scattered = (
        len(parts) > 1
        and shapely.get_type_id(mask) == 6
        and bool(info.get("capabilities", {}).get("fast_spatial_filter"))
        and shapely.area(mask) < 0.5 * shapely.area(shapely.envelope(mask))
    )
    if not scattered:
        return pyogrio.read_dataframe(p, mask=mask, **kw).sort_index()
    frames = [pyogrio.read_dataframe(p, mask=part, **kw) for part in parts]
    hit = [f for f in frames if len(f)] or frames[:1]
    gdf = pd.concat(hit) if len(hit) > 1 else hit[0]
    return gdf[~gdf.index.duplicated()].sort_index()


def _read_parquet(p: Path, columns: Sequence[str] | None, mask: shapely.Geometry | None) -> gpd.GeoDataFrame:
    """Read GeoParquet; with a mask, only the rows whose covering bbox meets one of the mask's parts.

    Index labels are the rows' positions in the file (or the file's own stored index), as for the
    other formats, so QA rows name the right features.
    """
    cols = [*columns, "geometry"] if columns else None
    if mask is None:
        return gpd.read_parquet(p, columns=cols)
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    meta = pq.read_schema(p).metadata or {}
    geo = json.loads(meta.get(b"geo", b"{}"))
    covering = geo.get("columns", {}).get(geo.get("primary_column", "geometry"), {}).get("covering", {})
    box = covering.get("bbox")
    if not box:
        log.info(
            "%s: no bbox covering column; reading the whole file, then filtering (write it with "
            "write_covering_bbox=True to read only what is needed)",
            p,
        )
        gdf = gpd.read_parquet(p, columns=cols)
        return gdf.iloc[gdf.sindex.query(mask, predicate="intersects")].sort_index()
    parts = [part.bounds for part in shapely.get_parts(mask)]
    field = {k: pc.field(tuple(v)) for k, v in box.items()}
    expr = None
    for x0, y0, x1, y1 in parts:
        term = (field["xmin"] <= x1) & (field["xmax"] >= x0) & (field["ymin"] <= y1) & (field["ymax"] >= y0)
        expr = term if expr is None else expr | term
    gdf = gpd.read_parquet(p, columns=cols, filters=expr)
    pandas_meta = json.loads(meta.get(b"pandas", b"{}"))
    index = pandas_meta.get("index_columns") or [{"kind": "range", "start": 0, "step": 1}]
    if len(index) == 1 and isinstance(index[0], dict) and index[0].get("kind") == "range":
        # the same test on the bbox column alone gives the positions of the rows the filter kept
        bb = pq.read_table(p, columns=[box["xmin"][0]]).column(0).combine_chunks()
        x0s, y0s, x1s, y1s = (
            bb.field(box[k][1]).to_numpy(zero_copy_only=False) for k in ("xmin", "ymin", "xmax", "ymax")
        )
        hit = np.zeros(len(x0s), dtype=bool)
        for x0, y0, x1, y1 in parts:
            hit |= (x0s <= x1) & (x1s >= x0) & (y0s <= y1) & (y1s >= y0)
        pos = np.flatnonzero(hit)
        if len(pos) != len(gdf):
            msg = f"{p}: the bbox filter kept {len(gdf)} rows but the bbox column says {len(pos)}"
            raise DataError(msg)
        gdf.index = pd.Index(index[0].get("start", 0) + index[0].get("step", 1) * pos, name=gdf.index.name)
    return gdf.iloc[gdf.sindex.query(mask, predicate="intersects")].sort_index()


def find_field(
    columns: Iterable[str],
    requested: str | None,
    candidates: Sequence[str],
    *,
    what: str,
    option: str,
    source: str,
) -> str:
    """Return the field to use: the one requested, or the first usual name present (case-insensitive).

    Raises
    ------
    SchemaError
        Naming the source, the fields present and the option that chooses one.

    >>> find_field(["FID_1", "dlbm", "DLMC"], None, ["DLBM", "GHDLBM"], what="land-use code",
    ...            option="--code-field", source="a.shp")
    'dlbm'
    """
    cols = list(columns)
    lower = {c.lower(): c for c in cols}
    if requested is not None:
        if requested in cols:
            return requested
        if requested.lower() in lower:
            return lower[requested.lower()]
        msg = (
            f"{source}: no field {requested!r} for the {what}; the fields are: {', '.join(cols) or '(none)'}"
        )
        raise SchemaError(msg)
    for c in candidates:
        if c.lower() in lower:
            return lower[c.lower()]
    msg = (
        f"{source}: no {what} field found (looked for {', '.join(candidates)}); "
        f"the fields are: {', '.join(cols) or '(none)'}; name one with {option}"
    )
    raise SchemaError(msg)


def read_table(path: str | Path, *, sheet: str | int | None = None, what: str | None = None) -> pd.DataFrame:
    """Read a CSV or Excel table as text columns (codes keep their leading zeros)."""
    p = _check_path(path)
    suffix = p.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            return pd.read_excel(p, sheet_name=0 if sheet is None else sheet, dtype=object)
        if suffix in {".csv", ".txt"}:
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    return pd.read_csv(p, dtype=str, encoding=enc)
                except UnicodeDecodeError:
                    continue
            msg = f"{p}: text is neither UTF-8 nor GB18030"
            raise EncodingError(msg)
    except ValueError as exc:
        msg = f"{what or p}: cannot read {p} ({exc})"
        raise InputError(msg) from exc
    msg = f"{p}: not a table format devzone reads (use .csv or .xlsx)"
    raise InputError(msg)


def write_layer(gdf: gpd.GeoDataFrame, path: str | Path, layer: str) -> None:
    """Write (or replace) one layer of a GeoPackage (pyogrio)."""
    if gdf.crs is None:
        msg = f"refusing to write layer {layer!r} without a CRS"
        raise DataError(msg)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(gdf, p, layer=layer, driver="GPKG", append=False)
