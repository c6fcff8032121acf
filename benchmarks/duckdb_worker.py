"""DuckDB spatial variant of the benchmark, run as its own process (needs only duckdb and the stdlib).

Usage: ``python duckdb_worker.py PARCELS.parquet ZONES.parquet RESULT.json``

The spatial extension is loaded from DuckDB's own extension folder (``INSTALL spatial``, which needs the
web) or from the ``duckdb-extension-spatial`` PyPI package when that matches the DuckDB version. When
neither works, the result says why and the benchmark reports the variant as skipped.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def _load_spatial(con: object) -> str:
    import duckdb

    errors = []
    try:
        con.sql("LOAD spatial")
        return "LOAD spatial (DuckDB's extension folder)"
    except duckdb.Error as exc:
        errors.append(f"LOAD spatial: {str(exc).splitlines()[0]}")
    try:
        import duckdb_extension_spatial as pkg
    except ImportError:
        errors.append("no duckdb-extension-spatial package")
    else:
        path = Path(pkg.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "spatial.duckdb_extension"
        if path.exists():
            con.sql(f"LOAD '{path}'")
            return f"duckdb-extension-spatial package ({path.name} for v{duckdb.__version__})"
        found = sorted(p.name for p in (Path(pkg.__file__).parent / "extensions").glob("v*"))
        errors.append(f"duckdb-extension-spatial ships {', '.join(found)}, not v{duckdb.__version__}")
    raise RuntimeError("; ".join(errors))


def _rss_mb() -> float:
    with Path("/proc/self/statm").open() as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


QUERY = """
SELECT z.KFQDM AS zone, p.DLBM AS code, SUM(ST_Area(ST_Intersection(z.geometry, p.geometry))) AS area_m2
FROM read_parquet('{parcels}') AS p
JOIN read_parquet('{zones}') AS z ON ST_Intersects(z.geometry, p.geometry)
GROUP BY ALL
ORDER BY ALL
"""


def main(argv: list[str]) -> int:
    parcels, zones, result = argv
    out: dict[str, object] = {}
    try:
        import duckdb
    except ImportError as exc:
        out["skipped"] = f"duckdb is not installed ({exc})"
    else:
        con = duckdb.connect()
        try:
            how = _load_spatial(con)
        except Exception as exc:
            out["skipped"] = f"DuckDB {duckdb.__version__}: the spatial extension cannot be loaded ({exc})"
        else:
            threads = con.sql("SELECT current_setting('threads')").fetchone()[0]
            out["note"] = f"DuckDB {duckdb.__version__}, spatial from {how}, {threads} threads"
            out["base_rss_mb"] = _rss_mb()
            t0, c0 = time.perf_counter(), time.process_time()
            rows = con.sql(QUERY.format(parcels=parcels, zones=zones)).fetchall()
            out["seconds"] = time.perf_counter() - t0
            out["cpu_seconds"] = time.process_time() - c0  # all threads
            out["table"] = [[str(z), str(c), float(a)] for z, c, a in rows]
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(result).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
